"""`/renewals import` (admins): upload the partner dashboard's CSV, see what it would do, import it.

1. The command opens the upload modal (Slack's file input: one CSV).
2. Its submission: the file is read (files.info, then its private URL with the bot token),
   parsed and validated exactly as `renewals-bot import` does, and imported in a transaction
   that is rolled back: the preview. When that takes longer than ACK_BUDGET_SECONDS the ack
   shows "Reading…" and views.update brings the preview; otherwise the ack carries it.
3. "Import": the file is read again. When its bytes or the workspace's data version are no
   longer the previewed ones, nothing is written and the new preview is shown. Otherwise it is
   imported through the CLI's code path (bot/import_run.py: one transaction, all or nothing
   unless "Skip invalid rows"), partner members are linked to Slack, and the modal shows what
   was written.
"Cancel" or closing the modal needs no listener: nothing is written before "Import".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from blocks.ids import BlockId, ViewId
from blocks.import_modal import (
    done_modal,
    needs_skip_error,
    preview_modal,
    problem_modal,
    read_chosen_file,
    read_skip_invalid,
    upload_modal,
    working_modal,
)
from blocks.limits import FILE_INPUT_MAX_BYTES, PRIVATE_METADATA_CHARS
from blocks.values import ImportPreviewRef, ImportUploadRef, StaleValueError, V, decode
from bot.errors import UserError
from bot.import_run import link_partner_members, preview_import, write_import
from bot.services import Services
from bot.slack.context import is_admin, services_of, workspace_of
from bot.slack.files import FileProblemError, download, file_info
from bot.slack.replies import refusal
from store.csv_format import CsvFormatError, ParsedFile, parse_bytes
from store.import_runs import ImportVia

logger = logging.getLogger(__name__)

# Slack waits 3 s for a modal submission's ack; what is ready sooner goes in the ack itself.
ACK_BUDGET_SECONDS = 2.0
REFUSAL = refusal("import a CSV file")
OUT_OF_DATE = "This form is out of date: close it and run /renewals import again."
WENT_WRONG = "Something went wrong on our side while reading the file."
MEGABYTES = FILE_INPUT_MAX_BYTES // (1024 * 1024)


def is_import_command(command: dict[str, Any]) -> bool:
    return (command.get("text") or "").strip().lower() == "import"


@dataclass(frozen=True)
class Upload:
    """A file read from Slack and parsed, not yet imported."""

    file_id: str
    name: str
    sha256: str
    parsed: ParsedFile


def _is_csv(filetype: str, name: str) -> bool:
    return filetype.lower() == "csv" or name.lower().endswith(".csv")


def read_upload(services: Services, client: WebClient, file_id: str) -> Upload:
    """The file, checked (a CSV, not over the limit), downloaded and parsed as the CLI parses it."""
    info = file_info(client, file_id)
    if not _is_csv(info.filetype, info.name):
        kind = f" ({info.filetype})" if info.filetype else ""
        raise FileProblemError(
            f"{info.name} is not a CSV file{kind}: export the partner dashboard's view as CSV (UTF-8) "
            "and upload that."
        )
    too_big = FileProblemError(f"{info.name} is over {MEGABYTES} MB, the most Slack lets a modal take.")
    if info.size is not None and info.size > FILE_INPUT_MAX_BYTES:
        raise too_big
    data = download(
        info, token=client.token, api_url=services.settings.slack_api_url, max_bytes=FILE_INPUT_MAX_BYTES
    )
    if len(data) > FILE_INPUT_MAX_BYTES:
        raise too_big
    try:
        parsed = parse_bytes(data, name=info.name)
    except CsvFormatError as exc:
        raise FileProblemError(str(exc)) from None
    return Upload(info.id, info.name, hashlib.sha256(data).hexdigest(), parsed)


def _preview(
    services: Services, upload: Upload, team_id: str, user_id: str, *, changed: bool = False
) -> View:
    preview = preview_import(services.engine, upload.parsed, team_id, actor=user_id, source=upload.name)
    ref = ImportPreviewRef(
        team_id=team_id,
        file_id=upload.file_id,
        name=upload.name[:255],
        sha256=upload.sha256,
        data_version=preview.data_version,
        invalid=preview.result.invalid,
    )
    return preview_modal(preview.result, ref, changed=changed)


def _update(client: WebClient, view_id: str, view: View) -> None:
    # No hash: the ack just replaced the view, and Slack does not tell the new view's hash.
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:  # the person closed the modal meanwhile, most likely
        logger.info("could not update import modal %s: %s", view_id, exc.response.get("error"))


def _answer(ack: Ack, client: WebClient, view_id: str, work: Callable[[], View], *, working: View) -> None:
    """Ack with the view `work` makes when it is ready within the budget; else ack with `working`
    and put the view in with views.update once ready."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(work)
        try:
            ack(response_action="update", view=future.result(timeout=ACK_BUDGET_SECONDS))
            return
        except FutureTimeout:
            ack(response_action="update", view=working)
        try:
            view = future.result()
        except Exception:
            _update(client, view_id, problem_modal(WENT_WRONG))
            raise  # to the app's error handler, which logs it
    _update(client, view_id, view)


def _decode(kind: type[V], view: dict[str, Any]) -> V | None:
    try:
        return decode(kind, (view.get("private_metadata") or "")[:PRIVATE_METADATA_CHARS])
    except StaleValueError:
        return None


def import_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    if not is_admin(context, client, command["user_id"]):
        raise UserError(REFUSAL)
    ref = ImportUploadRef(team_id=workspace_of(context).team_id)
    client.views_open(trigger_id=command["trigger_id"], view=upload_modal(ref))


def upload_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """A file was chosen: read it and show what importing it would do."""
    block_id = BlockId.IMPORT_FILE_INPUT.value
    user_id = body["user"]["id"]
    team_id = workspace_of(context).team_id
    ref = _decode(ImportUploadRef, view)
    if ref is None or ref.team_id != team_id:
        ack(response_action="errors", errors={block_id: OUT_OF_DATE})
        return
    if not is_admin(context, client, user_id):
        ack(response_action="errors", errors={block_id: REFUSAL})
        return
    chosen = read_chosen_file((view.get("state") or {}).get("values") or {})
    if chosen is None:
        ack(response_action="errors", errors={block_id: "Choose the CSV file to import."})
        return
    file_id, name = chosen
    services = services_of(context)

    def work() -> View:
        try:
            upload = read_upload(services, client, file_id)
        except FileProblemError as exc:
            return upload_modal(ref, problem=str(exc))
        return _preview(services, upload, team_id, user_id)

    _answer(ack, client, view["id"], work, working=working_modal("Reading", name))


def preview_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """ "Import": write what the preview showed, or show the new preview when it no longer holds."""
    user_id = body["user"]["id"]
    team_id = workspace_of(context).team_id
    ref = _decode(ImportPreviewRef, view)
    if ref is None or ref.team_id != team_id:
        ack(response_action="update", view=problem_modal(OUT_OF_DATE))
        return
    if not is_admin(context, client, user_id):
        ack(response_action="update", view=problem_modal(REFUSAL))
        return
    skip_invalid = read_skip_invalid((view.get("state") or {}).get("values") or {})
    if ref.invalid and not skip_invalid:
        ack(response_action="errors", errors=needs_skip_error(ref.invalid))
        return
    services = services_of(context)

    def work() -> View:
        try:
            upload = read_upload(services, client, ref.file_id)
        except FileProblemError as exc:
            return problem_modal(str(exc))
        result = None
        if upload.sha256 == ref.sha256:
            result = write_import(
                services.settings,
                services.engine,
                upload.parsed,
                team_id,
                actor=user_id,
                source=upload.name,
                via=ImportVia.SLACK,
                skip_invalid=skip_invalid,
                expected_version=ref.data_version,
            )
        if result is None:  # not what the person saw: show what Import would do now
            return _preview(services, upload, team_id, user_id, changed=True)
        if result.rejected or not result.member_emails:
            return done_modal(result)
        links = link_partner_members(services.engine, client, result)
        return done_modal(result, linked=links.linked, link_problems=links.problems)

    _answer(ack, client, view["id"], work, working=working_modal("Importing", ref.name))


def register(app: App) -> None:
    # Before handlers.renewals: this listener takes only `/renewals import`.
    app.command("/renewals", matchers=[is_import_command])(import_command)
    app.view(ViewId.IMPORT_UPLOAD.value)(upload_submitted)
    app.view(ViewId.IMPORT_PREVIEW.value)(preview_submitted)
