"""The client's buttons and modals as Block Kit, alone: valid, and within Slack's limits."""

from __future__ import annotations

import json

from blocks.client_actions import client_action_buttons
from blocks.modals import change_owner_modal, end_reason_modal, reassign_contact_modal
from blocks.values import ClientModalRef, encode
from store.models import Client, Contact
from store.rules import Owner, OwnerKind
from tests.client_support import NOW
from tests.factories import TEAM
from tests.fake_slack import block_problems


def test_a_button_carries_the_client_and_its_team() -> None:
    buttons = client_action_buttons(1, TEAM, association_active=True, block_id_suffix="1").to_dict()

    assert json.loads(buttons["elements"][0]["value"]) == {"v": 1, "client_id": 1, "team_id": TEAM}


def test_two_clients_buttons_can_share_a_message() -> None:
    first = client_action_buttons(
        1, TEAM, association_active=True, block_id_suffix="1", client_name="A" * 500
    )
    second = client_action_buttons(2, TEAM, association_active=False, block_id_suffix="2")
    blocks = [first.to_dict(), second.to_dict()]

    assert block_problems(blocks, max_blocks=50) == []
    assert [b["block_id"] for b in blocks] == ["client_actions:1", "client_actions:2"]


def test_an_ended_association_offers_restore_in_place_of_end() -> None:
    buttons = client_action_buttons(2, TEAM, association_active=False, block_id_suffix="2").to_dict()

    assert [e["text"]["text"] for e in buttons["elements"]] == [
        "Reassign contact",
        "Change owner",
        "Restore association",
    ]


def test_modals_stay_within_slacks_limits() -> None:
    from slack_sdk.models.views import View

    client = Client(id=1, workspace_id=1, hub_id="1", name="<!channel> " + "x" * 2000, name_folded="x")
    contacts = [
        Contact(id=n, workspace_id=1, client_id=1, name="N" * 300, email=f"{n}@x.io", role="R" * 200)
        for n in range(100)
    ]
    metadata = encode(
        ClientModalRef(client_id=1, team_id=TEAM, response_url="https://hooks.slack.com/" + "a" * 1900)
    )
    views = [
        reassign_contact_modal(
            client, contacts=contacts, total_contacts=100, current=contacts[5], private_metadata=metadata
        ),
        reassign_contact_modal(
            client, contacts=[], total_contacts=5000, current=contacts[5], private_metadata=metadata
        ),
        change_owner_modal(
            client, owner=Owner(kind=OwnerKind.PARTNER, slack_user_id="U1"), private_metadata=metadata
        ),
    ]
    client.association_ended_at = NOW
    client.association_ended_by = "U0BOSS"
    client.association_end_reason = "<!channel> " + "r" * 989
    ended_metadata = encode(
        ClientModalRef(
            client_id=1, team_id=TEAM, response_url="https://hooks.slack.com/" + "a" * 1900, ended_at=NOW
        ),
        limit=3000,
    )
    views.append(end_reason_modal(client, private_metadata=ended_metadata))
    for view in views:
        as_dict = view.to_dict()
        View(**as_dict).validate_json()
        assert block_problems(as_dict["blocks"], max_blocks=100) == []
        assert "<!channel>" not in json.dumps(as_dict["blocks"][0])
