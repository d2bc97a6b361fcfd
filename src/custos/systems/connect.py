"""Engines for customer systems: one small pool per URL, made on first use and disposed by whoever holds them.

A customer's database is not ours to tune: no journal-mode or schema changes, only what a transaction needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from custos.errors import ConfigurationError

if TYPE_CHECKING:
    from custos.runtime import Runtime


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, for output and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable database URL)"


def scrub(text: str, url: str) -> str:
    """`text` without the URL's password, wherever a driver may have echoed it."""
    try:
        password = make_url(url).password
    except ArgumentError:
        return text
    return text.replace(str(password), "***") if password else text


def create_system_engine(url: str) -> Engine:
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    elif url.startswith("mysql://") or url.startswith("mariadb://"):
        url = "mysql+pymysql://" + url.split("://", 1)[1]
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=True, pool_recycle=1800)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigurationError(f"cannot use the system URL {mask_url(url)}: {scrub(str(exc), url)}") from None


class SystemEngines:
    """One pooled engine per URL, created lazily; `close()` disposes them all."""

    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}

    def engine(self, url: str) -> Engine:
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = create_system_engine(url)
        return engine

    def close(self) -> None:
        engines, self._engines = self._engines, {}
        for engine in engines.values():
            engine.dispose()

    def __enter__(self) -> SystemEngines:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def system_engines(runtime: Runtime) -> SystemEngines:
    """The runtime's pooled engines to the connected sql systems, made on first use (most commands need none)."""
    return runtime.held("system_engines", SystemEngines)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by SQLAlchemy (below); foreign keys are enforced so erasure order is checked too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


READ_ONLY = "custos_read_only"


def _sqlite_begin(conn: Any) -> None:
    # An erasure takes the write lock up front, so it cannot fail half-way on it; an export only reads.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")
