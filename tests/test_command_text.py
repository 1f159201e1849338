"""Slack's slash-command text read into plain values (handlers/command_text.py)."""

from __future__ import annotations

import pytest

from handlers.command_text import Mention, command_words, mention, plain_text, plain_words


def test_a_mention_whose_label_has_spaces_is_one_word() -> None:
    assert command_words("acme <@U0ANA|Ana María> now") == ["acme", "<@U0ANA|Ana María>", "now"]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("<@U0ANA|Ana María>", Mention("U0ANA", "Ana María")),
        ("<@U0ANA>", Mention("U0ANA")),
        ("@ana", None),  # typed, not picked from Slack's list
        ("U0ANA", None),
        ("x<@U0ANA>", None),  # only a whole word is a mention
    ],
)
def test_a_mention_names_the_persons_user_id_and_label(word: str, expected: Mention | None) -> None:
    assert mention(word) == expected


def test_plain_words_give_each_mention_as_its_user_id_with_its_label() -> None:
    typed = plain_words("owner:<@U0ANA|Ana María> <@U0BOB> acme")
    assert typed.words == ["owner:U0ANA", "U0BOB", "acme"]
    assert typed.mentioned == {"U0ANA": "Ana María", "U0BOB": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<http://acme.com|acme.com>", "acme.com"),
        ("<https://acme.com/pricing>", "acme.com/pricing"),  # no label: the address, scheme dropped
        ("<mailto:ana@acme.com|ana@acme.com>", "ana@acme.com"),
        ("Harbor &amp; Pine &lt;HQ&gt;", "Harbor & Pine <HQ>"),
        ("&amp;lt;", "&lt;"),  # a typed entity stays as typed
    ],
)
def test_links_become_their_labels_and_entities_the_characters_typed(text: str, expected: str) -> None:
    assert plain_text(text) == expected
    assert command_words(text) == expected.split()
