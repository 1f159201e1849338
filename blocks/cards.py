"""One contract change as one `card` block with its buttons: the digest's items and "What changed"'s
changes (and its whole list) are rendered by `change_card`, so they look and fit alike.

Title: the client (bold), contract type and status; subtitle: the renewal deadline (a Slack date,
in `tz`) and how far off it is, the MRR at stake; body: `note` (what happened to it, when there
is something to say) or the primary contact, and the owner. Every piece of user data is escaped
and cut to Slack's card limits; the texts are `verbatim`, so Slack links nothing itself.
"""

from __future__ import annotations

from datetime import date, tzinfo

from slack_sdk.models.blocks import ActionsBlock, CardBlock, MarkdownTextObject

from blocks.format import money, relative_days
from blocks.limits import CARD_BODY_CHARS, CARD_TITLE_CHARS
from blocks.text import mrkdwn, slack_day
from store.upcoming import RenewalRow

# A card's body: "Owner: … · Primary contact: …", or "<note> · Owner: …", each cut so that both fit.
OWNER_CHARS = 70
CONTACT_CHARS = 90
NOTE_CHARS = 90  # mrkdwn, the caller's (already escaped)
assert len("Owner:  · Primary contact: ") + OWNER_CHARS + CONTACT_CHARS <= CARD_BODY_CHARS
assert len(" · Owner: ") + NOTE_CHARS + OWNER_CHARS <= CARD_BODY_CHARS
PLAIN_NAME_CHARS = 200


def change_card(
    row: RenewalRow, buttons: ActionsBlock, *, today: date, tz: tzinfo, note: str | None = None
) -> tuple[CardBlock, str]:
    """(the card, carrying `buttons` and their block ID; its plain fallback line)."""
    kind = f"{row.contract_type.label} · {row.status.label}"
    name = mrkdwn(row.client_name, CARD_TITLE_CHARS - len(kind) - 5)  # the asterisks and " · "
    owner = mrkdwn(row.owner.label, OWNER_CHARS)
    contact = mrkdwn(row.primary_contact or "none", CONTACT_CHARS)
    mrr = money(row.mrr_at_stake)
    when = relative_days(row.renewal_deadline, today)
    deadline = slack_day(row.renewal_deadline, tz)
    if note is None:
        body = f"Owner: {owner} · Primary contact: {contact}"
        detail = f"owner {owner}, primary contact {contact}"
    else:
        body = f"{note[:NOTE_CHARS]} · Owner: {owner}"
        detail = f"{note}, owner {owner}"
    card = CardBlock(
        block_id=buttons.block_id,
        title=MarkdownTextObject(text=f"*{name}* · {kind}", verbatim=True),
        subtitle=MarkdownTextObject(text=f"Renewal deadline {deadline} ({when}) · MRR {mrr}", verbatim=True),
        body=MarkdownTextObject(text=body, verbatim=True),
        actions=buttons.elements,
    )
    plain = (
        f"• {mrkdwn(row.client_name, PLAIN_NAME_CHARS)}: {row.contract_type.label}, {row.status.label}, "
        f"deadline {row.renewal_deadline.isoformat()} ({when}), {detail}, MRR {mrr}"
    )
    return card, plain
