"""`/renewal <client>` from the outside: signed slash commands in, replies recorded by the fake Slack.

Every reply is also validated by the fake (Block Kit models, Slack's limits) at teardown.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from blocks.values import ClientRef, encode
from store.audit import record_change
from store.clients import end_association
from store.models import Client
from store.rules import ContractType, Status
from tests.app_client import SlackAppClient
from tests.client_support import NOW, blocks_text, db, mrkdwn_text
from tests.factories import OTHER_TEAM, add_change, add_client, days, full_change, workspace_row
from tests.fake_slack import FakeSlack
from tests.slack_requests import block_actions_payload, find_element


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def ask(app: SlackAppClient, text: str, **kwargs: Any) -> dict[str, Any]:
    """Run `/renewal text` and return what the app sent to the command's response_url."""
    before = len(app.fake.calls_to("response_url"))
    assert app.command("/renewal", text, **kwargs).status == 200
    return app.wait_for("response_url", count=before + 1).params


def seed_acme(app: SlackAppClient) -> int:
    with db(app.engine) as session:
        acme = add_client(
            session,
            "Acme Corp",
            "1001",
            domain="acme.com",
            contacts=[
                ("Ana Pérez", "ana@acme.com", "Marketing lead"),
                ("Bob Stone", "bob@acme.com", None),
            ],
            primary="ana@acme.com",
            products=["Marketing Hub Pro", "Sales Hub"],
            contacts_used=1200,
            emails_sent=8000,
        )
        full_change(session, acme, days(60))
        add_change(session, acme, days(90), ContractType.EMAIL_OVERAGE, Status.CONFIRMED)
        add_change(session, acme, days(-10))  # started already: not upcoming
        assert acme.id is not None
        return acme.id


def test_detail_shows_everything_about_the_client(slack_app: SlackAppClient) -> None:
    seed_acme(slack_app)

    reply = ask(slack_app, "Acme Corp")

    assert reply["response_type"] == "ephemeral"
    text = blocks_text(reply["blocks"])
    for expected in [
        "Acme Corp",
        "acme.com",
        "1001",
        "Ana Pérez · ana@acme.com · Marketing lead _(primary contact)_",
        "Bob Stone · bob@acme.com",
        "Marketing Hub Pro, Sales Hub",
        "1,200 / 2,000 max contacts (60%)",
        "8,000 / 20,000 email limit (40%)",
        "HubSpot (workspace default)",
        "*Primary contact*\nAna Pérez &lt;ana@acme.com&gt;",
        "*Association*\nActive",
        "*Upcoming contract changes* (2)",
        "*Renewal* · Pending · *needs action*",
        "*Renewal start date*\n2026-05-01",
        "*Renewal deadline*\n2026-03-17 (in 15 days)",
        "*Max contacts*\n2,000",
        "*Email limit*\n20,000",
        "*Billing frequency*\nAnnual",
        "*Subscription term*\n12 months",
        "*Current MRR*\n$1,200.50",
        "*Estimated new MRR*\n$1,350.00",
        "*Email overage* · Confirmed",
        "No changes made through the app yet.",
    ]:
        assert expected in text, expected
    assert "2026-02-20" not in text  # the change that already started
    assert "Acme Corp" in reply["text"]


def test_the_deadline_counts_from_the_persons_own_day(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0ALICE", tz="Pacific/Auckland")
    seed_acme(slack_app)

    # 11:30 UTC on 2 March is already 3 March in Auckland (UTC+13): the deadline is a day nearer.
    with time_machine.travel(NOW + timedelta(hours=2), tick=True):
        text = blocks_text(ask(slack_app, "acme corp", user_id="U0ALICE")["blocks"])

    assert "*Renewal deadline*\n2026-03-17 (in 14 days)" in text


def test_detail_has_the_client_buttons(slack_app: SlackAppClient) -> None:
    client_id = seed_acme(slack_app)

    blocks = ask(slack_app, "acme corp")["blocks"]

    labels = [e["text"]["text"] for e in blocks[-1]["elements"]]
    assert labels == ["Reassign contact", "Change owner", "End association"]
    end = find_element(blocks, "client_end_association")
    assert end["style"] == "danger"
    assert end["confirm"]["style"] == "danger"
    assert end["value"] == encode(ClientRef(client_id=client_id, team_id="T0TEAM1"))


@pytest.mark.parametrize("query", ["acme.com", "www.acme.com", "1001", "ACME", "acme crop", "Ácme"])
def test_finds_the_client_by_domain_hub_id_or_name_with_a_typo(slack_app: SlackAppClient, query: str) -> None:
    seed_acme(slack_app)

    reply = ask(slack_app, query)

    assert reply["blocks"][0]["text"]["text"] == "Acme Corp"


def test_several_matches_offer_one_button_each_and_picking_one_shows_it(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    seed_acme(slack_app)
    with db(slack_app.engine) as session:
        labs = add_client(session, "Acme Labs", "2002", domain="acmelabs.io")
        labs_id = labs.id

    reply = ask(slack_app, "acm")

    assert "Several clients match “acm”" in reply["text"]
    buttons = [b["accessory"] for b in reply["blocks"] if b.get("accessory")]
    assert [b["text"]["text"] for b in buttons] == ["Show", "Show"]
    assert "Acme Labs" in blocks_text(reply["blocks"])
    labs_button = next(b for b in buttons if f'"client_id":{labs_id}' in b["value"])

    slack_app.action(
        block_actions_payload(
            "client_pick", labs_button["value"], fake=fake_slack, message={"blocks": reply["blocks"]}
        )
    )

    shown = slack_app.wait_for("response_url", count=2).params
    assert shown["replace_original"] is True
    assert shown["blocks"][0]["text"]["text"] == "Acme Labs"


def test_slacks_html_escaping_of_the_command_text_is_undone_before_searching(
    slack_app: SlackAppClient,
) -> None:
    with db(slack_app.engine) as session:
        add_client(session, "Smith & Sons <UK>", "3003")

    reply = ask(slack_app, "smith &amp; sons &lt;uk&gt;")

    assert reply["blocks"][0]["text"]["text"] == "Smith & Sons <UK>"
    assert reply["text"].startswith("Smith &amp; Sons &lt;UK&gt;")


@pytest.mark.parametrize(
    "typed",
    [
        "<http://acme.com|acme.com>",  # a typed domain, as Slack sends it with should_escape
        "<https://www.acme.com/pricing|https://www.acme.com/pricing>",
        "https://www.acme.com/",  # a pasted address, as Slack sends it without should_escape
    ],
)
def test_a_domain_sent_as_a_link_or_an_address_finds_the_client(
    slack_app: SlackAppClient, typed: str
) -> None:
    seed_acme(slack_app)

    reply = ask(slack_app, typed)

    assert reply["blocks"][0]["text"]["text"] == "Acme Corp"


def test_no_match_names_the_closest_clients(slack_app: SlackAppClient) -> None:
    seed_acme(slack_app)

    reply = ask(slack_app, "Acme Industries")

    assert "No client matches “Acme Industries”" in reply["text"]
    assert "Closest names: *Acme Corp*" in reply["text"]


def test_no_argument_shows_usage(slack_app: SlackAppClient) -> None:
    reply = ask(slack_app, "   ")

    assert reply["text"].startswith("Usage: `/renewal &lt;client name, domain or Hub ID&gt;`")
    assert reply["response_type"] == "ephemeral"


def test_an_ended_association_says_when_by_whom_and_why_and_offers_restore(slack_app: SlackAppClient) -> None:
    client_id = seed_acme(slack_app)
    with db(slack_app.engine) as session:
        acme = session.get(Client, client_id)
        assert acme is not None
        end_association(acme, session=session, actor="U0BOSS", reason="Moved to <another> agency")

    blocks = ask(slack_app, "1001")["blocks"]

    text = blocks_text(blocks)
    assert "*Association*\nEnded <!date^" in text
    assert "by <@U0BOSS>" in text
    assert "by <@U0BOSS>: Moved to &lt;another&gt; agency" in text
    assert [e["text"]["text"] for e in blocks[-1]["elements"]][-1] == "Restore association"
    assert "<@U0BOSS> ended the association (reason: Moved to &lt;another&gt; agency)" in text


def test_history_shows_the_last_five_changes_readably(slack_app: SlackAppClient) -> None:
    client_id = seed_acme(slack_app)
    with db(slack_app.engine) as session:
        workspace_id = workspace_row(session).id
        assert workspace_id is not None
        for n in range(4):
            record_change(
                session=session,
                workspace_id=workspace_id,
                actor="U0OLD",
                action="reassign_contact",
                client_id=client_id,
                before={"primary_contact": f"old{n}@acme.com"},
                after={"primary_contact": f"new{n}@acme.com"},
            )
        session.flush()
        record_change(
            session=session,
            workspace_id=workspace_id,
            actor="U0ALICE",
            action="change_owner",
            client_id=client_id,
            before={"owner": "default", "member_user": None, "member_email": None},
            after={"owner": "partner", "member_user": "U0BOB", "member_email": "bob@agency.com"},
        )
        record_change(
            session=session,
            workspace_id=workspace_id,
            actor="cli:import",
            action="import_update",
            client_id=client_id,
            before={"name": "Acme"},
            after={"name": "Acme Corp"},
        )

    text = blocks_text(ask(slack_app, "1001")["blocks"])

    history = text[text.index("*Recent changes*") :]
    assert history.count("\n• ") == 5
    assert "<@U0ALICE> changed the communication owner: the workspace default → <@U0BOB>" in history
    assert "cli:import import update: name: Acme → Acme Corp" in history
    assert "<!date^" in history and "{date_short_pretty}" in history
    assert "old0@acme.com" not in history  # the oldest of six is left out


def test_a_client_named_like_a_mention_pings_nobody(slack_app: SlackAppClient, fake_slack: FakeSlack) -> None:
    with db(slack_app.engine) as session:
        add_client(
            session,
            "<!channel> & <@U0BOSS>",
            "666",
            domain="evil.example",
            contacts=[("<!here>", "x@evil.example", "<#C1>")],
            primary="x@evil.example",
        )

    reply = ask(slack_app, "666")

    # Plain text (the header, the confirm dialog) never renders mentions; all mrkdwn is escaped.
    mrkdwn_sent = mrkdwn_text(reply["blocks"]) + reply["text"]
    assert "&lt;!channel&gt;" in mrkdwn_sent
    for raw in ["<!channel>", "<@U0BOSS>", "<!here>", "<#C1>"]:
        assert raw not in mrkdwn_sent
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in reply["text"]
    assert "&lt;!here&gt;" in blocks_text(reply["blocks"])


def test_a_huge_client_still_makes_a_valid_message(slack_app: SlackAppClient) -> None:
    with db(slack_app.engine) as session:
        huge = add_client(
            session,
            "Mega " + "x" * 495,  # the longest name the database takes
            "777",
            contacts=[
                (f"Person {n:03d} " + "y" * 80, f"p{n}@mega.example", "Role " * 10) for n in range(300)
            ],
            primary="p150@mega.example",
            products=[f"Product {n}" for n in range(200)],
        )
        for n in range(40):
            full_change(session, huge, NOW.date() + timedelta(days=5 + n))

    reply = ask(slack_app, "777")

    assert len(reply["blocks"]) <= 50
    text = blocks_text(reply["blocks"])
    assert "*Contacts* (300)" in text
    assert "p150@mega.example · Role" in text  # the primary contact is listed first
    assert "more" in text
    assert "…and 10 later contract changes, not shown" in text
    assert reply["blocks"][0]["text"]["text"].endswith("…")
    # The fake Slack checks every limit at teardown (section 3000, field 2000, header 150...).


def test_another_workspace_cannot_find_the_client(slack_app: SlackAppClient) -> None:
    seed_acme(slack_app)

    reply = ask(slack_app, "Acme Corp", team_id=OTHER_TEAM)

    assert "No client matches" in reply["text"]
    assert "Acme" not in reply["text"].replace("“Acme Corp”", "")


def test_a_pick_button_from_another_workspace_is_refused(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    client_id = seed_acme(slack_app)
    foreign = encode(ClientRef(client_id=client_id, team_id="T0TEAM1"))
    forged = encode(ClientRef(client_id=client_id, team_id=OTHER_TEAM))

    slack_app.action(block_actions_payload("client_pick", foreign, team_id=OTHER_TEAM, fake=fake_slack))
    first = slack_app.wait_for("response_url").params
    slack_app.action(block_actions_payload("client_pick", forged, team_id=OTHER_TEAM, fake=fake_slack))
    second = slack_app.wait_for("response_url", count=2).params

    assert "belongs to another Slack workspace" in first["text"]
    assert "no longer in this workspace" in second["text"]
    assert "Acme" not in first["text"] + second["text"]
    assert "blocks" not in first and "blocks" not in second


def test_a_stale_button_asks_to_run_the_command_again(
    slack_app: SlackAppClient, fake_slack: FakeSlack
) -> None:
    slack_app.action(block_actions_payload("client_pick", '{"v": 0, "what": 1}', fake=fake_slack))

    reply = slack_app.wait_for("response_url").params
    assert "out of date" in reply["text"]
    assert "/renewal" in reply["text"]


# --- the blocks alone: limits by construction, checked with slack_sdk's own validation -------


def _validate(blocks: list[Any]) -> None:
    from tests.fake_slack import block_problems

    assert block_problems([b.to_dict() for b in blocks], max_blocks=50) == []


def test_detail_blocks_stay_valid_with_a_2000_character_name_and_a_flood_of_data() -> None:
    from blocks.client import client_detail_message
    from store.clients import ClientDetail
    from store.models import AuditEvent, Contact
    from store.rules import Owner, OwnerKind
    from store.upcoming import RenewalRow

    name = "<!channel> " + "N" * 1990
    client = Client(
        id=1,
        workspace_id=1,
        hub_id="9" * 20,
        name=name,
        name_folded=name.lower(),
        domain="d" * 253,
        products=["P" * 300] * 50,
        contacts_used=10**9,
        emails_sent=10**9,
        association_ended_at=NOW,
        association_ended_by="U0BOSS",
        association_end_reason="R" * 1000,
    )
    contacts = [
        Contact(id=n, workspace_id=1, client_id=1, name="C" * 300, email=f"{n}@x.io", role="R" * 200)
        for n in range(300)
    ]
    row = RenewalRow(
        change_id=1,
        client_id=1,
        client_name=name,
        hub_id=client.hub_id,
        domain=client.domain,
        owner=Owner(kind=OwnerKind.PARTNER, name="O" * 200, email="o@x.io"),
        primary_contact=None,
        contract_type=ContractType.RENEWAL,
        status=Status.PENDING,
        renewal_start_date=days(50),
        renewal_deadline=days(5),
        max_contacts=10**9,
        email_limit=10**9,
        billing_frequency=None,
        billing_months=None,
        subscription_term_months=10**6,
        current_mrr=None,
        estimated_new_mrr=None,
    )
    history = [
        AuditEvent(
            id=n,
            workspace_id=1,
            client_id=1,
            actor="U" + "X" * 30,
            action="x" * 64,
            before={"k" * 50: "v" * 1000},
            after={"k" * 50: "w" * 1000},
            at=NOW,
        )
        for n in range(5)
    ]
    detail = ClientDetail(
        client=client,
        owner=Owner(kind=OwnerKind.PARTNER, name="O" * 200),
        primary_contact=contacts[0],
        contacts=contacts,
        changes=[row] * 40,
        history=history,
        today=NOW.date(),
    )

    message = client_detail_message(detail, team_id="T0TEAM1")

    _validate(message.blocks)
    assert len(message.text) < 3000
    assert "<!channel>" not in message.text
