"""Whether a contract change is still in the partner dashboard's export.

An import removes (marks, never deletes) the contract changes of a listed client that its file no
longer holds (store/importer.py). Every query of contract changes a person sees carries
`still_listed()`: the view, digests, reminders, the client's detail, follow-up counts, the export.
"""

from __future__ import annotations

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from store.models import ContractChange


def still_listed() -> ColumnElement[bool]:
    """The contract change is still in the export (no import has removed it:
    `ContractChange.removed_at`)."""
    return col(ContractChange.removed_at).is_(None)
