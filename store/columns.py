"""The columns of the upcoming-renewals table and each user's choice of them."""

from __future__ import annotations

from enum import StrEnum


class Column(StrEnum):
    CLIENT = "client"
    OWNER = "owner"
    PRIMARY_CONTACT = "primary_contact"
    CONTRACT_TYPE = "contract_type"
    STATUS = "status"
    DEADLINE = "deadline"
    WEBSITE = "website"
    HUB_ID = "hub_id"
    START_DATE = "start_date"
    MAX_CONTACTS = "max_contacts"
    EMAIL_LIMIT = "email_limit"
    BILLING_FREQUENCY = "billing_frequency"
    SUBSCRIPTION_TERM = "subscription_term"
    CURRENT_MRR = "current_mrr"
    ESTIMATED_NEW_MRR = "estimated_new_mrr"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Column.CLIENT: "Client name",
    Column.OWNER: "Communication owner",
    Column.PRIMARY_CONTACT: "Primary client contact",
    Column.CONTRACT_TYPE: "Contract type",
    Column.STATUS: "Status",
    Column.DEADLINE: "Renewal deadline",
    Column.WEBSITE: "Website",
    Column.HUB_ID: "Hub ID",
    Column.START_DATE: "Renewal start date",
    Column.MAX_CONTACTS: "Max contacts",
    Column.EMAIL_LIMIT: "Email limit",
    Column.BILLING_FREQUENCY: "Billing frequency",
    Column.SUBSCRIPTION_TERM: "Subscription term",
    Column.CURRENT_MRR: "Current MRR",
    Column.ESTIMATED_NEW_MRR: "Estimated new MRR",
}

# Always shown, cannot be removed (as in the partner dashboard).
LOCKED: tuple[Column, ...] = (
    Column.CLIENT,
    Column.OWNER,
    Column.CONTRACT_TYPE,
    Column.STATUS,
    Column.DEADLINE,
)
# Everything a user may add or remove; primary contact is on until hidden.
OPTIONAL: tuple[Column, ...] = (
    Column.PRIMARY_CONTACT,
    Column.WEBSITE,
    Column.HUB_ID,
    Column.START_DATE,
    Column.MAX_CONTACTS,
    Column.EMAIL_LIMIT,
    Column.BILLING_FREQUENCY,
    Column.SUBSCRIPTION_TERM,
    Column.CURRENT_MRR,
    Column.ESTIMATED_NEW_MRR,
)
DEFAULT_OPTIONAL: tuple[Column, ...] = (Column.PRIMARY_CONTACT,)


# Display order: the dashboard's, with optional columns after the locked ones.
DISPLAY_ORDER: tuple[Column, ...] = (
    Column.CLIENT,
    Column.OWNER,
    Column.PRIMARY_CONTACT,
    Column.CONTRACT_TYPE,
    Column.STATUS,
    Column.DEADLINE,
    *OPTIONAL[1:],
)


def visible_columns(chosen_optional: list[str] | None) -> list[Column]:
    """The table's columns in display order: locked ones plus the user's optional choice.

    `None` (never chosen) means the default; unknown names saved by other versions are ignored.
    """
    if chosen_optional is None:
        chosen = set(DEFAULT_OPTIONAL)
    else:
        known = {c.value for c in OPTIONAL}
        chosen = {Column(name) for name in chosen_optional if name in known}
    return [c for c in DISPLAY_ORDER if c in LOCKED or c in chosen]
