"""`/renewal-owner`: see the renewals you own, set a client's owner, set the workspace default.

    /renewal-owner                               the renewals you own
    /renewal-owner <client> <@user|me|hubspot>   set a client's communication owner (anyone)
    /renewal-owner default <partner|hubspot>     the workspace default (admins only)

Mentions arrive as `<@U123|name>` (the manifest sets should_escape); `<@U123>` works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from blocks.client import no_client_message
from blocks.owners import (
    MAX_CANDIDATES,
    OWNED_ROWS_SHOWN,
    ambiguous_client_message,
    default_set_message,
    owned_renewals_message,
    owner_set_message,
    owner_usage_message,
)
from blocks.text import escape, mrkdwn
from bot.errors import UserError
from bot.slack.context import is_admin, person_of, services_of
from bot.slack.replies import refusal
from handlers.command_text import command_words, mention
from handlers.common import current_workspace, set_client_owner, viewer_for
from store.clients import ClientChangeError, client_owner, find_clients, set_partner_owns_all
from store.db import session_scope
from store.rules import UPCOMING_WINDOW_DAYS, OwnerKind
from store.upcoming import RenewalQuery, upcoming_view

OWNER_WORDS = "`@someone`, `me` or `hubspot`"


@dataclass(frozen=True)
class OwnerArg:
    kind: OwnerKind
    user_id: str | None = None


def parse_owner(token: str, *, caller: str) -> OwnerArg | None:
    """`me`, `hubspot` or a Slack mention; None for anything else."""
    word = token.lower()
    if word == "me":
        return OwnerArg(OwnerKind.PARTNER, caller)
    if word == "hubspot":
        return OwnerArg(OwnerKind.HUBSPOT)
    person = mention(token)
    if person:
        return OwnerArg(OwnerKind.PARTNER, person.user_id)
    return None


def _show_owned(client: WebClient, respond: Respond, context: BoltContext, user_id: str) -> None:
    # Their Slack email matches owners imported by email; without it (no users:read.email, Slack
    # down) they still match by user ID, and their day is UTC's.
    person = person_of(context, client, user_id)
    today = person.today()
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        mine = upcoming_view(
            workspace,
            RenewalQuery(owner="me"),
            session=session,
            today=today,
            viewer=viewer_for(person),
            page_size=OWNED_ROWS_SHOWN,
        )
    message = owned_renewals_message(mine, days=UPCOMING_WINDOW_DAYS)
    respond(**message.as_kwargs(), response_type="ephemeral")


def _set_default(
    words: list[str], client: WebClient, respond: Respond, context: BoltContext, user_id: str
) -> None:
    if len(words) != 2 or words[1].lower() not in ("partner", "hubspot"):
        respond(
            **owner_usage_message(
                "Say `/renewal-owner default partner` or `/renewal-owner default hubspot`."
            ).as_kwargs(),
            response_type="ephemeral",
        )
        return
    if not is_admin(context, client, user_id):
        raise UserError(refusal("change the workspace default owner"))
    partner = words[1].lower() == "partner"
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        changed = set_partner_owns_all(workspace, partner, session=session, actor=user_id)
    respond(
        **default_set_message(partner_owns_all=partner, changed=changed).as_kwargs(),
        response_type="ephemeral",
    )


def _set_client_owner(
    words: list[str], client: WebClient, respond: Respond, context: BoltContext, user_id: str
) -> None:
    owner = parse_owner(words[-1], caller=user_id)
    if owner is None:
        problem = f"“{mrkdwn(words[-1], 100)}” is not an owner: use {OWNER_WORDS}."
        if words[-1].startswith("@"):
            problem += " Pick the person from Slack's list as you type, so it becomes a mention."
        respond(**owner_usage_message(problem).as_kwargs(), response_type="ephemeral")
        return
    query = " ".join(words[:-1])
    # Asked before the transaction: users.info may wait on Slack.
    chosen = person_of(context, client, owner.user_id) if owner.user_id is not None else None
    with session_scope(services_of(context).engine) as session:
        workspace = current_workspace(context, session=session)
        found = find_clients(query, session=session, workspace=workspace, limit=MAX_CANDIDATES + 1)
        if not found.matches:
            message = no_client_message(query, found.suggestions)
        elif len(found.matches) > 1:
            message = ambiguous_client_message(query, found.matches, example_owner=words[-1])
        else:
            target = found.matches[0]
            before = client_owner(target, session=session, workspace=workspace)
            try:
                set_client_owner(
                    target, owner.kind, chosen, session=session, workspace=workspace, actor=user_id
                )
            except ClientChangeError as exc:
                raise UserError(escape(str(exc))) from None
            session.flush()
            after = client_owner(target, session=session, workspace=workspace)
            message = owner_set_message(target, before=before, after=after, changed=before != after)
    respond(**message.as_kwargs(), response_type="ephemeral")


def renewal_owner(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    user_id = command["user_id"]
    words = command_words(str(command.get("text") or ""))
    if not words:
        _show_owned(client, respond, context, user_id)
    elif words[0].lower() == "default":
        _set_default(words, client, respond, context, user_id)
    elif len(words) < 2:
        problem = f"Name a client and its owner ({OWNER_WORDS})."
        respond(**owner_usage_message(problem).as_kwargs(), response_type="ephemeral")
    else:
        _set_client_owner(words, client, respond, context, user_id)


def register(app: App) -> None:
    app.command("/renewal-owner")(renewal_owner)
