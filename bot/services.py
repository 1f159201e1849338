"""What listeners and jobs need from the outside world, handed to them through Bolt's context."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
