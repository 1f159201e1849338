"""Logs: LOG_FORMAT=json, and no token, secret or password in a log line or a metric label.

`renewals-bot serve` runs as a real process with distinctive secrets; its stderr and /metrics are
searched for them after it started, answered Slack, met a Slack error and a database error.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.logs import REDACTED, JsonFormatter, RedactingFilter, redact
from tests.app_client import SIGNING_SECRET, SlackAppClient, serving
from tests.cli_support import CLI, cli_env, free_port
from tests.fake_slack import FakeSlack, sign
from tests.slack_requests import USER_ID

BOT_TOKEN = "xoxb-4242-distinct-bot-token"
CLIENT_SECRET = "client-5ecret-distinct"
DB_PASSWORD = "db-pa55word-distinct"


# --- the redactor and the JSON lines, in process ------------------------------------------------


def _render(formatter: logging.Formatter, secrets: list[str], message: str, *args: object) -> str:
    """One record through the app's filter and `formatter`, as the app's handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.Logger("test.logs")
    logger.addHandler(handler)
    try:
        raise RuntimeError(f"while using {args[0] if args else message}")
    except RuntimeError:
        logger.error(message, *args, exc_info=True)
    return stream.getvalue()


@pytest.mark.parametrize(
    "secret",
    ["xoxb-1234-5678-abcdEFGH", "xoxp-1-2-3-abc", "xapp-1-A0B-123-abcdef", "xoxe.xoxb-1-abc"],
)
def test_slack_tokens_are_redacted_from_messages_and_tracebacks(secret: str) -> None:
    text = _render(logging.Formatter("%(message)s"), [], "calling Slack with %s", secret)

    assert secret not in text and "abc" not in text.replace("Traceback", "")
    assert text.count(REDACTED) == 2  # the message and the exception's text


def test_a_url_password_is_redacted_and_the_rest_of_the_url_kept() -> None:
    assert redact("cannot reach postgresql://renewals:s3cr%40t@db:5432/renewals") == (
        f"cannot reach postgresql://renewals:{REDACTED}@db:5432/renewals"
    )
    assert (
        redact("listening on http://127.0.0.1:3000/healthz") == "listening on http://127.0.0.1:3000/healthz"
    )


def test_the_settings_secrets_are_redacted_wherever_they_appear() -> None:
    secret = "plain-signing-secret"
    text = _render(logging.Formatter("%(message)s"), [secret], "got %s", secret)

    assert secret not in text


def test_a_json_log_line_has_time_level_logger_message_and_exception() -> None:
    line = _render(JsonFormatter(), [], "digest %s failed", "C0DIGEST")

    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "test.logs"
    assert entry["message"] == "digest C0DIGEST failed"
    assert entry["time"].endswith("+00:00")
    assert "RuntimeError: while using C0DIGEST" in entry["exception"]
    assert line.count("\n") == 1  # the traceback's lines stay inside the one object


def test_the_app_itself_logs_no_token_or_signing_secret_on_a_slack_error(
    fake_slack: FakeSlack, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # caplog sees the records as the app and its libraries made them, before any redaction.
    fake_slack.add_user(USER_ID)
    fake_slack.fail("views.open", error="invalid_auth")
    with caplog.at_level(logging.DEBUG), serving(fake_slack, sqlite_url, slack_bot_token=BOT_TOKEN) as app:
        app.command("/renewals", "columns")
        app.wait_for("views.open")
        app.settle()

    assert "invalid_auth" in caplog.text
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text


# --- `renewals-bot serve` as a process ----------------------------------------------------------


def _env(folder: Path, **values: str) -> dict[str, str]:
    return cli_env(folder, SLACK_SIGNING_SECRET=SIGNING_SECRET, **values)


@dataclass
class Served:
    app: SlackAppClient
    stderr: str = ""


@contextmanager
def serve(folder: Path, fake: FakeSlack, *args: str, **env: str) -> Iterator[Served]:
    """`renewals-bot [ARGS] serve` on a free port until the block ends; then its stderr is in `.stderr`."""
    port = free_port()
    process = subprocess.Popen(
        [*CLI, *args, "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=_env(folder, SLACK_API_URL=fake.api_url, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(SlackAppClient(f"http://127.0.0.1:{port}", fake, None, None, None))
    try:
        deadline = time.monotonic() + 60  # a start on two busy cores can take several seconds
        while process.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, served.stderr = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, served.stderr = process.communicate()


def _database_with_password(database_url: str) -> tuple[str, str | None]:
    """The test database's URL with a password in it (PostgreSQL here trusts 127.0.0.1 and ignores it)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return database_url, None
    if url.password:
        return database_url, str(url.password)
    return url.set(password=DB_PASSWORD).render_as_string(hide_password=False), DB_PASSWORD


def _assert_no_secret(text: str, secrets: list[str]) -> None:
    leaked = [secret for secret in secrets if secret in text]
    assert leaked == [], f"secrets in the output: {leaked}"


def test_no_secret_reaches_the_log_or_metrics_of_serve_as_it_answers_and_fails(
    tmp_path: Path, fake_slack: FakeSlack, database_url: str
) -> None:
    url, password = _database_with_password(database_url)
    fake_slack.add_user(USER_ID)
    fake_slack.fail("views.open", error="invalid_auth")
    with serve(tmp_path, fake_slack, "--verbose", SLACK_BOT_TOKEN=BOT_TOKEN, DATABASE_URL=url) as served:
        app = served.app
        assert app.command("/renewals", "help").status == 200
        # views.open refuses: the listener's failure is logged with its traceback.
        assert app.command("/renewals", "columns").status == 200
        app.wait_for("views.open")
        body = b"command=%2Frenewals&text=help"
        app.post(body, {"Content-Type": "application/x-www-form-urlencoded", **sign("wrong", body)})
        app.settle()
        metrics = app.get("/metrics").body.decode()

    secrets = [BOT_TOKEN, SIGNING_SECRET, *([password] if password else [])]
    assert "listening on" in served.stderr
    assert "invalid_auth" in served.stderr and "Traceback" in served.stderr
    assert 'kind="command"' in metrics
    _assert_no_secret(served.stderr, secrets)
    _assert_no_secret(metrics, secrets)


def test_no_database_password_reaches_the_log_when_the_database_refuses(tmp_path: Path) -> None:
    url = f"postgresql://renewals:{DB_PASSWORD}@127.0.0.1:{free_port()}/renewals"

    done = subprocess.run(
        [*CLI, "--verbose", "serve", "--no-scheduler"],
        cwd=tmp_path,
        env=_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert "database" in done.stderr.splitlines()[-1]
    _assert_no_secret(done.stdout + done.stderr, [DB_PASSWORD, BOT_TOKEN, SIGNING_SECRET])


def _finish_install(app: SlackAppClient) -> None:
    """Start an install, then come back from Slack with a code: the app trades it with its client secret."""
    install = app.get("/slack/install")
    assert install.status == 200
    cookie = install.headers["Set-Cookie"].split(";")[0]  # slack-app-oauth-state=<state>
    state = cookie.split("=", 1)[1]
    request = urllib.request.Request(
        f"{app.base_url}/slack/oauth_redirect?code=any-code&state={state}", headers={"Cookie": cookie}
    )
    # The fake's bare answer makes no installation: what matters here is what got logged.
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=10).close()


def test_no_client_secret_reaches_the_log_of_an_oauth_install(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with serve(
        tmp_path, fake_slack, "--verbose", SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET=CLIENT_SECRET
    ) as served:
        _finish_install(served.app)
        metrics = served.app.get("/metrics").body.decode()

    [exchange] = fake_slack.calls_to("oauth.v2.access")
    basic = exchange.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(basic).decode() == f"111.222:{CLIENT_SECRET}"  # used, and --verbose logs requests
    assert 'kind="oauth"' in metrics
    _assert_no_secret(served.stderr, [CLIENT_SECRET, SIGNING_SECRET])
    _assert_no_secret(metrics, [CLIENT_SECRET, SIGNING_SECRET])


def test_log_format_json_writes_one_object_per_line(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.add_user(USER_ID)
    fake_slack.fail("views.open", error="invalid_auth")
    with serve(tmp_path, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN, LOG_FORMAT="json") as served:
        served.app.command("/renewals", "columns")
        served.app.wait_for("views.open")
        served.app.settle()

    entries = [json.loads(line) for line in served.stderr.splitlines()]
    assert entries and all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(entry["message"].startswith("listening on") for entry in entries)
    failed = [entry for entry in entries if "exception" in entry]
    assert failed and "invalid_auth" in failed[0]["exception"]


def test_a_command_that_fails_under_log_format_json_ends_with_a_json_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "serve"], cwd=tmp_path, env=_env(tmp_path, LOG_FORMAT="json"), capture_output=True, text=True
    )

    assert done.returncode != 0
    last = json.loads(done.stderr.splitlines()[-1])
    assert last["level"] == "ERROR" and "SLACK_BOT_TOKEN" in last["message"]
