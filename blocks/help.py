"""`/renewals help`: how to use the app's commands."""

from __future__ import annotations

from blocks.client import Message, notice
from store.filters import OWNER_WORDS, STATUS_VALUES, TYPE_VALUES
from store.rules import UPCOMING_WINDOW_DAYS


def help_message() -> Message:
    lines = [
        "*`/renewals [words] [type:T] [status:S] [owner:O] [days:N]`*: contract changes whose renewal "
        f"start date is in the next {UPCOMING_WINDOW_DAYS} days, soonest renewal deadline first.",
        "• words search client names (typos and accents are fine), website domains and Hub IDs",
        f"• `type:` {', '.join(TYPE_VALUES)}",
        f"• `status:` {', '.join(STATUS_VALUES)} (a pending renewal past its deadline counts as renewed)",
        f"• `owner:` {', '.join(OWNER_WORDS)}, or an @mention",
        f"• `days:` 1 to {UPCOMING_WINDOW_DAYS}",
        "Example: `/renewals acme type:renewal status:pending owner:me days:30`",
        "*`/renewals columns`*: choose the columns of your table.",
        "*`/renewals digest on [HH:MM] [days:N]`* · `off` · `status`: this channel's daily digest.",
        "*`/renewal <client name, domain or Hub ID>`*: one client's detail.",
        "*`/renewal-owner`*: the renewals you own; `/renewal-owner <client> <@user|me|hubspot>` sets "
        "a client's communication owner; `/renewal-owner default <partner|hubspot>` the workspace default.",
    ]
    return notice("\n".join(lines))
