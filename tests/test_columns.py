"""Choosing columns: `/renewals columns` or the table's Columns button -> modal -> saved per user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from sqlmodel import Session, select

from store.models import AuditEvent, UserPreference
from tests.app_client import SlackAppClient
from tests.factories import NOON, seed_client
from tests.fake_slack import FakeSlack
from tests.renewals_data import table_rows
from tests.slack_requests import block_actions_payload, button_value, checkboxes, view_submission_payload

LOCKED_HEADER = ["Client name", "Communication owner", "Contract type", "Status", "Renewal deadline"]


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


def open_modal(slack_app: SlackAppClient, user_id: str = "U0ALICE") -> dict:  # type: ignore[type-arg]
    before = len(slack_app.fake.calls_to("views.open"))
    assert slack_app.command("/renewals", "columns", user_id=user_id, trigger_id="trigger-cols").status == 200
    call = slack_app.wait_for("views.open", count=before + 1)
    assert call.params["trigger_id"] == "trigger-cols"
    return call.params["view"]


def submit(slack_app: SlackAppClient, view: dict, ticked: list[str], **kwargs: object):  # type: ignore[no-untyped-def,type-arg]
    state = {"columns_input": {"columns_checkboxes": checkboxes(ticked)}}
    return slack_app.view_submission(view_submission_payload(view, state, **kwargs))  # type: ignore[arg-type]


def header(slack_app: SlackAppClient, user_id: str = "U0ALICE") -> list[str]:
    before = len(slack_app.fake.calls_to("response_url"))
    slack_app.command("/renewals", "", user_id=user_id)
    return table_rows(slack_app.wait_for("response_url", count=before + 1))[0]


def test_columns_command_opens_a_modal_with_the_current_choice_ticked(slack_app: SlackAppClient) -> None:
    view = open_modal(slack_app)

    assert view["callback_id"] == "columns_modal"
    element = view["blocks"][1]["element"]
    assert element["type"] == "checkboxes" and element["action_id"] == "columns_checkboxes"
    assert [o["value"] for o in element["options"]] == [
        "primary_contact",
        "website",
        "hub_id",
        "start_date",
        "max_contacts",
        "email_limit",
        "billing_frequency",
        "subscription_term",
        "current_mrr",
        "estimated_new_mrr",
    ]
    assert [o["value"] for o in element["initial_options"]] == ["primary_contact"]
    locked_text = view["blocks"][0]["text"]["text"]
    assert all(label in locked_text for label in LOCKED_HEADER)


def test_saved_columns_are_remembered_audited_and_used_by_the_next_table(
    slack_app: SlackAppClient, session: Session
) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60, "mrr": "500"}])
    view = open_modal(slack_app)

    reply = submit(slack_app, view, ["website", "current_mrr"])

    assert reply.status == 200
    assert reply.json()["response_action"] == "update"
    assert header(slack_app) == [*LOCKED_HEADER[:5], "Website", "Current MRR"]
    preference = session.exec(select(UserPreference)).one()
    assert (preference.user_id, preference.columns) == ("U0ALICE", ["website", "current_mrr"])
    event = session.exec(select(AuditEvent)).one()
    assert event.actor == "U0ALICE"
    assert event.before == {"columns": ["primary_contact"]}
    assert event.after == {"columns": ["website", "current_mrr"]}
    # and the modal shows the new choice next time
    again = open_modal(slack_app)
    assert [o["value"] for o in again["blocks"][1]["element"]["initial_options"]] == [
        "website",
        "current_mrr",
    ]


def test_saving_shows_the_columns_the_next_tables_will_have(slack_app: SlackAppClient) -> None:
    view = open_modal(slack_app)

    reply = submit(slack_app, view, ["website"])

    saved = reply.json()["view"]
    assert saved["callback_id"] == "columns_modal_saved"
    assert saved["blocks"][0]["text"]["text"] == (
        "Saved. Your next `/renewals` tables show: " + ", ".join([*LOCKED_HEADER, "Website"]) + "."
    )


def test_the_tables_columns_button_opens_the_same_modal(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])
    slack_app.command("/renewals", "")
    table = slack_app.wait_for("response_url")

    payload = block_actions_payload(
        "renewals_columns", button_value(table, "renewals_columns"), fake=fake_slack, trigger_id="trigger-btn"
    )
    assert slack_app.action(payload).status == 200

    opened = slack_app.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-btn"
    assert opened.params["view"]["callback_id"] == "columns_modal"


def test_unticking_everything_leaves_the_locked_columns(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])
    view = open_modal(slack_app)

    submit(slack_app, view, [])

    assert header(slack_app) == LOCKED_HEADER


def test_unknown_or_locked_column_values_are_ignored(slack_app: SlackAppClient, session: Session) -> None:
    view = open_modal(slack_app)

    submit(slack_app, view, ["client", "secret_column", "hub_id"])

    assert session.exec(select(UserPreference)).one().columns == ["hub_id"]


def test_columns_are_per_person(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])
    submit(slack_app, open_modal(slack_app, "U0ALICE"), ["hub_id"], user_id="U0ALICE")

    assert "Hub ID" in header(slack_app, "U0ALICE")
    assert header(slack_app, "U0BOB") == [*LOCKED_HEADER[:2], "Primary client contact", *LOCKED_HEADER[2:]]


def test_a_columns_form_from_another_workspace_is_refused(
    slack_app: SlackAppClient, session: Session
) -> None:
    view = open_modal(slack_app)  # metadata names T0TEAM1

    reply = submit(slack_app, view, ["website"], team_id="T0OTHER")

    assert reply.json()["response_action"] == "errors"
    assert session.exec(select(UserPreference)).all() == []
