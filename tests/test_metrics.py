"""GET /metrics from the outside: what the app counts as it answers Slack, posts digests and calls Slack.

Counts are the process's own, shared by every test in it: each test compares /metrics before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from bot.jobs.digest_runner import run_due
from bot.services import build_services
from bot.slack.web_client import make_web_client
from store.db import session_scope
from tests.app_client import SlackAppClient, serving
from tests.digest_support import add_subscription, utc
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import FakeSlack, sign
from tests.slack_requests import USER_ID, block_actions_payload

MONDAY_NINE = utc(2025, 3, 10, 9, 0)


@pytest.fixture
def app(fake_slack: FakeSlack, sqlite_url: str) -> Iterator[SlackAppClient]:
    """The app on SQLite only: the database is not what these tests are about."""
    with serving(fake_slack, sqlite_url) as client:
        yield client


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(app: SlackAppClient) -> Samples:
    """Every sample /metrics shows, by (name, labels)."""
    reply = app.get("/metrics")
    assert reply.status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(reply.body.decode())
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], metric: str, /, **labels: str
) -> float:
    return samples.get((metric, frozenset(labels.items())), 0.0)


def test_metrics_answers_in_prometheus_text_format(app: SlackAppClient) -> None:
    reply = app.get("/metrics")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    names = {family.name for family in text_string_to_metric_families(reply.body.decode())}
    assert {
        "renewals_requests",
        "renewals_request_seconds",
        "renewals_digests",
        "renewals_reminders",
        "renewals_alerts",
        "renewals_slack_api_errors",
        "renewals_claims_taken_over",
    } <= names


def test_a_signed_command_is_counted_and_timed_by_command_and_subcommand(app: SlackAppClient) -> None:
    before = scrape(app)

    assert app.command("/renewals", "help").status == 200

    after = scrape(app)
    labels = {"kind": "command", "name": "/renewals help"}
    assert value(after, "renewals_requests_total", **labels, status="200") == (
        value(before, "renewals_requests_total", **labels, status="200") + 1
    )
    assert value(after, "renewals_request_seconds_count", **labels) == (
        value(before, "renewals_request_seconds_count", **labels) + 1
    )
    assert value(after, "renewals_request_seconds_sum", **labels) > value(
        before, "renewals_request_seconds_sum", **labels
    )


def test_what_a_person_types_never_becomes_a_label(app: SlackAppClient) -> None:
    before = scrape(app)

    app.command("/renewal", "Zanzibar Holdings xoxb-typed-by-someone")

    after = app.get("/metrics").body.decode()
    assert "Zanzibar" not in after and "xoxb-typed" not in after
    labels = {"kind": "command", "name": "/renewal query", "status": "200"}
    assert value(scrape(app), "renewals_requests_total", **labels) == (
        value(before, "renewals_requests_total", **labels) + 1
    )


def test_a_button_click_is_counted_by_its_action_id(app: SlackAppClient, fake_slack: FakeSlack) -> None:
    before = scrape(app)

    app.action(block_actions_payload("renewals_next", "not a page", fake=fake_slack))

    labels = {"kind": "block_action", "name": "renewals_next", "status": "200"}
    assert value(scrape(app), "renewals_requests_total", **labels) == (
        value(before, "renewals_requests_total", **labels) + 1
    )


def test_an_event_is_counted_by_its_type(app: SlackAppClient, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(USER_ID)
    before = scrape(app)

    app.event({"type": "app_home_opened", "user": USER_ID, "channel": "D0HOME", "tab": "home"})

    labels = {"kind": "event", "name": "app_home_opened", "status": "200"}
    assert value(scrape(app), "renewals_requests_total", **labels) == (
        value(before, "renewals_requests_total", **labels) + 1
    )
    app.wait_for("views.publish")


def test_an_unsigned_request_is_counted_as_refused(app: SlackAppClient) -> None:
    before = scrape(app)
    body = b"command=%2Frenewals&text=help"

    app.post(body, {"Content-Type": "application/x-www-form-urlencoded", **sign("not-the-secret", body)})

    labels = {"kind": "unsigned", "name": "", "status": "401"}
    assert value(scrape(app), "renewals_requests_total", **labels) == (
        value(before, "renewals_requests_total", **labels) + 1
    )


def test_slack_api_errors_are_counted_by_method_and_error(app: SlackAppClient, fake_slack: FakeSlack) -> None:
    before = scrape(app)
    fake_slack.fail("chat.postMessage", error="channel_not_found")
    fake_slack.fail("conversations.open", status=503)
    client = make_web_client(app.settings)

    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GONE", text="hello")
    client.conversations_open(users="U1")  # a 503, retried, then answered

    after = scrape(app)
    name = "renewals_slack_api_errors_total"
    not_found = {"method": "chat.postMessage", "error": "channel_not_found"}
    unavailable = {"method": "conversations.open", "error": "http_503"}
    assert value(after, name, **not_found) == value(before, name, **not_found) + 1
    assert value(after, name, **unavailable) == value(before, name, **unavailable) + 1


def _seed_digest(app: SlackAppClient) -> None:
    with session_scope(app.engine) as session:
        add_change_due(session, workspace_row(session), "Acme Corp", deadline=MONDAY_NINE.date())
    add_subscription(app.engine)


def test_a_posted_digest_is_counted(app: SlackAppClient) -> None:
    _seed_digest(app)
    before = scrape(app)

    with time_machine.travel(MONDAY_NINE, tick=False):
        run_due(build_services(app.settings, app.engine))

    posted = {"result": "posted"}
    assert value(scrape(app), "renewals_digests_total", **posted) == (
        value(before, "renewals_digests_total", **posted) + 1
    )


def test_a_failed_digest_is_counted(app: SlackAppClient, fake_slack: FakeSlack) -> None:
    _seed_digest(app)
    fake_slack.fail("chat.postMessage", status=500, times=3)  # the try and both retries
    before = scrape(app)

    with time_machine.travel(MONDAY_NINE + timedelta(seconds=1), tick=False):
        run_due(build_services(app.settings, app.engine))

    after = scrape(app)
    failed = {"result": "failed"}
    assert (
        value(after, "renewals_digests_total", **failed)
        == value(before, "renewals_digests_total", **failed) + 1
    )
    assert value(after, "renewals_digests_total", result="posted") == value(
        before, "renewals_digests_total", result="posted"
    )
