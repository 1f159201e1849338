"""A digest's "View all" through the outside: the ticker posts the digest to the fake Slack, then
signed `block_actions` clicks on its button (and on Next / Previous) get the whole list, paged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import time_machine

from blocks.values import DigestListRef, encode
from bot.jobs.digest_runner import run_due
from bot.services import build_services
from store.db import session_scope
from tests.app_client import SlackAppClient
from tests.digest_support import add_subscription, utc
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import Call, FakeSlack
from tests.renewals_data import all_text, blocks_of, client_names
from tests.slack_requests import CHANNEL_ID, TEAM_ID, block_actions_payload, button_value, find_element

MONDAY = date(2025, 3, 10)
MONDAY_NINE = utc(2025, 3, 10, 9, 0)  # 09:00 in London
VIEW_ALL = "digest_view_all"
NEXT = "digest_list_next"
PREVIOUS = "digest_list_previous"


@pytest.fixture(autouse=True)
def frozen_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_NINE, tick=True):
        yield


def _seed(slack_app: SlackAppClient, count: int) -> None:
    with session_scope(slack_app.engine) as session:
        workspace = workspace_row(session, TEAM_ID)
        for n in range(count):
            add_change_due(session, workspace, f"Client {n:02d}", deadline=MONDAY + timedelta(days=n // 3))


def _posted_digest(slack_app: SlackAppClient, count: int) -> Call:
    _seed(slack_app, count)
    add_subscription(slack_app.engine, channel=CHANNEL_ID, team_id=TEAM_ID)
    run_due(build_services(slack_app.settings, slack_app.engine))
    [post] = slack_app.fake.calls_to("chat.postMessage")
    return post


def _click(slack_app: SlackAppClient, action_id: str, value: str) -> Call:
    before = len(slack_app.fake.calls_to("response_url"))
    payload = block_actions_payload(action_id, value, fake=slack_app.fake)
    assert slack_app.action(payload).status == 200
    return slack_app.wait_for("response_url", count=before + 1)


def test_view_all_shows_the_clicker_page_1_of_the_whole_list_and_next_pages_on(
    slack_app: SlackAppClient,
) -> None:
    digest = _posted_digest(slack_app, 30)
    assert find_element(blocks_of(digest), VIEW_ALL)["text"]["text"] == "View all"

    first = _click(slack_app, VIEW_ALL, button_value(digest, VIEW_ALL))

    assert first.params["response_type"] == "ephemeral"
    assert first.params["replace_original"] is False  # the channel's digest stays as it is
    assert client_names(first) == [f"Client {n:02d}" for n in range(20)]
    assert "30 contract changes need action" in all_text(first)
    assert "showing 1–20 of 30" in all_text(first)
    assert find_element(blocks_of(first), NEXT)["text"]["text"] == "Next"

    second = _click(slack_app, NEXT, button_value(first, NEXT))

    assert second.params["replace_original"] is True
    assert client_names(second) == [f"Client {n:02d}" for n in range(20, 30)]
    assert find_element(blocks_of(second), PREVIOUS)["text"]["text"] == "Previous"
    with pytest.raises(AssertionError):
        find_element(blocks_of(second), NEXT)
    back = _click(slack_app, PREVIOUS, button_value(second, PREVIOUS))
    assert client_names(back) == client_names(first)


def test_a_view_all_value_from_another_workspace_is_refused(slack_app: SlackAppClient) -> None:
    _seed(slack_app, 30)
    other = encode(DigestListRef(team_id="T0OTHER", day=MONDAY, days=14))

    reply = _click(slack_app, VIEW_ALL, other)

    assert "another workspace" in all_text(reply)
    assert not [b for b in blocks_of(reply) if b["type"] == "table"]
    assert "Client" not in all_text(reply)


def test_a_view_all_value_that_no_longer_decodes_says_it_is_out_of_date(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    reply = _click(slack_app, NEXT, '{"v": 99}')

    assert "out of date" in all_text(reply)
    assert reply.params["replace_original"] is False


def test_a_digest_of_25_or_fewer_has_no_view_all(slack_app: SlackAppClient) -> None:
    digest = _posted_digest(slack_app, 25)

    assert str(blocks_of(digest)).count("'Reassign contact'") == 25
    with pytest.raises(AssertionError):
        find_element(blocks_of(digest), VIEW_ALL)
