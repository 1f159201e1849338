"""The "Upcoming renewals" view: one query, one view model.

Slack tables, digests and the terminal demo all render `RenewalRow`s made here,
so what they show can never disagree.

The database filters, sorts, counts, totals and pages: the rules of store.rules (effective
status, effective owner, MRR at stake, the sort key) are written here once more as SQL, and
only the page's rows become Python objects. tests/test_view_sql.py checks the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Integer, String, and_, case, cast, func, or_, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from store.follow_up import active_follow_up_condition
from store.listed import still_listed
from store.models import Client, Contact, ContractChange, PartnerMember, Workspace, contact_label
from store.rules import (
    DEFAULT_CURRENCY,
    NEEDS_ACTION,
    UPCOMING_WINDOW_DAYS,
    BillingFrequency,
    ContractType,
    Money,
    Owner,
    OwnerKind,
    Status,
    effective_owner,
    effective_status,
    mrr_at_stake,
    needs_action,
    owner_matches,
    renewal_deadline,
    totals_by_currency,
)
from store.search import client_scope, dialect_of, id_in, matching_client_ids, read
from store.types import ExactDecimal
from store.view_cache import kept


@dataclass(frozen=True)
class RenewalRow:
    """One contract change as a person sees it today (effective status, effective owner)."""

    change_id: int
    client_id: int
    client_name: str
    hub_id: str
    domain: str | None
    owner: Owner
    primary_contact: str | None
    contract_type: ContractType
    status: Status
    renewal_start_date: date
    renewal_deadline: date
    max_contacts: int | None
    email_limit: int | None
    billing_frequency: BillingFrequency | None
    billing_months: int | None
    subscription_term_months: int | None
    current_mrr: Money | None
    estimated_new_mrr: Money | None

    @property
    def needs_action(self) -> bool:
        return needs_action(self.status)

    @property
    def mrr_at_stake(self) -> Money | None:
        """What rides on this change (store.rules.mrr_at_stake)."""
        return mrr_at_stake(self.contract_type, self.current_mrr, self.estimated_new_mrr)


@dataclass(frozen=True)
class RenewalQuery:
    """What a person asked for: search words and filters (see store.filters for parsing)."""

    words: str = ""
    contract_type: ContractType | None = None
    status: Status | None = None  # compared with the *effective* status
    owner: str | None = None  # "me", "hubspot", "partner" or a Slack user ID
    owner_email: str | None = None  # that user's Slack email, when `owner` is a user ID
    days: int = UPCOMING_WINDOW_DAYS
    needs_action_only: bool = False


@dataclass(frozen=True)
class Viewer:
    """Who is looking, for `owner:me`."""

    user_id: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class UpcomingView:
    today: date
    query: RenewalQuery
    rows: list[RenewalRow]  # this page only
    total: int
    offset: int
    page_size: int
    mrr_at_stake: dict[str, Decimal] = field(default_factory=dict)  # over every match, per currency
    needing_total: int = 0  # the matches that need action

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


# --- the rules of store.rules, as SQL -----------------------------------------------------------

_CURRENT = col(ContractChange.current_mrr)
_NEW = col(ContractChange.estimated_new_mrr)


# The stored deadline is always renewal_deadline(start) (models.ContractChange): the conditions on
# start dates are written on deadlines, whose index serves the view's order too.


def _renewed_by_itself(today: date) -> ColumnElement[bool]:
    """A pending renewal whose deadline has passed (store.rules.effective_status)."""
    return and_(
        ContractChange.contract_type == ContractType.RENEWAL,
        ContractChange.status == Status.PENDING,
        col(ContractChange.renewal_deadline) < today,
    )


def _starts_between(first: date, last: date) -> list[ColumnElement[bool]]:
    """Start dates from `first` to `last` (both included), as the same range of deadlines."""
    return [
        col(ContractChange.renewal_deadline) >= renewal_deadline(first),
        col(ContractChange.renewal_deadline) <= renewal_deadline(last),
    ]


def effective_status_is(status: Status, today: date) -> ColumnElement[bool]:
    """The change's *effective* status (store.rules.effective_status) is `status`."""
    renewed = _renewed_by_itself(today)
    if status is Status.RENEWED:
        return or_(ContractChange.status == Status.RENEWED, renewed)
    if status is Status.PENDING:
        return and_(ContractChange.status == Status.PENDING, ~renewed)
    return ContractChange.status == status


def needs_action_sql(today: date) -> ColumnElement[bool]:
    """store.rules.needs_action of the effective status."""
    return or_(*(effective_status_is(status, today) for status in sorted(NEEDS_ACTION)))


# The sort key's contract type, as the rank of its value (store.rules.sort_key compares values).
_TYPE_RANK = case(
    {t: rank for rank, t in enumerate(sorted(ContractType, key=lambda t: t.value))},
    value=col(ContractChange.contract_type),
)
# store.rules.sort_key, then the change's ID so that pages never overlap. Its last part, the start
# date, is left out: the deadline is always the start date less the same days (rules.
# renewal_deadline), so equal deadlines are equal start dates. The order is then read from the
# window's index alone, whose entries hold the type and (as the row ID) the change's ID.
_ORDER = (
    col(ContractChange.renewal_deadline),
    col(Client.name_folded),
    _TYPE_RANK,
    col(ContractChange.id),
)
VIEW_ORDER = _ORDER  # the same order for a query that joins client (the CSV export)


def _currency(column: Any) -> ColumnElement[str]:
    # models._money: an amount without a currency is in the default one.
    return func.coalesce(func.nullif(column, ""), DEFAULT_CURRENCY)


def _at_stake(current: Any, new: Any, increase: Any) -> tuple[ColumnElement[str], ColumnElement[Any]]:
    """store.rules.mrr_at_stake per row, as (currency, amount): `current` and `new` are the two
    amounts as the database can add them, `increase` the new one less the current, at least 0."""
    current_currency = _currency(ContractChange.current_mrr_currency)
    new_currency = _currency(ContractChange.estimated_new_mrr_currency)
    renewal = col(ContractChange.contract_type) == ContractType.RENEWAL
    # A renewal: the current MRR (else the new one). Otherwise the increase, or the whole new MRR
    # when the current one is unknown or in another currency; nothing without a new MRR.
    current_first = and_(renewal, _CURRENT.is_not(None))
    currency = case((current_first, current_currency), (_NEW.is_not(None), new_currency))
    amount = case(
        (current_first, current),
        (_NEW.is_(None), None),
        (or_(renewal, _CURRENT.is_(None), current_currency != new_currency), new),
        else_=increase,
    )
    return currency, amount


def _owner_condition(
    wanted: str, workspace: Workspace, *, session: Session, viewer: Viewer, wanted_email: str | None
) -> ColumnElement[bool]:
    """store.rules.owner_matches of the effective owner (store.rules.effective_owner)."""
    kind = col(Client.owner_kind)
    default = OwnerKind.PARTNER if workspace.partner_owns_all else OwnerKind.HUBSPOT
    if wanted in ("hubspot", "partner"):
        explicit = kind == OwnerKind(wanted)
        return or_(explicit, kind.is_(None)) if default is OwnerKind(wanted) else explicit
    # A person: only an explicit partner owner is one. The partner team's members are few, so
    # which of them is meant is decided by the rule itself, in Python.
    members = session.execute(
        select(PartnerMember.id, PartnerMember.slack_user_id, PartnerMember.email, PartnerMember.name).where(
            PartnerMember.workspace_id == workspace.id
        )
    )
    meant = [
        member_id
        for member_id, user_id, email, name in members
        if owner_matches(
            Owner(OwnerKind.PARTNER, slack_user_id=user_id, email=email, name=name),
            wanted,
            me_user_id=viewer.user_id,
            me_email=viewer.email,
            wanted_email=wanted_email,
        )
    ]
    return and_(kind == OwnerKind.PARTNER, col(Client.owner_member_id).in_(meant))


def _of_clients(workspace_id: int, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The change's client is active and meets `conditions` (a semi-join: counting and totalling
    need no client column, and a small set of IDs is cheaper to probe than a join)."""
    if not conditions:
        ended = select(Client.id).where(
            Client.workspace_id == workspace_id, col(Client.association_ended_at).is_not(None)
        )
        return col(ContractChange.client_id).not_in(ended)
    active = select(Client.id).where(
        Client.workspace_id == workspace_id, col(Client.association_ended_at).is_(None), *conditions
    )
    return col(ContractChange.client_id).in_(active)


def _live(workspace_id: int) -> tuple[ColumnElement[bool], ...]:
    """The workspace's contract changes still in the export: every query of the view starts here,
    so a change an import removed is nowhere in it."""
    return (ContractChange.workspace_id == workspace_id, still_listed())


def shown_conditions(workspace_id: int) -> list[ColumnElement[bool]]:
    """A contract change a person may see: of the workspace, still listed, its client active (for
    a query of contract change IDs of its own, such as an import's whole list of changes)."""
    return [*_live(workspace_id), _of_clients(workspace_id)]


@dataclass(frozen=True)
class _Conditions:
    """What a query finds: conditions on the contract change, and on its client (besides being
    active). The page joins the client anyway and tests those on the joined row; counting and
    totalling need no client column, so there they become a semi-join (`unjoined`)."""

    changes: list[ColumnElement[bool]]
    clients: list[ColumnElement[bool]]

    def unjoined(self, workspace_id: int) -> list[ColumnElement[bool]]:
        return [*self.changes, _of_clients(workspace_id, *self.clients)]

    def joined(self) -> list[ColumnElement[bool]]:
        return [*self.changes, col(Client.association_ended_at).is_(None), *self.clients]


def _joined(query: Any, workspace_id: int) -> Any:
    return query.join(Client, col(Client.id) == col(ContractChange.client_id)).where(
        *_live(workspace_id), Client.workspace_id == workspace_id
    )


# A contract change's own fields, in this order: the view's rows and the CSV export read them.
CHANGE_FIELDS = (
    col(ContractChange.contract_type),
    col(ContractChange.status),
    col(ContractChange.renewal_start_date),
    col(ContractChange.renewal_deadline),
    col(ContractChange.max_contacts),
    col(ContractChange.email_limit),
    col(ContractChange.billing_frequency),
    col(ContractChange.billing_months),
    col(ContractChange.subscription_term_months),
    col(ContractChange.current_mrr),
    col(ContractChange.current_mrr_currency),
    col(ContractChange.estimated_new_mrr),
    col(ContractChange.estimated_new_mrr_currency),
)
# What a row shows, read as plain columns (no ORM objects: a page is built per request).
_ROW_COLUMNS = (
    col(ContractChange.id),
    col(ContractChange.client_id),
    *CHANGE_FIELDS,
    col(Client.name),
    col(Client.hub_id),
    col(Client.domain),
    col(Client.owner_kind),
    col(Contact.name),
    col(Contact.email),
    col(PartnerMember.slack_user_id),
    col(PartnerMember.email),
    col(PartnerMember.name),
)
_ROWS = (
    select(*_ROW_COLUMNS)
    .select_from(ContractChange)
    .join(Client, col(Client.id) == col(ContractChange.client_id))
    .outerjoin(Contact, col(Contact.id) == col(Client.primary_contact_id))
    .outerjoin(PartnerMember, col(PartnerMember.id) == col(Client.owner_member_id))
)


def _rows_query(workspace_id: int):  # type: ignore[no-untyped-def]
    return _ROWS.where(*_live(workspace_id), Client.workspace_id == workspace_id)


def _changes(query: Any, workspace_id: int) -> Any:
    return query.select_from(ContractChange).where(*_live(workspace_id))


def _to_row(
    change: ContractChange,
    client: Client,
    contact: Contact | None,
    member: PartnerMember | None,
    *,
    today: date,
    partner_owns_all: bool,
) -> RenewalRow:
    """A row from the objects themselves, exactly as _row_of makes it from the view's columns
    (tests/test_view_sql.py's oracle builds its rows so)."""
    objects = {ContractChange.__table__: change, Client.__table__: client}
    objects |= {Contact.__table__: contact, PartnerMember.__table__: member}
    values = [getattr(objects[column.table], column.key, None) for column in _ROW_COLUMNS]
    return _row_of(values, today=today, partner_owns_all=partner_owns_all)


def _row_of(values: Any, *, today: date, partner_owns_all: bool) -> RenewalRow:
    """A row from the view's columns (_ROW_COLUMNS)."""
    (
        change_id,
        client_id,
        contract_type,
        status,
        start,
        deadline,
        max_contacts,
        email_limit,
        billing_frequency,
        billing_months,
        term,
        current,
        current_currency,
        new,
        new_currency,
        name,
        hub_id,
        domain,
        owner_kind,
        contact_name,
        contact_email,
        member_user_id,
        member_email,
        member_name,
    ) = values
    owner = effective_owner(
        owner_kind,
        partner_owns_all=partner_owns_all,
        slack_user_id=member_user_id,
        email=member_email,
        name=member_name,
    )
    return RenewalRow(
        change_id=change_id,
        client_id=client_id,
        client_name=name,
        hub_id=hub_id,
        domain=domain,
        owner=owner,
        primary_contact=None if contact_email is None else contact_label(contact_name, contact_email),
        contract_type=contract_type,
        status=effective_status(contract_type, status, start, today),
        renewal_start_date=start,
        renewal_deadline=deadline,
        max_contacts=max_contacts,
        email_limit=email_limit,
        billing_frequency=billing_frequency,
        billing_months=billing_months,
        subscription_term_months=term,
        current_mrr=None if current is None else Money(current, current_currency or DEFAULT_CURRENCY),
        estimated_new_mrr=None if new is None else Money(new, new_currency or DEFAULT_CURRENCY),
    )


def load_rows(
    workspace: Workspace,
    *,
    session: Session,
    today: date,
    start_from: date | None = None,
    start_until: date | None = None,
    deadline_from: date | None = None,
    deadline_until: date | None = None,
    client_ids: Iterable[int] | None = None,
    change_ids: Iterable[int] | None = None,
    include_ended: bool = False,
    where: Iterable[ColumnElement[bool]] = (),
    limit: int | None = None,
) -> list[RenewalRow]:
    """Contract changes of one workspace as rows, sorted by deadline (soonest first).

    Ended associations are left out unless asked for (a client's own detail shows them); `where`
    adds conditions on contract_change (such as store.follow_up.active_follow_up_condition);
    `limit` keeps the first rows only.
    """
    assert workspace.id is not None
    conditions = []
    if start_from is not None:
        conditions.append(col(ContractChange.renewal_start_date) >= start_from)
    if start_until is not None:
        conditions.append(col(ContractChange.renewal_start_date) <= start_until)
    if deadline_from is not None:
        conditions.append(col(ContractChange.renewal_deadline) >= deadline_from)
    if deadline_until is not None:
        conditions.append(col(ContractChange.renewal_deadline) <= deadline_until)
    if client_ids is not None:
        conditions.append(col(ContractChange.client_id).in_(list(client_ids)))
    if change_ids is not None:
        conditions.append(col(ContractChange.id).in_(list(change_ids)))
    if not include_ended:
        conditions.append(col(Client.association_ended_at).is_(None))
    conditions.extend(where)
    return _page(workspace, conditions, session=session, today=today, limit=limit)


def _page(
    workspace: Workspace,
    conditions: list[ColumnElement[bool]],
    *,
    session: Session,
    today: date,
    offset: int = 0,
    limit: int | None = None,
) -> list[RenewalRow]:
    """The rows meeting `conditions` (on contract_change and its client), in the view's order; from
    `offset`, at most `limit` of them: the order is found on narrow rows, and only the page's are
    read whole."""
    assert workspace.id is not None
    if limit is None and not offset:
        query = _rows_query(workspace.id).where(*conditions)
    else:
        # One statement (one round trip): the page's IDs in a subquery, then their rows.
        order = _joined(select(ContractChange.id), workspace.id).where(*conditions).order_by(*_ORDER)
        query = _rows_query(workspace.id).where(col(ContractChange.id).in_(order.offset(offset).limit(limit)))
    rows = read(session, query.order_by(*_ORDER))
    return [_row_of(values, today=today, partner_owns_all=workspace.partner_owns_all) for values in rows]


def _matching(
    workspace: Workspace,
    query: RenewalQuery,
    *,
    session: Session,
    today: date,
    viewer: Viewer,
) -> _Conditions:
    """The SQL conditions of what `query` finds: start dates in the next `query.days` days,
    active clients only, then the filters."""
    assert workspace.id is not None
    conditions = _starts_between(today, today + timedelta(days=query.days))
    clients = []
    if query.contract_type is not None:
        conditions.append(col(ContractChange.contract_type) == query.contract_type)
    if query.status is not None:
        conditions.append(effective_status_is(query.status, today))
    if query.needs_action_only:
        conditions.append(needs_action_sql(today))
    if query.owner is not None:
        clients.append(
            _owner_condition(
                query.owner, workspace, session=session, viewer=viewer, wanted_email=query.owner_email
            )
        )
    if query.words:
        # Search only among the clients the other filters leave.
        so_far = _Conditions(conditions, clients).unjoined(workspace.id)
        changes = _changes(select(ContractChange.client_id), workspace.id).where(*so_far)
        scope = client_scope(workspace.id, include_ended=False).where(col(Client.id).in_(changes))
        found = matching_client_ids(query.words, scope, workspace_id=workspace.id, session=session)
        conditions.append(id_in(col(ContractChange.client_id), found, dialect=dialect_of(session)))
    return _Conditions(conditions, clients)


def view_conditions(
    workspace: Workspace, query: RenewalQuery, *, session: Session, today: date, viewer: Viewer | None = None
) -> list[ColumnElement[bool]]:
    """The SQL conditions (on contract_change) of the rows `upcoming_view` pages through, every
    page of them (for the CSV export: store.csv_export)."""
    return [
        *_matching(workspace, query, session=session, today=today, viewer=viewer or Viewer()).unjoined(
            workspace.id
        ),
        still_listed(),
    ]


@dataclass(frozen=True)
class Summary:
    total: int  # the matching contract changes
    needing_total: int  # those of them that need action
    mrr_at_stake: dict[str, Decimal]  # over those that need action, per currency


def summarize(
    workspace: Workspace,
    conditions: list[ColumnElement[bool]],
    *,
    session: Session,
    today: date,
    at_stake: bool = True,
) -> Summary:
    """Count the contract changes that meet `conditions` and (unless `at_stake` is False) total
    their MRR at stake, in SQL."""
    assert workspace.id is not None
    needing = needs_action_sql(today)
    total, needing_total = read(
        session,
        _changes(select(func.count(), func.count(case((needing, 1)))), workspace.id).where(*conditions),
    ).one()
    if not needing_total or not at_stake:
        return Summary(total, needing_total, {})
    if dialect_of(session) == "postgresql":
        currency, amount = _at_stake(_CURRENT, _NEW, func.greatest(_NEW - _CURRENT, 0))
        money = _changes(select(currency), workspace.id).where(*conditions, needing, currency.is_not(None))
        summed = type_coerce(func.sum(amount), ExactDecimal())
        totals = {code: value for code, value in read(session, money.add_columns(summed).group_by(currency))}
    else:
        totals = _sqlite_totals(workspace.id, [*conditions, needing], session=session)
    return Summary(total, needing_total, dict(sorted(totals.items())))


# SQLite keeps money as text (store.types.ExactDecimal) and has no exact decimal type. An amount
# written with digits and at most one dot followed by at most four digits (as the import writes
# them, NUMERIC(18, 4)), and under a billion, is a whole number n of ten-thousandths below 10**13:
# SQLite reads it as a float within 0.003 of n after scaling, so rounding gives n exactly and the
# integer sum is exact. Should any amount be written otherwise, the rule adds them up in Python.
_DECIMALS = 4
_BELOW = 10**9


def _is_plain(amount: Any) -> ColumnElement[bool]:
    text = type_coerce(amount, String)
    glob = text.op("GLOB", is_comparison=True)
    return or_(
        text.is_(None),
        and_(
            ~glob("*[^0-9.]*"),
            ~glob("*.*.*"),
            ~glob("*." + "?" * (_DECIMALS + 1) + "*"),
            cast(text, Float) < _BELOW,
        ),
    )


def _units(amount: Any) -> ColumnElement[int]:
    """A plain amount as a whole number of ten-thousandths ('12.5' -> 125000)."""
    return cast(func.round(type_coerce(amount, Float) * 10**_DECIMALS), Integer)


def _sqlite_totals(
    workspace_id: int, conditions: list[ColumnElement[bool]], *, session: Session
) -> dict[str, Decimal]:
    current, new = _units(_CURRENT), _units(_NEW)
    currency, amount = _at_stake(current, new, func.max(new - current, 0))
    odd = func.count(case((~and_(_is_plain(_CURRENT), _is_plain(_NEW)), 1)))
    summed = read(
        session,
        _changes(select(currency, func.sum(amount), odd), workspace_id)
        .where(*conditions, currency.is_not(None))
        .group_by(currency),
    ).all()
    if not any(count for _code, _total, count in summed):
        return {code: Decimal(total).scaleb(-_DECIMALS) for code, total, _count in summed}
    # Some amount is not plain: those changes come out, and the rule itself adds them up.
    changes = session.scalars(_changes(select(ContractChange), workspace_id).where(*conditions))
    return totals_by_currency(
        mrr_at_stake(change.contract_type, change.current_money, change.new_money) for change in changes
    )


def _counted(
    workspace: Workspace,
    query: RenewalQuery,
    *,
    session: Session,
    today: date,
    viewer: Viewer,
    deadlines: tuple[date, date] | None = None,
    at_stake: bool = True,
) -> tuple[_Conditions, Summary]:
    """The conditions of what `query` finds and their summary: kept per data version
    (store.view_cache), as both stay the same until the workspace's data changes."""
    assert workspace.id is not None
    workspace_id = workspace.id

    def count() -> tuple[_Conditions, Summary]:
        conditions = _matching(workspace, query, session=session, today=today, viewer=viewer)
        if deadlines is not None:
            conditions.changes.extend(
                [
                    col(ContractChange.renewal_deadline) >= deadlines[0],
                    col(ContractChange.renewal_deadline) <= deadlines[1],
                ]
            )
        unjoined = conditions.unjoined(workspace_id)
        return conditions, summarize(workspace, unjoined, session=session, today=today, at_stake=at_stake)

    parts = ("upcoming", today, query, viewer, deadlines, at_stake)
    return kept(workspace.id, parts, count, session=session)


def window_summary(
    workspace: Workspace,
    query: RenewalQuery,
    *,
    session: Session,
    today: date,
    viewer: Viewer | None = None,
    deadlines: tuple[date, date] | None = None,
    at_stake: bool = True,
) -> Summary:
    """What `upcoming_view` counts and totals, without a page; `deadlines` keeps only the changes
    whose renewal deadline falls in that range (both days included)."""
    _conditions, summary = _counted(
        workspace,
        query,
        session=session,
        today=today,
        viewer=viewer or Viewer(),
        deadlines=deadlines,
        at_stake=at_stake,
    )
    return replace(summary, mrr_at_stake=dict(summary.mrr_at_stake))  # the kept one stays as it was


def upcoming_view(
    workspace: Workspace,
    query: RenewalQuery,
    *,
    session: Session,
    today: date,
    viewer: Viewer | None = None,
    offset: int = 0,
    page_size: int = 20,
) -> UpcomingView:
    """The upcoming-renewals table: start dates in the next `query.days` days, active clients only."""
    conditions, summary = _counted(workspace, query, session=session, today=today, viewer=viewer or Viewer())
    offset = max(0, min(offset, max(0, summary.total - 1)))
    rows = (
        _page(workspace, conditions.joined(), session=session, today=today, offset=offset, limit=page_size)
        if summary.total
        else []
    )
    return UpcomingView(
        today=today,
        query=query,
        rows=rows,
        total=summary.total,
        offset=offset,
        page_size=page_size,
        mrr_at_stake=dict(summary.mrr_at_stake),
        needing_total=summary.needing_total,
    )


# --- the digest's list: deadlines in a window, still needing action -----------------------------


def due_window(workspace: Workspace, *, today: date, until: date) -> list[ColumnElement[bool]]:
    """The SQL conditions (on contract_change) of a digest's window: a renewal deadline from `today`
    to `until` (both included), the effective status still needing action, active clients only."""
    assert workspace.id is not None
    return [
        col(ContractChange.renewal_deadline) >= today,
        col(ContractChange.renewal_deadline) <= until,
        needs_action_sql(today),
        _of_clients(workspace.id),
    ]


def due_conditions(workspace: Workspace, *, today: date, until: date) -> list[ColumnElement[bool]]:
    """A digest's list: its window (`due_window`) less what is snoozed or handled on `today`."""
    return [
        *due_window(workspace, today=today, until=until),
        active_follow_up_condition(workspace, today),
    ]


def due_view(
    workspace: Workspace, *, session: Session, today: date, until: date, offset: int = 0, page_size: int = 25
) -> UpcomingView:
    """One page of the contract changes `due_conditions` finds, soonest deadline first, with the
    count and the MRR at stake (per currency) of all of them: the database counts, totals and pages."""
    conditions = due_conditions(workspace, today=today, until=until)
    summary = summarize(workspace, conditions, session=session, today=today)
    offset = max(0, min(offset, max(0, summary.total - 1)))
    rows = (
        _page(workspace, conditions, session=session, today=today, offset=offset, limit=page_size)
        if summary.total
        else []
    )
    return UpcomingView(
        today=today,
        query=RenewalQuery(days=max(0, (until - today).days), needs_action_only=True),
        rows=rows,
        total=summary.total,
        offset=offset,
        page_size=page_size,
        mrr_at_stake=summary.mrr_at_stake,
        needing_total=summary.needing_total,
    )
