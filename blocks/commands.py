"""The slash commands as a person types them, for help, usage replies and the Home tab.

Ready-made mrkdwn, escaped here once: Slack reads `<...>` as a link or a mention even
inside backticks, so a placeholder like `<client>` must go out as `&lt;client&gt;`
(it still shows as `<client>`). Never put these in plain_text, which shows `&lt;` as is.
"""

from __future__ import annotations

from blocks.text import escape

RENEWAL = escape("`/renewal <client name, domain or Hub ID>`")
OWNER_SET = escape("`/renewal-owner <client> <@user|me|hubspot>`")
OWNER_TAKE = escape("`/renewal-owner <client> me`")
OWNER_DEFAULT = escape("`/renewal-owner default <partner|hubspot>`")
DIGEST_ON = "`/renewals digest on [HH:MM] [days:N] [weekends] [all-clear]`"
IMPORTS = "`/renewals imports`"
REMINDERS = "`/renewals reminders on|off|status`"
