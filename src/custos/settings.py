"""Settings: read once, from the environment (`CUSTOS_*`) and an optional TOML file, then passed down.

Every setting is listed in `SETTINGS` with its default and help text; `docs/settings.md` documents each
and a test fails when one is missing there. Nothing here runs at import time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from custos.errors import ConfigurationError


@dataclass(frozen=True)
class SettingSpec:
    name: str
    default: str
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("database_url", "sqlite:///./var/custos.db", "SQLAlchemy URL of Custos's own database."),
    SettingSpec("policy_path", "examples/elastx/policy.yaml", "The policy file Custos enforces."),
    SettingSpec("key_file", "./var/custos.key", "Encryption key file; created with mode 0600 on first run."),
    SettingSpec("host", "127.0.0.1", "Address `custos serve` listens on."),
    SettingSpec("port", "8000", "Port `custos serve` listens on."),
    SettingSpec("public_url", "", "Public base URL; when empty, http://HOST:PORT."),
    SettingSpec(
        "mode",
        "embedded",
        "`embedded` (the local demo defaults) or `production` (refuses SQLite and placeholder secrets).",
    ),
    SettingSpec("language", "en", "Default language of generated texts: `en` or `sv`."),
    SettingSpec("log_level", "info", "Log level of the server: debug, info, warning, error."),
    SettingSpec(
        "worker",
        "on",
        "`on` runs the job worker (daily retention sweep) inside `custos serve`; `off` leaves it "
        "to separate `custos worker` processes.",
    ),
    SettingSpec(
        "queue",
        "inprocess",
        "Where jobs' tasks run: `inprocess` (in the worker that defers them) or `procrastinate` (a PostgreSQL "
        "queue every `custos worker` takes tasks from; needs a PostgreSQL database_url).",
    ),
    SettingSpec(
        "audit_seal_seconds",
        "2",
        "How often `custos serve` and `custos worker` seal new audit events into signed blocks (0.1–3600 s); "
        "an event is tamper-evident from its sealing on.",
    ),
    SettingSpec("retention_sweep_hour", "3", "Hour of the day (0–23, UTC) the daily retention sweep is due."),
    SettingSpec(
        "system_task_days",
        "7",
        "Days a manual system task may stay open before the dashboard lists it as waiting too long.",
    ),
    SettingSpec(
        "smtp_host", "", "SMTP server for outgoing mail; empty: .eml files in outbox_dir, or refused in production."
    ),
    SettingSpec("smtp_port", "25", "Port of the SMTP server."),
    SettingSpec("mail_from", "", "Sender address of outgoing mail; empty: the policy's privacy contact."),
    SettingSpec("smtp_tls", "none", "TLS to the SMTP server: `none`, `starttls` or `ssl` (implicit TLS, port 465)."),
    SettingSpec("smtp_user", "", "User name for SMTP AUTH; empty: no authentication."),
    SettingSpec(
        "smtp_password", "", "Password for SMTP AUTH; only from the environment (CUSTOS_SMTP_PASSWORD), never a file."
    ),
    SettingSpec("outbox_dir", "./var/outbox", "Where mail is written as .eml files when no smtp_host is set."),
    SettingSpec("packages_dir", "./var/packages", "Where access and portability packages (ZIP) are written."),
)

_PREFIX = "CUSTOS_"
_MODES = ("embedded", "production")
_SMTP_TLS = ("none", "starttls", "ssl")
_QUEUES = ("inprocess", "procrastinate")
# Secrets that must not sit in a settings file, which is often readable and checked in.
_ENVIRONMENT_ONLY = ("smtp_password",)


@dataclass(frozen=True)
class Settings:
    database_url: str
    policy_path: Path
    key_file: Path
    host: str
    port: int
    public_url: str
    mode: str
    language: str
    log_level: str
    worker: bool = True
    queue: str = "inprocess"
    retention_sweep_hour: int = 3
    audit_seal_seconds: float = 2.0
    system_task_days: int = 7
    smtp_host: str = ""
    smtp_port: int = 25
    mail_from: str = ""
    smtp_tls: str = "none"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    outbox_dir: Path = Path("./var/outbox")
    packages_dir: Path = Path("./var/packages")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(
    environ: Mapping[str, str],
    settings_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the settings file, then `CUSTOS_*` variables, then explicit overrides (CLI options)."""
    values: dict[str, Any] = {spec.name: spec.default for spec in SETTINGS}
    file_path = settings_file or (Path(environ["CUSTOS_SETTINGS_FILE"]) if "CUSTOS_SETTINGS_FILE" in environ else None)
    if file_path is not None:
        values.update(_read_file(file_path))
    for spec in SETTINGS:
        env_name = _PREFIX + spec.name.upper()
        if env_name in environ:
            values[spec.name] = environ[env_name]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _build(values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"settings file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"settings file {path} is not valid TOML: {exc}") from None
    secrets = sorted(set(data) & set(_ENVIRONMENT_ONLY))
    if secrets:
        names = ", ".join(f"{name} (set {_PREFIX}{name.upper()})" for name in secrets)
        raise ConfigurationError(f"settings file {path}: {names} may only come from the environment")
    known = {spec.name for spec in SETTINGS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigurationError(
            f"settings file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return {k: str(v) for k, v in data.items()}


def _build(values: dict[str, Any]) -> Settings:
    try:
        port = int(values["port"])
    except ValueError:
        raise ConfigurationError(f"port must be a number, got {values['port']!r}") from None
    mode = str(values["mode"])
    if mode not in _MODES:
        raise ConfigurationError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
    language = str(values["language"])
    if language not in ("en", "sv"):
        raise ConfigurationError(f"language must be en or sv, got {language!r}")
    worker = str(values["worker"]).strip().lower()
    if worker not in ("on", "off", "true", "false"):
        raise ConfigurationError(f"worker must be on or off, got {values['worker']!r}")
    queue = str(values["queue"]).strip().lower()
    if queue not in _QUEUES:
        raise ConfigurationError(f"queue must be one of {', '.join(_QUEUES)}, got {values['queue']!r}")
    try:
        sweep_hour = int(values["retention_sweep_hour"])
    except ValueError:
        sweep_hour = -1
    if not 0 <= sweep_hour <= 23:
        raise ConfigurationError(f"retention_sweep_hour must be an hour 0–23, got {values['retention_sweep_hour']!r}")
    try:
        seal_seconds = float(values["audit_seal_seconds"])
    except ValueError:
        seal_seconds = -1.0
    if not 0.1 <= seal_seconds <= 3600:
        raise ConfigurationError(f"audit_seal_seconds must be 0.1–3600 seconds, got {values['audit_seal_seconds']!r}")
    try:
        task_days = int(values["system_task_days"])
    except ValueError:
        task_days = -1
    if not 1 <= task_days <= 365:
        raise ConfigurationError(f"system_task_days must be a number of days 1–365, got {values['system_task_days']!r}")
    smtp_tls = str(values["smtp_tls"]).strip().lower()
    if smtp_tls not in _SMTP_TLS:
        raise ConfigurationError(f"smtp_tls must be one of {', '.join(_SMTP_TLS)}, got {values['smtp_tls']!r}")
    settings = Settings(
        database_url=str(values["database_url"]),
        policy_path=Path(values["policy_path"]),
        key_file=Path(values["key_file"]),
        host=str(values["host"]),
        port=port,
        public_url=str(values["public_url"]),
        mode=mode,
        language=language,
        log_level=str(values["log_level"]),
        worker=worker in ("on", "true"),
        queue=queue,
        retention_sweep_hour=sweep_hour,
        audit_seal_seconds=seal_seconds,
        system_task_days=task_days,
        smtp_host=str(values["smtp_host"]),
        smtp_port=_port(values["smtp_port"], "smtp_port"),
        mail_from=str(values["mail_from"]),
        smtp_tls=smtp_tls,
        smtp_user=str(values["smtp_user"]),
        smtp_password=str(values["smtp_password"]),
        outbox_dir=Path(values["outbox_dir"]),
        packages_dir=Path(values["packages_dir"]),
    )
    if mode == "production" and settings.is_sqlite:
        # The embedded SQLite default is for trying Custos out; production runs on PostgreSQL.
        raise ConfigurationError("production mode needs a PostgreSQL database_url, not SQLite")
    if queue == "procrastinate" and not settings.database_url.startswith("postgresql"):
        # procrastinate keeps its queue in PostgreSQL (LISTEN/NOTIFY, SKIP LOCKED); there is no broker to fall back on.
        raise ConfigurationError("queue procrastinate needs a PostgreSQL database_url; use queue inprocess with SQLite")
    return settings


def _port(value: Any, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {value!r}") from None


def setting_names() -> list[str]:
    return [f.name for f in fields(Settings)]
