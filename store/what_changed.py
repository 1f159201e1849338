"""What an import changed that matters to the people who look after renewals ("What changed").

Three kinds (contract.md, "After an import that changed something that matters"): a status that
became cancellation requested; a new contract change whose renewal deadline is within
`DUE_SOON_DAYS`; a contract change whose start date (and so deadline) moved, that is the same
client and contract type losing one start date and gaining another in the same import.
Kept as contract change IDs on the import's row, so the message shows them as they are when it
is posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

DUE_SOON_DAYS = 14


class ChangeKind(StrEnum):
    CANCELLATION = "cancellation"
    DUE_SOON = "due_soon"
    MOVED = "moved"


@dataclass
class WhatChanged:
    cancellations: list[int] = field(default_factory=list)  # contract change IDs
    due_soon: list[int] = field(default_factory=list)
    moved: dict[int, date] = field(default_factory=dict)  # the change at its new date -> its old start date

    @property
    def matters(self) -> bool:
        return bool(self.cancellations or self.due_soon or self.moved)

    def kind_of(self, change_id: int) -> ChangeKind | None:
        if change_id in self.moved:
            return ChangeKind.MOVED
        if change_id in self.cancellations:
            return ChangeKind.CANCELLATION
        if change_id in self.due_soon:
            return ChangeKind.DUE_SOON
        return None

    def change_ids(self) -> list[int]:
        return list(dict.fromkeys([*self.cancellations, *self.due_soon, *self.moved]))

    def to_json(self) -> dict[str, Any] | None:
        if not self.matters:
            return None
        return {
            ChangeKind.CANCELLATION.value: self.cancellations,
            ChangeKind.DUE_SOON.value: self.due_soon,
            ChangeKind.MOVED.value: [[change_id, old.isoformat()] for change_id, old in self.moved.items()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> WhatChanged:
        data = data or {}
        return cls(
            cancellations=[int(i) for i in data.get(ChangeKind.CANCELLATION.value, [])],
            due_soon=[int(i) for i in data.get(ChangeKind.DUE_SOON.value, [])],
            moved={int(i): date.fromisoformat(old) for i, old in data.get(ChangeKind.MOVED.value, [])},
        )
