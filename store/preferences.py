"""Per-user preferences: which optional columns a person sees in the renewals table."""

from __future__ import annotations

from sqlmodel import Session, select

from store.audit import record_change
from store.columns import OPTIONAL, Column, visible_columns
from store.models import UserPreference
from store.types import utcnow

COLUMNS_ACTION = "preferences.columns"


def _preference(workspace_id: int, user_id: str, *, session: Session) -> UserPreference | None:
    return session.exec(
        select(UserPreference).where(
            UserPreference.workspace_id == workspace_id, UserPreference.user_id == user_id
        )
    ).first()


def chosen_columns(workspace_id: int, user_id: str, *, session: Session) -> list[str] | None:
    """The optional columns a person picked, or None if they never chose (the default applies)."""
    preference = _preference(workspace_id, user_id, session=session)
    return None if preference is None else preference.columns


def columns_for(workspace_id: int, user_id: str, *, session: Session) -> list[Column]:
    """The columns this person's tables show, in display order."""
    return visible_columns(chosen_columns(workspace_id, user_id, session=session))


def save_columns(workspace_id: int, user_id: str, optional: list[str], *, session: Session) -> list[Column]:
    """Remember a person's optional columns (unknown names dropped) and record the change.

    Locked columns are never stored: they are always shown whatever is saved.
    """
    known = {c.value for c in OPTIONAL}
    chosen = [c.value for c in OPTIONAL if c.value in set(optional) & known]
    preference = _preference(workspace_id, user_id, session=session)
    before = [c.value for c in visible_columns(preference.columns if preference else None) if c in OPTIONAL]
    if preference is None:
        preference = UserPreference(workspace_id=workspace_id, user_id=user_id, columns=chosen)
        session.add(preference)
    else:
        preference.columns = chosen
        preference.updated_at = utcnow()
        session.add(preference)
    if before != chosen:
        record_change(
            session=session,
            workspace_id=workspace_id,
            actor=user_id,
            action=COLUMNS_ACTION,
            before={"columns": before},
            after={"columns": chosen},
        )
    session.flush()
    return visible_columns(chosen)
