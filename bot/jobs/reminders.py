"""The one code path that finds, claims, sends and marks owners' reminders.

The scheduler's ticker (`run_due`, each minute) and `renewals-bot reminders` (`run_due` at
`--now`, or `plan` and `due_reminders` for `--dry-run`) both come through here:

1. `plan`: the owners with a contract change that may be due (store.reminders.reminder_candidates),
   each in their own Slack time zone (users.info through SlackDirectory, kept on their
   `ReminderRecipient` row for TIMEZONE_FRESH_FOR), and whether it is a working day and hour
   there (store.reminder_schedule.reminder_day);
2. `remind`, per person: a read-only look (done today? anything due?), then the day's claim,
   committed before Slack is called (store.reminder_claims: the digest's rules, store.claims);
   a claim whose holder's heartbeat has been silent for CLAIM_TAKEOVER_SECONDS is taken over;
3. conversations.open and, through bot.jobs.posting.post_once, one direct message with every due
   contract change, tagged with message metadata, with a heartbeat renewing the claim meanwhile;
   after a lost answer, or when the claim was resumed or taken over, a DM already there is
   adopted, not sent again;
4. mark the run sent and each reminder as gone out, in one transaction; or failed (tried again
   after its retry delay, the same local day); or, when Slack says the person cannot be
   messaged, unreachable: recorded, shown to admins, and not tried again until they turn
   reminders on.

Slack faults: the WebClient (bot.slack.web_client) waits out 429s; a 5xx or a lost connection
is retried by post_once after looking in the DM; what still fails lands in step 4.
"""

from __future__ import annotations

import http.client
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from blocks.format import plural
from blocks.reminders import ITEMS_PER_MESSAGE, reminder_message
from bot import metrics
from bot.jobs.heartbeat import Heartbeat, claim_taken_over, holder_name, takeover_after
from bot.jobs.posting import REMINDER_EVENT, PartKey, post_once
from bot.services import Services
from bot.slack.installations import TOKEN_REFUSED_ERRORS, token_refused, web_client_for
from store.db import session_scope
from store.models import Workspace
from store.reminder_claims import (
    ReminderClaim,
    ReminderStatus,
    claim_reminder,
    finish_reminder,
    get_reminder_run,
    heartbeat,
    waiting_reason,
)
from store.reminder_schedule import reminder_day
from store.reminders import (
    Candidate,
    DueReminders,
    due_reminders,
    mark_unreachable,
    record_sent,
    remember_timezone,
    reminder_candidates,
)
from store.schedule import zone
from store.types import utcnow

logger = logging.getLogger(__name__)

# A person's Slack time zone is asked again after this long (they travel; most do not, often).
TIMEZONE_FRESH_FOR = timedelta(hours=12)
# Slack's answers meaning this person cannot get a direct message from the app until
# something changes on their side: they are not tried again (until `/renewals reminders on`).
UNREACHABLE_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_not_visible",
        "user_disabled",
        "cannot_dm_bot",
        "deleted",  # users.info says the account was deactivated
    }
)


class Result(StrEnum):
    SENT = "sent"
    NOTHING_DUE = "nothing due"
    EMPTY = "empty"  # claimed, then nothing was due any more
    ALREADY_DONE = "already done"
    IN_PROGRESS = "in progress"
    RETRY_LATER = "retry later"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Planned:
    """A person whose working hours it is at `now`, on their local `day`."""

    workspace: Workspace
    user_id: str
    timezone: str
    day: date


@dataclass(frozen=True)
class Outcome:
    team_id: str
    user_id: str
    day: date
    result: Result
    items: int = 0
    detail: str = ""

    def describe(self) -> str:
        """One line for a person (the CLI) or a log."""
        who = f"{self.user_id} ({self.team_id}) {self.day.isoformat()}"
        match self.result:
            case Result.SENT:
                return f"{who}: sent a reminder of {plural(self.items, 'contract change')}"
            case Result.NOTHING_DUE | Result.EMPTY:
                return f"{who}: nothing due, nothing sent"
            case Result.ALREADY_DONE:
                return f"{who}: already done for this day ({self.detail}), nothing sent"
            case Result.IN_PROGRESS:
                return f"{who}: another copy of the app is sending it right now, nothing sent"
            case Result.RETRY_LATER:
                return f"{who}: failed earlier, tried again after its retry delay"
            case Result.UNREACHABLE:
                return f"{who}: cannot be messaged ({self.detail}); recorded, not tried again"
            case _:
                return f"{who}: {self.result.value}" + (f" ({self.detail})" if self.detail else "")


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}"


# --- who, where, when -----------------------------------------------------------------------------


class _Clients:
    """One WebClient per workspace for a run (a token lookup may ask the installation store)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._made: dict[str, WebClient | None] = {}

    def of(self, workspace: Workspace) -> WebClient | None:
        if workspace.team_id not in self._made:
            services = self._services
            self._made[workspace.team_id] = web_client_for(services.settings, services.engine, workspace)
        return self._made[workspace.team_id]


def _timezone(
    services: Services, clients: _Clients, candidate: Candidate, now: datetime, *, record: bool
) -> str | None:
    """The candidate's Slack time zone: kept from earlier, or asked (and kept, when `record`).
    None when they cannot be messaged (then recorded) or Slack cannot say and nothing is kept."""
    checked = candidate.timezone_checked_at
    if candidate.timezone and checked is not None and now - checked < TIMEZONE_FRESH_FOR:
        return candidate.timezone
    workspace, user_id = candidate.workspace, candidate.user_id
    client = clients.of(workspace)
    if client is None:  # no token (a dry run): the kept zone, else UTC's
        return candidate.timezone or "UTC"
    assert workspace.id is not None
    try:
        person = services.directory.lookup(client, team_id=workspace.team_id, user_id=user_id)
    except (SlackApiError, SlackClientError, OSError) as exc:
        error = _slack_error(exc)
        if error not in UNREACHABLE_ERRORS:  # Slack down, a missing scope: the kept zone will do
            logger.warning("reminders: users.info %s failed (%s)", user_id, error)
            return candidate.timezone
    else:
        error = "deleted" if person.deleted else "cannot_dm_bot" if person.is_bot else ""
        if not error:
            if record:
                with session_scope(services.engine) as session:
                    remember_timezone(workspace.id, user_id, person.zone.key, session=session, now=now)
            return person.zone.key
    if record:
        logger.warning("reminders: %s (%s) cannot be messaged: %s", user_id, workspace.team_id, error)
        with session_scope(services.engine) as session:
            mark_unreachable(workspace.id, user_id, error, session=session, now=now)
    return None


def plan(
    services: Services, now: datetime, *, record: bool = True, clients: _Clients | None = None
) -> list[Planned]:
    """The owners whose working hours it is at `now` and who may have a reminder due.

    With `record` False (a dry run) nothing is written: time zones Slack gives are used, not kept.
    """
    with session_scope(services.engine) as session:
        candidates = reminder_candidates(now, session=session)
    clients = clients or _Clients(services)
    planned = []
    for candidate in candidates:
        name = _timezone(services, clients, candidate, now, record=record)
        if name is None:
            continue
        try:
            tz = zone(name)
        except ValueError:
            logger.warning("reminders: %s has an unknown time zone %r; UTC used", candidate.user_id, name)
            name, tz = "UTC", zone("UTC")
        day = reminder_day(now, tz)
        if day is not None:
            planned.append(Planned(candidate.workspace, candidate.user_id, name, day))
    return planned


def due_for(services: Services, planned: Planned) -> DueReminders:
    """What `planned`'s reminder holds right now (at most one message's worth of items)."""
    with session_scope(services.engine) as session:
        return due_reminders(
            planned.workspace, planned.user_id, planned.day, session=session, limit=ITEMS_PER_MESSAGE
        )


# --- one person's reminder ------------------------------------------------------------------------


def _waiting(planned: Planned, reason: str, status: str | None) -> Outcome:
    workspace, user_id, day = planned.workspace, planned.user_id, planned.day
    if reason == "done":
        return Outcome(workspace.team_id, user_id, day, Result.ALREADY_DONE, detail=status or "")
    if reason == "retry_later":
        return Outcome(workspace.team_id, user_id, day, Result.RETRY_LATER)
    return Outcome(workspace.team_id, user_id, day, Result.IN_PROGRESS)


def _send(client: WebClient, due: DueReminders, timezone: str, claim: ReminderClaim) -> tuple[str, str]:
    """Open the direct message and post the reminder once: (channel, ts). A resumed or taken-over
    claim looks in the DM first: the try before may have sent it and died before recording it."""
    opened = client.conversations_open(users=due.user_id)
    channel = str(opened["channel"]["id"])
    message = reminder_message(due, zone(timezone))
    posted = post_once(
        client,
        channel,
        PartKey(REMINDER_EVENT, claim.run_id),
        since=claim.started_at,
        look_first=claim.resumed,
        **message.as_kwargs(),
        unfurl_links=False,
        unfurl_media=False,
    )
    return channel, posted.ts


def _beat(services: Services, claim: ReminderClaim) -> bool:
    with session_scope(services.engine) as session:
        return heartbeat(claim, session=session)


@metrics.counted(metrics.Job.REMINDER)
def remind(
    services: Services, planned: Planned, *, now: datetime, clients: _Clients | None = None
) -> Outcome:
    """Claim, build, send and mark `planned`'s reminder for their local day."""
    engine = services.engine
    workspace, user_id, day = planned.workspace, planned.user_id, planned.day
    assert workspace.id is not None
    team_id = workspace.team_id
    stale_after = takeover_after(services.settings)
    # A read-only look first, so a tick writes nothing for people who are done or have nothing due.
    with session_scope(engine) as session:
        run = get_reminder_run(workspace.id, user_id, day, session=session)
        reason = waiting_reason(run, now, stale_after)
    if reason is not None:
        return _waiting(planned, reason, run.status if run else None)
    if due_for(services, planned).total == 0:
        return Outcome(team_id, user_id, day, Result.NOTHING_DUE)
    with session_scope(engine) as session:
        claim = claim_reminder(
            workspace.id,
            user_id,
            day,
            session=session,
            now=now,
            stale_after=stale_after,
            holder=holder_name(),
        )
    if isinstance(claim, str):
        return _waiting(planned, claim, None)
    if claim.taken_over:
        claim_taken_over(metrics.Job.REMINDER, f"{user_id} {day}", claim.attempts)
    return _deliver(services, planned, claim, now=now, clients=clients or _Clients(services))


def _deliver(
    services: Services, planned: Planned, claim: ReminderClaim, *, now: datetime, clients: _Clients
) -> Outcome:
    engine = services.engine
    workspace, user_id, day = planned.workspace, planned.user_id, planned.day
    assert workspace.id is not None
    team_id = workspace.team_id

    def finish(status: ReminderStatus, result: Result, error: str = "", items: int = 0) -> Outcome:
        with session_scope(engine) as session:
            finish_reminder(claim, status, session=session, error=error or None)
            if status is ReminderStatus.UNREACHABLE:
                mark_unreachable(workspace.id or 0, user_id, error, session=session, now=now)
        return Outcome(team_id, user_id, day, result, items, error)

    try:
        due = due_for(services, planned)  # as it is now that the day is ours
        if not due.items:
            return finish(ReminderStatus.EMPTY, Result.EMPTY)
        client = clients.of(workspace)
        if client is None:
            logger.error("reminder %s %s: no bot token for team %s", user_id, day, team_id)
            return finish(ReminderStatus.FAILED, Result.FAILED, f"no bot token for team {team_id}")
        every = takeover_after(services.settings).total_seconds() / 3
        try:
            with Heartbeat(lambda: _beat(services, claim), every=every, name=user_id):
                channel, ts = _send(client, due, planned.timezone, claim)
        except (SlackApiError, SlackClientError, OSError, http.client.HTTPException) as exc:
            error = _slack_error(exc)
            if error in TOKEN_REFUSED_ERRORS:  # the workspace pauses (logged once), nobody is retried
                token_refused(engine, workspace, error)
                return finish(ReminderStatus.FAILED, Result.FAILED, error)
            if error in UNREACHABLE_ERRORS:
                logger.warning(
                    "reminder %s %s: cannot be messaged (%s); not tried again", user_id, day, error
                )
                return finish(ReminderStatus.UNREACHABLE, Result.UNREACHABLE, error)
            logger.error("reminder %s %s failed (attempt %d): %s", user_id, day, claim.attempts, error)
            return finish(ReminderStatus.FAILED, Result.FAILED, error)
        with session_scope(engine) as session:
            held = finish_reminder(
                claim,
                ReminderStatus.SENT,
                session=session,
                channel_id=channel,
                message_ts=ts,
                items=len(due.items),
            )
            if held:
                record_sent(due, workspace_id=workspace.id, run_id=claim.run_id, session=session, now=now)
        if not held:
            # Our claim went stale and someone took it over: they record what they send.
            logger.error("reminder %s %s: lost the claim while sending", user_id, day)
            return Outcome(team_id, user_id, day, Result.IN_PROGRESS)
        logger.info("reminder %s %s: sent %d contract changes", user_id, day, len(due.items))
        return Outcome(team_id, user_id, day, Result.SENT, len(due.items))
    except Exception as exc:
        # The job's boundary: whatever broke, the run is marked failed (and so retried later)
        # rather than left claimed until it goes stale.
        logger.exception("reminder %s %s failed", user_id, day)
        return finish(ReminderStatus.FAILED, Result.FAILED, f"{type(exc).__name__}: {exc}")


def run_due(services: Services, *, now: datetime | None = None) -> list[Outcome]:
    """Send every reminder due at `now` that is not done yet: each owner's own local day and hours.

    A reminder is due from its day (the Friday before, for a weekend one) until the deadline, so
    one missed while the app was down goes out when it is back.
    """
    now = now or utcnow()
    clients = _Clients(services)
    return [
        remind(services, planned, now=now, clients=clients)
        for planned in plan(services, now, clients=clients)
    ]
