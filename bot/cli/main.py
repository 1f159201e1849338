"""`renewals-bot`: serve, import, digest, reminders, demo.

A bad argument, a missing setting or an unusable database ends in one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import UserError
from store.db import SchemaError


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _utc_moment(value: str) -> datetime:
    from bot.cli.reminders_command import parse_now

    try:
        return parse_now(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="renewals-bot",
        description="Keep your clients' upcoming contract renewals under control, in Slack.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_OneLineParser
    )

    serve = commands.add_parser("serve", help="run the Slack app (HTTP, or Socket Mode with SLACK_APP_TOKEN)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=_port, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--no-scheduler", action="store_true", help="do not post scheduled digests")

    importing = commands.add_parser("import", help="import the partner dashboard's CSV export")
    importing.add_argument("file", type=Path, metavar="FILE.csv")
    importing.add_argument("--team", help="Slack team ID the rows belong to (default: the bot token's)")
    importing.add_argument(
        "--skip-invalid", action="store_true", help="write the valid rows and list the skipped ones"
    )

    digest = commands.add_parser("digest", help="post (or print) the daily digests due today")
    digest.add_argument("--channel", help="only this channel ID")
    digest.add_argument(
        "--date", type=_iso_date, dest="day", metavar="YYYY-MM-DD", help="act as if today were this date"
    )
    digest.add_argument("--dry-run", action="store_true", help="print instead of posting; records nothing")

    reminders = commands.add_parser("reminders", help="send (or print) the owner reminders due now")
    reminders.add_argument(
        "--now",
        type=_utc_moment,
        metavar="YYYY-MM-DDTHH:MMZ",
        help="act as if it were this moment, in UTC (default: now)",
    )
    reminders.add_argument("--dry-run", action="store_true", help="print instead of sending; records nothing")

    commands.add_parser("demo", help="fill the database with a sample and show what Slack would show")
    return parser


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Alembic announces every check at INFO; an up-to-date database is not news.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    from bot.settings import load_settings

    settings = load_settings()
    match args.command:
        case "serve":
            from bot.slack.server import serve

            return serve(settings, host=args.host, port=args.port, scheduler=not args.no_scheduler)
        case "import":
            from bot.cli.import_command import run_import

            return run_import(settings, args.file, team=args.team, skip_invalid=args.skip_invalid)
        case "digest":
            from bot.cli.digest_command import run_digest

            return run_digest(settings, channel=args.channel, day=args.day, dry_run=args.dry_run)
        case "reminders":
            from bot.cli.reminders_command import run_reminders

            return run_reminders(settings, now=args.now, dry_run=args.dry_run)
        case "demo":
            from bot.cli.demo import run_demo

            return run_demo(settings)
    raise AssertionError(args.command)


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: list[str] | None = None) -> NoReturn:
    try:
        code = run(argv)
    except (UserError, SchemaError) as exc:
        print(f"renewals-bot: {exc}", file=sys.stderr)
        code = getattr(exc, "exit_code", 1)
    except SQLAlchemyError as exc:
        # The commands turn the database failures they expect into their own line; this is the
        # net for the rest (a database that vanished or changed under a running command).
        print(f"renewals-bot: the database failed: {_first_line(exc)}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
