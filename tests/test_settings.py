from pathlib import Path

import pytest

from custos.errors import ConfigurationError
from custos.settings import SETTINGS, load_settings, setting_names

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "settings.md").read_text()
    missing = [spec.name for spec in SETTINGS if f"`{spec.name}`" not in docs]
    assert missing == []
    assert sorted(setting_names()) == sorted(spec.name for spec in SETTINGS)


def test_defaults_are_the_embedded_installation() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///./var/custos.db"
    assert settings.policy_path == Path("examples/elastx/policy.yaml")
    assert settings.key_file == Path("var/custos.key")
    assert settings.base_url == "http://127.0.0.1:8000"


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    file = tmp_path / "custos.toml"
    file.write_text('port = 9000\nlanguage = "sv"\nhost = "0.0.0.0"\n')
    settings = load_settings({"CUSTOS_PORT": "9100"}, file, overrides={"host": "127.0.0.2"})
    assert (settings.port, settings.language, settings.host) == (9100, "sv", "127.0.0.2")


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    file = tmp_path / "custos.toml"
    file.write_text('databse_url = "sqlite://"\n')
    with pytest.raises(ConfigurationError, match="databse_url"):
        load_settings({}, file)


def test_bad_values_say_what_is_wrong() -> None:
    with pytest.raises(ConfigurationError, match="port must be a number"):
        load_settings({"CUSTOS_PORT": "eighty"})
    with pytest.raises(ConfigurationError, match="production mode needs a PostgreSQL"):
        load_settings({"CUSTOS_MODE": "production"})
