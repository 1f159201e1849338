"""A file a person uploaded through a modal's file input: `files.info`, then its private URL.

Slack serves `url_private_download` / `url_private` only with `Authorization: Bearer <token>`
of a token that has `files:read`; without it Slack answers with its sign-in page (a redirect
to HTML), never with the file. The token is sent only to Slack itself: https on slack.com or
one of its subdomains, or the configured SLACK_API_URL's own host (a test or proxy Slack).

Messages in `FileProblemError` are plain text for a person; the caller escapes them for mrkdwn.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

DOWNLOAD_TIMEOUT_SECONDS = 30
SLACK_DOMAIN = "slack.com"


class FileProblemError(Exception):
    """The file cannot be had or used; the message says why, for a person."""


@dataclass(frozen=True)
class SlackFile:
    """What `files.info` says about a file."""

    id: str
    name: str
    filetype: str
    size: int | None
    download_url: str | None

    @classmethod
    def from_slack(cls, file_id: str, info: dict[str, Any]) -> SlackFile:
        size = info.get("size")
        return cls(
            id=str(info.get("id") or file_id),
            name=str(info.get("name") or info.get("title") or file_id),
            filetype=str(info.get("filetype") or ""),
            size=size if isinstance(size, int) else None,
            download_url=info.get("url_private_download") or info.get("url_private") or None,
        )


def file_info(client: WebClient, file_id: str) -> SlackFile:
    """The file as `files.info` describes it to the request's installation."""
    try:
        answer = client.files_info(file=file_id)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in ("file_not_found", "file_deleted"):
            raise FileProblemError("That file is no longer in Slack (deleted?). Upload it again.") from None
        if error in ("missing_scope", "no_permission", "not_allowed_token_type"):
            raise FileProblemError(
                f"Slack will not let the app read files ({error}): it needs the files:read scope. "
                "Ask whoever installed the app to reinstall it from the current manifest."
            ) from None
        raise FileProblemError(
            f"Slack would not describe the file ({error}). Try again in a moment."
        ) from None
    except (SlackClientError, OSError) as exc:
        raise FileProblemError(
            f"Could not reach Slack to read the file ({exc}). Try again in a moment."
        ) from None
    info = answer.get("file")
    if not isinstance(info, dict):
        raise FileProblemError("Slack did not describe the file. Upload it again.")
    return SlackFile.from_slack(file_id, info)


def _trusted(url: str, api_url: str | None) -> bool:
    """Whether the bot token may be sent to `url`: Slack's own https hosts, or SLACK_API_URL's host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and (host == SLACK_DOMAIN or host.endswith("." + SLACK_DOMAIN)):
        return True
    if api_url:
        api = urlsplit(api_url)
        return (parts.scheme, parts.hostname, parts.port) == (api.scheme, api.hostname, api.port)
    return False


class _TokenStaysWithSlack(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but drop the token on the way to any host it may not go to
    (urllib would otherwise carry the Authorization header along)."""

    def __init__(self, api_url: str | None) -> None:
        self._api_url = api_url

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not _trusted(newurl, self._api_url):
            new.remove_header("Authorization")
        return new


REFUSED = (
    "Slack would not hand over {name} ({why}): the app's token may lack the files:read scope. "
    "Ask whoever installed the app to reinstall it from the current manifest, then upload the file again."
)


def download(file: SlackFile, *, token: str | None, api_url: str | None, max_bytes: int) -> bytes:
    """The file's bytes (at most `max_bytes`), fetched with the bot token."""
    url = file.download_url
    if not url or not _trusted(url, api_url):
        raise FileProblemError(f"Slack gave no download address for {file.name} that the app can use.")
    if not token:
        raise FileProblemError(REFUSED.format(name=file.name, why="no bot token"))
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    opener = urllib.request.build_opener(_TokenStaysWithSlack(api_url))
    try:
        with opener.open(request, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            kind = response.headers.get_content_type()
            if kind == "text/html":
                # Slack's sign-in page: the token was not good enough for this file.
                raise FileProblemError(
                    REFUSED.format(name=file.name, why="it answered with its sign-in page")
                )
            data: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        raise FileProblemError(REFUSED.format(name=file.name, why=f"HTTP {exc.code}")) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FileProblemError(
            f"Could not download {file.name} from Slack ({reason}). Try again in a moment."
        ) from None
    return data
