"""What an import changed that matters to the people who look after renewals ("What changed").

Three kinds (contract.md, "After an import that changed something that matters"): a status that
became cancellation requested; a new contract change whose renewal deadline is within
`DUE_SOON_DAYS`; a contract change whose start date (and so deadline) moved, that is the same
client and contract type losing one start date and gaining another in the same import.

Counted and totalled when the import runs (what that import changed, however big), and kept on
the import's row with the IDs of the `KEPT_PER_KIND` soonest of each kind: the message shows
those as they are when it is posted, and counts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from store.rules import Money, totals_by_currency

DUE_SOON_DAYS = 14
KEPT_PER_KIND = 25  # a message shows at most 25 changes in all


class ChangeKind(StrEnum):
    CANCELLATION = "cancellation"
    DUE_SOON = "due_soon"
    MOVED = "moved"


@dataclass(frozen=True)
class Noted:
    """One change that matters, as the import saw it. `ref` is its ID, or its key while it has none."""

    kind: ChangeKind
    deadline: date
    ref: Any
    mrr_at_stake: Money | None
    moved_from: date | None = None  # the old renewal start date of a moved one


@dataclass
class KindSummary:
    count: int = 0
    mrr_at_stake: dict[str, Decimal] = field(default_factory=dict)  # per currency
    change_ids: list[int] = field(default_factory=list)  # the soonest deadlines first, at most KEPT_PER_KIND


@dataclass
class WhatChanged:
    kinds: dict[ChangeKind, KindSummary] = field(default_factory=dict)  # only kinds that happened
    moved_from: dict[int, date] = field(default_factory=dict)  # a kept moved change -> its old start date

    @property
    def matters(self) -> bool:
        return any(summary.count for summary in self.kinds.values())

    def kind_of(self, change_id: int) -> ChangeKind | None:
        return next((kind for kind, s in self.kinds.items() if change_id in s.change_ids), None)

    def change_ids(self) -> list[int]:
        return list(dict.fromkeys(i for summary in self.kinds.values() for i in summary.change_ids))

    def to_json(self) -> dict[str, Any] | None:
        if not self.matters:
            return None
        return {
            kind.value: {
                "count": summary.count,
                "mrr_at_stake": {code: str(amount) for code, amount in summary.mrr_at_stake.items()},
                "change_ids": summary.change_ids,
            }
            for kind, summary in self.kinds.items()
        } | {"moved_from": {str(i): day.isoformat() for i, day in self.moved_from.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> WhatChanged:
        data = data or {}
        kinds = {
            kind: KindSummary(
                count=int(data[kind.value]["count"]),
                mrr_at_stake={code: Decimal(v) for code, v in data[kind.value]["mrr_at_stake"].items()},
                change_ids=[int(i) for i in data[kind.value]["change_ids"]],
            )
            for kind in ChangeKind
            if kind.value in data
        }
        moved = {int(i): date.fromisoformat(day) for i, day in (data.get("moved_from") or {}).items()}
        return cls(kinds=kinds, moved_from=moved)


def summarize_noted(noted: Iterable[Noted], lookup: Callable[[set[Any]], dict[Any, int]]) -> WhatChanged:
    """Count and total each kind, and keep the IDs of its soonest ones (`lookup` gives the IDs of
    the refs that need them: only those kept are looked up, however big the import)."""
    by_kind: dict[ChangeKind, list[Noted]] = {}
    for item in noted:
        by_kind.setdefault(item.kind, []).append(item)
    ordered = {
        kind: sorted(by_kind[kind], key=lambda n: n.deadline) for kind in ChangeKind if kind in by_kind
    }
    kept = {kind: items[:KEPT_PER_KIND] for kind, items in ordered.items()}
    ids = lookup({item.ref for items in kept.values() for item in items})
    what = WhatChanged()
    for kind, items in ordered.items():
        what.kinds[kind] = KindSummary(
            count=len(items),
            mrr_at_stake=totals_by_currency(item.mrr_at_stake for item in items),
            change_ids=[ids[item.ref] for item in kept[kind]],
        )
        what.moved_from |= {ids[n.ref]: n.moved_from for n in kept[kind] if n.moved_from is not None}
    return what
