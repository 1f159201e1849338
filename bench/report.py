"""The benchmark's report: the machine, the figures, one markdown table to paste into the docs."""

from __future__ import annotations

import argparse
import os
import platform
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from math import ceil
from pathlib import Path

from sqlalchemy import text

from bench.processes import Finished
from bench.slack import BenchSlack, Kind
from store.db import make_engine


@dataclass
class Figures:
    """What one run measured, for the report."""

    day: date
    clients: int = 0
    in_window: int = 0
    csv_mb: float = 0.0
    import_seconds: float = 0.0
    import_peak_mb: float = 0.0
    start_seconds: float = 0.0
    start_mb: float = 0.0
    serve_peak_mb: float = 0.0
    kinds: list[Kind] = field(default_factory=list)
    subscribe_seconds: float = 0.0
    built: Finished | None = None
    posted: Finished | None = None
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (with 150 values p99 is the 149th; with 20 or fewer, the largest)."""
    ordered = sorted(values)
    return ordered[max(0, ceil(share * len(ordered)) - 1)]


def cpu_model() -> str:
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def ram_gb() -> float:
    with open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def postgres_version(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
    finally:
        engine.dispose()


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:,.1f}" if floor > 0 else "-"


def request_table(kinds: list[Kind], count: int) -> list[str]:
    floor = kinds[0]
    floor_p50 = percentile(floor.latencies, 0.5) if floor.latencies else 0.0
    floor_p99 = percentile(floor.latencies, 0.99) if floor.latencies else 0.0
    lines = [
        f"| request ({count} each, round-robin) | p50 | p99 | p50 / floor | p99 / floor | first (untimed) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        first = "-" if kind.first_ms is None else ms(kind.first_ms)
        if not kind.latencies:
            lines.append(f"| {kind.label} | failed | failed | - | - | {first} |")
            continue
        p50, p99 = percentile(kind.latencies, 0.5), percentile(kind.latencies, 0.99)
        ratios = f"{ratio(p50, floor_p50)} | {ratio(p99, floor_p99)}"
        lines.append(f"| {kind.label} | {ms(p50)} | {ms(p99)} | {ratios} | {first} |")
    return lines


def size_text(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1000:,.1f} kB"


# The line `renewals-bot digest` prints for each channel it posted to (bot/jobs/digest_runner.py),
# and its last line: the time spent building the digests, and the rest (claim, post, record).
POSTED_LINE = re.compile(r"posted (?:([\d,]+) of )?([\d,]+) contract changes? in (\d+) messages?")
SPLIT_LINE = re.compile(r"digests built in ([\d.]+) s, claimed, posted and recorded in ([\d.]+) s")


def digest_shape(output: Path) -> str:
    """ "each digest: 25 of 367 contract changes listed, in 1 message" (the mean over channels), or ""."""
    found = POSTED_LINE.findall(output.read_text(errors="replace"))
    if not found:
        return ""
    rows = sum(int(count.replace(",", "")) for _, count, _ in found) / len(found)
    listed = sum(int((shown or count).replace(",", "")) for shown, count, _ in found) / len(found)
    messages = sum(int(count) for _, _, count in found) / len(found)
    in_messages = f"{messages:,.0f} message{'' if messages == 1 else 's'}"
    return f" (each digest: {listed:,.0f} of {rows:,.0f} contract changes listed, in {in_messages})"


def digest_split(output: Path) -> str:
    """ "built in 0.31 s, posted in 18.2 s: " from the command's last line, or ""."""
    found = SPLIT_LINE.search(output.read_text(errors="replace"))
    return f"built in {found[1]} s, posted in {found[2]} s: " if found else ""


def digest_cell(done: Finished, detail: str) -> str:
    stopped = " (stopped: too long)" if done.timed_out else ""
    return f"{done.seconds:,.1f} s{stopped}, {detail}, peak {done.peak_mb:,.0f} MB"


def report(args: argparse.Namespace, figures: Figures, fake: BenchSlack) -> list[str]:
    """The markdown report: the data, the requests' table, the other figures, each kind's answer."""
    assert figures.built is not None and figures.posted is not None
    day = figures.day.isoformat()
    processes = f"{args.workspaces} process{'es' if args.workspaces > 1 else ''}"
    rate = args.changes / figures.import_seconds
    built = digest_cell(figures.built, f"{size_text(figures.built.output.stat().st_size)} of output")
    posted = digest_cell(
        figures.posted,
        digest_split(figures.posted.output)
        + f"{fake.counts['chat.postMessage']:,} messages to {len(fake.channels_posted):,} channels"
        + digest_shape(figures.posted.output),
    )
    return [
        f"Data: {args.changes:,} contract changes of {figures.clients:,} clients ({figures.in_window:,} "
        f"with a renewal start date in the 120-day window), {figures.csv_mb:.1f} MB of CSV; "
        f"mixed currencies {'on' if args.mixed_currencies else 'off'}.",
        "",
        *request_table(figures.kinds, args.requests),
        "",
        "| step | figure |",
        "|---|---|",
        f"| import (`renewals-bot import`, {processes}, start to exit) | {figures.import_seconds:,.1f} s, "
        f"{rate:,.0f} rows/s, peak {figures.import_peak_mb:,.0f} MB |",
        f"| `serve` start until `/healthz` answers | {figures.start_seconds:.1f} s, "
        f"{figures.start_mb:,.0f} MB |",
        f"| `serve` peak memory (VmHWM, after the requests) | {figures.serve_peak_mb:,.0f} MB |",
        f"| subscribe {args.channels:,} channels (`/renewals digest on weekends`, one at a time) "
        f"| {figures.subscribe_seconds:,.1f} s |",
        f"| build the digests (`digest --dry-run --date {day}`) | {built} |",
        f"| build and post them (`digest --date {day}`; its own split of the time) | {posted} |",
        "",
        "First answer of each request kind:",
        "",
        *(f"- {kind.label}: {kind.first_text[:160] or '(none)'}" for kind in figures.kinds),
    ]


def header(args: argparse.Namespace, started_at: datetime, load_at_start: str) -> list[str]:
    """The title, the machine and the load, as the first lines of the report."""
    backend = "PostgreSQL" if args.database_url else "SQLite"
    postgres = postgres_version(args.database_url) if args.database_url else "(not used)"
    workspaces = f"{args.workspaces} workspace{'s' if args.workspaces != 1 else ''}"
    return [
        f"### {args.changes:,} contract changes, {workspaces}, {backend}",
        "",
        f"{started_at:%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({cpu_model()}) · {ram_gb():.1f} GB RAM · "
        f"{platform.system()} {platform.release()} · Python {platform.python_version()} · "
        f"SQLite {sqlite3.sqlite_version} · PostgreSQL {postgres}",
        "",
        f"Load average (1 / 5 / 15 min): {load_at_start} at the start, {load_average()} at the end.",
        "",
    ]
