"""Readers for the messages the app sends back in the Slack-surface tests: the table, its client
names, the text around it. (The rows they list are made with tests/factories.py.)"""

from __future__ import annotations

from typing import Any

from tests.fake_slack import Call


def blocks_of(call: Call) -> list[dict[str, Any]]:
    return call.params.get("blocks") or []


def table_rows(call: Call) -> list[list[str]]:
    """The table's rows as text, header first (fails when the message has no table)."""
    tables = [b for b in blocks_of(call) if b["type"] == "table"]
    assert len(tables) == 1, f"expected one table, got blocks {[b['type'] for b in blocks_of(call)]}"
    return [[cell["text"] for cell in row] for row in tables[0]["rows"]]


def client_names(call: Call) -> list[str]:
    rows = table_rows(call)
    return [row[0] for row in rows[1:]]


def all_text(call: Call, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> str:
    """Every mrkdwn/plain text in the message (not the table cells), and the fallback."""
    texts = [str(call.params.get("text") or "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") in kinds:
                texts.append(value.get("text", ""))
            for key, inner in value.items():
                if key != "rows":
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(blocks_of(call))
    return "\n".join(texts)


def mrkdwn_text(call: Call) -> str:
    """What Slack parses for mentions and links: mrkdwn texts and the fallback `text`."""
    return all_text(call, kinds=("mrkdwn",))
