"""`/renewals imports`: the workspace's last imports (anyone), from the command line or Slack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from blocks.imports import imports_reply
from bot.slack.context import services_of, workspace_of
from store.db import session_scope
from store.import_runs import recent_imports


def is_imports_command(command: dict[str, Any]) -> bool:
    return (command.get("text") or "").strip().lower() == "imports"


def imports_command(ack: Ack, command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    ack()
    workspace = workspace_of(context)
    assert workspace.id is not None
    with session_scope(services_of(context).engine) as session:
        runs = recent_imports(workspace.id, session=session)
    respond(**imports_reply(runs).as_kwargs(), response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    # Before handlers.renewals: this listener takes only `/renewals imports`.
    app.command("/renewals", matchers=[is_imports_command])(imports_command)
