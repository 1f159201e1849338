"""Partner members known by email (from imports) linked to their Slack accounts.

Linking is what makes `owner:me` and "renewals you own" work for someone an import
named by email. Slack is asked by the caller; this module only records the answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from store.models import Client, PartnerMember


def unlinked_members(workspace_id: int, emails: Iterable[str], *, session: Session) -> list[PartnerMember]:
    """The members with these emails that have no Slack user yet."""
    wanted = {email.lower() for email in emails}
    if not wanted:
        return []
    query = select(PartnerMember).where(
        PartnerMember.workspace_id == workspace_id,
        col(PartnerMember.slack_user_id).is_(None),
        func.lower(col(PartnerMember.email)).in_(sorted(wanted)),
    )
    return list(session.exec(query))


def link_member(
    member: PartnerMember, slack_user_id: str, *, session: Session, name: str | None = None
) -> str | None:
    """Record that `member` is Slack user `slack_user_id`. Returns a problem for a person, or None.

    When the app already knows that Slack user as another member (set as owner in Slack
    before the import named their email), the two are one person: the clients the
    email-only member owns move to the Slack one, which takes the email.
    """
    other = session.exec(
        select(PartnerMember).where(
            PartnerMember.workspace_id == member.workspace_id,
            PartnerMember.slack_user_id == slack_user_id,
            PartnerMember.id != member.id,
        )
    ).first()
    if other is None:
        member.slack_user_id = slack_user_id
        if name and not member.name:
            member.name = name
        session.add(member)
        session.flush()
        return None
    if other.email and member.email and other.email.lower() != member.email.lower():
        return (
            f"{member.email} is the Slack user {slack_user_id}, who is already known as {other.email}; "
            f"{member.email} stays unlinked"
        )
    session.execute(
        update(Client)
        .where(col(Client.workspace_id) == member.workspace_id, col(Client.owner_member_id) == member.id)
        .values(owner_member_id=other.id)
    )
    email = member.email
    session.delete(member)
    session.flush()
    other.email = email
    if name and not other.name:
        other.name = name
    session.add(other)
    session.flush()
    return None
