"""The App Home tab end to end: a signed `app_home_opened` event -> views.publish for that person,
and the client buttons on it -> modal -> submission -> the Home tab published again.

The fake Slack validates every view the app publishes (100 blocks, block models) at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlmodel import Session

from blocks.client_actions import client_action_buttons
from store.models import Client, DigestSubscription, Workspace
from store.rules import ContractType, OwnerKind, Status
from tests.app_client import SlackAppClient, serving
from tests.client_support import CHANGE_OWNER, END, NOW, REASSIGN, db, events, mrkdwn_text, reload
from tests.factories import (
    OTHER_TEAM,
    TEAM,
    add_change,
    add_client,
    add_member,
    days,
    set_partner,
    workspace_row,
)
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import block_actions_payload, find_element, static_select, view_submission_payload

ALICE = "U0ALICE"
ALICE_EMAIL = "alice@partner.example"
BOB = "U0BOB"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def people(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(ALICE, email=ALICE_EMAIL, name="Alice", tz="UTC")
    fake_slack.add_user(BOB, email="bob@partner.example", name="Bob", tz="UTC")


@pytest.fixture
def admin_app(fake_slack: FakeSlack, database_url: str) -> Iterator[SlackAppClient]:
    """The app with RENEWALS_ADMINS=U0ALICE."""
    with serving(fake_slack, database_url, renewals_admins=frozenset({ALICE})) as client:
        yield client


def client_with(
    session: Session,
    name: str,
    *,
    owner: Any = None,
    team_id: str = TEAM,
    start: date | None = None,
    contract_type: ContractType = ContractType.RENEWAL,
    status: Status = Status.PENDING,
    mrr: str | None = "100",
    contacts: int = 0,
) -> Client:
    """A client with one contract change; `owner` is a PartnerMember, OwnerKind.HUBSPOT or None."""
    people = [(f"Person {n}", f"p{n}@client.example", None) for n in range(contacts)]
    client = add_client(
        session, name, team_id=team_id, contacts=people, primary=people[0][1] if people else None
    )
    if owner is OwnerKind.HUBSPOT:
        client.owner_kind = OwnerKind.HUBSPOT
        session.add(client)
    elif owner is not None:
        set_partner(session, client, owner)
    add_change(
        session,
        client,
        start or days(60),
        contract_type,
        status,
        mrr=mrr,
    )
    return client


def open_home(app: SlackAppClient, user_id: str = ALICE, *, team_id: str = TEAM, count: int = 1) -> Call:
    """Open the Home tab as `user_id`; the `count`-th views.publish for them."""
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D0HOME",
        "tab": "home",
        "event_ts": f"{NOW.timestamp():.6f}",
    }
    assert app.event(event, team_id=team_id).status == 200
    return app.wait_for("views.publish", count=count, where=lambda c: c.params.get("user_id") == user_id)


def home_blocks(call: Call) -> list[dict[str, Any]]:
    view = call.params["view"]
    assert view["type"] == "home"
    return view["blocks"]


def row_names(blocks: list[dict[str, Any]]) -> list[str]:
    """The client names of the listed contract changes, in order (each row precedes its buttons)."""
    names = []
    for index, block in enumerate(blocks[:-1]):
        following = blocks[index + 1]
        if block["type"] == "section" and following.get("block_id", "").startswith("client_actions:"):
            first_line = block["text"]["text"].split("\n")[0]
            names.append(first_line.split("*")[1])
    return names


def click_on_home(app: SlackAppClient, action_id: str, blocks: list[dict[str, Any]], **kwargs: Any) -> None:
    """A click on a button of the Home tab: container is the home view, no response_url."""
    element = find_element(blocks, action_id)
    payload = block_actions_payload(
        action_id,
        element["value"],
        block_id="client_actions:1",
        view={"id": "V0HOME", "type": "home", "blocks": blocks, "callback_id": "renewals_home"},
        **kwargs,
    )
    assert "response_url" not in payload
    assert app.action(payload).status == 200


# --- what the Home tab shows ---------------------------------------------------------------------


def test_opening_the_home_tab_publishes_your_renewals_that_need_action_soonest_first(
    slack_app: SlackAppClient,
) -> None:
    with db(slack_app.engine) as session:
        by_id = add_member(session, user_id=ALICE)
        by_email = add_member(session, email=ALICE_EMAIL)  # an import named Alice by her email
        bob = add_member(session, user_id=BOB)
        client_with(session, "Acme", owner=by_id, start=days(70), mrr="100")  # deadline in 25 days
        client_with(session, "Beta", owner=by_email, start=days(50), mrr="250.5")  # in 5 days
        client_with(session, "Bob's client", owner=bob, start=days(55))
        client_with(session, "HubSpot's client", owner=OwnerKind.HUBSPOT, start=days(55))
        client_with(session, "Already renewed", owner=by_id, status=Status.RENEWED)
        client_with(session, "Far away", owner=by_id, start=days(130))  # outside the 120 days
        ended = client_with(session, "Ended", owner=by_id)
        ended.association_ended_at = NOW
        other = add_member(session, user_id=ALICE, team_id=OTHER_TEAM)
        client_with(session, "Other workspace", owner=other, team_id=OTHER_TEAM, start=days(50))

    call = open_home(slack_app)

    assert call.params["user_id"] == ALICE
    blocks = home_blocks(call)
    assert row_names(blocks) == ["Beta", "Acme"]
    text = mrkdwn_text(blocks)
    assert "Your renewals that need action" in text
    assert "2 contract changes" in text and "$350.50 MRR at stake" in text
    beta = next(b["text"]["text"] for b in blocks if b["type"] == "section" and "*Beta*" in b["text"]["text"])
    assert "Renewal · Pending" in beta
    assert "<!date^" in beta and "|2026-03-07>" in beta and "(in 5 days)" in beta
    assert "MRR at stake $250.50" in beta
    buttons = [e["text"]["text"] for e in find_actions(blocks, "Beta")]
    assert buttons == ["Reassign contact", "Change owner", "End association"]


def find_actions(blocks: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    for index, block in enumerate(blocks):
        if block["type"] == "section" and f"*{name}*" in block["text"]["text"]:
            return blocks[index + 1]["elements"]
    raise AssertionError(f"no row for {name}")


def test_each_workspace_sees_only_its_own_home(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        mine = add_member(session, user_id=ALICE)
        client_with(session, "Ours", owner=mine)
        theirs = add_member(session, user_id=ALICE, team_id=OTHER_TEAM)
        client_with(session, "Theirs", owner=theirs)  # in this workspace, but Alice's other identity
        client_with(session, "Other team's", owner=theirs, team_id=OTHER_TEAM)

    call = open_home(slack_app, team_id=OTHER_TEAM)

    assert row_names(home_blocks(call)) == ["Other team's"]


def test_the_messages_tab_publishes_nothing(slack_app: SlackAppClient) -> None:
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D0HOME", "tab": "messages"}

    assert slack_app.event(event).status == 200

    slack_app.settle()
    assert slack_app.fake.calls_to("views.publish") == []


def test_owning_nothing_says_how_to_take_a_client(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        client_with(session, "Bob's client", owner=add_member(session, user_id=BOB))

    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "You own no contract changes in the next 120 days" in text
    assert "`/renewal-owner &lt;client&gt; me`" in text  # shown as <client>, never read as a link


def test_owning_only_settled_renewals_says_nothing_needs_action(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        client_with(session, "Done", owner=add_member(session, user_id=ALICE), status=Status.RENEWED)

    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "Nothing needs action from you" in text and "1 contract change you own" in text


def test_an_empty_workspace_says_to_import(slack_app: SlackAppClient) -> None:
    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "renewals-bot import FILE.csv" in text


def test_a_client_named_like_a_mention_pings_nobody(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        client_with(session, "<!channel> & <@U0BOB>", owner=add_member(session, user_id=ALICE))

    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "&lt;!channel&gt; &amp; &lt;@U0BOB&gt;" in text
    assert "<!channel>" not in text and "<@U0BOB>" not in text


def test_many_owned_renewals_stay_within_the_home_tab_limits(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        alice = add_member(session, user_id=ALICE)
        for n in range(70):
            client_with(session, f"Client {n:02d}", owner=alice, start=days(46 + n))

    blocks = home_blocks(open_home(slack_app))

    assert len(blocks) <= 100  # and the fake Slack validated the view
    assert row_names(blocks) == [f"Client {n:02d}" for n in range(40)]
    text = mrkdwn_text(blocks)
    assert "70 contract changes" in text
    assert "…and 30 more contract changes" in text and "`/renewal-owner`" in text


def test_the_teams_deadlines_this_week_are_counted_with_the_money_at_stake(
    slack_app: SlackAppClient,
) -> None:
    with db(slack_app.engine) as session:
        bob = add_member(session, user_id=BOB)
        client_with(session, "Today", owner=bob, start=days(45), mrr="100")  # deadline today
        client_with(session, "In a week", owner=OwnerKind.HUBSPOT, start=days(52), mrr="250")
        client_with(session, "Next week", owner=bob, start=days(53), mrr="1000")  # deadline in 8 days
        client_with(session, "Renewed", owner=bob, start=days(47), status=Status.RENEWED, mrr="1000")
        client_with(session, "Elsewhere", team_id=OTHER_TEAM, start=days(47), mrr="1000")

    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "Deadlines this week across the team" in text
    assert "2 contract changes need action" in text and "*$350.00* MRR at stake" in text


def test_digests_and_the_default_owner_are_shown(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        workspace = workspace_row(session)
        workspace.partner_owns_all = True
        other = workspace_row(session, OTHER_TEAM)
        session.add_all(
            [
                digest(workspace, "C0SALES", local_time="08:30", timezone="Europe/Madrid"),
                digest(workspace, "C0ARCHIVED", paused_reason="is_archived"),
                digest(workspace, "C0STOPPED", active=False),
                digest(other, "C0OTHER"),
            ]
        )

    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "<#C0SALES> at 08:30 Europe/Madrid, Monday to Friday, deadlines within 14 days · active" in text
    assert "<#C0ARCHIVED>" in text and "paused: the channel was archived" in text
    assert "C0STOPPED" not in text and "C0OTHER" not in text
    assert "The partner team, for every client without an owner of its own" in text


def digest(workspace: Workspace, channel: str, **fields: Any) -> DigestSubscription:
    assert workspace.id is not None
    return DigestSubscription(
        workspace_id=workspace.id, channel_id=channel, subscribed_by=BOB, subscribed_at=NOW, **fields
    )


def test_no_digest_yet_says_how_to_start_one(slack_app: SlackAppClient) -> None:
    text = mrkdwn_text(home_blocks(open_home(slack_app)))

    assert "No channel gets the daily digest yet" in text and "`/renewals digest on`" in text
    assert "HubSpot, for every client without an owner of its own" in text
    for command in ("`/renewals", "`/renewal &lt;client", "`/renewal-owner`"):
        assert command in text


# --- buttons on the Home tab ---------------------------------------------------------------------


def test_a_refused_home_click_is_answered_in_a_modal(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        acme = client_with(session, "Acme", owner=add_member(session, user_id=ALICE))
        acme_id = acme.id
    blocks = home_blocks(open_home(slack_app))

    click_on_home(slack_app, END, blocks)  # Alice is no admin

    modal = slack_app.wait_for("views.open").params["view"]
    assert modal["type"] == "modal" and modal["callback_id"] == "home_notice_modal"
    assert "admin" in mrkdwn_text(modal["blocks"])
    assert acme_id is not None and reload(slack_app.engine, acme_id).association_ended_at is None


def test_a_home_button_opens_its_modal_and_the_submission_publishes_the_home_again(
    slack_app: SlackAppClient,
) -> None:
    with db(slack_app.engine) as session:
        alice = add_member(session, user_id=ALICE)
        acme = client_with(session, "Acme", owner=alice, start=days(60))
        client_with(session, "Beta", owner=alice, start=days(80))
        acme_id = acme.id
    blocks = home_blocks(open_home(slack_app))

    click_on_home(slack_app, CHANGE_OWNER, blocks)  # Acme's, the first row
    modal = slack_app.wait_for("views.open").params["view"]
    assert modal["callback_id"] == "change_owner_modal"
    hubspot = {"owner_kind": {"type": "radio_buttons", "selected_option": {"value": "hubspot"}}}
    reply = slack_app.view_submission(view_submission_payload(modal, {"owner_kind_input": hubspot}))

    assert reply.json() == {}  # the modal closes
    again = slack_app.wait_for("views.publish", count=2, where=lambda c: c.params["user_id"] == ALICE)
    assert row_names(home_blocks(again)) == ["Beta"]  # Acme is HubSpot's now
    assert acme_id is not None and reload(slack_app.engine, acme_id).owner_kind is OwnerKind.HUBSPOT
    assert [event.actor for event in events(slack_app.engine, "change_owner")] == [ALICE]
    assert slack_app.fake.calls_to("response_url") == []


def test_reassigning_a_contact_from_the_home_tab_publishes_it_again(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        client_with(session, "Acme", owner=add_member(session, user_id=ALICE), contacts=2)
    blocks = home_blocks(open_home(slack_app))

    click_on_home(slack_app, REASSIGN, blocks)
    modal = slack_app.wait_for("views.open").params["view"]
    select = next(b["element"] for b in modal["blocks"] if b["type"] == "input")
    contact = select["options"][1]["value"]
    state = {"contact_input": {"contact_select": static_select(contact)}}
    assert slack_app.view_submission(view_submission_payload(modal, state)).json() == {}

    slack_app.wait_for("views.publish", count=2, where=lambda c: c.params["user_id"] == ALICE)
    assert [event.actor for event in events(slack_app.engine, "reassign_contact")] == [ALICE]


def test_an_admin_ending_an_association_from_the_home_tab_sees_it_gone(admin_app: SlackAppClient) -> None:
    with db(admin_app.engine) as session:
        alice = add_member(session, user_id=ALICE)
        acme = client_with(session, "Acme", owner=alice, start=days(60))
        client_with(session, "Beta", owner=alice, start=days(80))
        acme_id = acme.id
    blocks = home_blocks(open_home(admin_app))

    click_on_home(admin_app, END, blocks)

    again = admin_app.wait_for("views.publish", count=2, where=lambda c: c.params["user_id"] == ALICE)
    assert row_names(home_blocks(again)) == ["Beta"]
    notice = admin_app.wait_for("views.open").params["view"]
    assert "Ended the association with *Acme*" in mrkdwn_text(notice["blocks"])
    assert acme_id is not None and reload(admin_app.engine, acme_id).association_ended_at is not None
    assert admin_app.fake.calls_to("response_url") == []


def test_a_home_button_naming_another_workspace_changes_nothing(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        theirs = client_with(session, "Theirs", team_id=OTHER_TEAM)
        theirs_id = theirs.id
    assert theirs_id is not None
    forged = [client_action_buttons(theirs_id, OTHER_TEAM, association_active=True).to_dict()]

    click_on_home(slack_app, CHANGE_OWNER, forged)

    notice = slack_app.wait_for("views.open").params["view"]
    assert notice["callback_id"] == "home_notice_modal"
    assert "another Slack workspace" in mrkdwn_text(notice["blocks"])
