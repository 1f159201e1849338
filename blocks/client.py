"""`/renewal <client>`: one client's detail, the "which one?" list, and the "no match" reply.

Pure functions from store objects to Block Kit. Every piece of user data goes through
`blocks.text.mrkdwn` (escaped and cut to fit), so a client named `<!channel>` pings no one
and a client with 300 contacts or 40 contract changes still makes a valid message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from blocks import commands
from blocks import format as fmt
from blocks.client_actions import add_end_reason_button, client_action_buttons, follow_up_buttons, item_name
from blocks.ids import ActionId, BlockId
from blocks.imports import import_name
from blocks.limits import (
    ACCESSIBILITY_LABEL_CHARS,
    FIELD_CHARS,
    HEADER_CHARS,
    MAX_MESSAGE_BLOCKS,
    SECTION_CHARS,
)
from blocks.message import Message, context, notice, section
from blocks.text import escape, mrkdwn, slack_date, truncate, who
from blocks.values import ClientRef, encode
from store.clients import ClientDetail
from store.follow_up import HANDLED, NOT_HANDLED, SNOOZE, UNSNOOZE, FollowUpState
from store.models import AuditEvent, Client, Contact, ImportRun
from store.rules import Owner, OwnerKind
from store.upcoming import RenewalRow

# At most 30 contract changes, fewer when their snooze/handled buttons need the blocks: the
# detail is cut to fit Slack's 50 blocks, with a note saying how many are not shown.
MAX_CHANGES_SHOWN = 30
MAX_PICKS = 10
HISTORY_LINE_CHARS = 400

NO_REASON = "no reason recorded"
STALE_TEXT = "This message is out of date. Run `/renewal` again."


def owner_text(owner: Owner) -> str:
    """The communication owner in mrkdwn: HubSpot, a mention, or the partner member's name/email."""
    if owner.kind is OwnerKind.HUBSPOT:
        text = "HubSpot"
    elif owner.slack_user_id:
        text = f"<@{owner.slack_user_id}>"
    elif owner.name or owner.email:
        text = mrkdwn(owner.name or owner.email or "", 200)
    else:
        text = "Partner"
    return f"{text} (workspace default)" if owner.is_default else text


def _field(label: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(f"*{label}*\n{value}", FIELD_CHARS))


def _usage(used: int | None, limit: int | None, what: str) -> str:
    if used is None and limit is None:
        return fmt.EMPTY
    if limit is None:
        return f"{fmt.number(used)} (no {what} known)"
    line = f"{fmt.number(used)} / {fmt.number(limit)} {what}"
    if used is not None and limit > 0:
        line += f" ({used * 100 // limit}%)"
    return line


def _association(client: Client) -> str:
    if client.association_ended_at is None:
        return "Active"
    reason = mrkdwn(client.association_end_reason, 1000) if client.association_end_reason else NO_REASON
    return f"Ended {slack_date(client.association_ended_at)} by {who(client.association_ended_by)}: {reason}"


def _end_reason_prompt(client: Client, *, team_id: str, text: str) -> SectionBlock:
    """`text` (mrkdwn, escaped by the caller) with the "Add a reason" button beside it."""
    assert client.id is not None
    return SectionBlock(
        block_id=BlockId.END_REASON_PROMPT.value,
        text=MarkdownTextObject(text=truncate(text, SECTION_CHARS)),
        accessory=add_end_reason_button(client.id, team_id, client_name=client.name),
    )


def ended_notice(text: str, client: Client, *, team_id: str) -> Message:
    """The ephemeral reply after ending an association outside its detail: `text` + "Add a reason"."""
    prompt = _end_reason_prompt(client, team_id=team_id, text=text)
    return Message(text=truncate(text, SECTION_CHARS), blocks=[prompt])


def _lines_within(lines: Sequence[str], budget: int, more: str) -> str:
    """As many whole lines as fit in `budget` chars, then `more` (formatted with the count left)."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        left = len(lines) - index
        reserve = len(more.format(n=left)) + 1 if left > 1 else 0
        if used + len(line) + 1 + reserve > budget:
            kept.append(more.format(n=left))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _contact_line(contact: Contact, *, primary: bool) -> str:
    parts = [mrkdwn(contact.name, 150)] if contact.name else []
    parts.append(mrkdwn(contact.email, 320))
    if contact.role:
        parts.append(mrkdwn(contact.role, 100))
    line = "• " + " · ".join(parts)
    return line + " _(primary contact)_" if primary else line


def _contacts_block(contacts: Sequence[Contact], primary_id: int | None) -> SectionBlock:
    if not contacts:
        return section("*Contacts*\nNone imported.")
    # The primary contact first, so it survives truncation.
    ordered = sorted(contacts, key=lambda c: c.id != primary_id)
    heading = f"*Contacts* ({len(contacts):,})\n"
    lines = [_contact_line(c, primary=c.id == primary_id) for c in ordered]
    return section(heading + _lines_within(lines, SECTION_CHARS - len(heading), "…and {n:,} more"))


def _follow_up_text(state: FollowUpState | None) -> str:
    """'Snoozed by @ana …, back in digests on …' and 'Handled by @bob …', one line each."""
    if state is None:
        return ""
    lines = []
    if state.snoozed_until is not None:
        when = f" {slack_date(state.snoozed_at)}" if state.snoozed_at else ""
        back = fmt.day(state.snoozed_until + timedelta(days=1))
        lines.append(
            f":zzz: Snoozed by {who(state.snoozed_by)}{when}: back in digests and reminders on {back}"
        )
    if state.handled_at is not None:
        lines.append(
            f":white_check_mark: Handled by {who(state.handled_by)} {slack_date(state.handled_at)}: out of "
            "digests and reminders until its status, deadline or owner changes"
        )
    return "".join(f"\n{line}" for line in lines)


def _change_block(row: RenewalRow, today_text: str, state: FollowUpState | None = None) -> SectionBlock:
    marker = " · *needs action*" if row.needs_action else ""
    deadline = f"{fmt.day(row.renewal_deadline)} ({today_text})"
    heading = f"*{row.contract_type.label}* · {row.status.label}{marker}{_follow_up_text(state)}"
    return SectionBlock(
        text=MarkdownTextObject(text=heading),
        fields=[
            _field("Renewal start date", fmt.day(row.renewal_start_date)),
            _field("Renewal deadline", deadline),
            _field("Max contacts", fmt.number(row.max_contacts)),
            _field("Email limit", fmt.number(row.email_limit)),
            _field("Billing frequency", fmt.billing(row.billing_frequency, row.billing_months)),
            _field("Subscription term", fmt.term(row.subscription_term_months)),
            _field("Current MRR", fmt.money(row.current_mrr)),
            _field("Estimated new MRR", fmt.money(row.estimated_new_mrr)),
        ],
    )


def _change_blocks(row: RenewalRow, detail: ClientDetail, *, team_id: str) -> list[Block]:
    """A contract change, and its "Snooze 3 days" / "Handled" buttons (or their undo) when it needs
    action or one of them is in force, while the association is active."""
    state = detail.follow_ups.get(row.change_id)
    blocks: list[Block] = [
        _change_block(row, fmt.relative_days(row.renewal_deadline, detail.today), state),
    ]
    if detail.client.association_active and (row.needs_action or state is not None):
        buttons = follow_up_buttons(
            row.change_id,
            team_id,
            snoozed=state is not None and state.snoozed,
            handled=state is not None and state.handled,
            item_name=item_name(row),
        )
        blocks.append(ActionsBlock(block_id=f"{BlockId.FOLLOW_UP.value}:{row.change_id}", elements=buttons))
    return blocks


# --- history -------------------------------------------------------------------------------


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return "none"
    return mrkdwn(str(value), 150)


def _owner_snapshot_text(snapshot: dict[str, Any] | None) -> str:
    snapshot = snapshot or {}
    kind = snapshot.get("owner")
    if kind == "hubspot":
        return "HubSpot"
    if kind == "default":
        return "the workspace default"
    if kind == "partner":
        if snapshot.get("member_user"):
            return who(str(snapshot["member_user"]))
        if snapshot.get("member_email"):
            return mrkdwn(str(snapshot["member_email"]), 150)
        return "a partner team member"
    return _value_text(kind)


def _generic_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    parts = []
    for key in keys[:3]:  # a history line is one line; the rest is in the database
        old, new = (before or {}).get(key), (after or {}).get(key)
        if old != new:
            label = mrkdwn(str(key).replace("_", " "), 40)
            parts.append(f"{label}: {_value_text(old)} → {_value_text(new)}")
    return "; ".join(parts)


def _ended_text(before: dict[str, Any]) -> str:
    """' (ended <date> by <@U>: reason)': the ending a restore undid, as its audit event keeps it."""
    try:
        ended_at = datetime.fromisoformat(str(before["ended_at"]))
    except (KeyError, ValueError):
        return ""
    reason = before.get("reason")
    why = _value_text(reason) if reason else NO_REASON
    return f" (ended {slack_date(ended_at)} by {who(before.get('ended_by'))}: {why})"


def _follow_up_history(action: str, after: dict[str, Any]) -> str:
    """'snoozed Renewal starting 2026-05-01 until 2026-03-05' and the like (store.follow_up)."""
    change = _value_text(after.get("contract_change"))
    if action == SNOOZE:
        return f"snoozed {change} until {_value_text(after.get('snoozed_until'))}"
    if action == UNSNOOZE:
        return f"unsnoozed {change}"
    if action == HANDLED:
        return f"marked {change} handled"
    assert action == NOT_HANDLED
    return f"marked {change} not handled"


def history_line(event: AuditEvent, imports: Mapping[int, ImportRun] | None = None) -> str:
    """'• <date> <@U1> changed the communication owner: HubSpot → <@U2>'; an import's change as
    '• <date> import of *export.csv* by command line: Renewal 2027-03-01: in the export → no longer
    in the export'."""
    before, after = event.before or {}, event.after or {}
    run = (imports or {}).get(event.import_id) if event.import_id is not None else None
    if run is not None:
        change = _generic_change(event.before, event.after)
        line = f"• {slack_date(event.at)} {import_name(run)}" + (f": {change}" if change else "")
        return truncate(line, HISTORY_LINE_CHARS)
    match event.action:
        case "reassign_contact":
            what = (
                f"reassigned the primary contact: {_value_text(before.get('primary_contact'))} "
                f"→ {_value_text(after.get('primary_contact'))}"
            )
        case "change_owner":
            what = (
                f"changed the communication owner: {_owner_snapshot_text(before)} "
                f"→ {_owner_snapshot_text(after)}"
            )
        case "end_association":
            reason = after.get("reason")
            what = "ended the association" + (f" (reason: {_value_text(reason)})" if reason else "")
        case "end_association_reason":
            if before.get("reason"):
                what = (
                    f"changed why the association ended: {_value_text(before.get('reason'))} "
                    f"→ {_value_text(after.get('reason'))}"
                )
            else:
                what = f"said why the association ended: {_value_text(after.get('reason'))}"
        case "restore_association":
            what = "restored the association" + _ended_text(before)
        case "snooze" | "unsnooze" | "handled" | "not_handled":
            what = _follow_up_history(event.action, after)
        case _:
            action = escape(event.action.replace("_", " "))
            change = _generic_change(event.before, event.after)
            what = f"{action}: {change}" if change else action
    line = f"• {slack_date(event.at)} {who(event.actor)} {what}"
    return truncate(line, HISTORY_LINE_CHARS)


def _history_block(events: Sequence[AuditEvent], imports: Mapping[int, ImportRun]) -> SectionBlock:
    if not events:
        return section("*Recent changes*\nNo changes made through the app yet.")
    lines = [history_line(e, imports) for e in events]
    return section("*Recent changes*\n" + _lines_within(lines, SECTION_CHARS - 20, "…and {n} more"))


# --- messages ------------------------------------------------------------------------------


def client_detail_message(detail: ClientDetail, *, team_id: str) -> Message:
    """The detail of one client, with its buttons."""
    client = detail.client
    assert client.id is not None
    primary = detail.primary_contact
    blocks: list[Block] = [
        HeaderBlock(
            block_id=BlockId.CLIENT_DETAIL.value,
            text=PlainTextObject(text=truncate(client.name, HEADER_CHARS) or "Client"),
        ),
        SectionBlock(
            fields=[
                _field("Website", mrkdwn(client.domain, 300) if client.domain else fmt.EMPTY),
                _field("Hub ID", escape(client.hub_id)),
                _field("Communication owner", owner_text(detail.owner)),
                _field("Primary contact", mrkdwn(primary.label, 500) if primary else "None chosen"),
                _field("Association", _association(client)),
                _field(
                    "Products",
                    mrkdwn(", ".join(client.products), 1500) if client.products else fmt.EMPTY,
                ),
                _field("Contacts used", _usage(client.contacts_used, detail.max_contacts, "max contacts")),
                _field("Emails sent", _usage(client.emails_sent, detail.email_limit, "email limit")),
            ]
        ),
    ]
    if not client.association_active:
        prompt = (
            "_Admins can change the recorded reason._"
            if client.association_end_reason
            else "_Admins can record why the association ended._"
        )
        blocks.append(_end_reason_prompt(client, team_id=team_id, text=prompt))
    blocks += [_contacts_block(detail.contacts, client.primary_contact_id), DividerBlock()]
    changes = detail.changes
    if changes:
        blocks.append(section(f"*Upcoming contract changes* ({len(changes)})"))
        # What follows the changes: the "not shown" note, a divider, the history, the buttons.
        budget = MAX_MESSAGE_BLOCKS - len(blocks) - 4
        shown = 0
        for row in changes[:MAX_CHANGES_SHOWN]:
            more = _change_blocks(row, detail, team_id=team_id)
            if len(more) > budget:
                break
            blocks += more
            budget -= len(more)
            shown += 1
        if shown < len(changes):
            hidden = len(changes) - shown
            blocks.append(
                context(
                    f"…and {hidden} later contract changes, not shown (Slack allows "
                    f"{MAX_MESSAGE_BLOCKS} blocks per message)."
                )
            )
    else:
        blocks.append(section("*Upcoming contract changes*\nNone."))
    blocks.append(DividerBlock())
    blocks.append(_history_block(detail.history, detail.imports))
    blocks.append(
        client_action_buttons(
            client.id,
            team_id,
            association_active=client.association_active,
            client_name=client.name,
        )
    )
    state = "" if client.association_active else " (association ended)"
    text = (
        f"{mrkdwn(client.name, 500)}{state}: Hub ID {escape(client.hub_id)}, "
        f"{fmt.plural(len(changes), 'upcoming contract change')}, "
        f"communication owner {owner_text(detail.owner)}"
    )
    return Message(text=text, blocks=blocks[:MAX_MESSAGE_BLOCKS])


def client_choices_message(clients: Sequence[Client], query: str, *, team_id: str) -> Message:
    """Several clients match: one "Show" button each (PICK_CLIENT), best match first.

    Pass up to MAX_PICKS + 1 clients: the extra one only tells that there are more.
    """
    shown = list(clients)[:MAX_PICKS]
    intro = f"Several clients match “{mrkdwn(query, 200)}”. Pick one:"
    if len(clients) > MAX_PICKS:
        intro = (
            f"More than {MAX_PICKS} clients match “{mrkdwn(query, 200)}”; the best {MAX_PICKS} are below. "
            "Pick one, or type more of the name:"
        )
    blocks: list[Block] = [section(intro)]
    for client in shown:
        assert client.id is not None
        details = [f"Hub ID {escape(client.hub_id)}"]
        if client.domain:
            details.insert(0, mrkdwn(client.domain, 200))
        if not client.association_active:
            details.append("association ended")
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.CLIENT_PICK.value}:{client.id}",
                text=MarkdownTextObject(text=f"*{mrkdwn(client.name, 1500)}*\n" + " · ".join(details)),
                accessory=ButtonElement(
                    text=PlainTextObject(text="Show"),
                    action_id=ActionId.PICK_CLIENT.value,
                    value=encode(ClientRef(client_id=client.id, team_id=team_id)),
                    accessibility_label=truncate(f"Show {client.name}", ACCESSIBILITY_LABEL_CHARS),
                ),
            )
        )
    return Message(text=f"Several clients match “{mrkdwn(query, 200)}”", blocks=blocks)


def no_client_message(query: str, suggestions: Sequence[str]) -> Message:
    text = f"No client matches “{mrkdwn(query, 200)}”."
    if suggestions:
        names = ", ".join(f"*{mrkdwn(name, 150)}*" for name in suggestions)
        text += f" Closest names: {names}."
    else:
        text += " Try a name, a website domain or a Hub ID."
    return notice(text)


def renewal_usage_message() -> Message:
    return notice(
        f"Usage: {commands.RENEWAL} shows one client's detail: contacts, "
        "products, usage, upcoming contract changes, owner and recent history."
    )
