"""What a digest holds and how it looks in Slack: rows, groups, money, buttons, escaping, the cap."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session

from blocks.digest import digest_messages
from blocks.ids import ActionId
from blocks.values import ClientRef, DigestListRef, decode
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

    assert [(g.group, [i.row.client_name for i in g.items]) for g in groups] == [
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

    card = next(b for b in sent["blocks"] if b["type"] == "card" and "Acme Corp" in b["title"]["text"])
    assert card["title"]["text"] == "*Acme Corp* · Renewal · Pending"
    subtitle = card["subtitle"]["text"]
    assert "<!date^" in subtitle and "{date_short_pretty}|2025-03-13>" in subtitle
    assert "(in 3 days)" in subtitle
    assert "MRR $1,500.00" in subtitle
    assert card["body"]["text"] == "Owner: HubSpot · Primary contact: Dana Buyer &lt;dana@acme.test&gt;"
    labels = [e["text"]["text"] for e in card["actions"]]
    assert labels == ["Reassign contact", "Change owner", "End association", "Snooze 3 days", "Handled"]
    reassign = next(e for e in card["actions"] if e["action_id"] == ActionId.REASSIGN_CONTACT)
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


def test_a_very_long_client_name_and_contact_still_fit_slacks_card(
    session: Session, workspace: Workspace
) -> None:
    name = "Harbor & Pine <Realty> " * 20  # 460 characters, more once escaped
    add_change_due(
        session,
        workspace,
        name,
        deadline=DAY + timedelta(days=2),
        status=Status.CANCELLATION_REQUESTED,
        mrr="123456789.1234",
        contact=f"{'Dana & Co ' * 30}<dana@acme.test>",
    )
    session.commit()

    [message] = digest_messages(_digest(session, workspace))

    sent = _as_sent(message)
    assert payload_problems("chat.postMessage", sent) == []
    [card] = [b for b in sent["blocks"] if b["type"] == "card"]
    assert card["title"]["text"].startswith("*Harbor &amp; Pine &lt;Realty&gt; Harbor")
    assert card["title"]["text"].endswith("…* · Renewal · Cancellation requested")
    assert "MRR $123,456,789.12" in card["subtitle"]["text"]


def _listed(sent: dict) -> list[str]:  # type: ignore[type-arg]
    """The client names of the digest's items, in order."""
    return [b["title"]["text"].split("*")[1] for b in sent["blocks"] if b["type"] == "card"]


def _buttons(sent: dict, label: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        element
        for block in sent["blocks"]
        for element in [block.get("accessory") or {}, *block.get("elements", []), *block.get("actions", [])]
        if isinstance(element, dict) and element.get("type") == "button" and element["text"]["text"] == label
    ]


def test_a_digest_lists_the_25_most_urgent_in_one_message_and_counts_the_rest_with_their_money(
    session: Session, workspace: Workspace
) -> None:
    for n in range(30):  # 25 in dollars soonest, then 3 in euros and 2 more in dollars
        currency = "EUR" if 25 <= n < 28 else "USD"
        add_change_due(
            session,
            workspace,
            f"Client {n:02d}",
            deadline=DAY + timedelta(days=n // 3),
            mrr=f"{n + 1}00.25",
            currency=currency,
        )
    session.commit()
    view = _digest(session, workspace)

    [message] = digest_messages(view)

    sent = _as_sent(message)
    assert payload_problems("chat.postMessage", sent) == []
    assert _listed(sent) == [f"Client {n:02d}" for n in range(25)]
    assert "30 contract changes need action" in message.text
    # Client 25 to 27 in euros (2,600.25 + 2,700.25 + 2,800.25), Client 28 and 29 in dollars.
    more = "and 5 more needing action (€8,100.75 + $5,900.50 MRR at stake)"
    more_block = next(b for b in sent["blocks"] if b.get("block_id") == "digest_more")
    assert more in more_block["text"]["text"] and "View all" in more_block["text"]["text"]
    assert more in message.text
    [view_all] = _buttons(sent, "View all")
    assert decode(DigestListRef, view_all["value"]) == DigestListRef(
        team_id=workspace.team_id, day=DAY, days=14, offset=0
    )


def test_a_group_the_cap_cuts_says_how_many_of_it_are_listed(session: Session, workspace: Workspace) -> None:
    for n in range(27):
        add_change_due(session, workspace, f"Client {n:02d}", deadline=DAY + timedelta(days=8 + n % 5))
    session.commit()

    [message] = digest_messages(_digest(session, workspace))

    assert "*Deadline later* (25 of 27)" in str(_as_sent(message)["blocks"])


def test_a_digest_of_25_or_fewer_lists_every_one_and_has_no_view_all(
    session: Session, workspace: Workspace
) -> None:
    for n in range(25):
        add_change_due(session, workspace, f"Client {n:02d}", deadline=DAY + timedelta(days=n % 15))
    session.commit()

    [message] = digest_messages(_digest(session, workspace))

    sent = _as_sent(message)
    assert len(_listed(sent)) == 25
    assert _buttons(sent, "View all") == []
    assert "more needing action" not in message.text


def test_nothing_to_report_posts_nothing_unless_an_all_clear_is_wanted(
    session: Session, workspace: Workspace
) -> None:
    assert digest_messages(_digest(session, workspace)) == []
    [message] = digest_messages(_digest(session, workspace, all_clear=True))
    assert message.text.startswith("Renewals digest for Monday 10 March 2025. All clear")
    assert payload_problems("chat.postMessage", _as_sent(message)) == []
