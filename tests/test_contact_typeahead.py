"""The contact type-ahead: a client with more than 100 contacts gets an external select in the
reassign-contact modal, its options served by block_suggestion, through signed requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from slack_sdk.models.blocks import Option

from tests.app_client import SlackAppClient
from tests.client_support import NOW, REASSIGN, click, contact_id, detail, opened_view, primary_email, seed
from tests.factories import OTHER_TEAM
from tests.slack_requests import block_suggestion_payload, external_select, view_submission_payload


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def test_more_than_100_contacts_use_a_type_ahead_served_by_block_suggestion(
    slack_app: SlackAppClient,
) -> None:
    client_id = seed(slack_app, contacts=250)
    click(slack_app, REASSIGN, detail(slack_app))
    view = opened_view(slack_app)
    element = view["blocks"][1]["element"]
    assert element["type"] == "external_select"
    assert element["initial_option"]["value"] == str(contact_id(slack_app, "ana@acme.com"))

    everyone = slack_app.suggestion(
        block_suggestion_payload("contact_select", "", block_id="contact_input", view=view)
    )
    some = slack_app.suggestion(
        block_suggestion_payload("contact_select", "person 12", block_id="contact_input", view=view)
    )
    accents = slack_app.suggestion(
        block_suggestion_payload("contact_select", "PEREZ", block_id="contact_input", view=view)
    )

    assert len(everyone.json()["options"]) == 100
    assert [o["text"]["text"] for o in some.json()["options"]] == [
        f"Person {n} <p{n}@acme.com>" for n in range(120, 130)
    ]
    assert [o["text"]["text"] for o in accents.json()["options"]] == ["Ana Pérez <ana@acme.com>"]
    for reply in (everyone, some, accents):
        for option in reply.json()["options"]:
            Option(**option).validate_json()

    chosen = some.json()["options"][0]["value"]
    slack_app.view_submission(
        view_submission_payload(view, {"contact_input": {"contact_select": external_select(chosen)}})
    )
    slack_app.wait_for("response_url", count=2)
    assert primary_email(slack_app.engine, client_id) == "p120@acme.com"


def test_suggestions_for_another_workspaces_modal_are_empty(slack_app: SlackAppClient) -> None:
    seed(slack_app, contacts=150)
    click(slack_app, REASSIGN, detail(slack_app))
    view = opened_view(slack_app)

    reply = slack_app.suggestion(
        block_suggestion_payload(
            "contact_select", "", block_id="contact_input", team_id=OTHER_TEAM, view=view
        )
    )

    assert reply.json() == {"options": []}
