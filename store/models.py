"""SQLModel tables. Every row belongs to one workspace; queries always filter by it.

Schema changes go through Alembic (store/migrations), never `create_all`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from store.rules import DEFAULT_CURRENCY, BillingFrequency, ContractType, Money, OwnerKind, Status
from store.types import BytewiseText, ExactDecimal, UTCDateTime, utcnow

# `Index(..., info=POSTGRESQL_ONLY)`: an index only PostgreSQL has (the migration makes it there only).
POSTGRESQL_ONLY = {"only_on": "postgresql"}

# Tables only SQLite has (their migrations make them there only), kept out of SQLModel.metadata
# so that nothing walking the models' tables meets them on PostgreSQL.
SQLITE_ONLY = MetaData()

# SQLite's index of the words of client names, for typo search and "did you mean"
# (store/search.py; PostgreSQL has pg_trgm). Only triggers write them (migration 0014), on every
# insert, rename, move and removal of a client, so no writer has to remember them.
# Per client, each word of its folded name and the whole name without its spaces:
client_name_word = Table(
    "client_name_word",
    SQLITE_ONLY,
    Column("workspace_id", Integer, primary_key=True),
    Column("word", String, primary_key=True),
    Column("client_id", Integer, primary_key=True),
    sqlite_with_rowid=False,
)
# Each of those once per workspace: what it is (NAME_WORD bits) and its second and third
# letters ('' when it has none), each indexed (search.py's _starting_near).
name_word = Table(
    "name_word",
    SQLITE_ONLY,
    Column("workspace_id", Integer, primary_key=True),
    Column("word", String, primary_key=True),
    Column("kinds", Integer, nullable=False),
    Column("second", String, nullable=False),
    Column("third", String, nullable=False),
    sqlite_with_rowid=False,
)
NAME_WORD, WHOLE_NAME = 1, 2  # name_word.kinds: a word of a name, a whole name without spaces


def _utc_field(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else lambda: None,
        sa_type=UTCDateTime(),
        nullable=nullable,
        index=index,
    )


def _enum_field(enum: type[StrEnum], *, nullable: bool = False) -> Any:
    # Stored as the enum's value in a plain VARCHAR: readable in SQL, and new values
    # need no ALTER TYPE on PostgreSQL.
    return Field(
        default=None if nullable else ...,
        sa_type=SAEnum(enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        nullable=nullable,
    )


def _workspace_fk() -> Any:
    return Field(
        sa_column=Column(Integer, ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False, index=True)
    )


class Workspace(SQLModel, table=True):
    """One Slack workspace (team), with its enterprise when it has one."""

    __table_args__ = (UniqueConstraint("team_id", name="uq_workspace_team"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    # "The partner owns all transactional conversations": the default owner of every
    # client without an explicit one.
    partner_owns_all: bool = False
    # Set while the app cannot act here (uninstalled, its token revoked or refused): jobs skip
    # the workspace until a reinstall (or a working token) resumes it (store.workspaces).
    paused_at: datetime | None = _utc_field(nullable=True)
    paused_reason: str | None = Field(default=None, max_length=200)
    # Changed by triggers whenever the workspace's contract changes, clients or partner members
    # are written (migration 0010): what a view counted is kept per version (store/view_cache.py).
    data_version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    created_at: datetime = _utc_field()
    updated_at: datetime = _utc_field()


class PartnerMember(SQLModel, table=True):
    """A member of the partner team, known by email (imports) and/or Slack user ID."""

    __tablename__ = "partner_member"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email", name="uq_member_email"),
        UniqueConstraint("workspace_id", "slack_user_id", name="uq_member_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    email: str | None = Field(default=None, max_length=320)
    slack_user_id: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=200)
    created_at: datetime = _utc_field()


class Client(SQLModel, table=True):
    """A customer of the partner agency, one per workspace and Hub ID."""

    __table_args__ = (
        UniqueConstraint("workspace_id", "hub_id", name="uq_client_hub"),
        # Search: by name (exact, prefix, in order), holding all a search reads besides.
        Index("ix_client_search", "workspace_id", "name_folded", "domain", "hub_id", "association_ended_at"),
        Index("ix_client_workspace_domain", "workspace_id", "domain"),
        Index("ix_client_workspace_ended", "workspace_id", "association_ended_at"),
        Index("ix_client_workspace_owner", "workspace_id", "owner_member_id"),
        # Substring and typo search (pg_trgm): the names and domains as trigrams.
        Index(
            "ix_client_name_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
            info=POSTGRESQL_ONLY,
        ),
        Index(
            "ix_client_domain_trgm",
            "domain",
            postgresql_using="gin",
            postgresql_ops={"domain": "gin_trgm_ops"},
            info=POSTGRESQL_ONLY,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    hub_id: str = Field(max_length=20)
    name: str = Field(max_length=500)
    # fold(name): case- and accent-insensitive search, ordered by code point as Python orders it
    name_folded: str = Field(sa_type=BytewiseText(500))
    domain: str | None = Field(default=None, max_length=253)
    owner_kind: OwnerKind | None = _enum_field(OwnerKind, nullable=True)  # None: workspace default
    owner_member_id: int | None = Field(default=None, foreign_key="partner_member.id", ondelete="SET NULL")
    primary_contact_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("contact.id", ondelete="SET NULL", use_alter=True, name="fk_client_primary_contact"),
        ),
    )
    products: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contacts_used: int | None = Field(default=None, ge=0)
    emails_sent: int | None = Field(default=None, ge=0)
    # Ending the association hides the client everywhere; nothing is deleted.
    association_ended_at: datetime | None = _utc_field(nullable=True)
    association_ended_by: str | None = Field(default=None, max_length=64)
    association_end_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = _utc_field()
    updated_at: datetime = _utc_field()

    @property
    def association_active(self) -> bool:
        return self.association_ended_at is None


class Contact(SQLModel, table=True):
    """One of a client's own account users: who a primary contact is chosen from."""

    __table_args__ = (UniqueConstraint("client_id", "email", name="uq_contact_email"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    name: str | None = Field(default=None, max_length=300)
    email: str = Field(max_length=320)
    role: str | None = Field(default=None, max_length=200)

    @property
    def label(self) -> str:
        return contact_label(self.name, self.email)


def contact_label(name: str | None, email: str) -> str:
    """How a contact is shown: "Name <email>", or the email alone."""
    return f"{name} <{email}>" if name else email


class ContractChange(SQLModel, table=True):
    """A renewal, contact tier upgrade or email overage of one client.

    Keyed by (workspace, client, contract type, renewal start date), as imports are.
    `renewal_deadline` is always derived from the start date; it is stored only so the
    database can sort and filter by it.
    """

    __tablename__ = "contract_change"
    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "client_id", "contract_type", "renewal_start_date", name="uq_change_key"
        ),
        Index("ix_change_workspace_start", "workspace_id", "renewal_start_date"),
        # The view's window and order (deadlines), holding all its counts and totals read, so that
        # they never visit the table.
        Index(
            "ix_change_window",
            *("workspace_id", "renewal_deadline", "contract_type", "status", "client_id"),
            *("current_mrr", "current_mrr_currency", "estimated_new_mrr", "estimated_new_mrr_currency"),
            "removed_at",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    client_id: int = Field(foreign_key="client.id", ondelete="CASCADE", index=True)
    contract_type: ContractType = _enum_field(ContractType)
    status: Status = _enum_field(Status)
    renewal_start_date: date
    renewal_deadline: date
    max_contacts: int | None = Field(default=None, ge=0)
    email_limit: int | None = Field(default=None, ge=0)
    billing_frequency: BillingFrequency | None = _enum_field(BillingFrequency, nullable=True)
    billing_months: int | None = Field(default=None, ge=1)  # for "Other (N months)"
    subscription_term_months: int | None = Field(default=None, ge=0)
    # Each amount has its own currency (a client may move from EUR to GBP at renewal); a
    # currency is set when its amount is. Amounts in different currencies are never combined.
    current_mrr: Decimal | None = Field(default=None, sa_type=ExactDecimal(), ge=0)
    current_mrr_currency: str | None = Field(default=None, max_length=3)
    estimated_new_mrr: Decimal | None = Field(default=None, sa_type=ExactDecimal(), ge=0)
    estimated_new_mrr_currency: str | None = Field(default=None, max_length=3)
    # An import that lists the client but no longer holds this change takes it out of the view
    # and the digests (contract.md "Import format"); the row stays, for history, and comes back
    # when a later export holds it again.
    removed_at: datetime | None = _utc_field(nullable=True)
    # The import_run that removed it. No foreign key, here and on AuditEvent.import_id: SQLite adds
    # and drops a plain column in place, where a foreign key needs a table rebuild, and rebuilding
    # a table that others reference deletes their rows (foreign keys are on). Import runs go only
    # with their workspace, and these rows with it.
    removed_by_import_id: int | None = None
    created_at: datetime = _utc_field()
    updated_at: datetime = _utc_field()

    @property
    def current_money(self) -> Money | None:
        return _money(self.current_mrr, self.current_mrr_currency)

    @property
    def new_money(self) -> Money | None:
        return _money(self.estimated_new_mrr, self.estimated_new_mrr_currency)


def _money(amount: Decimal | None, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount, currency or DEFAULT_CURRENCY)


class FollowUp(SQLModel, table=True):
    """A person's "Snooze 3 days" or "Handled" on one contract change (digests and reminders leave it out).

    `snoozed_until` is the last local day (the clicker's own, when they clicked) the change stays out:
    the click's day plus 3. It is compared with the day a digest or reminder is for, so the change is
    back on the fourth day after the click. "Handled" keeps the change's stored status, renewal
    deadline and effective communication owner at the moment of handling: it holds only while all
    three are still the same (an import or an owner change that alters one brings the change back).
    Undoing clears the fields; the history of both is in AuditEvent.
    """

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("workspace_id", "change_id", name="uq_follow_up_change"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    change_id: int = Field(foreign_key="contract_change.id", ondelete="CASCADE", index=True)
    snoozed_until: date | None = None
    snoozed_by: str | None = Field(default=None, max_length=64)
    snoozed_at: datetime | None = _utc_field(nullable=True)
    handled_by: str | None = Field(default=None, max_length=64)
    handled_at: datetime | None = _utc_field(nullable=True)
    handled_status: Status | None = _enum_field(Status, nullable=True)
    handled_deadline: date | None = None
    handled_owner_kind: OwnerKind | None = _enum_field(OwnerKind, nullable=True)  # the effective one
    handled_owner_member_id: int | None = None
    updated_at: datetime = _utc_field()


class UserPreference(SQLModel, table=True):
    """Per-user choices, such as the optional columns of the renewals table."""

    __tablename__ = "user_preference"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_preference_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    user_id: str = Field(max_length=32)
    columns: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = _utc_field()


class DigestSubscription(SQLModel, table=True):
    """A channel's daily digest: when (local time, zone, weekdays) and how far ahead."""

    __tablename__ = "digest_subscription"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", name="uq_subscription_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    channel_id: str = Field(max_length=32)
    local_time: str = Field(default="09:00", max_length=5)  # HH:MM in `timezone`
    timezone: str = Field(default="UTC", max_length=64)  # IANA name
    days_ahead: int = Field(default=14, ge=1)
    weekends: bool = False
    all_clear: bool = False  # post a one-line all-clear when nothing needs action
    active: bool = True
    paused_reason: str | None = Field(default=None, max_length=200)
    subscribed_by: str = Field(max_length=32)
    subscribed_at: datetime = _utc_field()
    updated_at: datetime = _utc_field()


class DigestRun(SQLModel, table=True):
    """The claim that makes a digest go out once per channel per local day.

    The unique key is taken *before* posting; `status` says whether the post
    went out. A failed run is re-claimed by a conditional update, never re-inserted.
    """

    __tablename__ = "digest_run"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", "local_date", name="uq_digest_run_day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    subscription_id: int = Field(foreign_key="digest_subscription.id", ondelete="CASCADE", index=True)
    channel_id: str = Field(max_length=32)
    local_date: date
    status: str = Field(default="claimed", max_length=16)  # claimed | posted | failed | empty
    claim_token: str | None = Field(default=None, max_length=64)
    attempts: int = 1
    claimed_at: datetime = _utc_field()
    # When the run was first claimed (kept across takeovers): what it posted is in Slack after it.
    started_at: datetime | None = _utc_field(nullable=True)
    # The holder's sign of life, renewed while it posts; a claim silent for the takeover
    # interval is taken over (store.digest_claims). Who holds it: host and process id.
    heartbeat_at: datetime | None = _utc_field(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    finished_at: datetime | None = _utc_field(nullable=True)
    message_ts: str | None = Field(default=None, max_length=32)
    # A digest too long for one message continues in a thread: how many of its messages
    # went out, so a retry resumes in the thread instead of posting the first one again.
    parts_posted: int = Field(default=0, ge=0)
    error: str | None = Field(default=None, max_length=500)


class ReminderRecipient(SQLModel, table=True):
    """One Slack user's owner reminders: on or off, their time zone as Slack last said, and
    whether they can be messaged at all. No row: on, time zone not asked yet."""

    __tablename__ = "reminder_recipient"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", name="uq_reminder_recipient_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    user_id: str = Field(max_length=32)
    enabled: bool = True
    # users.info's `tz`, kept so that a tick need not ask Slack about every owner every minute.
    timezone: str | None = Field(default=None, max_length=64)
    timezone_checked_at: datetime | None = _utc_field(nullable=True)
    # Set when Slack said the person cannot be messaged (left, deactivated, DMs refused):
    # no more tries until they turn reminders on again.
    unreachable_error: str | None = Field(default=None, max_length=100)
    unreachable_at: datetime | None = _utc_field(nullable=True)
    updated_at: datetime = _utc_field()


class ReminderRun(SQLModel, table=True):
    """The claim that makes a person's reminder go out once per local day (as `DigestRun`)."""

    __tablename__ = "reminder_run"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id", "local_date", name="uq_reminder_run_day"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    user_id: str = Field(max_length=32)
    local_date: date
    status: str = Field(default="claimed", max_length=16)  # claimed | sent | empty | failed | unreachable
    claim_token: str | None = Field(default=None, max_length=64)
    attempts: int = 1
    claimed_at: datetime = _utc_field()
    # The holder's sign of life and who it is, as `DigestRun` (store.claims); `started_at`:
    # first claimed, kept across takeovers (what it posted is in Slack after it).
    started_at: datetime | None = _utc_field(nullable=True)
    heartbeat_at: datetime | None = _utc_field(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    finished_at: datetime | None = _utc_field(nullable=True)
    channel_id: str | None = Field(default=None, max_length=32)  # the direct message
    message_ts: str | None = Field(default=None, max_length=32)
    items: int = Field(default=0, ge=0)
    error: str | None = Field(default=None, max_length=500)


class ReminderSent(SQLModel, table=True):
    """One reminder of one contract change that went out: 7 or 1 days before this deadline.

    Keyed by the deadline too, so a change whose deadline moves is reminded of again.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (
        UniqueConstraint("change_id", "renewal_deadline", "days_before", name="uq_reminder_sent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    change_id: int = Field(foreign_key="contract_change.id", ondelete="CASCADE")
    renewal_deadline: date
    days_before: int
    run_id: int = Field(foreign_key="reminder_run.id", ondelete="CASCADE", index=True)
    user_id: str = Field(max_length=32)
    sent_at: datetime = _utc_field()


class ImportRun(SQLModel, table=True):
    """One import of the partner dashboard's export (command line or Slack): who, when, what file,
    what it did, and what of it the digest channels were told ("What changed")."""

    __tablename__ = "import_run"
    __table_args__ = (
        Index("ix_import_run_workspace_at", "workspace_id", "at"),
        Index("ix_import_run_alerts", "alerts_done_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    at: datetime = _utc_field()
    actor: str = Field(max_length=64)  # a Slack user ID, or the command line's "cli:import:<user>"
    via: str = Field(max_length=16)  # "command_line" | "slack"
    file_name: str = Field(max_length=255)
    rows: int = Field(default=0, ge=0)
    created: int = Field(default=0, ge=0)
    updated: int = Field(default=0, ge=0)
    unchanged: int = Field(default=0, ge=0)
    invalid: int = Field(default=0, ge=0)
    removed: int = Field(default=0, ge=0)
    skipped: int = Field(default=0, ge=0)
    # The changes that matter, by kind (store.import_runs.WhatChanged as JSON); None: nothing to tell.
    what_changed: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Set once every digest channel has been told (or there was nothing to tell): the ticker's filter.
    alerts_done_at: datetime | None = _utc_field(nullable=True)


class ImportAlert(SQLModel, table=True):
    """The claim that makes an import's "What changed" go out once per channel.

    As `DigestRun`: the unique row is inserted before posting; a failed one, or one whose holder
    fell silent, is taken over by a conditional update.
    """

    __tablename__ = "import_alert"
    __table_args__ = (UniqueConstraint("import_run_id", "channel_id", name="uq_import_alert_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    import_run_id: int = Field(foreign_key="import_run.id", ondelete="CASCADE", index=True)
    channel_id: str = Field(max_length=32)
    status: str = Field(default="claimed", max_length=16)  # claimed | posted | failed
    claim_token: str | None = Field(default=None, max_length=64)
    attempts: int = 1
    claimed_at: datetime = _utc_field()
    # The holder's sign of life and who it is, as `DigestRun` (store.claims); `started_at`:
    # first claimed, kept across takeovers (what it posted is in Slack after it).
    started_at: datetime | None = _utc_field(nullable=True)
    heartbeat_at: datetime | None = _utc_field(nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    finished_at: datetime | None = _utc_field(nullable=True)
    message_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)


class ImportChange(SQLModel, table=True):
    """One change that matters of one import ("What changed": store.what_changed.ChangeKind), so
    that import's whole list can be read a page at a time ("View all"). Written by the import
    itself (store.import_changes); the contract change as it is now is joined when read."""

    __tablename__ = "import_change"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    import_run_id: int = Field(foreign_key="import_run.id", ondelete="CASCADE", index=True)
    change_id: int  # contract_change.id (no foreign key: changes are marked removed, never deleted)
    kind: str = Field(max_length=16)  # cancellation | due_soon | moved
    moved_from: date | None = None  # the old renewal start date of a moved one


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, from what to what. Written for every change a person makes."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_client_at", "workspace_id", "client_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = _workspace_fk()
    client_id: int | None = Field(default=None, foreign_key="client.id", ondelete="CASCADE")
    actor: str = Field(max_length=64)  # Slack user ID, or "cli:import" and the like
    action: str = Field(max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = _utc_field()
    import_id: int | None = None  # the import that made this change; no foreign key: see ContractChange
