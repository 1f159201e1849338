"""The renewals domain rules as plain functions: no Slack and no database in here.

Everything that decides a date, a status, what needs action or what is shown
lives here, so the Slack surface, the digest and the terminal can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

DEADLINE_DAYS_BEFORE_START = 45
UPCOMING_WINDOW_DAYS = 120
DEFAULT_DIGEST_DAYS = 14


class ContractType(StrEnum):
    RENEWAL = "renewal"
    CONTACT_TIER_UPGRADE = "contact tier upgrade"
    EMAIL_OVERAGE = "email overage"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Status(StrEnum):
    PENDING = "pending"
    RENEWED = "renewed"
    CONFIRMED = "confirmed"
    CANCELLATION_REQUESTED = "cancellation requested"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class OwnerKind(StrEnum):
    HUBSPOT = "hubspot"
    PARTNER = "partner"


class BillingFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi-annual"
    ANNUAL = "annual"
    OTHER = "other"


BILLING_MONTHS = {
    BillingFrequency.MONTHLY: 1,
    BillingFrequency.QUARTERLY: 3,
    BillingFrequency.SEMI_ANNUAL: 6,
    BillingFrequency.ANNUAL: 12,
}

NEEDS_ACTION = frozenset({Status.PENDING, Status.CANCELLATION_REQUESTED})


def renewal_deadline(start: date) -> date:
    """The last day the terms can still change: always 45 days before the renewal start date."""
    return start - timedelta(days=DEADLINE_DAYS_BEFORE_START)


def effective_status(contract_type: ContractType, status: Status, start: date, today: date) -> Status:
    """The status a person should see today.

    A pending *renewal* renews by itself once its deadline has passed (from the
    day after the deadline, 44 days before the start date). Upgrades and overages
    stay pending when nobody acts.
    """
    if contract_type is ContractType.RENEWAL and status is Status.PENDING and today > renewal_deadline(start):
        return Status.RENEWED
    return status


def needs_action(status: Status) -> bool:
    """Pending and cancellation-requested changes still need the partner; the rest are settled."""
    return status in NEEDS_ACTION


def days_until(day: date, today: date) -> int:
    return (day - today).days


def sort_key(deadline: date, client_name: str, contract_type: ContractType, start: date) -> tuple:
    """Soonest deadline first; ties broken by client name, then type, so pages are stable."""
    return (deadline, fold(client_name), contract_type.value, start)


# --- communication owner -------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Who tells the client about a contract change, after the workspace default is applied."""

    kind: OwnerKind
    slack_user_id: str | None = None
    email: str | None = None
    name: str | None = None
    is_default: bool = False

    @property
    def label(self) -> str:
        if self.kind is OwnerKind.HUBSPOT:
            return "HubSpot"
        return self.name or self.email or "Partner"


def effective_owner(
    kind: OwnerKind | None,
    *,
    partner_owns_all: bool,
    slack_user_id: str | None = None,
    email: str | None = None,
    name: str | None = None,
) -> Owner:
    """A client's explicit owner, or the workspace default when it has none.

    The default is HubSpot unless the workspace said the partner owns all
    transactional conversations.
    """
    if kind is None:
        default = OwnerKind.PARTNER if partner_owns_all else OwnerKind.HUBSPOT
        return Owner(kind=default, is_default=True)
    if kind is OwnerKind.HUBSPOT:
        return Owner(kind=OwnerKind.HUBSPOT)
    return Owner(kind=OwnerKind.PARTNER, slack_user_id=slack_user_id, email=email, name=name)


def owner_matches(
    owner: Owner,
    wanted: str,
    *,
    me_user_id: str | None = None,
    me_email: str | None = None,
    wanted_email: str | None = None,
) -> bool:
    """The `owner:` filter: `hubspot`, `partner`, `me`, or a Slack user ID.

    A person is matched by Slack user ID or by email (`me_email` for `me`, `wanted_email`
    for a mention), because an import names owners by email before they use the app.
    """
    if wanted == "hubspot":
        return owner.kind is OwnerKind.HUBSPOT
    if wanted == "partner":
        return owner.kind is OwnerKind.PARTNER
    if owner.kind is not OwnerKind.PARTNER:
        return False
    if wanted == "me":
        return bool(
            (me_user_id and owner.slack_user_id == me_user_id)
            or (me_email and owner.email and owner.email.lower() == me_email.lower())
        )
    return owner.slack_user_id == wanted or bool(
        wanted_email and owner.email and owner.email.lower() == wanted_email.lower()
    )


# --- search ---------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name: 'Café Núñez' -> 'cafe nunez'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _typo_budget(word: str) -> int:
    # One typo in a short word, two in a longer one; very short words must match exactly
    # or "acme" would find every four-letter name.
    if len(word) <= 3:
        return 0
    return 1 if len(word) <= 6 else 2


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Optimal-string-alignment distance (a swap of two letters is one typo) ≤ limit."""
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b, score_cutoff=limit) <= limit


_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")


def website_host(text: str) -> str:
    """A website as people paste it, reduced to its host: 'https://www.Acme.com/x' -> 'acme.com'."""
    host = _URL_SCHEME.sub("", text.strip().lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0].rstrip(".")
    return host.removeprefix("www.")


def match_client(query: str, *, name: str, domain: str | None, hub_id: str) -> int | None:
    """How well `query` finds a client (lower is better), or None when it does not.

    Exact Hub ID or domain first, then the name: whole, prefix, substring, and
    finally word by word with a typo or two allowed.
    """
    q = fold(query)
    if not q:
        return None
    # Imports store Hub IDs without leading zeros; a person may still type them.
    if q == hub_id or (q.isdigit() and q.lstrip("0") == hub_id.lstrip("0")):
        return 0
    folded_name = fold(name)
    if folded_name == q:
        return 0
    bare_domain = website_host(domain or "")
    if bare_domain and website_host(q) == bare_domain:
        return 0
    if folded_name.startswith(q):
        return 1
    if q in folded_name:
        return 2
    if bare_domain and q in bare_domain:
        return 2
    if q.isdigit() and hub_id.startswith(q):
        return 2
    # Typo tolerance, word by word: every query word must be near some name word
    # (or near the start of one, for people who type only part of a long name).
    name_words = folded_name.split()
    query_words = q.split()
    for word in query_words:
        budget = _typo_budget(word)
        if budget == 0:
            if not any(w.startswith(word) for w in name_words):
                return None
            continue
        near_a_word = any(
            _edit_distance_at_most(word, w, budget) or _edit_distance_at_most(word, w[: len(word)], budget)
            for w in name_words
        )
        # Also try the whole name without spaces ("acmecorp" for "Acme Corp").
        if not near_a_word and not _edit_distance_at_most(
            q.replace(" ", ""), folded_name.replace(" ", ""), budget
        ):
            return None
    return 3


def closest_names(query: str, names: Iterable[str], *, limit: int = 5) -> list[str]:
    """The names most like `query`, for 'no client matched, did you mean…'."""
    from rapidfuzz import fuzz, process, utils

    folded = {name: fold(name) for name in names}
    hits = process.extract(
        fold(query), folded, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit
    )
    return [name for _choice, score, name in hits if score >= 50]


# --- money ----------------------------------------------------------------------------------

# The currency of an imported amount that names none when the other amount names none either.
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("money is a Decimal, never a float")


def mrr_at_stake(contract_type: ContractType, current: Money | None, new: Money | None) -> Money | None:
    """The monthly revenue that rides on one contract change.

    A renewal puts the whole current MRR at stake (the estimated new one when the current
    is unknown). An upgrade or overage puts only the increase at stake: counting its full
    MRR would add the client's base MRR twice when a renewal is due too.
    """
    if contract_type is ContractType.RENEWAL:
        return current or new
    if new is None:
        return None
    if current is None or current.currency != new.currency:
        # Amounts in different currencies are never subtracted (domain.md): without an exchange
        # rate the increase is unknown, and the app must not guess one. The whole new MRR, in its
        # own currency, is the most this change can bring in; counting it keeps the change's money
        # visible in the totals instead of showing nothing at stake for a pending upgrade.
        return new
    return Money(max(new.amount - current.amount, Decimal(0)), new.currency)


def totals_by_currency(amounts: Iterable[Money | None]) -> dict[str, Decimal]:
    """Sum money per currency (different currencies never add up)."""
    totals: dict[str, Decimal] = {}
    for money in amounts:
        if money is not None:
            totals[money.currency] = totals.get(money.currency, Decimal(0)) + money.amount
    return dict(sorted(totals.items()))
