"""`/renewals` words (plain values) -> the query (store/filters.py)."""

from __future__ import annotations

import pytest

from store.filters import FilterError, parse_filters
from store.rules import ContractType


def test_words_that_are_not_filters_are_the_search() -> None:
    filters = parse_filters(["café", "type:upgrade", "https://acme.com"])
    assert filters.query.words == "café https://acme.com"
    assert filters.query.contract_type is ContractType.CONTACT_TIER_UPGRADE


def test_a_mentioned_owner_keeps_the_name_to_say_back() -> None:
    filters = parse_filters(["owner:U0BOB"], mentioned={"U0BOB": "bob"})
    assert (filters.query.owner, filters.owner_name) == ("U0BOB", "bob")


def test_an_owner_typed_as_a_user_id_has_no_name() -> None:
    filters = parse_filters(["owner:U0BOB"])
    assert (filters.query.owner, filters.owner_name) == ("U0BOB", None)


def test_an_owner_that_is_no_person_is_refused() -> None:
    with pytest.raises(FilterError, match="is not an owner"):
        parse_filters(["owner:bob"])
