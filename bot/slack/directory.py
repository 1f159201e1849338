"""Who a Slack user is: the one place the app calls `users.info`.

`SlackDirectory` (one per running app, in `Services`) answers a `Person`: their time zone, email,
name and the flags an admin check needs. Slack's answer is cached for a minute per (team, user),
so a burst of clicks costs one call. It is a cache only: every copy of the app asks Slack on its
own, and nothing is decided from it that another copy would not decide the same way. Listeners
run in Bolt's thread pool, so the cache is guarded by a lock.

Call it before opening a database transaction: it may wait on Slack (retries, rate limits).
In OAuth mode each workspace has its own token, so the caller passes the WebClient to ask with:
a listener the `client` Bolt gave it, a job the client for the workspace it works for.

Who is an admin: a user listed in RENEWALS_ADMINS, or a Slack admin or owner of the workspace
(users.info `is_admin` / `is_owner` / `is_primary_owner`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from store.schedule import local_date
from store.types import utcnow

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60.0
# Above this many cached people, expired answers are dropped (a long-running app sees many).
MAX_CACHED = 10_000
UTC_ZONE = ZoneInfo("UTC")
# users.info answers these for a user ID that is not (or no longer) visible to the app.
_NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible", "users_not_found"})


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(name) if isinstance(name, str) and name else UTC_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


@dataclass(frozen=True)
class Person:
    """A Slack user as users.info describes them; `Person(user_id)` when Slack did not say.

    Without Slack's answer they are known by user ID only, and their day is UTC's.
    """

    user_id: str
    zone: ZoneInfo = UTC_ZONE
    email: str | None = None
    name: str | None = None  # real name, else the handle
    team_id: str | None = None  # their home workspace (another one for a Slack Connect guest)
    enterprise_id: str | None = None  # their Enterprise Grid org
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_restricted: bool = False  # a guest
    deleted: bool = False
    is_bot: bool = False

    @classmethod
    def from_slack(cls, user_id: str, user: dict[str, Any]) -> Person:
        """The Person a users.info `user` describes."""
        profile = user.get("profile") or {}
        return cls(
            user_id=user_id,
            zone=_zone(user.get("tz")),
            email=profile.get("email") or None,
            name=profile.get("real_name") or user.get("real_name") or user.get("name") or None,
            team_id=user.get("team_id") or None,
            enterprise_id=(user.get("enterprise_user") or {}).get("enterprise_id") or None,
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner")),
            is_primary_owner=bool(user.get("is_primary_owner")),
            is_restricted=bool(user.get("is_restricted")),
            deleted=bool(user.get("deleted")),
            is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        )

    def today(self, now: datetime | None = None) -> date:
        """Their own local day (at `now`, default: now): what "today" means when a person asks."""
        return local_date(now or utcnow(), self.zone)

    def belongs_to(self, *, team_id: str, enterprise_id: str | None) -> bool:
        """Whether they are a member of `team_id` (or of the same Enterprise Grid org).

        A Slack Connect guest's home is another organisation's workspace; a user from another
        team counts only when both belong to the same Enterprise Grid org.
        """
        if not self.team_id or self.team_id == team_id:
            return True
        return bool(enterprise_id) and self.enterprise_id == enterprise_id

    def is_admin_of(self, *, team_id: str, enterprise_id: str | None) -> bool:
        """Whether Slack makes them an admin or owner *of this workspace*."""
        if self.deleted or self.is_bot or self.is_restricted:
            return False
        if not self.belongs_to(team_id=team_id, enterprise_id=enterprise_id):
            return False
        return self.is_admin or self.is_owner or self.is_primary_owner


class SlackDirectory:
    """users.info with a short per-(team, user) cache of Slack's answers."""

    def __init__(self, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        self._lock = threading.Lock()

    def lookup(self, client: WebClient, *, team_id: str, user_id: str) -> Person:
        """`user_id` as Slack describes them to `team_id`'s installation (`client`).

        Raises SlackApiError when Slack does not answer with a user; a failure is not cached.
        """
        key = (team_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        person = Person.from_slack(user_id, client.users_info(user=user_id)["user"])
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self._ttl}
            self._cache[key] = (now, person)
        return person

    def person(self, client: WebClient, *, team_id: str, user_id: str) -> Person:
        """`user_id` as Slack describes them, or by user ID only (in UTC) when Slack will not say
        (a missing scope, an unknown user, Slack down): a person still gets an answer."""
        try:
            return self.lookup(client, team_id=team_id, user_id=user_id)
        except SlackApiError as exc:
            logger.warning(
                "users.info for %s failed (%s): by user ID only, in UTC", user_id, exc.response.get("error")
            )
            return Person(user_id=user_id)

    def is_admin(
        self,
        client: WebClient,
        *,
        settings: Settings,
        team_id: str,
        user_id: str,
        enterprise_id: str | None = None,
    ) -> bool:
        """Whether `user_id` may do the admin-only things in `team_id`.

        A user Slack does not know is not an admin; any other Slack failure raises (the app's
        error handler says so), never taken for a no.
        """
        if user_id in settings.renewals_admins:
            return True
        try:
            person = self.lookup(client, team_id=team_id, user_id=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") not in _NO_SUCH_USER:
                raise  # Slack is down or the token is bad
            return False
        return person.is_admin_of(team_id=team_id, enterprise_id=enterprise_id)
