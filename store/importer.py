"""Writing an import: keyed upsert of clients, contacts and contract changes in the caller's transaction.

Built for big exports: the workspace's existing rows are read once into dicts, compared
in Python, and only what differs is written, with bulk INSERTs and UPDATEs in chunks.
Importing the same file twice therefore writes nothing the second time.

Rules (contract.md "Import format"):
- A contract change is keyed by (workspace, Hub ID, contract type, renewal start date)
  and updated in place. Its figures come from its row: an empty cell clears a figure,
  a column the file does not have, or a cell that could not be read (a warning), leaves
  the stored figure alone. Each amount keeps its own currency.
- Client data (name, website, owner, primary contact, contacts, products, usage) is
  repeated on every row of a client; the last non-empty value in the file wins, and an
  empty cell never clears what is stored (owners and contacts are also set in Slack).
  Contacts are added or renamed, never removed.
- A communication owner given as an email is a partner member (created on first sight).
- By default an import is all or nothing: with any invalid row nothing is written.
- For each client the file lists, the file is its whole list: a stored contract change of that
  client the file no longer holds is marked removed (`removed_at`, the import's ID): it leaves
  the view and the digests and stays in history as "no longer in the export". Clients the file
  does not mention are left alone. A removed change that a later file holds again comes back,
  counted as created (it is new again to whoever reads the view). When invalid rows were
  skipped nothing is removed: a skipped row may be the very change, and its client cannot be
  told from a row that could not be read. Nor does the app's own "Export CSV" remove anything
  (`ParsedFile.exported_view`): it holds one /renewals view (120 days, the person's filters),
  not the dashboard's whole list of each client it names.
- The changes that matter are noted for "What changed" (store.what_changed), every one of them
  kept with the import (store.import_changes) for its whole list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from itertools import chain
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from store.bulk_io import ImportProgress, insert_rows, refresh_statistics, streamed, update_rows
from store.csv_format import Col, ImportRow, ParsedFile, Person, RowProblem, RowWarning
from store.import_changes import record_changes
from store.models import AuditEvent, Client, Contact, ContractChange, PartnerMember
from store.rules import (
    DEFAULT_CURRENCY,
    ContractType,
    Money,
    OwnerKind,
    Status,
    fold,
    mrr_at_stake,
    renewal_deadline,
)
from store.types import utcnow
from store.what_changed import DUE_SOON_DAYS, ChangeKind, Noted, WhatChanged, summarize_noted
from store.workspaces import ensure_workspace

IMPORT_ACTION = "import"  # the audit action of the import itself and of each client it changed
SMALL_FILE_CLIENTS = 500  # up to this many clients, read only theirs instead of the whole workspace


class _NoProgress:
    def phase(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


@dataclass
class ImportResult:
    """What an import did, or would have done when it was refused."""

    team_id: str
    source: str
    rows: int = 0  # data rows in the file (blank lines not counted)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    clients_created: int = 0
    clients_updated: int = 0
    contacts_added: int = 0
    members_added: int = 0
    members_named: int = 0
    removed: int = 0  # stored contract changes of listed clients that the file no longer holds
    rejected: bool = False  # invalid rows and no --skip-invalid: nothing was written
    member_emails: list[str] = field(default_factory=list)  # partner members the file names
    what_changed: WhatChanged = field(default_factory=WhatChanged)
    import_id: int | None = None  # its row in the import history (store.import_runs), once recorded
    exported_view: str | None = None  # the file is the app's export of this view: nothing removed

    @property
    def invalid(self) -> int:
        return len(self.problems)

    @property
    def skipped(self) -> int:
        """Invalid rows left out of a written import (--skip-invalid)."""
        return 0 if self.rejected else self.invalid

    @property
    def written(self) -> bool:
        return not self.rejected and bool(
            self.created
            or self.updated
            or self.removed
            or self.clients_created
            or self.clients_updated
            or self.contacts_added
            or self.members_added
            or self.members_named
        )

    def counts(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "removed": self.removed,
            "warnings": len(self.warnings),
            "clients_created": self.clients_created,
            "clients_updated": self.clients_updated,
            "contacts_added": self.contacts_added,
            "members_added": self.members_added,
        }


# --- clients as the file describes them ----------------------------------------------------------


@dataclass(slots=True)
class _ClientInput:
    hub_id: str
    name: str
    name_line: int
    domain: str | None = None
    owner: tuple[OwnerKind, str | None] | None = None
    primary: Person | None = None
    contacts: dict[str, Person] = field(default_factory=dict)
    products: tuple[str, ...] | None = None
    contacts_used: int | None = None
    emails_sent: int | None = None


def _merge_clients(rows: Iterable[ImportRow], warnings: list[RowWarning]) -> dict[str, _ClientInput]:
    """One description per Hub ID from all its rows: the last non-empty value wins."""
    clients: dict[str, _ClientInput] = {}
    for row in rows:
        client = clients.get(row.hub_id)
        if client is None:
            client = clients[row.hub_id] = _ClientInput(row.hub_id, row.client_name, row.line)
        elif row.client_name != client.name:
            warnings.append(
                RowWarning(
                    row.line,
                    f"Hub ID {row.hub_id} is named {row.client_name!r} here but {client.name!r} on line "
                    f"{client.name_line}; {row.client_name!r} is used",
                )
            )
            client.name, client.name_line = row.client_name, row.line
        if row.domain is not None:
            client.domain = row.domain
        if row.owner_kind is not None:
            client.owner = (row.owner_kind, row.owner_email)
        if row.primary_contact is not None:
            client.primary = row.primary_contact
        for person in row.contacts:
            known = client.contacts.get(person.email)
            if known is None or (person.name and person.name != known.name):
                client.contacts[person.email] = person
        if row.products is not None:
            client.products = row.products
        if row.contacts_used is not None:
            client.contacts_used = row.contacts_used
        if row.emails_sent is not None:
            client.emails_sent = row.emails_sent
    return clients


# --- reading what is stored --------------------------------------------------------------------

_CLIENT_FIELDS = (
    "name",
    "name_folded",
    "domain",
    "owner_kind",
    "owner_member_id",
    "primary_contact_id",
    "products",
    "contacts_used",
    "emails_sent",
)
_CHANGE_FIGURES: dict[Col, tuple[str, ...]] = {
    Col.MAX_CONTACTS: ("max_contacts",),
    Col.EMAIL_LIMIT: ("email_limit",),
    Col.BILLING_FREQUENCY: ("billing_frequency", "billing_months"),
    Col.SUBSCRIPTION_TERM: ("subscription_term_months",),
    Col.CURRENT_MRR: ("current_mrr", "current_mrr_currency"),
    Col.ESTIMATED_NEW_MRR: ("estimated_new_mrr", "estimated_new_mrr_currency"),
}
_CHANGE_FIELDS = (
    "status",
    "renewal_deadline",
    "max_contacts",
    "email_limit",
    "billing_frequency",
    "billing_months",
    "subscription_term_months",
    "current_mrr",
    "current_mrr_currency",
    "estimated_new_mrr",
    "estimated_new_mrr_currency",
)


def _load_clients(session: Session, workspace_id: int, hub_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    query = select(col(Client.id), col(Client.hub_id), *(getattr(Client, f) for f in _CLIENT_FIELDS)).where(
        Client.workspace_id == workspace_id
    )
    if len(hub_ids) <= SMALL_FILE_CLIENTS:
        query = query.where(col(Client.hub_id).in_(hub_ids))
    return {row.hub_id: row._asdict() for row in streamed(session, query)}


def _load_client_ids(session: Session, workspace_id: int, hub_ids: Sequence[str]) -> dict[str, int]:
    query = select(col(Client.hub_id), col(Client.id)).where(Client.workspace_id == workspace_id)
    if len(hub_ids) <= SMALL_FILE_CLIENTS:
        query = query.where(col(Client.hub_id).in_(hub_ids))
    return {hub_id: client_id for hub_id, client_id in streamed(session, query)}


def _load_contacts(
    session: Session, workspace_id: int, client_ids: Sequence[int]
) -> dict[int, dict[str, tuple[int, str | None]]]:
    query = select(col(Contact.client_id), col(Contact.id), col(Contact.email), col(Contact.name)).where(
        Contact.workspace_id == workspace_id
    )
    if len(client_ids) <= SMALL_FILE_CLIENTS:
        query = query.where(col(Contact.client_id).in_(client_ids))
    contacts: dict[int, dict[str, tuple[int, str | None]]] = {}
    for client_id, contact_id, email, name in streamed(session, query):
        contacts.setdefault(client_id, {})[email.lower()] = (contact_id, name)
    return contacts


_STORED_CHANGE = ("id", *_CHANGE_FIELDS, "removed_at")


def _load_changes(
    session: Session, workspace_id: int, client_ids: Sequence[int]
) -> dict[tuple[int, ContractType, date], tuple[Any, ...]]:
    """Stored changes by key, as (id, *values in _CHANGE_FIELDS order): tuples, for memory."""
    query = select(
        col(ContractChange.client_id),
        col(ContractChange.contract_type),
        col(ContractChange.renewal_start_date),
        col(ContractChange.id),
        *(getattr(ContractChange, f) for f in _CHANGE_FIELDS),
        col(ContractChange.removed_at),
    ).where(ContractChange.workspace_id == workspace_id)
    if len(client_ids) <= SMALL_FILE_CLIENTS:
        query = query.where(col(ContractChange.client_id).in_(client_ids))
    return {tuple(row[:3]): tuple(row[3:]) for row in streamed(session, query)}


def _load_members(session: Session, workspace_id: int) -> dict[str, tuple[int, str | None]]:
    query = select(col(PartnerMember.email), col(PartnerMember.id), col(PartnerMember.name)).where(
        PartnerMember.workspace_id == workspace_id, col(PartnerMember.email).is_not(None)
    )
    return {email.lower(): (member_id, name) for email, member_id, name in session.execute(query)}


# --- history -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as JSON for the audit log."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime | Decimal):
        return value.isoformat() if isinstance(value, date | datetime) else str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _owner_text(kind: OwnerKind | None, member_email: str | None) -> str:
    if kind is None:
        return "default"
    if kind is OwnerKind.PARTNER and member_email:
        return f"partner {member_email}"
    return kind.value


@dataclass
class _Audit:
    """What the import changed on one existing client, for its history."""

    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    def note(self, what: str, old: Any, new: Any) -> None:
        self.before[what] = _plain(old)
        self.after[what] = _plain(new)


def import_parsed(
    parsed: ParsedFile,
    team_id: str,
    *,
    session: Session,
    actor: str,
    source: str,
    skip_invalid: bool = False,
    progress: ImportProgress | None = None,
    import_id: int | None = None,
) -> ImportResult:
    """Import validated rows into the workspace of `team_id`. Does not commit.

    With invalid rows and no `skip_invalid`, nothing at all is written (not even the
    workspace) and the result says `rejected`. `import_id` (store.import_runs) is stamped on
    the history it writes and on the changes it removes.
    """
    progress = progress or _NoProgress()
    result = ImportResult(
        team_id=team_id,
        source=source,
        rows=parsed.data_rows,
        problems=list(parsed.problems),
        warnings=list(parsed.warnings),
        unknown_columns=list(parsed.unknown_columns),
        exported_view=parsed.exported_view,
    )
    if parsed.problems and not skip_invalid:
        result.rejected = True
        return result
    if not parsed.rows:
        return result
    workspace = ensure_workspace(team_id, session=session)
    assert workspace.id is not None
    ws = workspace.id
    now = utcnow()
    inputs = _merge_clients(parsed.rows, result.warnings)
    result.warnings.sort(key=lambda w: w.line)
    hub_ids = list(inputs)
    audits: dict[int, _Audit] = {}

    # Partner members named as owners: created on first sight, named when the file names them.
    members = _load_members(session, ws)
    member_names: dict[str, str | None] = {}
    for row in parsed.rows:
        if row.owner_email and (row.owner_name or row.owner_email not in member_names):
            member_names[row.owner_email] = row.owner_name
    result.member_emails = list(member_names)
    new_members = [
        {"workspace_id": ws, "email": email, "name": name, "created_at": now}
        for email, name in member_names.items()
        if email not in members
    ]
    named_members = [
        {"id": members[email][0], "name": name}
        for email, name in member_names.items()
        if email in members and name and not members[email][1]
    ]
    if new_members or named_members:
        progress.phase("Saving partner members", len(new_members) + len(named_members))
        insert_rows(session, PartnerMember, new_members, progress)
        update_rows(session, PartnerMember, named_members, progress)
        members = _load_members(session, ws)
        result.members_added = len(new_members)
        result.members_named = len(named_members)
    member_ids = {email: member_id for email, (member_id, _name) in members.items()}
    member_emails = {member_id: email for email, member_id in member_ids.items()}

    # New clients first (their contacts and changes need their IDs).
    stored = _load_clients(session, ws, hub_ids)
    fresh = [c for c in inputs.values() if c.hub_id not in stored]
    if fresh:
        progress.phase("Adding clients", len(fresh))
        insert_rows(session, Client, (_new_client(c, ws, member_ids, now) for c in fresh), progress)
        result.clients_created = len(fresh)
    client_ids = _load_client_ids(session, ws, hub_ids) if fresh else {h: c["id"] for h, c in stored.items()}
    ids = [client_ids[h] for h in hub_ids]

    # Contacts: add the missing, rename the renamed; never remove.
    contacts = _load_contacts(session, ws, ids)
    contact_inserts: list[tuple[int, Person]] = []  # tuples: dicts are made a chunk at a time
    contact_updates: list[dict[str, Any]] = []
    for client in inputs.values():
        client_id = client_ids[client.hub_id]
        known = contacts.get(client_id, {})
        added = []
        for person in client.contacts.values():
            current = known.get(person.email)
            if current is None:
                contact_inserts.append((client_id, person))
                added.append(person.label)
            elif person.name and person.name != current[1]:
                contact_updates.append({"id": current[0], "name": person.name})
                if client.hub_id in stored:
                    audits.setdefault(client_id, _Audit()).note(
                        f"contact {person.email}", current[1], person.name
                    )
        if added and client.hub_id in stored:
            audits.setdefault(client_id, _Audit()).note("contacts added", None, added)
    if contact_inserts or contact_updates:
        progress.phase("Saving contacts", len(contact_inserts) + len(contact_updates))
        insert_rows(
            session,
            Contact,
            (
                {"workspace_id": ws, "client_id": client_id, "email": person.email, "name": person.name}
                for client_id, person in contact_inserts
            ),
            progress,
        )
        update_rows(session, Contact, contact_updates, progress)
        result.contacts_added = len(contact_inserts)
        if contact_inserts:
            contacts = _load_contacts(session, ws, ids)

    # Client fields, now that every contact has an ID for the primary contact.
    client_updates: list[dict[str, Any]] = []
    primary_updates: list[dict[str, Any]] = []
    for client in inputs.values():
        client_id = client_ids[client.hub_id]
        primary_id = contacts[client_id][client.primary.email][0] if client.primary else None
        if client.hub_id not in stored:
            if primary_id is not None:
                primary_updates.append({"id": client_id, "primary_contact_id": primary_id})
            continue
        old = stored[client.hub_id]
        new = _client_values(client, old, member_ids, primary_id)
        changed = [f for f in _CLIENT_FIELDS if new[f] != old[f]]
        if changed:
            client_updates.append({"id": client_id, **new, "updated_at": now})
            audit = audits.setdefault(client_id, _Audit())
            _note_client(audit, changed, old, new, member_emails, contacts.get(client_id, {}))
    if client_updates or primary_updates:
        progress.phase("Saving clients", len(client_updates) + len(primary_updates))
        update_rows(session, Client, client_updates, progress)
        update_rows(session, Client, primary_updates, progress)

    # Contract changes, keyed by (client, contract type, renewal start date).
    changes = _load_changes(session, ws, ids)
    fresh_changes: list[tuple[ImportRow, int, tuple[Any, ...]]] = []  # values in _CHANGE_FIELDS order
    change_updates: list[dict[str, Any]] = []
    revived: list[tuple[_Key, dict[str, Any]]] = []  # removed by an earlier import, in the export again
    listed: set[_Key] = set()
    noted: list[Noted] = []  # what matters, for "What changed"
    for row in parsed.rows:
        client_id = client_ids[row.hub_id]
        key = (client_id, row.contract_type, row.renewal_start_date)
        listed.add(key)
        stored_change = changes.get(key)
        old_change = None
        if stored_change is not None:
            old_change = dict(zip(_STORED_CHANGE, stored_change, strict=True))
        values = _change_values(row, old_change, parsed.columns)
        if old_change is None:
            fresh_changes.append((row, client_id, tuple(values[f] for f in _CHANGE_FIELDS)))
            if row.hub_id in stored:
                audits.setdefault(client_id, _Audit()).note(_change_label(row), None, "added")
            continue
        if old_change["removed_at"] is not None:
            revived.append((key, {"id": old_change["id"], **values, **_NOT_REMOVED, "updated_at": now}))
            audits.setdefault(client_id, _Audit()).note(
                _change_label(row), REMOVED_NOTE, "back in the export"
            )
            continue
        changed = [f for f in _CHANGE_FIELDS if values[f] != old_change[f]]
        if not changed:
            result.unchanged += 1
            continue
        change_updates.append({"id": old_change["id"], **values, "updated_at": now})
        if "status" in changed and values["status"] is Status.CANCELLATION_REQUESTED:
            noted.append(
                Noted(ChangeKind.CANCELLATION, row.renewal_deadline, old_change["id"], _at_stake(key, values))
            )
        audit = audits.setdefault(client_id, _Audit())
        for name in changed:
            audit.note(f"{_change_label(row)} {name.replace('_', ' ')}", old_change[name], values[name])
    # The file is each listed client's whole list; with skipped rows, or as the app's export of a
    # view, it is not (docstring).
    gone: list[tuple[_Key, int]] = []
    if not parsed.problems and parsed.exported_view is None:
        listed_clients = set(ids)
        gone = [
            (key, stored_change[0])
            for key, stored_change in changes.items()
            if key[0] in listed_clients and key not in listed and stored_change[-1] is None
        ]
        gone.sort(key=lambda item: (item[0][0], item[0][1].value, item[0][2]))
    del changes
    removals = [
        {"id": change_id, "removed_at": now, "removed_by_import_id": import_id, "updated_at": now}
        for _key, change_id in gone
    ]
    for (client_id, contract_type, start), _change_id in gone:
        label = f"{contract_type.label} {start.isoformat()}"
        audits.setdefault(client_id, _Audit()).note(label, "in the export", REMOVED_NOTE)
    result.created = len(fresh_changes) + len(revived)
    result.updated, result.removed = len(change_updates), len(removals)
    if fresh_changes or change_updates or revived or removals:
        total = len(fresh_changes) + len(change_updates) + len(revived) + len(removals)
        progress.phase("Saving contract changes", total)
        insert_rows(
            session,
            ContractChange,
            (
                {
                    "workspace_id": ws,
                    "client_id": client_id,
                    "contract_type": row.contract_type,
                    "renewal_start_date": row.renewal_start_date,
                    **dict(zip(_CHANGE_FIELDS, values, strict=True)),
                    "created_at": now,
                    "updated_at": now,
                }
                for row, client_id, values in fresh_changes
            ),
            progress,
        )
        update_rows(session, ContractChange, change_updates, progress)
        update_rows(session, ContractChange, [update for _key, update in revived], progress)
        update_rows(session, ContractChange, removals, progress)
    # New to the view: the changes created, and those back in the export (with their IDs).
    added = chain(
        (((c, row.contract_type, row.renewal_start_date), None, v) for row, c, v in fresh_changes),
        ((key, update["id"], update) for key, update in revived),
    )
    noted += _moved_or_due_soon(added, gone, today=now.date())
    if noted:
        if import_id is None:  # a dry run: only the changes a message would show are looked up
            result.what_changed = summarize_noted(noted, lambda refs: _change_ids(session, ws, refs))
        else:  # recorded: every change that matters is kept, for "What changed"'s "View all"
            ids = _change_ids(session, ws, {item.ref for item in noted})
            progress.phase("Recording what changed", len(noted))
            record_changes(
                ((ids[item.ref], item.kind, item.moved_from) for item in noted),
                session=session,
                workspace_id=ws,
                import_id=import_id,
                progress=progress,
            )
            result.what_changed = summarize_noted(noted, lambda refs: ids)
    result.clients_updated = len(audits)  # only existing clients get an audit entry

    # History: one event per existing client the import changed, and one for the import itself.
    if result.written:
        events = [
            {
                "workspace_id": ws,
                "client_id": client_id,
                "actor": actor,
                "action": IMPORT_ACTION,
                "before": audit.before,
                "after": audit.after,
                "at": now,
                "import_id": import_id,
            }
            for client_id, audit in audits.items()
        ]
        events.append(
            {
                "workspace_id": ws,
                "client_id": None,
                "actor": actor,
                "action": IMPORT_ACTION,
                "before": None,
                "after": result.counts(),
                "at": now,
                "import_id": import_id,
            }
        )
        progress.phase("Recording history", len(events))
        insert_rows(session, AuditEvent, events, progress)
        refresh_statistics(session.connection())
    result.warnings.sort(key=lambda w: w.line)
    return result


_Key = tuple[int, ContractType, date]  # (client, contract type, renewal start date)
REMOVED_NOTE = "no longer in the export"
_NOT_REMOVED = {"removed_at": None, "removed_by_import_id": None}


def _at_stake(key: _Key, values: dict[str, Any] | tuple[Any, ...]) -> Money | None:
    """store.rules.mrr_at_stake of a change's stored values (by name, or in _CHANGE_FIELDS order)."""
    if isinstance(values, tuple):
        values = dict(zip(_CHANGE_FIELDS, values, strict=True))

    def money(amount: Decimal | None, currency: str | None) -> Money | None:
        return None if amount is None else Money(amount, currency or DEFAULT_CURRENCY)

    return mrr_at_stake(
        key[1],
        money(values["current_mrr"], values["current_mrr_currency"]),
        money(values["estimated_new_mrr"], values["estimated_new_mrr_currency"]),
    )


def _moved_or_due_soon(
    added: Iterable[tuple[_Key, int | None, dict[str, Any] | tuple[Any, ...]]],
    gone: list[tuple[_Key, int]],
    *,
    today: date,
) -> list[Noted]:
    """Moved start dates (a client and type lost one start date and gained another here) and new
    changes due soon; the ref of each is its ID, or its key while the change has none yet.

    Only those are kept (an import of 100,000 new rows holds no second copy of them here)."""
    old_dates: dict[tuple[int, ContractType], list[date]] = {}
    for (client_id, contract_type, start), _change_id in gone:
        old_dates.setdefault((client_id, contract_type), []).append(start)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    gained: dict[tuple[int, ContractType], list[tuple[_Key, int | None, Any]]] = {}
    candidates: list[tuple[_Key, int | None, Any, date | None]] = []  # and the old start date
    for key, change_id, values in added:
        if (key[0], key[1]) in old_dates:
            gained.setdefault((key[0], key[1]), []).append((key, change_id, values))
        elif today <= renewal_deadline(key[2]) <= soon:
            candidates.append((key, change_id, values, None))
    for pair, new in gained.items():
        # Each old start date moved to the nearest new one (closest pairs first); a new date left
        # over is a new contract change. A client has a few changes of a type: the pairs are few.
        lost = old_dates[pair]
        pairs = sorted(
            ((abs((n[0][2] - old).days), i, j) for i, n in enumerate(new) for j, old in enumerate(lost)),
        )
        matched: dict[int, date] = {}
        used: set[int] = set()
        for _distance, i, j in pairs:
            if i not in matched and j not in used:
                matched[i] = lost[j]
                used.add(j)
        candidates += [
            (key, change_id, values, matched.get(i)) for i, (key, change_id, values) in enumerate(new)
        ]
    noted = []
    for key, change_id, values, old in candidates:
        deadline = renewal_deadline(key[2])
        if old is None and not today <= deadline <= soon:
            continue
        kind = ChangeKind.DUE_SOON if old is None else ChangeKind.MOVED
        noted.append(Noted(kind, deadline, change_id or key, _at_stake(key, values), moved_from=old))
    return noted


_KEYS_PER_QUERY = 1000


def _change_ids(session: Session, workspace_id: int, refs: set[Any]) -> dict[Any, int]:
    """The IDs of `refs` (an ID is its own; a key is looked up, a chunk of keys per query)."""
    ids = {ref: ref for ref in refs if isinstance(ref, int)}
    keys = sorted((ref for ref in refs if not isinstance(ref, int)), key=lambda k: (k[0], k[1].value, k[2]))
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        ids |= _key_ids(session, workspace_id, set(keys[start : start + _KEYS_PER_QUERY]))
    return ids


def _key_ids(session: Session, workspace_id: int, keys: set[_Key]) -> dict[Any, int]:
    query = select(
        col(ContractChange.client_id),
        col(ContractChange.contract_type),
        col(ContractChange.renewal_start_date),
        col(ContractChange.id),
    ).where(
        ContractChange.workspace_id == workspace_id,
        col(ContractChange.client_id).in_(sorted({key[0] for key in keys})),
        col(ContractChange.renewal_start_date).in_(sorted({key[2] for key in keys})),
    )
    return {(c, t, d): i for c, t, d, i in session.execute(query) if (c, t, d) in keys}


def _change_label(row: ImportRow) -> str:
    return f"{row.contract_type.label} {row.renewal_start_date.isoformat()}"


def _new_client(
    client: _ClientInput, workspace_id: int, members: dict[str, int], now: datetime
) -> dict[str, Any]:
    kind, member_id = _owner_values(client, None, members)
    return {
        "workspace_id": workspace_id,
        "hub_id": client.hub_id,
        "name": client.name,
        "name_folded": fold(client.name),
        "domain": client.domain,
        "owner_kind": kind,
        "owner_member_id": member_id,
        "products": list(client.products or ()),
        "contacts_used": client.contacts_used,
        "emails_sent": client.emails_sent,
        "created_at": now,
        "updated_at": now,
    }


def _owner_values(
    client: _ClientInput, old: dict[str, Any] | None, members: dict[str, int]
) -> tuple[OwnerKind | None, int | None]:
    if client.owner is None:
        return (old["owner_kind"], old["owner_member_id"]) if old else (None, None)
    kind, email = client.owner
    return kind, members[email] if email else None


def _client_values(
    client: _ClientInput, old: dict[str, Any], members: dict[str, int], primary_id: int | None
) -> dict[str, Any]:
    kind, member_id = _owner_values(client, old, members)
    return {
        "name": client.name,
        "name_folded": fold(client.name),
        "domain": client.domain if client.domain is not None else old["domain"],
        "owner_kind": kind,
        "owner_member_id": member_id,
        "primary_contact_id": primary_id if primary_id is not None else old["primary_contact_id"],
        "products": list(client.products) if client.products is not None else old["products"],
        "contacts_used": client.contacts_used if client.contacts_used is not None else old["contacts_used"],
        "emails_sent": client.emails_sent if client.emails_sent is not None else old["emails_sent"],
    }


def _note_client(
    audit: _Audit,
    changed: list[str],
    old: dict[str, Any],
    new: dict[str, Any],
    member_emails: dict[int, str],
    contacts: dict[str, tuple[int, str | None]],
) -> None:
    labels = {contact_id: Person(email, name).label for email, (contact_id, name) in contacts.items()}
    for name in changed:
        if name == "name_folded":
            continue
        if name in ("owner_kind", "owner_member_id"):
            audit.note(
                "owner",
                _owner_text(old["owner_kind"], member_emails.get(old["owner_member_id"])),
                _owner_text(new["owner_kind"], member_emails.get(new["owner_member_id"])),
            )
        elif name == "primary_contact_id":
            audit.note(
                "primary contact",
                labels.get(old["primary_contact_id"]),
                labels.get(new["primary_contact_id"]),
            )
        else:
            audit.note(name.replace("_", " "), old[name], new[name])


def _change_values(row: ImportRow, old: dict[str, Any] | None, columns: frozenset[Col]) -> dict[str, Any]:
    """The stored values of a row's contract change: the row's, or the stored ones for columns the
    file does not have and cells of this row that could not be read.

    An amount and its currency go together, so a kept amount keeps its own currency.
    """
    values: dict[str, Any] = {"status": row.status, "renewal_deadline": row.renewal_deadline}
    for column, names in _CHANGE_FIGURES.items():
        kept = old if old is not None and (column not in columns or column in row.ignored) else None
        for name in names:
            values[name] = kept[name] if kept is not None else getattr(row, name)
    return values
