"""`Export CSV` under the /renewals table through the outside: the click as a signed request, the
file through the fake Slack's external upload flow, and the file imported again by the importer."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.cli.main import main
from store.csv_format import parse_bytes, parse_csv
from store.db import session_scope
from store.importer import ImportResult, import_parsed
from store.models import AuditEvent, Client, Contact, ContractChange, PartnerMember
from tests.app_client import SlackAppClient
from tests.client_support import blocks_text
from tests.factories import NOON, TEAM, add_member, days, set_partner
from tests.fake_slack import FakeSlack, Upload
from tests.slack_requests import block_actions_payload, button_value

EXPORT = "renewals_export_csv"
HEADER = (
    "Client name,Hub ID,Website,Communication owner,Primary client contact,Contract type,Status,"
    "Renewal start date,Renewal deadline,Max contacts,Email limit,Billing frequency,Subscription term,"
    "Current MRR,Estimated new MRR,Contacts,Products,Contacts used,Emails sent"
)


def _row(*cells: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue()


# As the partner dashboard exports them: every kind of owner, contacts with and without names,
# products, mixed currencies, every billing frequency spelling the import reads. Start dates are
# from TODAY (2026-03-02): all within /renewals' 120 days.
DASHBOARD = (
    HEADER
    + "\n"
    + "".join(
        [
            _row(
                "Acme Corp",
                "1001",
                "acme.com",
                "ana.owner@agency.com",
                "Dana Buyer <dana@acme.com>",
                "Renewal",
                "Pending",
                str(days(60)),
                "",
                "2000",
                "20000",
                "Annual",
                "12",
                "EUR 1200.50",
                "£1,350.75",
                "Dana Buyer <dana@acme.com>; Eve <eve@acme.com>; raw@acme.com",
                "Marketing Hub; Sales Hub",
                "1500",
                "12000",
            ),
            _row(
                "Acme Corp",
                "1001",
                "acme.com",
                "ana.owner@agency.com",
                "",
                "Contact tier upgrade",
                "Confirmed",
                str(days(70)),
                "",
                "5000",
                "",
                "Other (5 months)",
                "6",
                "",
                "USD 99.9999",
                "",
                "",
                "",
                "",
            ),
            _row(
                'Beta, Inc. "Quoted"',
                "2002",
                "",
                "HubSpot",
                "bob@beta.io",
                "Email overage",
                "Cancellation requested",
                str(days(40)),
                "",
                "",
                "50000",
                "Quarterly",
                "1",
                "300 USD",
                "450.00 USD",
                "bob@beta.io",
                "",
                "",
                "",
            ),
            _row(
                "Gamma GmbH",
                "3003",
                "gamma.de",
                "",
                "",
                "Renewal",
                "Pending",
                str(days(30)),
                "",
                "",
                "",
                "Monthly",
                "",
                "GBP 10",
                "EUR 12",
                "",
                "CMS Hub",
                "",
                "",
            ),
            _row(
                "Delta SA",
                "4004",
                "",
                "Partner",
                "",
                "Renewal",
                "Renewed",
                str(days(100)),
                "",
                "",
                "",
                "Semi-annual",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ),
        ]
    )
)


@pytest.fixture(autouse=True)
def frozen_day() -> Iterator[None]:
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture
def imported(slack_app: SlackAppClient) -> SlackAppClient:
    _import(slack_app.engine, DASHBOARD.encode())
    with session_scope(slack_app.engine) as session:
        # An owner set in Slack, known by user ID only (no email): it must survive the round trip.
        member = add_member(session, user_id="U0SLACKONLY", name="Sam")
        gamma = session.exec(select(Client).where(Client.hub_id == "3003")).one()
        set_partner(session, gamma, member)
    return slack_app


def _import(engine: Engine, data: bytes) -> ImportResult:
    with session_scope(engine) as session:
        result = import_parsed(parse_bytes(data), TEAM, session=session, actor="cli:import", source="x.csv")
    assert not result.rejected, result.problems
    return result


def export(app: SlackAppClient, text: str = "", user_id: str = "U0ALICE") -> tuple[Upload, str]:
    """/renewals `text`, then "Export CSV": the file shared in the DM, and the ephemeral reply."""
    before = len(app.fake.calls_to("response_url"))
    app.command("/renewals", text, user_id=user_id)
    table = app.wait_for("response_url", count=before + 1)
    payload = block_actions_payload(
        EXPORT, button_value(table, EXPORT), user_id=user_id, block_id="renewals_paging", fake=app.fake
    )
    assert app.action(payload).status == 200
    reply = app.wait_for("response_url", count=before + 2)
    uploads = app.fake.uploaded()
    assert uploads, f"nothing uploaded; the app said {reply.params.get('text')!r}"
    return uploads[-1], reply.params["text"]


def _records(upload: Upload) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(upload.text.removeprefix("\ufeff"))))


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Every stored row the import could touch, as plain values."""
    with Session(engine) as session:

        def rows(model: Any) -> list[dict[str, Any]]:
            return [row.model_dump() for row in session.exec(select(model).order_by(model.id))]

        return {
            "clients": rows(Client),
            "contacts": rows(Contact),
            "changes": rows(ContractChange),
            "members": rows(PartnerMember),
            "history": len(rows(AuditEvent)),
        }


def test_export_csv_sends_the_view_to_the_persons_dm_through_the_external_upload_flow(
    imported: SlackAppClient, fake_slack: FakeSlack
) -> None:
    upload, reply = export(imported)

    assert upload.filename == "renewals-2026-03-02.csv"
    assert upload.channel_id == "D0ALICE"  # the DM conversations.open gave for U0ALICE
    assert "5 contract changes" in (upload.initial_comment or "")
    assert "Sent you 5 contract changes as a CSV file in a direct message" in reply
    methods = [c.method for c in fake_slack.calls if c.method.startswith(("files.", "upload", "conv"))]
    assert methods == [
        "conversations.open",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert fake_slack.calls_to("files.getUploadURLExternal")[0].params["length"] == str(
        len(upload.data or b"")
    )


def test_the_export_is_in_the_import_format_with_stored_values(imported: SlackAppClient) -> None:
    upload, _ = export(imported)

    records = _records(upload)
    assert list(records[0]) == [*HEADER.split(","), "Exported view"]
    assert {r["Exported view"] for r in records} == {"/renewals · 2026-03-02"}
    by_key = {(r["Hub ID"], r["Contract type"]): r for r in records}
    acme = by_key[("1001", "Renewal")]
    assert acme["Communication owner"] == "ana.owner@agency.com"
    assert acme["Current MRR"] == "EUR 1200.50" and acme["Estimated new MRR"] == "GBP 1350.75"
    assert acme["Contacts"] == "Dana Buyer <dana@acme.com>; Eve <eve@acme.com>; raw@acme.com"
    assert acme["Products"] == "Marketing Hub; Sales Hub"
    assert by_key[("1001", "Contact tier upgrade")]["Billing frequency"] == "Other (5 months)"
    # A pending renewal whose deadline has passed shows as renewed, but is exported as stored.
    gamma = by_key[("3003", "Renewal")]
    assert gamma["Status"] == "Pending" and gamma["Renewal deadline"] == str(days(30 - 45))
    assert gamma["Communication owner"] == ""  # a member known only in Slack: left as stored
    assert by_key[("4004", "Renewal")]["Communication owner"] == "Partner"
    assert by_key[("2002", "Email overage")]["Client name"] == 'Beta, Inc. "Quoted"'


def test_importing_the_export_again_changes_nothing(imported: SlackAppClient) -> None:
    before = _snapshot(imported.engine)
    upload, _ = export(imported)

    result = _import(imported.engine, upload.data or b"")

    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert (result.clients_created, result.clients_updated, result.contacts_added) == (0, 0, 0)
    assert (result.members_added, result.members_named) == (0, 0)
    assert not result.warnings and not result.unknown_columns
    assert _snapshot(imported.engine) == before


# Contract changes the /renewals view leaves out: one past (its start 10 days ago) and one more than
# 120 days ahead, of clients the export lists (Acme, Gamma).
OUTSIDE_THE_VIEW = "".join(
    [
        _row("Acme Corp", "1001", *[""] * 3, "Renewal", "Renewed", str(days(-10)), *[""] * 11),
        _row("Acme Corp", "1001", *[""] * 3, "Email overage", "Pending", str(days(200)), *[""] * 11),
        _row("Gamma GmbH", "3003", *[""] * 3, "Renewal", "Pending", str(days(395)), *[""] * 11),
    ]
)


@pytest.fixture
def with_more(imported: SlackAppClient) -> SlackAppClient:
    """`imported`, and its clients' contract changes outside the 120 days of /renewals too."""
    _import(imported.engine, (DASHBOARD + OUTSIDE_THE_VIEW).encode())
    return imported


def _cli_import(app: SlackAppClient, data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """`renewals-bot import` of `data` into the app's database: what it printed."""
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    path = tmp_path / "renewals-export.csv"
    path.write_bytes(data)
    with pytest.raises(SystemExit) as exited, redirect_stdout(io.StringIO()) as out:
        main(["import", str(path), "--team", TEAM])
    assert exited.value.code == 0, out.getvalue()
    return out.getvalue()


def _detail(app: SlackAppClient, client: str) -> str:
    before = len(app.fake.calls_to("response_url"))
    app.command("/renewal", client, user_id="U0ALICE")
    return blocks_text(app.wait_for("response_url", count=before + 1).params["blocks"])


# A pending renewal starting within 45 days is past its deadline (effectively renewed), so the
# filtered view reaches 60 days to hold one.
@pytest.mark.parametrize("view", ["", "status:pending type:renewal days:60"])
def test_importing_an_export_removes_nothing_outside_its_view(
    with_more: SlackAppClient, view: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload, _ = export(with_more, view)
    details = {name: _detail(with_more, name) for name in ("Acme", "Gamma")}
    before = _snapshot(with_more.engine)
    shown = len(_records(upload))

    printed = _cli_import(with_more, upload.data or b"", tmp_path, monkeypatch)

    assert f"0 created, 0 updated, {shown} unchanged, 0 invalid, 0 removed" in printed
    label = f"/renewals {view} · 2026-03-02".replace("  ", " ")
    assert f"removes nothing: this file is an export of a /renewals view ({label})" in printed
    assert _snapshot(with_more.engine)["changes"] == before["changes"]
    assert {name: _detail(with_more, name) for name in details} == details


def test_a_dashboard_file_of_the_same_rows_still_removes_what_it_no_longer_holds(
    with_more: SlackAppClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload, _ = export(with_more)
    without_view = [row[:-1] for row in csv.reader(io.StringIO(upload.text.removeprefix("\ufeff")))]
    dashboard = io.StringIO()
    csv.writer(dashboard).writerows(without_view)

    printed = _cli_import(with_more, dashboard.getvalue().encode(), tmp_path, monkeypatch)

    assert "0 created, 0 updated, 5 unchanged, 0 invalid, 3 removed" in printed
    assert "removes nothing" not in printed


def test_the_export_of_a_filtered_view_holds_only_its_rows(imported: SlackAppClient) -> None:
    upload, reply = export(imported, "type:renewal status:pending")

    records = _records(upload)
    # Gamma's pending renewal is past its deadline (effectively renewed): the filter leaves it out.
    assert [(r["Client name"], r["Contract type"]) for r in records] == [("Acme Corp", "Renewal")]
    assert "Sent you 1 contract change as a CSV file" in reply
    assert "type:renewal status:pending" in (upload.initial_comment or "")


def test_the_export_streams_every_page_of_a_large_view(slack_app: SlackAppClient) -> None:
    rows = "".join(
        _row(
            f"Client {n:04d}",
            str(10_000 + n),
            "",
            "",
            "",
            "Renewal",
            "Pending",
            str(days(50 + n % 60)),
            "",
            "",
            "",
            "",
            "",
            f"USD {n}.25",
            "",
            "",
            "",
            "",
            "",
        )
        for n in range(1_234)
    )
    _import(slack_app.engine, (HEADER + "\n" + rows).encode())

    upload, _ = export(slack_app)

    records = _records(upload)
    assert len(records) == 1_234
    assert len({r["Hub ID"] for r in records}) == 1_234
    deadlines = [r["Renewal deadline"] for r in records]
    assert deadlines == sorted(deadlines)  # the view's order: soonest deadline first
    assert parse_csv(upload.text.removeprefix("\ufeff")).problems == []


def test_an_upload_slack_refuses_is_one_line_for_the_person(
    imported: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("files.getUploadURLExternal", error="missing_scope")
    before = len(imported.fake.calls_to("response_url"))
    imported.command("/renewals", "", user_id="U0ALICE")
    table = imported.wait_for("response_url", count=before + 1)
    payload = block_actions_payload(
        EXPORT, button_value(table, EXPORT), user_id="U0ALICE", block_id="renewals_paging", fake=imported.fake
    )

    assert imported.action(payload).status == 200

    reply = imported.wait_for("response_url", count=before + 2).params["text"]
    assert reply == "I could not send you the CSV file: missing_scope. Nothing was sent."
    assert fake_slack.uploaded() == []
