"""The buttons that act on one client, shared by `/renewal`, `/renewals` and digests.

    client_action_buttons(client_id, team_id, association_active=True, block_id_suffix="42")

gives one `actions` block: "Reassign contact", "Change owner", and "End association"
(danger, behind a Slack confirm dialog) or, for an ended association, "Restore association".
Every button's value is a `ClientRef` (client and team), decoded by handlers.client_actions,
which checks the team against the request's own before touching anything. Put several
clients' buttons in one message by giving each a distinct `block_id_suffix` (the client ID
is a good one): Slack needs block IDs unique within a message, and action IDs unique within
a block, so the action IDs stay the same everywhere and one listener serves them all.

`follow_up_buttons` are one contract change's "Snooze 3 days" and "Handled" (or, once in force,
"Unsnooze" and "Not handled"), each carrying a `ChangeRef`: on every digest item
(`item_action_buttons`), in a client's detail, and in any other list of changes for people.

`add_end_reason_button` is "Add a reason", offered next to an ended association (the
confirm dialog of "End association" has no input, so the why comes after the fact).
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, ConfirmObject, PlainTextObject

from blocks.ids import ActionId, BlockId
from blocks.limits import ACCESSIBILITY_LABEL_CHARS, CONFIRM_TEXT_CHARS, ID_CHARS
from blocks.text import truncate
from blocks.values import ChangeRef, ClientRef, encode
from store.upcoming import RenewalRow

REASSIGN_CONTACT_LABEL = "Reassign contact"
CHANGE_OWNER_LABEL = "Change owner"
END_ASSOCIATION_LABEL = "End association"
RESTORE_ASSOCIATION_LABEL = "Restore association"
ADD_END_REASON_LABEL = "Add a reason"
SNOOZE_LABEL = "Snooze 3 days"
HANDLED_LABEL = "Handled"
UNSNOOZE_LABEL = "Unsnooze"
NOT_HANDLED_LABEL = "Not handled"


def client_actions_block_id(suffix: str | None = None) -> str:
    """`client_actions`, or `client_actions:<suffix>` when a message holds several clients."""
    if suffix is None:
        return BlockId.CLIENT_ACTIONS.value
    return truncate(f"{BlockId.CLIENT_ACTIONS.value}:{suffix}", ID_CHARS)


def _accessibility_label(label: str, client_name: str | None) -> str | None:
    """'Change owner: Acme' for screen readers, when a message shows several clients' buttons."""
    return truncate(f"{label}: {client_name}", ACCESSIBILITY_LABEL_CHARS) if client_name else None


def end_association_confirm(client_name: str | None = None) -> ConfirmObject:
    """The confirm dialog in front of "End association" (plain text: no escaping needed, none done)."""
    who = client_name or "this client"
    text = (
        f"End the association with {who}? It leaves upcoming renewals and every digest. "
        "Nothing is deleted; an admin can restore it."
    )
    return ConfirmObject(
        title=PlainTextObject(text="End the association?"),
        text=PlainTextObject(text=truncate(text, CONFIRM_TEXT_CHARS)),
        confirm=PlainTextObject(text="End association"),
        deny=PlainTextObject(text="Cancel"),
        style="danger",
    )


def client_action_buttons(
    client_id: int,
    team_id: str,
    *,
    association_active: bool,
    block_id_suffix: str | None = None,
    client_name: str | None = None,
) -> ActionsBlock:
    """The actions block for one client (see the module docstring).

    `client_name`, when given, is named in the end-association confirm dialog and in the
    buttons' accessibility labels (useful when one message shows several clients).
    """
    value = encode(ClientRef(client_id=client_id, team_id=team_id))

    def button(label: str, action_id: ActionId, **kwargs: object) -> ButtonElement:
        return ButtonElement(
            text=PlainTextObject(text=label),
            action_id=action_id.value,
            value=value,
            accessibility_label=_accessibility_label(label, client_name),
            **kwargs,  # type: ignore[arg-type]
        )

    elements = [
        button(REASSIGN_CONTACT_LABEL, ActionId.REASSIGN_CONTACT),
        button(CHANGE_OWNER_LABEL, ActionId.CHANGE_OWNER),
    ]
    if association_active:
        elements.append(
            button(
                END_ASSOCIATION_LABEL,
                ActionId.END_ASSOCIATION,
                style="danger",
                confirm=end_association_confirm(client_name),
            )
        )
    else:
        elements.append(button(RESTORE_ASSOCIATION_LABEL, ActionId.RESTORE_ASSOCIATION))
    return ActionsBlock(block_id=client_actions_block_id(block_id_suffix), elements=elements)


def row_action_buttons(row: RenewalRow, team_id: str) -> ActionsBlock:
    """The buttons of one listed contract change's client (a digest, the Home tab).

    Their block ID is unique in the message even when one client has two contract changes in it.
    """
    return client_action_buttons(
        row.client_id,
        team_id,
        association_active=True,
        block_id_suffix=f"{row.client_id}.{row.change_id}",
        client_name=row.client_name,
    )


def follow_up_buttons(
    change_id: int,
    team_id: str,
    *,
    snoozed: bool = False,
    handled: bool = False,
    item_name: str | None = None,
) -> list[ButtonElement]:
    """ "Snooze 3 days" (or "Unsnooze" when `snoozed`) and "Handled" (or "Not handled" when `handled`)
    for one contract change. `item_name` ('Acme Corp, Renewal') is for screen readers."""
    value = encode(ChangeRef(change_id=change_id, team_id=team_id))
    snooze = (UNSNOOZE_LABEL, ActionId.UNSNOOZE) if snoozed else (SNOOZE_LABEL, ActionId.SNOOZE)
    handle = (NOT_HANDLED_LABEL, ActionId.NOT_HANDLED) if handled else (HANDLED_LABEL, ActionId.HANDLED)
    return [
        ButtonElement(
            text=PlainTextObject(text=label),
            action_id=action_id.value,
            value=value,
            accessibility_label=_accessibility_label(label, item_name),
        )
        for label, action_id in (snooze, handle)
    ]


def item_name(row: RenewalRow) -> str:
    """'Acme Corp, Renewal': which contract change a button acts on, for screen readers."""
    return f"{row.client_name}, {row.contract_type.label}"


def item_action_buttons(row: RenewalRow, team_id: str) -> ActionsBlock:
    """A listed contract change's buttons (a digest, a reminder): its client's, then
    "Snooze 3 days" and "Handled"."""
    block = row_action_buttons(row, team_id)
    extra = follow_up_buttons(row.change_id, team_id, item_name=item_name(row))
    return ActionsBlock(block_id=block.block_id, elements=[*block.elements, *extra])


def add_end_reason_button(client_id: int, team_id: str, *, client_name: str | None = None) -> ButtonElement:
    """The "Add a reason" button: say why an ended association ended (admins; opens a modal)."""
    return ButtonElement(
        text=PlainTextObject(text=ADD_END_REASON_LABEL),
        action_id=ActionId.ADD_END_REASON.value,
        value=encode(ClientRef(client_id=client_id, team_id=team_id)),
        accessibility_label=_accessibility_label(ADD_END_REASON_LABEL, client_name),
    )
