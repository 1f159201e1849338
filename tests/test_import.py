"""The CSV import in the store: parsing, validation and the keyed upsert, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from store.clients import end_association
from store.csv_format import CsvFormatError, parse_bytes, parse_csv
from store.importer import ImportResult, import_parsed
from store.members import link_member, unlinked_members
from store.models import AuditEvent, Client, Contact, ContractChange, PartnerMember, Workspace
from store.rules import BillingFrequency, ContractType, OwnerKind, Status
from store.types import utcnow
from tests.factories import add_member

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


def row(**cells: str) -> dict[str, str]:
    """A valid row; keyword names are headers with spaces as underscores (Hub_ID=...)."""
    base = {
        "Client name": "Acme Analytics",
        "Hub ID": "1001",
        "Contract type": "Renewal",
        "Status": "Pending",
        "Renewal start date": "2027-03-01",
    }
    base.update({key.replace("_", " "): value for key, value in cells.items()})
    return base


def csv_text(*rows: dict[str, str], header: list[str] | None = None) -> str:
    header = header or [h for h in HEADER if any(h in r for r in rows)] or HEADER[:8]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run(text: str, session: Session, team_id: str = "T0TEAM1", *, skip_invalid: bool = False) -> ImportResult:
    result = import_parsed(
        parse_csv(text),
        team_id,
        session=session,
        actor="cli:import:test",
        source="t.csv",
        skip_invalid=skip_invalid,
    )
    session.commit()
    return result


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show an import wrote nothing at all."""
    tables = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


def changes_of(session: Session, hub_id: str) -> list[ContractChange]:
    session.expire_all()
    return list(
        session.exec(
            select(ContractChange)
            .join(Client, col(Client.id) == col(ContractChange.client_id))
            .where(Client.hub_id == hub_id)
            .order_by(col(ContractChange.renewal_start_date))
        )
    )


def client_of(session: Session, hub_id: str, team_id: str = "T0TEAM1") -> Client:
    session.expire_all()
    return session.exec(
        select(Client)
        .join(Workspace, col(Workspace.id) == col(Client.workspace_id))
        .where(Client.hub_id == hub_id, Workspace.team_id == team_id)
    ).one()


def contacts_of(session: Session, client: Client) -> dict[str, str | None]:
    return {c.email: c.name for c in session.exec(select(Contact).where(Contact.client_id == client.id))}


def amounts(change: ContractChange) -> tuple[Decimal | str | None, ...]:
    """(current MRR, its currency, estimated new MRR, its currency), as stored."""
    return (
        change.current_mrr,
        change.current_mrr_currency,
        change.estimated_new_mrr,
        change.estimated_new_mrr_currency,
    )


FULL_ROW = row(
    Client_name="Café Núñez",
    Hub_ID="1001",
    Website="https://www.CafeNunez.es/contact",
    Communication_owner="Ana García <Ana@Agency.example>",
    Primary_client_contact="Luis Núñez <luis@cafenunez.es>",
    Contract_type="Renewal",
    Status="Pending",
    Renewal_start_date="2027-03-01",
    Renewal_deadline="2027-01-15",
    Max_contacts="2,000",
    Email_limit="20000",
    Billing_frequency="Other (18 months)",
    Subscription_term="18",
    Current_MRR="€1,200.50",
    Estimated_new_MRR="1300.75 EUR",
    Contacts='Marta Ruiz <marta@cafenunez.es>; "Núñez, Luis" <luis@cafenunez.es>',
    Products="Marketing Hub Pro; Sales Hub; Marketing Hub Pro",
    Contacts_used="1,500",
    Emails_sent="12000",
)


def test_a_good_file_creates_clients_contacts_and_contract_changes(
    session: Session, workspace: Workspace
) -> None:
    upgrade = row(
        Hub_ID="1001", Client_name="Café Núñez", Contract_type="Contact upgrade", Status="Confirmed"
    )
    acme = row(
        Hub_ID="2002", Communication_owner="HubSpot", Current_MRR="$99.99", Status="Cancellation requested"
    )
    result = run(csv_text(FULL_ROW, upgrade, acme, header=HEADER), session)

    assert (result.created, result.updated, result.unchanged, result.invalid) == (3, 0, 0, 0)
    assert (result.clients_created, result.members_added) == (2, 1)
    cafe = client_of(session, "1001")
    assert cafe.name == "Café Núñez" and cafe.name_folded == "cafe nunez"
    assert cafe.domain == "www.cafenunez.es"
    assert cafe.products == ["Marketing Hub Pro", "Sales Hub"]
    assert (cafe.contacts_used, cafe.emails_sent) == (1500, 12000)
    member = session.get(PartnerMember, cafe.owner_member_id)
    assert cafe.owner_kind is OwnerKind.PARTNER and member is not None
    assert (member.email, member.name) == ("ana@agency.example", "Ana García")
    primary = session.get(Contact, cafe.primary_contact_id)
    assert primary is not None and primary.email == "luis@cafenunez.es"
    assert contacts_of(session, cafe) == {
        "marta@cafenunez.es": "Marta Ruiz",
        "luis@cafenunez.es": "Núñez, Luis",
    }

    renewal, contact_upgrade = sorted(
        changes_of(session, "1001"), key=lambda c: c.contract_type.value, reverse=True
    )
    assert renewal.contract_type is ContractType.RENEWAL and renewal.status is Status.PENDING
    assert (renewal.renewal_start_date, renewal.renewal_deadline) == (date(2027, 3, 1), date(2027, 1, 15))
    assert (renewal.max_contacts, renewal.email_limit, renewal.subscription_term_months) == (2000, 20000, 18)
    assert (renewal.billing_frequency, renewal.billing_months) == (BillingFrequency.OTHER, 18)
    assert amounts(renewal) == (Decimal("1200.50"), "EUR", Decimal("1300.75"), "EUR")
    assert contact_upgrade.contract_type is ContractType.CONTACT_TIER_UPGRADE
    assert contact_upgrade.status is Status.CONFIRMED

    acme_client = client_of(session, "2002")
    assert acme_client.owner_kind is OwnerKind.HUBSPOT and acme_client.owner_member_id is None
    (acme_change,) = changes_of(session, "2002")
    assert acme_change.status is Status.CANCELLATION_REQUESTED
    assert amounts(acme_change) == (Decimal("99.99"), "USD", None, None)


def test_an_import_leaves_the_query_planner_statistics_of_what_it_wrote(
    session: Session, workspace: Workspace
) -> None:
    run(csv_text(FULL_ROW, row(Hub_ID="2002"), header=HEADER), session)

    if session.get_bind().dialect.name == "sqlite":  # without them SQLite guesses its plans
        stat = session.execute(text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_change_window'")).scalar()
        assert stat is not None and stat.split()[0] == "2"
    else:
        rows = session.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'contract_change'"))
        assert rows.scalar() == 2


BAD_ROWS: list[tuple[dict[str, str], str]] = [
    (row(Client_name=""), "Client name is empty"),
    (row(Hub_ID="12a4"), "Hub ID: '12a4' is not digits"),
    (row(Hub_ID="-5"), "Hub ID: '-5' is not digits"),
    (row(Contract_type="Upsell"), "Contract type: 'Upsell' is not a contract type"),
    (row(Status="Signed"), "Status: 'Signed' is not a status"),
    (row(Renewal_start_date="03/01/2027"), "Renewal start date: '03/01/2027' is not a date as YYYY-MM-DD"),
    (row(Renewal_start_date="2027-02-30"), "Renewal start date: '2027-02-30' is not a real date"),
    (row(Max_contacts="-1"), "Max contacts: '-1' is negative"),
    (row(Emails_sent="-3"), "Emails sent: '-3' is negative"),
    (row(Contacts_used="(4)"), "Contacts used: '(4)' is negative"),
    (row(Subscription_term="-12 months"), "Subscription term: '-12 months' is negative"),
    (row(Current_MRR="-10.00"), "Current MRR: '-10.00' is negative"),
    (row(Current_MRR="(10.00)"), "Current MRR: '(10.00)' is negative"),
    (row(Estimated_new_MRR="USD -0.01"), "Estimated new MRR: 'USD -0.01' is negative"),
    (row(Client_name="x" * 501), "Client name: is longer than 500 characters"),
    (row(Client_name="Bad\x00Name"), "Client name: contains a NUL character"),
]


@pytest.mark.parametrize("skip_invalid", [False, True], ids=["all-or-nothing", "skip-invalid"])
def test_every_kind_of_bad_row_is_listed_with_its_line_and_reason(
    session: Session, workspace: Workspace, engine: Engine, skip_invalid: bool
) -> None:
    run(csv_text(row(Hub_ID="9"), header=HEADER), session)  # something already stored
    before = snapshot(engine)
    rows = [row(Hub_ID="500", Client_name="Good One"), *(bad for bad, _ in BAD_ROWS)]
    result = run(csv_text(*rows, header=HEADER), session, skip_invalid=skip_invalid)

    listed = {problem.line: "; ".join(problem.reasons) for problem in result.problems}
    assert sorted(listed) == list(range(3, 3 + len(BAD_ROWS)))  # header is line 1, the good row line 2
    for line, (_bad, reason) in enumerate(BAD_ROWS, start=3):
        assert reason in listed[line], (line, listed[line])
    if skip_invalid:
        assert not result.rejected and result.created == 1
        assert client_of(session, "500").name == "Good One"
    else:
        assert result.rejected and result.created == 0
        assert snapshot(engine) == before


def test_an_invalid_row_writes_nothing_not_even_a_new_workspace(session: Session, engine: Engine) -> None:
    before = snapshot(engine)
    result = run(csv_text(row(), row(Hub_ID="x")), session, team_id="T0NEW")
    assert result.rejected and [p.line for p in result.problems] == [3]
    assert snapshot(engine) == before


def test_a_row_with_every_reason_lists_them_all(session: Session, workspace: Workspace) -> None:
    result = run(csv_text(row(Hub_ID="abc", Status="", Contract_type="Foo")), session)
    (problem,) = result.problems
    assert problem.reasons == (
        "Hub ID: 'abc' is not digits",
        "Contract type: 'Foo' is not a contract type (Renewal, Contact tier upgrade, Email overage)",
        "Status is empty",
    )


def test_line_numbers_are_spreadsheet_rows_even_with_multi_line_cells(
    session: Session, workspace: Workspace
) -> None:
    text_ = (
        "Client name,Hub ID,Contract type,Status,Renewal start date\n"
        '"Two\nlines",1,Renewal,Pending,2027-01-01\n'
        "\n"
        "Bad,x,Renewal,Pending,2027-01-01\n"
    )
    result = run(text_, session)
    (problem,) = result.problems
    assert problem.line == 4  # header 1, the two-line cell's row 2, the blank row 3
    assert problem.text_line == 5
    assert str(problem).startswith("line 4 (text line 5): Hub ID")


def test_the_same_contract_change_twice_with_other_values_is_invalid(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(), row(Status="Renewed")), session, skip_invalid=True)
    (problem,) = result.problems
    assert problem.line == 3 and "already on line 2" in problem.reasons[0]
    assert [c.status for c in changes_of(session, "1001")] == [Status.PENDING]


def test_a_repeated_identical_row_is_imported_once_with_a_warning(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(), row()), session)
    assert result.problems == []
    assert [(w.line, "same as line 2" in str(w)) for w in result.warnings] == [(3, True)]
    assert len(changes_of(session, "1001")) == 1


@pytest.mark.parametrize("placeholder", ["-", "—", "n/a", "N/A", "none"])
def test_a_placeholder_in_an_optional_cell_means_no_value(
    session: Session, workspace: Workspace, placeholder: str
) -> None:
    text_ = csv_text(
        row(Max_contacts=placeholder, Current_MRR=placeholder, Website=placeholder),
        header=[
            *HEADER[:1],
            "Hub ID",
            "Contract type",
            "Status",
            "Renewal start date",
            "Website",
            "Max contacts",
            "Current MRR",
        ],
    )
    result = run(text_, session)
    assert result.problems == []
    (change,) = changes_of(session, "1001")
    assert change.max_contacts is None and change.current_mrr is None
    assert client_of(session, "1001").domain is None


def test_a_placeholder_in_a_required_cell_is_still_invalid(session: Session, workspace: Workspace) -> None:
    result = run(csv_text(row(Status="-")), session, skip_invalid=True)
    (problem,) = result.problems
    assert "Status" in problem.reasons[0]


def test_importing_the_same_file_twice_changes_nothing(
    session: Session, workspace: Workspace, engine: Engine
) -> None:
    text_ = csv_text(FULL_ROW, row(Hub_ID="2002", Contract_type="Email overage"), header=HEADER)
    run(text_, session)
    before = snapshot(engine)
    again = run(text_, session)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (again.clients_created, again.clients_updated, again.contacts_added, again.members_added) == (
        0,
        0,
        0,
        0,
    )
    assert not again.written
    assert snapshot(engine) == before  # not even updated_at or an audit event


def test_a_second_import_updates_in_place_and_records_history(session: Session, workspace: Workspace) -> None:
    run(csv_text(FULL_ROW, header=HEADER), session)
    (original,) = changes_of(session, "1001")
    changed = {
        **FULL_ROW,
        "Status": "Renewed",
        "Current MRR": "€1,250.00",
        "Client name": "Café Núñez SL",
        "Contacts": "Pia <pia@cafenunez.es>",
    }
    result = run(csv_text(changed, header=HEADER), session)

    assert (result.created, result.updated, result.unchanged, result.clients_updated) == (0, 1, 0, 1)
    (updated,) = changes_of(session, "1001")
    assert updated.id == original.id
    assert (updated.status, updated.current_mrr) == (Status.RENEWED, Decimal("1250.00"))
    client = client_of(session, "1001")
    assert client.name == "Café Núñez SL" and client.name_folded == "cafe nunez sl"
    # Contacts are added, never removed; the primary contact stays one of them.
    assert set(contacts_of(session, client)) == {
        "marta@cafenunez.es",
        "luis@cafenunez.es",
        "pia@cafenunez.es",
    }
    events = list(session.exec(select(AuditEvent).where(AuditEvent.client_id == client.id)))
    (event,) = events
    assert event.actor == "cli:import:test" and event.action == "import"
    assert event.before is not None and event.after is not None
    assert event.before["Renewal 2027-03-01 status"] == "pending"
    assert event.after["Renewal 2027-03-01 status"] == "renewed"
    assert (event.before["name"], event.after["name"]) == ("Café Núñez", "Café Núñez SL")
    assert event.after["contacts added"] == ["Pia <pia@cafenunez.es>"]
    summaries = session.exec(
        select(AuditEvent).where(col(AuditEvent.client_id).is_(None)).order_by(col(AuditEvent.id))
    ).all()
    assert [(e.after or {}).get("created") for e in summaries] == [1, 0]
    assert [(e.after or {}).get("updated") for e in summaries] == [0, 1]


def import_full_then_sparse(session: Session) -> None:
    """FULL_ROW, then the same row again with its client cells and some figures left empty."""
    run(csv_text(FULL_ROW, header=HEADER), session)
    sparse = {
        **FULL_ROW,
        "Website": "",
        "Communication owner": "",
        "Primary client contact": "",
        "Contacts": "",
    }
    sparse |= {"Products": "", "Contacts used": "", "Max contacts": "", "Current MRR": ""}
    run(csv_text(sparse, header=HEADER), session)


def test_empty_client_cells_keep_what_is_stored(session: Session, workspace: Workspace) -> None:
    import_full_then_sparse(session)
    client = client_of(session, "1001")
    assert client.domain == "www.cafenunez.es" and client.owner_kind is OwnerKind.PARTNER
    assert client.primary_contact_id is not None and client.products == ["Marketing Hub Pro", "Sales Hub"]
    assert client.contacts_used == 1500


def test_empty_figure_cells_clear_what_is_stored(session: Session, workspace: Workspace) -> None:
    import_full_then_sparse(session)
    (change,) = changes_of(session, "1001")
    assert (change.max_contacts, change.current_mrr, change.estimated_new_mrr) == (
        None,
        None,
        Decimal("1300.75"),
    )


def test_a_column_missing_from_the_file_leaves_its_figure_alone(
    session: Session, workspace: Workspace
) -> None:
    run(csv_text(FULL_ROW, header=HEADER), session)
    result = run(csv_text(row(Client_name="Café Núñez", Status="Renewed")), session)
    assert result.updated == 1
    (change,) = changes_of(session, "1001")
    assert (change.status, change.max_contacts) == (Status.RENEWED, 2000)
    assert amounts(change) == (Decimal("1200.50"), "EUR", Decimal("1300.75"), "EUR")


def test_amounts_in_different_currencies_are_each_kept_in_their_own(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(Current_MRR="€9311.75", Estimated_new_MRR="GBP 2368.68")), session)
    assert (result.problems, result.created) == ([], 1)
    (change,) = changes_of(session, "1001")
    assert amounts(change) == (Decimal("9311.75"), "EUR", Decimal("2368.68"), "GBP")


def test_importing_mixed_currencies_again_changes_nothing(
    session: Session, workspace: Workspace, engine: Engine
) -> None:
    text_ = csv_text(
        row(Current_MRR="€9311.75", Estimated_new_MRR="GBP 2368.68"),
        row(Hub_ID="2002", Current_MRR="1,200.50", Estimated_new_MRR="£99"),
    )
    run(text_, session)
    before = snapshot(engine)
    again = run(text_, session)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("current", "estimated", "expected"),
    [
        ("9311.75", "€10", (Decimal("9311.75"), "EUR", Decimal(10), "EUR")),
        ("£5", "7.25", (Decimal(5), "GBP", Decimal("7.25"), "GBP")),
    ],
)
def test_a_bare_amount_takes_the_other_cells_currency(
    session: Session, workspace: Workspace, current: str, estimated: str, expected: tuple[object, ...]
) -> None:
    run(csv_text(row(Current_MRR=current, Estimated_new_MRR=estimated)), session)
    (change,) = changes_of(session, "1001")
    assert amounts(change) == expected


def test_two_bare_amounts_are_usd_whatever_the_change_was_in_before(
    session: Session, workspace: Workspace
) -> None:
    run(csv_text(row(Current_MRR="€10", Estimated_new_MRR="€12")), session)
    run(csv_text(row(Current_MRR="11", Estimated_new_MRR="13.5")), session)
    (change,) = changes_of(session, "1001")
    assert amounts(change) == (Decimal(11), "USD", Decimal("13.5"), "USD")


def test_a_file_with_one_money_column_keeps_the_other_amount_in_its_currency(
    session: Session, workspace: Workspace
) -> None:
    run(csv_text(FULL_ROW, header=HEADER), session)  # €1,200.50 and €1,300.75
    run(csv_text(row(Client_name="Café Núñez", Estimated_new_MRR="GBP 1100")), session)
    (change,) = changes_of(session, "1001")
    assert amounts(change) == (Decimal("1200.50"), "EUR", Decimal(1100), "GBP")


def test_bom_aliases_and_header_case_and_spaces(session: Session, workspace: Workspace) -> None:
    data = (
        "\ufeff  customer NAME ,HUB ID,domain,Renewal Owner,Customer Primary Contact,CONTRACT TYPE,status,"
        "renewal start date, Contact tier limit ,Renewal MRR,Account users\n"
        "Acme,77,acme.com,partner,ops@acme.com,contact tier upgrade,pending,2027-05-01,5000,$10,"
        "Dev <dev@acme.com>\n"
    ).encode()
    parsed = parse_bytes(data)
    assert parsed.unknown_columns == [] and not parsed.problems
    result = import_parsed(parsed, "T0TEAM1", session=session, actor="t", source="t.csv")
    session.commit()
    assert result.created == 1
    client = client_of(session, "77")
    assert (client.name, client.domain, client.owner_kind) == ("Acme", "acme.com", OwnerKind.PARTNER)
    assert set(contacts_of(session, client)) == {"ops@acme.com", "dev@acme.com"}
    (change,) = changes_of(session, "77")
    assert (change.contract_type, change.max_contacts, change.estimated_new_mrr) == (
        ContractType.CONTACT_TIER_UPGRADE,
        5000,
        Decimal(10),
    )


def test_unknown_columns_are_ignored_and_named_once(session: Session, workspace: Workspace) -> None:
    header = [*HEADER[:8], "Region", "Notes", "region ", "Notes"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for hub in ("1", "2"):
        writer.writerow(["Acme", hub, "", "", "", "Renewal", "Pending", "2027-01-01", "EU", "x", "y", "z"])
    result = run(out.getvalue(), session)
    assert result.unknown_columns == ["Region", "Notes"]  # headers match ignoring case and spaces
    assert result.created == 2


NAMES = [
    "Bäckerei Müller & Söhne",
    "Crème Brûlée Ltd 🍮🚀",
    "北京烤鸭有限公司",
    "東京デザイン株式会社",
    "Ørsted Łódź Ñandú",
    "<!channel> & [bold]friends[/bold]",
    "L" + "o" * 497 + "ng",  # 500 characters: the longest a name may be
]


def test_unicode_and_very_long_names_are_kept_exactly(session: Session, workspace: Workspace) -> None:
    rows = [row(Hub_ID=str(hub), Client_name=name) for hub, name in enumerate(NAMES, start=1)]
    result = run(csv_text(*rows), session)
    assert result.created == len(NAMES)
    assert [client_of(session, str(hub)).name for hub in range(1, len(NAMES) + 1)] == NAMES


def test_accented_names_fold_for_search(session: Session, workspace: Workspace) -> None:
    run(csv_text(row(Client_name="  Crème  Brûlée  ")), session)
    assert client_of(session, "1001").name_folded == "creme brulee"


# Optional cells an export may fill its own way: the row imports without that value, with a warning.
UNREADABLE: list[tuple[dict[str, str], str]] = [
    (row(Website="not a domain"), "Website: 'not a domain' is not a website domain"),
    (row(Communication_owner="Bob"), "Communication owner: 'Bob' is not HubSpot, Partner or a partner"),
    (row(Primary_client_contact="Jane <jane-at-x>"), "Primary client contact: 'jane-at-x' is not an email"),
    (row(Max_contacts="lots"), "Max contacts: 'lots' is not a whole number"),
    (row(Email_limit="1.5"), "Email limit: '1.5' is not a whole number"),
    (row(Contacts_used="1.000"), "Contacts used: '1.000' is not a whole number"),  # 1 or 1000?
    (row(Subscription_term="a year"), "Subscription term: 'a year' is not a whole number of months"),
    (row(Billing_frequency="Weekly"), "Billing frequency: 'Weekly' is not a billing frequency"),
    (row(Billing_frequency="Other"), "Billing frequency: 'Other': say how many months"),
    (row(Current_MRR="TBD"), "Current MRR: 'TBD' is not an amount of money"),
    (row(Estimated_new_MRR="1e3"), "Estimated new MRR: '1e3' is not an amount of money"),
    (row(Current_MRR="EUR $10"), "Current MRR: 'EUR $10' names two currencies (EUR, USD)"),
]


@pytest.mark.parametrize(("cells", "warning"), UNREADABLE, ids=[w.split(":")[0] for _, w in UNREADABLE])
def test_an_optional_cell_that_cannot_be_read_is_ignored_with_a_warning(
    session: Session, workspace: Workspace, cells: dict[str, str], warning: str
) -> None:
    result = run(csv_text(cells, header=HEADER), session)
    assert (result.problems, result.created) == ([], 1)
    (message,) = [str(w) for w in result.warnings]
    assert message.startswith(f"line 2: {warning}") and message.endswith("; the cell is ignored")
    client, (change,) = client_of(session, "1001"), changes_of(session, "1001")
    assert (client.domain, client.owner_kind, client.primary_contact_id) == (None, None, None)
    assert (change.max_contacts, change.email_limit, change.billing_frequency) == (None, None, None)
    assert (client.contacts_used, change.subscription_term_months) == (None, None)
    assert amounts(change) == (None, None, None, None)


def test_a_figure_that_cannot_be_read_keeps_the_stored_one(session: Session, workspace: Workspace) -> None:
    run(csv_text(FULL_ROW, header=HEADER), session)
    result = run(csv_text({**FULL_ROW, "Max contacts": "lots", "Current MRR": "TBD"}, header=HEADER), session)
    assert (result.updated, result.unchanged, len(result.warnings)) == (0, 1, 2)
    (change,) = changes_of(session, "1001")
    assert change.max_contacts == 2000
    assert amounts(change) == (Decimal("1200.50"), "EUR", Decimal("1300.75"), "EUR")


def test_a_contact_that_cannot_be_read_is_left_out_and_the_others_kept(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(Contacts="Ann <ann@x.com>; Bob; mailto:Cy@x.com")), session)
    assert [str(w) for w in result.warnings] == [
        "line 2: Contacts: 'Bob' is not an email address; that entry is ignored"
    ]
    assert contacts_of(session, client_of(session, "1001")) == {"ann@x.com": "Ann", "cy@x.com": None}


def read_cleanly(session: Session, **cells: str) -> ContractChange:
    """Import one row (`row(**cells)`), check it needed no warning, and return its contract change."""
    result = run(csv_text(row(**cells)), session)
    assert (result.problems, result.warnings) == ([], [])
    (change,) = changes_of(session, "1001")
    return change


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1000.0", 1000),  # a spreadsheet's float
        ("1,000.00", 1000),
        ("1 000", 1000),
        ("1\u00a0000", 1000),
        ("1'000", 1000),
        ("+5", 5),
        ("-0", 0),
        ("(0)", 0),
    ],
)
def test_whole_numbers_in_the_spellings_exports_use(
    session: Session, workspace: Workspace, cell: str, expected: int
) -> None:
    assert read_cleanly(session, Max_contacts=cell).max_contacts == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("€9311,75", (Decimal("9311.75"), "EUR")),  # a decimal comma where it cannot be thousands
        ("1.200,50 €", (Decimal("1200.50"), "EUR")),
        ("EUR 1 200,50", (Decimal("1200.50"), "EUR")),
        ("1\u202f200.50 GBP", (Decimal("1200.50"), "GBP")),
        ("CHF 1'200.50", (Decimal("1200.50"), "CHF")),
        ("1,200", (Decimal(1200), "USD")),  # a comma before three digits stays a thousands separator
        ("+10", (Decimal(10), "USD")),
        ("-0.00", (Decimal(0), "USD")),
        ("$(0)", (Decimal(0), "USD")),
    ],
)
def test_money_in_the_spellings_exports_use(
    session: Session, workspace: Workspace, cell: str, expected: tuple[Decimal, str]
) -> None:
    assert amounts(read_cleanly(session, Current_MRR=cell))[:2] == expected


def test_money_with_more_decimals_than_kept_is_rounded_with_a_warning(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(Current_MRR="12.345678")), session)
    assert [str(w) for w in result.warnings] == [
        "line 2: Current MRR: '12.345678' has more than 4 decimal places; rounded to 12.3457"
    ]
    (change,) = changes_of(session, "1001")
    assert change.current_mrr == Decimal("12.3457")


@pytest.mark.parametrize(
    ("cell", "months"),
    [("12 months", 12), ("6 Mo", 6), ("12m", 12), ("12.0", 12), ("1 year", 12), ("2 yrs", 24)],
)
def test_a_subscription_term_in_the_spellings_exports_use(
    session: Session, workspace: Workspace, cell: str, months: int
) -> None:
    assert read_cleanly(session, Subscription_term=cell).subscription_term_months == months


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Yearly", (BillingFrequency.ANNUAL, None)),
        ("Semi-annually", (BillingFrequency.SEMI_ANNUAL, None)),
        ("Half-yearly", (BillingFrequency.SEMI_ANNUAL, None)),
        ("Every 6 months", (BillingFrequency.SEMI_ANNUAL, None)),
        ("Every month", (BillingFrequency.MONTHLY, None)),
        ("18 months", (BillingFrequency.OTHER, 18)),
        ("Other: 18 months", (BillingFrequency.OTHER, 18)),
        ("Other (18)", (BillingFrequency.OTHER, 18)),
    ],
)
def test_a_billing_frequency_in_the_spellings_exports_use(
    session: Session, workspace: Workspace, cell: str, expected: tuple[BillingFrequency, int | None]
) -> None:
    change = read_cleanly(session, Billing_frequency=cell)
    assert (change.billing_frequency, change.billing_months) == expected


def test_an_email_written_as_a_mailto_link_is_its_address(session: Session, workspace: Workspace) -> None:
    read_cleanly(session, Primary_client_contact="Luis <mailto:Luis@CafeNunez.es>")
    assert contacts_of(session, client_of(session, "1001")) == {"luis@cafenunez.es": "Luis"}


def test_a_deadline_that_disagrees_is_a_warning_and_the_start_date_wins(
    session: Session, workspace: Workspace
) -> None:
    result = run(csv_text(row(Renewal_start_date="2027-03-01", Renewal_deadline="2027-02-01")), session)
    assert not result.problems and result.created == 1
    (warning,) = result.warnings
    assert warning.line == 2 and "2027-02-01" in warning.message and "2027-01-15" in warning.message
    (change,) = changes_of(session, "1001")
    assert change.renewal_deadline == date(2027, 1, 15)


@pytest.mark.parametrize("written", ["15/01/2027", "2027-01-15T00:00:00Z", "soon"])
def test_a_deadline_written_another_way_is_a_warning_and_the_derived_one_is_used(
    session: Session, workspace: Workspace, written: str
) -> None:
    result = run(csv_text(row(Renewal_start_date="2027-03-01", Renewal_deadline=written)), session)

    assert not result.problems and result.created == 1
    (warning,) = result.warnings
    assert "Renewal deadline" in warning.message and "derived from the start date" in warning.message
    (change,) = changes_of(session, "1001")
    assert change.renewal_deadline == date(2027, 1, 15)


MONEY = [
    ("0.1", "0.2", (Decimal("0.1"), "USD", Decimal("0.2"), "USD")),
    ("$1,200.50", "USD 1,300.25", (Decimal("1200.50"), "USD", Decimal("1300.25"), "USD")),
    ("1200.50 EUR", "€ 0.07", (Decimal("1200.50"), "EUR", Decimal("0.07"), "EUR")),
    ("£0.30", "0.3333 GBP", (Decimal("0.30"), "GBP", Decimal("0.3333"), "GBP")),
    ("99999999999999.9999", "0", (Decimal("99999999999999.9999"), "USD", Decimal(0), "USD")),
    ("C$5", "", (Decimal(5), "CAD", None, None)),
]


def test_money_is_exact_in_every_spelling(session: Session, workspace: Workspace) -> None:
    rows = [
        row(Hub_ID=str(hub), Current_MRR=current, Estimated_new_MRR=estimated)
        for hub, (current, estimated, _expected) in enumerate(MONEY, start=1)
    ]
    run(csv_text(*rows), session)
    for hub, (_current, _estimated, expected) in enumerate(MONEY, start=1):
        (change,) = changes_of(session, str(hub))
        assert amounts(change) == expected
        assert all(isinstance(v, Decimal) for v in (change.current_mrr, change.estimated_new_mrr) if v)


def test_exact_money_adds_up_exactly(session: Session, workspace: Workspace) -> None:
    run(csv_text(row(Hub_ID="1", Current_MRR="0.1"), row(Hub_ID="2", Current_MRR="0.2")), session)
    total = sum((c.current_mrr or Decimal(0)) for h in ("1", "2") for c in changes_of(session, h))
    assert total == Decimal("0.3")


def test_the_primary_contact_is_always_one_of_the_contacts(session: Session, workspace: Workspace) -> None:
    run(csv_text(row(Primary_client_contact="Zoe <zoe@acme.com>", Contacts="Al <al@acme.com>")), session)
    client = client_of(session, "1001")
    assert contacts_of(session, client) == {"al@acme.com": "Al", "zoe@acme.com": "Zoe"}
    primary = session.get(Contact, client.primary_contact_id)
    assert primary is not None and primary.client_id == client.id and primary.email == "zoe@acme.com"


def test_an_owner_email_is_one_partner_member_for_all_its_clients(
    session: Session, workspace: Workspace
) -> None:
    result = run(
        csv_text(
            row(Hub_ID="1", Communication_owner="sam@agency.example"),
            row(Hub_ID="2", Communication_owner="Sam <SAM@agency.example>"),
        ),
        session,
    )
    assert result.members_added == 1 and result.member_emails == ["sam@agency.example"]
    members = session.exec(select(PartnerMember)).all()
    assert [(m.email, m.name) for m in members] == [("sam@agency.example", "Sam")]
    assert client_of(session, "1").owner_member_id == client_of(session, "2").owner_member_id == members[0].id


def test_each_workspace_keeps_its_own_rows(session: Session, workspace: Workspace) -> None:
    run(csv_text(row(Client_name="Ours")), session)
    result = run(csv_text(row(Client_name="Theirs")), session, team_id="T0OTHER")
    assert (result.created, result.clients_created) == (1, 1)
    assert client_of(session, "1001").name == "Ours"
    assert client_of(session, "1001", team_id="T0OTHER").name == "Theirs"


def test_an_ended_association_stays_ended_when_imported_again(session: Session, workspace: Workspace) -> None:
    text_ = csv_text(row())
    run(text_, session)
    assert end_association(client_of(session, "1001"), session=session, actor="U1", reason="left")
    session.commit()
    run(csv_text(row(Status="Renewed")), session)
    assert client_of(session, "1001").association_ended_at is not None


def test_a_file_without_rows_imports_nothing(session: Session, engine: Engine) -> None:
    before = snapshot(engine)
    result = run(csv_text(header=HEADER), session)
    assert (result.rows, result.written) == (0, False)
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\xef\xbb\xbf  \n\n", "is empty"),
        (b"Client name,Hub ID\nCaf\xe9,1\n", "is not UTF-8 text (byte 0xe9 on line 2)"),
        (b"Acme,1,Renewal,Pending,2027-01-01\n", "has no header row"),
        (b"Client name;Hub ID;Status\n", "separated by semicolons"),
        (b"Client name,Hub ID,Website\nAcme,1,acme.com\n", "missing required columns: Contract type, Status"),
        (b"Client name,Customer name,Hub ID\n", "'Client name' and 'Customer name' both mean Client name"),
    ],
)
def test_file_level_problems_are_one_line(data: bytes, message: str) -> None:
    with pytest.raises(CsvFormatError) as raised:
        parse_bytes(data, name="f.csv")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_linking_a_member_to_slack(session: Session, workspace: Workspace) -> None:
    run(csv_text(row(Communication_owner="sam@agency.example")), session)
    assert workspace.id is not None
    (member,) = unlinked_members(workspace.id, ["SAM@agency.example"], session=session)
    assert link_member(member, "U0SAM", session=session, name="Sam Okafor") is None
    session.commit()
    assert unlinked_members(workspace.id, ["sam@agency.example"], session=session) == []
    assert (member.slack_user_id, member.name) == ("U0SAM", "Sam Okafor")


def test_linking_merges_a_member_already_known_by_slack_user(session: Session, workspace: Workspace) -> None:
    assert workspace.id is not None
    known = add_member(session, user_id="U0SAM", name="Sam")
    session.commit()
    run(csv_text(row(Communication_owner="sam@agency.example")), session)
    (imported,) = unlinked_members(workspace.id, ["sam@agency.example"], session=session)
    assert link_member(imported, "U0SAM", session=session) is None
    session.commit()
    session.expire_all()
    (member,) = session.exec(select(PartnerMember)).all()
    assert (member.id, member.email, member.slack_user_id) == (known.id, "sam@agency.example", "U0SAM")
    assert client_of(session, "1001").owner_member_id == known.id


def test_what_changed_pairs_moved_start_dates_in_order_and_counts_every_kind(
    session: Session, workspace: Workspace
) -> None:
    today = utcnow().date()

    def start(days_ahead: int) -> str:
        return (today + timedelta(days=days_ahead)).isoformat()

    run(
        csv_text(
            row(Renewal_start_date=start(100), Current_MRR="$10"),
            row(Renewal_start_date=start(200), Current_MRR="$20"),
            row(Hub_ID="2002", Client_name="Beta", Renewal_start_date=start(150), Current_MRR="€5"),
        ),
        session,
    )
    result = run(
        csv_text(
            row(Renewal_start_date=start(110), Current_MRR="$10"),
            row(Renewal_start_date=start(210), Current_MRR="$20"),
            row(Renewal_start_date=start(50), Current_MRR="$1"),  # a third date: new, due in 5 days
            row(
                Hub_ID="2002",
                Client_name="Beta",
                Status="Cancellation requested",
                Renewal_start_date=start(150),
                Current_MRR="€5",
            ),
        ),
        session,
    )

    what = result.what_changed
    moved = {change.id: change.renewal_start_date for change in changes_of(session, "1001")}
    assert sorted((moved[i], old) for i, old in what.moved_from.items()) == [
        (today + timedelta(days=110), today + timedelta(days=100)),
        (today + timedelta(days=210), today + timedelta(days=200)),
    ]
    assert {kind.value: (part.count, part.mrr_at_stake) for kind, part in what.kinds.items()} == {
        "cancellation": (1, {"EUR": Decimal("5.00")}),
        "due_soon": (1, {"USD": Decimal("1.00")}),
        "moved": (2, {"USD": Decimal("30.00")}),
    }
    assert (result.created, result.removed, result.updated) == (3, 2, 1)
