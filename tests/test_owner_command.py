"""`/renewal-owner` from the outside: the renewals you own, setting an owner, the workspace default."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlmodel import Session, select

from store.clients import end_association
from store.models import Client, PartnerMember, Workspace
from store.rules import OwnerKind
from tests.app_client import SlackAppClient
from tests.client_support import NOW, blocks_text, db, events, reload
from tests.factories import OTHER_TEAM, TEAM, add_change, add_client, add_member, days, set_partner
from tests.fake_slack import FakeSlack


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def owner_cmd(app: SlackAppClient, text: str = "", **kwargs: Any) -> dict[str, Any]:
    before = len(app.fake.calls_to("response_url"))
    assert app.command("/renewal-owner", text, **kwargs).status == 200
    return app.wait_for("response_url", count=before + 1).params


def table_rows(reply: dict[str, Any]) -> list[list[str]]:
    [table] = [b for b in reply["blocks"] if b["type"] == "table"]
    return [[cell["text"] for cell in row] for row in table["rows"]]


def partner_owns_all(app: SlackAppClient, team_id: str = TEAM) -> bool:
    with Session(app.engine) as session:
        workspace = session.exec(select(Workspace).where(Workspace.team_id == team_id)).one()
        return workspace.partner_owns_all


# --- the renewals you own -----------------------------------------------------------------


def test_lists_the_renewals_you_own_by_slack_id_or_by_your_imported_email(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", email="alice@agency.com", name="Alice")
    with db(slack_app.engine) as session:
        by_id = add_member(session, user_id="U0ALICE")
        by_email = add_member(session, email="Alice@Agency.com")
        someone_else = add_member(session, user_id="U0BOB")
        mine = add_client(session, "Mine By Id", "1")
        set_partner(session, mine, by_id)
        add_change(session, mine, days(80))
        imported = add_client(session, "Mine By Email", "2")
        set_partner(session, imported, by_email)
        add_change(session, imported, days(50))
        add_change(session, imported, days(130))  # beyond the 120-day window
        theirs = add_client(session, "Bob's", "3")
        set_partner(session, theirs, someone_else)
        add_change(session, theirs, days(60))
        add_change(session, add_client(session, "HubSpot's", "4"), days(60))
        gone = add_client(session, "Gone", "5")
        set_partner(session, gone, by_id)
        add_change(session, gone, days(60))
        end_association(gone, session=session, actor="U0BOSS")

    reply = owner_cmd(slack_app)

    assert reply["response_type"] == "ephemeral"
    assert table_rows(reply) == [
        ["Client name", "Contract type", "Status", "Renewal deadline", "Days left", "Current MRR"],
        ["Mine By Email", "Renewal", "Pending", str(days(5)), "in 5 days", "–"],
        ["Mine By Id", "Renewal", "Pending", str(days(35)), "in 35 days", "–"],
    ]
    assert "2 contract changes in the next 120 days, 2 needing action" in reply["text"]


def test_days_left_count_from_the_persons_own_day(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ALICE", tz="America/Los_Angeles")
    with db(slack_app.engine) as session:
        mine = add_client(session, "Mine", "1")
        set_partner(session, mine, add_member(session, user_id="U0ALICE"))
        add_change(session, mine, days(50))  # deadline: 7 March

    # 02:30 UTC on 2 March is still 1 March in Los Angeles (UTC-8).
    with time_machine.travel(NOW - timedelta(hours=7), tick=True):
        reply = owner_cmd(slack_app, user_id="U0ALICE")

    assert table_rows(reply)[1][3:5] == [str(days(5)), "in 6 days"]


def test_owning_nothing_says_so(slack_app: SlackAppClient) -> None:
    reply = owner_cmd(slack_app)

    assert "You own no contract changes" in reply["text"]
    assert "/renewal-owner &lt;client&gt; me" in reply["text"]


def test_a_long_list_stays_within_one_table(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        me = add_member(session, user_id="U0ALICE")
        for n in range(150):
            client = add_client(session, f"Client {n:03d} " + "z" * 200, str(1000 + n))
            set_partner(session, client, me)
            add_change(session, client, NOW.date() + timedelta(days=46 + n % 70))

    reply = owner_cmd(slack_app)

    rows = table_rows(reply)
    assert 2 <= len(rows) <= 100
    assert sum(len(cell) for row in rows for cell in row) <= 10_000
    assert f"Showing the {len(rows) - 1} soonest of 150" in blocks_text(reply["blocks"])


# --- setting a client's owner --------------------------------------------------------------


@pytest.mark.parametrize("mention", ["<@U0BOB|bob>", "<@U0BOB>"])
def test_sets_a_clients_owner_to_a_mentioned_user(
    slack_app: SlackAppClient, fake_slack: FakeSlack, mention: str
) -> None:
    fake_slack.add_user("U0BOB", email="bob@agency.com", name="Bob Agent")
    with db(slack_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001").id
        assert client_id is not None

    reply = owner_cmd(slack_app, f"Acme Corp {mention}")

    assert (
        reply["text"]
        == "*Acme Corp*'s communication owner is now <@U0BOB> (was HubSpot (workspace default))."
    )
    client = reload(slack_app.engine, client_id)
    assert client.owner_kind is OwnerKind.PARTNER
    with Session(slack_app.engine) as session:
        member = session.get(PartnerMember, client.owner_member_id)
        assert member is not None and (member.slack_user_id, member.email) == ("U0BOB", "bob@agency.com")
    [event] = events(slack_app.engine, "change_owner")
    assert event.actor == "U0ALICE" and event.after["member_user"] == "U0BOB"


def test_a_mention_whose_label_has_spaces_still_names_the_owner(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0BOB", email="bob@agency.com", name="Bob Agent")
    with db(slack_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001").id
        assert client_id is not None

    reply = owner_cmd(slack_app, "Acme Corp <@U0BOB|Bob Agent>")

    assert "now <@U0BOB>" in reply["text"]
    assert reload(slack_app.engine, client_id).owner_kind is OwnerKind.PARTNER


def test_a_client_named_by_its_linked_domain_gets_the_owner(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", email="alice@agency.com", name="Alice")
    with db(slack_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001", domain="acme.com").id
        assert client_id is not None

    reply = owner_cmd(slack_app, "<http://acme.com|acme.com> me")

    assert "now <@U0ALICE>" in reply["text"]
    assert reload(slack_app.engine, client_id).owner_kind is OwnerKind.PARTNER


def test_me_makes_the_caller_the_owner_and_hubspot_gives_it_back(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", email="alice@agency.com", name="Alice")
    with db(slack_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001", domain="acme.com").id
        assert client_id is not None

    mine = owner_cmd(slack_app, "acme.com me")
    again = owner_cmd(slack_app, "acme.com me")
    back = owner_cmd(slack_app, "1001 HubSpot")

    assert "now <@U0ALICE>" in mine["text"]
    assert "already <@U0ALICE>. Nothing changed." in again["text"]
    assert "now HubSpot (was <@U0ALICE>)" in back["text"]
    assert reload(slack_app.engine, client_id).owner_kind is OwnerKind.HUBSPOT
    assert [e.after["owner"] for e in events(slack_app.engine, "change_owner")] == ["partner", "hubspot"]


def test_an_ambiguous_client_lists_the_candidates_and_changes_nothing(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        add_client(session, "Acme Corp", "1001")
        add_client(session, "Acme Labs", "2002")

    reply = owner_cmd(slack_app, "acme me")

    assert "Several clients match “acme”" in reply["text"]
    assert "*Acme Corp*: Hub ID 1001" in reply["text"] and "*Acme Labs*: Hub ID 2002" in reply["text"]
    assert "`/renewal-owner 1001 me`" in reply["text"]
    assert events(slack_app.engine) == []


def test_an_unknown_client_names_the_closest(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        add_client(session, "Globex Corporation", "1001")

    reply = owner_cmd(slack_app, "Globex Industries hubspot")

    assert "No client matches “Globex Industries”" in reply["text"]
    assert "*Globex Corporation*" in reply["text"]
    assert events(slack_app.engine) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Acme Corp @bob", "“@bob” is not an owner"),
        ("Acme Corp partner", "“partner” is not an owner"),
        ("Acme", "Name a client and its owner"),
        ("default", "Say `/renewal-owner default partner`"),
        ("default everyone", "Say `/renewal-owner default partner`"),
    ],
)
def test_bad_arguments_get_the_usage(slack_app: SlackAppClient, text: str, problem: str) -> None:
    with db(slack_app.engine) as session:
        add_client(session, "Acme Corp", "1001")

    reply = owner_cmd(slack_app, text)

    assert problem in reply["text"]
    assert "Usage:" in reply["text"]
    assert events(slack_app.engine) == []


def test_a_bot_cannot_own_a_client(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ROBOT")["is_bot"] = True
    with db(slack_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001").id
        assert client_id is not None

    reply = owner_cmd(slack_app, "Acme Corp <@U0ROBOT|robot>")

    assert reply["text"] == "Choose a person, not a bot."
    assert reload(slack_app.engine, client_id).owner_kind is None


# --- the workspace default (admins only) ---------------------------------------------------


def test_a_member_cannot_change_the_workspace_default(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0MEMBER")

    reply = owner_cmd(slack_app, "default partner", user_id="U0MEMBER")

    assert "Only admins can change the workspace default owner" in reply["text"]
    assert not partner_owns_all(slack_app)
    assert events(slack_app.engine) == []


def test_a_slack_admin_changes_the_workspace_default(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0BOSS", is_owner=True)
    with db(slack_app.engine) as session:
        add_client(session, "Acme Corp", "1001")

    reply = owner_cmd(slack_app, "default Partner", user_id="U0BOSS")

    assert "now the partner team" in reply["text"]
    assert partner_owns_all(slack_app)
    [event] = events(slack_app.engine, "set_default_owner")
    assert (event.actor, event.before, event.after) == (
        "U0BOSS",
        {"default_owner": "hubspot"},
        {"default_owner": "partner"},
    )
    detail = owner_cmd(slack_app, "")  # nothing owned by U0BOSS personally
    assert "You own no contract changes" in detail["text"]


def test_an_admin_in_renewals_admins_changes_the_workspace_default(admin_app: SlackAppClient) -> None:
    owner_cmd(admin_app, "default partner", user_id="U0LISTED")
    reply = owner_cmd(admin_app, "default hubspot", user_id="U0LISTED")

    assert "now HubSpot" in reply["text"]
    assert not partner_owns_all(admin_app)
    assert len(events(admin_app.engine, "set_default_owner")) == 2


def test_another_workspace_changes_neither_this_ones_clients_nor_its_default(
    admin_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    with db(admin_app.engine) as session:
        client_id = add_client(session, "Acme Corp", "1001").id
        assert client_id is not None
    fake_slack.add_user("U0ALICE", email="alice@agency.com")

    owned = owner_cmd(admin_app, "Acme Corp me", team_id=OTHER_TEAM)
    default = owner_cmd(admin_app, "default partner", team_id=OTHER_TEAM, user_id="U0LISTED")

    assert "No client matches" in owned["text"]
    assert "now the partner team" in default["text"]
    assert reload(admin_app.engine, client_id).owner_kind is None
    assert not partner_owns_all(admin_app, TEAM)
    assert partner_owns_all(admin_app, OTHER_TEAM)
    with Session(admin_app.engine) as session:
        assert session.exec(select(Client).where(Client.owner_kind.is_not(None))).all() == []  # type: ignore[union-attr]
