"""Client search in the database: only candidates leave it, and `ClientMatcher` ranks them.

- An exact Hub ID, domain or folded name, and a name prefix, are found through indexes.
- A substring of the name or domain, or the start of a Hub ID, is an exact SQL condition
  (on PostgreSQL through pg_trgm's trigram indexes; SQLite scans the workspace's names in C).
- Typos: only names holding all but a typo's worth of each query word's letters can be near
  it, an exact condition the database checks over the workspace's names; their (id, folded
  name) come out and `ClientMatcher.near` decides. Trigram similarity is not used for this: it
  misses typos that leave few trigrams in common (two letters swapped in "amce" for "acme").
- "Did you mean": on PostgreSQL the names pg_trgm finds most similar are weighed, on SQLite all.

The SQL conditions rely on what the import writes: `name_folded` is `fold(name)` and a domain
is a bare host, lower case (store.csv_format.parse_domain).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Result,
    Select,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from store.models import NAME_WORD, WHOLE_NAME, Client, client_name_word, name_word
from store.rules import ClientMatcher, closest_names

# How many names similar to the query are weighed for "did you mean" on PostgreSQL, and how
# similar a name must be to be one of them (pg_trgm's default word similarity asks for 0.6).
SUGGESTION_CANDIDATES = 50
SUGGESTION_SIMILARITY = 0.3

_NAME = col(Client.name_folded)
_DOMAIN = col(Client.domain)
_WORD = name_word.c.word
_HELD_WORD = client_name_word.c.word
_WORD_CLIENT = client_name_word.c.client_id

# "Did you mean" on SQLite: a name word may be this much longer than a query word, or half as
# long, to be weighed (a longer one is most likely a whole name without its spaces).
SUGGESTION_EXTRA_LETTERS = 3


@dataclass(frozen=True)
class Found:
    """A client the query finds, with what the sort needs."""

    score: int
    name_folded: str
    client_id: int

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.score, self.name_folded, self.client_id)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def read(session: Session, statement: Any) -> Result[Any]:
    """Rows of columns, without the ORM's work per row (several times quicker over thousands of
    rows); this session's pending changes are flushed first, as Session.execute would."""
    session.flush()
    return session.connection().execute(statement)


def id_in(column: Any, ids: Iterable[int], *, dialect: str) -> ColumnElement[bool]:
    """`column IN ids` for any number of IDs: one array (PostgreSQL) or one JSON text (SQLite)
    instead of a parameter per ID, which both databases limit."""
    values = sorted(set(ids))
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(Integer)))
    return in_json(column, values)


def in_json(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values` on SQLite, the values as one JSON text."""
    each = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(each.c.value))


def _successor(text: str) -> str | None:
    """The least string after every string that starts with `text` (None when there is none)."""
    last = ord(text[-1])
    return None if last >= 0x10FFFF else text[:-1] + chr(last + 1)


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range its index can answer (code point order)."""
    upper = _successor(prefix)
    if upper is None:
        return func.substr(column, 1, len(prefix)) == prefix
    return and_(column >= prefix, column < upper)


def _domain_host() -> ColumnElement[str]:
    # store.rules.website_host of a stored domain: without a leading "www.".
    return case((func.substr(_DOMAIN, 1, 4) == "www.", func.substr(_DOMAIN, 5)), else_=_DOMAIN)


def _exact(m: ClientMatcher) -> list[ColumnElement[bool]]:
    """Score 0, each through an index: the Hub ID (leading zeros aside), the whole folded name,
    or the domain."""
    q = m.query
    conditions = [Client.hub_id == q, Client.name_folded == q]
    if m.hub_id_digits is not None:
        conditions.append(Client.hub_id == m.hub_id_digits)
        # Hub IDs stored with leading zeros (the import never writes them): a short index range.
        conditions.append(
            and_(starts_with(col(Client.hub_id), "0"), func.ltrim(col(Client.hub_id), "0") == m.hub_id_digits)
        )
    if m.host:
        conditions.append(_DOMAIN.in_([m.host, f"www.{m.host}"]))
    return conditions


def _prefix(m: ClientMatcher) -> ColumnElement[bool]:
    """Score 1 (when nothing is exact): the folded name starts with the query."""
    return starts_with(_NAME, m.query)


def _contains(column: Any, text: str, *, dialect: str) -> ColumnElement[bool]:
    # LIKE lets PostgreSQL use a trigram index; SQLite scans either way, and instr is the quicker.
    if dialect == "postgresql":
        return column.contains(text, autoescape=True)
    return func.instr(column, text) > 0


def _substring(m: ClientMatcher, *, dialect: str) -> ColumnElement[bool]:
    """Score 2: the query inside the name or the domain, or the start of a Hub ID."""
    conditions = [
        _contains(_NAME, m.query, dialect=dialect),
        # The domain itself first: PostgreSQL's trigram index answers that; the host decides.
        and_(
            _contains(_DOMAIN, m.query, dialect=dialect), _contains(_domain_host(), m.query, dialect=dialect)
        ),
    ]
    if m.digits:
        conditions.append(starts_with(col(Client.hub_id), m.query))
    return or_(*conditions)


def _letters_in(text: Any, letters: Iterable[str], *, dialect: str) -> ColumnElement[int]:
    """How many of `letters` are in `text`."""
    each = (case((_contains(text, letter, dialect=dialect), 1), else_=0) for letter in letters)
    return sum(each, literal(0))


def _may_be_near(word: str, budget: int, *, dialect: str) -> ColumnElement[bool]:
    """What a name near `word` (ClientMatcher.near) must be like, as a cheap exact condition.

    A short word must start a name word. Otherwise each typo takes at most one letter away, so
    all but `budget` of the word's letters are in the name (whether the word is near a name
    word, the start of one, or the whole name without its spaces).
    """
    if budget == 0:
        return _contains(literal(" ") + _NAME, f" {word}", dialect=dialect)
    letters = set(word)
    return _letters_in(_NAME, sorted(letters), dialect=dialect) >= len(letters) - budget


def _starting_near(word: Any, first: Iterable[str], within: int) -> list[ColumnElement[bool]]:
    """Conditions, each through an index of name_word, one of which a name word whose
    start is within `within` typos of a query word starting with `first` meets: one of its
    first `within` + 1 letters is one of the query word's (tests/test_typo_search.py checks it
    over random typos; an insertion at the start moves the word's first letter on)."""
    letters = sorted(set(first))
    at = [name_word.c.second, name_word.c.third][:within]
    return [starts_with(word, letter) for letter in letters] + [letter.in_(letters) for letter in at]


def _may_be_near_word(m: ClientMatcher, index: int) -> ColumnElement[bool]:
    """What a name word (or a whole name without spaces) near query word `index` must be like,
    as `_may_be_near` for a name: of length at least the word's less its budget, and holding all
    but the budget's worth of its letters in as many letters as the word and its budget (more
    is only ever the rest of a longer word, which `near` cuts off); a whole name without spaces
    as long as the query without spaces give or take the budget, holding all but the budget's
    worth of its letters."""
    word, budget = m.words[index]
    letters = set(word)
    start = func.substr(_WORD, 1, len(word) + budget)
    near = and_(
        name_word.c.kinds.op("&")(NAME_WORD) != 0,
        func.length(_WORD) >= len(word) - budget,
        _letters_in(start, sorted(letters), dialect="sqlite") >= len(letters) - budget,
    )
    compact = set(m.compact)
    return or_(
        near,
        and_(
            name_word.c.kinds.op("&")(WHOLE_NAME) != 0,
            func.length(_WORD).between(len(m.compact) - budget, len(m.compact) + budget),
            _letters_in(_WORD, sorted(compact), dialect="sqlite") >= len(compact) - budget,
        ),
    )


def _words_of(workspace_id: int) -> Select[Any]:
    return select(_WORD).where(name_word.c.workspace_id == workspace_id)


def _near_words(m: ClientMatcher, workspace_id: int, *, session: Session) -> list[ColumnElement[bool]] | None:
    """Per query word, a condition on client_name_word.word that the words of every name near
    the query meet (SQLite): a short word's own start (an index range), or else the workspace's
    words that `near` finds near it among those starting near it (`_starting_near`, through
    the indexes) that `_may_be_near_word` lets through. None when a query word is near no word."""
    conditions = []
    for index, (word, budget) in enumerate(m.words):
        if budget == 0:
            conditions.append(starts_with(_HELD_WORD, word))
            continue
        first = word[: budget + 1] + m.compact[: budget + 1]
        may_be_near = _may_be_near_word(m, index)
        # One SELECT per index, their UNION the distinct words.
        vocabulary = union(
            *(
                _words_of(workspace_id).where(start, may_be_near)
                for start in _starting_near(_WORD, first, budget)
            )
        )
        words = read(session, vocabulary).scalars().all()
        near = [w for w in words if m.word_near(index, w) or m.compact_near(w, budget)]
        if not near:
            return None
        conditions.append(in_json(_HELD_WORD, near))
    return conditions


def _search_rows(scope: Select[Any]) -> Select[Any]:
    return scope.with_only_columns(col(Client.id), _NAME, _DOMAIN, col(Client.hub_id))


def _score(m: ClientMatcher, rows: Iterable[Any]) -> list[Found]:
    """The rows (id, folded name, domain, Hub ID) `m` finds."""
    found = []
    for client_id, name_folded, domain, hub_id in rows:
        score = m.score(name_folded=name_folded, domain=domain, hub_id=hub_id)
        if score is not None:
            found.append(Found(score, name_folded, client_id))
    return found


def _typos(m: ClientMatcher, scope: Select[Any], workspace_id: int, *, session: Session) -> list[Found]:
    """The clients of `scope` that only a typo or two away from the query finds (score 3).

    The exact, prefix and substring matches are SQL conditions; of the names none of them finds,
    those that may be near the query are read as (id, folded name) alone, and
    ClientMatcher.near decides. Which may be near: on SQLite those holding, for each query
    word, a word near it (`_near_words`, through client_name_word); on PostgreSQL those holding
    enough of each word's letters (`_may_be_near`, a condition pg_trgm's index cannot help
    with, but PostgreSQL scans quickly).
    """
    dialect = dialect_of(session)
    # IS NOT TRUE, not NOT: a client without a domain makes the conditions NULL, not false.
    found_otherwise = or_(*_exact(m), _substring(m, dialect=dialect)).is_not(True)
    if dialect == "sqlite":
        near_words = _near_words(m, workspace_id, session=session)
        if near_words is None:
            return []
        words = select(_WORD_CLIENT).where(client_name_word.c.workspace_id == workspace_id)
        may_be_near = [col(Client.id).in_(words.where(near)) for near in near_words]
    else:
        may_be_near = [_may_be_near(word, budget, dialect=dialect) for word, budget in m.words]
    candidates = scope.with_only_columns(col(Client.id), _NAME).where(found_otherwise, *may_be_near)
    rows = read(session, candidates).all()
    m.learn(name_folded for _client_id, name_folded in rows)
    return [Found(3, name_folded, client_id) for client_id, name_folded in rows if m.near(name_folded)]


def _ordered(query: Select[Any], limit: int) -> Select[Any]:
    return query.order_by(_NAME, col(Client.id)).limit(limit)


def client_scope(workspace_id: int, *, include_ended: bool) -> Select[Any]:
    query = select(col(Client.id)).where(Client.workspace_id == workspace_id)
    if not include_ended:
        query = query.where(col(Client.association_ended_at).is_(None))
    return query


def rank_clients(
    text: str, scope: Select[Any], *, workspace_id: int, session: Session, limit: int
) -> tuple[list[Found], list[str]]:
    """The clients of `scope` that `text` finds, best first (an exact hit wins alone), at most
    `limit`; when none, the closest names for "did you mean"."""
    m = ClientMatcher(text)
    if not m.query:
        return [], []
    rows = _search_rows(scope)
    exact = union(*(rows.where(condition) for condition in _exact(m)))
    found = [f for f in _score(m, read(session, exact)) if f.score == 0]
    if found:
        return sorted(found, key=lambda f: f.key)[:limit], []
    # Nothing is exact, so every name starting with the query scores 1 and every other
    # substring 2: each tier's best come straight from SQL, in the final order.
    found = _score(m, read(session, _ordered(rows.where(_prefix(m)), limit)))
    if len(found) < limit:
        tier_two = rows.where(_substring(m, dialect=dialect_of(session)), ~_prefix(m))
        found += _score(m, read(session, _ordered(tier_two, limit - len(found))))
    if len(found) < limit:
        found += _typos(m, scope, workspace_id, session=session)
    if found:
        return sorted(found, key=lambda f: f.key)[:limit], []
    return [], closest_names(text, _names_to_weigh(m, scope, workspace_id, session=session))


def _names_to_weigh(
    m: ClientMatcher, scope: Select[Any], workspace_id: int, *, session: Session
) -> dict[str, str]:
    """The names "did you mean" weighs, each with its fold, at most SUGGESTION_CANDIDATES: on
    PostgreSQL those pg_trgm finds most similar; on SQLite those whose words are most like the
    query's (`_similar_words`)."""
    names = scope.with_only_columns(col(Client.name), _NAME)
    if dialect_of(session) != "postgresql":
        scores = _similar_words(m, workspace_id, session=session)
        if not scores:
            return {}
        each = func.json_each(json.dumps(scores)).table_valued("key", "value")
        alike = (
            select(_WORD_CLIENT, func.sum(each.c.value).label("score"))
            .join(each, each.c.key == _HELD_WORD)
            .where(client_name_word.c.workspace_id == workspace_id)
            .group_by(_WORD_CLIENT)
            .subquery()
        )
        # The names whose words are most alike in all first, then in ID order.
        most_alike = (
            names.join(alike, alike.c.client_id == Client.id)
            .order_by(alike.c.score.desc(), col(Client.id))
            .limit(SUGGESTION_CANDIDATES)
        )
        return {name: folded for name, folded in read(session, most_alike)}
    # Both through the trigram index: the whole names alike, or the query alike some stretch of
    # one (pg_trgm's word similarity: the share of the query's trigrams found there).
    threshold = func.set_config("pg_trgm.word_similarity_threshold", str(SUGGESTION_SIMILARITY), True)
    session.execute(select(threshold))  # for this transaction only
    similarity = func.similarity(_NAME, m.query) + func.word_similarity(m.query, _NAME)
    similar = or_(_NAME.op("%")(m.query), literal(m.query).op("<%")(_NAME))
    most_similar = names.where(similar).order_by(similarity.desc()).limit(SUGGESTION_CANDIDATES)
    return {name: folded for name, folded in read(session, most_similar)}


def _similar_words(m: ClientMatcher, workspace_id: int, *, session: Session) -> dict[str, float]:
    """The workspace's name words most like the query's (SQLite), each with how alike: of those
    sharing a letter among their first two with a query word's first two (through the indexes),
    from half as long as it to SUGGESTION_EXTRA_LETTERS longer and holding at least half its
    letters, the SUGGESTION_CANDIDATES rapidfuzz finds most alike."""
    from rapidfuzz import fuzz, process

    selects = []
    for query_word, _budget in m.words:
        letters = set(query_word)
        alike = and_(
            func.length(_WORD).between(
                (len(query_word) + 1) // 2, len(query_word) + SUGGESTION_EXTRA_LETTERS
            ),
            _letters_in(_WORD, sorted(letters), dialect="sqlite") >= (len(letters) + 1) // 2,
        )
        starting = _starting_near(_WORD, query_word[:2], 1)
        selects += [_words_of(workspace_id).where(start, alike) for start in starting]
    words = read(session, union(*selects)).scalars().all()
    scores: dict[str, float] = {}
    for query_word, _budget in m.words:
        for choice, score, _index in process.extract(query_word, words, scorer=fuzz.ratio, limit=None):
            scores[choice] = max(score, scores.get(choice, 0.0))
    best = sorted(scores, key=lambda w: (-scores[w], w))[:SUGGESTION_CANDIDATES]
    return {w: scores[w] for w in best}


def matching_client_ids(text: str, scope: Select[Any], *, workspace_id: int, session: Session) -> set[int]:
    """Every client of `scope` (a select of client IDs of workspace `workspace_id`) that `text`
    finds, whatever its score."""
    m = ClientMatcher(text)
    if not m.query:
        return set()
    strict = _search_rows(scope).where(or_(*_exact(m), _substring(m, dialect=dialect_of(session))))
    found = {f.client_id for f in _score(m, read(session, strict))}
    return found | {f.client_id for f in _typos(m, scope, workspace_id, session=session)}
