"""`/renewals digest on|off|status` through the outside: signed requests to the running app,
its Web API calls to the fake Slack; then the ticker posts what was subscribed, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import Session, select

from bot.jobs.digest_runner import run_due
from bot.services import build_services
from store.db import session_scope
from store.models import AuditEvent, DigestSubscription
from tests.app_client import SlackAppClient
from tests.digest_support import utc
from tests.factories import add_change_due, workspace_row
from tests.fake_slack import Call, FakeSlack, mrkdwn_texts
from tests.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

# Monday 10 March 2025, 08:00 in New York (EDT, UTC-4).
MONDAY_MORNING = utc(2025, 3, 10, 12, 0)


@pytest.fixture(autouse=True)
def frozen_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_MORNING, tick=True):
        yield


@pytest.fixture(autouse=True)
def alice(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(USER_ID, name="Alice Partner", tz="America/New_York")
    fake_slack.add_user("U0BOB", name="Bob Partner", tz="Europe/Berlin")


def digest(slack_app: SlackAppClient, text: str, **kwargs: object) -> Call:
    before = len(slack_app.fake.calls_to("response_url"))
    assert slack_app.command("/renewals", f"digest {text}".strip(), **kwargs).status == 200  # type: ignore[arg-type]
    reply = slack_app.wait_for("response_url", count=before + 1)
    assert reply.params.get("response_type", "ephemeral") == "ephemeral"
    return reply


def reply_text(call: Call) -> str:
    return "\n".join(mrkdwn_texts(call.params.get("blocks") or []))


def subscription(slack_app: SlackAppClient, channel: str = CHANNEL_ID) -> DigestSubscription | None:
    with Session(slack_app.engine) as session:
        return session.exec(
            select(DigestSubscription).where(DigestSubscription.channel_id == channel)
        ).first()


def test_digest_on_subscribes_at_nine_in_the_persons_time_zone(slack_app: SlackAppClient) -> None:
    reply = digest(slack_app, "on")

    saved = subscription(slack_app)
    assert saved is not None
    assert (saved.local_time, saved.timezone, saved.days_ahead, saved.weekends, saved.all_clear) == (
        "09:00",
        "America/New_York",
        14,
        False,
        False,
    )
    assert (saved.active, saved.subscribed_by) == (True, USER_ID)
    assert MONDAY_MORNING <= saved.subscribed_at < MONDAY_MORNING + timedelta(seconds=30)
    text = reply_text(reply)
    assert "09:00 America/New_York, Monday to Friday" in text
    assert "within 14 days" in text
    # Next digest: today at 09:00 New York = 13:00 UTC.
    assert f"<!date^{int(utc(2025, 3, 10, 13, 0).timestamp())}^" in text
    [users_info] = slack_app.fake.calls_to("users.info")
    assert users_info.params["user"] == USER_ID


def test_digest_on_takes_a_time_a_window_weekends_and_all_clear(slack_app: SlackAppClient) -> None:
    digest(slack_app, "on 7:30 days:30 weekends all-clear")

    saved = subscription(slack_app)
    assert saved is not None
    assert (saved.local_time, saved.days_ahead, saved.weekends, saved.all_clear) == ("07:30", 30, True, True)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("on 25:00", "`25:00` is not a time as HH:MM"),
        ("on days:0", "`days:` takes a whole number from 1 to 120"),
        ("on days:500", "`days:` takes a whole number from 1 to 120"),
        ("on fortnightly", "`fortnightly` is not a digest option"),
        ("on 9:00 10:00", "the time is given twice"),
    ],
)
def test_a_bad_option_is_explained_and_nothing_is_saved(
    slack_app: SlackAppClient, text: str, problem: str
) -> None:
    reply = digest(slack_app, text)

    assert problem in reply_text(reply)
    assert "/renewals digest on [HH:MM] [days:N]" in reply_text(reply)
    assert subscription(slack_app) is None


@pytest.mark.parametrize(
    ("channel", "reason"),
    [
        ({"id": CHANNEL_ID, "is_member": False, "is_archived": False}, "I am not a member of this channel"),
        ({"id": CHANNEL_ID, "is_member": True, "is_archived": True}, "the channel is archived"),
    ],
)
def test_a_channel_the_bot_cannot_post_in_says_how_to_fix_it(
    slack_app: SlackAppClient, fake_slack: FakeSlack, channel: dict, reason: str
) -> None:
    fake_slack.channels[CHANNEL_ID] = channel

    reply = digest(slack_app, "on")

    assert reason in reply_text(reply)
    assert "`/invite` <@U0BOT>" in reply_text(reply)
    assert subscription(slack_app) is None


@pytest.mark.parametrize("channel", [{"id": CHANNEL_ID}, None])
def test_a_channel_slack_does_not_describe_fully_is_subscribed_unchecked(
    slack_app: SlackAppClient, fake_slack: FakeSlack, channel: dict | None
) -> None:
    if channel is None:
        fake_slack.fail("conversations.info", error="missing_scope")
    else:
        fake_slack.channels[CHANNEL_ID] = channel

    digest(slack_app, "on")

    saved = subscription(slack_app)
    assert saved is not None and saved.active


def test_a_private_channel_the_bot_is_not_in_says_to_invite_it(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("conversations.info", error="channel_not_found")

    reply = digest(slack_app, "on")

    assert "private channel or conversation I am not in" in reply_text(reply)
    assert "`/invite` <@U0BOT>" in reply_text(reply)
    assert subscription(slack_app) is None


def test_digest_on_again_updates_unpauses_and_records_the_new_subscriber(slack_app: SlackAppClient) -> None:
    digest(slack_app, "on 08:00")
    with session_scope(slack_app.engine) as session:
        saved = session.exec(select(DigestSubscription)).one()
        saved.paused_reason = "is_archived"

    digest(slack_app, "on 10:15", user_id="U0BOB")

    saved = subscription(slack_app)
    assert saved is not None
    assert (saved.local_time, saved.timezone, saved.paused_reason, saved.subscribed_by) == (
        "10:15",
        "Europe/Berlin",
        None,
        "U0BOB",
    )
    with Session(slack_app.engine) as session:
        events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.action, e.actor) for e in events] == [("digest_on", USER_ID), ("digest_on", "U0BOB")]
    assert events[1].before is not None and events[1].before["local_time"] == "08:00"
    assert events[1].after is not None and events[1].after["local_time"] == "10:15"


def test_digest_off_keeps_the_row_inactive_and_is_audited(slack_app: SlackAppClient) -> None:
    digest(slack_app, "on")

    reply = digest(slack_app, "off")

    assert "is off" in reply_text(reply)
    saved = subscription(slack_app)
    assert saved is not None and saved.active is False
    with Session(slack_app.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["digest_on", "digest_off"]
    assert "has no renewals digest" in reply_text(digest(slack_app, "status"))


def test_digest_status_shows_settings_next_and_last_run_and_a_pause(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    digest(slack_app, "on 09:00 days:7")
    services = build_services(slack_app.settings, slack_app.engine)
    with time_machine.travel(utc(2025, 3, 10, 13, 0), tick=False):
        run_due(services)  # nothing to report today: nothing posted

    text = reply_text(digest(slack_app, "status"))
    assert f"<@{USER_ID}>" in text
    assert "09:00 America/New_York, Monday to Friday" in text
    assert "within 7 days" in text
    assert "2025-03-10: nothing to report, nothing posted" in text
    assert f"<!date^{int(utc(2025, 3, 11, 13, 0).timestamp())}^" in text  # tomorrow 09:00 New York

    with session_scope(slack_app.engine) as session:
        session.exec(select(DigestSubscription)).one().paused_reason = "is_archived"
    text = reply_text(digest(slack_app, "status"))
    assert "Paused:* the channel was archived" in text


def test_renewals_digest_alone_shows_the_status(slack_app: SlackAppClient) -> None:
    assert "has no renewals digest" in reply_text(digest(slack_app, ""))


def test_a_search_for_a_client_called_digest_is_still_a_search(slack_app: SlackAppClient) -> None:
    before = len(slack_app.fake.calls_to("response_url"))
    slack_app.command("/renewals", "digest media")
    reply = slack_app.wait_for("response_url", count=before + 1)

    assert "renewals digest" not in (reply.params.get("text") or "").lower()
    assert subscription(slack_app) is None


def test_another_workspace_sees_only_its_own_digest(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    digest(slack_app, "on")

    reply = digest(slack_app, "status", team_id="T0OTHER")

    assert "has no renewals digest" in reply_text(reply)


def test_a_subscription_made_in_slack_posts_at_nine_local_exactly_once(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    digest(slack_app, "on")
    with session_scope(slack_app.engine) as session:
        workspace = workspace_row(session, TEAM_ID)
        add_change_due(
            session, workspace, "<!channel> Corp", deadline=MONDAY_MORNING.date() + timedelta(days=3)
        )
    services = build_services(slack_app.settings, slack_app.engine)

    for minute in range(0, 120, 5):  # 08:00 to 10:00 in New York
        with time_machine.travel(MONDAY_MORNING + timedelta(minutes=minute), tick=False):
            run_due(services)

    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == CHANNEL_ID]
    assert len(posts) == 1
    assert "&lt;!channel&gt; Corp" in posts[0].params["text"]
    assert "<!channel>" not in posts[0].params["text"] + "".join(mrkdwn_texts(posts[0].params["blocks"]))
    labels = [
        e["text"]["text"] for b in posts[0].params["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert labels == ["Reassign contact", "Change owner", "End association", "Snooze 3 days", "Handled"]
