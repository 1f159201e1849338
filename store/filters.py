"""`/renewals` words -> RenewalQuery: search words plus `type:`, `status:`, `owner:`, `days:`.

The words are plain values: handlers/command_text.py reads Slack's text format (a @mention
arrives as the person's user ID). A bad filter is a `FilterError` whose message says what is
allowed; it is shown to the person as is, so it names their own words back to them (escaped
by the caller).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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

# `key:value`, but not a pasted web address (`https://acme.com` is words to search).
_FILTER = re.compile(r"^([A-Za-z_]+):(?!//)(.*)$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class FilterError(ValueError):
    """A filter a person typed that the app cannot use; the message lists what is allowed."""


@dataclass(frozen=True)
class Filters:
    """What the person asked for, and how to say it back to them."""

    query: RenewalQuery
    owner_name: str | None = None  # the @mention's name, when Slack sent one


def _allowed(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


def parse_filters(words: Iterable[str], *, mentioned: Mapping[str, str | None] | None = None) -> Filters:
    """Parse `/renewals` words; raises FilterError for an unknown key or value.

    `mentioned`: the user IDs among the words that stand for a @mention, with the name to
    say back (or None).
    """
    mentioned = mentioned or {}
    search: list[str] = []
    found: dict[str, str] = {}
    contract_type: ContractType | None = None
    status: Status | None = None
    owner: str | None = None
    owner_name: str | None = None
    days = UPCOMING_WINDOW_DAYS
    for word in words:
        match = _FILTER.match(word)
        if match is None:
            search.append(word)
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
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
            if folded in OWNER_WORDS:
                owner = folded
            elif value in mentioned or _USER_ID.match(value):
                owner, owner_name = value, mentioned.get(value)
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
        words=" ".join(search), contract_type=contract_type, status=status, owner=owner, days=days
    )
    return Filters(query=query, owner_name=owner_name)
