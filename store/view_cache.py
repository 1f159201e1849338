"""What a view counted and totalled, kept per workspace data version.

Counting and totalling a whole window reads every matching contract change (tens of thousands
at 100,000 in a workspace); the page itself reads twenty. Next, Previous, the same command again
and the Home tab would count the same rows again, so the outcome is kept, keyed by everything
it depends on: the database, the workspace and its `data_version` (which triggers change in the
same transaction as any write to its contract changes, clients or partner members: migration
0010), its default owner, the person's "today", the query and the viewer. A write changes the
version, so a kept outcome is never served for data it was not computed from: nothing is ever
invalidated by hand, and old entries simply age out.

Each process keeps its own (several copies of the app each count once per version).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlmodel import Session, select

from store.models import Workspace
from store.search import read

T = TypeVar("T")

# Entries kept per process. An entry holds a summary and the SQL conditions of one query (with
# the IDs of the clients a search found: at most the workspace's clients), so memory stays a few
# megabytes even for searches at 100,000 contract changes.
MAX_ENTRIES = 128


class _Kept:
    """A least-recently-used map, safe across the server's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_KEPT = _Kept(MAX_ENTRIES)


def data_version(workspace_id: int, *, session: Session) -> tuple[int, bool]:
    """The workspace's data version and default owner, as this transaction sees them."""
    query = select(Workspace.data_version, Workspace.partner_owns_all).where(Workspace.id == workspace_id)
    version, partner_owns_all = read(session, query).one()
    return version, partner_owns_all


def kept(workspace_id: int, parts: Hashable, compute: Callable[[], T], *, session: Session) -> T:
    """`compute()`, or what it gave before for the same `parts` at this data version.

    The version is read first, in the caller's transaction: a write committed after it can only
    make the outcome newer than its key, never older.
    """
    database = session.get_bind().url.render_as_string(hide_password=True)
    key = (database, workspace_id, data_version(workspace_id, session=session), parts)
    value = _KEPT.get(key)
    if value is None:
        value = compute()
        _KEPT.put(key, value)
    return value  # type: ignore[return-value]
