"""`/renewals help`: how to use the app's commands."""

from __future__ import annotations

from blocks import commands
from blocks.message import Message, notice
from store.digest_subscriptions import MAX_DIGEST_DAYS
from store.filters import OWNER_WORDS, STATUS_VALUES, TYPE_VALUES
from store.import_runs import RECENT_IMPORTS
from store.rules import DEFAULT_DIGEST_DAYS, UPCOMING_WINDOW_DAYS
from store.schedule import DEFAULT_LOCAL_TIME


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
        "• *Export CSV* under the table sends you the whole filtered view (every page) as a CSV file in "
        "a direct message, in the import format: importing it again changes nothing (a view, it removes "
        "nothing).",
        "*`/renewals columns`*: choose the columns of your table.",
        "*`/renewals import`*: upload the partner dashboard's CSV export, see what it would change, "
        "then import it (admins only).",
        f"*{commands.DIGEST_ON}* · `off` · `status`: this channel's daily digest.",
        f"• `HH:MM` in your Slack time zone (default {DEFAULT_LOCAL_TIME:%H:%M})",
        f"• `days:` renewal deadlines within 1 to {MAX_DIGEST_DAYS} days (default {DEFAULT_DIGEST_DAYS})",
        "• `weekends` posts on Saturday and Sunday too (default Monday to Friday)",
        "• `all-clear` posts a one-line all-clear on a day with nothing to report (default: nothing)",
        "• each item's *Snooze 3 days* leaves it out for the three days after your click; *Handled* "
        "until its status, renewal deadline or owner changes. The client's detail shows both, with "
        "*Unsnooze* and *Not handled*.",
        f"*{commands.REMINDERS}*: your own reminders (on unless you turn them off): a direct message "
        "7 days and 1 day before each renewal deadline of the clients you are the communication owner "
        "of, while the contract change still needs action, on working days between 09:00 and 17:00 in "
        "your Slack time zone (one due on a weekend comes on the Friday before). `status` shows yours; "
        "admins also see the owners who could not be messaged.",
        f"*{commands.IMPORTS}*: the last {RECENT_IMPORTS} imports of the partner dashboard's export: "
        "when, who, which file, and what each created, updated, left unchanged, found invalid, removed "
        "or skipped.",
        f"*{commands.RENEWAL}*: one client's detail.",
        f"*`/renewal-owner`*: the renewals you own; {commands.OWNER_SET} sets a client's communication "
        f"owner; {commands.OWNER_DEFAULT} the workspace default (admins only).",
    ]
    return notice("\n".join(lines))
