"""Changing a client's communication owner end to end: the button -> views.open -> view_submission
-> database -> the detail refreshed, all through signed requests; stale buttons and modals refused.

The fake Slack validates every message and view the app sends (checked at teardown).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine
from sqlmodel import Session

from store.models import PartnerMember
from store.rules import OwnerKind
from tests.app_client import SlackAppClient
from tests.client_support import (
    CHANGE_OWNER,
    NOW,
    blocks_text,
    click,
    db,
    detail,
    events,
    opened_view,
    reload,
    seed,
)
from tests.factories import add_member
from tests.fake_slack import FakeSlack
from tests.slack_requests import block_actions_payload, users_select, view_submission_payload


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def test_change_owner_to_a_slack_user_links_their_imported_email(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(slack_app)
    with db(slack_app.engine) as session:
        imported = add_member(session, email="Bob@Agency.com")
        imported_id = imported.id
    fake_slack.add_user("U0BOB", email="bob@agency.com", name="Bob Agent")
    click(slack_app, CHANGE_OWNER, detail(slack_app))
    view = opened_view(slack_app)
    assert view["title"]["text"] == "Change owner"
    radio = view["blocks"][1]["element"]
    assert radio["action_id"] == "owner_kind"
    assert [o["text"]["text"] for o in radio["options"]] == ["HubSpot", "A partner team member"]

    reply = slack_app.view_submission(
        view_submission_payload(
            view,
            {
                "owner_kind_input": {
                    "owner_kind": {"type": "radio_buttons", "selected_option": {"value": "partner"}}
                },
                "owner_input": {"owner_select": users_select("U0BOB")},
            },
        )
    )

    assert reply.json() == {}
    client = reload(slack_app.engine, client_id)
    assert client.owner_kind is OwnerKind.PARTNER and client.owner_member_id == imported_id
    with Session(slack_app.engine) as session:
        member = session.get(PartnerMember, imported_id)
        assert member is not None and (member.slack_user_id, member.name) == ("U0BOB", "Bob Agent")
    [event] = events(slack_app.engine, "change_owner")
    assert event.actor == "U0ALICE"
    assert event.before == {"owner": "default", "member_user": None, "member_email": None}
    assert event.after == {"owner": "partner", "member_user": "U0BOB", "member_email": "Bob@Agency.com"}
    refreshed = slack_app.wait_for("response_url", count=2).params
    assert "*Communication owner*\n<@U0BOB>" in blocks_text(refreshed["blocks"])


def test_change_owner_to_a_user_slack_gives_no_profile_for_still_sets_them(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(slack_app)
    click(slack_app, CHANGE_OWNER, detail(slack_app))
    view = opened_view(slack_app)
    fake_slack.fail("users.info", error="user_not_found")

    reply = slack_app.view_submission(
        view_submission_payload(
            view,
            {
                "owner_kind_input": {
                    "owner_kind": {"type": "radio_buttons", "selected_option": {"value": "partner"}}
                },
                "owner_input": {"owner_select": users_select("U0NOPROFILE")},
            },
        )
    )

    assert reply.json() == {}
    client = reload(slack_app.engine, client_id)
    assert client.owner_kind is OwnerKind.PARTNER
    with Session(slack_app.engine) as session:
        member = session.get(PartnerMember, client.owner_member_id)
        assert member is not None and member.slack_user_id == "U0NOPROFILE"


def test_change_owner_to_hubspot(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    client_id = seed(slack_app)
    click(slack_app, CHANGE_OWNER, detail(slack_app))

    slack_app.view_submission(
        view_submission_payload(
            opened_view(slack_app),
            {
                "owner_kind_input": {
                    "owner_kind": {"type": "radio_buttons", "selected_option": {"value": "hubspot"}}
                }
            },
        )
    )

    slack_app.wait_for("response_url", count=2)
    assert reload(slack_app.engine, client_id).owner_kind is OwnerKind.HUBSPOT
    assert events(slack_app.engine, "change_owner")[0].after["owner"] == "hubspot"


@pytest.mark.parametrize(
    ("user", "message"),
    [(None, "Choose the partner team member."), ("U0ROBOT", "Choose a person, not a bot.")],
)
def test_change_owner_to_a_partner_needs_a_real_person(
    slack_app: SlackAppClient, fake_slack: FakeSlack, user: str | None, message: str
) -> None:
    client_id = seed(slack_app)
    fake_slack.add_user("U0ROBOT", name="Robot")["is_bot"] = True
    click(slack_app, CHANGE_OWNER, detail(slack_app))

    reply = slack_app.view_submission(
        view_submission_payload(
            opened_view(slack_app),
            {
                "owner_kind_input": {
                    "owner_kind": {"type": "radio_buttons", "selected_option": {"value": "partner"}}
                },
                "owner_input": {"owner_select": users_select(user)},
            },
        )
    )

    assert reply.json() == {"response_action": "errors", "errors": {"owner_input": message}}
    assert reload(slack_app.engine, client_id).owner_kind is None
    assert events(slack_app.engine) == []


def test_a_stale_button_value_asks_to_run_renewal_again(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    slack_app.action(block_actions_payload(CHANGE_OWNER, "not json", fake=fake_slack))

    reply = slack_app.wait_for("response_url").params
    assert reply["text"] == "This message is out of date. Run `/renewal` again."


def test_a_stale_modal_is_refused_in_the_modal(slack_app: SlackAppClient) -> None:
    seed(slack_app)
    view = {"callback_id": "change_owner_modal", "private_metadata": json.dumps({"v": 99})}

    reply = slack_app.view_submission(view_submission_payload(view, {}))

    assert "out of date" in reply.json()["errors"]["owner_kind_input"]
