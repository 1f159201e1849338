"""`renewals-bot demo`: a realistic sample in the database, and what Slack would show for it.

The sample is written as the partner dashboard's CSV export and loaded through the
importer, the same path as `renewals-bot import`, into workspace T0DEMO. Dates are
relative to today, so some deadlines are close, some have passed (those pending
renewals have renewed by themselves) and some are months away. Running the demo again
changes nothing; on a later day, sample rows from earlier days are replaced.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from rich.console import Console
from rich.text import Text

from blocks.renewals import PAGE_SIZE
from bot.cli.terminal import make_console, print_renewals
from bot.settings import Settings
from store.clients import end_association, find_clients
from store.columns import visible_columns
from store.csv_format import Col, parse_csv
from store.db import make_engine, migrate, session_scope
from store.importer import import_parsed
from store.rules import fold, renewal_deadline
from store.sample_data import remove_changes_except
from store.upcoming import RenewalQuery, upcoming_view
from store.workspaces import get_workspace

DEMO_TEAM = "T0DEMO"
DEMO_ACTOR = "cli:demo"
SEED = 20_181_217  # any constant: the same sample every run

PARTNER_TEAM = (
    "María García <maria.garcia@northwind.agency>",
    "Tom Becker <tom.becker@northwind.agency>",
    "Aiko Tanaka <aiko.tanaka@northwind.agency>",
    "Sam Okafor <sam.okafor@northwind.agency>",
)
# (client name, country code): EU clients pay in euros.
CLIENTS: tuple[tuple[str, str], ...] = (
    ("Acme Analytics", "US"),
    ("Bäckerei Müller", "DE"),
    ("Café Núñez", "ES"),
    ("Brightwave Dental", "US"),
    ("Château Lumière Wines", "FR"),
    ("Harbor & Pine Realty", "US"),
    ("Zürich Private Clinic", "CH"),
    ("Blue Heron Outfitters", "US"),
    ("Ølstue Brewing Co.", "DK"),
    ("Greenleaf Organics", "US"),
    ("Crème de la Crème Bakery", "FR"),
    ("Summit Legal Partners", "US"),
    ("Łódź Design Studio", "PL"),
    ("Maple Street Dentistry", "CA"),
    ("Peak Performance Gym", "US"),
    ("Sørensen Furniture", "DK"),
    ("Coastal Kitchen Supply", "US"),
    ("São Paulo Coffee Roasters", "BR"),
    ("Riverbend Veterinary", "US"),
    ("Atelier Élodie", "FR"),
    ("Northstar Logistics", "US"),
    ("Gasthaus Zur Linde", "AT"),
    ("Evergreen Senior Living", "US"),
    ("Lumen Solar Installers", "US"),
    ("Fjällräven Trails Tours", "SE"),
    ("Oakridge Family Law", "US"),
    ("Pâtisserie Aurélie", "FR"),
    ("Redwood Financial Advisors", "US"),
    ("Señorita Tacos", "MX"),
    ("Silverline HVAC", "US"),
    ("Kaffeehaus Größl", "AT"),
    ("Tidewater Marine", "US"),
    ("Blossom Floral Design", "US"),
    ("Cartwright Engineering", "GB"),
    ("Dolce Vita Gelateria", "IT"),
    ("Elmwood Pediatrics", "US"),
    ("Forge Fitness Equipment", "US"),
    ("Góra Mountain Guides", "PL"),
    ("Hillside Orthodontics", "US"),
    ("Ironclad Roofing", "US"),
    ("Jardín Botánico Tours", "ES"),
    ("Keystone Insurance Group", "US"),
    ("Lakeshore Yoga Studio", "US"),
    ("Møller Architects", "NO"),
    ("Nimbus Cloud Consulting", "US"),
    ("Orchard Lane Preschool", "US"),
    ("Praxis Dr. Weiß", "DE"),
    ("Quarry Stone Countertops", "US"),
    ("Rosewood Boutique Hotel", "GB"),
    ("Saltwater Surf School", "AU"),
    ("Trattoria Nonna Lucía", "IT"),
    ("Upland Craft Spirits", "US"),
    ("Vértice Arquitectura", "ES"),
    ("Willow Creek Vineyards", "US"),
    ("Xpress Auto Detailing", "US"),
    ("Yellowbird Marketing Co.", "US"),
    ("Zenith Physical Therapy", "US"),
    ("Bjørk Skincare", "NO"),
    ("Cobalt Cybersecurity", "US"),
    ("Dünen Strandhotel", "DE"),
)
EURO_COUNTRIES = {"DE", "ES", "FR", "AT", "IT"}
ENDED = ("Silverline HVAC", "Kaffeehaus Größl", "Xpress Auto Detailing")  # associations the demo ends
FIRST_NAMES = ("Ana", "Ben", "Chloé", "David", "Elif", "Fatima", "Greta", "Hiro", "Inés", "Jonas", "Kwame")
LAST_NAMES = ("Novak", "Rossi", "Schmidt", "Dubois", "Okafor", "Larsen", "Silva", "Kowalski", "Nguyen")
PRODUCTS = (
    "Marketing Hub Professional",
    "Marketing Hub Enterprise",
    "Sales Hub Starter",
    "Sales Hub Professional",
    "Service Hub Professional",
    "Content Hub Starter",
    "Operations Hub Starter",
)
TIERS = (1_000, 2_000, 5_000, 10_000, 25_000)
BILLING = ("Monthly", "Quarterly", "Semi-annual", "Annual", "Annual", "Other (18 months)")
TERMS = {"Monthly": 1, "Quarterly": 3, "Semi-annual": 6, "Annual": 12, "Other (18 months)": 18}
HEADER = [
    Col.CLIENT_NAME.value,
    Col.HUB_ID.value,
    Col.WEBSITE.value,
    Col.OWNER.value,
    Col.PRIMARY_CONTACT.value,
    Col.CONTRACT_TYPE.value,
    Col.STATUS.value,
    Col.START_DATE.value,
    Col.DEADLINE.value,
    Col.MAX_CONTACTS.value,
    Col.EMAIL_LIMIT.value,
    Col.BILLING_FREQUENCY.value,
    Col.SUBSCRIPTION_TERM.value,
    Col.CURRENT_MRR.value,
    Col.ESTIMATED_NEW_MRR.value,
    Col.CONTACTS.value,
    Col.PRODUCTS.value,
    Col.CONTACTS_USED.value,
    Col.EMAILS_SENT.value,
]


@dataclass(frozen=True)
class _Change:
    contract_type: str
    status: str
    start_in_days: int


# The first clients' renewals are placed by hand so every kind of row is in the sample:
# deadlines today, tomorrow and this week; passed deadlines (pending renewals that have
# renewed by themselves); every contract type and status; and some beyond the 120 days.
_PLACED: dict[int, list[_Change]] = {
    0: [_Change("Renewal", "Pending", 45), _Change("Contact tier upgrade", "Pending", 48)],
    1: [_Change("Renewal", "Pending", 46)],
    2: [_Change("Renewal", "Cancellation requested", 50), _Change("Email overage", "Pending", 52)],
    3: [_Change("Renewal", "Pending", 20)],  # deadline passed: shown as renewed
    4: [_Change("Renewal", "Renewed", 30), _Change("Contact upgrade", "Confirmed", 35)],
    5: [_Change("Email overage", "Confirmed", 58)],
    6: [_Change("Renewal", "Pending", 10)],  # deadline passed: shown as renewed
    7: [_Change("Renewal", "Pending", 53), _Change("Email overage", "Cancellation requested", 55)],
    8: [_Change("Renewal", "Pending", 150)],  # beyond the 120-day window
}


# Letters that do not fold to ASCII by dropping accents.
_ASCII = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "þ": "th"})


def _slug(name: str) -> str:
    """'Sørensen Furniture' -> 'sorensenfurniture' (for made-up domains and emails)."""
    return "".join(ch for ch in fold(name).translate(_ASCII) if ch.isascii() and ch.isalnum())


def _money(amount: Decimal, euro: bool, style: int) -> str:
    # The export's money comes in several spellings; the importer reads them all exactly.
    if euro:
        return (f"€{amount:,.2f}", f"{amount:.2f} EUR", f"EUR {amount:,.2f}")[style % 3]
    return (f"${amount:,.2f}", f"USD {amount:.2f}", f"{amount:.2f}")[style % 3]


def _changes(index: int, rng: random.Random) -> list[_Change]:
    if index in _PLACED:
        return _PLACED[index]
    changes = [
        _Change(
            "Renewal",
            rng.choices(("Pending", "Renewed", "Cancellation requested"), (7, 2, 1))[0],
            rng.randint(5, 175),
        )
    ]
    if rng.random() < 0.3:
        changes.append(
            _Change("Contact tier upgrade", rng.choice(("Pending", "Confirmed")), rng.randint(46, 120))
        )
    if rng.random() < 0.2:
        changes.append(_Change("Email overage", rng.choice(("Pending", "Confirmed")), rng.randint(46, 120)))
    return changes


def sample_rows(today: date) -> Iterator[list[str]]:
    """The demo's export, one contract change per row, dates relative to `today`."""
    rng = random.Random(SEED)
    for index, (name, country) in enumerate(CLIENTS):
        euro = country in EURO_COUNTRIES
        hub_id = str(20_400_000 + index * 7_919)
        domain = f"{_slug(name)}.{country.lower() if country != 'US' else 'com'}"
        people = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 4))]
        contacts = [f"{person} <{'.'.join(map(_slug, person.split()))}@{domain}>" for person in people]
        owner = rng.choices(("HubSpot", "Partner", *PARTNER_TEAM), (4, 1, 2, 2, 2, 1))[0]
        products = "; ".join(rng.sample(PRODUCTS, rng.randint(1, 3)))
        tier = rng.choice(TIERS)
        email_limit = tier * 10
        billing = rng.choice(BILLING)
        mrr = Decimal(rng.randrange(30_000, 800_000, 50)) / 100
        for number, change in enumerate(_changes(index, rng)):
            start = today + timedelta(days=change.start_in_days)
            upgrade = change.contract_type != "Renewal"
            new_tier = TIERS[min(TIERS.index(tier) + 1, len(TIERS) - 1)] if upgrade else tier
            new_mrr = (mrr * (Decimal("1.25") if upgrade else Decimal("1.05"))).quantize(Decimal("0.01"))
            yield [
                name,
                hub_id,
                domain,
                owner,
                contacts[0],
                change.contract_type,
                change.status,
                start.isoformat(),
                renewal_deadline(start).isoformat(),
                str(new_tier),
                str(email_limit),
                billing,
                str(TERMS[billing]),
                _money(mrr, euro, index + number),
                _money(new_mrr, euro, index + number + 1),
                "; ".join(contacts),
                products,
                str(rng.randint(tier // 3, tier)),
                str(rng.randint(email_limit // 4, email_limit)),
            ]


def sample_csv(today: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(sample_rows(today))
    return out.getvalue()


def load_sample(settings: Settings, today: date) -> str:
    """Put the sample in the database (idempotent); returns one line saying what happened."""
    parsed = parse_csv(sample_csv(today), name="the demo sample")
    keys = {row.key for row in parsed.rows}
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            workspace = get_workspace(DEMO_TEAM, session=session)
            removed = remove_changes_except(workspace, keys, session=session) if workspace is not None else 0
            result = import_parsed(parsed, DEMO_TEAM, session=session, actor=DEMO_ACTOR, source="demo sample")
            workspace = get_workspace(DEMO_TEAM, session=session)
            assert workspace is not None
            ended = 0
            for name in ENDED:
                for client in find_clients(name, session=session, workspace=workspace).matches[:1]:
                    ended += end_association(
                        client, session=session, actor=DEMO_ACTOR, reason="Moved to another agency"
                    )
    finally:
        engine.dispose()
    parts = [
        f"{result.created} contract changes created",
        f"{result.updated} updated",
        f"{result.unchanged} unchanged",
    ]
    if removed:
        parts.append(f"{removed} from an earlier day's sample removed")
    if ended:
        parts.append(f"{ended} associations ended")
    return f"Demo workspace {DEMO_TEAM} in {_safe_url(settings.database_url)}: {len(CLIENTS)} clients; " + (
        ", ".join(parts)
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def show_renewals(settings: Settings, today: date, console: Console) -> None:
    """Print what `/renewals` shows a person who never chose columns."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            workspace = get_workspace(DEMO_TEAM, session=session)
            assert workspace is not None
            view = upcoming_view(workspace, RenewalQuery(), session=session, today=today, page_size=PAGE_SIZE)
    finally:
        engine.dispose()
    print_renewals(console, view, visible_columns(None))


def show_digest(settings: Settings, today: date, console: Console) -> None:
    from bot.cli.digest_command import print_digest_preview

    engine = make_engine(settings.database_url)
    try:
        print_digest_preview(engine, team_id=DEMO_TEAM, day=today, console=console)
    finally:
        engine.dispose()


def run_demo(settings: Settings, *, today: date | None = None) -> int:
    today = today or date.today()
    console = make_console()
    console.print(Text(load_sample(settings, today)))
    console.print()
    console.rule(Text("/renewals", style="bold"))
    show_renewals(settings, today, console)
    console.print()
    show_digest(settings, today, console)
    console.print()
    console.print(
        Text(
            "Next: import your own export with `renewals-bot import FILE.csv --team T…`, "
            "then `renewals-bot serve` with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set.",
            style="dim",
        )
    )
    return 0
