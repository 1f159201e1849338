"""Ending and restoring a client's association (admins only), and recording why it ended, end to
end through signed requests: who may, what is audited, what the detail and confirmations say.

The fake Slack validates every message and view the app sends (checked at teardown).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from blocks.client_actions import client_action_buttons
from blocks.values import ClientModalRef, ClientRef, encode
from store.clients import end_association
from store.models import Client
from tests.app_client import SlackAppClient
from tests.client_support import (
    ADD_REASON,
    END,
    NOW,
    RESTORE,
    blocks_text,
    click,
    db,
    detail,
    events,
    mrkdwn_text,
    opened_view,
    reload,
    seed,
)
from tests.factories import OTHER_TEAM, TEAM
from tests.fake_slack import FakeSlack
from tests.slack_requests import (
    block_actions_payload,
    find_element,
    plain_text_input,
    view_submission_payload,
)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


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


def test_a_recorded_reason_can_be_changed_from_the_prefilled_modal(
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
