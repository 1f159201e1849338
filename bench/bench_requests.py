"""Time the app from the outside at a chosen size: import, requests, digests, memory.

    python -m bench.bench_requests --changes 10000                 # one workspace, SQLite
    python -m bench.bench_requests --changes 100000 --requests 20
    python -m bench.bench_requests --changes 1000000 --workspaces 100 \\
        --database-url postgresql://postgres@127.0.0.1:5432/postgres

One run does everything, through the app's own outside only (the `renewals-bot` console
script and HTTP), so it measures what a person and an operator see:

1. writes an export shaped like a real one per workspace (bench/export.py),
2. imports each with `renewals-bot import FILE --team T` (process start to exit; peak RSS),
3. starts a fake Slack Web API (tests/fake_slack.py) and `renewals-bot serve --no-scheduler`,
4. sends signed requests over loopback, round-robin over the request kinds, one at a time:
   the latency of one is from sending it until the fake Slack receives the app's answer
   on that request's own response_url (the app acks at once and answers there),
5. subscribes channels with signed `/renewals digest on weekends` commands, then times
   `renewals-bot digest --dry-run --date D` and `renewals-bot digest --date D`,
6. reads the server's peak memory (VmHWM), and prints one markdown table of it all.

Progress goes to stderr, the report to stdout. The exit status is 1 when anything failed
(a request not answered or answered with an error, a payload Slack would reject, a
command that exited non-zero), so a tiny run is a test that the whole path works.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.export import ExportSummary, generate_rows, scratch_database, write_csv
from bench.processes import Server, progress, run_cli
from bench.report import Figures, header, load_average, report
from bench.slack import (
    BenchSlack,
    SlackAppClient,
    Workspace,
    add_people,
    app_env,
    measure_requests,
    subscribe_channels,
)
from store.db import make_engine, migrate


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000, help="contract changes in all (10000)")
    parser.add_argument("--workspaces", type=int, default=1, help="split over this many workspaces (1)")
    parser.add_argument("--requests", type=int, default=150, help="timed requests of each kind (150)")
    parser.add_argument("--channels", type=int, default=1000, help="channels subscribed to a digest (1000)")
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: a temporary SQLite file)")
    parser.add_argument(
        "--mixed-currencies",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="one client in eight renews in another currency, as real exports have (on)",
    )
    parser.add_argument("--keep", metavar="FOLDER", help="write the exports, outputs and logs here")
    parser.add_argument("--reply-timeout", type=float, default=300, help="seconds to wait for one reply")
    parser.add_argument(
        "--command-timeout", type=float, default=1800, help="seconds before one CLI command is stopped"
    )
    args = parser.parse_args(argv)
    if args.changes < args.workspaces or args.workspaces < 1:
        parser.error("--changes must be at least --workspaces (and that at least 1)")
    if args.requests < 1 or args.channels < 0:
        parser.error("--requests must be at least 1 and --channels at least 0")
    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        parser.error(f"--keep {args.keep}: the folder is not empty (a run starts from nothing)")
    return args


def write_exports(
    args: argparse.Namespace, folder: Path, fake: BenchSlack, figures: Figures
) -> list[tuple[Workspace, Path]]:
    """One export per workspace (different clients in each), and its people in the fake Slack."""
    start = time.perf_counter()
    exports = []
    per_workspace, extra = divmod(args.changes, args.workspaces)
    for index in range(args.workspaces):
        workspace = Workspace(index, ExportSummary())
        path = folder / f"export-{index}.csv"
        rows = generate_rows(
            per_workspace + (1 if index < extra else 0),
            today=figures.day,
            seed=index + 7,
            mixed_currencies=args.mixed_currencies,
            member_domain=workspace.member_domain,
            summary=workspace.summary,
        )
        write_csv(path, rows)
        add_people(fake, workspace)
        exports.append((workspace, path))
        figures.clients += workspace.summary.clients
        figures.in_window += workspace.summary.in_window
        figures.csv_mb += path.stat().st_size / 1e6
    fake.team_id = exports[0][0].team_id  # the bot token's own workspace (auth.test)
    progress(f"wrote {args.changes:,} rows ({figures.csv_mb:.1f} MB) in {time.perf_counter() - start:.1f} s")
    return exports


def import_exports(
    args: argparse.Namespace,
    exports: list[tuple[Workspace, Path]],
    *,
    env: dict[str, str],
    folder: Path,
    figures: Figures,
) -> None:
    """`renewals-bot import FILE --team T`, one process per workspace, one after the other."""
    for workspace, path in exports:
        done = run_cli(
            ["import", str(path), "--team", workspace.team_id],
            env=env,
            folder=folder,
            name=f"import-{workspace.index}",
            timeout=args.command_timeout,
        )
        if done.status != 0:
            tail = done.output.read_text(errors="replace")[-2000:]
            raise SystemExit(f"renewals-bot import exited {done.status}:\n{tail}")
        figures.import_seconds += done.seconds
        figures.import_peak_mb = max(figures.import_peak_mb, done.peak_mb)
        if len(exports) > 1 and (workspace.index + 1) % 10 == 0:
            progress(f"imported {workspace.index + 1} of {len(exports)} workspaces")
    progress(f"imported in {figures.import_seconds:.1f} s")


def serve_requests(
    args: argparse.Namespace,
    workspaces: list[Workspace],
    *,
    fake: BenchSlack,
    env: dict[str, str],
    folder: Path,
    figures: Figures,
) -> None:
    """Start the server; time the requests; subscribe the channels; read the server's peak memory."""
    server = Server(env, folder)
    try:
        figures.start_seconds = server.wait_healthy()
        figures.start_mb = server.memory_mb("VmRSS")
        progress(f"serve answered /healthz after {figures.start_seconds:.1f} s")
        client = SlackAppClient(server.base_url, fake, None, None, None)
        figures.kinds = measure_requests(
            client, fake, workspaces[0], count=args.requests, timeout=args.reply_timeout
        )
        figures.errors += [f"{kind.label}: {error}" for kind in figures.kinds for error in kind.errors]
        figures.subscribe_seconds, problems = subscribe_channels(
            client, fake, workspaces, count=args.channels, timeout=args.reply_timeout
        )
        figures.errors += problems
        progress(f"subscribed {args.channels:,} channels in {figures.subscribe_seconds:.1f} s")
        figures.serve_peak_mb = server.memory_mb("VmHWM")
        if server.process.poll() is not None:
            figures.errors.append(f"renewals-bot serve exited during the run:\n{server.tail()}")
    finally:
        server.stop()
    # A listener that failed logs its traceback (and the person gets "something went wrong").
    failures = [line for line in server.log.read_text(errors="replace").splitlines() if "Traceback" in line]
    if failures:
        figures.errors.append(f"renewals-bot serve logged {len(failures)} tracebacks:\n{server.tail(40)}")


def post_digests(
    fake: BenchSlack, *, env: dict[str, str], folder: Path, timeout: float, figures: Figures
) -> None:
    """`digest --dry-run --date D` (build and print), then `digest --date D` (build and post)."""
    day = figures.day.isoformat()
    figures.built = run_cli(
        ["digest", "--dry-run", "--date", day], env=env, folder=folder, name="digest-dry-run", timeout=timeout
    )
    progress(f"digest --dry-run: {figures.built.seconds:.1f} s")
    figures.posted = run_cli(
        ["digest", "--date", day], env=env, folder=folder, name="digest", timeout=timeout
    )
    progress(f"digest: {figures.posted.seconds:.1f} s, {fake.counts['chat.postMessage']:,} messages")
    for name, done in (("digest --dry-run", figures.built), ("digest", figures.posted)):
        if done.status != 0 and not done.timed_out:
            tail = done.output.read_text(errors="replace")[-1000:]
            figures.errors.append(f"{name} exited {done.status}: {tail}")


def run(args: argparse.Namespace, folder: Path, fake: BenchSlack, url: str, figures: Figures) -> None:
    """The whole run, in order, into an empty database at `url`."""
    engine = make_engine(url)
    migrate(engine)  # the schema first, so the import's figure is the import's alone
    engine.dispose()
    env = app_env(fake, url)
    exports = write_exports(args, folder, fake, figures)
    import_exports(args, exports, env=env, folder=folder, figures=figures)
    workspaces = [workspace for workspace, _ in exports]
    serve_requests(args, workspaces, fake=fake, env=env, folder=folder, figures=figures)
    post_digests(fake, env=env, folder=folder, timeout=args.command_timeout, figures=figures)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_at_start = load_average()
    started_at = datetime.now(UTC)
    figures = Figures(day=started_at.date())
    with tempfile.TemporaryDirectory(prefix="rb-bench-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        fake = BenchSlack().start()
        try:
            with scratch_database(args.database_url, folder) as url:
                run(args, folder, fake, url, figures)
            lines = header(args, started_at, load_at_start) + report(args, figures, fake)
        finally:
            fake.stop()
    print("\n".join(lines))
    errors = figures.errors + fake.problems
    if errors:
        print("\nErrors:\n" + "\n".join(f"- {error}" for error in errors[:50]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
