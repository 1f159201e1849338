"""Who a Slack user is (bot.slack.directory): one users.info per team and user a minute, and who
counts as an admin: RENEWALS_ADMINS, or Slack's admins and owners.

These call the fake Slack over real HTTP; the end-to-end refusals are in test_association.py
and test_owner_command.py.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.services import build_services
from bot.settings import Settings
from bot.slack.directory import Person, SlackDirectory
from bot.slack.web_client import make_web_client
from store.db import make_engine
from tests.fake_slack import FakeSlack

TEAM = "T0TEAM1"
ROOT = Path(__file__).resolve().parent.parent


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


def check(settings: Settings, directory: SlackDirectory, user_id: str, **kwargs: object) -> bool:
    client = make_web_client(settings)
    return directory.is_admin(client, settings=settings, team_id=TEAM, user_id=user_id, **kwargs)


def person(settings: Settings, directory: SlackDirectory, user_id: str) -> Person:
    return directory.person(make_web_client(settings), team_id=TEAM, user_id=user_id)


# --- a person ------------------------------------------------------------------------------------


def test_a_person_has_their_slack_time_zone_email_and_name(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", email="alice@agency.com", name="Alice Agent", tz="Pacific/Auckland")

    alice = person(settings, SlackDirectory(), "U0ALICE")

    assert alice.zone.key == "Pacific/Auckland"
    assert (alice.email, alice.name) == ("alice@agency.com", "Alice Agent")
    # 11:30 UTC on 2 March is already 3 March in Auckland (UTC+13).
    assert alice.today(datetime(2026, 3, 2, 11, 30, tzinfo=UTC)) == date(2026, 3, 3)


def test_a_person_slack_will_not_describe_is_known_by_user_id_only_in_utc(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("users.info", error="missing_scope")

    nobody = person(settings, SlackDirectory(), "U0ALICE")

    assert nobody == Person(user_id="U0ALICE")
    assert nobody.today(datetime(2026, 3, 2, 23, 30, tzinfo=UTC)) == date(2026, 3, 2)


def test_a_failed_lookup_is_not_cached(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", email="alice@agency.com")
    fake_slack.fail("users.info", error="fatal_error")
    directory = SlackDirectory()

    assert person(settings, directory, "U0ALICE").email is None
    assert person(settings, directory, "U0ALICE").email == "alice@agency.com"


def test_a_time_zone_python_does_not_know_is_utc(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", tz="Mars/Olympus_Mons")
    assert person(settings, SlackDirectory(), "U0ALICE").zone.key == "UTC"


def test_each_running_app_has_its_own_directory(settings: Settings) -> None:
    engine = make_engine("sqlite://")
    try:
        assert build_services(settings, engine).directory is not build_services(settings, engine).directory
    finally:
        engine.dispose()


def test_users_info_is_called_from_the_directory_only() -> None:
    callers = []
    for folder in ("bot", "handlers", "store", "blocks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(node, ast.Attribute) and node.attr == "users_info" for node in ast.walk(tree)):
                callers.append(path.relative_to(ROOT).as_posix())
    assert callers == ["bot/slack/directory.py"]


# --- who is an admin -----------------------------------------------------------------------------


def test_a_user_in_renewals_admins_is_admin_without_asking_slack(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    assert check(settings, SlackDirectory(), "U0LISTED")
    assert fake_slack.calls_to("users.info") == []


@pytest.mark.parametrize("role", ["is_admin", "is_owner"])
def test_a_slack_admin_or_owner_is_admin(settings: Settings, fake_slack: FakeSlack, role: str) -> None:
    fake_slack.add_user("U0BOSS", **{role: True})
    assert check(settings, SlackDirectory(), "U0BOSS")


def test_an_ordinary_member_is_not_admin(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0MEMBER")
    assert not check(settings, SlackDirectory(), "U0MEMBER")


def test_an_unknown_user_is_not_admin(settings: Settings, fake_slack: FakeSlack) -> None:
    assert not check(settings, SlackDirectory(), "U0NOBODY")


def test_slacks_answer_is_cached_per_team_and_user_for_a_minute(
    settings: Settings, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    clock = Clock()
    directory = SlackDirectory(clock=clock)
    assert check(settings, directory, "U0BOSS")
    fake_slack.add_user("U0BOSS", is_admin=False)  # demoted in Slack
    clock.now += 59
    assert check(settings, directory, "U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 1
    clock.now += 2
    assert not check(settings, directory, "U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 2


def test_the_cache_keeps_teams_apart(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    directory = SlackDirectory()
    client = make_web_client(settings)
    assert directory.is_admin(client, settings=settings, team_id=TEAM, user_id="U0BOSS")
    # The same user ID seen from another workspace is asked about again, not taken from the cache.
    assert not directory.is_admin(client, settings=settings, team_id="T0OTHER", user_id="U0BOSS")
    assert len(fake_slack.calls_to("users.info")) == 2


def test_a_slack_failure_is_not_taken_for_a_no(settings: Settings, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0BOSS", is_admin=True)
    fake_slack.fail("users.info", error="fatal_error")
    directory = SlackDirectory()
    with pytest.raises(SlackApiError):
        check(settings, directory, "U0BOSS")
    # Nothing was cached: the next try asks again and gets the real answer.
    assert check(settings, directory, "U0BOSS")


def test_an_admin_of_another_organisation_is_not_admin_here() -> None:
    guest = Person.from_slack("U0GUEST", {"id": "U0GUEST", "team_id": "T0ELSEWHERE", "is_admin": True})
    assert not guest.is_admin_of(team_id=TEAM, enterprise_id=None)


def test_an_org_admin_from_a_sibling_workspace_of_the_same_grid_is_admin() -> None:
    user = Person.from_slack(
        "W0ORG",
        {"id": "W0ORG", "team_id": "T0SIBLING", "is_admin": True, "enterprise_user": {"enterprise_id": "E1"}},
    )
    assert user.is_admin_of(team_id=TEAM, enterprise_id="E1")
    assert not user.is_admin_of(team_id=TEAM, enterprise_id="E2")


def test_deactivated_admins_and_guests_are_not_admin() -> None:
    deactivated = Person.from_slack("U0GONE", {"team_id": TEAM, "is_admin": True, "deleted": True})
    guest = Person.from_slack("U0GUEST", {"team_id": TEAM, "is_admin": True, "is_restricted": True})
    assert not deactivated.is_admin_of(team_id=TEAM, enterprise_id=None)
    assert not guest.is_admin_of(team_id=TEAM, enterprise_id=None)
