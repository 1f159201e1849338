"""Who counts as an admin: RENEWALS_ADMINS, or Slack's admins and owners (users.info), cached briefly.

These call the fake Slack over real HTTP; the end-to-end refusals are in test_client_actions.py
and test_owner_command.py.
"""

from __future__ import annotations

import pytest
from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.directory import AdminCheck, admin_check, slack_says_admin
from bot.slack.web_client import make_web_client
from tests.fake_slack import FakeSlack

TEAM = "T0TEAM1"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,
        slack_bot_token="xoxb-test",
        slack_api_url=fake_slack.api_url,
        renewals_admins="U0LISTED",
    )


def check(settings: Settings, checker: AdminCheck, user_id: str, **kwargs: object) -> bool:
    client = make_web_client(settings)
    return checker.is_admin(settings=settings, client=client, team_id=TEAM, user_id=user_id, **kwargs)


def test_a_user_in_renewals_admins_is_admin_without_asking_slack(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    assert check(settings, AdminCheck(), "U0LISTED")
    assert fake_slack.calls_to("users.info") == []


@pytest.mark.parametrize("role", ["is_admin", "is_owner"])
def test_a_slack_admin_or_owner_is_admin(settings: Settings, fake_slack: FakeSlack, role: str) -> None:
    fake_slack.add_user("U0BOSS", **{role: True})
    assert check(settings, AdminCheck(), "U0BOSS")


def test_an_ordinary_member_is_not_admin(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0MEMBER")
    assert not check(settings, AdminCheck(), "U0MEMBER")


def test_an_unknown_user_is_not_admin(settings: Settings, fake_slack: FakeSlack) -> None:
    assert not check(settings, AdminCheck(), "U0NOBODY")


def test_slacks_answer_is_cached_per_team_and_user_for_a_minute(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    clock = Clock()
    checker = AdminCheck(clock=clock)
    assert check(settings, checker, "U0BOSS")
    fake_slack.add_user("U0BOSS", is_admin=False)  # demoted in Slack
    clock.now += 59
    assert check(settings, checker, "U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 1
    clock.now += 2
    assert not check(settings, checker, "U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 2


def test_the_cache_keeps_teams_apart(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    checker = AdminCheck()
    client = make_web_client(settings)
    assert checker.is_admin(settings=settings, client=client, team_id=TEAM, user_id="U0BOSS")
    # The same user ID seen from another workspace is asked about again, not taken from the cache.
    assert not checker.is_admin(settings=settings, client=client, team_id="T0OTHER", user_id="U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 2


def test_a_slack_failure_is_not_taken_for_a_no(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    fake_slack.fail("users.info", error="fatal_error")
    checker = AdminCheck()
    with pytest.raises(SlackApiError):
        check(settings, checker, "U0BOSS")
    # Nothing was cached: the next try asks again and gets the real answer.
    assert check(settings, checker, "U0BOSS")


def test_an_admin_of_another_organisation_is_not_admin_here() -> None:
    guest = {"id": "U0GUEST", "team_id": "T0ELSEWHERE", "is_admin": True}
    assert not slack_says_admin(guest, team_id=TEAM, enterprise_id=None)


def test_an_org_admin_from_a_sibling_workspace_of_the_same_grid_is_admin() -> None:
    user = {
        "id": "W0ORG",
        "team_id": "T0SIBLING",
        "is_admin": True,
        "enterprise_user": {"enterprise_id": "E1"},
    }
    assert slack_says_admin(user, team_id=TEAM, enterprise_id="E1")
    assert not slack_says_admin(user, team_id=TEAM, enterprise_id="E2")


def test_deactivated_admins_and_guests_are_not_admin() -> None:
    assert not slack_says_admin(
        {"team_id": TEAM, "is_admin": True, "deleted": True}, team_id=TEAM, enterprise_id=None
    )
    assert not slack_says_admin(
        {"team_id": TEAM, "is_admin": True, "is_restricted": True}, team_id=TEAM, enterprise_id=None
    )


def test_each_app_has_its_own_admin_check() -> None:
    first = App(token="xoxb-1", signing_secret="s", token_verification_enabled=False)
    second = App(token="xoxb-2", signing_secret="s", token_verification_enabled=False)
    assert admin_check(first) is admin_check(first)
    assert admin_check(first) is not admin_check(second)
