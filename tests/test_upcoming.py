"""The upcoming-renewals view model on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from store.clients import end_association
from store.models import Workspace
from store.rules import ContractType, OwnerKind, Status
from store.upcoming import RenewalQuery, Viewer, upcoming_view
from tests.factories import add_change, add_client, add_member, workspace_row

TODAY = date(2026, 11, 24)


def test_lists_start_dates_in_the_next_120_days_soonest_deadline_first(
    session: Session, workspace: Workspace
) -> None:
    later = add_client(session, "Later Ltd", "2")
    sooner = add_client(session, "Sooner Inc", "1")
    add_change(session, later, TODAY + timedelta(days=100))
    add_change(session, sooner, TODAY + timedelta(days=50))
    add_change(session, sooner, TODAY + timedelta(days=121))  # outside the window
    add_change(session, sooner, TODAY - timedelta(days=1))  # already started
    session.commit()
    view = upcoming_view(workspace, RenewalQuery(), session=session, today=TODAY)
    assert [(r.client_name, r.renewal_start_date) for r in view.rows] == [
        ("Sooner Inc", TODAY + timedelta(days=50)),
        ("Later Ltd", TODAY + timedelta(days=100)),
    ]
    assert view.total == 2


@pytest.mark.parametrize(
    ("start", "days", "listed"),
    [
        (TODAY, 120, True),
        (TODAY + timedelta(days=120), 120, True),  # the window's last day
        (TODAY + timedelta(days=121), 120, False),
        (TODAY - timedelta(days=1), 120, False),  # started yesterday
        (TODAY + timedelta(days=10), 10, True),
        (TODAY + timedelta(days=11), 10, False),
    ],
)
def test_the_window_counts_today_and_its_last_day(
    session: Session, workspace: Workspace, start: date, days: int, listed: bool
) -> None:
    add_change(session, add_client(session, "Acme", "1"), start)
    session.commit()
    view = upcoming_view(workspace, RenewalQuery(days=days), session=session, today=TODAY)
    assert (view.total == 1) is listed


def test_shorter_window_on_request(session: Session, workspace: Workspace) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, TODAY + timedelta(days=10))
    add_change(session, client, TODAY + timedelta(days=40), ContractType.EMAIL_OVERAGE)
    session.commit()
    view = upcoming_view(workspace, RenewalQuery(days=30), session=session, today=TODAY)
    assert [r.renewal_start_date for r in view.rows] == [TODAY + timedelta(days=10)]


def test_ended_associations_are_left_out(session: Session, workspace: Workspace) -> None:
    gone = add_client(session, "Gone Co", "1")
    add_change(session, gone, TODAY + timedelta(days=60))
    end_association(gone, session=session, actor="U1", reason="moved agency")
    session.commit()
    assert upcoming_view(workspace, RenewalQuery(), session=session, today=TODAY).total == 0


def test_status_filter_uses_the_effective_status(session: Session, workspace: Workspace) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, TODAY + timedelta(days=30))  # deadline passed: renewed by itself
    add_change(session, client, TODAY + timedelta(days=60), ContractType.CONTACT_TIER_UPGRADE)
    session.commit()
    renewed = upcoming_view(workspace, RenewalQuery(status=Status.RENEWED), session=session, today=TODAY)
    pending = upcoming_view(workspace, RenewalQuery(status=Status.PENDING), session=session, today=TODAY)
    assert [r.contract_type for r in renewed.rows] == [ContractType.RENEWAL]
    assert [r.contract_type for r in pending.rows] == [ContractType.CONTACT_TIER_UPGRADE]


def cafe_and_northwind(session: Session) -> None:
    """An overage for Café Núñez; an overage and a renewal for Northwind."""
    cafe = add_client(session, "Café Núñez", "111", domain="cafenunez.es")
    other = add_client(session, "Northwind", "222")
    add_change(session, cafe, TODAY + timedelta(days=70), ContractType.EMAIL_OVERAGE)
    add_change(session, other, TODAY + timedelta(days=70), ContractType.EMAIL_OVERAGE)
    add_change(session, other, TODAY + timedelta(days=80))
    session.commit()


def test_search_filter_forgives_accents_and_a_typo(session: Session, workspace: Workspace) -> None:
    cafe_and_northwind(session)
    by_name = upcoming_view(workspace, RenewalQuery(words="cafe nunes"), session=session, today=TODAY)
    assert [r.client_name for r in by_name.rows] == ["Café Núñez"]


def test_type_filter_keeps_that_contract_type_only(session: Session, workspace: Workspace) -> None:
    cafe_and_northwind(session)
    by_type = upcoming_view(
        workspace, RenewalQuery(contract_type=ContractType.RENEWAL), session=session, today=TODAY
    )
    assert [r.client_name for r in by_type.rows] == ["Northwind"]


def test_owner_filter_follows_the_workspace_default(session: Session, workspace: Workspace) -> None:
    default = add_client(session, "Default Owner", "1")
    hubspot = add_client(session, "Explicit HubSpot", "2", owner_kind=OwnerKind.HUBSPOT)
    for client in (default, hubspot):
        add_change(session, client, TODAY + timedelta(days=70))
    workspace.partner_owns_all = True
    session.commit()
    partner = upcoming_view(workspace, RenewalQuery(owner="partner"), session=session, today=TODAY)
    assert [r.client_name for r in partner.rows] == ["Default Owner"]


def test_mrr_at_stake_counts_only_changes_that_need_action_per_currency(
    session: Session, workspace: Workspace
) -> None:
    client = add_client(session, "Acme", "1")
    add_change(session, client, TODAY + timedelta(days=70), mrr="1000.10")
    # An overage adds only its increase, not the client's base MRR a second time.
    overage = ContractType.EMAIL_OVERAGE
    add_change(session, client, TODAY + timedelta(days=70), overage, mrr="1000.10", new_mrr="1000.30")
    upgrade = ContractType.CONTACT_TIER_UPGRADE
    add_change(session, client, TODAY + timedelta(days=71), upgrade, new_mrr="50", currency="EUR")
    add_change(session, client, TODAY + timedelta(days=80), status=Status.CONFIRMED, mrr="999")
    session.commit()
    view = upcoming_view(workspace, RenewalQuery(), session=session, today=TODAY)
    assert view.mrr_at_stake == {"EUR": Decimal("50"), "USD": Decimal("1000.30")}


def test_pages_cover_every_row_once(session: Session, workspace: Workspace) -> None:
    for n in range(23):
        add_change(session, add_client(session, f"Client {n:02d}", str(n)), TODAY + timedelta(days=60))
    session.commit()
    seen: list[int] = []
    offset = 0
    while True:
        view = upcoming_view(
            workspace, RenewalQuery(), session=session, today=TODAY, offset=offset, page_size=10
        )
        seen += [r.change_id for r in view.rows]
        if not view.has_next:
            break
        offset += view.page_size
    assert len(seen) == 23 == len(set(seen))


def test_another_workspace_never_sees_these_rows(session: Session, workspace: Workspace) -> None:
    add_change(session, add_client(session, "Mine", "1"), TODAY + timedelta(days=60))
    other = workspace_row(session, "T0OTHER")
    session.commit()
    assert upcoming_view(other, RenewalQuery(), session=session, today=TODAY).total == 0


@pytest.mark.parametrize("viewer_email", ["ana@agency.example", "ANA@agency.example"])
def test_owner_me_matches_an_imported_email(
    session: Session, workspace: Workspace, viewer_email: str
) -> None:
    member = add_member(session, email="ana@agency.example")
    client = add_client(session, "Acme", "1", owner_kind=OwnerKind.PARTNER, owner_member_id=member.id)
    add_change(session, client, TODAY + timedelta(days=70))
    session.commit()
    view = upcoming_view(
        workspace, RenewalQuery(owner="me"), session=session, today=TODAY, viewer=Viewer("U1", viewer_email)
    )
    assert view.total == 1
