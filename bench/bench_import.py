"""Time `renewals-bot import` on a big generated export.

    python -m bench.bench_import --rows 100000 [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Writes an N-row export shaped like a real one (bench/export.py: 2.5 contract changes and
4 contacts per client on average, unicode names, every column filled), then imports it
three times through `bot.cli.import_command.run_import`, the CLI's own code path, into a
fresh database:

1. into an empty database (everything created),
2. the same file again (everything unchanged, nothing written),
3. a copy with one row in ten changed (updates in place).

Each import runs in a forked process of its own; it prints its seconds and its peak
resident memory (ru_maxrss, which includes the ~70 MB of Python and libraries). Without --database-url it
uses a SQLite file in a temporary folder; with a PostgreSQL URL it creates a database
of its own on that server and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.export import generate_rows, scratch_database, write_csv
from bot.cli.import_command import run_import
from bot.settings import Settings

TEAM = "T0BENCH"


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def timed_import(settings: Settings, path: Path) -> tuple[float, str]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = run_import(settings, path, team=TEAM, skip_invalid=False)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"import failed with exit status {code}:\n{out.getvalue()}")
    summary = next((line.strip() for line in out.getvalue().splitlines() if "created," in line), "")
    return elapsed, summary


def _child(settings: Settings, path: Path, answers: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    seconds, summary = timed_import(settings, path)
    answers.put((seconds, summary, peak_rss_mb()))


def import_in_child(settings: Settings, path: Path) -> tuple[float, str, float]:
    """One import in a forked process, so each run's peak memory is its own."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_child, args=(settings, path, answers))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"the import process failed (exit status {child.exitcode})")
    return answers.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, changed = folder / "export.csv", folder / "export-changed.csv"
        start = time.perf_counter()
        today = date.today()
        write_csv(first, generate_rows(args.rows, today=today))
        write_csv(changed, generate_rows(args.rows, today=today, changed_every=10))
        size = first.stat().st_size / 1e6
        print(f"generated 2 x {args.rows:,} rows ({size:.1f} MB each) in {time.perf_counter() - start:.1f} s")
        baseline = peak_rss_mb()
        with scratch_database(args.database_url, folder) as url:
            backend = make_url(url).get_backend_name()
            settings = Settings(_env_file=None, database_url=url, slack_bot_token=None)  # type: ignore[call-arg]
            for label, path in (
                ("first import (empty database)", first),
                ("same file again", first),
                ("1 row in 10 changed", changed),
            ):
                seconds, summary, peak = import_in_child(settings, path)
                print(f"{backend:10} {label:30} {seconds:6.1f} s   peak RSS {peak:6.0f} MB   ({summary})")
        print(f"peak RSS of the process before importing (Python, libraries, generator): {baseline:.0f} MB")


if __name__ == "__main__":
    main()
