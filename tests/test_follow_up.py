"""Snooze 3 days and Handled through the outside: digests posted by the runner to the fake Slack,
clicks sent as signed requests, time frozen; imports through the importer itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs.digest_runner import run_due
from bot.services import build_services
from store.csv_format import parse_csv
from store.db import session_scope
from store.follow_up import snooze
from store.importer import import_parsed
from store.models import AuditEvent, Client, ContractChange, FollowUp
from tests.app_client import SlackAppClient
from tests.client_support import blocks_text, detail
from tests.digest_support import add_subscription, posts, utc
from tests.factories import TEAM, add_change_due, workspace_row
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import block_actions_payload, find_element

MONDAY = date(2025, 3, 10)  # London is on GMT (UTC+0) that week
SNOOZE, HANDLED = "change_snooze", "change_handled"
UNSNOOZE, NOT_HANDLED = "change_unsnooze", "change_not_handled"


def at(day: date, hour: int = 9, minute: int = 5) -> datetime:
    return utc(day.year, day.month, day.day, hour, minute)


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", name="Alice Partner", tz="Europe/London")
    fake_slack.add_user("U0KIWI", name="Kiri Partner", tz="Pacific/Auckland")


@pytest.fixture
def seeded(slack_app: SlackAppClient) -> Iterator[SlackAppClient]:
    """Acme Corp and Beta Ltd each have a pending renewal due within the digest's 14 days all week;
    the channel gets a digest every day at 09:00 London."""
    add_subscription(slack_app.engine, tz="Europe/London", weekends=True)
    with session_scope(slack_app.engine) as session:
        workspace = workspace_row(session, TEAM)
        for name, days in (("Acme Corp", 10), ("Beta Ltd", 11)):
            add_change_due(session, workspace, name, deadline=MONDAY + timedelta(days=days))
    yield slack_app


def digest_on(app: SlackAppClient, day: date) -> Call:
    """The channel's digest of `day`, posted by the runner at 09:05 London."""
    before = len(posts(app.fake))
    with time_machine.travel(at(day), tick=False):
        run_due(build_services(app.settings, app.engine))
    sent = posts(app.fake)
    assert len(sent) == before + 1, f"no digest posted on {day}"
    return sent[-1]


def listed(call: Call) -> str:
    return blocks_text(call.params["blocks"])


def click_in_digest(
    app: SlackAppClient, call: Call, action_id: str, client: str, *, user: str, when: datetime
) -> Call:
    """Click `action_id` on `client`'s item of the digest in `call`; the ephemeral reply."""
    button = next(
        element
        for block in call.params["blocks"]
        if block["type"] in ("actions", "card")
        for element in block.get("elements") or block.get("actions") or []
        if element["action_id"] == action_id and client in (element.get("accessibility_label") or "")
    )
    return _click(app, action_id, button["value"], call.params, user=user, when=when)


def _click(
    app: SlackAppClient, action_id: str, value: str, message: dict[str, Any], *, user: str, when: datetime
) -> Call:
    before = len(app.fake.calls_to("response_url"))
    payload = block_actions_payload(
        action_id,
        value,
        user_id=user,
        message={"type": "message", "text": message["text"], "blocks": message["blocks"]},
        fake=app.fake,
    )
    with time_machine.travel(when, tick=True):
        assert app.action(payload).status == 200
        return app.wait_for("response_url", count=before + 1)


def history(app: SlackAppClient, *actions: str) -> list[AuditEvent]:
    with Session(app.engine) as session:
        return list(
            session.exec(select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))  # type: ignore[attr-defined]
        )


def import_rows(app: SlackAppClient, text: str) -> None:
    with session_scope(app.engine) as session:
        result = import_parsed(
            parse_csv(text), TEAM, session=session, actor="cli:import", source="export.csv"
        )
    assert not result.rejected


def test_a_snoozed_item_leaves_the_digest_for_the_three_days_after_the_click_then_comes_back(
    seeded: SlackAppClient,
) -> None:
    monday = digest_on(seeded, MONDAY)
    assert "Acme Corp" in listed(monday)

    reply = click_in_digest(seeded, monday, SNOOZE, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))

    assert "Snoozed *Acme Corp*" in reply.params["text"] and "back on 2025-03-14" in reply.params["text"]
    for day in (MONDAY + timedelta(days=n) for n in (1, 2, 3)):
        shown = listed(digest_on(seeded, day))
        assert "Acme Corp" not in shown.replace("Not listed", "")
        assert "Beta Ltd" in shown
        assert "Not listed: 1 snoozed contract change." in shown
    friday = listed(digest_on(seeded, MONDAY + timedelta(days=4)))
    assert "Acme Corp" in friday and "Not listed" not in friday


def test_a_snooze_counts_the_clickers_own_local_days(seeded: SlackAppClient) -> None:
    monday = digest_on(seeded, MONDAY)

    # 20:00 UTC on Monday is already Tuesday in Auckland: out until Friday, back on Saturday.
    click_in_digest(seeded, monday, SNOOZE, "Acme Corp", user="U0KIWI", when=at(MONDAY, 20))

    assert "Acme Corp" not in listed(digest_on(seeded, MONDAY + timedelta(days=4)))
    assert "Acme Corp" in listed(digest_on(seeded, MONDAY + timedelta(days=5)))


def test_a_handled_item_stays_out_until_an_import_changes_its_status(seeded: SlackAppClient) -> None:
    monday = digest_on(seeded, MONDAY)
    click_in_digest(seeded, monday, HANDLED, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))
    hub_id = acme_hub_id(seeded)
    start = (MONDAY + timedelta(days=10 + 45)).isoformat()
    header = "Client name,Hub ID,Contract type,Status,Renewal start date\n"

    tuesday = listed(digest_on(seeded, MONDAY + timedelta(days=1)))
    import_rows(seeded, f"{header}Acme Corp,{hub_id},Renewal,Pending,{start}\n")  # nothing changes
    wednesday = listed(digest_on(seeded, MONDAY + timedelta(days=2)))
    import_rows(seeded, f"{header}Acme Corp,{hub_id},Renewal,Cancellation requested,{start}\n")
    thursday = listed(digest_on(seeded, MONDAY + timedelta(days=3)))

    assert "Not listed: 1 handled contract change." in tuesday and "Acme Corp" not in tuesday.replace(
        "Not listed", ""
    )
    assert "Acme Corp" not in wednesday
    assert "Acme Corp" in thursday and "Not listed" not in thursday


def test_snooze_on_a_change_an_import_has_since_removed_changes_nothing_and_says_why(
    seeded: SlackAppClient,
) -> None:
    monday = digest_on(seeded, MONDAY)
    hub_id = acme_hub_id(seeded)
    moved = (MONDAY + timedelta(days=20 + 45)).isoformat()  # the start date moved: the old one is gone
    header = "Client name,Hub ID,Contract type,Status,Renewal start date\n"
    import_rows(seeded, f"{header}Acme Corp,{hub_id},Renewal,Pending,{moved}\n")

    reply = click_in_digest(seeded, monday, SNOOZE, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))

    assert "not in the upcoming renewals any more" in reply.params["text"]
    with Session(seeded.engine) as session:
        assert session.exec(select(FollowUp)).all() == []


def test_the_digest_header_counts_the_snoozed_and_the_handled(seeded: SlackAppClient) -> None:
    monday = digest_on(seeded, MONDAY)
    click_in_digest(seeded, monday, SNOOZE, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))
    click_in_digest(seeded, monday, HANDLED, "Beta Ltd", user="U0ALICE", when=at(MONDAY, 10, 1))
    with session_scope(seeded.engine) as session:
        add_change_due(
            session, workspace_row(session, TEAM), "Gamma AG", deadline=MONDAY + timedelta(days=12)
        )

    tuesday = digest_on(seeded, MONDAY + timedelta(days=1))

    assert "Not listed: 1 snoozed and 1 handled contract changes." in listed(tuesday)
    assert "Not listed: 1 snoozed and 1 handled contract changes." in tuesday.params["text"]
    assert "Gamma AG" in listed(tuesday)


def test_unsnooze_in_the_clients_detail_brings_it_back_and_both_are_in_its_history(
    seeded: SlackAppClient,
) -> None:
    monday = digest_on(seeded, MONDAY)
    click_in_digest(seeded, monday, SNOOZE, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))
    with time_machine.travel(at(MONDAY, 11), tick=True):
        shown = detail(seeded, "acme corp", user_id="U0ALICE")
    assert "Snoozed by <@U0ALICE>" in blocks_text(shown["blocks"])
    value = find_element(shown["blocks"], UNSNOOZE)["value"]

    refreshed = _click(seeded, UNSNOOZE, value, shown, user="U0ALICE", when=at(MONDAY, 11, 5))

    assert refreshed.params["replace_original"] is True
    text = blocks_text(refreshed.params["blocks"])
    assert "Snoozed by" not in text
    assert "unsnoozed Renewal starting 2025-05-04" in text
    assert "snoozed Renewal starting 2025-05-04 until 2025-03-13" in text
    find_element(refreshed.params["blocks"], SNOOZE)
    assert [e.actor for e in history(seeded, "snooze", "unsnooze")] == ["U0ALICE", "U0ALICE"]
    assert "Acme Corp" in listed(digest_on(seeded, MONDAY + timedelta(days=1)))


def test_not_handled_in_the_clients_detail_brings_it_back_and_is_recorded(seeded: SlackAppClient) -> None:
    monday = digest_on(seeded, MONDAY)
    click_in_digest(seeded, monday, HANDLED, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))
    with time_machine.travel(at(MONDAY, 11), tick=True):
        shown = detail(seeded, "acme corp", user_id="U0ALICE")
    assert "Handled by <@U0ALICE>" in blocks_text(shown["blocks"])
    value = find_element(shown["blocks"], NOT_HANDLED)["value"]

    refreshed = _click(seeded, NOT_HANDLED, value, shown, user="U0KIWI", when=at(MONDAY, 11, 5))

    text = blocks_text(refreshed.params["blocks"])
    assert "Handled by" not in text
    assert "<@U0KIWI> marked Renewal starting 2025-05-04 not handled" in text
    assert [(e.action, e.actor) for e in history(seeded, "handled", "not_handled")] == [
        ("handled", "U0ALICE"),
        ("not_handled", "U0KIWI"),
    ]
    assert "Acme Corp" in listed(digest_on(seeded, MONDAY + timedelta(days=1)))


def acme_hub_id(app: SlackAppClient) -> str:
    with Session(app.engine) as session:
        return session.exec(select(Client.hub_id).where(Client.name == "Acme Corp")).one()


def test_a_handled_item_comes_back_when_its_communication_owner_changes(
    seeded: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0BOB", email="bob@agency.com", name="Bob Agent")
    monday = digest_on(seeded, MONDAY)
    click_in_digest(seeded, monday, HANDLED, "Acme Corp", user="U0ALICE", when=at(MONDAY, 10))
    tuesday = listed(digest_on(seeded, MONDAY + timedelta(days=1)))

    with time_machine.travel(at(MONDAY + timedelta(days=1), 12), tick=True):
        before = len(seeded.fake.calls_to("response_url"))
        seeded.command("/renewal-owner", "Acme Corp <@U0BOB>", user_id="U0ALICE")
        assert "now <@U0BOB>" in seeded.wait_for("response_url", count=before + 1).params["text"]

    assert "Acme Corp" not in tuesday.replace("Not listed", "")
    assert "Acme Corp" in listed(digest_on(seeded, MONDAY + timedelta(days=2)))


def test_a_button_from_another_workspace_changes_nothing(seeded: SlackAppClient) -> None:
    monday = digest_on(seeded, MONDAY)
    button = next(
        e
        for b in monday.params["blocks"]
        if b["type"] == "card"
        for e in b["actions"]
        if e["action_id"] == SNOOZE
    )
    forged = button["value"].replace(TEAM, "T0TEAM2")

    reply = _click(seeded, SNOOZE, forged, monday.params, user="U0ALICE", when=at(MONDAY, 10))

    assert "another Slack workspace" in reply.params["text"]
    assert history(seeded, "snooze") == []


def test_two_people_snoozing_one_change_at_the_same_moment_both_succeed(engine: Engine) -> None:
    """Each click makes the change's row if missing; the unique key decides, nobody gets an error."""
    with session_scope(engine) as session:
        workspace = workspace_row(session)
        change_id = add_change_due(session, workspace, "Acme Corp", deadline=MONDAY + timedelta(days=5)).id
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def click(user: str) -> None:
        try:
            start.wait()
            with session_scope(engine) as session:
                change = session.get(ContractChange, change_id)
                assert change is not None
                snooze(change, session=session, actor=user, today=MONDAY)
        except BaseException as exc:
            errors.append(exc)

    clickers = [threading.Thread(target=click, args=(user,)) for user in ("U0ALICE", "U0BOB")]
    for clicker in clickers:
        clicker.start()
    for clicker in clickers:
        clicker.join(timeout=30)

    assert errors == []
    with Session(engine) as session:
        assert len(session.exec(select(FollowUp)).all()) == 1
