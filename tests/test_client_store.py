"""store/clients.py on SQLite and PostgreSQL: finding clients, the changes people make, a client's detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from store.audit import client_history
from store.clients import (
    ClientChangeError,
    client_contacts,
    client_detail,
    client_owner,
    contact_count,
    end_association,
    find_clients,
    get_client,
    member_for_user,
    primary_contact,
    reassign_contact,
    record_end_reason,
    restore_association,
    search_contacts,
    set_owner,
    set_partner_owns_all,
)
from store.models import AuditEvent, Client, Contact, PartnerMember, Workspace
from store.rules import ContractType, OwnerKind, Status
from tests.factories import OTHER_TEAM, TODAY, add_change, add_client, add_member, set_partner, workspace_row


@pytest.fixture
def ws(session: Session) -> Workspace:
    workspace = workspace_row(session)
    session.commit()
    return workspace


def audit(session: Session) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))  # type: ignore[arg-type]


def contact(session: Session, email: str) -> Contact:
    return session.exec(select(Contact).where(Contact.email == email)).one()


# --- finding ------------------------------------------------------------------------------


def test_get_client_finds_nothing_from_another_workspace(session: Session, ws: Workspace) -> None:
    theirs = add_client(session, "Theirs", "1", team_id=OTHER_TEAM)
    assert theirs.id is not None

    assert get_client(theirs.id, session=session, workspace=ws) is None
    assert get_client(theirs.id, session=session, workspace=workspace_row(session, OTHER_TEAM)) is theirs


def test_an_exact_hub_id_wins_alone(session: Session, ws: Workspace) -> None:
    add_client(session, "One", "123")
    add_client(session, "Other", "12345")

    found = find_clients("123", session=session, workspace=ws)

    assert [c.name for c in found.matches] == ["One"]


def test_several_partial_matches_come_best_first(session: Session, ws: Workspace) -> None:
    add_client(session, "Big Acme", "1")
    add_client(session, "Acme Labs", "2")
    add_client(session, "Acme Corp", "3")

    found = find_clients("acme", session=session, workspace=ws)

    assert [c.name for c in found.matches] == ["Acme Corp", "Acme Labs", "Big Acme"]


def test_no_match_suggests_the_closest_names(session: Session, ws: Workspace) -> None:
    add_client(session, "Globex Corporation", "1")
    add_client(session, "Initech", "2")

    found = find_clients("Globex Industries", session=session, workspace=ws)

    assert found.matches == []
    assert found.suggestions[0] == "Globex Corporation"


def test_ended_clients_are_found_unless_left_out(session: Session, ws: Workspace) -> None:
    gone = add_client(session, "Gone Co", "1")
    end_association(gone, session=session, actor="U1")

    assert find_clients("gone", session=session, workspace=ws).matches == [gone]
    assert find_clients("gone", session=session, workspace=ws, include_ended=False).matches == []


# --- contacts -----------------------------------------------------------------------------


def acme_and_other(session: Session) -> Client:
    """Acme with three contacts (one unnamed), and another client with a José of its own."""
    acme = add_client(
        session,
        "Acme",
        "1",
        contacts=[
            ("José Núñez", "jose@acme.com", None),
            ("Ann Lee", "ann@acme.com", "CEO"),
            (None, "ops@acme.com", None),
        ],
    )
    add_client(session, "Other", "2", contacts=[("Jose Other", "jose@other.com", None)])
    return acme


def test_a_clients_contacts_are_its_own(session: Session, ws: Workspace) -> None:
    acme = acme_and_other(session)

    assert contact_count(acme, session=session) == 3
    assert {c.email for c in client_contacts(acme, session=session)} == {
        "jose@acme.com",
        "ann@acme.com",
        "ops@acme.com",
    }


def test_contacts_are_searchable_without_accents_or_by_email(session: Session, ws: Workspace) -> None:
    acme = acme_and_other(session)

    assert [c.email for c in search_contacts(acme, "NUNEZ", session=session)] == ["jose@acme.com"]
    assert [c.email for c in search_contacts(acme, "ops@", session=session)] == ["ops@acme.com"]
    assert len(search_contacts(acme, "", session=session, limit=2)) == 2


def test_reassign_contact_records_who_before_and_after(session: Session, ws: Workspace) -> None:
    acme = add_client(
        session,
        "Acme",
        "1",
        contacts=[("Ann", "ann@acme.com", None), ("Bo", "bo@acme.com", None)],
        primary="ann@acme.com",
    )
    bo = contact(session, "bo@acme.com")
    assert bo.id is not None

    reassign_contact(acme, bo.id, session=session, actor="U1")
    reassign_contact(acme, bo.id, session=session, actor="U1")  # no change, no event
    session.commit()

    assert primary_contact(acme, session=session) == bo
    [event] = audit(session)
    assert (event.action, event.actor, event.client_id) == ("reassign_contact", "U1", acme.id)
    assert (event.before, event.after) == (
        {"primary_contact": "Ann <ann@acme.com>"},
        {"primary_contact": "Bo <bo@acme.com>"},
    )


def test_another_clients_contact_cannot_become_primary(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1", contacts=[("Ann", "ann@acme.com", None)], primary="ann@acme.com")
    add_client(session, "Other", "2", contacts=[("Eve", "eve@other.com", None)])
    eve = contact(session, "eve@other.com")
    assert eve.id is not None

    with pytest.raises(ClientChangeError):
        reassign_contact(acme, eve.id, session=session, actor="U1")
    assert primary_contact(acme, session=session) == contact(session, "ann@acme.com")
    assert audit(session) == []


# --- owners -------------------------------------------------------------------------------


def test_member_for_user_links_an_imported_email_exactly(session: Session, ws: Workspace) -> None:
    lookalike = add_member(session, email="johnxdoe@agency.com")
    imported = add_member(session, email="John_Doe@Agency.com")

    member = member_for_user(
        "U0JOHN", session=session, workspace=ws, email="john_doe@agency.com", name="John"
    )

    assert member.id == imported.id
    assert (member.slack_user_id, member.name, member.email) == ("U0JOHN", "John", "John_Doe@Agency.com")
    assert lookalike.slack_user_id is None
    assert member_for_user("U0JOHN", session=session, workspace=ws).id == imported.id


def test_member_for_user_creates_a_member_for_a_new_person(session: Session, ws: Workspace) -> None:
    member = member_for_user("U0NEW", session=session, workspace=ws, email="new@agency.com")

    assert member.id is not None and member.workspace_id == ws.id
    assert session.exec(select(PartnerMember)).all() == [member]


def test_set_owner_records_who_before_and_after(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")
    bob = add_member(session, user_id="U0BOB", email="bob@agency.com")

    set_owner(acme, OwnerKind.PARTNER, session=session, actor="U1", member=bob)
    set_owner(acme, OwnerKind.HUBSPOT, session=session, actor="U2")
    session.commit()

    assert [(e.actor, e.before["owner"], e.after["owner"]) for e in audit(session)] == [
        ("U1", "default", "partner"),
        ("U2", "partner", "hubspot"),
    ]
    assert audit(session)[0].after == {
        "owner": "partner",
        "member_user": "U0BOB",
        "member_email": "bob@agency.com",
    }
    assert acme.owner_member_id is None


def test_setting_the_owner_a_client_already_has_records_nothing(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")
    bob = add_member(session, user_id="U0BOB", email="bob@agency.com")
    set_owner(acme, OwnerKind.PARTNER, session=session, actor="U1", member=bob)

    set_owner(acme, OwnerKind.PARTNER, session=session, actor="U1", member=bob)
    session.commit()

    assert [e.after["owner"] for e in audit(session)] == ["partner"]


def test_a_partner_owner_must_be_a_member_of_the_same_workspace(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")
    stranger = add_member(session, user_id="U0X", team_id=OTHER_TEAM)

    with pytest.raises(ClientChangeError):
        set_owner(acme, OwnerKind.PARTNER, session=session, actor="U1")
    with pytest.raises(ClientChangeError):
        set_owner(acme, OwnerKind.PARTNER, session=session, actor="U1", member=stranger)
    assert acme.owner_kind is None


def test_the_effective_owner_follows_the_workspace_default(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")
    assert client_owner(acme, session=session, workspace=ws).kind is OwnerKind.HUBSPOT

    assert set_partner_owns_all(ws, True, session=session, actor="U0BOSS")
    assert not set_partner_owns_all(ws, True, session=session, actor="U0BOSS")
    owner = client_owner(acme, session=session, workspace=ws)

    assert (owner.kind, owner.is_default) == (OwnerKind.PARTNER, True)
    [event] = audit(session)
    assert (event.action, event.client_id, event.after) == (
        "set_default_owner",
        None,
        {"default_owner": "partner"},
    )


# --- association --------------------------------------------------------------------------


def test_an_association_ended_then_restored_is_recorded(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")

    assert end_association(acme, session=session, actor="U0BOSS", reason="  moved agency  ")
    session.commit()
    assert (acme.association_ended_by, acme.association_end_reason) == ("U0BOSS", "moved agency")
    assert acme.association_ended_at is not None

    assert restore_association(acme, session=session, actor="U0LISTED")
    session.commit()

    assert acme.association_active
    events = audit(session)
    assert [e.action for e in events] == ["end_association", "restore_association"]
    assert events[1].before["reason"] == "moved agency" and events[1].before["ended_by"] == "U0BOSS"


def test_ending_or_restoring_twice_changes_nothing_the_second_time(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")

    assert end_association(acme, session=session, actor="U0BOSS", reason="moved agency")
    assert not end_association(acme, session=session, actor="U0LISTED")
    assert acme.association_ended_by == "U0BOSS"
    assert restore_association(acme, session=session, actor="U0LISTED")
    assert not restore_association(acme, session=session, actor="U0LISTED")
    session.commit()

    assert [e.action for e in audit(session)] == ["end_association", "restore_association"]


def test_a_reason_is_recorded_only_for_the_ending_it_explains(session: Session, ws: Workspace) -> None:
    acme = add_client(session, "Acme", "1")
    with pytest.raises(ClientChangeError, match="restored since this form was opened"):
        record_end_reason(acme, "why", session=session, actor="U0BOSS")
    end_association(acme, session=session, actor="U0BOSS")
    session.commit()
    ended_at = acme.association_ended_at

    with pytest.raises(ClientChangeError, match="Write why"):
        record_end_reason(acme, "  \n ", session=session, actor="U0BOSS")
    with pytest.raises(ClientChangeError, match="1,000 characters"):
        record_end_reason(acme, "x" * 1001, session=session, actor="U0BOSS")
    assert record_end_reason(acme, " moved agency ", session=session, actor="U0BOSS", ended_at=ended_at)
    assert not record_end_reason(acme, "moved agency", session=session, actor="U0BOSS", ended_at=ended_at)
    session.commit()
    restore_association(acme, session=session, actor="U0BOSS")
    end_association(acme, session=session, actor="U0BOSS")
    session.commit()
    with pytest.raises(ClientChangeError, match="restored and ended again"):
        record_end_reason(acme, "stale", session=session, actor="U0BOSS", ended_at=ended_at)
    session.commit()

    assert acme.association_end_reason is None  # the new ending has no reason yet
    events = audit(session)
    assert [e.action for e in events] == [
        "end_association",
        "end_association_reason",
        "restore_association",
        "end_association",
    ]
    assert (events[1].before, events[1].after) == ({"reason": None}, {"reason": "moved agency"})
    assert events[2].before["reason"] == "moved agency"


# --- detail -------------------------------------------------------------------------------


def test_detail_has_upcoming_changes_owner_contacts_usage_limits_and_recent_history(
    session: Session, ws: Workspace
) -> None:
    acme = add_client(
        session,
        "Acme",
        "1",
        contacts=[("Ann", "ann@acme.com", None), ("Bo", "bo@acme.com", None)],
        primary="bo@acme.com",
    )
    bob = add_member(session, user_id="U0BOB")
    set_partner(session, acme, bob)
    add_change(session, acme, TODAY - timedelta(days=1))  # started: not upcoming
    add_change(session, acme, TODAY + timedelta(days=300), ContractType.EMAIL_OVERAGE, email_limit=5000)
    add_change(session, acme, TODAY + timedelta(days=100), max_contacts=1000)
    add_change(session, acme, TODAY + timedelta(days=60), ContractType.CONTACT_TIER_UPGRADE, Status.CONFIRMED)
    end_association(acme, session=session, actor="U0BOSS")
    for n in range(7):
        set_owner(
            acme,
            OwnerKind.HUBSPOT if n % 2 == 0 else OwnerKind.PARTNER,
            session=session,
            actor=f"U{n}",
            member=bob,
        )
        session.flush()
    session.commit()

    detail = client_detail(acme, session=session, workspace=ws, today=TODAY)

    assert [r.renewal_start_date for r in detail.changes] == [
        TODAY + timedelta(days=60),
        TODAY + timedelta(days=100),
        TODAY + timedelta(days=300),
    ]
    assert (detail.max_contacts, detail.email_limit) == (1000, 5000)
    assert detail.primary_contact is not None and detail.primary_contact.email == "bo@acme.com"
    assert [c.email for c in detail.contacts] == ["ann@acme.com", "bo@acme.com"]
    assert len(detail.history) == 5
    assert detail.history == client_history(acme.id or 0, session=session, workspace_id=ws.id or 0)
    assert detail.history[0].actor == "U6"


def test_detail_refuses_a_client_of_another_workspace(session: Session, ws: Workspace) -> None:
    theirs = add_client(session, "Theirs", "1", team_id=OTHER_TEAM)

    with pytest.raises(ClientChangeError):
        client_detail(theirs, session=session, workspace=ws, today=TODAY)


def test_clients_of_two_workspaces_may_share_a_hub_id(session: Session, ws: Workspace) -> None:
    mine = add_client(session, "Mine", "42")
    add_client(session, "Theirs", "42", team_id=OTHER_TEAM)

    assert find_clients("42", session=session, workspace=ws).matches == [mine]
    assert len(session.exec(select(Client).where(Client.hub_id == "42")).all()) == 2
