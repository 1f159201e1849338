"""The request's workspace row, read in the listener's own transaction: a team seen for the first
time gets its row, a team that joined an Enterprise Grid org gets the org recorded, and both
are answered from that row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from sqlmodel import Session

from store.workspaces import get_workspace
from tests.app_client import SlackAppClient
from tests.factories import NOON, seed_client
from tests.renewals_data import all_text
from tests.slack_requests import TEAM_ID

NEW_TEAM = "T0NEWTEAM"
ORG = "E0GRIDORG"


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    # The seeded renewal is 30 days after NOON's day; tick=True keeps signatures in their window.
    with time_machine.travel(NOON, tick=True):
        yield


def _renewals(slack_app: SlackAppClient, **kwargs: object):  # type: ignore[no-untyped-def]
    before = len(slack_app.fake.calls_to("response_url"))
    assert slack_app.command("/renewals", "", **kwargs).status == 200  # type: ignore[arg-type]
    return slack_app.wait_for("response_url", count=before + 1)


def test_a_team_seen_for_the_first_time_gets_its_workspace_and_an_answer(slack_app: SlackAppClient) -> None:
    reply = _renewals(slack_app, team_id=NEW_TEAM)

    assert "No contract changes start in the next 120 days" in all_text(reply)  # nothing imported yet
    with Session(slack_app.engine) as session:
        assert get_workspace(NEW_TEAM, session=session) is not None


def test_a_team_that_joined_a_grid_org_has_the_org_recorded_and_its_data_shown(
    slack_app: SlackAppClient,
) -> None:
    seed_client(slack_app.engine, "Grid Member Ltd", changes=[{"days": 30}])

    reply = _renewals(slack_app, enterprise_id=ORG)

    assert "Grid Member Ltd" in all_text(reply)
    with Session(slack_app.engine) as session:
        workspace = get_workspace(TEAM_ID, session=session)
        assert workspace is not None and workspace.enterprise_id == ORG
