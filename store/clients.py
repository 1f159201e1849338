"""Finding clients and the changes a person makes to them: primary contact, owner, association.

Each change writes an audit event (who, when, before, after) in the caller's transaction.
Every function takes the workspace and never reaches a row of another one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.audit import client_history, record_change
from store.follow_up import FollowUpState, follow_up_states
from store.import_runs import imports_by_id
from store.models import AuditEvent, Client, Contact, ImportRun, PartnerMember, Workspace
from store.rules import Owner, OwnerKind, effective_owner, fold
from store.search import client_scope, rank_clients
from store.types import utcnow
from store.upcoming import RenewalRow, load_rows


class ClientChangeError(Exception):
    """A change that cannot be made as asked (the message is for the person who asked)."""


def get_client(client_id: int, *, session: Session, workspace: Workspace) -> Client | None:
    """The client with this ID *in this workspace*, or None (IDs from another workspace find nothing)."""
    return session.exec(
        select(Client).where(Client.id == client_id, Client.workspace_id == workspace.id)
    ).first()


@dataclass(frozen=True)
class ClientSearch:
    matches: list[Client]  # best first
    suggestions: list[str]  # closest names when nothing matched


def find_clients(
    text: str, *, session: Session, workspace: Workspace, include_ended: bool = True, limit: int = 10
) -> ClientSearch:
    """Clients by name (case/accent-insensitive, small typos), domain or Hub ID, best match first.

    An exact hit (Hub ID, domain or full name) wins alone, so `/renewal 12345` never asks
    "which one?" because some other Hub ID starts with the same digits. The database finds the
    candidates (store.search); only the clients shown are loaded.
    """
    assert workspace.id is not None
    scope = client_scope(workspace.id, include_ended=include_ended)
    found, suggestions = rank_clients(text, scope, workspace_id=workspace.id, session=session, limit=limit)
    ids = [f.client_id for f in found]
    loaded = {c.id: c for c in session.exec(select(Client).where(col(Client.id).in_(ids)))} if ids else {}
    return ClientSearch(matches=[loaded[i] for i in ids], suggestions=suggestions)


_CONTACT_ORDER = (col(Contact.name), col(Contact.email), col(Contact.id))


def client_contacts(client: Client, *, session: Session) -> list[Contact]:
    return list(
        session.exec(
            select(Contact)
            .where(Contact.client_id == client.id, Contact.workspace_id == client.workspace_id)
            .order_by(*_CONTACT_ORDER)
        )
    )


def contact_count(client: Client, *, session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Contact)
        .where(Contact.client_id == client.id, Contact.workspace_id == client.workspace_id)
    ).one()


def search_contacts(client: Client, text: str, *, session: Session, limit: int = 100) -> list[Contact]:
    """The client's contacts whose name or email contains `text`, case- and accent-insensitive, by name.

    For the type-ahead of a client with too many contacts for a static select. Accent folding is
    not portable SQL, so the names and emails alone are read and matched here; only the contacts
    returned are loaded.
    """
    wanted = fold(text)
    mine = (Contact.client_id == client.id, Contact.workspace_id == client.workspace_id)
    ids = [
        contact_id
        for contact_id, name, email in session.execute(
            select(Contact.id, Contact.name, Contact.email).where(*mine).order_by(*_CONTACT_ORDER)
        )
        if not wanted or wanted in fold(name or "") or wanted in email.lower()
    ][:limit]
    if not ids:
        return []
    return list(
        session.exec(select(Contact).where(col(Contact.id).in_(ids), *mine).order_by(*_CONTACT_ORDER))
    )


def primary_contact(client: Client, *, session: Session) -> Contact | None:
    if client.primary_contact_id is None:
        return None
    return session.exec(
        select(Contact).where(
            Contact.id == client.primary_contact_id,
            Contact.client_id == client.id,
            Contact.workspace_id == client.workspace_id,
        )
    ).first()


def _contact_label(contact_id: int | None, *, session: Session) -> str | None:
    if contact_id is None:
        return None
    contact = session.get(Contact, contact_id)
    return contact.label if contact else None


def _record_client_change(
    client: Client,
    *,
    session: Session,
    actor: str,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Stamp and stage a client a person changed, and write the audit event for it."""
    client.updated_at = utcnow()
    session.add(client)
    record_change(
        session=session,
        workspace_id=client.workspace_id,
        actor=actor,
        action=action,
        client_id=client.id,
        before=before,
        after=after,
    )


def reassign_contact(client: Client, contact_id: int, *, session: Session, actor: str) -> Contact:
    """Make one of the client's own contacts its primary contact."""
    contact = session.exec(
        select(Contact).where(
            Contact.id == contact_id,
            Contact.client_id == client.id,
            Contact.workspace_id == client.workspace_id,
        )
    ).first()
    if contact is None:
        raise ClientChangeError(f"That person is not one of {client.name}'s contacts.")
    before = _contact_label(client.primary_contact_id, session=session)
    if client.primary_contact_id != contact.id:
        client.primary_contact_id = contact.id
        _record_client_change(
            client,
            session=session,
            actor=actor,
            action="reassign_contact",
            before={"primary_contact": before},
            after={"primary_contact": contact.label},
        )
    return contact


def _owner_snapshot(client: Client, *, session: Session) -> dict[str, str | None]:
    member = session.get(PartnerMember, client.owner_member_id) if client.owner_member_id else None
    return {
        "owner": client.owner_kind.value if client.owner_kind else "default",
        "member_user": member.slack_user_id if member else None,
        "member_email": member.email if member else None,
    }


def member_for_user(
    slack_user_id: str,
    *,
    session: Session,
    workspace: Workspace,
    email: str | None = None,
    name: str | None = None,
) -> PartnerMember:
    """The partner member for a Slack user, linking an imported email to them when it matches."""
    assert workspace.id is not None
    member = session.exec(
        select(PartnerMember).where(
            PartnerMember.workspace_id == workspace.id, PartnerMember.slack_user_id == slack_user_id
        )
    ).first()
    if member is None and email:
        member = session.exec(
            select(PartnerMember).where(
                PartnerMember.workspace_id == workspace.id,
                # Exact, case-insensitive: ilike would read `_` and `%` in an email as wildcards.
                func.lower(col(PartnerMember.email)) == email.lower(),
                col(PartnerMember.slack_user_id).is_(None),
            )
        ).first()
    if member is None:
        member = PartnerMember(workspace_id=workspace.id, slack_user_id=slack_user_id, email=email, name=name)
    member.slack_user_id = slack_user_id
    if name:
        member.name = name
    if email and not member.email:
        member.email = email
    session.add(member)
    session.flush()
    return member


def set_owner(
    client: Client,
    kind: OwnerKind,
    *,
    session: Session,
    actor: str,
    member: PartnerMember | None = None,
) -> None:
    """Make HubSpot, or a named partner member, the client's communication owner."""
    if kind is OwnerKind.PARTNER and member is None:
        raise ClientChangeError("Choose the partner team member who will own the conversation.")
    if member is not None and member.workspace_id != client.workspace_id:
        raise ClientChangeError("That person is not in this workspace.")
    before = _owner_snapshot(client, session=session)
    client.owner_kind = kind
    client.owner_member_id = member.id if member is not None and kind is OwnerKind.PARTNER else None
    after = _owner_snapshot(client, session=session)
    if before != after:
        _record_client_change(
            client,
            session=session,
            actor=actor,
            action="change_owner",
            before=before,
            after=after,
        )


def end_association(client: Client, *, session: Session, actor: str, reason: str | None = None) -> bool:
    """Take the client out of upcoming renewals and digests. Nothing is deleted.

    Returns False when it had already ended (nothing changes, nothing is recorded).
    """
    if client.association_ended_at is not None:
        return False
    client.association_ended_at = utcnow()
    client.association_ended_by = actor
    client.association_end_reason = (reason or "").strip()[:1000] or None
    _record_client_change(
        client,
        session=session,
        actor=actor,
        action="end_association",
        before={"association": "active"},
        after={"association": "ended", "reason": client.association_end_reason},
    )
    return True


MAX_END_REASON_CHARS = 1000  # the column's size


def record_end_reason(
    client: Client, reason: str, *, session: Session, actor: str, ended_at: datetime | None = None
) -> bool:
    """Say why the association ended, after the fact (admins only; the caller checks).

    Only while it is still ended, and, when `ended_at` is given (the ending the person was
    looking at), only for that same ending: a reason never lands on a restored client or on
    a later ending. Returns False when the reason is the one already recorded.
    """
    text = reason.strip()
    if not text:
        raise ClientChangeError("Write why the association ended.")
    if len(text) > MAX_END_REASON_CHARS:
        raise ClientChangeError(
            f"Keep the reason to {MAX_END_REASON_CHARS:,} characters (this one has {len(text):,})."
        )
    # Lock the row (PostgreSQL) so a restore committed meanwhile is seen, not overwritten;
    # flush first, or the refresh would throw away this session's own pending changes.
    session.flush()
    session.refresh(client, with_for_update=True)
    if client.association_ended_at is None:
        raise ClientChangeError(
            f"The association with {client.name} was restored since this form was opened: "
            "there is no ending to explain. Nothing was saved."
        )
    if ended_at is not None and client.association_ended_at != ended_at:
        raise ClientChangeError(
            f"The association with {client.name} was restored and ended again since this form was "
            "opened. Nothing was saved: use “Add a reason” on its current detail."
        )
    if text == client.association_end_reason:
        return False
    before = client.association_end_reason
    client.association_end_reason = text
    _record_client_change(
        client,
        session=session,
        actor=actor,
        action="end_association_reason",
        before={"reason": before},
        after={"reason": text},
    )
    return True


def restore_association(client: Client, *, session: Session, actor: str) -> bool:
    """Undo an ended association (admins only; the caller checks). False when it was active."""
    if client.association_ended_at is None:
        return False
    before = {
        "association": "ended",
        "ended_at": client.association_ended_at.isoformat(),
        "ended_by": client.association_ended_by,
        "reason": client.association_end_reason,
    }
    client.association_ended_at = None
    client.association_ended_by = None
    client.association_end_reason = None
    _record_client_change(
        client,
        session=session,
        actor=actor,
        action="restore_association",
        before=before,
        after={"association": "active"},
    )
    return True


def set_partner_owns_all(workspace: Workspace, value: bool, *, session: Session, actor: str) -> bool:
    """The workspace default owner: partner (owns all transactional conversations) or HubSpot."""
    if workspace.partner_owns_all == value:
        return False
    before = "partner" if workspace.partner_owns_all else "hubspot"
    workspace.partner_owns_all = value
    workspace.updated_at = utcnow()
    session.add(workspace)
    assert workspace.id is not None
    record_change(
        session=session,
        workspace_id=workspace.id,
        actor=actor,
        action="set_default_owner",
        before={"default_owner": before},
        after={"default_owner": "partner" if value else "hubspot"},
    )
    return True


# --- a client's detail ------------------------------------------------------------------------

HISTORY_EVENTS = 5


@dataclass(frozen=True)
class ClientDetail:
    """Everything `/renewal <client>` shows about one client, read in one transaction."""

    client: Client
    owner: Owner  # effective: the workspace default applies when the client has no explicit owner
    primary_contact: Contact | None
    contacts: list[Contact]
    changes: list[RenewalRow]  # upcoming contract changes (start date today or later), soonest deadline first
    history: list[AuditEvent]  # newest first
    today: date
    # Snoozes and handled marks in force today, by contract change ID.
    follow_ups: dict[int, FollowUpState] = field(default_factory=dict)
    imports: dict[int, ImportRun] = field(default_factory=dict)  # the imports that made `history`'s changes

    @property
    def max_contacts(self) -> int | None:
        """The contact tier limit usage is measured against: the soonest change that states one."""
        return next((row.max_contacts for row in self.changes if row.max_contacts is not None), None)

    @property
    def email_limit(self) -> int | None:
        return next((row.email_limit for row in self.changes if row.email_limit is not None), None)


def client_owner(client: Client, *, session: Session, workspace: Workspace) -> Owner:
    """The client's effective communication owner (the workspace default when it has none)."""
    member = session.get(PartnerMember, client.owner_member_id) if client.owner_member_id else None
    return effective_owner(
        client.owner_kind,
        partner_owns_all=workspace.partner_owns_all,
        slack_user_id=member.slack_user_id if member else None,
        email=member.email if member else None,
        name=member.name if member else None,
    )


def client_detail(
    client: Client, *, session: Session, workspace: Workspace, today: date, history: int = HISTORY_EVENTS
) -> ClientDetail:
    """One client's detail. The client must belong to `workspace` (callers get it via get_client)."""
    assert client.id is not None and workspace.id is not None
    if client.workspace_id != workspace.id:
        raise ClientChangeError("That client belongs to another workspace.")
    owner = client_owner(client, session=session, workspace=workspace)
    contacts = client_contacts(client, session=session)
    primary = next((c for c in contacts if c.id == client.primary_contact_id), None)
    changes = load_rows(
        workspace, session=session, today=today, start_from=today, client_ids=[client.id], include_ended=True
    )
    events = client_history(client.id, session=session, workspace_id=workspace.id, limit=history)
    return ClientDetail(
        client=client,
        owner=owner,
        primary_contact=primary,
        contacts=contacts,
        changes=changes,
        history=events,
        today=today,
        follow_ups=follow_up_states(
            workspace, [row.change_id for row in changes], session=session, today=today
        ),
        imports=imports_by_id((e.import_id for e in events), session=session, workspace_id=workspace.id),
    )
