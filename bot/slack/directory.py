"""Who may do the admin-only things: end or restore an association, change the workspace default.

An admin is a user listed in RENEWALS_ADMINS, or a Slack admin or owner of the workspace
(users.info `is_admin` / `is_owner`). Slack's answer is cached for a minute per team and
user, so a burst of clicks costs one users.info call; the cache lives with the app, so two
apps (tests, two workspaces' installs) never share answers.

Reassigning a contact and changing an owner are open to every member of the workspace.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.settings import Settings

CACHE_SECONDS = 60.0
# users.info answers these for a user ID that is not (or no longer) visible to the app.
_NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible", "users_not_found"})

ADMIN_ONLY = (
    "Only admins can {what}: the workspace's admins and owners, and the people listed in "
    "RENEWALS_ADMINS. Nothing was changed."
)


def refusal(what: str) -> str:
    """The ephemeral reply to a non-admin, e.g. refusal("end an association")."""
    return ADMIN_ONLY.format(what=what)


def slack_says_admin(user: dict[str, Any], *, team_id: str, enterprise_id: str | None) -> bool:
    """Whether a users.info `user` is an admin or owner *of this workspace*.

    A Slack Connect guest is an admin of their own organisation at most, so a user from
    another team counts only when both belong to the same Enterprise Grid org.
    """
    if user.get("deleted") or user.get("is_bot") or user.get("is_restricted"):
        return False
    home_team = user.get("team_id")
    if home_team and home_team != team_id:
        user_enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
        if not enterprise_id or user_enterprise != enterprise_id:
            return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


class AdminCheck:
    """`is_admin(...)` with a short per-(team, user) cache of Slack's answer."""

    def __init__(self, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(
        self,
        *,
        settings: Settings,
        client: WebClient,
        team_id: str,
        user_id: str,
        enterprise_id: str | None = None,
    ) -> bool:
        if user_id in settings.renewals_admins:
            return True
        key = (team_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") not in _NO_SUCH_USER:
                raise  # Slack is down or the token is bad: the app's error handler says so
            answer = False
        else:
            answer = slack_says_admin(user, team_id=team_id, enterprise_id=enterprise_id)
        with self._lock:
            self._cache[key] = (now, answer)
        return answer

    def forget(self, team_id: str, user_id: str) -> None:
        with self._lock:
            self._cache.pop((team_id, user_id), None)


_CHECKS: weakref.WeakKeyDictionary[App, AdminCheck] = weakref.WeakKeyDictionary()
_CHECKS_LOCK = threading.Lock()


def admin_check(app: App) -> AdminCheck:
    """The app's one AdminCheck (created on first use), shared by every handler module."""
    with _CHECKS_LOCK:
        check = _CHECKS.get(app)
        if check is None:
            check = _CHECKS[app] = AdminCheck()
        return check
