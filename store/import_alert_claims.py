"""The once-per-(import, channel) claim of a "What changed" message.

The digest's rule (store/digest_claims.py): an `ImportAlert` row, unique on (import, channel),
is inserted and committed before anything is posted; whoever inserts it posts. A failed post, or
a claim whose poster died, is taken over by a conditional UPDATE that exactly one taker wins.
Functions take `*, session` and never commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.digest_claims import RunStatus, insert_if_absent, retry_delay
from store.models import ImportAlert
from store.types import utcnow

# A claim whose poster stayed silent this long is taken over (no heartbeat here yet).
STALE_CLAIM_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class AlertClaim:
    """The right to post one import's "What changed" in one channel, held while `token` matches."""

    alert_id: int
    token: str
    channel_id: str
    attempts: int


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
    import_id: int, workspace_id: int, channel_id: str, *, session: Session, now: datetime | None = None
) -> AlertClaim | None:
    """Take the right to post, or None: done, being posted, or failed and waiting to be retried."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    values = {
        "workspace_id": workspace_id,
        "import_run_id": import_id,
        "channel_id": channel_id,
        "status": RunStatus.CLAIMED.value,
        "claim_token": token,
        "attempts": 1,
        "claimed_at": now,
    }
    table = ImportAlert.__table__  # type: ignore[attr-defined]
    if insert_if_absent(table, values, constraint="uq_import_alert_channel", session=session):
        return AlertClaim(_alert_id(import_id, channel_id, session=session), token, channel_id, 1)
    alert = get_alert(import_id, channel_id, session=session)
    assert alert is not None and alert.id is not None
    if alert.status == RunStatus.POSTED.value:
        return None
    if alert.status == RunStatus.CLAIMED.value and alert.claimed_at > now - STALE_CLAIM_AFTER:
        return None
    waiting = now < (alert.finished_at or alert.claimed_at) + retry_delay(alert.attempts)
    if alert.status == RunStatus.FAILED.value and waiting:
        return None
    taken = session.execute(
        update(ImportAlert)
        .where(
            col(ImportAlert.id) == alert.id,
            col(ImportAlert.status) == alert.status,
            col(ImportAlert.claim_token) == alert.claim_token,
        )
        .values(
            status=RunStatus.CLAIMED.value, claim_token=token, attempts=alert.attempts + 1, claimed_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None  # someone else took it over between our read and our update
    return AlertClaim(alert.id, token, channel_id, alert.attempts + 1)


def _alert_id(import_id: int, channel_id: str, *, session: Session) -> int:
    alert = get_alert(import_id, channel_id, session=session)
    assert alert is not None and alert.id is not None
    return alert.id


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
    result = session.execute(
        update(ImportAlert)
        .where(
            col(ImportAlert.id) == claim.alert_id,
            col(ImportAlert.claim_token) == claim.token,
            col(ImportAlert.status) == RunStatus.CLAIMED.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
