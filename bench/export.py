"""What the benchmarks share: an export shaped like the partner dashboard's, and a scratch database.

The export is what a partner agency really downloads: 1 to 4 contract changes per client
(2.5 on average), every column filled, 2 to 6 contacts per client with the primary one
among them, 1 to 4 products, unicode names (accents, CJK, emoji), money in USD, EUR and
GBP written every way the import reads (`$1,200.50`, `EUR 1200.50`, `1200.50 GBP`, `€12`),
and owners that are HubSpot, the partner, or one of twenty partner members by email
(member0 owns one client in ten).
Renewal start dates spread from 30 days ago to a year ahead of `today`, so about a third
of the rows fall in the 120-day window of a run made that day.
"""

from __future__ import annotations

import contextlib
import csv
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.db import make_engine

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
# Client names are three of these and a number: "Harbor" is in about one client name in ten.
WORDS = (
    "Acme", "Bäckerei", "Café", "Núñez", "Zürich", "Søren", "Łódź", "Crème", "Brûlée", "Harbor", "Pine",
    "Summit", "Blue", "Heron", "北京", "東京", "Ørsted", "São", "Paulo", "Ñandú", "Élodie", "Coastal",
    "Kitchen", "Dental", "Legal", "Realty", "Studio", "Wines", "Clinic", "Outfitters", "🚀", "Group",
)  # fmt: skip
FIRST = ("Ana", "Ben", "Chloé", "David", "Elif", "Fatima", "Greta", "Hiro", "Inés", "Jonas", "Kwame", "Łucja")
LAST = ("Novak", "Rossi", "Schmidt", "Dubois", "Okafor", "Larsen", "Silva", "Kowalski", "Nguyen", "Müller")
STATUSES = ("Pending", "Renewed", "Confirmed", "Cancellation requested")
STATUS_WEIGHTS = (5, 2, 1, 2)
BILLING = ("Monthly", "Quarterly", "Semi-annual", "Annual", "Other (18 months)")
PRODUCTS = ("Marketing Hub Pro", "Sales Hub Starter", "Service Hub Pro", "Content Hub", "Operations Hub")
MEMBERS = 20  # partner members named as owners, member0 … member19
# How each currency is written: the cell formats a real export mixes.
MONEY_FORMATS = {
    "USD": ("${:,.2f}", "USD {:.2f}", "{:.2f}"),
    "EUR": ("€{:.2f}", "EUR {:,.2f}", "{:.2f} EUR"),
    "GBP": ("£{:.2f}", "GBP {:.2f}", "{:,.2f} GBP"),
}
FIRST_HUB_ID = 10_000_000
WINDOW_DAYS = 120  # the upcoming-renewals window (store.rules.UPCOMING_WINDOW_DAYS)


def member_email(index: int, domain: str = "agency.example") -> str:
    return f"member{index}@{domain}"


def money_cell(rng: random.Random, amount: Decimal, currency: str) -> str:
    return rng.choice(MONEY_FORMATS[currency]).format(amount)


@dataclass
class ExportSummary:
    """What a benchmark needs to know about the export it wrote."""

    rows: int = 0
    clients: int = 0
    first_client: str = ""  # a real client name, for `/renewal <client>`
    in_window: int = 0  # rows whose renewal start date is in the 120-day window from `today`


def _changes(rng: random.Random, today: date) -> list[tuple[str, date]]:
    """A client's contract changes: (type, renewal start date), never the same key twice."""
    renewal = today + timedelta(days=rng.randint(-30, 365))
    candidates = [
        ("Renewal", renewal),
        ("Contact tier upgrade", today + timedelta(days=rng.randint(-30, 365))),
        ("Email overage", today + timedelta(days=rng.randint(-30, 365))),
        ("Renewal", renewal + timedelta(days=365)),  # next year's, already in the export
    ]
    return candidates[: rng.randint(1, 4)]


def generate_rows(
    count: int,
    *,
    today: date,
    seed: int = 7,
    changed_every: int = 0,
    mixed_currencies: bool = False,
    member_domain: str = "agency.example",
    summary: ExportSummary | None = None,
) -> Iterator[list[str]]:
    """`count` rows of a realistic export.

    `changed_every`: every n-th row gets another status and MRR (a re-export after changes).
    `mixed_currencies`: one client in eight renews in another currency than it pays now
    (`€9,311.75` current, `GBP 2368.68` estimated new).
    `summary`, when given, counts what was generated as the rows are consumed.
    """
    rng = random.Random(seed)
    owners = ["HubSpot", "Partner", *(member_email(i, member_domain) for i in range(MEMBERS))]
    # member0 (the benchmark's own person) owns one client in ten, the other members 40 % between them.
    owner_weights = [30, 20, 10, *([40 / (MEMBERS - 1)] * (MEMBERS - 1))]
    summary = summary if summary is not None else ExportSummary()
    client = 0
    while summary.rows < count:
        client += 1
        name = " ".join(rng.sample(WORDS, 3)) + f" {client}"
        domain = f"client{client}.example.com"
        people = [
            f"{rng.choice(FIRST)} {rng.choice(LAST)} <p{i}.c{client}@{domain}>"
            for i in range(rng.randint(2, 6))
        ]
        owner = rng.choices(owners, owner_weights)[0]
        products = "; ".join(rng.sample(PRODUCTS, rng.randint(1, 4)))
        currency = "EUR" if client % 7 == 0 else "GBP" if client % 11 == 0 else "USD"
        new_currency = "GBP" if currency != "GBP" else "EUR"
        renews_elsewhere = mixed_currencies and client % 8 == 0
        contacts_used, emails_sent = rng.randint(0, 1000), rng.randint(0, 100_000)
        summary.clients += 1
        summary.first_client = summary.first_client or name
        for contract_type, start in _changes(rng, today):
            if summary.rows >= count:
                break
            summary.rows += 1
            summary.in_window += 0 <= (start - today).days <= WINDOW_DAYS
            mrr = Decimal(rng.randrange(10_000, 900_000)) / 100
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            if changed_every and summary.rows % changed_every == 0:
                status = "Cancellation requested" if status != "Cancellation requested" else "Pending"
                mrr += Decimal("0.01")
            new_mrr = (mrr * Decimal("1.05")).quantize(Decimal("0.01"))
            yield [
                name,
                str(FIRST_HUB_ID + client),
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
                money_cell(rng, mrr, currency),
                money_cell(rng, new_mrr, new_currency if renews_elsewhere else currency),
                "; ".join(people),
                products,
                str(contacts_used),
                str(emails_sent),
            ]


def write_csv(path: Path, rows: Iterable[list[str]]) -> None:
    """An export file: the header, then `rows` (from `generate_rows`)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)


@contextlib.contextmanager
def scratch_database(url: str | None, folder: Path) -> Iterator[str]:
    """A database URL for one benchmark run.

    No `url`: a SQLite file in `folder`. A PostgreSQL server URL: a database of its own on
    that server, dropped afterwards (even when the benchmark fails).
    """
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
