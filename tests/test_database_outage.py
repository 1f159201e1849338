"""During a database outage Slack still gets its ack (HTTP 200) for every kind of request,
and the person is told to try again, in the place that request can be answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blocks.ids import ActionId, BlockId, ViewId
from blocks.values import ClientRef, PageRef, encode
from tests.app_client import SlackAppClient, start_slack_app
from tests.fake_slack import FakeSlack
from tests.slack_requests import (
    TEAM_ID,
    block_actions_payload,
    block_suggestion_payload,
    checkboxes,
    view_submission_payload,
)

TRY_AGAIN = "try again"


@pytest.fixture
def app_without_database(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[SlackAppClient]:
    """The app served as usual, with a database that cannot be opened (its folder is missing)."""
    client, stop = start_slack_app(fake_slack, f"sqlite:///{tmp_path}/gone/renewals.db")
    fake_slack.clear()  # the app's own start-up auth.test
    try:
        yield client
    finally:
        stop()


@pytest.mark.parametrize(
    ("command", "text"),
    [("/renewals", "acme"), ("/renewal", "acme"), ("/renewal-owner", ""), ("/renewals", "digest status")],
)
def test_a_slash_command_is_acked_and_the_person_told_to_try_again(
    app_without_database: SlackAppClient, command: str, text: str
) -> None:
    reply = app_without_database.command(command, text)

    assert reply.status == 200
    told = app_without_database.wait_for("response_url")
    assert TRY_AGAIN in told.params["text"]
    assert told.params["response_type"] == "ephemeral"


def test_a_page_button_is_acked_and_the_person_told_to_try_again(
    app_without_database: SlackAppClient, fake_slack: FakeSlack
) -> None:
    value = encode(PageRef(offset=20, team_id=TEAM_ID))

    reply = app_without_database.action(block_actions_payload(ActionId.NEXT_PAGE, value, fake=fake_slack))

    assert reply.status == 200
    assert TRY_AGAIN in app_without_database.wait_for("response_url").params["text"]


def test_a_client_button_is_acked_and_the_person_told_to_try_again(
    app_without_database: SlackAppClient, fake_slack: FakeSlack
) -> None:
    value = encode(ClientRef(client_id=1, team_id=TEAM_ID))

    reply = app_without_database.action(
        block_actions_payload(ActionId.REASSIGN_CONTACT, value, fake=fake_slack)
    )

    assert reply.status == 200
    assert TRY_AGAIN in app_without_database.wait_for("response_url").params["text"]


def test_a_modal_submission_is_acked_with_the_message_under_its_input(
    app_without_database: SlackAppClient,
) -> None:
    view = {
        "callback_id": ViewId.COLUMNS.value,
        "private_metadata": encode(PageRef(team_id=TEAM_ID)),
        "blocks": [{"type": "input", "block_id": BlockId.COLUMNS_INPUT.value, "element": {}}],
    }
    state = {BlockId.COLUMNS_INPUT.value: {ActionId.COLUMNS_CHECKBOXES.value: checkboxes(["website"])}}

    reply = app_without_database.view_submission(view_submission_payload(view, state))

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert TRY_AGAIN in answer["errors"][BlockId.COLUMNS_INPUT.value]


def test_an_options_load_is_acked_with_no_options(app_without_database: SlackAppClient) -> None:
    view = {
        "callback_id": ViewId.REASSIGN_CONTACT.value,
        "private_metadata": encode(ClientRef(client_id=1, team_id=TEAM_ID)),
    }
    payload = block_suggestion_payload(
        ActionId.CONTACT_SELECT.value, "ann", block_id=BlockId.CONTACT_INPUT.value, view=view
    )

    reply = app_without_database.suggestion(payload)

    assert reply.status == 200
    assert reply.json() == {"options": []}


def test_opening_the_home_tab_is_acked(app_without_database: SlackAppClient) -> None:
    reply = app_without_database.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})

    assert reply.status == 200
