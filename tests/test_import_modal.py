"""`/renewals import` from Slack: upload a CSV in a modal, see the preview, import it (admins only).

Driven as Slack drives it: signed commands and modal submissions to /slack/events, the file
served by the fake Slack (files.info, and the private URL that wants the bot token).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from store.models import AuditEvent, ContractChange, PartnerMember
from tests.app_client import ADMIN_ID, Reply, SlackAppClient
from tests.client_support import blocks_text
from tests.fake_slack import FakeSlack, payload_problems
from tests.slack_requests import checkboxes, file_input, view_closed_payload, view_submission_payload

GOOD = (
    "Client name,Hub ID,Communication owner,Contract type,Status,Renewal start date,Current MRR,Notes\n"
    "Acme,1001,sam@agency.example,Renewal,Pending,2027-03-01,$100.00,x\n"
    "Café Núñez,1002,HubSpot,Email overage,Confirmed,2027-04-01,€50,y\n"
)
HEADER = "Client name,Hub ID,Contract type,Status,Renewal start date\n"
UPLOAD = "import_upload_modal"
PREVIEW = "import_preview_modal"
WORKING = "import_working_modal"
DONE = "import_done_modal"


def changes(app: SlackAppClient) -> list[tuple[str, Decimal | None]]:
    """Every stored contract change: (renewal start date, current MRR)."""
    with Session(app.engine) as session:
        rows = session.exec(
            select(ContractChange.renewal_start_date, ContractChange.current_mrr).order_by(
                ContractChange.renewal_start_date
            )
        ).all()
    return [(start.isoformat(), None if mrr is None else Decimal(str(mrr))) for start, mrr in rows]


def checked(view: dict[str, Any]) -> dict[str, Any]:
    """`view` after checking it is one Slack would take (an ack's view is not seen by the fake)."""
    assert payload_problems("views.open", {"view": view}) == []
    return view


def open_upload(app: SlackAppClient, user_id: str = ADMIN_ID) -> dict[str, Any]:
    before = len(app.fake.calls_to("views.open"))
    assert app.command("/renewals", "import", user_id=user_id).status == 200
    return app.wait_for("views.open", count=before + 1).params["view"]


def submit(
    app: SlackAppClient, view: dict[str, Any], values: dict[str, Any], user_id: str = ADMIN_ID
) -> Reply:
    return app.view_submission(view_submission_payload(view, values, user_id=user_id))


def shown(app: SlackAppClient, reply: Reply, updates_before: int) -> dict[str, Any]:
    """The view the person ends up seeing after a submission: the ack's, or the views.update after
    the ack's "Reading…"."""
    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    view = checked(answer["view"])
    if view["callback_id"] == WORKING:
        view = app.wait_for("views.update", count=updates_before + 1).params["view"]
    return view


def upload(
    app: SlackAppClient, content: bytes, *, file_id: str = "F0EXPORT", name: str = "export.csv", **file: Any
) -> dict[str, Any]:
    """Open the modal, upload `content` as a file, and return the view shown after it was read."""
    info = app.fake.add_file(file_id, content, name=name, **file)
    view = open_upload(app)
    updates = len(app.fake.calls_to("views.update"))
    reply = submit(app, view, {"import_file_input": {"import_file": file_input(info)}})
    return shown(app, reply, updates)


def press_import(
    app: SlackAppClient, preview: dict[str, Any], *, skip_invalid: bool = False
) -> dict[str, Any]:
    values = {"import_skip_input": {"import_skip_invalid": checkboxes(["skip"] if skip_invalid else [])}}
    updates = len(app.fake.calls_to("views.update"))
    return shown(app, submit(app, preview, values), updates)


def text(view: dict[str, Any]) -> str:
    return blocks_text(view["blocks"])


def test_a_non_admin_is_refused_and_no_modal_opens(admin_app: SlackAppClient) -> None:
    assert admin_app.command("/renewals", "import", user_id="U0ALICE").status == 200

    reply = admin_app.wait_for("response_url")
    assert "Only admins can import a CSV file" in reply.params["text"]
    admin_app.settle()
    assert admin_app.fake.calls_to("views.open") == []


def test_the_command_opens_a_modal_with_one_csv_file_input(admin_app: SlackAppClient) -> None:
    view = open_upload(admin_app)

    assert view["callback_id"] == UPLOAD
    assert view["submit"]["text"] == "Preview" and view["close"]["text"] == "Cancel"
    (file_block,) = [block for block in view["blocks"] if block["type"] == "input"]
    assert file_block["block_id"] == "import_file_input"
    assert file_block["element"] == {
        "type": "file_input",
        "action_id": "import_file",
        "filetypes": ["csv"],
        "max_files": 1,
    }


def test_an_upload_shows_the_preview_and_writes_nothing(admin_app: SlackAppClient) -> None:
    preview = upload(admin_app, GOOD.encode())

    assert preview["callback_id"] == PREVIEW
    assert preview["submit"]["text"] == "Import" and preview["close"]["text"] == "Cancel"
    shown_text = text(preview)
    assert "*export.csv*: 2 rows" in shown_text
    assert "*2* created · *0* updated · *0* unchanged · *0* invalid" in shown_text
    assert "*Unknown columns* (ignored): Notes" in shown_text
    assert changes(admin_app) == []
    # files.info for the chosen file, then its private URL with the bot token
    assert admin_app.fake.calls_to("files.info")[0].params["file"] == "F0EXPORT"
    (download,) = admin_app.fake.calls_to("files.download")
    assert download.headers["Authorization"] == "Bearer xoxb-test-token"
    assert "/download/" in download.path


def test_import_writes_the_previewed_file_and_shows_what_it_did(admin_app: SlackAppClient) -> None:
    preview = upload(admin_app, GOOD.encode())

    done = press_import(admin_app, preview)

    assert done["callback_id"] == DONE and done["close"]["text"] == "Close" and "submit" not in done
    assert "Imported *export.csv*: 2 rows." in text(done)
    assert "*2* created · *0* updated" in text(done)
    assert changes(admin_app) == [("2027-03-01", Decimal(100)), ("2027-04-01", Decimal(50))]
    with Session(admin_app.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.client_id.is_(None))).one()  # type: ignore[union-attr]
    assert (event.actor, event.action, event.after["created"]) == (ADMIN_ID, "import", 2)


def test_the_same_file_again_previews_everything_unchanged(admin_app: SlackAppClient) -> None:
    press_import(admin_app, upload(admin_app, GOOD.encode()))

    again = upload(admin_app, GOOD.encode(), file_id="F0AGAIN")

    assert "*0* created · *0* updated · *2* unchanged · *0* invalid" in text(again)


def test_closing_the_preview_writes_nothing(admin_app: SlackAppClient) -> None:
    preview = upload(admin_app, GOOD.encode())

    reply = admin_app.view_submission(view_closed_payload(preview, user_id=ADMIN_ID))

    assert reply.status == 200
    admin_app.settle()
    assert changes(admin_app) == []
    assert admin_app.fake.calls_to("views.update") == []


ELEVEN_MB = 11 * 1024 * 1024


@pytest.mark.parametrize(
    ("content", "file", "message"),
    [
        (
            b"PK\x03\x04 a spreadsheet",
            {"name": "export.xlsx", "filetype": "xlsx"},
            "export.xlsx is not a CSV file",
        ),
        (
            (HEADER + "Café,1001,Renewal,Pending,2027-03-01\n").encode("latin-1"),
            {},
            "export.csv is not UTF-8 text",
        ),
        (b"", {}, "export.csv is empty"),
        (b"a" * (10 * 1024 * 1024 + 1), {}, "export.csv is over 10 MB"),
        (b"a", {"size": ELEVEN_MB}, "export.csv is over 10 MB"),  # Slack says so: not even downloaded
    ],
    ids=["not-csv", "not-utf8", "empty", "over-10mb", "over-10mb-by-files-info"],
)
def test_an_unusable_file_is_explained_in_the_modal_and_nothing_changes(
    admin_app: SlackAppClient, content: bytes, file: dict[str, Any], message: str
) -> None:
    view = upload(admin_app, content, **file)

    assert view["callback_id"] == UPLOAD  # the person can choose another file
    assert message in text(view)
    assert changes(admin_app) == []
    if file.get("size") == ELEVEN_MB or "filetype" in file:
        assert admin_app.fake.calls_to("files.download") == []


def test_a_download_slack_refuses_is_explained_and_nothing_changes(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.bot_token = "xoxb-another-app"  # the app's token may not read this file

    view = upload(admin_app, GOOD.encode())

    assert view["callback_id"] == UPLOAD
    assert "Slack would not hand over export.csv (it answered with its sign-in page)" in text(view)
    assert "files:read" in text(view)
    assert changes(admin_app) == []


def test_data_changed_between_preview_and_import_shows_the_new_preview_and_writes_nothing(
    admin_app: SlackAppClient,
) -> None:
    first = upload(admin_app, GOOD.encode(), file_id="F0FIRST")
    other = GOOD.replace("$100.00", "$300.00")
    press_import(admin_app, upload(admin_app, other.encode(), file_id="F0OTHER"))  # someone else's import

    view = press_import(admin_app, first)

    assert view["callback_id"] == PREVIEW
    assert "The file or the workspace's data changed since your preview" in text(view)
    assert "*0* created · *1* updated · *1* unchanged · *0* invalid" in text(view)
    assert changes(admin_app) == [("2027-03-01", Decimal(300)), ("2027-04-01", Decimal(50))]
    # and the new preview is the one that Import now writes
    done = press_import(admin_app, view)
    assert done["callback_id"] == DONE
    assert changes(admin_app) == [("2027-03-01", Decimal(100)), ("2027-04-01", Decimal(50))]


def test_invalid_rows_are_listed_by_line_the_first_twenty_then_how_many_more(
    admin_app: SlackAppClient,
) -> None:
    bad = "".join(f"Broken {n},12x{n},Renewal,Pending,2027-03-01\n" for n in range(25))
    preview = upload(admin_app, (HEADER + "Acme,1001,Renewal,Pending,2027-03-01\n" + bad).encode())

    shown_text = text(preview)
    assert "*1* created · *0* updated · *0* unchanged · *25* invalid" in shown_text
    assert "*Invalid rows* (25)" in shown_text
    assert "line 3: Hub ID" in shown_text and "line 22: Hub ID" in shown_text
    assert "line 23:" not in shown_text
    assert "… and 5 more" in shown_text
    assert any(block.get("block_id") == "import_skip_input" for block in preview["blocks"])


def test_with_invalid_rows_import_needs_skip_invalid_rows_ticked(admin_app: SlackAppClient) -> None:
    content = HEADER + "Acme,1001,Renewal,Pending,2027-03-01\nOther,1003,Renewal,Maybe,2027-03-01\n"
    preview = upload(admin_app, content.encode())

    reply = submit(admin_app, preview, {"import_skip_input": {"import_skip_invalid": checkboxes([])}})

    assert reply.json()["response_action"] == "errors"
    assert "1 row is invalid" in reply.json()["errors"]["import_skip_input"]
    assert changes(admin_app) == []
    done = press_import(admin_app, preview, skip_invalid=True)
    assert "Skipped invalid rows* (1)" in text(done)
    assert changes(admin_app) == [("2027-03-01", None)]


def test_a_slow_file_acks_with_reading_then_updates_the_same_modal(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.download_delay = 2.5  # over the ack budget: Slack must not wait for it
    info = fake_slack.add_file("F0SLOW", GOOD.encode(), name="big export.csv")
    view = open_upload(admin_app)

    reply = submit(admin_app, view, {"import_file_input": {"import_file": file_input(info)}})

    reading = checked(reply.json()["view"])
    assert reading["callback_id"] == WORKING
    assert text(reading) == "Reading *big export.csv*…"
    update = admin_app.wait_for("views.update")
    assert update.params["view_id"] == "V0VIEW"  # the submitted modal, now showing "Reading…"
    assert update.params["view"]["callback_id"] == PREVIEW


def test_partner_members_named_by_email_are_linked_to_their_slack_users(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0SAM", email="sam@agency.example", name="Sam Okafor")

    done = press_import(admin_app, upload(admin_app, GOOD.encode()))

    assert "Linked to Slack: sam@agency.example" in text(done)
    with Session(admin_app.engine) as session:
        member = session.exec(select(PartnerMember)).one()
        assert (member.slack_user_id, member.name) == ("U0SAM", "Sam Okafor")


def test_a_preview_from_another_workspace_writes_nothing(admin_app: SlackAppClient) -> None:
    preview = upload(admin_app, GOOD.encode())
    preview = {**preview, "private_metadata": preview["private_metadata"].replace("T0TEAM1", "T0OTHER")}

    done = press_import(admin_app, preview)

    assert "This form is out of date" in text(done)
    assert changes(admin_app) == []
    with Session(admin_app.engine) as session:
        assert session.exec(select(func.count()).select_from(ContractChange)).one() == 0


def test_a_file_whose_bytes_changed_since_the_preview_is_previewed_again_not_written(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    preview = upload(admin_app, GOOD.encode())
    fake_slack.add_file("F0EXPORT", GOOD.replace("$100.00", "$300.00").encode())  # same file ID, new bytes

    view = press_import(admin_app, preview)

    assert view["callback_id"] == PREVIEW
    assert "The file or the workspace's data changed since your preview" in text(view)
    assert changes(admin_app) == []


def test_a_non_admin_submitting_the_upload_modal_is_refused_in_it(admin_app: SlackAppClient) -> None:
    info = admin_app.fake.add_file("F0EXPORT", GOOD.encode())
    view = open_upload(admin_app)

    reply = submit(
        admin_app, view, {"import_file_input": {"import_file": file_input(info)}}, user_id="U0ALICE"
    )

    assert reply.json()["response_action"] == "errors"
    assert "Only admins can import a CSV file" in reply.json()["errors"]["import_file_input"]
    assert admin_app.fake.calls_to("files.info") == []


def test_the_bot_token_is_never_sent_to_a_host_that_is_not_slack(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    info = fake_slack.add_file("F0EXPORT", GOOD.encode())
    elsewhere = fake_slack.base_url.replace("127.0.0.1", "localhost")  # the same server, another host
    for key in ("url_private", "url_private_download"):
        info[key] = info[key].replace(fake_slack.base_url, elsewhere)
    view = open_upload(admin_app)
    updates = len(fake_slack.calls_to("views.update"))

    shown_view = shown(
        admin_app, submit(admin_app, view, {"import_file_input": {"import_file": file_input(info)}}), updates
    )

    assert "Slack gave no download address for export.csv that the app can use" in text(shown_view)
    assert fake_slack.calls_to("files.download") == []


def test_an_export_of_a_view_previews_that_it_removes_nothing(admin_app: SlackAppClient) -> None:
    press_import(admin_app, upload(admin_app, GOOD.encode()))
    view = (
        "Client name,Hub ID,Contract type,Status,Renewal start date,Exported view\n"
        "Acme,1001,Renewal,Pending,2027-03-01,/renewals type:renewal · 2027-01-05\n"
    )

    preview = upload(admin_app, view.encode(), file_id="F0VIEW", name="renewals-2027-01-05.csv")

    assert "*0* created · *0* updated · *1* unchanged · *0* invalid · *0* removed" in text(preview)
    assert (
        "Removes nothing: this file is an export of a /renewals view (/renewals type:renewal · 2027-01-05)"
        in text(preview)
    )
    assert "Unknown columns" not in text(preview)
    done = press_import(admin_app, preview)
    assert "Removes nothing: this file is an export" in text(done)
    assert changes(admin_app) == [("2027-03-01", Decimal(100)), ("2027-04-01", Decimal(50))]
