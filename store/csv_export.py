"""The "Export CSV" file: the rows of a /renewals view, every page, in the import format.

Written so that importing the file again changes nothing (store.importer): every column of the
import format (store.csv_format.Col, its canonical headers), values as stored, not as shown:
- the stored status (a pending renewal past its deadline stays `Pending`), the derived deadline;
- each amount with its own currency (`EUR 1200.50`), exact;
- the contacts and products lists in the import's `;` syntax, the primary contact as `Name <email>`;
- the communication owner as the import reads it: `HubSpot`, `Partner`, or the partner member's
  email; empty for the workspace default (and for a member known only in Slack, without an email:
  an empty cell leaves the stored owner alone on import, where `Partner` would clear the member).

One more last column, `Exported view` (store.csv_format.EXPORTED_VIEW), holds on every row the
view the file came from (`/renewals status:pending · 2026-11-27`): the file is a view, not the
dashboard's whole list of each client it names, and the importer, seeing the column, removes
nothing (contract changes of those clients outside the view stay as they are).

The rows are read from the database a chunk at a time (columns, not ORM objects) and written as
they come, so a big view is never held in memory as rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from store.csv_format import EXPORTED_VIEW, Col, Person
from store.models import Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import DEFAULT_CURRENCY, BillingFrequency, OwnerKind
from store.upcoming import CHANGE_FIELDS, VIEW_ORDER, RenewalQuery, Viewer, view_conditions

CHUNK = 500  # rows read from the database at a time
HEADERS = [*(column.value for column in Col), EXPORTED_VIEW]
LIST_SEPARATOR = "; "  # how the import separates contacts and products

_BILLING = {
    BillingFrequency.MONTHLY: "Monthly",
    BillingFrequency.QUARTERLY: "Quarterly",
    BillingFrequency.SEMI_ANNUAL: "Semi-annual",
    BillingFrequency.ANNUAL: "Annual",
}

_PRIMARY = aliased(Contact)
_COLUMNS = (
    col(Client.id).label("client_id"),
    col(Client.name).label("client_name"),
    col(Client.hub_id),
    col(Client.domain),
    col(Client.owner_kind),
    col(Client.owner_member_id),
    col(PartnerMember.email).label("owner_email"),
    col(_PRIMARY.name).label("primary_name"),
    col(_PRIMARY.email).label("primary_email"),
    col(Client.products),
    col(Client.contacts_used),
    col(Client.emails_sent),
    *CHANGE_FIELDS,
)


def owner_cell(kind: OwnerKind | None, member_id: int | None, member_email: str | None) -> str:
    if kind is None:
        return ""
    if kind is OwnerKind.HUBSPOT:
        return "HubSpot"
    if member_id is None:
        return "Partner"
    return member_email or ""


_CENTS = Decimal("0.01")


def money_cell(amount: Decimal | None, currency: str | None) -> str:
    """'EUR 1200.50': the amount exact, without the trailing zeros NUMERIC(18, 4) adds past the cents."""
    if amount is None:
        return ""
    amount = amount.normalize()
    if amount.as_tuple().exponent > -2:  # type: ignore[operator]
        amount = amount.quantize(_CENTS)
    return f"{currency or DEFAULT_CURRENCY} {amount:f}"


def billing_cell(frequency: BillingFrequency | None, months: int | None) -> str:
    if frequency is None:
        return ""
    if frequency is BillingFrequency.OTHER:
        return f"Other ({months} months)" if months else ""
    return _BILLING[frequency]


def view_label(text: str, today: date) -> str:
    """'/renewals status:pending · 2026-11-27': the view and day an export holds (plain text)."""
    command = f"/renewals {text.strip()}" if text.strip() else "/renewals"
    return f"{command} · {today.isoformat()}"


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _row_cells(row: Any, contacts: Sequence[str], view: str) -> list[str]:
    primary = Person(row.primary_email, row.primary_name).label if row.primary_email else ""
    cells = {
        Col.CLIENT_NAME: row.client_name,
        Col.HUB_ID: row.hub_id,
        Col.WEBSITE: row.domain or "",
        Col.OWNER: owner_cell(row.owner_kind, row.owner_member_id, row.owner_email),
        Col.PRIMARY_CONTACT: primary,
        Col.CONTRACT_TYPE: row.contract_type.label,
        Col.STATUS: row.status.label,
        Col.START_DATE: _day(row.renewal_start_date),
        Col.DEADLINE: _day(row.renewal_deadline),
        Col.MAX_CONTACTS: _number(row.max_contacts),
        Col.EMAIL_LIMIT: _number(row.email_limit),
        Col.BILLING_FREQUENCY: billing_cell(row.billing_frequency, row.billing_months),
        Col.SUBSCRIPTION_TERM: _number(row.subscription_term_months),
        Col.CURRENT_MRR: money_cell(row.current_mrr, row.current_mrr_currency),
        Col.ESTIMATED_NEW_MRR: money_cell(row.estimated_new_mrr, row.estimated_new_mrr_currency),
        Col.CONTACTS: LIST_SEPARATOR.join(contacts),
        Col.PRODUCTS: LIST_SEPARATOR.join(row.products or ()),
        Col.CONTACTS_USED: _number(row.contacts_used),
        Col.EMAILS_SENT: _number(row.emails_sent),
    }
    return [*(cells[column] for column in Col), view]


def _contacts(session: Session, workspace_id: int, client_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each client's contacts as the import writes them (`Name <email>`), in the order they came."""
    query = (
        select(Contact.client_id, Contact.name, Contact.email)
        .where(Contact.workspace_id == workspace_id, col(Contact.client_id).in_(sorted(set(client_ids))))
        .order_by(col(Contact.client_id), col(Contact.id))
    )
    contacts: dict[int, list[str]] = {}
    for client_id, name, email in session.execute(query):
        contacts.setdefault(client_id, []).append(Person(email, name).label)
    return contacts


def write_export(
    out: IO[bytes],
    workspace: Workspace,
    query: RenewalQuery,
    *,
    session: Session,
    today: date,
    viewer: Viewer | None = None,
    view_text: str = "",
) -> int:
    """Write the view `query` finds (every page, in the view's order) to `out` as UTF-8 CSV with a
    byte-order mark (spreadsheets then read it as UTF-8). `view_text` is the view as the person
    asked for it (`status:pending`), named on every row. Returns the number of contract changes."""
    assert workspace.id is not None
    conditions = view_conditions(workspace, query, session=session, today=today, viewer=viewer)
    rows = (
        select(*_COLUMNS)
        .select_from(ContractChange)
        .join(Client, col(Client.id) == col(ContractChange.client_id))
        .outerjoin(PartnerMember, col(PartnerMember.id) == col(Client.owner_member_id))
        .outerjoin(_PRIMARY, col(_PRIMARY.id) == col(Client.primary_contact_id))
        .where(ContractChange.workspace_id == workspace.id, Client.workspace_id == workspace.id, *conditions)
        .order_by(*VIEW_ORDER)
        .execution_options(yield_per=CHUNK)
    )
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    view = view_label(view_text, today)
    count = 0
    for chunk in session.execute(rows).partitions():
        contacts = _contacts(session, workspace.id, (row.client_id for row in chunk))
        writer.writerows(_row_cells(row, contacts.get(row.client_id, ()), view) for row in chunk)
        count += len(chunk)
    text.flush()
    text.detach()  # `out` stays open for the caller
    return count
