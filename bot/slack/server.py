"""`renewals-bot serve`: the Slack app over HTTP (waitress) or Socket Mode.

HTTP routes (see `make_wsgi_app`):
- POST /slack/events: slash commands, interactivity, options loads and events (signed by Slack);
- GET  /healthz: 200 when the database answers, 503 otherwise;
- GET  /slack/install and /slack/oauth_redirect: only with OAuth settings.
"""

from __future__ import annotations

import io
import json
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.errors import UserError
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.installations import token_works
from bot.slack.request_shape import check_request
from bot.slack.signature import is_signed_by_slack
from bot.slack.web_client import make_web_client
from store.db import check_database, make_engine, migrate

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Bolt acks within Slack's 3 s and runs listeners in its own pool; these threads
# only parse, verify and ack requests, so a handful covers a busy team.
HTTP_THREADS = 8

WsgiApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


def check_settings(settings: Settings) -> None:
    """Refuse to start without what Slack needs, in one line a person can act on."""
    if settings.slack_bot_token is None and not settings.oauth_enabled:
        raise UserError(
            "serve needs SLACK_BOT_TOKEN (single workspace) or SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (OAuth install); see the README's 'Set up in Slack'"
        )
    if settings.slack_client_id and settings.slack_client_secret is None:
        raise UserError("SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET: set both for OAuth, or neither")
    if not settings.socket_mode and settings.slack_signing_secret is None:
        raise UserError(
            "HTTP mode needs SLACK_SIGNING_SECRET (the app's Basic Information page), "
            "or set SLACK_APP_TOKEN to use Socket Mode"
        )
    if settings.socket_mode and settings.oauth_enabled and settings.slack_signing_secret is None:
        # The OAuth install pages are served over HTTP even in Socket Mode.
        raise UserError("OAuth installs need SLACK_SIGNING_SECRET as well")


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _header(environ: WSGIEnvironment, name: str) -> str | None:
    value = environ.get(name)
    return value if isinstance(value, str) else None


def make_wsgi_app(app: App, engine: Engine, settings: Settings) -> WsgiApp:
    """The WSGI application: Bolt's handler for Slack, plus /healthz.

    Every POST to /slack/events is verified here, before Bolt sees it: an unsigned request gets
    401 and nothing else happens (no listener, no error handler, no outbound call); a signed one
    whose shape Slack never sends gets 400 (or 200 for an interaction type the app does not use).
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    # check_settings refuses HTTP mode without it; an empty secret would verify nothing.
    assert settings.slack_signing_secret is not None
    signing_secret = settings.slack_signing_secret.get_secret_value()

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            if check_database(engine):
                return _json(start_response, "200 OK", {"ok": True, "database": "ok"})
            return _json(start_response, "503 Service Unavailable", {"ok": False, "database": "unreachable"})
        if path == EVENTS_PATH and method == "POST":
            body = _read_body(environ)
            timestamp = _header(environ, "HTTP_X_SLACK_REQUEST_TIMESTAMP")
            signature = _header(environ, "HTTP_X_SLACK_SIGNATURE")
            if not is_signed_by_slack(signing_secret, body, timestamp, signature):
                logger.info("refused a request to %s that Slack did not sign", EVENTS_PATH)
                return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
            verdict = check_request(body, environ.get("CONTENT_TYPE") or "")
            if verdict.status is not None:
                logger.warning("ignored a signed request: %s", verdict.reason)
                status = "400 Bad Request" if verdict.status == 400 else "200 OK"
                return _json(
                    start_response, status, {"error": verdict.reason} if verdict.status == 400 else {}
                )
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return wsgi


@contextmanager
def _scheduler(services: Services, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from bot.jobs.scheduler import start_scheduler

    sched = start_scheduler(services)
    try:
        yield
    finally:
        sched.shutdown()


def check_bot_token(settings: Settings) -> str | None:
    """Ask Slack whether the bot token works, so a bad one stops `serve` with one clear line.

    Returns the token's team (None in OAuth mode, where each installation brings its own token).
    """
    if settings.oauth_enabled or settings.slack_bot_token is None:
        return None
    client = make_web_client(settings, quiet=True)
    try:
        return str(client.auth_test()["team_id"])
    except SlackApiError as exc:
        raise UserError(f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})") from None
    except OSError as exc:
        raise UserError(f"cannot reach Slack at {client.base_url}: {exc}") from None


def _build(services: Services) -> App:
    from bot.slack.app import build_app

    try:
        return build_app(services)
    except BoltError as exc:
        raise UserError(f"cannot start the Slack app: {exc}") from None


def check_address(host: str, port: int) -> None:
    """Refuse a port that is taken (or a host that is not this machine's) before anything starts.

    A trial bind, with the SO_REUSEADDR waitress sets too, so a port in TIME_WAIT is not refused.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as trial:
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            trial.bind(address)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _serve_http(app: App, engine: Engine, settings: Settings, host: str, port: int) -> None:
    from waitress import create_server

    try:
        server = create_server(
            make_wsgi_app(app, engine, settings), host=host, port=port, threads=HTTP_THREADS
        )
    except OSError as exc:  # the port is taken, or the host is not an address of this machine
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    logger.info("listening on http://%s:%s (POST %s, GET %s)", host, port, EVENTS_PATH, HEALTH_PATH)
    # waitress stops its loop (and drains its worker threads) on KeyboardInterrupt/SystemExit,
    # which the SIGTERM handler raises in the main thread.
    server.run()


def _serve_socket_mode(app: App, settings: Settings, stop: threading.Event) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    try:
        handler.connect()
    except SlackApiError as exc:
        raise UserError(f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')})") from None
    logger.info("connected to Slack in Socket Mode")
    try:
        while not stop.wait(1):
            pass
    finally:
        handler.close()


def serve(settings: Settings, *, host: str, port: int, scheduler: bool = True) -> int:
    """Run until SIGTERM or Ctrl-C; 0 on a clean stop."""
    check_settings(settings)
    if not settings.socket_mode:
        check_address(host, port)
    engine = make_engine(settings.database_url)
    migrate(engine)
    team_id = check_bot_token(settings)
    if team_id is not None:  # a working SLACK_BOT_TOKEN resumes its workspace if a job paused it
        token_works(engine, team_id)
    services = build_services(settings, engine)
    app = _build(services)
    stop = threading.Event()

    def on_sigterm(_signum: int, _frame: Any) -> None:
        stop.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        with _scheduler(services, scheduler):
            if settings.socket_mode:
                _serve_socket_mode(app, settings, stop)
            else:
                _serve_http(app, engine, settings, host, port)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        engine.dispose()
        logger.info("stopped")
    return 0
