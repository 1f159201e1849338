"""The once-per-(import, channel) claim of a "What changed" message.

The digest's rule (store/digest_claims.py): an `ImportAlert` row, unique on (import, channel),
is inserted and committed before anything is posted; whoever inserts it posts. A failed post, or
a claim whose poster fell silent (no heartbeat for the takeover interval), is taken over by a
conditional UPDATE that exactly one taker wins (the shared rules: store/claims.py).
Functions take `*, session` and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from store.claims import (
    STALE_CLAIM_AFTER,
    insert_if_absent,
    is_stale,
    new_claim,
    retry_at,
    take_over,
    update_claimed,
)
from store.digest_claims import RunStatus
from store.models import ImportAlert
from store.types import utcnow


@dataclass(frozen=True)
class AlertClaim:
    """The right to post one import's "What changed" in one channel, held while `token` matches."""

    alert_id: int
    token: str
    channel_id: str
    attempts: int
    started_at: datetime  # first claimed: a message an earlier try posted is in Slack after it
    taken_over: bool = False  # taken from a holder whose heartbeat stopped

    @property
    def resumed(self) -> bool:
        """An earlier try may have posted it without living (or hearing back) to record it."""
        return self.attempts > 1


def get_alert(import_id: int, channel_id: str, *, session: Session) -> ImportAlert | None:
    query = (
        select(ImportAlert)
        .where(ImportAlert.import_run_id == import_id, ImportAlert.channel_id == channel_id)
        .execution_options(populate_existing=True)
    )
    return session.exec(query).first()


def alert_done(alert: ImportAlert | None) -> bool:
    return alert is not None and alert.status == RunStatus.POSTED.value


def claim_alert(
    import_id: int,
    workspace_id: int,
    channel_id: str,
    *,
    session: Session,
    now: datetime | None = None,
    stale_after: timedelta = STALE_CLAIM_AFTER,
    holder: str | None = None,
) -> AlertClaim | None:
    """Take the right to post, or None: done, being posted, or failed and waiting to be retried."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    values = {"workspace_id": workspace_id, "import_run_id": import_id, "channel_id": channel_id}
    table = ImportAlert.__table__  # type: ignore[attr-defined]
    taken_over = False
    if not insert_if_absent(
        table, values | new_claim(token, now, holder), constraint="uq_import_alert_channel", session=session
    ):
        alert = get_alert(import_id, channel_id, session=session)
        assert alert is not None
        if alert.status == RunStatus.POSTED.value:
            return None
        if alert.status == RunStatus.CLAIMED.value and not is_stale(alert, now, stale_after):
            return None
        if alert.status == RunStatus.FAILED.value and now < retry_at(alert):
            return None
        if not take_over(
            ImportAlert, alert, token, now=now, stale_after=stale_after, holder=holder, session=session
        ):
            return None  # someone else took it over (or its holder spoke up) meanwhile
        taken_over = alert.status == RunStatus.CLAIMED.value
    alert = get_alert(import_id, channel_id, session=session)
    assert alert is not None and alert.id is not None
    started = alert.started_at or alert.claimed_at
    return AlertClaim(alert.id, token, channel_id, alert.attempts, started, taken_over)


def heartbeat(claim: AlertClaim, *, session: Session, now: datetime | None = None) -> bool:
    """The poster is alive: renew the claim. False when it was lost (taken over or finished)."""
    return update_claimed(
        ImportAlert, claim.alert_id, claim.token, session=session, heartbeat_at=now or utcnow()
    )


def finish_alert(
    claim: AlertClaim,
    status: RunStatus,
    *,
    session: Session,
    message_ts: str | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Mark the claimed alert posted or failed. False when the claim was lost."""
    values: dict[str, Any] = {"status": status.value, "finished_at": now or utcnow()}
    if message_ts is not None:
        values["message_ts"] = message_ts
    if error is not None:
        values["error"] = error[:500]
    return update_claimed(ImportAlert, claim.alert_id, claim.token, session=session, **values)
