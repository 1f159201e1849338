"""The "Upcoming renewals" view: one query, one view model.

Slack tables, digests and the terminal demo all render `RenewalRow`s made here,
so what they show can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from store.models import Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import (
    UPCOMING_WINDOW_DAYS,
    BillingFrequency,
    ContractType,
    Money,
    Owner,
    Status,
    effective_owner,
    effective_status,
    match_client,
    mrr_at_stake,
    needs_action,
    owner_matches,
    sort_key,
    totals_by_currency,
)


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

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def _rows_query(workspace_id: int):  # type: ignore[no-untyped-def]
    primary = aliased(Contact)
    return (
        select(ContractChange, Client, primary, PartnerMember)
        .join(Client, col(Client.id) == col(ContractChange.client_id))
        .outerjoin(primary, col(primary.id) == col(Client.primary_contact_id))
        .outerjoin(PartnerMember, col(PartnerMember.id) == col(Client.owner_member_id))
        .where(ContractChange.workspace_id == workspace_id, Client.workspace_id == workspace_id)
    )


def _to_row(
    change: ContractChange,
    client: Client,
    contact: Contact | None,
    member: PartnerMember | None,
    *,
    today: date,
    partner_owns_all: bool,
) -> RenewalRow:
    owner = effective_owner(
        client.owner_kind,
        partner_owns_all=partner_owns_all,
        slack_user_id=member.slack_user_id if member else None,
        email=member.email if member else None,
        name=member.name if member else None,
    )
    assert change.id is not None and client.id is not None
    return RenewalRow(
        change_id=change.id,
        client_id=client.id,
        client_name=client.name,
        hub_id=client.hub_id,
        domain=client.domain,
        owner=owner,
        primary_contact=contact.label if contact else None,
        contract_type=change.contract_type,
        status=effective_status(change.contract_type, change.status, change.renewal_start_date, today),
        renewal_start_date=change.renewal_start_date,
        renewal_deadline=change.renewal_deadline,
        max_contacts=change.max_contacts,
        email_limit=change.email_limit,
        billing_frequency=change.billing_frequency,
        billing_months=change.billing_months,
        subscription_term_months=change.subscription_term_months,
        current_mrr=change.current_money,
        estimated_new_mrr=change.new_money,
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
    include_ended: bool = False,
) -> list[RenewalRow]:
    """Contract changes of one workspace as rows, sorted by deadline (soonest first).

    Ended associations are left out unless asked for (a client's own detail shows them).
    """
    assert workspace.id is not None
    query = _rows_query(workspace.id)
    if start_from is not None:
        query = query.where(ContractChange.renewal_start_date >= start_from)
    if start_until is not None:
        query = query.where(ContractChange.renewal_start_date <= start_until)
    if deadline_from is not None:
        query = query.where(ContractChange.renewal_deadline >= deadline_from)
    if deadline_until is not None:
        query = query.where(ContractChange.renewal_deadline <= deadline_until)
    if client_ids is not None:
        query = query.where(col(Client.id).in_(list(client_ids)))
    if not include_ended:
        query = query.where(col(Client.association_ended_at).is_(None))
    rows = [
        _to_row(change, client, contact, member, today=today, partner_owns_all=workspace.partner_owns_all)
        for change, client, contact, member in session.exec(query)
    ]
    rows.sort(
        key=lambda r: sort_key(r.renewal_deadline, r.client_name, r.contract_type, r.renewal_start_date)
    )
    return rows


def upcoming_rows(
    workspace: Workspace, *, session: Session, today: date, days: int = UPCOMING_WINDOW_DAYS
) -> list[RenewalRow]:
    """The upcoming window: active clients' changes starting in the next `days` days, today included."""
    return load_rows(
        workspace, session=session, today=today, start_from=today, start_until=today + timedelta(days=days)
    )


def filter_rows(rows: Iterable[RenewalRow], query: RenewalQuery, *, viewer: Viewer) -> list[RenewalRow]:
    """Apply search words and filters; rows keep their order."""
    kept = []
    for row in rows:
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
    return kept


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
    rows = upcoming_rows(workspace, session=session, today=today, days=query.days)
    matched = filter_rows(rows, query, viewer=viewer or Viewer())
    offset = max(0, min(offset, max(0, len(matched) - 1)))
    return UpcomingView(
        today=today,
        query=query,
        rows=matched[offset : offset + page_size],
        total=len(matched),
        offset=offset,
        page_size=page_size,
        mrr_at_stake=totals_by_currency(r.mrr_at_stake for r in matched if r.needs_action),
    )
