"""A client's buttons and modals end to end: click -> views.open -> view_submission -> database
-> the original message refreshed (or an ephemeral confirmation), all through signed requests.

The fake Slack validates every message and view the app sends (checked at teardown).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from slack_sdk.models.blocks import Option
from sqlmodel import Session, select

from blocks.client_actions import client_action_buttons
from blocks.modals import change_owner_modal, end_reason_modal, reassign_contact_modal
from blocks.values import ClientModalRef, ClientRef, encode
from store.clients import end_association
from store.models import Client, Contact, PartnerMember
from store.rules import Owner, OwnerKind
from tests.app_client import SlackAppClient
from tests.client_support import NOW, blocks_text, db, events, mrkdwn_text, primary_email, reload
from tests.factories import OTHER_TEAM, TEAM, add_client, add_member, days, full_change
from tests.fake_slack import FakeSlack, block_problems
from tests.slack_requests import (
    block_actions_payload,
    block_suggestion_payload,
    external_select,
    find_element,
    plain_text_input,
    static_select,
    users_select,
    view_submission_payload,
)

REASSIGN = "client_reassign_contact"
CHANGE_OWNER = "client_change_owner"
END = "client_end_association"
RESTORE = "client_restore_association"
ADD_REASON = "client_add_end_reason"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def seed(app: SlackAppClient, *, contacts: int = 2, team_id: str = TEAM, hub_id: str = "1001") -> int:
    with db(app.engine) as session:
        people = [("Ana Pérez", "ana@acme.com", "Marketing lead"), ("Bob Stone", "bob@acme.com", None)]
        people += [(f"Person {n:03d}", f"p{n:03d}@acme.com", None) for n in range(contacts - 2)]
        acme = add_client(
            session,
            "Acme Corp",
            hub_id,
            team_id=team_id,
            domain="acme.com",
            contacts=people[:contacts],
            primary="ana@acme.com" if contacts else None,
        )
        full_change(session, acme, days(60))
        assert acme.id is not None
        return acme.id


def contact_id(app: SlackAppClient, email: str) -> int:
    with Session(app.engine) as session:
        contact = session.exec(select(Contact).where(Contact.email == email)).one()
        assert contact.id is not None
        return contact.id


def detail(app: SlackAppClient, text: str = "1001", **kwargs: Any) -> dict[str, Any]:
    before = len(app.fake.calls_to("response_url"))
    app.command("/renewal", text, **kwargs)
    return app.wait_for("response_url", count=before + 1).params


def click(
    app: SlackAppClient, action_id: str, message: dict[str, Any], *, user_id: str = "U0ALICE", **kwargs: Any
) -> None:
    value = find_element(message["blocks"], action_id)["value"]
    payload = block_actions_payload(
        action_id,
        value,
        user_id=user_id,
        block_id="client_actions",
        message={"type": "message", "text": message["text"], "blocks": message["blocks"]},
        fake=app.fake,
        **kwargs,
    )
    assert app.action(payload).status == 200


def opened_view(app: SlackAppClient, count: int = 1) -> dict[str, Any]:
    return app.wait_for("views.open", count=count).params["view"]


# --- reassign contact ---------------------------------------------------------------------


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


def test_more_than_100_contacts_use_a_type_ahead_served_by_block_suggestion(
    slack_app: SlackAppClient,
) -> None:
    client_id = seed(slack_app, contacts=250)
    click(slack_app, REASSIGN, detail(slack_app))
    view = opened_view(slack_app)
    element = view["blocks"][1]["element"]
    assert element["type"] == "external_select"
    assert element["initial_option"]["value"] == str(contact_id(slack_app, "ana@acme.com"))

    everyone = slack_app.suggestion(
        block_suggestion_payload("contact_select", "", block_id="contact_input", view=view)
    )
    some = slack_app.suggestion(
        block_suggestion_payload("contact_select", "person 12", block_id="contact_input", view=view)
    )
    accents = slack_app.suggestion(
        block_suggestion_payload("contact_select", "PEREZ", block_id="contact_input", view=view)
    )

    assert len(everyone.json()["options"]) == 100
    assert [o["text"]["text"] for o in some.json()["options"]] == [
        f"Person {n} <p{n}@acme.com>" for n in range(120, 130)
    ]
    assert [o["text"]["text"] for o in accents.json()["options"]] == ["Ana Pérez <ana@acme.com>"]
    for reply in (everyone, some, accents):
        for option in reply.json()["options"]:
            Option(**option).validate_json()

    chosen = some.json()["options"][0]["value"]
    slack_app.view_submission(
        view_submission_payload(view, {"contact_input": {"contact_select": external_select(chosen)}})
    )
    slack_app.wait_for("response_url", count=2)
    assert primary_email(slack_app.engine, client_id) == "p120@acme.com"


def test_suggestions_for_another_workspaces_modal_are_empty(slack_app: SlackAppClient) -> None:
    seed(slack_app, contacts=150)
    click(slack_app, REASSIGN, detail(slack_app))
    view = opened_view(slack_app)

    reply = slack_app.suggestion(
        block_suggestion_payload(
            "contact_select", "", block_id="contact_input", team_id=OTHER_TEAM, view=view
        )
    )

    assert reply.json() == {"options": []}


# --- change owner -------------------------------------------------------------------------


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


# --- end and restore association (admins only) ---------------------------------------------


def test_a_member_who_is_not_an_admin_cannot_end_an_association(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(slack_app)
    fake_slack.add_user("U0MEMBER")

    click(slack_app, END, detail(slack_app), user_id="U0MEMBER")

    reply = slack_app.wait_for("response_url", count=2).params
    assert "Only admins can end an association" in reply["text"]
    assert reply["replace_original"] is False
    assert reload(slack_app.engine, client_id).association_ended_at is None
    assert events(slack_app.engine) == []


def test_a_slack_admin_ends_an_association_and_the_detail_offers_restore(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(slack_app)
    fake_slack.add_user("U0BOSS", is_admin=True)

    click(slack_app, END, detail(slack_app), user_id="U0BOSS")

    refreshed = slack_app.wait_for("response_url", count=2).params
    client = reload(slack_app.engine, client_id)
    assert client.association_ended_at is not None and client.association_ended_by == "U0BOSS"
    [event] = events(slack_app.engine, "end_association")
    assert event.actor == "U0BOSS" and event.after == {"association": "ended", "reason": None}
    assert refreshed["replace_original"] is True
    labels = [e["text"]["text"] for e in refreshed["blocks"][-1]["elements"]]
    assert labels == ["Reassign contact", "Change owner", "Restore association"]
    assert "*Association*\nEnded" in blocks_text(refreshed["blocks"])


def test_an_admin_listed_in_renewals_admins_restores_an_association(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed(admin_app)
    fake_slack.add_user("U0MEMBER")
    click(admin_app, END, detail(admin_app), user_id="U0LISTED")
    ended = admin_app.wait_for("response_url", count=2).params

    click(admin_app, RESTORE, ended, user_id="U0MEMBER")
    refused = admin_app.wait_for("response_url", count=3).params
    assert "Only admins can restore an association" in refused["text"]
    assert reload(admin_app.engine, client_id).association_ended_at is not None

    click(admin_app, RESTORE, ended, user_id="U0LISTED")
    restored = admin_app.wait_for("response_url", count=4).params

    client = reload(admin_app.engine, client_id)
    assert client.association_ended_at is None and client.association_ended_by is None
    assert [e.action for e in events(admin_app.engine)] == ["end_association", "restore_association"]
    assert events(admin_app.engine)[1].before["ended_by"] == "U0LISTED"
    assert [e["text"]["text"] for e in restored["blocks"][-1]["elements"]][-1] == "End association"


def test_ending_from_a_digest_confirms_ephemerally(admin_app: SlackAppClient) -> None:
    client_id = seed(admin_app)
    buttons = client_action_buttons(
        client_id, TEAM, association_active=True, block_id_suffix=str(client_id), client_name="Acme Corp"
    )

    click(admin_app, END, {"text": "Digest", "blocks": [buttons.to_dict()]}, user_id="U0LISTED")

    reply = admin_app.wait_for("response_url").params
    assert reply["replace_original"] is False
    assert "Ended the association with *Acme Corp*" in reply["text"]


# --- why an association ended (admins) ----------------------------------------------------


def reason_state(text: str | None) -> dict[str, Any]:
    return {"end_reason_input": {"end_reason": plain_text_input(text)}}


def end_and_open_reason(app: SlackAppClient, *, user_id: str = "U0LISTED") -> tuple[int, dict[str, Any]]:
    """Seed Acme, end its association from /renewal, click "Add a reason": (client ID, the modal)."""
    client_id = seed(app)
    click(app, END, detail(app), user_id=user_id)
    ended = app.wait_for("response_url", count=2).params
    click(app, ADD_REASON, ended, user_id=user_id)
    return client_id, opened_view(app)


def test_end_then_add_a_reason_records_it_audits_it_and_the_detail_shows_it(
    admin_app: SlackAppClient,
) -> None:
    client_id = seed(admin_app)
    click(admin_app, END, detail(admin_app), user_id="U0LISTED")
    ended = admin_app.wait_for("response_url", count=2).params
    assert reload(admin_app.engine, client_id).association_ended_at is not None  # at once, no modal
    assert "by <@U0LISTED>: no reason recorded" in blocks_text(ended["blocks"])
    assert find_element(ended["blocks"], ADD_REASON)["text"]["text"] == "Add a reason"
    # The buttons row is unchanged: "Restore association" stays last.
    assert [e["text"]["text"] for e in ended["blocks"][-1]["elements"]][-1] == "Restore association"

    click(admin_app, ADD_REASON, ended, user_id="U0LISTED")
    view = opened_view(admin_app)
    assert (view["title"]["text"], view["submit"]["text"]) == ("Why it ended", "Save reason")
    element = view["blocks"][1]["element"]
    assert (element["type"], element["multiline"], element["max_length"]) == ("plain_text_input", True, 1000)
    assert view["blocks"][1].get("optional", False) is False

    reply = admin_app.view_submission(
        view_submission_payload(view, reason_state("  Moved to another agency  "), user_id="U0LISTED")
    )

    assert reply.status == 200 and reply.json() == {}
    assert reload(admin_app.engine, client_id).association_end_reason == "Moved to another agency"
    [event] = events(admin_app.engine, "end_association_reason")
    assert (event.actor, event.client_id) == ("U0LISTED", client_id)
    assert (event.before, event.after) == ({"reason": None}, {"reason": "Moved to another agency"})
    refreshed = admin_app.wait_for("response_url", count=3).params
    assert refreshed["replace_original"] is True
    text = blocks_text(refreshed["blocks"])
    assert "*Association*\nEnded <!date^" in text
    assert "by <@U0LISTED>: Moved to another agency" in text
    assert "<@U0LISTED> said why the association ended: Moved to another agency" in text


def test_renewal_for_an_ended_client_without_a_reason_says_so_and_offers_add_a_reason(
    slack_app: SlackAppClient,
) -> None:
    client_id = seed(slack_app)
    with db(slack_app.engine) as session:
        acme = session.get(Client, client_id)
        assert acme is not None
        end_association(acme, session=session, actor="U0BOSS")

    blocks = detail(slack_app)["blocks"]

    assert "Ended <!date^" in blocks_text(blocks) and "by <@U0BOSS>: no reason recorded" in blocks_text(
        blocks
    )
    value = json.loads(find_element(blocks, ADD_REASON)["value"])
    assert value == {"v": 1, "client_id": client_id, "team_id": TEAM}


def test_the_modal_is_prefilled_with_the_recorded_reason_and_a_change_is_audited(
    admin_app: SlackAppClient,
) -> None:
    client_id, view = end_and_open_reason(admin_app)
    admin_app.view_submission(view_submission_payload(view, reason_state("Budget"), user_id="U0LISTED"))
    refreshed = admin_app.wait_for("response_url", count=3).params

    click(admin_app, ADD_REASON, refreshed, user_id="U0LISTED")
    again = opened_view(admin_app, count=2)
    assert again["blocks"][1]["element"]["initial_value"] == "Budget"
    admin_app.view_submission(view_submission_payload(again, reason_state("Budget cuts"), user_id="U0LISTED"))
    latest = admin_app.wait_for("response_url", count=4).params

    assert reload(admin_app.engine, client_id).association_end_reason == "Budget cuts"
    assert [e.after for e in events(admin_app.engine, "end_association_reason")] == [
        {"reason": "Budget"},
        {"reason": "Budget cuts"},
    ]
    assert "changed why the association ended: Budget → Budget cuts" in blocks_text(latest["blocks"])


def test_an_empty_reason_is_refused_in_the_modal(admin_app: SlackAppClient) -> None:
    client_id, view = end_and_open_reason(admin_app)

    reply = admin_app.view_submission(
        view_submission_payload(view, reason_state("  \n  "), user_id="U0LISTED")
    )

    assert reply.json() == {
        "response_action": "errors",
        "errors": {"end_reason_input": "Write why the association ended."},
    }
    assert reload(admin_app.engine, client_id).association_end_reason is None
    assert events(admin_app.engine, "end_association_reason") == []


def test_a_member_who_is_not_an_admin_cannot_add_a_reason(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0MEMBER")
    client_id, view = end_and_open_reason(admin_app)
    ended = admin_app.wait_for("response_url", count=2).params

    click(admin_app, ADD_REASON, ended, user_id="U0MEMBER")
    refused = admin_app.wait_for("response_url", count=3).params
    # The admin's modal, submitted by the member (say, a replayed payload): refused in the modal.
    reply = admin_app.view_submission(view_submission_payload(view, reason_state("Mine"), user_id="U0MEMBER"))

    assert "Only admins can end an association" in refused["text"]
    assert refused["replace_original"] is False
    admin_app.settle(quiet=0.1)
    assert len(fake_slack.calls_to("views.open")) == 1  # the admin's only
    assert "Only admins can end an association" in reply.json()["errors"]["end_reason_input"]
    assert reload(admin_app.engine, client_id).association_end_reason is None
    assert events(admin_app.engine, "end_association_reason") == []


def test_a_reason_for_an_association_restored_meanwhile_is_refused_in_the_modal(
    admin_app: SlackAppClient,
) -> None:
    client_id, view = end_and_open_reason(admin_app)
    ended = admin_app.wait_for("response_url", count=2).params
    click(admin_app, RESTORE, ended, user_id="U0LISTED")
    admin_app.wait_for("response_url", count=3)

    reply = admin_app.view_submission(
        view_submission_payload(view, reason_state("Too late"), user_id="U0LISTED")
    )

    assert reply.json()["response_action"] == "errors"
    assert "was restored since this form was opened" in reply.json()["errors"]["end_reason_input"]
    client = reload(admin_app.engine, client_id)
    assert client.association_ended_at is None and client.association_end_reason is None
    assert events(admin_app.engine, "end_association_reason") == []


def test_a_reason_for_an_earlier_ending_does_not_land_on_a_later_one(admin_app: SlackAppClient) -> None:
    client_id, view = end_and_open_reason(admin_app)
    ended = admin_app.wait_for("response_url", count=2).params
    click(admin_app, RESTORE, ended, user_id="U0LISTED")
    restored = admin_app.wait_for("response_url", count=3).params
    click(admin_app, END, restored, user_id="U0LISTED")
    admin_app.wait_for("response_url", count=4)

    reply = admin_app.view_submission(
        view_submission_payload(view, reason_state("Old news"), user_id="U0LISTED")
    )

    assert "restored and ended again" in reply.json()["errors"]["end_reason_input"]
    assert reload(admin_app.engine, client_id).association_end_reason is None


def test_a_reason_is_escaped_wherever_it_shows(admin_app: SlackAppClient) -> None:
    client_id, view = end_and_open_reason(admin_app)
    reason = "<!channel> & <@U0BOB> took them"

    admin_app.view_submission(view_submission_payload(view, reason_state(reason), user_id="U0LISTED"))

    assert reload(admin_app.engine, client_id).association_end_reason == reason
    refreshed = admin_app.wait_for("response_url", count=3).params
    rendered = mrkdwn_text(refreshed["blocks"]) + refreshed["text"]
    assert "<!channel>" not in rendered and "<@U0BOB>" not in rendered
    assert "by <@U0LISTED>: &lt;!channel&gt; &amp; &lt;@U0BOB&gt; took them" in rendered
    # And in the modal, pre-filled as plain text (no mrkdwn there).
    click(admin_app, ADD_REASON, refreshed, user_id="U0LISTED")
    assert opened_view(admin_app, count=2)["blocks"][1]["element"]["initial_value"] == reason


def test_ending_from_a_digest_offers_add_a_reason_and_confirms_it_ephemerally(
    admin_app: SlackAppClient,
) -> None:
    client_id = seed(admin_app)
    buttons = client_action_buttons(
        client_id, TEAM, association_active=True, block_id_suffix=str(client_id), client_name="Acme Corp"
    )
    click(admin_app, END, {"text": "Digest", "blocks": [buttons.to_dict()]}, user_id="U0LISTED")
    ended = admin_app.wait_for("response_url").params
    assert "Ended the association with *Acme Corp*" in ended["text"]
    assert find_element(ended["blocks"], ADD_REASON)["text"]["text"] == "Add a reason"

    click(admin_app, ADD_REASON, ended, user_id="U0LISTED")
    admin_app.view_submission(
        view_submission_payload(opened_view(admin_app), reason_state("Closed down"), user_id="U0LISTED")
    )

    confirmation = admin_app.wait_for("response_url", count=2).params
    assert confirmation["replace_original"] is False and confirmation["response_type"] == "ephemeral"
    assert confirmation["text"] == "Recorded why the association with *Acme Corp* ended: Closed down"
    assert reload(admin_app.engine, client_id).association_end_reason == "Closed down"


def test_restoring_keeps_who_ended_it_when_and_why_in_the_history(admin_app: SlackAppClient) -> None:
    client_id, view = end_and_open_reason(admin_app)
    admin_app.view_submission(view_submission_payload(view, reason_state("Budget"), user_id="U0LISTED"))
    with_reason = admin_app.wait_for("response_url", count=3).params

    click(admin_app, RESTORE, with_reason, user_id="U0LISTED")
    restored = admin_app.wait_for("response_url", count=4).params

    client = reload(admin_app.engine, client_id)
    assert (client.association_ended_at, client.association_end_reason) == (None, None)
    [event] = events(admin_app.engine, "restore_association")
    assert (event.before["ended_by"], event.before["reason"]) == ("U0LISTED", "Budget")
    history = blocks_text(restored["blocks"])
    assert "<@U0LISTED> restored the association (ended <!date^" in history
    assert "by <@U0LISTED>: Budget)" in history
    with pytest.raises(AssertionError):  # an active association has nothing to explain
        find_element(restored["blocks"], ADD_REASON)


def test_another_workspace_cannot_add_a_reason_to_this_workspaces_client(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id, view = end_and_open_reason(admin_app)
    ended = admin_app.wait_for("response_url", count=2).params

    click(admin_app, ADD_REASON, ended, user_id="U0LISTED", team_id=OTHER_TEAM)
    forged = encode(ClientRef(client_id=client_id, team_id=OTHER_TEAM))
    admin_app.action(
        block_actions_payload(ADD_REASON, forged, user_id="U0LISTED", team_id=OTHER_TEAM, fake=fake_slack)
    )
    replayed = admin_app.view_submission(
        view_submission_payload(view, reason_state("Theirs"), user_id="U0LISTED", team_id=OTHER_TEAM)
    )
    forged_view = {
        **view,
        "private_metadata": encode(ClientModalRef(client_id=client_id, team_id=OTHER_TEAM)),
    }
    forged_reply = admin_app.view_submission(
        view_submission_payload(forged_view, reason_state("Theirs"), user_id="U0LISTED", team_id=OTHER_TEAM)
    )

    texts = {admin_app.wait_for("response_url", count=n).params["text"] for n in (3, 4)}
    assert any("belongs to another Slack workspace" in t for t in texts)
    assert any("no longer in this workspace" in t for t in texts)
    assert "another Slack workspace" in replayed.json()["errors"]["end_reason_input"]
    assert "no longer in this workspace" in forged_reply.json()["errors"]["end_reason_input"]
    admin_app.settle(quiet=0.1)
    assert len(fake_slack.calls_to("views.open")) == 1
    assert reload(admin_app.engine, client_id).association_end_reason is None
    assert events(admin_app.engine, "end_association_reason") == []


# --- other workspaces, stale values -------------------------------------------------------


def test_another_workspace_cannot_end_this_workspaces_client_even_as_its_admin(
    admin_app: SlackAppClient,
) -> None:
    client_id = seed(admin_app)
    message = detail(admin_app)

    click(admin_app, END, message, user_id="U0LISTED", team_id=OTHER_TEAM)
    forged = encode(ClientRef(client_id=client_id, team_id=OTHER_TEAM))
    admin_app.action(
        block_actions_payload(END, forged, user_id="U0LISTED", team_id=OTHER_TEAM, fake=admin_app.fake)
    )

    first = admin_app.wait_for("response_url", count=2).params
    second = admin_app.wait_for("response_url", count=3).params
    texts = {first["text"], second["text"]}
    assert any("belongs to another Slack workspace" in t for t in texts)
    assert any("no longer in this workspace" in t for t in texts)
    assert reload(admin_app.engine, client_id).association_ended_at is None
    assert events(admin_app.engine) == []


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


# --- the blocks alone ---------------------------------------------------------------------


def test_buttons_carry_the_client_and_team_and_can_share_a_message() -> None:
    first = client_action_buttons(
        1, TEAM, association_active=True, block_id_suffix="1", client_name="A" * 500
    )
    second = client_action_buttons(2, TEAM, association_active=False, block_id_suffix="2")
    blocks = [first.to_dict(), second.to_dict()]

    assert block_problems(blocks, max_blocks=50) == []
    assert [b["block_id"] for b in blocks] == ["client_actions:1", "client_actions:2"]
    assert [e["text"]["text"] for e in blocks[1]["elements"]] == [
        "Reassign contact",
        "Change owner",
        "Restore association",
    ]
    assert json.loads(blocks[0]["elements"][0]["value"]) == {"v": 1, "client_id": 1, "team_id": TEAM}


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
