"""The domain rules as plain functions: no Slack, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from store.rules import (
    ContractType,
    Money,
    OwnerKind,
    Status,
    closest_names,
    effective_owner,
    effective_status,
    fold,
    match_client,
    mrr_at_stake,
    needs_action,
    owner_matches,
    renewal_deadline,
    totals_by_currency,
)


@pytest.mark.parametrize(
    ("start", "deadline"),
    [
        (date(2027, 3, 1), date(2027, 1, 15)),
        (date(2024, 3, 1), date(2024, 1, 16)),  # leap year: February has 29 days
        (date(2024, 4, 15), date(2024, 3, 1)),  # crosses 29 February 2024
        (date(2023, 4, 15), date(2023, 3, 1)),
        (date(2027, 1, 31), date(2026, 12, 17)),  # month end, across a year end
        (date(2026, 12, 31), date(2026, 11, 16)),
        (date(2025, 2, 14), date(2024, 12, 31)),
    ],
)
def test_deadline_is_45_days_before_the_start_date(start: date, deadline: date) -> None:
    assert renewal_deadline(start) == deadline


START = date(2027, 3, 1)
DEADLINE = renewal_deadline(START)  # 2027-01-15


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 1, 14), Status.PENDING),
        (DEADLINE, Status.PENDING),  # the deadline day itself still allows changes
        (date(2027, 1, 16), Status.RENEWED),  # the day after: 44 days before the start
        (START, Status.RENEWED),
    ],
)
def test_pending_renewal_renews_by_itself_from_the_day_after_its_deadline(
    today: date, expected: Status
) -> None:
    assert effective_status(ContractType.RENEWAL, Status.PENDING, START, today) is expected


@pytest.mark.parametrize("contract_type", [ContractType.CONTACT_TIER_UPGRADE, ContractType.EMAIL_OVERAGE])
def test_pending_upgrades_and_overages_stay_pending_after_the_deadline(contract_type: ContractType) -> None:
    assert effective_status(contract_type, Status.PENDING, START, date(2027, 2, 20)) is Status.PENDING


@pytest.mark.parametrize("contract_type", list(ContractType))
@pytest.mark.parametrize("status", [Status.RENEWED, Status.CONFIRMED, Status.CANCELLATION_REQUESTED])
@pytest.mark.parametrize("today", [date(2027, 1, 1), date(2027, 2, 1)])
def test_settled_and_cancellation_statuses_never_change_by_themselves(
    contract_type: ContractType, status: Status, today: date
) -> None:
    assert effective_status(contract_type, status, START, today) is status


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.PENDING, True),
        (Status.CANCELLATION_REQUESTED, True),
        (Status.RENEWED, False),
        (Status.CONFIRMED, False),
    ],
)
def test_needs_action_while_pending_or_cancellation_requested(status: Status, expected: bool) -> None:
    assert needs_action(status) is expected


def test_pending_renewal_past_its_deadline_needs_no_action() -> None:
    status = effective_status(ContractType.RENEWAL, Status.PENDING, START, date(2027, 1, 20))
    assert not needs_action(status)


def test_default_owner_is_hubspot() -> None:
    owner = effective_owner(None, partner_owns_all=False)
    assert owner.kind is OwnerKind.HUBSPOT and owner.is_default and owner.label == "HubSpot"


def test_partner_owns_all_makes_partner_the_default_owner() -> None:
    owner = effective_owner(None, partner_owns_all=True)
    assert owner.kind is OwnerKind.PARTNER and owner.is_default


def test_explicit_owner_wins_over_the_workspace_default() -> None:
    assert effective_owner(OwnerKind.HUBSPOT, partner_owns_all=True).kind is OwnerKind.HUBSPOT
    member = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, slack_user_id="U1", name="Ana")
    assert member.kind is OwnerKind.PARTNER and member.label == "Ana" and not member.is_default


def test_owner_me_matches_by_slack_user_or_by_email() -> None:
    by_user = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, slack_user_id="U1")
    by_email = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, email="Ana@Agency.example")
    assert owner_matches(by_user, "me", me_user_id="U1")
    assert not owner_matches(by_user, "me", me_user_id="U2")
    assert owner_matches(by_email, "me", me_user_id="U9", me_email="ana@agency.example")
    assert not owner_matches(
        effective_owner(OwnerKind.HUBSPOT, partner_owns_all=False), "me", me_user_id="U1"
    )


def test_owner_filter_by_kind() -> None:
    partner = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, slack_user_id="U7")
    hubspot = effective_owner(None, partner_owns_all=False)
    assert owner_matches(partner, "partner") and not owner_matches(partner, "hubspot")
    assert owner_matches(hubspot, "hubspot") and not owner_matches(hubspot, "partner")


def test_owner_filter_by_user_id() -> None:
    partner = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, slack_user_id="U7")
    assert owner_matches(partner, "U7") and not owner_matches(partner, "U8")


def test_fold_ignores_case_accents_and_extra_spaces() -> None:
    assert fold("  Café   NÚÑEZ ") == "cafe nunez"


@pytest.mark.parametrize(
    "query",
    [
        "Café Núñez",
        "cafe nunez",
        "CAFE",
        "nunez",
        "cafe nunes",
        "caffe nunez",
        "núnez",
        "cfae nunez",
        "12345",
        "cafenunez.es",
    ],
)
def test_search_finds_a_client_by_name_typo_hub_id_or_domain(query: str) -> None:
    assert match_client(query, name="Café Núñez", domain="cafenunez.es", hub_id="12345") is not None


@pytest.mark.parametrize("query", ["zebra", "cafe zebra", "99999", "acme"])
def test_search_does_not_find_unrelated_clients(query: str) -> None:
    assert match_client(query, name="Café Núñez", domain="cafenunez.es", hub_id="12345") is None


@pytest.mark.parametrize(
    "query", ["https://www.cafenunez.es/", "http://cafenunez.es/contact", "WWW.CafeNunez.es"]
)
def test_search_finds_a_website_typed_as_an_address_as_an_exact_match(query: str) -> None:
    assert match_client(query, name="Café Núñez", domain="cafenunez.es", hub_id="12345") == 0


def test_search_ranks_exact_before_prefix_before_typo() -> None:
    exact = match_client("acme", name="Acme", domain=None, hub_id="1")
    prefix = match_client("acme", name="Acme Corporation", domain=None, hub_id="2")
    typo = match_client("acmr corporation", name="Acme Corporation", domain=None, hub_id="3")
    assert exact is not None and prefix is not None and typo is not None
    assert exact < prefix < typo


def test_closest_names_suggests_similar_names() -> None:
    names = ["Northwind Traders", "Contoso", "Fabrikam", "Tailspin Toys"]
    assert closest_names("northwnd tradr", names)[0] == "Northwind Traders"


def test_money_sums_per_currency_exactly() -> None:
    totals = totals_by_currency(
        [Money(Decimal("0.1"), "USD"), Money(Decimal("0.2"), "USD"), Money(Decimal("5"), "EUR"), None]
    )
    assert totals == {"EUR": Decimal("5"), "USD": Decimal("0.3")}


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError):
        Money(0.1, "USD")  # type: ignore[arg-type]


def test_a_renewal_puts_its_current_mrr_at_stake() -> None:
    current, new = Money(Decimal("100"), "USD"), Money(Decimal("120"), "USD")
    assert mrr_at_stake(ContractType.RENEWAL, current, new) == current
    assert mrr_at_stake(ContractType.RENEWAL, None, new) == new


@pytest.mark.parametrize("contract_type", [ContractType.CONTACT_TIER_UPGRADE, ContractType.EMAIL_OVERAGE])
def test_an_upgrade_or_overage_puts_only_the_increase_at_stake(contract_type: ContractType) -> None:
    current, new = Money(Decimal("100.10"), "USD"), Money(Decimal("150.30"), "USD")
    assert mrr_at_stake(contract_type, current, new) == Money(Decimal("50.20"), "USD")
    assert mrr_at_stake(contract_type, None, new) == new
    assert mrr_at_stake(contract_type, current, None) is None


@pytest.mark.parametrize("contract_type", list(ContractType))
def test_amounts_in_different_currencies_are_never_subtracted(contract_type: ContractType) -> None:
    current, new = Money(Decimal("9311.75"), "EUR"), Money(Decimal("2368.68"), "GBP")
    expected = current if contract_type is ContractType.RENEWAL else new
    assert mrr_at_stake(contract_type, current, new) == expected


def test_search_finds_a_hub_id_typed_with_leading_zeros() -> None:
    assert match_client("0012345", name="Café Núñez", domain=None, hub_id="12345") == 0


def test_owner_mention_matches_by_slack_user_or_by_that_users_email() -> None:
    by_email = effective_owner(OwnerKind.PARTNER, partner_owns_all=False, email="carol@agency.example")
    assert owner_matches(by_email, "U0CAROL", wanted_email="Carol@Agency.example")
    assert not owner_matches(by_email, "U0CAROL", wanted_email="someone@else.example")
    assert not owner_matches(by_email, "U0CAROL")
