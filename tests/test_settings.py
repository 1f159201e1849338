"""Settings come from the environment (and .env); a bad one is one readable line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import UserError
from bot.settings import Settings, load_settings


def test_defaults_without_any_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "DATABASE_URL", "RENEWALS_ADMINS", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///renewals.db"
    assert settings.slack_bot_token is None and settings.renewals_admins == frozenset()
    assert not settings.socket_mode and not settings.oauth_enabled


def test_admins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENEWALS_ADMINS", " U1, U2 ,,U3 ")
    assert load_settings().renewals_admins == frozenset({"U1", "U2", "U3"})


def test_dotenv_file_in_the_working_folder_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    token = load_settings().slack_bot_token
    assert token is not None and token.get_secret_value() == "xoxb-from-dotenv"


def test_tokens_never_show_in_the_settings_repr() -> None:
    settings = Settings(slack_bot_token="xoxb-secret-value", slack_signing_secret="shh")
    assert "xoxb-secret-value" not in repr(settings) and "shh" not in str(settings)


def test_api_url_without_trailing_slash_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    with pytest.raises(UserError, match=r"SLACK_API_URL.*end with '/'"):
        load_settings()


def test_log_format_is_text_or_json_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert load_settings().log_format == "json"


def test_an_unknown_log_format_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(UserError, match=r"LOG_FORMAT.*'text' or 'json'"):
        load_settings()


def test_the_secrets_the_log_redacts_include_the_database_password() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-1",
        slack_signing_secret="signing",
        database_url="postgresql://renewals:pa55@db/renewals",
    )
    assert set(settings.secrets()) == {"xoxb-1", "signing", "pa55"}
