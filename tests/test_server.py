"""The HTTP server from the outside: health check, request signing, refusing to start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.slack.server import make_wsgi_app
from store.db import make_engine, migrate, session_scope
from store.models import Workspace
from store.workspaces import ensure_workspace, pause_workspaces
from tests.app_client import SIGNING_SECRET, SlackAppClient, serve_wsgi
from tests.fake_slack import FakeSlack, sign


def test_healthz_is_200_when_the_database_answers(slack_app: SlackAppClient) -> None:
    reply = slack_app.get("/healthz")

    assert reply.status == 200
    assert reply.json()["database"] == "ok"


def test_healthz_is_503_when_the_database_does_not_answer(slack_app: SlackAppClient, tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/no/such/folder/renewals.db")
    base_url, stop = serve_wsgi(make_wsgi_app(slack_app.app, broken, slack_app.settings))
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{base_url}/healthz", timeout=5)
        assert caught.value.code == 503
    finally:
        stop()
        broken.dispose()


def test_unknown_path_is_404(slack_app: SlackAppClient) -> None:
    assert slack_app.get("/nope").status == 404


def test_request_with_a_bad_signature_is_refused_with_401(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    body = b"command=%2Frenewals&text=&team_id=T0TEAM1&user_id=U1&response_url=x"
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign("not-the-secret", body)}

    reply = slack_app.post(body, headers)

    assert reply.status == 401
    slack_app.settle(quiet=0.1)
    assert fake_slack.calls_to("response_url") == []


def test_request_with_a_stale_timestamp_is_refused_with_401(slack_app: SlackAppClient) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    body = b"command=%2Frenewals&text=&team_id=T0TEAM1&user_id=U1"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(SIGNING_SECRET, body, six_minutes_ago),
    }

    assert slack_app.post(body, headers).status == 401


def test_request_without_signature_headers_is_refused_with_401(slack_app: SlackAppClient) -> None:
    body = b"command=%2Frenewals&text="
    assert slack_app.post(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401


def test_ssl_check_is_answered(slack_app: SlackAppClient) -> None:
    assert slack_app.send_form({"ssl_check": "1", "token": "x"}).status == 200


# --- `renewals-bot serve` as a process ------------------------------------------------------

# The console script's entry point, run by this interpreter.
CLI = [sys.executable, "-c", "from bot.cli.main import main; main()"]


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "RENEWALS_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/serve.db"
    env.update(values)
    return env


def _run_serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "serve", "--no-scheduler", *args],
        cwd=tmp_path,  # no .env from the repository
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_refuses_to_start_without_a_token_in_one_line(tmp_path: Path) -> None:
    done = _run_serve(tmp_path)

    assert done.returncode != 0
    assert done.stderr.count("\n") == 1
    assert "SLACK_BOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_http_mode_without_a_signing_secret(tmp_path: Path) -> None:
    done = _run_serve(tmp_path, SLACK_BOT_TOKEN="xoxb-1")

    assert done.returncode != 0
    assert done.stderr.count("\n") == 1
    assert "SLACK_SIGNING_SECRET" in done.stderr


def test_serve_refuses_a_token_slack_rejects(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.respond("auth.test", {"ok": False, "error": "invalid_auth"})

    done = _run_serve(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-revoked",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake_slack.api_url,
    )

    assert done.returncode != 0
    assert done.stderr.splitlines()[-1] == "renewals-bot: Slack refused SLACK_BOT_TOKEN (invalid_auth)"
    assert "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _serving(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[subprocess.Popen[str]]:
    """`renewals-bot serve` (SLACK_BOT_TOKEN mode) in its own process, once /healthz answers 200."""
    port = _free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=fake_slack.api_url,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 60  # a start on two busy cores can take several seconds
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.1)
        assert status == 200
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with _serving(tmp_path, fake_slack) as process:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert (tmp_path / "serve.db").exists()  # migrated on start


def test_serve_with_a_token_slack_accepts_resumes_its_paused_workspace(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/serve.db")
    migrate(engine)
    with session_scope(engine) as session:
        for team_id in (fake_slack.team_id, "T0OTHER"):  # auth.test names the first
            ensure_workspace(team_id, session=session)
            pause_workspaces(session=session, reason="invalid_auth", actor="renewals-bot", team_id=team_id)

    with _serving(tmp_path, fake_slack), Session(engine) as session:
        paused = dict(session.exec(select(Workspace.team_id, Workspace.paused_reason)).all())
    engine.dispose()

    assert paused == {fake_slack.team_id: None, "T0OTHER": "invalid_auth"}


# --- the Slack app manifest -------------------------------------------------------------------


def test_manifest_declares_the_commands_scopes_and_urls_the_app_serves() -> None:
    import yaml

    from bot.slack.app import BOT_SCOPES

    manifest = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())

    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/renewals", "/renewal", "/renewal-owner"]
    assert all(c["should_escape"] is True and c["url"].endswith("/slack/events") for c in commands)
    assert all(c["usage_hint"] and len(c["usage_hint"]) <= 1000 for c in commands)
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"][0].endswith("/slack/oauth_redirect")
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
    # The Home tab is published on app_home_opened (handlers.home), which needs no scope.
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith("/slack/events")
    # The app's own lifecycle (handlers.installation): no scope either.
    assert events["bot_events"] == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    info = manifest["display_information"]
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000


def test_serve_in_socket_mode_refuses_an_app_token_slack_rejects(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.respond("apps.connections.open", {"ok": False, "error": "invalid_auth"})

    done = _run_serve(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_APP_TOKEN="xapp-revoked",
        SLACK_API_URL=fake_slack.api_url,
    )

    assert done.returncode != 0
    assert done.stderr.splitlines()[-1] == "renewals-bot: Slack refused SLACK_APP_TOKEN (invalid_auth)"
    opened = fake_slack.calls_to("apps.connections.open")
    assert opened and opened[0].headers["Authorization"] == "Bearer xapp-revoked"
