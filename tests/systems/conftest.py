"""Customer systems on real servers: a fresh database per test session in PostgreSQL and MariaDB, a file for
SQLite; each test gets the example tables built anew. A server that does not answer skips its tests with its
address (fails with CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_systems import build_example
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from custos.systems.connect import SystemEngines

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
BACKENDS = ("sqlite", "postgres", "mariadb")


def _server_url(kind: str) -> str:
    if kind == "postgres":
        return os.environ.get("CUSTOS_TEST_POSTGRES_URL", DEFAULT_PG).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
    return os.environ.get("CUSTOS_TEST_MARIADB_URL", DEFAULT_MARIADB)


def _unreachable(kind: str, url: str, exc: Exception) -> None:
    where = make_url(url).render_as_string(hide_password=True)
    variable = "CUSTOS_TEST_POSTGRES_URL" if kind == "postgres" else "CUSTOS_TEST_MARIADB_URL"
    name = "PostgreSQL" if kind == "postgres" else "MariaDB"
    message = f"{name} server {where} is unreachable ({type(exc).__name__}); set {variable}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _scratch_database(kind: str) -> Iterator[str]:
    admin_url = _server_url(kind)
    options = {"isolation_level": "AUTOCOMMIT"} if kind == "postgres" else {}
    admin = create_engine(admin_url, **options)  # type: ignore[arg-type]
    name = f"custos_sys_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as exc:
        admin.dispose()
        _unreachable(kind, admin_url, exc)
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgres" else "")
        connection.execute(text(drop))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_system_database() -> Iterator[str]:
    yield from _scratch_database("postgres")


@pytest.fixture(scope="session")
def mariadb_system_database() -> Iterator[str]:
    yield from _scratch_database("mariadb")


@pytest.fixture
def engines() -> Iterator[SystemEngines]:
    with SystemEngines() as held:
        yield held


@pytest.fixture(params=BACKENDS)
def system_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a database holding the example customer system, built fresh for this test."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crm.db'}"
    return str(request.getfixturevalue(f"{request.param}_system_database"))


@pytest.fixture
def system(system_url: str, engines: SystemEngines) -> Engine:
    engine = engines.engine(system_url)
    build_example(engine)
    return engine
