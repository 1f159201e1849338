"""An import is each listed client's whole list, every import is recorded, and the digest channels
hear once what changed: driven through `renewals-bot import`, signed Slack requests and the fake Slack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from blocks.values import ImportChangesRef, encode
from bot.cli.main import main
from bot.import_run import preview_import, write_import
from bot.jobs.import_alerts import run_pending
from bot.jobs.posting import ALERT_EVENT, PartKey
from bot.jobs.scheduler import tick
from bot.metrics import REGISTRY
from store.claims import STALE_CLAIM_AFTER
from store.csv_format import parse_bytes
from store.db import session_scope
from store.digest_content import build_digest
from store.import_runs import ImportVia
from store.models import ContractChange, ImportAlert, ImportRun
from store.workspaces import get_workspace
from tests.app_client import SlackAppClient
from tests.client_support import blocks_text
from tests.digest_support import add_subscription, services_for, slow_posts
from tests.factories import NOON, TEAM, days
from tests.fake_slack import Call, FakeSlack
from tests.renewals_data import all_text, blocks_of, client_names, table_rows
from tests.slack_requests import block_actions_payload, button_value, find_element

HEADER = "Client name,Hub ID,Contract type,Status,Renewal start date,Current MRR\n"
CHANNELS = ("C0DIGEST", "C0SALES")
VIEW_ALL = "what_changed_view_all"
NEXT = "what_changed_next"
PREVIOUS = "what_changed_previous"


def csv(*rows: str) -> str:
    return HEADER + "".join(f"{row}\n" for row in rows)


FIRST = csv(
    f"Acme,1001,Renewal,Pending,{days(80)},$100",
    f"Acme,1001,Email overage,Pending,{days(100)},$10",
    f"Beta,1002,Renewal,Pending,{days(70)},$200",
)
# Acme's renewal moves from day 80 to day 90, Beta asks to cancel, Gamma is new and due in 5 days.
SECOND = csv(
    f"Acme,1001,Renewal,Pending,{days(90)},$100",
    f"Acme,1001,Email overage,Pending,{days(100)},$10",
    f"Beta,1002,Renewal,Cancellation requested,{days(70)},$200",
    f"Gamma,1003,Renewal,Pending,{days(50)},€300",
)


@pytest.fixture
def folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[Path]:
    """A working folder, the test database, no Slack settings, and "today" frozen at NOON."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    with time_machine.travel(NOON, tick=True):
        yield tmp_path


@pytest.fixture
def with_token(folder: Path, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def run_import(folder: Path, text: str, name: str = "export.csv", *extra: str) -> int:
    (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["import", str(folder / name), "--team", TEAM, *extra])
    code = exited.value.code
    assert isinstance(code, int)
    return code


def reply_to(app: SlackAppClient, command: str, text: str = "") -> Call:
    before = len(app.fake.calls_to("response_url"))
    assert app.command(command, text).status == 200
    return app.wait_for("response_url", count=before + 1)


def changes(engine: Engine, hub_id_name: str) -> list[tuple[date, bool]]:
    """(start date, removed) of a client's renewals, by start date."""
    from store.models import Client

    with Session(engine) as session:
        rows = session.exec(
            select(ContractChange.renewal_start_date, ContractChange.removed_at)
            .join(Client, col(Client.id) == col(ContractChange.client_id))
            .where(Client.name == hub_id_name)
            .order_by(col(ContractChange.renewal_start_date))
        ).all()
    return [(start, removed is not None) for start, removed in rows]


def subscribe_channels(engine: Engine) -> None:
    for channel in CHANNELS:
        add_subscription(engine, channel=channel)


def alerts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if "What changed" in str(c.params.get("text"))]


# --- each listed client's whole list ------------------------------------------------------------


def test_a_moved_start_date_shows_once_at_the_new_date(folder: Path, slack_app: SlackAppClient) -> None:
    assert run_import(folder, FIRST) == 0
    assert run_import(folder, SECOND, "export2.csv") == 0

    rows = table_rows(reply_to(slack_app, "/renewals", "acme type:renewal"))[1:]
    assert len(rows) == 1 and str(days(90 - 45)) in " ".join(rows[0])
    assert changes(slack_app.engine, "Acme") == [(days(80), True), (days(90), False), (days(100), False)]


def test_the_summary_counts_what_the_export_no_longer_holds_as_removed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(folder, FIRST)
    capsys.readouterr()
    assert run_import(folder, SECOND, "export2.csv") == 0
    assert "2 created, 1 updated, 1 unchanged, 0 invalid, 1 removed" in capsys.readouterr().out


def test_a_client_the_file_does_not_mention_keeps_its_contract_changes(
    folder: Path, slack_app: SlackAppClient
) -> None:
    run_import(folder, FIRST)
    run_import(folder, csv(f"Acme,1001,Renewal,Pending,{days(80)},$100"), "acme-only.csv")

    assert changes(slack_app.engine, "Beta") == [(days(70), False)]
    assert changes(slack_app.engine, "Acme") == [(days(80), False), (days(100), True)]
    assert sorted(client_names(reply_to(slack_app, "/renewals"))) == ["Acme", "Beta"]


def test_importing_the_same_file_again_is_all_unchanged_and_removes_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_import(folder, SECOND)
    capsys.readouterr()
    assert run_import(folder, SECOND) == 0
    assert "0 created, 0 updated, 4 unchanged, 0 invalid, 0 removed" in capsys.readouterr().out


def test_a_removed_contract_change_that_comes_back_counts_as_created(
    folder: Path, capsys: pytest.CaptureFixture[str], engine: Engine
) -> None:
    run_import(folder, FIRST)
    run_import(folder, SECOND, "export2.csv")
    capsys.readouterr()
    assert run_import(folder, FIRST, "export3.csv") == 0
    assert "1 created, 1 updated, 1 unchanged, 0 invalid, 1 removed" in capsys.readouterr().out
    assert changes(engine, "Acme") == [(days(80), False), (days(90), True), (days(100), False)]


def test_with_skipped_invalid_rows_nothing_is_removed(folder: Path, engine: Engine) -> None:
    run_import(folder, FIRST)
    partial = csv(f"Acme,1001,Renewal,Pending,{days(80)},$100", f"Acme,1001,Email overage,Maybe,{days(100)},")
    assert run_import(folder, partial, "partial.csv", "--skip-invalid") == 0
    assert changes(engine, "Acme") == [(days(80), False), (days(100), False)]


def test_a_removed_contract_change_leaves_the_digest(folder: Path, engine: Engine) -> None:
    run_import(folder, csv(f"Acme,1001,Renewal,Pending,{days(50)},$100"))
    run_import(folder, csv(f"Acme,1001,Renewal,Pending,{days(52)},$100"), "moved.csv")
    with Session(engine) as session:
        workspace = get_workspace(TEAM, session=session)
        assert workspace is not None
        digest = build_digest(workspace, session=session, day=days(0), channel_id="C0DIGEST")
    assert [item.row.renewal_start_date for item in digest.items] == [days(52)]


# --- the import history ----------------------------------------------------------------------------


def test_renewals_imports_lists_the_last_10_imports_newest_first(
    folder: Path, slack_app: SlackAppClient
) -> None:
    for number in range(1, 12):
        run_import(folder, FIRST, f"export{number}.csv")

    call = reply_to(slack_app, "/renewals", "imports")

    sections = [b for b in call.params["blocks"] if b["type"] == "section"][1:]
    assert len(sections) == 10
    assert "export11.csv" in sections[0]["text"]["text"] and "export2.csv" in sections[-1]["text"]["text"]
    assert all("by command line" in s["text"]["text"] for s in sections)
    assert (
        "3 rows: 0 created, 0 updated, 3 unchanged, 0 invalid, 0 removed, 0 skipped"
        in sections[0]["text"]["text"]
    )
    assert "export1.csv" not in blocks_text(call.params["blocks"])
    assert call.params.get("response_type") == "ephemeral"


def test_renewals_imports_before_any_import_says_how_data_gets_in(slack_app: SlackAppClient) -> None:
    text = blocks_text(reply_to(slack_app, "/renewals", "imports").params["blocks"])
    assert "No imports yet" in text


def test_the_client_detail_names_the_import_that_changed_it(folder: Path, slack_app: SlackAppClient) -> None:
    run_import(folder, FIRST)
    run_import(folder, SECOND, "export2.csv")

    text = blocks_text(reply_to(slack_app, "/renewal", "Acme").params["blocks"])

    assert "import of *export2.csv* by command line" in text
    assert f"Renewal {days(80)}: in the export → no longer in the export" in text
    assert f"Renewal {days(90)}: none → added" in text


# --- what changed -------------------------------------------------------------------------------


def test_an_import_with_a_bot_token_tells_each_digest_channel_once(
    with_token: FakeSlack, folder: Path, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    subscribe_channels(engine)
    assert run_import(folder, SECOND, "export2.csv") == 0

    assert sorted(c.params["channel"] for c in alerts(with_token)) == sorted(CHANNELS)
    text = blocks_text(alerts(with_token)[0].params["blocks"])
    assert "1 cancellation requested: $200.00 MRR at stake" in text
    assert "1 new contract change due within 14 days: €300.00 MRR at stake" in text
    assert "1 renewal start date moved: $100.00 MRR at stake" in text
    assert f"Start date moved from {days(80)} to {days(90)}" in text
    assert "Import of *export2.csv* by command line" in text
    cards = [b for b in alerts(with_token)[0].params["blocks"] if b["type"] == "card"]
    assert len(cards) == 3
    with pytest.raises(AssertionError):  # all of them shown: nothing more to view
        find_element(alerts(with_token)[0].params["blocks"], VIEW_ALL)

    run_pending(services_for(with_token, engine, database_url))
    assert len(alerts(with_token)) == 2


def test_an_unchanged_reimport_posts_nothing(with_token: FakeSlack, folder: Path, engine: Engine) -> None:
    run_import(folder, SECOND)
    subscribe_channels(engine)
    before = len(alerts(with_token))

    assert run_import(folder, SECOND, "again.csv") == 0

    assert len(alerts(with_token)) == before
    with Session(engine) as session:
        last = session.exec(select(ImportRun).order_by(col(ImportRun.id).desc())).first()
    assert last is not None and last.what_changed is None and last.alerts_done_at is not None


def test_without_a_token_the_running_app_tells_the_channels_on_its_next_tick(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    subscribe_channels(engine)
    run_import(folder, SECOND, "export2.csv")
    assert alerts(fake_slack) == []

    services = services_for(fake_slack, engine, database_url)
    tick(services)
    tick(services)

    assert sorted(c.params["channel"] for c in alerts(fake_slack)) == sorted(CHANNELS)


def test_two_runners_at_once_post_each_channel_once(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    subscribe_channels(engine)
    run_import(folder, SECOND, "export2.csv")
    slow_posts(fake_slack)
    barrier = threading.Barrier(2)

    def runner() -> None:
        services = services_for(fake_slack, engine, database_url)
        barrier.wait(timeout=10)
        run_pending(services)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(c.params["channel"] for c in alerts(fake_slack)) == sorted(CHANNELS)
    with Session(engine) as session:
        claims = session.exec(select(ImportAlert.channel_id, ImportAlert.status)).all()
    assert sorted(claims) == [(channel, "posted") for channel in sorted(CHANNELS)]


def test_a_channel_whose_post_failed_is_told_on_a_later_tick(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    add_subscription(engine, channel=CHANNELS[0])
    run_import(folder, SECOND, "export2.csv")
    services = services_for(fake_slack, engine, database_url)
    fake_slack.fail("chat.postMessage", error="not_in_channel")  # refused: it did not go out
    run_pending(services)
    fake_slack.clear()

    run_pending(services)  # within the retry delay: nothing yet
    assert alerts(fake_slack) == []
    with time_machine.travel(NOON.replace(minute=5), tick=True):
        run_pending(services)
        run_pending(services)

    assert [c.params["channel"] for c in alerts(fake_slack)] == [CHANNELS[0]]


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_what_changed_posts_failures_and_their_slack_errors_are_counted_in_metrics(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    subscribe_channels(engine)
    run_import(folder, SECOND, "export2.csv")  # no token: the running app tells the channels
    fake_slack.fail("chat.postMessage", error="not_in_channel")  # the first channel's post is refused
    posted, failed = (
        _sample("renewals_alerts_total", result="posted"),
        _sample("renewals_alerts_total", result="failed"),
    )
    error = {"method": "chat.postMessage", "error": "not_in_channel"}
    errors = _sample("renewals_slack_api_errors_total", **error)

    run_pending(services_for(fake_slack, engine, database_url))

    assert _sample("renewals_alerts_total", result="posted") == posted + len(CHANNELS) - 1
    assert _sample("renewals_alerts_total", result="failed") == failed + 1
    assert _sample("renewals_slack_api_errors_total", **error) == errors + 1


def _alert_rows(engine: Engine) -> list[ImportAlert]:
    with Session(engine) as session:
        return list(session.exec(select(ImportAlert)))


@pytest.mark.parametrize("close", [False, True], ids=["500", "closed connection"])
def test_an_alert_whose_answer_was_lost_is_adopted_not_posted_twice(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str, close: bool
) -> None:
    run_import(folder, FIRST)
    add_subscription(engine, channel=CHANNELS[0])
    run_import(folder, SECOND, "export2.csv")
    services = services_for(fake_slack, engine, database_url)
    fake_slack.fail_after_posting(close=close)

    [outcome] = run_pending(services)

    assert outcome.posted
    assert len(alerts(fake_slack)) == 1
    [held] = fake_slack.held_in(CHANNELS[0])
    [looked] = fake_slack.calls_to("conversations.history")
    assert looked.params["channel"] == CHANNELS[0]
    [alert] = _alert_rows(engine)
    assert (alert.status, alert.attempts, alert.message_ts) == ("posted", 1, held.ts)
    assert held.metadata == PartKey(ALERT_EVENT, alert.id or 0).metadata()


def _takeovers() -> float:
    return REGISTRY.get_sample_value("renewals_claims_taken_over_total", {"job": "alert"}) or 0.0


def test_a_claim_whose_poster_fell_silent_after_slack_took_it_is_taken_over_and_the_message_adopted(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    add_subscription(engine, channel=CHANNELS[0])
    run_import(folder, SECOND, "export2.csv")
    with session_scope(engine) as session:
        latest = session.exec(select(ImportRun).order_by(col(ImportRun.id).desc())).first()
        assert latest is not None and latest.id is not None
        alert = ImportAlert(
            workspace_id=latest.workspace_id,
            import_run_id=latest.id,
            channel_id=CHANNELS[0],
            status="claimed",
            claim_token="dead",
            claimed_at=NOON,
            started_at=NOON,
            heartbeat_at=NOON,
            claimed_by="old-host:4242",
        )
        session.add(alert)
        session.flush()
        alert_id = alert.id or 0
    dead = WebClient(token="xoxb-test", base_url=fake_slack.api_url)  # Slack took it; then it died
    metadata = PartKey(ALERT_EVENT, alert_id).metadata()
    sent = dead.chat_postMessage(channel=CHANNELS[0], text="What changed", metadata=metadata)
    services = services_for(fake_slack, engine, database_url)
    before = _takeovers()

    with time_machine.travel(NOON + STALE_CLAIM_AFTER - timedelta(seconds=1), tick=False):
        assert run_pending(services) == []  # its holder may still be posting
    with time_machine.travel(NOON + STALE_CLAIM_AFTER + timedelta(seconds=1), tick=False):
        [outcome] = run_pending(services)

    assert outcome.posted
    assert len(alerts(fake_slack)) == 1  # the silent poster's only
    [alert] = _alert_rows(engine)
    assert (alert.status, alert.attempts, alert.message_ts) == ("posted", 2, sent["ts"])
    assert alert.claimed_by != "old-host:4242"
    assert _takeovers() == before + 1


def _many_due_soon(folder: Path, count: int) -> None:
    """An import of `count` new contract changes due within 14 days (deadlines spread over days)."""
    rows = [f"Client {n:02d},{2000 + n},Renewal,Pending,{days(46 + n // 5)},$10" for n in range(count)]
    run_import(folder, csv(*rows))


def card_names(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["title"]["text"].split("*")[1] for b in blocks if b["type"] == "card"]


def _click(app: SlackAppClient, action_id: str, value: str) -> Call:
    before = len(app.fake.calls_to("response_url"))
    payload = block_actions_payload(action_id, value, fake=app.fake)
    assert app.action(payload).status == 200
    return app.wait_for("response_url", count=before + 1)


def test_what_changed_lists_25_changes_as_cards_then_view_all(
    with_token: FakeSlack, folder: Path, engine: Engine
) -> None:
    subscribe_channels(engine)
    _many_due_soon(folder, 30)

    (message, _other) = alerts(with_token)
    blocks = message.params["blocks"]
    assert card_names(blocks) == [f"Client {n:02d}" for n in range(25)]
    assert "30 new contract changes due within 14 days: $300.00" in blocks_text(blocks)
    assert "…and 5 more changes" in blocks_text(blocks)
    assert find_element(blocks, VIEW_ALL)["text"]["text"] == "View all"


def test_what_changed_of_25_or_fewer_has_no_view_all(
    with_token: FakeSlack, folder: Path, engine: Engine
) -> None:
    subscribe_channels(engine)
    _many_due_soon(folder, 25)

    (message, _other) = alerts(with_token)
    assert len(card_names(message.params["blocks"])) == 25
    with pytest.raises(AssertionError):
        find_element(message.params["blocks"], VIEW_ALL)


def test_view_all_shows_the_clicker_the_imports_whole_list_paged(
    with_token: FakeSlack, folder: Path, slack_app: SlackAppClient
) -> None:
    subscribe_channels(slack_app.engine)
    _many_due_soon(folder, 45)
    (message, _other) = alerts(with_token)

    first = _click(slack_app, VIEW_ALL, button_value(message, VIEW_ALL))

    assert first.params["response_type"] == "ephemeral"
    assert first.params["replace_original"] is False  # the channel's message stays as it is
    assert card_names(blocks_of(first)) == [f"Client {n:02d}" for n in range(20)]
    assert "showing 1–20 of 45" in all_text(first)
    assert find_element(blocks_of(first), NEXT)["text"]["text"] == "Next"
    second = _click(slack_app, NEXT, button_value(first, NEXT))
    third = _click(slack_app, NEXT, button_value(second, NEXT))
    assert second.params["replace_original"] is True
    # Every change of the import, more than the 25 its message keeps of a kind.
    assert card_names(blocks_of(third)) == [f"Client {n:02d}" for n in range(40, 45)]
    with pytest.raises(AssertionError):
        find_element(blocks_of(third), NEXT)
    back = _click(slack_app, PREVIOUS, button_value(third, PREVIOUS))
    assert card_names(blocks_of(back)) == card_names(blocks_of(second))


def test_a_what_changed_list_value_from_another_workspace_is_refused(
    with_token: FakeSlack, folder: Path, slack_app: SlackAppClient
) -> None:
    subscribe_channels(slack_app.engine)
    _many_due_soon(folder, 30)
    (message, _other) = alerts(with_token)
    value = json.loads(button_value(message, VIEW_ALL))

    reply = _click(slack_app, VIEW_ALL, json.dumps({**value, "team_id": "T0OTHER"}))

    assert "another workspace" in all_text(reply)
    assert card_names(blocks_of(reply)) == []


def test_an_import_of_another_workspace_is_not_found_by_its_id(
    with_token: FakeSlack, folder: Path, slack_app: SlackAppClient
) -> None:
    subscribe_channels(slack_app.engine)
    rows = [f"Other {n:02d},{3000 + n},Renewal,Pending,{days(50)},$10" for n in range(30)]
    (folder / "other.csv").write_text(csv(*rows), encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["import", str(folder / "other.csv"), "--team", "T0OTHER"])
    with Session(slack_app.engine) as session:
        other = session.exec(select(ImportRun.id).order_by(col(ImportRun.id).desc())).first()
    assert other is not None
    value = encode(ImportChangesRef(team_id=TEAM, import_id=other))

    reply = _click(slack_app, VIEW_ALL, value)

    assert "out of date" in all_text(reply)
    assert card_names(blocks_of(reply)) == []


def test_a_dry_run_reports_what_would_be_removed_and_writes_nothing(
    folder: Path, fake_slack: FakeSlack, engine: Engine, database_url: str
) -> None:
    run_import(folder, FIRST)
    subscribe_channels(engine)

    preview = preview_import(
        engine, parse_bytes(SECOND.encode(), name="export2.csv"), TEAM, actor="U0ADMIN", source="export2.csv"
    ).result

    assert (preview.created, preview.updated, preview.unchanged, preview.removed) == (2, 1, 1, 1)
    assert preview.import_id is None
    assert changes(engine, "Acme") == [(days(80), False), (days(100), False)]
    with Session(engine) as session:
        assert len(session.exec(select(ImportRun)).all()) == 1
    assert alerts(fake_slack) == []


def test_an_import_from_slack_is_recorded_with_who_ran_it(
    folder: Path, slack_app: SlackAppClient, database_url: str
) -> None:
    write_import(
        services_for(slack_app.fake, slack_app.engine, database_url).settings,
        slack_app.engine,
        parse_bytes(FIRST.encode(), name="from-slack.csv"),
        TEAM,
        actor="U0ADMIN",
        source="from-slack.csv",
        via=ImportVia.SLACK,
        skip_invalid=False,
    )

    text = blocks_text(reply_to(slack_app, "/renewals", "imports").params["blocks"])
    assert "import of *from-slack.csv* by <@U0ADMIN>" in text


def test_a_removed_contract_change_leaves_the_csv_export(folder: Path, engine: Engine) -> None:
    import io

    from store.csv_export import write_export
    from store.upcoming import RenewalQuery

    run_import(folder, FIRST)
    run_import(folder, SECOND, "export2.csv")
    out = io.BytesIO()
    with Session(engine) as session:
        workspace = get_workspace(TEAM, session=session)
        assert workspace is not None
        count = write_export(out, workspace, RenewalQuery(), session=session, today=days(0))
    text = out.getvalue().decode("utf-8-sig")
    assert count == 4 and str(days(90)) in text and str(days(80)) not in text
