"""What a digest holds and how it looks in Slack: rows, groups, money, buttons, escaping, splitting."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from blocks.digest import digest_messages
from blocks.ids import ActionId
from blocks.values import ClientRef, decode
from store.digest_content import DeadlineGroup, build_digest
from store.models import Workspace
from store.rules import ContractType, Status
from tests.digest_support import CHANNEL
from tests.factories import add_change_due
from tests.fake_slack import mrkdwn_texts, payload_problems

DAY = date(2025, 3, 10)  # a Monday


def _digest(session: Session, workspace: Workspace, **kwargs: object):  # type: ignore[no-untyped-def]
    return build_digest(workspace, session=session, day=DAY, channel_id=CHANNEL, **kwargs)  # type: ignore[arg-type]


def _as_sent(message) -> dict:  # type: ignore[no-untyped-def]
    """A message as chat.postMessage would carry it (JSON, as the fake Slack receives it)."""
    return {
        "channel": CHANNEL,
        "text": message.text,
        "blocks": json.loads(json.dumps([b.to_dict() for b in message.blocks])),
    }


def test_only_changes_needing_action_with_a_deadline_in_the_window_are_in_it(
    session: Session, workspace: Workspace
) -> None:
    add_change_due(session, workspace, "Due Today", deadline=DAY)
    add_change_due(session, workspace, "Last Day", deadline=DAY + timedelta(days=14))
    add_change_due(
        session,
        workspace,
        "Cancelling",
        deadline=DAY + timedelta(days=3),
        status=Status.CANCELLATION_REQUESTED,
    )
    add_change_due(
        session,
        workspace,
        "Upgrade",
        deadline=DAY + timedelta(days=5),
        contract_type=ContractType.CONTACT_TIER_UPGRADE,
    )
    add_change_due(session, workspace, "Too Far", deadline=DAY + timedelta(days=15))
    add_change_due(session, workspace, "Yesterday", deadline=DAY - timedelta(days=1))
    add_change_due(
        session, workspace, "Renewed Already", deadline=DAY + timedelta(days=2), status=Status.RENEWED
    )
    add_change_due(session, workspace, "Confirmed", deadline=DAY + timedelta(days=2), status=Status.CONFIRMED)
    add_change_due(session, workspace, "Ended Client", deadline=DAY + timedelta(days=2), ended=True)
    session.commit()

    view = _digest(session, workspace, days_ahead=14)

    assert [i.row.client_name for i in view.items] == ["Due Today", "Cancelling", "Upgrade", "Last Day"]


def test_a_shorter_window_leaves_later_deadlines_out(session: Session, workspace: Workspace) -> None:
    add_change_due(session, workspace, "Soon", deadline=DAY + timedelta(days=3))
    add_change_due(session, workspace, "Later", deadline=DAY + timedelta(days=4))
    session.commit()
    assert [i.row.client_name for i in _digest(session, workspace, days_ahead=3).items] == ["Soon"]


def test_rows_are_grouped_as_today_this_week_and_later(session: Session, workspace: Workspace) -> None:
    add_change_due(session, workspace, "A", deadline=DAY)
    add_change_due(session, workspace, "B", deadline=DAY + timedelta(days=1))
    add_change_due(session, workspace, "C", deadline=DAY + timedelta(days=7))
    add_change_due(session, workspace, "D", deadline=DAY + timedelta(days=8))
    session.commit()

    groups = _digest(session, workspace).groups()

    assert [(g, [i.row.client_name for i in items]) for g, items in groups] == [
        (DeadlineGroup.TODAY, ["A"]),
        (DeadlineGroup.THIS_WEEK, ["B", "C"]),
        (DeadlineGroup.LATER, ["D"]),
    ]


def test_the_money_at_stake_is_summed_per_currency(session: Session, workspace: Workspace) -> None:
    add_change_due(session, workspace, "A", deadline=DAY, mrr="1200.50")
    add_change_due(session, workspace, "B", deadline=DAY, mrr="800.25")
    add_change_due(session, workspace, "C", deadline=DAY, mrr="99.99", currency="EUR")
    add_change_due(session, workspace, "D", deadline=DAY, mrr=None)
    session.commit()

    view = _digest(session, workspace)

    assert view.mrr_at_stake == {"EUR": Decimal("99.99"), "USD": Decimal("2000.75")}
    first = digest_messages(view)[0]
    assert "4 contract changes need action" in first.text
    assert "€99.99 + $2,000.75 MRR at stake" in first.text


def test_each_row_shows_what_a_person_needs_and_the_client_buttons(
    session: Session, workspace: Workspace
) -> None:
    change = add_change_due(
        session,
        workspace,
        "Acme Corp",
        deadline=DAY + timedelta(days=3),
        mrr="1500",
        contact="Dana Buyer <dana@acme.test>",
    )
    session.commit()

    [message] = digest_messages(_digest(session, workspace))
    sent = _as_sent(message)
    assert payload_problems("chat.postMessage", sent) == []

    section = next(b for b in sent["blocks"] if b["type"] == "section" and "Acme Corp" in b["text"]["text"])
    text = section["text"]["text"]
    assert "*Acme Corp* · Renewal · Pending" in text
    assert "<!date^" in text and "{date_short_pretty}|2025-03-13>" in text
    assert "(in 3 days)" in text
    assert "Owner: HubSpot" in text
    assert "Primary contact: Dana Buyer &lt;dana@acme.test&gt;" in text
    assert "MRR $1,500.00" in text
    actions = sent["blocks"][sent["blocks"].index(section) + 1]
    labels = [e["text"]["text"] for e in actions["elements"]]
    assert labels == ["Reassign contact", "Change owner", "End association", "Snooze 3 days", "Handled"]
    reassign = next(e for e in actions["elements"] if e["action_id"] == ActionId.REASSIGN_CONTACT)
    assert decode(ClientRef, reassign["value"]) == ClientRef(
        client_id=change.client_id, team_id=workspace.team_id
    )
    assert "Acme Corp: Renewal, Pending, deadline 2025-03-13 (in 3 days)" in message.text


def test_a_client_named_like_a_mention_pings_no_one(session: Session, workspace: Workspace) -> None:
    add_change_due(session, workspace, "<!channel> & <@U123>", deadline=DAY, contact="<!here> <x@y.z>")
    session.commit()

    [message] = digest_messages(_digest(session, workspace))
    # Slack reads mentions in mrkdwn and in the fallback text (plain_text fields are shown as is).
    everything = message.text + json.dumps(mrkdwn_texts([b.to_dict() for b in message.blocks]))

    assert "<!channel>" not in everything and "<@U123>" not in everything and "<!here>" not in everything
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in message.text
    assert any(
        "*&lt;!channel&gt; &amp; &lt;@U123&gt;*" in t
        for t in mrkdwn_texts([b.to_dict() for b in message.blocks])
    )


def test_a_digest_too_long_for_one_message_continues_without_dropping_a_row(
    session: Session, workspace: Workspace
) -> None:
    for n in range(60):
        add_change_due(session, workspace, f"Client {n:02d}", deadline=DAY + timedelta(days=n % 15))
    session.commit()
    view = _digest(session, workspace)
    assert view.total == 60

    messages = digest_messages(view)

    assert len(messages) == 3
    shown = []
    for message in messages:
        sent = _as_sent(message)
        assert payload_problems("chat.postMessage", sent) == []
        shown += [
            b["text"]["text"].split("*")[1]
            for b in sent["blocks"]
            if b["type"] == "section" and b["text"]["text"].startswith("*Client ")
        ]
    assert shown == [item.row.client_name for item in view.items]
    assert "in the thread" in messages[0].text
    assert "part 2 of 3" in messages[1].text


def test_nothing_to_report_posts_nothing_unless_an_all_clear_is_wanted(
    session: Session, workspace: Workspace
) -> None:
    assert digest_messages(_digest(session, workspace)) == []
    [message] = digest_messages(_digest(session, workspace, all_clear=True))
    assert message.text.startswith("Renewals digest for Monday 10 March 2025. All clear")
    assert payload_problems("chat.postMessage", _as_sent(message)) == []
