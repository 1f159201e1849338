"""Data and settings for the digest tests (tests/test_digest_*.py).

Clients and contract changes are written as real rows; the runner talks to the fake Slack
over real HTTP with the app's own WebClient (retry handlers included).
"""

from __future__ import annotations

import itertools
import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services import Services, build_services
from bot.settings import Settings
from store.db import make_engine, session_scope
from store.digest_subscriptions import DigestOptions, subscribe
from store.models import Client, Contact, ContractChange, DigestRun, DigestSubscription, Workspace
from store.rules import ContractType, OwnerKind, Status, fold, renewal_deadline

TEAM = "T0TEAM1"
CHANNEL = "C0DIGEST"
SUBSCRIBER = "U0ALICE"
_hub_ids = itertools.count(100_001)


def settings_for(fake: Any, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": "test-signing-secret",
        "slack_app_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "renewals_admins": frozenset(),
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def services_for(fake: Any, engine: Engine, database_url: str) -> Services:
    return build_services(settings_for(fake, database_url), engine)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def workspace_row(session: Session, team_id: str = TEAM) -> Workspace:
    workspace = session.exec(select(Workspace).where(Workspace.team_id == team_id)).first()
    if workspace is None:
        workspace = Workspace(team_id=team_id)
        session.add(workspace)
        session.flush()
    return workspace


def add_change(
    session: Session,
    workspace: Workspace,
    client_name: str,
    *,
    deadline: date,
    contract_type: ContractType = ContractType.RENEWAL,
    status: Status = Status.PENDING,
    mrr: str | None = "1000.00",
    currency: str = "USD",
    contact: str | None = "Dana Buyer <dana@example.com>",
    owner: OwnerKind | None = None,
    ended: bool = False,
    client: Client | None = None,
) -> ContractChange:
    """A contract change whose renewal deadline is `deadline` (its start date is derived from it)."""
    assert workspace.id is not None
    if client is None:
        client = Client(
            workspace_id=workspace.id,
            hub_id=str(next(_hub_ids)),
            name=client_name,
            name_folded=fold(client_name),
            owner_kind=owner,
            association_ended_at=datetime.now(UTC) if ended else None,
        )
        session.add(client)
        session.flush()
        if contact:
            name, _, email = contact.partition(" <")
            person = Contact(
                workspace_id=workspace.id, client_id=client.id or 0, name=name, email=email.rstrip(">")
            )
            session.add(person)
            session.flush()
            client.primary_contact_id = person.id
    start = deadline + timedelta(days=45)
    assert renewal_deadline(start) == deadline
    change = ContractChange(
        workspace_id=workspace.id,
        client_id=client.id or 0,
        contract_type=contract_type,
        status=status,
        renewal_start_date=start,
        renewal_deadline=deadline,
        current_mrr_currency=currency if mrr is not None else None,
        current_mrr=Decimal(mrr) if mrr is not None else None,
    )
    session.add(change)
    session.flush()
    return change


def add_subscription(
    engine: Engine,
    *,
    channel: str = CHANNEL,
    team_id: str = TEAM,
    at: str = "09:00",
    tz: str = "Europe/London",
    days: int = 14,
    weekends: bool = False,
    all_clear: bool = False,
    user: str = SUBSCRIBER,
    subscribed_at: datetime | None = None,
) -> DigestSubscription:
    """Subscribe `channel` (recorded as made long ago unless `subscribed_at` is given)."""
    hh, mm = (int(part) for part in at.split(":"))
    with session_scope(engine) as session:
        workspace = workspace_row(session, team_id)
        return subscribe(
            workspace,
            channel,
            DigestOptions(
                local_time=time(hh, mm), timezone=tz, days_ahead=days, weekends=weekends, all_clear=all_clear
            ),
            session=session,
            user_id=user,
            now=subscribed_at or utc(2000, 1, 1),
        )


def runs(engine: Engine) -> list[DigestRun]:
    with Session(engine) as session:
        return list(session.exec(select(DigestRun).order_by(DigestRun.local_date)))


def posts(fake: Any, channel: str = CHANNEL) -> list[Any]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def slow_posts(fake: Any, seconds: float = 0.5) -> None:
    """Make the fake Slack take `seconds` to answer chat.postMessage: a wide window for races."""
    answer = fake._answer

    def slow(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            time_module.sleep(seconds)
        return answer(method, params)

    fake._answer = slow


def run_due_in_process(database_url: str, api_url: str, now_iso: str, barrier: Any, queue: Any) -> None:
    """Entry point of a separate process: wait for the others, then run one tick at `now`."""
    from bot.jobs.digest_runner import run_due

    class _Fake:
        pass

    fake = _Fake()
    fake.api_url = api_url  # type: ignore[attr-defined]
    engine = make_engine(database_url)
    services = services_for(fake, engine, database_url)
    barrier.wait(timeout=30)
    outcomes = run_due(services, now=datetime.fromisoformat(now_iso))
    queue.put([outcome.result.value for outcome in outcomes])
    engine.dispose()
