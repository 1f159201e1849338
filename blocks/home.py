"""The App Home tab (a `home` view published per person), and the notice modal for Home clicks.

Pure: `HomeData` (store.home) -> `View`. Only blocks Slack allows on a Home tab (header,
section, context, actions, divider); no table, which Slack documents for messages only.
Slack allows 100 blocks in a Home tab: the person's own contract changes take two blocks
each (the row and the client's buttons), so at most `MAX_MINE_SHOWN` are listed and the rest
are counted, with a pointer to `/renewal-owner`. Every piece of user data goes through
blocks.text; sections are `verbatim` so Slack links nothing by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from blocks import commands
from blocks import format as fmt
from blocks.client_actions import row_action_buttons
from blocks.digest import pause_reason_text
from blocks.ids import ViewId
from blocks.limits import MAX_VIEW_BLOCKS
from blocks.message import context, section
from blocks.text import escape, mrkdwn, slack_day
from blocks.views import message_modal
from store.home import HomeData
from store.models import DigestSubscription
from store.upcoming import RenewalRow

NAME_CHARS = 200
# Blocks that are not the person's contract changes: header, context, heading, "…and N more",
# divider, this week, divider, digests, default owner, divider, how-to.
FIXED_BLOCKS = 11
BLOCKS_PER_ROW = 2  # the row's section and the client's buttons
MAX_MINE_SHOWN = 40
assert FIXED_BLOCKS + BLOCKS_PER_ROW * MAX_MINE_SHOWN <= MAX_VIEW_BLOCKS
MAX_SUBSCRIPTIONS_SHOWN = 20

HEADER_TEXT = "Renewals"
MINE_HEADING = "Your renewals that need action"
WEEK_HEADING = "Deadlines this week across the team"
DIGESTS_HEADING = "Daily digests"
DEFAULT_OWNER_HEADING = "Default communication owner"
HOW_TO_HEADING = "How to"
NOTICE_TITLE = "Renewals"


def _section(text: str) -> SectionBlock:
    return section(text, verbatim=True)


def _deadline(row: RenewalRow, data: HomeData, zone: ZoneInfo) -> str:
    """Slack's own date (each reader's language and zone), then 'in 3 days'."""
    when = fmt.relative_days(row.renewal_deadline, data.today)
    return f"{slack_day(row.renewal_deadline, zone)} ({when})"


def _row_blocks(row: RenewalRow, data: HomeData, zone: ZoneInfo, team_id: str) -> list[Block]:
    text = (
        f"*{mrkdwn(row.client_name, NAME_CHARS)}* · {row.contract_type.label} · {row.status.label}\n"
        f"Renewal deadline {_deadline(row, data, zone)} · MRR at stake {fmt.money(row.mrr_at_stake)}"
    )
    return [
        _section(text),
        row_action_buttons(row, team_id),
    ]


def _empty_mine_text(data: HomeData) -> str:
    if data.upcoming_total == 0:
        return (
            f"No contract changes start in the next {data.window_days} days in this workspace. "
            "If that is a surprise, import the partner dashboard's export: `renewals-bot import FILE.csv`."
        )
    if data.owned_total:
        return (
            f"Nothing needs action from you: none of the {fmt.plural(data.owned_total, 'contract change')} "
            f"you own in the next {data.window_days} days is pending or has a cancellation requested. "
            "`/renewal-owner` lists them."
        )
    return (
        f"You own no contract changes in the next {data.window_days} days. "
        f"Take a client with {commands.OWNER_TAKE}, or ask for "
        "`/renewals owner:partner` to see what the partner team owns."
    )


def _mine_blocks(data: HomeData, zone: ZoneInfo, team_id: str) -> list[Block]:
    if not data.mine:
        return [_section(f"*{MINE_HEADING}*"), _section(_empty_mine_text(data))]
    total = data.mine_total
    heading = (
        f"*{MINE_HEADING}* · {fmt.plural(total, 'contract change')} · "
        f"{fmt.money_totals(data.mine_mrr_at_stake)} MRR at stake"
    )
    blocks: list[Block] = [_section(heading)]
    for row in data.mine[:MAX_MINE_SHOWN]:
        blocks.extend(_row_blocks(row, data, zone, team_id))
    hidden = total - MAX_MINE_SHOWN
    if hidden > 0:
        blocks.append(
            context(
                f"…and {fmt.plural(hidden, 'more contract change')} with later deadlines. "
                "`/renewal-owner` lists every renewal you own.",
                verbatim=True,
            )
        )
    return blocks


def _week_text(data: HomeData) -> str:
    if data.week_total == 0:
        return (
            f"*{WEEK_HEADING}*\nNo contract change needs action with a renewal deadline in the next "
            f"{fmt.plural(data.week_days, 'day')}."
        )
    verb = "needs" if data.week_total == 1 else "need"
    return (
        f"*{WEEK_HEADING}*\n{fmt.plural(data.week_total, 'contract change')} {verb} action with a renewal "
        f"deadline from today to {fmt.plural(data.week_days, 'day')} ahead: "
        f"*{fmt.money_totals(data.week_mrr_at_stake)}* MRR at stake. `/renewals` shows them all."
    )


def _subscription_line(subscription: DigestSubscription) -> str:
    days = "every day" if subscription.weekends else "Monday to Friday"
    state = (
        f":pause_button: paused: {pause_reason_text(subscription.paused_reason)}"
        if subscription.paused_reason
        else "active"
    )
    return (
        f"• <#{escape(subscription.channel_id)}> at {escape(subscription.local_time)} "
        f"{escape(subscription.timezone)}, {days}, deadlines within "
        f"{fmt.plural(subscription.days_ahead, 'day')} · {state}"
    )


def _digests_text(subs: Sequence[DigestSubscription]) -> str:
    if not subs:
        return (
            f"*{DIGESTS_HEADING}*\nNo channel gets the daily digest yet. In a channel, "
            "`/renewals digest on` starts one."
        )
    lines = [_subscription_line(s) for s in subs[:MAX_SUBSCRIPTIONS_SHOWN]]
    if len(subs) > MAX_SUBSCRIPTIONS_SHOWN:
        lines.append(f"• …and {fmt.plural(len(subs) - MAX_SUBSCRIPTIONS_SHOWN, 'more channel')}")
    return f"*{DIGESTS_HEADING}*\n" + "\n".join(lines)


def _default_owner_text(partner_owns_all: bool) -> str:
    owner = "The partner team" if partner_owns_all else "HubSpot"
    return (
        f"*{DEFAULT_OWNER_HEADING}*\n{owner}, for every "
        "client without an owner of its own. Admins change it with "
        "`/renewal-owner default partner` or `/renewal-owner default hubspot`."
    )


HOW_TO_TEXT = (
    f"*{HOW_TO_HEADING}*\n"
    "• `/renewals [words] [type:…] [status:…] [owner:me] [days:N]`: the upcoming renewals table "
    "(`/renewals help` explains the filters; `/renewals digest on` in a channel starts its daily digest)\n"
    f"• {commands.RENEWAL}: one client's detail, contacts and history\n"
    f"• `/renewal-owner`: the renewals you own; {commands.OWNER_SET} "
    "sets a client's communication owner"
)


def home_view(data: HomeData, *, team_id: str, user_id: str, zone: ZoneInfo) -> View:
    """The Home tab of `user_id` (their own renewals, the team's week, digests, default, how to)."""
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=HEADER_TEXT)),
        context(
            f"For <@{escape(user_id)}> · as of {fmt.day(data.today)} · contract changes whose "
            f"renewal start date is in the next {data.window_days} days, active clients only",
            verbatim=True,
        ),
        *_mine_blocks(data, zone, team_id),
        DividerBlock(),
        _section(_week_text(data)),
        DividerBlock(),
        _section(_digests_text(data.subscriptions)),
        _section(_default_owner_text(data.partner_owns_all)),
        DividerBlock(),
        _section(HOW_TO_TEXT),
    ]
    return View(type="home", callback_id=ViewId.HOME.value, blocks=blocks[:MAX_VIEW_BLOCKS])


def notice_modal(text: str) -> View:
    """A one-message modal: how a click on the Home tab (which has no response_url) gets an answer.

    `text` is mrkdwn the caller has already escaped.
    """
    return message_modal(ViewId.HOME_NOTICE, NOTICE_TITLE, text, close="OK")
