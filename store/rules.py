"""The renewals domain rules as plain functions: no Slack and no database in here.

Everything that decides a date, a status, what needs action or what is shown
lives here, so the Slack surface, the digest and the terminal can never disagree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
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


class ClientMatcher:
    """`match_client` for one query, made once and asked about many clients.

    The query is folded once, and whether a query word is near a name word is remembered,
    so scoring every name of a workspace costs little more than reading them. `name_folded`
    is `fold(name)`, as the client table stores it.
    """

    def __init__(self, query: str) -> None:
        self.query = fold(query)
        q = self.query
        self.digits = q.isdigit()
        # Imports store Hub IDs without leading zeros; a person may still type them.
        self.hub_id_digits = q.lstrip("0") if self.digits else None
        self.host = website_host(q)
        self.words = [(word, _typo_budget(word)) for word in q.split()]
        self.compact = q.replace(" ", "")
        # Per query word, the name words already found near it and those found not to be.
        self._seen: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in self.words]

    def score(self, *, name_folded: str, domain: str | None, hub_id: str) -> int | None:
        """How well the query finds this client (lower is better), or None when it does not.

        Exact Hub ID or domain first, then the name: whole, prefix, substring, and
        finally word by word with a typo or two allowed.
        """
        q = self.query
        if not q:
            return None
        if q == hub_id or (self.digits and self.hub_id_digits == hub_id.lstrip("0")):
            return 0
        if name_folded == q:
            return 0
        bare_domain = website_host(domain or "")
        if bare_domain and self.host == bare_domain:
            return 0
        if name_folded.startswith(q):
            return 1
        if q in name_folded:
            return 2
        if bare_domain and q in bare_domain:
            return 2
        if self.digits and hub_id.startswith(q):
            return 2
        return 3 if self.near(name_folded) else None

    def near(self, name_folded: str) -> bool:
        """Typo tolerance, word by word: every query word must be near some name word
        (or near the start of one, for people who type only part of a long name)."""
        name_words = name_folded.split()
        for index, (word, budget) in enumerate(self.words):
            near, far = self._seen[index]
            for unseen in [w for w in name_words if w not in near and w not in far]:
                (near if self._word_near(word, budget, unseen) else far).add(unseen)
            if not near.isdisjoint(name_words):
                continue
            if budget == 0:  # a short word must start a name word exactly
                return False
            # Also try the whole name without spaces ("acmecorp" for "Acme Corp").
            if not self.compact_near(name_folded.replace(" ", ""), budget):
                return False
        return True

    def compact_near(self, compact: str, budget: int) -> bool:
        """The query without spaces is within `budget` typos of `compact` (a name without spaces);
        lengths further apart than the budget are further apart than that (checked first: cheap)."""
        return abs(len(compact) - len(self.compact)) <= budget and _edit_distance_at_most(
            self.compact, compact, budget
        )

    def word_near(self, index: int, name_word: str) -> bool:
        """Query word number `index` is near `name_word` (the whole word or its start), as `near`
        asks it, and remembered."""
        near, far = self._seen[index]
        if name_word in near or name_word in far:
            return name_word in near
        word, budget = self.words[index]
        hit = self._word_near(word, budget, name_word)
        (near if hit else far).add(name_word)
        return hit

    def learn(self, names_folded: Iterable[str]) -> None:
        """Sort every word of these names into near and far for each query word, in one pass of
        rapidfuzz over them all, so that `near` on these names only looks words up."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        vocabulary = {word for name in names_folded for word in name.split()}
        for index, (word, budget) in enumerate(self.words):
            near, far = self._seen[index]
            unseen = [w for w in vocabulary if w not in near and w not in far]
            if budget == 0:
                hits = {w for w in unseen if w.startswith(word)}
            else:
                hits = set()
                for choices in (unseen, [w[: len(word)] for w in unseen]):  # whole, and its start
                    found = process.extract(
                        word, choices, scorer=OSA.distance, score_cutoff=budget, limit=None
                    )
                    hits.update(unseen[i] for _choice, _distance, i in found)
            near.update(hits)
            far.update(w for w in unseen if w not in hits)

    @staticmethod
    def _word_near(word: str, budget: int, name_word: str) -> bool:
        if budget == 0:
            return name_word.startswith(word)
        if len(name_word) < len(word) - budget:  # too short, whole or cut: more typos than allowed
            return False
        return _edit_distance_at_most(word, name_word, budget) or _edit_distance_at_most(
            word, name_word[: len(word)], budget
        )


def match_client(query: str, *, name: str, domain: str | None, hub_id: str) -> int | None:
    """How well `query` finds a client (lower is better), or None when it does not (ClientMatcher.score)."""
    return ClientMatcher(query).score(name_folded=fold(name), domain=domain, hub_id=hub_id)


def closest_names(query: str, names: Iterable[str] | Mapping[str, str], *, limit: int = 5) -> list[str]:
    """The names most like `query`, for 'no client matched, did you mean…' (`names` may map each
    name to its fold(), as the client table stores it, to spare folding them again)."""
    from rapidfuzz import fuzz, process, utils

    folded = names if isinstance(names, Mapping) else {name: fold(name) for name in names}
    hits = process.extract(
        fold(query), folded, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=50
    )
    return [name for _choice, _score, name in hits]


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
