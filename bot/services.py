"""What listeners and jobs need from the outside world, handed to them through Bolt's context.

`build_services` is the one place a `Services` is made: `serve` builds one and gives the same
object to the Bolt app and to the scheduler; `renewals-bot digest` builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack.directory import SlackDirectory


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    directory: SlackDirectory  # who a Slack user is (users.info, cached briefly)


def build_services(settings: Settings, engine: Engine) -> Services:
    """The services of one running app (or one command) for `settings`, on `engine`."""
    return Services(settings=settings, engine=engine, directory=SlackDirectory())
