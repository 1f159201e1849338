"""Slack's slash-command text -> plain values. A helper for listeners: registers no listener.

With should_escape on (manifest.yml), Slack sends what a person typed in its own wire format:
a picked person as a mention `<@U123|Ana María>` (or `<@U123>`), a typed domain or address as
a link `<http://acme.com|acme.com>` or `<mailto:a@b.c|a@b.c>`, and a typed `&`, `<`, `>` as
`&amp;`, `&lt;`, `&gt;`. This is the one place that reads that format; the store is given
words, user IDs and labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A token is a run of non-spaces, but a mention or link `<...>` stays whole even if its
# label has spaces (`owner:<@U123|Ana María>`).
_TOKEN = re.compile(r"(?:[^\s<]*<[^>]*>)+[^\s<]*|\S+")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
# A link's label is what the person typed (a link without one: its address, scheme dropped).
_LINK = re.compile(r"<(?:https?://|mailto:)([^>|]*)(?:\|([^>]*))?>")


@dataclass(frozen=True)
class Mention:
    """A person picked from Slack's list as the command was typed."""

    user_id: str
    name: str | None = None  # the label Slack sent with the mention, when it sent one


@dataclass(frozen=True)
class PlainWords:
    """A command's words with each mention replaced by the mentioned person's user ID."""

    words: list[str]
    mentioned: dict[str, str | None] = field(default_factory=dict)  # user ID -> the mention's label


def _unwrap_links(text: str) -> str:
    return _LINK.sub(lambda m: m.group(2) or m.group(1), text)


def _unescape(text: str) -> str:
    # Only after links are unwrapped: a real mention or link is the only `<` Slack sends as is.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(text: str) -> str:
    """The command's text as the person typed it: links as their labels, entities unescaped."""
    return _unescape(_unwrap_links(text or "")).strip()


def command_words(text: str) -> list[str]:
    """The command's words as the person typed them.

    A link becomes its label, the entities `&amp;`, `&lt;`, `&gt;` the characters typed, and
    a mention stays one word even with spaces in its label (read it with `mention`).
    """
    return [_unescape(token) for token in _TOKEN.findall(_unwrap_links(text or ""))]


def mention(word: str) -> Mention | None:
    """The person a word mentions, when the whole word is a mention."""
    found = _MENTION.fullmatch(word)
    return Mention(found.group(1), found.group(2) or None) if found else None


def plain_words(text: str) -> PlainWords:
    """The command's words (see `command_words`), each mention in them as the person's user ID."""
    mentioned: dict[str, str | None] = {}

    def user_id(found: re.Match[str]) -> str:
        mentioned[found.group(1)] = found.group(2) or mentioned.get(found.group(1))
        return found.group(1)

    return PlainWords([_MENTION.sub(user_id, word) for word in command_words(text)], mentioned)
