"""The modals behind a client's buttons: "Reassign contact", "Change owner" and "Add a reason".

Builders (store objects -> `View`) and readers (a submitted view's state -> what was
chosen). Both sides use the IDs in blocks.ids, so a modal and its listener cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from blocks.client import owner_text
from blocks.ids import ActionId, BlockId, ViewId
from blocks.limits import MAX_SELECT_OPTIONS, OPTION_TEXT_CHARS
from blocks.message import section
from blocks.text import mrkdwn, slack_date, truncate, who
from blocks.views import modal
from store.clients import MAX_END_REASON_CHARS
from store.models import Client, Contact
from store.rules import Owner, OwnerKind

HUBSPOT_LABEL = "HubSpot"
PARTNER_LABEL = "A partner team member"


def contact_option(contact: Contact) -> Option:
    """One contact in a select: "Name <email>" (cut to 75 chars), role as the description."""
    assert contact.id is not None
    return Option(
        value=str(contact.id),
        text=PlainTextObject(text=truncate(contact.label, OPTION_TEXT_CHARS)),
        description=PlainTextObject(text=truncate(contact.role, OPTION_TEXT_CHARS)) if contact.role else None,
    )


def contact_options(contacts: Sequence[Contact]) -> list[Option]:
    """At most 100 options, as Slack allows in a select and in a block_suggestion answer."""
    return [contact_option(c) for c in contacts[:MAX_SELECT_OPTIONS]]


def reassign_contact_modal(
    client: Client,
    *,
    contacts: Sequence[Contact],
    total_contacts: int,
    current: Contact | None,
    private_metadata: str,
) -> View:
    """Choose the client's primary contact among its own contacts.

    Up to 100 contacts: a static select of all of them (`contacts`). More: an external
    select whose options come, as the person types, from the block_suggestion listener.
    """
    intro = f"Choose the primary contact of *{mrkdwn(client.name, 1000)}*: the person who must hear "
    intro += "about its upcoming contract changes."
    if current is not None:
        intro += f"\nNow: {mrkdwn(current.label, 600)}"
    initial = contact_option(current) if current is not None else None
    element: StaticSelectElement | ExternalDataSelectElement
    if total_contacts <= MAX_SELECT_OPTIONS:
        options = contact_options(contacts)
        element = StaticSelectElement(
            action_id=ActionId.CONTACT_SELECT.value,
            placeholder=PlainTextObject(text="Choose a contact"),
            options=options,
            initial_option=initial if initial and initial.value in {o.value for o in options} else None,
        )
        hint = None
    else:
        element = ExternalDataSelectElement(
            action_id=ActionId.CONTACT_SELECT.value,
            placeholder=PlainTextObject(text="Type a name or email"),
            initial_option=initial,
            # 0: the first 100 show as soon as the menu opens; typing narrows them down.
            min_query_length=0,
        )
        hint = PlainTextObject(text=f"{total_contacts:,} contacts: type part of a name or email to find one.")
    return modal(
        ViewId.REASSIGN_CONTACT,
        "Reassign contact",
        [
            section(intro),
            InputBlock(
                block_id=BlockId.CONTACT_INPUT.value,
                label=PlainTextObject(text="Primary contact"),
                element=element,
                hint=hint,
            ),
        ],
        submit="Reassign",
        private_metadata=private_metadata,
    )


def change_owner_modal(client: Client, *, owner: Owner, private_metadata: str) -> View:
    """HubSpot or a named partner team member (a Slack user) as the client's communication owner."""
    hubspot = Option(value=OwnerKind.HUBSPOT.value, text=PlainTextObject(text=HUBSPOT_LABEL))
    partner = Option(value=OwnerKind.PARTNER.value, text=PlainTextObject(text=PARTNER_LABEL))
    intro = f"Who tells *{mrkdwn(client.name, 1500)}* about its contract changes?\nNow: {owner_text(owner)}"
    return modal(
        ViewId.CHANGE_OWNER,
        "Change owner",
        [
            section(intro),
            InputBlock(
                block_id=BlockId.OWNER_KIND_INPUT.value,
                label=PlainTextObject(text="Communication owner"),
                element=RadioButtonsElement(
                    action_id=ActionId.OWNER_KIND.value,
                    options=[hubspot, partner],
                    initial_option=partner if owner.kind is OwnerKind.PARTNER else hubspot,
                ),
            ),
            InputBlock(
                block_id=BlockId.OWNER_INPUT.value,
                label=PlainTextObject(text="Partner team member"),
                optional=True,
                element=UserSelectElement(
                    action_id=ActionId.OWNER_SELECT.value,
                    placeholder=PlainTextObject(text="Choose a person"),
                    initial_user=owner.slack_user_id if owner.kind is OwnerKind.PARTNER else None,
                ),
                hint=PlainTextObject(text="Needed when a partner team member owns the conversation."),
            ),
        ],
        submit="Save",
        private_metadata=private_metadata,
    )


def end_reason_modal(client: Client, *, private_metadata: str) -> View:
    """Why an ended association ended: one required text, pre-filled with the recorded reason."""
    assert client.association_ended_at is not None
    intro = (
        f"The association with *{mrkdwn(client.name, 1500)}* ended {slack_date(client.association_ended_at)} "
        f"by {who(client.association_ended_by)}. Why? The reason shows in its detail and history."
    )
    return modal(
        ViewId.END_REASON,
        "Why it ended",
        [
            section(intro),
            InputBlock(
                block_id=BlockId.END_REASON_INPUT.value,
                label=PlainTextObject(text="Reason"),
                element=PlainTextInputElement(
                    action_id=ActionId.END_REASON.value,
                    multiline=True,
                    max_length=MAX_END_REASON_CHARS,
                    initial_value=truncate(client.association_end_reason or "", MAX_END_REASON_CHARS) or None,
                    placeholder=PlainTextObject(text="e.g. Moved to another agency"),
                ),
            ),
        ],
        submit="Save reason",
        private_metadata=private_metadata,
    )


# --- reading a submitted view -----------------------------------------------------------------


def _state_value(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def read_contact_choice(values: dict[str, Any]) -> int | None:
    """The contact ID chosen in the reassign-contact modal, or None when nothing (usable) was chosen."""
    chosen = _state_value(values, BlockId.CONTACT_INPUT.value, ActionId.CONTACT_SELECT.value)
    raw = (chosen.get("selected_option") or {}).get("value")
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)


@dataclass(frozen=True)
class OwnerChoice:
    """What the change-owner modal said, or the errors to show in it (by block ID)."""

    kind: OwnerKind | None = None
    user_id: str | None = None
    errors: dict[str, str] | None = None


def read_owner_choice(values: dict[str, Any]) -> OwnerChoice:
    radio = _state_value(values, BlockId.OWNER_KIND_INPUT.value, ActionId.OWNER_KIND.value)
    kind_value = (radio.get("selected_option") or {}).get("value")
    user = _state_value(values, BlockId.OWNER_INPUT.value, ActionId.OWNER_SELECT.value).get("selected_user")
    if kind_value == OwnerKind.PARTNER.value:
        if not user:
            return OwnerChoice(errors={BlockId.OWNER_INPUT.value: "Choose the partner team member."})
        return OwnerChoice(kind=OwnerKind.PARTNER, user_id=user)
    if kind_value == OwnerKind.HUBSPOT.value:
        # The radio button is the choice; a person still shown in the select (the current
        # owner is pre-filled) does not count once "HubSpot" is chosen.
        return OwnerChoice(kind=OwnerKind.HUBSPOT)
    return OwnerChoice(errors={BlockId.OWNER_KIND_INPUT.value: "Choose HubSpot or a partner team member."})


def read_end_reason(values: dict[str, Any]) -> str:
    """The reason typed in the end-reason modal, stripped ("" when none)."""
    value = _state_value(values, BlockId.END_REASON_INPUT.value, ActionId.END_REASON.value).get("value")
    return value.strip() if isinstance(value, str) else ""
