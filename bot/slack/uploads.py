"""Sending a file to a person: Slack's external upload flow, into their direct message.

1. `conversations.open` (the DM with the person; scope im:write),
2. `files.getUploadURLExternal` (filename, length in bytes) gives an `upload_url` and a file ID,
3. the bytes are POSTed to that URL, read from the open file as they go (never joined in memory),
4. `files.completeUploadExternal` (the file's ID and title) shares it in the DM (scope files:write).

The Web API calls go through the request's own client (its token, its retries on 429 and 5xx).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import IO

from slack_sdk import WebClient


class UploadError(Exception):
    """Slack's upload URL refused the bytes (the message says how)."""


def send_file_to_person(
    client: WebClient,
    user_id: str,
    data: IO[bytes],
    *,
    length: int,
    filename: str,
    title: str,
    comment: str,
) -> str:
    """Upload `length` bytes of `data` (from where it stands) as `filename`, into `user_id`'s DM with
    `comment` as the message. Returns the file's ID. Slack's refusals raise SlackApiError."""
    opened = client.conversations_open(users=user_id)
    channel_id = opened["channel"]["id"]
    ticket = client.files_getUploadURLExternal(filename=filename, length=length)
    request = urllib.request.Request(
        ticket["upload_url"],
        data=data,
        method="POST",
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(length)},
    )
    try:
        with urllib.request.urlopen(request, timeout=client.timeout, context=client.ssl) as response:
            if response.status != 200:
                raise UploadError(f"the upload URL answered HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        raise UploadError(f"the upload URL answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise UploadError(f"the upload URL could not be reached ({exc.reason})") from None
    file_id = str(ticket["file_id"])
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": title}], channel_id=channel_id, initial_comment=comment
    )
    return file_id
