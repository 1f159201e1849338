"""Time `renewals-bot import` on a big generated export.

    python bench/bench_import.py --rows 100000 [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

Writes an N-row CSV (about three contract changes per client, unicode names, every
column filled), then imports it three times through `bot.cli.import_command.run_import`,
the CLI's own code path, into a fresh database:

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
import csv
import io
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli.import_command import run_import
from bot.settings import Settings
from store.db import make_engine

TEAM = "T0BENCH"
HEADER = [
    "Client name",
    "Hub ID",
    "Website",
    "Communication owner",
    "Primary client contact",
    "Contract type",
    "Status",
    "Renewal start date",
    "Renewal deadline",
    "Max contacts",
    "Email limit",
    "Billing frequency",
    "Subscription term",
    "Current MRR",
    "Estimated new MRR",
    "Contacts",
    "Products",
    "Contacts used",
    "Emails sent",
]
WORDS = (
    "Acme", "Bäckerei", "Café", "Núñez", "Zürich", "Søren", "Łódź", "Crème", "Brûlée", "Harbor", "Pine",
    "Summit", "Blue", "Heron", "北京", "東京", "Ørsted", "São", "Paulo", "Ñandú", "Élodie", "Coastal",
    "Kitchen", "Dental", "Legal", "Realty", "Studio", "Wines", "Clinic", "Outfitters", "🚀", "Group",
)  # fmt: skip
FIRST = ("Ana", "Ben", "Chloé", "David", "Elif", "Fatima", "Greta", "Hiro", "Inés", "Jonas", "Kwame", "Łucja")
LAST = ("Novak", "Rossi", "Schmidt", "Dubois", "Okafor", "Larsen", "Silva", "Kowalski", "Nguyen", "Müller")
TYPES = ("Renewal", "Contact tier upgrade", "Email overage")
STATUSES = ("Pending", "Renewed", "Confirmed", "Cancellation requested")
BILLING = ("Monthly", "Quarterly", "Semi-annual", "Annual", "Other (18 months)")
PRODUCTS = ("Marketing Hub Pro", "Sales Hub Starter", "Service Hub Pro", "Content Hub", "Operations Hub")


def generate_rows(count: int, *, seed: int = 7, changed_every: int = 0) -> Iterator[list[str]]:
    """`count` realistic rows; with `changed_every`, every n-th row gets another status and MRR."""
    rng = random.Random(seed)
    owners = ["HubSpot", "Partner", *(f"Member {i} <member{i}@agency.example>" for i in range(20))]
    today = date(2026, 1, 1)
    row = 0
    client = 0
    while row < count:
        client += 1
        name = " ".join(rng.sample(WORDS, 3)) + f" {client}"
        domain = f"client{client}.example.com"
        people = [f"{rng.choice(FIRST)} {rng.choice(LAST)} <p{i}.c{client}@{domain}>" for i in range(3)]
        owner = rng.choice(owners)
        products = "; ".join(rng.sample(PRODUCTS, 2))
        for contract_type in TYPES:
            if row >= count:
                break
            row += 1
            start = today + timedelta(days=rng.randint(0, 400))
            mrr = Decimal(rng.randrange(10_000, 900_000)) / 100
            status = rng.choice(STATUSES)
            if changed_every and row % changed_every == 0:
                status = "Cancellation requested" if status != "Cancellation requested" else "Pending"
                mrr += Decimal("0.01")
            currency = "EUR" if client % 7 == 0 else "USD"
            # About a quarter of real rows renew in another currency (each amount keeps its own).
            new_currency = "GBP" if client % 4 == 0 else currency
            yield [
                name,
                str(10_000_000 + client),
                domain,
                owner,
                people[0],
                contract_type,
                status,
                start.isoformat(),
                (start - timedelta(days=45)).isoformat(),
                str(rng.choice((1000, 2000, 5000, 10000))),
                str(rng.choice((10000, 50000, 100000))),
                rng.choice(BILLING),
                str(rng.choice((1, 3, 6, 12, 24))),
                f"{currency} {mrr:,.2f}",
                f"{mrr * Decimal('1.05'):.2f} {new_currency}",
                "; ".join(people),
                products,
                str(rng.randint(0, 1000)),
                str(rng.randint(0, 100000)),
            ]


def write_csv(path: Path, count: int, *, changed_every: int = 0) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(generate_rows(count, changed_every=changed_every))


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


@contextlib.contextmanager
def database(url: str | None, folder: Path) -> Iterator[str]:
    if url is None:
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"rb_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, changed = folder / "export.csv", folder / "export-changed.csv"
        start = time.perf_counter()
        write_csv(first, args.rows)
        write_csv(changed, args.rows, changed_every=10)
        size = first.stat().st_size / 1e6
        print(f"generated 2 x {args.rows:,} rows ({size:.1f} MB each) in {time.perf_counter() - start:.1f} s")
        baseline = peak_rss_mb()
        with database(args.database_url, folder) as url:
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
