"""`/renewals` from the outside: signed slash commands and clicks in, Block Kit out to the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine

from store.rules import ContractType, OwnerKind, Status
from tests.app_client import SlackAppClient
from tests.factories import NOON, seed_client
from tests.fake_slack import FakeSlack
from tests.renewals_data import all_text, blocks_of, client_names, table_rows
from tests.slack_requests import block_actions_payload, button_value, find_element


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    # tick=True: the app's threads and Slack's signature window still see time pass.
    with time_machine.travel(NOON, tick=True):
        yield


def ask(slack_app: SlackAppClient, text: str = "", **kwargs: object):  # type: ignore[no-untyped-def]
    """Run /renewals and return the reply the app sent to the command's response_url."""
    before = len(slack_app.fake.calls_to("response_url"))
    reply = slack_app.command("/renewals", text, **kwargs)  # type: ignore[arg-type]
    assert reply.status == 200
    return slack_app.wait_for("response_url", count=before + 1)


def click(slack_app: SlackAppClient, message, action_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
    before = len(slack_app.fake.calls_to("response_url"))
    payload = block_actions_payload(
        action_id, button_value(message, action_id), fake=slack_app.fake, block_id="renewals_paging", **kwargs
    )
    assert slack_app.action(payload).status == 200
    return slack_app.wait_for("response_url", count=before + 1)


# --- the table -------------------------------------------------------------------------------


def test_table_lists_upcoming_changes_soonest_deadline_first_with_default_columns(
    slack_app: SlackAppClient,
) -> None:
    seed_client(slack_app.engine, "Later Ltd", changes=[{"days": 90}])
    seed_client(slack_app.engine, "Sooner SA", changes=[{"days": 50}], contact="Ana Pérez")
    seed_client(slack_app.engine, "Too Far Inc", changes=[{"days": 121}])
    seed_client(slack_app.engine, "Ended Co", changes=[{"days": 60}], ended=True)

    message = ask(slack_app)

    rows = table_rows(message)
    assert rows[0] == [
        "Client name",
        "Communication owner",
        "Primary client contact",
        "Contract type",
        "Status",
        "Renewal deadline",
    ]
    assert rows[1] == [
        "Sooner SA",
        "HubSpot",
        "Ana Pérez <c@example.com>",
        "Renewal",
        "Pending",
        "2026-03-07",
    ]
    assert client_names(message) == ["Sooner SA", "Later Ltd"]
    assert message.params.get("response_type") == "ephemeral"
    assert "2 contract changes" in message.params["text"]


def test_header_sums_mrr_at_stake_of_changes_that_need_action(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "A", changes=[{"days": 60, "mrr": "1000.50"}])
    seed_client(
        slack_app.engine, "B", changes=[{"days": 60, "mrr": "200", "status": Status.CANCELLATION_REQUESTED}]
    )
    seed_client(slack_app.engine, "C", changes=[{"days": 60, "mrr": "999", "status": Status.RENEWED}])

    message = ask(slack_app)

    assert "$1,200.50" in all_text(message)


def test_help_explains_every_filter(slack_app: SlackAppClient) -> None:
    text = all_text(ask(slack_app, "help"))

    for word in ("type:", "status:", "owner:", "days:", "/renewals columns", "/renewal-owner", "digest"):
        assert word in text


def test_help_lists_every_digest_option(slack_app: SlackAppClient) -> None:
    text = all_text(ask(slack_app, "help"))

    assert "/renewals digest on [HH:MM] [days:N] [weekends] [all-clear]" in text
    assert "`weekends` posts on Saturday and Sunday too" in text
    assert "`all-clear` posts a one-line all-clear" in text


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("type:renewal", ["Renewal Co"]),
        ("type:upgrade", ["Upgrade Co"]),
        ("type:overage", ["Overage Co"]),
        ("TYPE:Upgrade", ["Upgrade Co"]),
    ],
)
def test_type_filter(slack_app: SlackAppClient, text: str, expected: list[str]) -> None:
    seed_client(slack_app.engine, "Renewal Co", changes=[{"days": 60}])
    seed_client(
        slack_app.engine, "Upgrade Co", changes=[{"days": 61, "type": ContractType.CONTACT_TIER_UPGRADE}]
    )
    seed_client(slack_app.engine, "Overage Co", changes=[{"days": 62, "type": ContractType.EMAIL_OVERAGE}])

    assert client_names(ask(slack_app, text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status:pending", ["Pending Co"]),
        # a pending renewal whose deadline has passed renews by itself
        ("status:renewed", ["Auto-renewed Co", "Renewed Co"]),
        ("status:confirmed", ["Confirmed Co"]),
        ("status:cancellation", ["Cancelling Co"]),
    ],
)
def test_status_filter_uses_the_effective_status(
    slack_app: SlackAppClient, text: str, expected: list[str]
) -> None:
    seed_client(slack_app.engine, "Auto-renewed Co", changes=[{"days": 30}])  # deadline 15 days ago
    seed_client(slack_app.engine, "Pending Co", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Renewed Co", changes=[{"days": 61, "status": Status.RENEWED}])
    seed_client(
        slack_app.engine,
        "Confirmed Co",
        changes=[{"days": 62, "status": Status.CONFIRMED, "type": ContractType.EMAIL_OVERAGE}],
    )
    seed_client(
        slack_app.engine, "Cancelling Co", changes=[{"days": 63, "status": Status.CANCELLATION_REQUESTED}]
    )

    assert client_names(ask(slack_app, text)) == expected


def _owners(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Default Co", changes=[{"days": 60}])
    seed_client(slack_app.engine, "HubSpot Co", owner_kind=OwnerKind.HUBSPOT, changes=[{"days": 61}])
    seed_client(
        slack_app.engine,
        "Alice Co",
        owner_kind=OwnerKind.PARTNER,
        owner_user_id="U0ALICE",
        changes=[{"days": 62}],
    )
    seed_client(
        slack_app.engine,
        "Bob Co",
        owner_kind=OwnerKind.PARTNER,
        owner_user_id="U0BOB",
        changes=[{"days": 63}],
    )
    seed_client(
        slack_app.engine,
        "Carol Co",
        owner_kind=OwnerKind.PARTNER,
        owner_email="Carol@Agency.example",
        changes=[{"days": 64}],
    )


@pytest.mark.parametrize(
    ("text", "user_id", "expected"),
    [
        ("owner:hubspot", "U0ALICE", ["Default Co", "HubSpot Co"]),
        ("owner:partner", "U0ALICE", ["Alice Co", "Bob Co", "Carol Co"]),
        ("owner:me", "U0ALICE", ["Alice Co"]),
        ("owner:<@U0BOB|bob>", "U0ALICE", ["Bob Co"]),
        ("owner:<@U0BOB>", "U0ALICE", ["Bob Co"]),
    ],
)
def test_owner_filter(slack_app: SlackAppClient, text: str, user_id: str, expected: list[str]) -> None:
    _owners(slack_app)

    assert client_names(ask(slack_app, text, user_id=user_id)) == expected


def test_owner_me_matches_a_partner_member_by_the_viewers_slack_email(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    _owners(slack_app)
    fake_slack.add_user("U0CAROL", email="carol@agency.example", name="Carol")

    assert client_names(ask(slack_app, "owner:me", user_id="U0CAROL")) == ["Carol Co"]


def test_owner_mention_matches_a_partner_member_known_only_by_imported_email(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    _owners(slack_app)
    fake_slack.add_user("U0CAROL", email="carol@agency.example", name="Carol")

    assert client_names(ask(slack_app, "owner:<@U0CAROL|carol>", user_id="U0ALICE")) == ["Carol Co"]


def test_days_filter_shortens_the_window(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Ten", changes=[{"days": 10}])
    seed_client(slack_app.engine, "Thirty", changes=[{"days": 30}])
    seed_client(slack_app.engine, "Thirty-one", changes=[{"days": 31}])

    message = ask(slack_app, "days:30")

    assert client_names(message) == ["Ten", "Thirty"]
    assert "next 30 days" in all_text(message)


def test_the_window_runs_from_the_persons_own_day(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", tz="Pacific/Auckland")
    seed_client(slack_app.engine, "Starts Today In UTC", changes=[{"days": 0}])
    seed_client(slack_app.engine, "Thirty-one", changes=[{"days": 31}])

    # At noon UTC on 2 March it is already 3 March in Auckland (UTC+13).
    message = ask(slack_app, "days:30", user_id="U0ALICE")

    assert client_names(message) == ["Thirty-one"]


def test_filters_combine_with_search_words(slack_app: SlackAppClient) -> None:
    seed_client(
        slack_app.engine,
        "Acme Corp",
        changes=[{"days": 60}, {"days": 70, "type": ContractType.EMAIL_OVERAGE}],
    )
    seed_client(slack_app.engine, "Acme Labs", changes=[{"days": 60, "status": Status.RENEWED}])
    seed_client(slack_app.engine, "Globex", changes=[{"days": 60}])

    message = ask(slack_app, "acme type:renewal status:pending")

    assert client_names(message) == ["Acme Corp"]
    applied = all_text(message)
    assert "type: Renewal" in applied and "status: Pending" in applied and "acme" in applied


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("kind:renewal", "type:, status:, owner:, days:"),
        ("type:downgrade", "renewal, upgrade, overage"),
        ("status:lost", "pending, renewed, confirmed, cancellation"),
        ("owner:someone", "me, hubspot, partner"),
        ("days:0", "1 to 120"),
        ("days:121", "1 to 120"),
        ("days:soon", "1 to 120"),
        ("type:renewal type:upgrade", "keep one"),
    ],
)
def test_bad_filter_says_what_is_allowed(slack_app: SlackAppClient, text: str, allowed: str) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])

    message = ask(slack_app, text)

    assert allowed in all_text(message)
    assert not any(b["type"] == "table" for b in blocks_of(message))
    assert message.params.get("response_type") == "ephemeral"


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["cafe nunez", "Café Núñez", "cafe nuñes", "nunez.example", "424242"])
def test_search_finds_a_client_by_name_accent_and_typo_domain_or_hub_id(
    slack_app: SlackAppClient, words: str
) -> None:
    seed_client(
        slack_app.engine, "Café Núñez", hub_id="424242", domain="nunez.example", changes=[{"days": 60}]
    )
    seed_client(slack_app.engine, "Globex", changes=[{"days": 60}])

    assert client_names(ask(slack_app, words)) == ["Café Núñez"]


def test_search_for_a_linked_domain_uses_the_links_label(slack_app: SlackAppClient) -> None:
    # With should_escape, Slack sends a typed domain as a link.
    seed_client(slack_app.engine, "Acme", domain="acme.example", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Globex", changes=[{"days": 60}])

    assert client_names(ask(slack_app, "<http://acme.example|acme.example>")) == ["Acme"]


def test_a_pasted_web_address_is_a_search_not_an_unknown_filter(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", domain="acme.example", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Globex", changes=[{"days": 60}])

    assert client_names(ask(slack_app, "https://www.acme.example/ type:renewal")) == ["Acme"]


# --- empty results ---------------------------------------------------------------------------


def test_empty_workspace_says_nothing_is_upcoming_and_how_to_import(slack_app: SlackAppClient) -> None:
    text = all_text(ask(slack_app))

    assert "No contract changes start in the next 120 days" in text
    assert "renewals-bot import" in text


def test_no_match_says_which_filters_applied_and_what_to_try(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])

    message = ask(slack_app, "globex type:overage days:30")

    text = all_text(message)
    assert "No contract changes match" in text
    assert "globex" in text and "type: Email overage" in text and "next 30 days" in text
    assert "days:120" in text and "fewer filters" in text and "/renewal globex" in text
    assert not any(b["type"] == "table" for b in blocks_of(message))


# --- paging ----------------------------------------------------------------------------------


def test_paging_visits_every_row_once_and_previous_goes_back(slack_app: SlackAppClient) -> None:
    for n in range(45):
        seed_client(slack_app.engine, f"Client {n:02d}", changes=[{"days": 46 + n}])

    first = ask(slack_app)
    assert find_element(blocks_of(first), "renewals_next")["text"]["text"] == "Next"
    with pytest.raises(AssertionError):
        find_element(blocks_of(first), "renewals_previous")
    second = click(slack_app, first, "renewals_next")
    third = click(slack_app, second, "renewals_next")

    seen = client_names(first) + client_names(second) + client_names(third)
    assert seen == [f"Client {n:02d}" for n in range(45)]
    assert [len(client_names(m)) for m in (first, second, third)] == [20, 20, 5]
    assert second.params["replace_original"] is True
    assert "showing 21–40 of 45" in all_text(second)
    with pytest.raises(AssertionError):
        find_element(blocks_of(third), "renewals_next")
    assert find_element(blocks_of(third), "renewals_previous")["text"]["text"] == "Previous"
    back = click(slack_app, third, "renewals_previous")
    assert client_names(back) == client_names(second)


def test_paging_keeps_the_filters(slack_app: SlackAppClient) -> None:
    for n in range(25):
        seed_client(slack_app.engine, f"Pending {n:02d}", changes=[{"days": 46 + n}])
        seed_client(
            slack_app.engine, f"Renewed {n:02d}", changes=[{"days": 46 + n, "status": Status.RENEWED}]
        )

    first = ask(slack_app, "status:pending")
    second = click(slack_app, first, "renewals_next")

    assert client_names(first) + client_names(second) == [f"Pending {n:02d}" for n in range(25)]


def test_a_stale_page_button_says_so(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    payload = block_actions_payload("renewals_next", '{"v": 99}', fake=fake_slack)

    assert slack_app.action(payload).status == 200

    reply = slack_app.wait_for("response_url")
    assert "out of date" in all_text(reply)
    assert reply.params.get("replace_original") is False
    assert reply.params.get("response_type") == "ephemeral"


# --- sharing ---------------------------------------------------------------------------------


def test_share_posts_the_same_page_in_channel_naming_the_sharer(slack_app: SlackAppClient) -> None:
    for n in range(25):
        seed_client(slack_app.engine, f"Client {n:02d}", changes=[{"days": 46 + n}])
    first = ask(slack_app, "", user_id="U0ALICE")
    second = click(slack_app, first, "renewals_next", user_id="U0ALICE")

    shared = click(slack_app, second, "renewals_share", user_id="U0ALICE")

    assert shared.params["response_type"] == "in_channel"
    assert shared.params.get("replace_original") is False
    assert table_rows(shared) == table_rows(second)
    assert "Shared by <@U0ALICE>" in all_text(shared)
    assert not any(b["type"] == "actions" for b in blocks_of(shared))


def test_shared_table_names_an_owner_filter_without_mentioning_them(slack_app: SlackAppClient) -> None:
    seed_client(
        slack_app.engine,
        "Bob Co",
        owner_kind=OwnerKind.PARTNER,
        owner_user_id="U0BOB",
        changes=[{"days": 60}],
    )
    mine = ask(slack_app, "owner:<@U0BOB|bob>")

    shared = click(slack_app, mine, "renewals_share")

    assert "<@U0BOB>" in all_text(mine)
    assert "<@U0BOB>" not in all_text(shared) and "@bob" in all_text(shared)


# --- limits ----------------------------------------------------------------------------------


def test_every_column_with_long_names_stays_within_slacks_table_limits(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    from store.columns import OPTIONAL
    from store.db import session_scope
    from store.preferences import save_columns
    from store.workspaces import ensure_workspace

    for n in range(30):
        seed_client(slack_app.engine, f"{n:02d} " + "Very Long Client Name " * 20, changes=[{"days": 46 + n}])
    with session_scope(slack_app.engine) as session:
        workspace = ensure_workspace("T0TEAM1", session=session)
        save_columns(workspace.id, "U0ALICE", [c.value for c in OPTIONAL], session=session)

    message = ask(slack_app, user_id="U0ALICE")

    rows = table_rows(message)
    assert len(rows) == 21 and len(rows[0]) == 15
    assert sum(len(cell) for row in rows for cell in row) <= 10_000
    assert rows[1][0].startswith("00 Very Long") and rows[1][0].endswith("…")
    assert rows[1][1] == "HubSpot"  # short cells are left whole
    assert len(json.dumps(blocks_of(message))) < 40_000
    # fake_slack fails the test at teardown if anything broke Slack's limits


# --- from the table to a client --------------------------------------------------------------


def _choose(slack_app: SlackAppClient, message, option: dict, **kwargs: object):  # type: ignore[no-untyped-def,type-arg]
    before = len(slack_app.fake.calls_to("response_url"))
    payload = block_actions_payload(
        "renewals_open_client",
        None,
        action_type="static_select",
        extra_action={"selected_option": option},
        block_id="renewals_paging",
        fake=slack_app.fake,
        **kwargs,
    )
    assert slack_app.action(payload).status == 200
    return slack_app.wait_for("response_url", count=before + 1)


def test_choosing_a_client_under_the_table_shows_its_detail_with_its_buttons(
    slack_app: SlackAppClient,
) -> None:
    seed_client(
        slack_app.engine, "Acme", changes=[{"days": 60}, {"days": 70, "type": ContractType.EMAIL_OVERAGE}]
    )
    seed_client(slack_app.engine, "Globex", changes=[{"days": 65}])
    table = ask(slack_app)
    picker = find_element(blocks_of(table), "renewals_open_client")
    assert [o["text"]["text"] for o in picker["options"]] == ["Acme", "Globex"]  # one per client

    detail = _choose(slack_app, table, picker["options"][1])

    assert detail.params.get("replace_original") is False  # the table stays
    labels = {
        element["text"]["text"]
        for block in blocks_of(detail)
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    }
    assert {"Reassign contact", "Change owner", "End association"} <= labels
    assert "Globex" in all_text(detail) and "Acme" not in all_text(detail)


def _button_labels(message) -> set[str]:  # type: ignore[no-untyped-def]
    return {
        element["text"]["text"]
        for block in blocks_of(message)
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    }


def test_a_search_that_finds_one_client_shows_its_buttons_under_the_table(slack_app: SlackAppClient) -> None:
    seed_client(
        slack_app.engine, "Acme", changes=[{"days": 60}, {"days": 70, "type": ContractType.EMAIL_OVERAGE}]
    )
    seed_client(slack_app.engine, "Globex", changes=[{"days": 65}])

    message = ask(slack_app, "acme")

    assert {"Reassign contact", "Change owner", "End association"} <= _button_labels(message)
    value = json.loads(find_element(blocks_of(message), "client_change_owner")["value"])
    assert value["team_id"] == "T0TEAM1" and value["client_id"] > 0


def test_a_table_of_several_clients_has_no_client_buttons(slack_app: SlackAppClient) -> None:
    seed_client(slack_app.engine, "Acme", changes=[{"days": 60}])
    seed_client(slack_app.engine, "Globex", changes=[{"days": 65}])

    message = ask(slack_app)

    assert not {"Reassign contact", "Change owner", "End association"} & _button_labels(message)
