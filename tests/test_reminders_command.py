"""`/renewals reminders on|off|status` through the outside: signed requests to the running app, its
Web API calls to the fake Slack; then the ticker sends (or not) what the owner chose."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from sqlmodel import Session, select

from bot.services import build_services
from store.models import AuditEvent
from tests.app_client import ADMIN_ID, SlackAppClient
from tests.digest_support import utc
from tests.fake_slack import Call, FakeSlack, mrkdwn_texts
from tests.reminder_support import add_owned_changes, dms, recipient, tick
from tests.slack_requests import USER_ID

# Friday 7 March 2025, 12:00 UTC: the owner's reminder for a deadline on Monday 17 March is due
# on Monday 10 March.
FRIDAY_NOON = utc(2025, 3, 7, 12, 0)
MONDAY_NINE = utc(2025, 3, 10, 9, 0)


@pytest.fixture(autouse=True)
def frozen_friday() -> Iterator[None]:
    with time_machine.travel(FRIDAY_NOON, tick=True):
        yield


@pytest.fixture(autouse=True)
def alice(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(USER_ID, name="Alice Partner", tz="Europe/London")
    fake_slack.add_user(ADMIN_ID, name="Ada Admin", tz="Europe/London")


def reminders(app: SlackAppClient, text: str, *, user_id: str = USER_ID) -> str:
    before = len(app.fake.calls_to("response_url"))
    assert app.command("/renewals", f"reminders {text}".strip(), user_id=user_id).status == 200
    reply = app.wait_for("response_url", count=before + 1)
    assert reply.params.get("response_type", "ephemeral") == "ephemeral"
    return reply_text(reply)


def reply_text(call: Call) -> str:
    return "\n".join(mrkdwn_texts(call.params.get("blocks") or []))


def _tick_monday(app: SlackAppClient) -> None:
    tick(build_services(app.settings, app.engine), MONDAY_NINE)


def test_reminders_are_on_by_default_and_status_says_so(slack_app: SlackAppClient) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id=USER_ID)

    text = reminders(slack_app, "status")

    assert "Your renewal reminders are on" in text
    assert "09:00 to 17:00 Europe/London" in text
    assert "communication owner of 1 client" in text
    assert "Last reminder:* none yet" in text


def test_off_stops_the_reminders_and_is_recorded(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id=USER_ID)

    assert "reminders are *off*" in reminders(slack_app, "off")
    _tick_monday(slack_app)

    assert dms(fake_slack, USER_ID) == []
    with Session(slack_app.engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "reminders_off")).all()
    assert (event.actor, event.before, event.after) == (
        USER_ID,
        {"enabled": True, "unreachable": None},
        {"enabled": False, "unreachable": None},
    )


def test_on_again_brings_the_reminders_back(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id=USER_ID)
    reminders(slack_app, "off")

    text = reminders(slack_app, "on")
    _tick_monday(slack_app)

    assert "reminders are *on*" in text and "communication owner of 1 client" in text
    [message] = dms(fake_slack, USER_ID)
    assert "Acme Corp" in message.params["text"]


def test_status_after_a_reminder_shows_the_last_one(slack_app: SlackAppClient) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id=USER_ID)
    _tick_monday(slack_app)

    with time_machine.travel(utc(2025, 3, 10, 12, 0), tick=True):
        text = reminders(slack_app, "")

    assert "Last reminder:* 2025-03-10: sent (1 contract change)" in text


def test_an_admin_sees_the_owners_who_could_not_be_messaged(admin_app: SlackAppClient) -> None:
    add_owned_changes(admin_app.engine, [date(2025, 3, 17)], user_id="U0GONE")  # left the workspace
    _tick_monday(admin_app)

    text = reminders(admin_app, "status", user_id=ADMIN_ID)

    assert "Owners I could not message" in text
    assert "<@U0GONE>: user_not_found" in text


def test_someone_who_is_no_admin_does_not_see_the_others_who_could_not_be_messaged(
    slack_app: SlackAppClient,
) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id="U0GONE")
    _tick_monday(slack_app)

    text = reminders(slack_app, "status")

    assert "U0GONE" not in text and "could not message" not in text


def test_on_clears_could_not_be_messaged_and_tries_again(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    add_owned_changes(slack_app.engine, [date(2025, 3, 17)], user_id=USER_ID)
    fake_slack.fail("conversations.open", error="cannot_dm_bot")
    _tick_monday(slack_app)
    assert "I could not message you (cannot_dm_bot)" in reminders(slack_app, "status")

    reminders(slack_app, "on")
    tick(build_services(slack_app.settings, slack_app.engine), utc(2025, 3, 11, 9, 0))

    owner = recipient(slack_app.engine, USER_ID)
    assert owner is not None and owner.unreachable_error is None
    assert len(dms(fake_slack, USER_ID)) == 1


def test_help_describes_the_reminders(slack_app: SlackAppClient) -> None:
    assert slack_app.command("/renewals", "help").status == 200
    text = reply_text(slack_app.wait_for("response_url"))

    assert "/renewals reminders on|off|status" in text
    assert "7 days and 1 day before" in text
