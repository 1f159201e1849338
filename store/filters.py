"""`/renewals` text -> RenewalQuery: search words plus `type:`, `status:`, `owner:`, `days:`.

A bad filter is a `FilterError` whose message says what is allowed; it is shown to
the person as is, so it names their own words back to them (escaped by the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.rules import UPCOMING_WINDOW_DAYS, ContractType, Status
from store.upcoming import RenewalQuery

TYPE_VALUES: dict[str, ContractType] = {
    "renewal": ContractType.RENEWAL,
    "upgrade": ContractType.CONTACT_TIER_UPGRADE,
    "overage": ContractType.EMAIL_OVERAGE,
}
STATUS_VALUES: dict[str, Status] = {
    "pending": Status.PENDING,
    "renewed": Status.RENEWED,
    "confirmed": Status.CONFIRMED,
    "cancellation": Status.CANCELLATION_REQUESTED,
}
OWNER_WORDS = ("me", "hubspot", "partner")
KEYS = ("type", "status", "owner", "days")

# A token is a run of non-spaces, but a Slack mention or link `<...>` stays whole even
# if its label has spaces (`owner:<@U123|Ana María>`).
_TOKEN = re.compile(r"(?:[^\s<]*<[^>]*>)+[^\s<]*|\S+")
# `key:value`, but not a pasted web address (`https://acme.com` is words to search).
_FILTER = re.compile(r"^([A-Za-z_]+):(?!//)(.*)$")
# With should_escape on, Slack sends mentions as <@U123|name> (or <@U123>).
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_BARE_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# ... and links as <http://acme.com|acme.com> or <mailto:a@b.c|a@b.c>: search their label.
_LINK = re.compile(r"<(?:https?://|mailto:)([^>|]*)(?:\|([^>]*))?>")


class FilterError(ValueError):
    """A filter a person typed that the app cannot use; the message lists what is allowed."""


@dataclass(frozen=True)
class Filters:
    """What the person asked for, and how to say it back to them."""

    query: RenewalQuery
    owner_name: str | None = None  # the @mention's name, when Slack sent one

    @property
    def is_filtered(self) -> bool:
        q = self.query
        return bool(q.words or q.contract_type or q.status or q.owner or q.days != UPCOMING_WINDOW_DAYS)


def _allowed(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


def _unwrap_links(text: str) -> str:
    return _LINK.sub(lambda m: m.group(2) or m.group(1), text)


def _unescape(text: str) -> str:
    # Slack sends a typed `&`, `<`, `>` as entities (a real mention or link is the only `<`).
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_words(text: str) -> list[str]:
    """Slash-command text as Slack sends it -> the words the person typed.

    A link Slack made of a typed domain (`<http://acme.com|acme.com>`) becomes its label, a
    mention (`<@U123|Ana María>`) stays one word even with spaces in its label, and the
    entities `&amp;`, `&lt;`, `&gt;` become the characters typed.
    """
    return [_unescape(token) for token in _TOKEN.findall(_unwrap_links(text or ""))]


def command_text(text: str) -> str:
    """Slash-command text as the person typed it: links as their labels, entities unescaped."""
    return _unescape(_unwrap_links(text or "")).strip()


def parse_filters(text: str) -> Filters:
    """Parse `/renewals` text; raises FilterError for an unknown key or value."""
    words: list[str] = []
    found: dict[str, str] = {}
    contract_type: ContractType | None = None
    status: Status | None = None
    owner: str | None = None
    owner_name: str | None = None
    days = UPCOMING_WINDOW_DAYS
    for token in _TOKEN.findall(_unwrap_links(text or "")):
        match = _FILTER.match(token)
        if match is None:
            words.append(_unescape(token))
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if not _MENTION.match(value):
            value = _unescape(value)
        if key not in KEYS:
            raise FilterError(f"`{key}:` is not a filter. Filters: type:, status:, owner:, days:")
        if key in found:
            raise FilterError(f"`{key}:` is given twice (`{key}:{found[key]}` and `{key}:{value}`): keep one")
        found[key] = value
        folded = value.lower()
        if key == "type":
            if folded not in TYPE_VALUES:
                raise FilterError(
                    f"`type:{value}` is not a contract type. Use type: {_allowed(list(TYPE_VALUES))}"
                )
            contract_type = TYPE_VALUES[folded]
        elif key == "status":
            if folded not in STATUS_VALUES:
                raise FilterError(
                    f"`status:{value}` is not a status. Use status: {_allowed(list(STATUS_VALUES))}"
                )
            status = STATUS_VALUES[folded]
        elif key == "owner":
            mention = _MENTION.match(value)
            if folded in OWNER_WORDS:
                owner = folded
            elif mention:
                owner, owner_name = mention.group(1), mention.group(2) or None
            elif _BARE_USER_ID.match(value):
                owner = value
            else:
                raise FilterError(
                    f"`owner:{value}` is not an owner. Use owner: me, hubspot, partner, "
                    "or an @mention of a partner team member"
                )
        else:  # days
            if not value.isdigit() or not 1 <= int(value) <= UPCOMING_WINDOW_DAYS:
                raise FilterError(
                    f"`days:{value}` is not a number of days. Use days: 1 to {UPCOMING_WINDOW_DAYS}"
                )
            days = int(value)
    query = RenewalQuery(
        words=" ".join(words), contract_type=contract_type, status=status, owner=owner, days=days
    )
    return Filters(query=query, owner_name=owner_name)
