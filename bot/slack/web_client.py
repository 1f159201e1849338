"""The Web API client the app uses: SLACK_API_URL when set, slack_sdk's retry handlers always.

Bolt copies these handlers into the client of every request, so `SlackErrorCounter` sees every
Web API call the app makes (requests, jobs, commands) and counts the failed ones (bot.metrics).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import metrics
from bot.settings import Settings

# How many times a call is retried: enough to ride out a rate-limit window or a
# short outage, few enough that a listener still answers within Slack's patience.
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2


class SlackErrorCounter(RetryHandler):
    """Counts each failed attempt by method and error; never retries, so the handlers after it decide."""

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None:
            failure = type(error).__name__ if error is not None else None  # no answer: the connection's error
        elif response.status_code >= 400:
            failure = f"http_{response.status_code}"
        elif isinstance(response.body, dict) and response.body.get("ok") is False:
            failure = str(response.body.get("error") or "unknown")
        else:
            failure = None
        if failure is not None:
            metrics.record_slack_error(urlsplit(request.url).path.rsplit("/", 1)[-1], failure)
        return False


def retry_handlers() -> list:  # type: ignore[type-arg]
    return [
        SlackErrorCounter(),  # first: the first handler that retries ends the look
        ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ]


# slack_sdk logs every failed attempt and every retry. A command that reports a failure in
# its own one line (a start-up check, a CLI command) uses this silent logger instead, so a
# Slack that cannot be reached is one line on stderr, not a page of log records.
_SILENT = logging.getLogger("bot.slack.web_client.silent")
_SILENT.addHandler(logging.NullHandler())
_SILENT.propagate = False


def make_web_client(settings: Settings, token: str | None = None, *, quiet: bool = False) -> WebClient:
    """A WebClient for `token` (default: the bot token) with retries on 429, 5xx and lost connections.

    `quiet`: slack_sdk logs nothing; the caller reports failures itself.
    """
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    logger = _SILENT if quiet else None  # None: slack_sdk's own logger
    return WebClient(token=token, retry_handlers=retry_handlers(), logger=logger, **kwargs)


def without_blind_retries(client: WebClient) -> WebClient:
    """The same client (token, URL, logger), retrying only 429s.

    A 5xx or a lost connection after a post was sent does not say whether Slack posted it, so
    a blind retry may post twice. Posts that must go out once (bot.jobs.posting) retry
    themselves, after looking in the channel for the message.
    """
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        headers=client.headers,
        logger=client._logger,  # slack_sdk keeps the logger it was given here
        # Still counted (SlackErrorCounter first): these are the posts an operator most watches.
        retry_handlers=[SlackErrorCounter(), RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )
