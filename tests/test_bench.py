"""The request benchmark (bench/bench_requests.py) works end to end. Not a timed test: no speed is asserted.

It runs as a process, as a person runs it, at a tiny size: a few hundred contract changes,
a few requests of each kind, a few digest channels.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUEST_KINDS = (
    "`/renewals help` (floor)",
    "`/renewals`",
    "`/renewals Harbor`",
    "`/renewals status:pending type:renewal`",
    "`/renewals owner:me`",
    "Next (page 2 of `/renewals`)",
    "`/renewal-owner`",
    "`/renewal <client>`",
    "`/renewal harbr`",
    "`/renewal zzqqxx`",
    "`/renewals Harbour Reality`",
)
NUMBER = r"[\d,.]+"
TINY = ("--changes", "200", "--requests", "3", "--channels", "3")


def test_request_benchmark_at_a_tiny_size_reports_every_request_kind_and_the_digests() -> None:
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_requests", *TINY],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    for kind in REQUEST_KINDS:
        times, ratios = rf"{NUMBER} ms \| {NUMBER} ms", rf"{NUMBER} \| {NUMBER}"
        row = rf"^\| {re.escape(kind)} \| {times} \| {ratios} \| {NUMBER} ms \|$"
        assert re.search(row, done.stdout, re.MULTILINE), f"no figures for {kind}:\n{done.stdout}"
    posted = r"\| build and post them .* built in [\d.]+ s, posted in [\d.]+ s: 3 messages to 3 channels"
    assert re.search(posted, done.stdout), done.stdout
