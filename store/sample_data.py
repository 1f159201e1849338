"""What only generated sample workspaces (the demo's) need from the store.

An import never deletes anything; a sample whose dates move with the calendar must
drop the rows an earlier day generated.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlmodel import Session, col

from store.bulk_io import CHUNK
from store.models import Client, ContractChange, Workspace
from store.rules import ContractType


def remove_changes_except(
    workspace: Workspace, keys: set[tuple[str, ContractType, date]], *, session: Session
) -> int:
    """Delete the workspace's contract changes whose (Hub ID, type, start date) is not in `keys`.

    Only for generated sample workspaces (the demo), whose dates move with the calendar:
    an import never deletes anything.
    """
    query = (
        select(col(ContractChange.id), col(Client.hub_id), col(ContractChange.contract_type))
        .add_columns(col(ContractChange.renewal_start_date))
        .join(Client, col(Client.id) == col(ContractChange.client_id))
        .where(ContractChange.workspace_id == workspace.id, Client.workspace_id == workspace.id)
    )
    stale = [change_id for change_id, *key in session.execute(query) if tuple(key) not in keys]
    for start in range(0, len(stale), CHUNK):
        session.execute(
            delete(ContractChange).where(col(ContractChange.id).in_(stale[start : start + CHUNK]))
        )
    return len(stale)
