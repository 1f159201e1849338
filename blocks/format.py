"""Plain-text formatting shared by Slack and the terminal, so both show the same thing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from store.columns import Column
from store.rules import BillingFrequency, Money
from store.upcoming import RenewalRow

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
EMPTY = "–"


def money(value: Money | None) -> str:
    """'$1,234.50', '€99.00', or '1,000.00 CHF' for currencies without a common symbol."""
    if value is None:
        return EMPTY
    amount = value.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = CURRENCY_SYMBOLS.get(value.currency)
    return f"{symbol}{amount:,}" if symbol else f"{amount:,} {value.currency}"


def money_totals(totals: dict[str, Decimal]) -> str:
    """'$12,000.00 + €3,000.00' (currencies are never added together); 'no' when nothing is at
    stake ('no MRR at stake'), rather than a zero in a currency the rows may not even use."""
    if not totals:
        return "no"
    return " + ".join(money(Money(amount, currency)) for currency, amount in totals.items())


def day(value: date | None) -> str:
    return value.isoformat() if value else EMPTY


def number(value: int | None) -> str:
    return f"{value:,}" if value is not None else EMPTY


def billing(frequency: BillingFrequency | None, months: int | None) -> str:
    if frequency is None:
        return EMPTY
    if frequency is BillingFrequency.OTHER:
        return f"Other ({months} months)" if months else "Other"
    return frequency.value.capitalize()


def plural(count: int, word: str) -> str:
    """'1 day', '3 days', '1,250 contract changes'."""
    return f"{count:,} {word if count == 1 else word + 's'}"


def term(months: int | None) -> str:
    return EMPTY if months is None else plural(months, "month")


def relative_days(deadline: date, today: date) -> str:
    """'today', 'tomorrow', 'in 3 days', '2 days ago'."""
    delta = (deadline - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


# The text of each column's cell, the same in Slack and in the terminal.
_CELL_TEXT: dict[Column, Callable[[RenewalRow], str]] = {
    Column.CLIENT: lambda row: row.client_name,
    Column.OWNER: lambda row: row.owner.label,
    Column.PRIMARY_CONTACT: lambda row: row.primary_contact or EMPTY,
    Column.CONTRACT_TYPE: lambda row: row.contract_type.label,
    Column.STATUS: lambda row: row.status.label,
    Column.DEADLINE: lambda row: day(row.renewal_deadline),
    Column.WEBSITE: lambda row: row.domain or EMPTY,
    Column.HUB_ID: lambda row: row.hub_id,
    Column.START_DATE: lambda row: day(row.renewal_start_date),
    Column.MAX_CONTACTS: lambda row: number(row.max_contacts),
    Column.EMAIL_LIMIT: lambda row: number(row.email_limit),
    Column.BILLING_FREQUENCY: lambda row: billing(row.billing_frequency, row.billing_months),
    Column.SUBSCRIPTION_TERM: lambda row: term(row.subscription_term_months),
    Column.CURRENT_MRR: lambda row: money(row.current_mrr),
    Column.ESTIMATED_NEW_MRR: lambda row: money(row.estimated_new_mrr),
}
assert set(_CELL_TEXT) == set(Column), "every column needs its cell text"


def cell_text(column: Column, row: RenewalRow) -> str:
    """The text of one table cell, the same in Slack and in the terminal."""
    return _CELL_TEXT[column](row)


def exported_view_note(view: str) -> str:
    """Why an import of the app's own "Export CSV" removes nothing (plain text): the file is one
    /renewals view, not the dashboard's whole list of each client it names."""
    which = f" ({view})" if view else ""
    return f"removes nothing: this file is an export of a /renewals view{which}"
