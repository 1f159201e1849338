"""Reassigning a client's primary contact end to end: the button -> views.open -> view_submission
-> database -> the detail refreshed (or an ephemeral confirmation), all through signed requests.

The fake Slack validates every message and view the app sends (checked at teardown).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from blocks.client_actions import client_action_buttons
from blocks.values import ClientModalRef, encode
from tests.app_client import SlackAppClient
from tests.client_support import (
    NOW,
    REASSIGN,
    blocks_text,
    click,
    contact_id,
    db,
    detail,
    events,
    opened_view,
    primary_email,
    seed,
)
from tests.factories import OTHER_TEAM, TEAM, add_client
from tests.fake_slack import FakeSlack
from tests.slack_requests import static_select, view_submission_payload


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def test_reassign_contact_changes_it_records_it_and_refreshes_the_detail(slack_app: SlackAppClient) -> None:
    client_id = seed(slack_app)
    message = detail(slack_app)

    click(slack_app, REASSIGN, message)
    view = opened_view(slack_app)
    select_element = view["blocks"][1]["element"]
    assert view["title"]["text"] == "Reassign contact"
    assert select_element["type"] == "static_select"
    assert [o["text"]["text"] for o in select_element["options"]] == [
        "Ana Pérez <ana@acme.com>",
        "Bob Stone <bob@acme.com>",
    ]
    assert select_element["initial_option"]["text"]["text"] == "Ana Pérez <ana@acme.com>"

    bob = str(contact_id(slack_app, "bob@acme.com"))
    reply = slack_app.view_submission(
        view_submission_payload(view, {"contact_input": {"contact_select": static_select(bob)}})
    )

    assert reply.status == 200 and reply.json() == {}  # the modal closes
    assert primary_email(slack_app.engine, client_id) == "bob@acme.com"
    [event] = events(slack_app.engine, "reassign_contact")
    assert (event.actor, event.client_id) == ("U0ALICE", client_id)
    assert event.before == {"primary_contact": "Ana Pérez <ana@acme.com>"}
    assert event.after == {"primary_contact": "Bob Stone <bob@acme.com>"}
    refreshed = slack_app.wait_for("response_url", count=2).params
    assert refreshed["replace_original"] is True
    text = blocks_text(refreshed["blocks"])
    assert "*Primary contact*\nBob Stone &lt;bob@acme.com&gt;" in text
    assert "<@U0ALICE> reassigned the primary contact: Ana Pérez &lt;ana@acme.com&gt; → Bob Stone" in text


def test_reassign_contact_without_a_choice_is_refused_in_the_modal(slack_app: SlackAppClient) -> None:
    client_id = seed(slack_app)
    click(slack_app, REASSIGN, detail(slack_app))

    reply = slack_app.view_submission(
        view_submission_payload(
            opened_view(slack_app), {"contact_input": {"contact_select": static_select(None)}}
        )
    )

    assert reply.json() == {"response_action": "errors", "errors": {"contact_input": "Choose a contact."}}
    assert primary_email(slack_app.engine, client_id) == "ana@acme.com"
    assert events(slack_app.engine) == []


def test_reassign_to_another_clients_contact_is_refused(slack_app: SlackAppClient) -> None:
    client_id = seed(slack_app)
    with db(slack_app.engine) as session:
        add_client(session, "Other Co", "2002", contacts=[("Eve", "eve@other.co", None)])
    click(slack_app, REASSIGN, detail(slack_app))
    eve = str(contact_id(slack_app, "eve@other.co"))

    reply = slack_app.view_submission(
        view_submission_payload(
            opened_view(slack_app), {"contact_input": {"contact_select": static_select(eve)}}
        )
    )

    assert reply.json()["response_action"] == "errors"
    assert "not one of Acme Corp's contacts" in reply.json()["errors"]["contact_input"]
    assert primary_email(slack_app.engine, client_id) == "ana@acme.com"


def test_a_button_outside_the_detail_confirms_ephemerally_and_leaves_that_message_alone(
    slack_app: SlackAppClient,
) -> None:
    client_id = seed(slack_app)
    # A digest or table row: the same buttons, in a message that is not the client's detail.
    buttons = client_action_buttons(client_id, TEAM, association_active=True, block_id_suffix=str(client_id))
    message = {"text": "Digest", "blocks": [buttons.to_dict()]}
    click(slack_app, REASSIGN, message)
    bob = str(contact_id(slack_app, "bob@acme.com"))

    slack_app.view_submission(
        view_submission_payload(
            opened_view(slack_app), {"contact_input": {"contact_select": static_select(bob)}}
        )
    )

    confirmation = slack_app.wait_for("response_url").params
    assert confirmation["replace_original"] is False
    assert confirmation["response_type"] == "ephemeral"
    assert "*Acme Corp*'s primary contact is now Bob Stone &lt;bob@acme.com&gt;" in confirmation["text"]


def test_a_client_without_contacts_gets_an_explanation_not_a_modal(slack_app: SlackAppClient) -> None:
    seed(slack_app, contacts=0)

    click(slack_app, REASSIGN, detail(slack_app))

    reply = slack_app.wait_for("response_url", count=2).params
    assert "has no contacts to choose from" in reply["text"]
    slack_app.settle(quiet=0.1)
    assert slack_app.fake.calls_to("views.open") == []


def test_another_workspace_cannot_open_or_submit_this_workspaces_modal(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(slack_app)
    message = detail(slack_app)

    click(slack_app, REASSIGN, message, team_id=OTHER_TEAM)
    refused = slack_app.wait_for("response_url", count=2).params
    assert "belongs to another Slack workspace" in refused["text"]
    slack_app.settle(quiet=0.1)
    assert fake_slack.calls_to("views.open") == []

    # A modal of T1 submitted from T2 (say, replayed metadata): refused, nothing changes.
    click(slack_app, REASSIGN, message)
    view = opened_view(slack_app)
    bob = str(contact_id(slack_app, "bob@acme.com"))
    reply = slack_app.view_submission(
        view_submission_payload(
            view, {"contact_input": {"contact_select": static_select(bob)}}, team_id=OTHER_TEAM
        )
    )
    forged_view = {
        **view,
        "private_metadata": encode(ClientModalRef(client_id=client_id, team_id=OTHER_TEAM)),
    }
    forged = slack_app.view_submission(
        view_submission_payload(
            forged_view, {"contact_input": {"contact_select": static_select(bob)}}, team_id=OTHER_TEAM
        )
    )

    assert "another Slack workspace" in reply.json()["errors"]["contact_input"]
    assert "no longer in this workspace" in forged.json()["errors"]["contact_input"]
    assert primary_email(slack_app.engine, client_id) == "ana@acme.com"
    assert events(slack_app.engine) == []
