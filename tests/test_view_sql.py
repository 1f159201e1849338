"""The view and the search in SQL find what the Python rules find (store.rules), on SQLite and PostgreSQL.

The oracle here is the computation the app made before the database did it: every contract change
of the workspace read, then store.rules applied row by row. The data is one varied workspace: every
type and status, start dates on both sides of the window and of the 45-day deadline, owners of every
kind with the workspace default both ways, ended associations, amounts in several currencies (and
none), names that fold to the same text. Exact ties (same deadline, folded name, type and start)
were in no particular order before; the database breaks them by the change's ID, so the oracle does too.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.clients import ClientSearch, find_clients
from store.digest_content import THIS_WEEK_DAYS
from store.home import home_data
from store.models import Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import (
    ContractType,
    OwnerKind,
    Status,
    closest_names,
    match_client,
    owner_matches,
    sort_key,
    totals_by_currency,
)
from store.upcoming import RenewalQuery, RenewalRow, Viewer, _to_row, load_rows, upcoming_view
from tests.factories import TODAY, add_change, add_client, add_member, workspace_row

NAMES = (
    "Acme Corp",
    "Acme Labs",
    "Big Acme",
    "Café Núñez",
    "Cafe Nunez",  # folds to the same name as the one before: ties on the name
    "Zürich Heron",
    "Summit Harbor Dental",
    "Søren & Co",
    "北京 Studio",
    "ACME",
    "Åcme Holdings",
    "Blue Pine 42",
    "100% Realty_Group",  # LIKE's wildcards, literally
)
CURRENCIES = (None, "USD", "EUR", "GBP", "")
PAGE = 7


@dataclass(frozen=True)
class Varied:
    workspace: Workspace
    client_ids: list[int]


def _money(rng: random.Random) -> tuple[Decimal | None, str | None]:
    if rng.random() < 0.25:
        return None, None
    cents = rng.randrange(0, 500_000)
    return Decimal(cents).scaleb(-rng.choice((0, 2, 4))), rng.choice(CURRENCIES)


def build_varied_workspace(session: Session, *, clients: int = 90, seed: int = 20261124) -> Varied:
    rng = random.Random(seed)
    workspace = workspace_row(session)
    members = [
        add_member(session, user_id="U0ANA", email="ana@agency.example"),
        add_member(session, email="Bob@Agency.example"),  # known by email only, mixed case
        add_member(session, user_id="U0CAT"),  # known by Slack user ID only
    ]
    ids = []
    for n in range(clients):
        name = NAMES[n % len(NAMES)] + (f" {n // len(NAMES)}" if n >= len(NAMES) else "")
        if n % 17 == 5:
            name = NAMES[3]  # the very same name as another client
        owner = rng.choice(("default", "hubspot", "partner", "ana", "bob", "cat"))
        member = {"ana": members[0], "bob": members[1], "cat": members[2]}.get(owner)
        client = add_client(
            session,
            name,
            str(1000 + n) if n != 3 else "12345",
            domain=rng.choice((None, f"client{n}.example", f"www.acme{n}.example")),
            contacts=[("Ana Contact", f"ana{n}@client.example", None)],
            primary=f"ana{n}@client.example" if n % 3 else None,
            owner_kind=None
            if owner == "default"
            else OwnerKind.HUBSPOT
            if owner == "hubspot"
            else OwnerKind.PARTNER,
            owner_member_id=member.id if member else None,
            association_ended_at=datetime(2026, 2, 1, tzinfo=UTC) if n % 9 == 4 else None,
        )
        assert client.id is not None
        ids.append(client.id)
        keys: set[tuple[ContractType, date]] = set()
        for _ in range(rng.randint(1, 5)):
            contract_type = rng.choice(list(ContractType))
            # Both sides of today, of the window's end and of the 45-day deadline.
            start = TODAY + timedelta(days=rng.randint(-10, 130))
            if (contract_type, start) in keys:
                continue
            keys.add((contract_type, start))
            current, current_currency = _money(rng)
            new, new_currency = _money(rng)
            add_change(
                session,
                client,
                start,
                contract_type,
                rng.choice(list(Status)),
                current_mrr=current,
                current_mrr_currency=current_currency,
                estimated_new_mrr=new,
                estimated_new_mrr_currency=new_currency,
            )
    # The edges, one of each for sure: the window's first and last days (and one day outside each),
    # and a pending renewal whose deadline is yesterday, today or tomorrow.
    edges = add_client(session, "Edge Cases", "999")
    for days in (-1, 0, 30, 31, 44, 45, 46, 120, 121):
        add_change(session, edges, TODAY + timedelta(days=days), current_mrr=Decimal(days + 1))
    session.commit()
    return Varied(workspace, [*ids, edges.id or 0])


# --- the oracle: the rules applied in Python to everything --------------------------------------


def every_row(workspace: Workspace, session: Session) -> list[tuple[RenewalRow, bool]]:
    """Every contract change of the workspace as a row, and whether its association is active."""
    primary = aliased(Contact)
    query = (
        select(ContractChange, Client, primary, PartnerMember)
        .join(Client, col(Client.id) == col(ContractChange.client_id))
        .outerjoin(primary, col(primary.id) == col(Client.primary_contact_id))
        .outerjoin(PartnerMember, col(PartnerMember.id) == col(Client.owner_member_id))
        .where(ContractChange.workspace_id == workspace.id)
    )
    return [
        (
            _to_row(
                change, client, contact, member, today=TODAY, partner_owns_all=workspace.partner_owns_all
            ),
            client.association_ended_at is None,
        )
        for change, client, contact, member in session.exec(query)
    ]


def _rules_order(rows: Iterable[RenewalRow]) -> list[RenewalRow]:
    return sorted(
        rows,
        key=lambda r: (
            sort_key(r.renewal_deadline, r.client_name, r.contract_type, r.renewal_start_date),
            r.change_id,
        ),
    )


def rules_view(rows: list[tuple[RenewalRow, bool]], query: RenewalQuery, viewer: Viewer) -> list[RenewalRow]:
    """What `query` finds, by the rules: the window, active clients, then each filter."""
    kept = []
    for row, active in rows:
        if not active or not TODAY <= row.renewal_start_date <= TODAY + timedelta(days=query.days):
            continue
        if query.contract_type is not None and row.contract_type is not query.contract_type:
            continue
        if query.status is not None and row.status is not query.status:
            continue
        if query.needs_action_only and not row.needs_action:
            continue
        if query.owner is not None and not owner_matches(
            row.owner,
            query.owner,
            me_user_id=viewer.user_id,
            me_email=viewer.email,
            wanted_email=query.owner_email,
        ):
            continue
        if (
            query.words
            and match_client(query.words, name=row.client_name, domain=row.domain, hub_id=row.hub_id) is None
        ):
            continue
        kept.append(row)
    return _rules_order(kept)


def rules_search(text: str, clients: list[Client], limit: int = 10) -> ClientSearch:
    """find_clients as it was: every client scored by match_client."""
    scored = []
    for client in clients:
        score = match_client(text, name=client.name, domain=client.domain, hub_id=client.hub_id)
        if score is not None:
            scored.append((score, client.name_folded, client.id or 0, client))
    scored.sort(key=lambda item: item[:3])
    exact = [item[3] for item in scored if item[0] == 0]
    if exact:
        return ClientSearch(matches=exact[:limit], suggestions=[])
    if scored:
        return ClientSearch(matches=[item[3] for item in scored[:limit]], suggestions=[])
    return ClientSearch(matches=[], suggestions=closest_names(text, [c.name for c in clients]))


# --- the queries ---------------------------------------------------------------------------------

VIEWERS = (
    Viewer("U0ANA", "someone@else.example"),
    Viewer(None, "ANA@agency.example"),
    Viewer("U0CAT"),
    Viewer(None, "bob@AGENCY.example"),
    Viewer(),
)
OWNERS: tuple[tuple[str | None, str | None], ...] = (
    (None, None),
    ("me", None),
    ("hubspot", None),
    ("partner", None),
    ("U0CAT", None),
    ("U0ZED", "bob@agency.example"),  # a mention of someone known only by the imported email
)
WORDS = (
    "",
    "acme",
    "amce",
    "cafe nunes",
    "acme crop",
    "heron",
    "hreon",
    "1003",
    "client7.example",
    "www.acme8.example",
    "zzz",
    " ",
)


def queries(count: int, seed: int) -> list[tuple[RenewalQuery, Viewer]]:
    """Each filter alone, then random combinations of them."""
    alone = [RenewalQuery(contract_type=t) for t in ContractType]
    alone += [RenewalQuery(status=s) for s in Status]
    alone += [RenewalQuery(owner=o, owner_email=e) for o, e in OWNERS]
    alone += [RenewalQuery(words=w) for w in WORDS]
    alone += [RenewalQuery(days=d) for d in (1, 30, 44, 45, 46, 120)]
    alone += [RenewalQuery(needs_action_only=True)]
    pairs = [(q, viewer) for q in alone for viewer in VIEWERS[:2]]
    rng = random.Random(seed)
    for _ in range(count):
        owner, owner_email = rng.choice(OWNERS)
        query = RenewalQuery(
            words=rng.choice(WORDS),
            contract_type=rng.choice((None, *ContractType)),
            status=rng.choice((None, None, *Status)),
            owner=owner,
            owner_email=owner_email,
            days=rng.choice((120, 60, 30)),
            needs_action_only=rng.random() < 0.3,
        )
        pairs.append((query, rng.choice(VIEWERS)))
    return pairs


@pytest.fixture(params=[False, True], ids=["hubspot-default", "partner-owns-all"])
def varied(request: pytest.FixtureRequest, session: Session) -> Varied:
    data = build_varied_workspace(session)
    data.workspace.partner_owns_all = request.param
    session.add(data.workspace)
    session.commit()
    return data


def test_the_view_in_sql_finds_counts_totals_and_orders_as_the_rules_do(
    session: Session, varied: Varied
) -> None:
    everything = every_row(varied.workspace, session)
    compared = 0
    for query, viewer in queries(40, seed=7):
        expected = rules_view(everything, query, viewer)
        for offset in (0, PAGE * 2):
            view = upcoming_view(
                varied.workspace,
                query,
                session=session,
                today=TODAY,
                viewer=viewer,
                offset=offset,
                page_size=PAGE,
            )
            clamped = max(0, min(offset, len(expected) - 1))
            assert (view.total, view.offset) == (len(expected), clamped), query
            assert view.rows == expected[clamped : clamped + PAGE], query
            assert view.needing_total == sum(r.needs_action for r in expected), query
            assert view.mrr_at_stake == totals_by_currency(
                r.mrr_at_stake for r in expected if r.needs_action
            ), query
            compared += len(view.rows)
    assert compared > 500  # the queries found plenty to compare


@pytest.mark.parametrize(
    "amount",
    ["12345678901234.5678", "0.00006", "1E+3", "12.5"],
    ids=["beyond-a-float", "five-decimals", "exponent", "plain"],
)
def test_mrr_at_stake_is_exact_for_amounts_sqlite_cannot_add_as_integers(
    session: Session, amount: str
) -> None:
    varied = build_varied_workspace(session)
    client = session.get(Client, varied.client_ids[0])
    assert client is not None
    add_change(
        session,
        client,
        TODAY + timedelta(days=100),
        ContractType.EMAIL_OVERAGE,
        estimated_new_mrr=Decimal(amount),
        estimated_new_mrr_currency="USD",
    )
    session.commit()
    expected = rules_view(every_row(varied.workspace, session), RenewalQuery(), Viewer())

    view = upcoming_view(varied.workspace, RenewalQuery(), session=session, today=TODAY)

    assert view.mrr_at_stake == totals_by_currency(r.mrr_at_stake for r in expected if r.needs_action)


def test_paging_through_the_sql_view_visits_the_rules_order_once(session: Session, varied: Varied) -> None:
    expected = rules_view(every_row(varied.workspace, session), RenewalQuery(), Viewer())
    seen: list[RenewalRow] = []
    for offset in itertools.count(0, PAGE):
        view = upcoming_view(
            varied.workspace, RenewalQuery(), session=session, today=TODAY, offset=offset, page_size=PAGE
        )
        seen += view.rows
        if not view.has_next:
            break
    assert seen == expected and len(expected) > 100


def test_load_rows_in_sql_gives_the_digest_window_in_the_rules_order(
    session: Session, varied: Varied
) -> None:
    until = TODAY + timedelta(days=14)
    expected = _rules_order(
        row
        for row, active in every_row(varied.workspace, session)
        if active and TODAY <= row.renewal_deadline <= until
    )
    rows = load_rows(
        varied.workspace, session=session, today=TODAY, deadline_from=TODAY, deadline_until=until
    )
    assert rows == expected and expected


def test_the_home_tab_counts_and_totals_in_sql_as_the_rules_do(session: Session, varied: Varied) -> None:
    everything = every_row(varied.workspace, session)
    for viewer in VIEWERS:
        _same_home(session, varied.workspace, everything, viewer)


def _same_home(
    session: Session, workspace: Workspace, everything: list[tuple[RenewalRow, bool]], viewer: Viewer
) -> None:
    owned = rules_view(everything, RenewalQuery(owner="me"), viewer)
    mine = [row for row in owned if row.needs_action]
    window = rules_view(everything, RenewalQuery(), viewer)
    week = [
        r
        for r in window
        if r.needs_action and TODAY <= r.renewal_deadline <= TODAY + timedelta(THIS_WEEK_DAYS)
    ]

    data = home_data(workspace, session=session, today=TODAY, viewer=viewer, mine_shown=5)

    assert (data.mine, data.mine_total, data.owned_total) == (mine[:5], len(mine), len(owned)), viewer
    assert data.mine_mrr_at_stake == totals_by_currency(r.mrr_at_stake for r in mine)
    assert (data.upcoming_total, data.week_total) == (len(window), len(week))
    assert data.week_mrr_at_stake == totals_by_currency(r.mrr_at_stake for r in week)


SEARCHES = (
    "acme",
    "ACME",
    "Ácme",
    "acme corp",
    "acme crop",
    "amce",  # two letters swapped in a short word: few trigrams in common
    "hreon",
    "acme labs 2",
    "big",
    "cafe nunez",
    "café núñez 1",
    "cafe nunes",
    "nunez",
    "heron",
    "zurich heron",
    "summit harbr",
    "harbor dental",
    "soren",
    "北京",
    "100% realty_group",
    "realty_g",
    "12345",
    "0012345",
    "123",
    "10",
    "1050",
    "client7.example",
    "https://www.client7.example/contact",
    "acme8.example",
    "www.acme8",
    "example",
    "pine 4",
    "globex industries",
    "zzz",
    "a",
    "",
)


def test_search_in_sql_finds_and_ranks_what_match_client_does(session: Session) -> None:
    workspace = build_varied_workspace(session).workspace
    every_client = list(
        session.exec(select(Client).where(Client.workspace_id == workspace.id).order_by(col(Client.id)))
    )
    for text, include_ended, limit in itertools.product(SEARCHES, (True, False), (3, 10)):
        clients = [c for c in every_client if include_ended or c.association_ended_at is None]
        expected = rules_search(text, clients, limit)
        found = find_clients(
            text, session=session, workspace=workspace, include_ended=include_ended, limit=limit
        )
        assert [c.id for c in found.matches] == [c.id for c in expected.matches], (text, include_ended, limit)
        # Only the names most alike are weighed (pg_trgm's, or SQLite's name words): each
        # suggestion is one the rules call close.
        close = closest_names(text, [c.name for c in clients], limit=len(clients))
        assert set(found.suggestions) <= set(close), text
