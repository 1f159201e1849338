"""The one settings object: every value the app reads from its environment."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.errors import UserError


class Settings(BaseSettings):
    """Configuration from the environment and a `.env` file in the working folder.

    Names are the ones in contract.md; tokens are `SecretStr` so they never reach a log.
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_api_url: str | None = None
    database_url: str = "sqlite:///renewals.db"
    renewals_admins: Annotated[frozenset[str], NoDecode] = Field(default_factory=frozenset)
    # A job's claim (a digest run, a reminder, a "What changed") whose holder has been silent this
    # long is taken over: its heartbeat renews it every third of this. None: store.claims.STALE_CLAIM_AFTER.
    claim_takeover_seconds: float | None = Field(default=None, gt=0)
    # How often `serve`'s scheduler asks what is due: once a minute, on the minute, by default.
    digest_tick_seconds: float = Field(default=60.0, gt=0)

    log_format: Literal["text", "json"] = "text"

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("renewals_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str | None) -> str | None:
        if value is not None and value and not value.endswith("/"):
            raise ValueError("must end with '/' (for example https://slack.com/api/)")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_url_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    def secrets(self) -> list[str]:
        """Every secret value set (tokens, secrets, the database password), for the log redactor."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.slack_client_secret,
            )
            if secret is not None
        ]
        try:
            password = make_url(self.database_url).password
        except (ArgumentError, ValueError):
            password = None
        return [value for value in [*values, password] if value]

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def load_settings() -> Settings:
    """Read the settings, turning a validation failure into one readable line."""
    try:
        return Settings()
    except UnicodeDecodeError:
        raise UserError(".env in the working folder is not UTF-8 text: save it as UTF-8") from None
    except OSError as exc:
        raise UserError(f".env in the working folder cannot be read ({exc.strerror or exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "setting"
        raise UserError(f"bad setting {name}: {first['msg']}") from None
