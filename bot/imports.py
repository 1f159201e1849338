"""An import, start to end, whoever runs it: `renewals-bot import` and Slack's `/renewals import`.

    result = import_csv(settings, engine, data, file_name="export.csv", team_id="T0123",
                        actor="U0ADMIN", via=ImportVia.SLACK, skip_invalid=False, dry_run=False)

parses the bytes with the CLI's parser and validation (store.csv_format), writes and records
the import in one transaction (store.import_runs.record_import: all or nothing unless
`skip_invalid`), commits, then posts "What changed" to the workspace's digest channels when a
bot token is at hand (otherwise the running app's ticker does within a minute).
`dry_run=True` does all of it but rolls back and posts nothing: the preview of what the import
would do (created, updated, unchanged, invalid, removed, warnings, unknown columns).
A file that cannot be read, or a database that refuses, is a `UserError` (one line).
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.errors import UserError
from bot.jobs.import_alerts import announce_import
from bot.settings import Settings
from store.bulk_io import ImportProgress
from store.csv_format import CsvFormatError, ParsedFile, parse_bytes
from store.import_runs import ImportVia, record_import
from store.importer import ImportResult

logger = logging.getLogger(__name__)


def parse_file(data: bytes, file_name: str) -> ParsedFile:
    try:
        return parse_bytes(data, name=file_name)
    except CsvFormatError as exc:
        raise UserError(str(exc)) from None


def import_csv(
    settings: Settings,
    engine: Engine,
    data: bytes,
    *,
    file_name: str,
    team_id: str,
    actor: str,
    via: ImportVia = ImportVia.SLACK,
    skip_invalid: bool = False,
    dry_run: bool = False,
    announce: bool = True,
) -> ImportResult:
    """Parse `data` and import it (see the module docstring)."""
    return import_parsed_file(
        settings,
        engine,
        parse_file(data, file_name),
        file_name=file_name,
        team_id=team_id,
        actor=actor,
        via=via,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
        announce=announce,
    )


def import_parsed_file(
    settings: Settings,
    engine: Engine,
    parsed: ParsedFile,
    *,
    file_name: str,
    team_id: str,
    actor: str,
    via: ImportVia,
    skip_invalid: bool = False,
    dry_run: bool = False,
    announce: bool = True,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Import an already parsed file (the CLI parses first, to report a bad file before anything
    else); the rest as `import_csv`."""
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = record_import(
                    parsed,
                    team_id,
                    session=session,
                    actor=actor,
                    file_name=file_name,
                    via=via,
                    skip_invalid=skip_invalid,
                    progress=progress,
                )
                if dry_run:
                    session.rollback()
                    result.import_id = None
                else:
                    session.commit()
            except BaseException:
                session.rollback()
                raise
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise UserError(f"the database refused the import, nothing was written: {reason}") from None
    if announce and result.import_id is not None and result.what_changed.matters:
        try:
            announce_import(settings, engine, result.import_id)
        except Exception:
            # The import is saved; the running app's ticker tells the channels instead.
            logger.exception("what changed of import %s: not posted now, left to the app", result.import_id)
    return result
