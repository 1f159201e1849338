"""Typo search follows every change to client names, whoever writes them (SQLite through the
client_name_word table its triggers keep, PostgreSQL through pg_trgm), and "did you mean"
still suggests the closest names."""

from __future__ import annotations

import random
import string

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from store.clients import find_clients
from store.csv_format import parse_csv
from store.importer import import_parsed
from store.models import Client, Workspace
from store.rules import ClientMatcher, fold
from store.search import SUGGESTION_CANDIDATES
from tests.factories import add_client, workspace_row
from tests.test_import import csv_text, row


@pytest.fixture
def ws(session: Session) -> Workspace:
    workspace = workspace_row(session)
    session.commit()
    return workspace


def _names(session: Session, query: str, ws: Workspace) -> list[str]:
    return [c.name for c in find_clients(query, session=session, workspace=ws).matches]


def _stored_words(session: Session) -> set[tuple[int, str, int]]:
    rows = session.connection().execute(text("SELECT workspace_id, word, client_id FROM client_name_word"))
    return {tuple(r) for r in rows}  # type: ignore[misc]


def _expected_words(session: Session) -> set[tuple[int, str, int]]:
    """Each word of every client's folded name, and the name without its spaces."""
    words = set()
    for client in session.exec(select(Client)):
        assert client.id is not None
        for word in [*client.name_folded.split(), client.name_folded.replace(" ", "")]:
            words.add((client.workspace_id, word, client.id))
    return words


def test_a_renamed_client_is_found_by_a_typo_of_its_new_name_only(session: Session, ws: Workspace) -> None:
    client = add_client(session, "Harbor Dental", "1")
    add_client(session, "Pine Legal", "2")
    client.name, client.name_folded = "Summit Kitchen", fold("Summit Kitchen")
    session.add(client)
    session.commit()

    assert _names(session, "sumit kitchn", ws) == ["Summit Kitchen"]
    assert _names(session, "harbr dental", ws) == []


def test_imported_clients_are_found_by_a_typo(session: Session, ws: Workspace) -> None:
    rows = [row(Client_name="Zürich Outfitters", Hub_ID="11"), row(Client_name="Søren Wines", Hub_ID="12")]
    import_parsed(
        parse_csv(csv_text(*rows)), ws.team_id, session=session, actor="cli:import:test", source="t.csv"
    )
    session.commit()

    assert _names(session, "zurich outfiters", ws) == ["Zürich Outfitters"]
    assert _names(session, "søern", ws) == ["Søren Wines"]


def test_a_removed_client_is_no_longer_found_or_suggested(session: Session, ws: Workspace) -> None:
    gone = add_client(session, "Brûlée Studio", "1")
    add_client(session, "Pine Legal", "2")
    session.delete(gone)
    session.commit()

    found = find_clients("brulee studoi", session=session, workspace=ws)

    assert found.matches == []
    assert "Brûlée Studio" not in found.suggestions


def test_a_typo_in_a_name_without_its_spaces_finds_the_client(session: Session, ws: Workspace) -> None:
    add_client(session, "Acme Corp", "1")
    add_client(session, "Acme Labs", "2")
    session.commit()

    assert _names(session, "acmecrop", ws) == ["Acme Corp"]


def test_no_match_suggests_the_closest_name_among_more_than_are_weighed(
    session: Session, ws: Workspace
) -> None:
    for number in range(SUGGESTION_CANDIDATES + 10):
        add_client(session, f"Pine Legal {number}", str(number + 10))
    add_client(session, "Globex Corporation", "1")
    session.commit()

    found = find_clients("Globex Industries", session=session, workspace=ws)

    assert found.matches == []
    assert found.suggestions[0] == "Globex Corporation"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_name_words_stay_in_step_with_inserts_renames_moves_and_removals(session: Session) -> None:
    ws = workspace_row(session)
    other = workspace_row(session, "T0OTHER")
    kept = add_client(session, "Café  Núñez 1", "1", workspace=ws)
    renamed = add_client(session, "Harbor Dental", "2", workspace=ws)
    removed = add_client(session, 'Quote "Me" \\ Back', "3", workspace=ws)
    moved = add_client(session, "北京 Group", "4", workspace=ws)
    renamed.name, renamed.name_folded = "Pine", "pine"
    moved.workspace_id = other.id  # type: ignore[assignment]
    session.add_all([renamed, moved])
    session.delete(removed)
    session.commit()

    assert kept.id is not None
    assert (ws.id, "cafenunez1", kept.id) in _stored_words(session)
    assert _stored_words(session) == _expected_words(session)
    # Each word once per workspace, gone when no client holds it any more ("harbor", "quote").
    distinct = session.connection().execute(text("SELECT workspace_id, word FROM name_word"))
    assert {tuple(r) for r in distinct} == {(w, word) for w, word, _client in _expected_words(session)}


def _with_typos(word: str, typos: int, rng: random.Random) -> str:
    letters = list(word)
    for _ in range(typos):
        kind, at = rng.choice("sidt"), rng.randrange(len(letters) + 1)
        if kind == "s" and at < len(letters):
            letters[at] = rng.choice(string.ascii_lowercase)
        elif kind == "i":
            letters.insert(at, rng.choice(string.ascii_lowercase))
        elif kind == "d" and at < len(letters) and len(letters) > 1:
            del letters[at]
        elif kind == "t" and at + 1 < len(letters):
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
    return "".join(letters)


def test_every_name_word_near_a_query_word_shares_a_letter_with_its_start() -> None:
    """What SQLite's index lookup relies on (store.search._starting_near): a name word within b
    typos of a query word, whole or cut to its length, has one of its first b + 1 letters among
    the query word's first b + 1."""
    rng = random.Random(9)
    near = 0
    for _ in range(20_000):
        query = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 10)))
        matcher = ClientMatcher(query)
        ((_word, budget),) = matcher.words
        name_word = _with_typos(query, rng.randint(0, 3), rng) + "xyz"[: rng.randint(0, 3)]
        if matcher.word_near(0, name_word):
            near += 1
            assert set(name_word[: budget + 1]) & set(query[: budget + 1]), (query, name_word)
    assert near > 10_000  # most of the words made are near: the check is not empty
