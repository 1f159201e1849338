"""The Slack side of the benchmark: a fake Web API that times replies, and the requests sent."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.export import MEMBERS, ExportSummary, member_email
from bench.processes import progress
from blocks.values import PageRef, encode
from tests.app_client import BOT_TOKEN, SIGNING_SECRET, SlackAppClient
from tests.fake_slack import FakeSlack, payload_problems
from tests.slack_requests import block_actions_payload, find_element

SEARCH_WORD = "Harbor"  # one of bench.export.WORDS: in about one client name in ten
# Typo searches: a word of bench.export.WORDS with a letter missing, one no name is near (so
# "did you mean"), and two words each with a typo (filtering the view, as `/renewals` does).
TYPO_SEARCHES = (("/renewal", "harbr"), ("/renewal", "zzqqxx"), ("/renewals", "Harbour Reality"))
NEXT_ACTION = "renewals_next"  # the table's Next button (blocks.ids.ActionId.NEXT_PAGE)
# The app's answer when a listener failed (bot/app.py); any reply saying so counts as an error.
FAILURE_WORDS = "went wrong"
VALIDATED_POSTS = 50  # digest messages checked against slack_sdk's models (each costs this process CPU)
# Settings the app reads from the environment: the bench sets its own and drops any others.
APP_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_API_URL",
    "DATABASE_URL",
    "RENEWALS_ADMINS",
    "LOG_FORMAT",
)


@dataclass
class Reply:
    """One awaited response_url post: set when the fake Slack receives it."""

    event: threading.Event = field(default_factory=threading.Event)
    arrived: float = 0.0  # time.perf_counter() when the request reached the fake
    params: dict[str, Any] = field(default_factory=dict)


class BenchSlack(FakeSlack):
    """The tests' fake Slack, keeping what a benchmark needs and not every call.

    The arrival time of a reply is taken before the payload is checked against slack_sdk's
    models, so that check (run in this process) is not part of a request's latency; the
    request's waiter is woken after it, so the check never overlaps the next request.
    """

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.channels_posted: set[str] = set()
        self._replies: dict[str, Reply] = {}
        self._key = 0
        self._posts_checked = 0

    def expect_reply(self) -> tuple[str, Reply]:
        """A fresh response_url, and the Reply that is set when the app posts to it."""
        with self._lock:
            self._key += 1
            key = f"bench{self._key}"
            reply = self._replies[f"/response/{key}"] = Reply()
        return self.response_url(key), reply

    def _record(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> tuple[None, float]:
        """(no fault, no delay): a benchmark's Slack answers at once."""
        arrived = time.perf_counter()
        with self._lock:
            self.counts[method] += 1
            reply = self._replies.pop(path, None) if method == "response_url" else None
            check = method != "chat.postMessage" or self._posts_checked < VALIDATED_POSTS
            if method == "chat.postMessage":
                self._posts_checked += 1
                self.channels_posted.add(str(params.get("channel")))
        problems = payload_problems(method, params) if check else []
        with self._lock:
            self.problems.extend(problems)
        if reply is not None:
            reply.arrived, reply.params = arrived, params
            reply.event.set()
        return None, 0.0

    def _hold(self, channel: str, params: dict[str, Any], ts: str) -> None:
        """Messages are not kept for conversations.history: a benchmark loses no answer."""


def app_env(fake: BenchSlack, database_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in APP_SETTINGS}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
    )
    return env


@dataclass
class Workspace:
    """One Slack team of the run: its export, and the person who sends the requests."""

    index: int
    summary: ExportSummary

    @property
    def team_id(self) -> str:
        return f"T0BENCH{self.index:03d}"

    @property
    def member_domain(self) -> str:
        return f"agency{self.index}.example"

    @property
    def user_id(self) -> str:  # partner member 0: `owner:me` finds the clients they own
        return self.member_user(0)

    def member_user(self, member: int) -> str:
        return f"U{self.index:03d}M{member:02d}"


@dataclass
class Kind:
    label: str
    send: Callable[[SlackAppClient, str], int]  # (client, response_url) -> HTTP status of the ack
    latencies: list[float] = field(default_factory=list)  # ms
    errors: list[str] = field(default_factory=list)
    first_text: str = ""
    first_ms: float | None = None  # the untimed first request: its counts are not kept yet


def command_kind(label: str, name: str, words: str, workspace: Workspace) -> Kind:
    def send(client: SlackAppClient, url: str) -> int:
        return client.command(
            name, words, user_id=workspace.user_id, team_id=workspace.team_id, response_url=url
        ).status

    return Kind(label, send)


def next_kind(workspace: Workspace, value: str) -> Kind:
    def send(client: SlackAppClient, url: str) -> int:
        payload = block_actions_payload(
            NEXT_ACTION, value, user_id=workspace.user_id, team_id=workspace.team_id, response_url=url
        )
        return client.action(payload).status

    return Kind("Next (page 2 of `/renewals`)", send)


def reply_text(params: dict[str, Any]) -> str:
    return " ".join(str(params.get("text") or "").split())


def timed_request(client: SlackAppClient, fake: BenchSlack, kind: Kind, timeout: float) -> Reply | None:
    """Send one request of `kind`; record its latency (or why it has none)."""
    url, reply = fake.expect_reply()
    sent = time.perf_counter()
    status = kind.send(client, url)
    if status != 200:
        kind.errors.append(f"HTTP {status}")
        return None
    if not reply.event.wait(timeout):
        kind.errors.append(f"no reply within {timeout:.0f} s")
        return None
    if FAILURE_WORDS in reply_text(reply.params).lower():
        kind.errors.append(f"answered with an error: {reply_text(reply.params)[:200]}")
    kind.latencies.append((reply.arrived - sent) * 1000)
    kind.first_text = kind.first_text or reply_text(reply.params)
    return reply


def next_page_value(reply: Reply | None, workspace: Workspace) -> str:
    """The Next button's value in the first `/renewals` reply (page 1 again when there is no page 2)."""
    if reply is not None:
        try:
            return str(find_element(reply.params.get("blocks") or [], NEXT_ACTION)["value"])
        except (AssertionError, KeyError):
            pass
    return encode(PageRef(text="", offset=0, team_id=workspace.team_id))


def measure_requests(
    client: SlackAppClient, fake: BenchSlack, workspace: Workspace, *, count: int, timeout: float
) -> list[Kind]:
    """`count` timed requests of each kind, round-robin (so load changes hit every kind alike).

    One untimed request of each kind first (the first `/renewals` also gives the Next value).
    """
    kinds = [
        command_kind("`/renewals help` (floor)", "/renewals", "help", workspace),
        command_kind("`/renewals`", "/renewals", "", workspace),
        command_kind(f"`/renewals {SEARCH_WORD}`", "/renewals", SEARCH_WORD, workspace),
        command_kind(
            "`/renewals status:pending type:renewal`", "/renewals", "status:pending type:renewal", workspace
        ),
        command_kind("`/renewals owner:me`", "/renewals", "owner:me", workspace),
    ]
    first_table = timed_request(client, fake, kinds[1], timeout)
    kinds += [
        next_kind(workspace, next_page_value(first_table, workspace)),
        command_kind("`/renewal-owner`", "/renewal-owner", "", workspace),
        command_kind("`/renewal <client>`", "/renewal", workspace.summary.first_client, workspace),
        *(command_kind(f"`{command} {text}`", command, text, workspace) for command, text in TYPO_SEARCHES),
    ]
    for kind in kinds:
        if kind is not kinds[1]:
            timed_request(client, fake, kind, timeout)
        kind.first_ms = kind.latencies[0] if kind.latencies else None
        kind.latencies.clear()
    for round_number in range(count):
        for kind in kinds:
            timed_request(client, fake, kind, timeout)
        if (round_number + 1) % max(1, count // 10) == 0:
            progress(f"requests: {round_number + 1} of {count} rounds")
    return kinds


def subscribe_channels(
    client: SlackAppClient, fake: BenchSlack, workspaces: list[Workspace], *, count: int, timeout: float
) -> tuple[float, list[str]]:
    """`/renewals digest on weekends` from `count` channels, spread over the workspaces."""
    problems: list[str] = []
    start = time.perf_counter()
    for number in range(count):
        workspace = workspaces[number % len(workspaces)]
        url, reply = fake.expect_reply()
        channel = f"C{number:08d}"
        status = client.command(
            "/renewals",
            "digest on weekends",  # every day a digest day, whatever day the bench runs
            user_id=workspace.user_id,
            team_id=workspace.team_id,
            channel_id=channel,
            response_url=url,
        ).status
        if status != 200 or not reply.event.wait(timeout):
            answered = "answered" if reply.event.is_set() else "no answer"
            problems.append(f"`/renewals digest on` in {channel}: HTTP {status}, {answered}")
    return time.perf_counter() - start, problems


def add_people(fake: BenchSlack, workspace: Workspace) -> None:
    """The partner members of the export as Slack users (the import links them by email)."""
    for member in range(MEMBERS):
        fake.add_user(
            workspace.member_user(member),
            email=member_email(member, workspace.member_domain),
            name=f"Member {member}",
            team_id=workspace.team_id,
        )
