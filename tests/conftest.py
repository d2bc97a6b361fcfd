"""Test fixtures: a fresh, migrated database per test on the backend chosen with --backend.

SQLite: a copy of a migrated template file. PostgreSQL: a new database cloned from a migrated template
(CREATE DATABASE ... TEMPLATE), dropped after the test. When the PostgreSQL server is unreachable the
PostgreSQL run skips with the server's address, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from custos.access.models import Grant, Staff
from custos.access.passwords import hash_password
from custos.app import create_app
from custos.clock import FixedClock
from custos.db import make_engine
from custos.db.migrate import upgrade
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings, load_settings
from custos.setup import initialise
from smtp_catch import CaughtMail, free_port
from staff_login import StaffLogin

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_POLICY = ROOT / "examples" / "elastx" / "policy.yaml"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgres"),
        default=os.environ.get("CUSTOS_TEST_BACKEND", "sqlite"),
        help="database backend for the whole suite (also CUSTOS_TEST_BACKEND)",
    )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--backend"))


def _pg_admin_url() -> str:
    return os.environ.get("CUSTOS_TEST_POSTGRES_URL", DEFAULT_PG).replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL admin URL, or a skip (a failure in CI) naming the server that is missing."""
    url = _pg_admin_url()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        where = make_url(url).render_as_string(hide_password=True)
        message = f"PostgreSQL server {where} is unreachable ({type(exc).__name__}); set CUSTOS_TEST_POSTGRES_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    finally:
        engine.dispose()
    return url


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_database(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        yield str(path)
        return
    admin = request.getfixturevalue("postgres_server")
    name = f"custos_tpl_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    migrated = make_engine(_with_database(admin, name))
    upgrade(migrated)
    migrated.dispose()
    yield name
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def database_url(backend: str, template_database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "custos.db"
        shutil.copyfile(template_database, path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("postgres_server")
    name = f"custos_t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    yield _with_database(admin, name)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {},
        None,
        overrides={
            "database_url": database_url,
            "key_file": str(tmp_path / "custos.key"),
            "policy_path": str(EXAMPLE_POLICY),
        },
    )


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the `custos` command at the test's installation (see tests/cli_run.py)."""
    return {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt = open_runtime(settings, clock)
    yield rt
    rt.close()


STAFF_PASSWORD = "correct horse battery staple"


StaffFactory = Callable[..., StaffLogin]
LoginAs = Callable[..., TestClient]


@pytest.fixture
def staff_factory(runtime: Runtime, clock: FixedClock) -> StaffFactory:
    """`staff_factory("auditor", scope="*", totp=True)`: an active staff member holding that role (or none)."""
    numbers = itertools.count(1)

    def make(
        role: str | None = None,
        scope: str = "*",
        *,
        totp: bool = True,
        must_change_password: bool = False,
        email: str | None = None,
    ) -> StaffLogin:
        address = email or f"{role or 'staff'}{next(numbers)}@staff.test"
        secret = pyotp.random_base32() if totp else None
        with runtime.db.transaction() as session:
            staff = Staff(
                email=address,
                name=f"Test {role or 'staff'}",
                status="active",
                password_hash=hash_password(STAFF_PASSWORD),
                must_change_password=must_change_password,
                created_at=clock.now(),
                totp_secret=secret,
                totp_enabled_at=clock.now() if secret else None,
            )
            session.add(staff)
            session.flush()
            if role is not None:
                # As if the first administrator (dpo for "*") had approved it: four eyes, not a walk-around.
                first = session.scalar(select(Staff.id).where(Staff.is_bootstrap_admin.is_(True)))
                session.add(
                    Grant(
                        staff_id=staff.id,
                        role=role,
                        scope=scope,
                        granted_at=clock.now(),
                        approval="required",
                        decided_by_id=first,
                        decided_at=clock.now(),
                    )
                )
            staff_id = staff.id
        return StaffLogin(id=staff_id, email=address, password=STAFF_PASSWORD, totp_secret=secret)

    return make


@pytest.fixture
def anonymous_client(settings: Settings, runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, runtime=runtime)) as test_client:
        yield test_client


@pytest.fixture
def login_as(settings: Settings, runtime: Runtime, clock: FixedClock, staff_factory: StaffFactory) -> Iterator[LoginAs]:
    """`login_as("auditor")`: a client logged in (password + TOTP) as a new staff member with that role.

    The client sends the session's CSRF token with every request, as the admin UI does."""
    with ExitStack() as stack:

        def login(role: str | None = None, scope: str = "*", *, staff: StaffLogin | None = None) -> TestClient:
            member = staff or staff_factory(role, scope)
            test_client = stack.enter_context(TestClient(create_app(settings, runtime=runtime)))
            body = {"email": member.email, "password": member.password}
            if member.totp_secret:
                body["code"] = member.code(clock.now())
            response = test_client.post("/api/v1/auth/login", json=body)
            assert response.status_code == 200, response.text
            test_client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            return test_client

        yield login


@pytest.fixture
def client(login_as: LoginAs) -> TestClient:
    """A client logged in as a DPO (every permission, scope "*")."""
    return login_as("dpo")


@pytest.fixture
def smtp_server() -> Iterator[CaughtMail]:
    """A real SMTP server (aiosmtpd) on a free localhost port, for any test that sends mail."""
    from aiosmtpd.controller import Controller

    port = free_port()
    caught = CaughtMail(port=port, messages=[])
    controller = Controller(caught, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield caught
    finally:
        controller.stop()
