"""What a view counted is kept per workspace data version (store/view_cache.py): any write to the
workspace's contract changes, clients or partner members shows in the very next view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from store.bulk_io import one_version_change
from store.clients import end_association
from store.models import Workspace
from store.rules import OwnerKind, Status
from store.upcoming import RenewalQuery, Viewer, upcoming_view, window_summary
from tests.factories import add_change, add_client, add_member, set_partner, workspace_row

TODAY = date(2026, 11, 24)
SOON = TODAY + timedelta(days=60)  # its renewal deadline is still ahead: pending stays pending


def _total(
    workspace: Workspace,
    session: Session,
    query: RenewalQuery | None = None,
    *,
    viewer: Viewer | None = None,
    offset: int = 0,
) -> int:
    query = query or RenewalQuery()
    return upcoming_view(workspace, query, session=session, today=TODAY, viewer=viewer, offset=offset).total


def test_a_contract_change_added_after_a_view_is_counted_in_the_next(
    session: Session, workspace: Workspace
) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, SOON)
    session.commit()
    assert _total(workspace, session) == 1
    add_change(session, client, SOON + timedelta(days=1))
    session.commit()
    assert _total(workspace, session) == 2


def test_a_changed_status_shows_in_the_next_view(session: Session, workspace: Workspace) -> None:
    change = add_change(session, add_client(session, "Acme", "1"), SOON)
    session.commit()
    query = RenewalQuery(status=Status.PENDING)
    assert _total(workspace, session, query) == 1
    change.status = Status.RENEWED
    session.add(change)
    session.commit()
    assert _total(workspace, session, query) == 0


def test_a_deleted_contract_change_leaves_the_next_view(session: Session, workspace: Workspace) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, SOON)
    gone = add_change(session, client, SOON + timedelta(days=1))
    session.commit()
    assert _total(workspace, session) == 2
    session.delete(gone)
    session.commit()
    assert _total(workspace, session) == 1


def test_an_ended_association_leaves_the_next_view(session: Session, workspace: Workspace) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, SOON)
    session.commit()
    assert _total(workspace, session) == 1
    end_association(client, session=session, actor="U1")
    session.commit()
    assert _total(workspace, session) == 0


def test_a_partner_member_linked_to_slack_later_finds_their_clients(
    session: Session, workspace: Workspace
) -> None:
    member = add_member(session, email="ann@agency.example")
    client = add_client(session, "Acme", "1")
    set_partner(session, client, member)
    add_change(session, client, SOON)
    session.commit()
    mine = RenewalQuery(owner="me")
    assert _total(workspace, session, mine, viewer=Viewer(user_id="U1")) == 0
    member.slack_user_id = "U1"
    session.add(member)
    session.commit()
    assert _total(workspace, session, mine, viewer=Viewer(user_id="U1")) == 1


def test_a_write_in_another_workspace_leaves_this_ones_count_kept(
    session: Session, workspace: Workspace, engine: Engine
) -> None:
    add_change(session, add_client(session, "Acme", "1"), SOON)
    session.commit()
    assert _total(workspace, session) == 1
    other = workspace_row(session, "T0OTHER")
    elsewhere = add_client(session, "Other", "2", workspace=other, owner_kind=OwnerKind.HUBSPOT)
    add_change(session, elsewhere, SOON)
    session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert _total(workspace, session) == 1
    assert not [s for s in statements if "count(" in s.lower()]


def test_the_same_view_again_is_not_counted_again(
    session: Session, workspace: Workspace, engine: Engine
) -> None:
    add_change(session, add_client(session, "Acme", "1"), SOON)
    session.commit()
    assert _total(workspace, session) == 1
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert _total(workspace, session, offset=0) == 1
    assert window_summary(workspace, RenewalQuery(), session=session, today=TODAY).total == 1
    assert not [s for s in statements if "count(" in s.lower()]


def test_a_bulk_write_shows_in_the_next_view_and_later_writes_still_do(
    session: Session, workspace: Workspace
) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, SOON)
    session.commit()
    assert _total(workspace, session) == 1
    with one_version_change(session, workspace.team_id):
        add_change(session, client, SOON + timedelta(days=1))
    session.commit()
    assert _total(workspace, session) == 2
    add_change(session, client, SOON + timedelta(days=2))  # the triggers are back
    session.commit()
    assert _total(workspace, session) == 3


def test_a_failed_bulk_write_leaves_the_triggers_in_place(session: Session, workspace: Workspace) -> None:
    client = add_client(session, "Acme", "1")
    session.commit()
    with pytest.raises(RuntimeError), one_version_change(session, workspace.team_id):
        add_change(session, client, SOON)
        raise RuntimeError("the import failed")
    session.rollback()
    assert _total(workspace, session) == 0
    add_change(session, client, SOON)
    session.commit()
    assert _total(workspace, session) == 1
