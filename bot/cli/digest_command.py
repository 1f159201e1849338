"""`renewals-bot digest [--channel C] [--date YYYY-MM-DD] [--dry-run]`, and the terminal preview.

Posting goes through bot.jobs.digest_runner.run_subscription, the scheduler's own path, so the
once-per-channel-per-day rule holds here too: a second run for the same channel and date
posts nothing and says so. Unlike the ticker, the command does not wait for the digest's
local time (a person asked for it now), and retries a failed digest at once.

`--dry-run` prints each digest as a person would see it, and records nothing.
"""

from __future__ import annotations

import time
from datetime import date

from rich.console import Console
from rich.text import Text
from sqlalchemy import Engine
from sqlmodel import select

from blocks.client_actions import (
    CHANGE_OWNER_LABEL,
    END_ASSOCIATION_LABEL,
    HANDLED_LABEL,
    REASSIGN_CONTACT_LABEL,
    SNOOZE_LABEL,
)
from blocks.digest import (
    VIEW_ALL_LABEL,
    all_clear_line,
    day_heading,
    group_title,
    left_out_line,
    more_line,
    pause_reason_text,
    summary_line,
    workspace_pause_text,
)
from blocks.format import cell_text, money, plural, relative_days
from bot.cli.terminal import make_console, print_table
from bot.errors import UserError
from bot.jobs.digest_runner import Outcome, Result, SharedDigests, run_subscription
from bot.services import Services, build_services
from bot.settings import Settings
from store.columns import Column
from store.db import make_engine, migrate, session_scope
from store.digest_claims import DONE, runs_on
from store.digest_content import DigestItem, DigestView, build_digest
from store.digest_subscriptions import subscriptions
from store.models import DigestRun, DigestSubscription, Workspace
from store.rules import DEFAULT_DIGEST_DAYS
from store.schedule import is_digest_day, local_date, zone
from store.types import utcnow
from store.workspaces import get_workspace

# --- the terminal preview ---------------------------------------------------------------------

# The /renewals table's columns a digest item shows (their cell texts too), then its MRR at stake.
_COLUMNS = (
    Column.CLIENT,
    Column.CONTRACT_TYPE,
    Column.STATUS,
    Column.DEADLINE,
    Column.OWNER,
    Column.PRIMARY_CONTACT,
)
MRR_HEADER = "MRR"


def _digest_cells(item: DigestItem, view: DigestView) -> list[str]:
    row = item.row
    when = f" ({relative_days(row.renewal_deadline, view.day)})"  # how far off, as the Slack digest says
    cells = [cell_text(column, row) + (when if column is Column.DEADLINE else "") for column in _COLUMNS]
    return [*cells, money(row.mrr_at_stake)]


def render_digest(view: DigestView, console: Console, *, title: str, note: str | None = None) -> None:
    """Print one digest as the channel would get it: groups, rows, the money at stake."""
    _render_heading(console, title, note)
    _render_body(view, console)


def _render_heading(console: Console, title: str, note: str | None) -> None:
    console.rule(Text(title, style="bold"))
    if note:
        console.print(Text(note, style="yellow"))


def _render_body(view: DigestView, console: Console) -> None:
    if view.is_empty:
        if view.all_clear:
            console.print(Text(all_clear_line(view)))
        else:
            console.print(
                Text(
                    f"Nothing to report (no contract change needs action with a renewal deadline within "
                    f"{view.days_ahead} days): nothing is posted.",
                    style="dim",
                )
            )
        return
    console.print(Text(f"Renewals digest · {day_heading(view.day)}", style="bold"))
    console.print(Text(summary_line(view)))
    left_out = left_out_line(view)
    if left_out:
        console.print(Text(left_out.replace("`", ""), style="dim"))
    for group in view.groups():
        print_table(
            console,
            [*(column.label for column in _COLUMNS), MRR_HEADER],
            [_digest_cells(item, view) for item in group.items],
            title=group_title(group.group, len(group.items), group.total),
            right={MRR_HEADER},
        )
    if view.more:
        console.print(Text(f"{more_line(view)} — {VIEW_ALL_LABEL}"))
    view_all = f", and a {VIEW_ALL_LABEL} button for the whole list" if view.more else ""
    console.print(
        Text(
            f"Each row has the buttons {REASSIGN_CONTACT_LABEL} · {CHANGE_OWNER_LABEL} · "
            f"{END_ASSOCIATION_LABEL} · {SNOOZE_LABEL} · {HANDLED_LABEL}. In Slack: one message{view_all}.",
            style="dim",
        )
    )


def _subscription_title(subscription: DigestSubscription, workspace: Workspace, day: date) -> str:
    days = "every day" if subscription.weekends else "Mon–Fri"
    return (
        f"Digest for {subscription.channel_id} ({workspace.team_id}) · {day.isoformat()} · "
        f"{subscription.local_time} {subscription.timezone}, {days}"
    )


class _Previews:
    """The digests of a dry run: each workspace's content read once (as a real run does), the runs
    already recorded read once per day, and each distinct digest rendered once, then written
    again as is for every channel that shows the same (a channel's own heading comes first)."""

    def __init__(self, engine: Engine, console: Console) -> None:
        self._engine = engine
        self._console = console
        self._shared = SharedDigests(engine)
        self._runs: dict[date, dict[tuple[int, str], DigestRun]] = {}
        self._bodies: dict[tuple[int, date, int, bool], str] = {}

    def _run(self, workspace: Workspace, channel_id: str, day: date) -> DigestRun | None:
        if day not in self._runs:
            with session_scope(self._engine) as session:
                self._runs[day] = runs_on(day, session=session)
        return self._runs[day].get((workspace.id or 0, channel_id))

    def show(self, subscription: DigestSubscription, workspace: Workspace, day: date) -> int:
        notes = []
        if not is_digest_day(day, weekends=subscription.weekends):
            notes.append(f"{day:%A} is not a digest day for this channel (weekends off): nothing is posted.")
        if subscription.paused_reason:
            notes.append(
                f"Paused: {pause_reason_text(subscription.paused_reason)}. Nothing is posted until resumed."
            )
        run = self._run(workspace, subscription.channel_id, day)
        if run is not None and run.status in DONE:
            notes.append(f"Already done for {day.isoformat()} ({run.status}): a real run would post nothing.")
        view = self._shared.view(subscription, workspace, day)
        _render_heading(
            self._console, _subscription_title(subscription, workspace, day), " ".join(notes) or None
        )
        key = (workspace.id or 0, day, view.days_ahead, view.all_clear)
        body = self._bodies.get(key)
        if body is None:
            with self._console.capture() as captured:
                _render_body(view, self._console)
            body = self._bodies[key] = captured.get()
        if self._console.record:  # a caller's console that keeps what it prints must see it all
            self._console.print(Text.from_ansi(body), end="", soft_wrap=True)
        else:  # as rendered: rendering the same digest again for each channel costs ~2 ms
            self._console.file.write(body)
        return view.total


def print_digest_preview(
    engine: Engine, *, team_id: str, day: date, console: Console, channel: str | None = None
) -> int:
    """Print the digests of `team_id`'s subscribed channels (or `channel`) for `day`.

    With no subscription yet, prints what a default subscription (14 days ahead) would show.
    Returns how many contract changes were shown in all.
    """
    with session_scope(engine) as session:
        workspace = get_workspace(team_id, session=session)
        if workspace is None:
            raise UserError(f"no workspace {team_id} in the database (import some data first)")
        found = subscriptions(session=session, team_id=team_id, channel_id=channel)
        if not found:
            view = build_digest(
                workspace, session=session, day=day, channel_id=channel or "", days_ahead=DEFAULT_DIGEST_DAYS
            )
    if not found:
        render_digest(
            view,
            console,
            title=f"Digest for {team_id} · {day.isoformat()}",
            note="No channel subscribes yet; this is what `/renewals digest on` would post.",
        )
        return view.total
    previews = _Previews(engine, console)
    return sum(previews.show(subscription, workspace, day) for subscription, workspace in found)


# --- the command ----------------------------------------------------------------------------


def _selected(engine: Engine, channel: str | None) -> list[tuple[DigestSubscription, Workspace]]:
    with session_scope(engine) as session:
        found = subscriptions(session=session, channel_id=channel)
    if channel is not None and not found:
        raise UserError(
            f"channel {channel} has no digest subscription (run `/renewals digest on` in that channel)"
        )
    return found


def _day_for(subscription: DigestSubscription, day: date | None) -> date:
    return day if day is not None else local_date(utcnow(), zone(subscription.timezone))


def run_digest(settings: Settings, *, channel: str | None, day: date | None, dry_run: bool) -> int:
    """The `digest` command. Exit status 1 when a digest failed or another copy holds it, else 0."""
    console = make_console()
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        found = _selected(engine, channel)
        if not found:
            if dry_run:
                with session_scope(engine) as session:
                    teams = list(session.exec(select(Workspace.team_id).order_by(Workspace.team_id)))
                for team_id in teams:
                    print_digest_preview(engine, team_id=team_id, day=day or utcnow().date(), console=console)
                if teams:
                    return 0
            console.print("No channel subscribes to a digest yet: run `/renewals digest on` in a channel.")
            return 0
        if dry_run:
            previews = _Previews(engine, console)
            for subscription, workspace in found:
                previews.show(subscription, workspace, _day_for(subscription, day))
            return 0
        if settings.slack_bot_token is None and not settings.oauth_enabled:
            raise UserError(
                "SLACK_BOT_TOKEN is not set: digests cannot be posted (use --dry-run to print them)"
            )
        services = build_services(settings, engine)
        shared = SharedDigests(engine)  # each workspace's content read once for all its channels
        failed = False
        started = time.perf_counter()
        for subscription, workspace in found:
            outcome = _post_one(services, subscription, workspace, _day_for(subscription, day), shared)
            console.print(Text(outcome.describe()), soft_wrap=True)  # one line, whatever the width
            # Another copy holding the claim posted nothing here: not a success either.
            failed |= outcome.result in (Result.FAILED, Result.PAUSED, Result.IN_PROGRESS)
        spent = time.perf_counter() - started
        console.print(
            Text(
                f"{plural(len(found), 'channel')}: digests built in {shared.build_seconds:.2f} s, "
                f"claimed, posted and recorded in {spent - shared.build_seconds:.2f} s"
            ),
            soft_wrap=True,
        )
        return 1 if failed else 0
    finally:
        engine.dispose()


def _post_one(
    services: Services,
    subscription: DigestSubscription,
    workspace: Workspace,
    day: date,
    shared: SharedDigests,
) -> Outcome:
    reason = None
    if workspace.paused_reason:  # the whole workspace (uninstalled, token refused)
        reason = workspace_pause_text(workspace.paused_reason)
    elif subscription.paused_reason:
        reason = pause_reason_text(subscription.paused_reason)
    if reason is not None:
        return Outcome(
            workspace.team_id, subscription.channel_id, day, Result.SKIPPED, detail=f"paused: {reason}"
        )
    if not is_digest_day(day, weekends=subscription.weekends):
        detail = f"{day:%A} is not a digest day for this channel (weekends off)"
        return Outcome(workspace.team_id, subscription.channel_id, day, Result.SKIPPED, detail=detail)
    return run_subscription(services, subscription, workspace, day, retry_failed_now=True, shared=shared)
