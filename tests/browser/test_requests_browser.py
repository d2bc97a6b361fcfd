"""The issue's end-to-end test in a real browser: a subject asks for a copy on /rights, confirms with the link
from the letter caught by a real SMTP server (aiosmtpd), staff complete the request in the admin pages, and the
subject downloads the ZIP with their rows from the register and from a PostgreSQL and a MariaDB system. Then the
same for erasure (of a second person, whose invoice is past the bookkeeping period), after which no system holds them.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from admin_steps import log_in, watch_console
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from custos.actor import Actor
from custos.clock import FixedClock
from custos.register.people import add_person
from custos.register.schemas import PersonCreate, RelationshipCreate
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.setup import initialise

sys.path.insert(0, str(Path(__file__).parents[1] / "systems"))
from example_systems import EXAMPLE_MAPPING, build_example

ACTOR = Actor.system("test")

StaffFactory = Callable[..., Any]
ANNA = "anna@example.se"
BO = "bo@example.se"
SERVERS = {
    "crm": ("CUSTOS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", "PostgreSQL"),
    "billing": ("CUSTOS_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test", "MariaDB"),
}


def _scratch(system: str) -> Iterator[str]:
    variable, default, name = SERVERS[system]
    admin_url = os.environ.get(variable, default).replace("postgresql://", "postgresql+psycopg://", 1)
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if system == "crm" else {}
    admin = create_engine(admin_url, **options)
    database = f"custos_dsr_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {database}"))
    except Exception as exc:
        admin.dispose()
        where = make_url(admin_url).render_as_string(hide_password=True)
        message = f"{name} server {where} is unreachable ({type(exc).__name__}); set {variable}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {database}" + (" WITH (FORCE)" if system == "crm" else "")))
    admin.dispose()


@pytest.fixture
def postgres_system() -> Iterator[str]:
    yield from _scratch("crm")


@pytest.fixture
def mariadb_system() -> Iterator[str]:
    yield from _scratch("billing")


@dataclass
class Systems:
    engines: dict[str, Engine]

    def count(self, system: str, query: str) -> int:
        with self.engines[system].connect() as connection:
            return int(connection.execute(text(query), {"email": BO}).scalar_one())


def _policy(settings: Settings, directory: Path) -> Path:
    original = Path(settings.policy_path).read_text(encoding="utf-8")
    systems = "systems:\n" + "".join(
        f"  - id: {s}\n    name: {s.title()}\n    environment: production\n    kind: sql\n    mapping: {s}.yaml\n"
        for s in SERVERS
    )
    policy = re.sub(r"(?ms)^systems:\n.*?(?=^processor:)", lambda _m: systems + "\n", original)
    policy = re.sub(r"(?m)^    systems: \[.*\]$", "    systems: [crm, billing]", policy)
    (directory / "policy.yaml").write_text(policy, encoding="utf-8")
    for system in SERVERS:
        (directory / f"{system}.yaml").write_text(EXAMPLE_MAPPING.replace("system: crm", f"system: {system}"), "utf-8")
    return directory / "policy.yaml"


@pytest.fixture
def settings(settings: Settings, smtp_server: Any, tmp_path: Path) -> Settings:
    local = replace(settings, packages_dir=tmp_path / "packages", public_url="http://127.0.0.1:1")
    return smtp_server.settings_for(local)  # type: ignore[no-any-return]


@pytest.fixture
def systems(postgres_system: str, mariadb_system: str) -> Iterator[Systems]:
    engines = {"crm": create_engine(postgres_system), "billing": create_engine(mariadb_system)}
    for engine in engines.values():
        build_example(engine)
    yield Systems(engines)
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path, systems: Systems) -> Iterator[Runtime]:
    initialise(settings, clock)
    environ = {
        f"CUSTOS_SYSTEM_{s.upper()}_URL": e.url.render_as_string(hide_password=False)
        for s, e in systems.engines.items()
    }
    rt = open_runtime(replace(settings, policy_path=_policy(settings, tmp_path)), clock, environ=environ)
    with rt.work(ACTOR) as work:
        for name, email in (("Anna Andersson", ANNA), ("Bo Berg", BO)):
            prospect = RelationshipCreate(subject_category="prospect", last_interaction_on=date(2026, 5, 4))
            add_person(work, PersonCreate(name=name, emails=[email], relationships=[prospect]))
    yield rt
    rt.close()


def _link(smtp_server: Any, pattern: str, server: str, to: str = ANNA) -> str:
    """The newest link of that kind in the letters to the subject, pointed at the test server."""
    for message in reversed(smtp_server.to(to)):
        body = message.get_body(("plain",)).get_content()
        found = re.search(pattern, body)
        if found:
            return server + found.group(1)
    raise AssertionError(f"no letter to {to} has a link like {pattern}")


def _code(smtp_server: Any) -> str:
    body = smtp_server.to(ANNA)[-1].get_body(("plain",)).get_content()
    found = re.search(r"\b\d{8}\b", body)
    assert found, body
    return found.group(0)


def _ask(page: Page, server: str, smtp_server: Any, choice: str, email: str = ANNA) -> str:
    """The subject's side up to a confirmed request; returns its ref."""
    page.goto(server + "/rights")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your rights over your personal data")
    page.get_by_label(choice).check()
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is received")
    ref = re.search(r"DSR-[A-Z0-9]{8}", page.content())
    assert ref
    page.goto(_link(smtp_server, r"https?://[^/\s]+(/rights/verify/\S+)", server, email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#verified")).to_be_visible()
    return ref.group(0)


def _complete(page: Page, server: str, member: Any, clock: FixedClock, ref: str) -> None:
    log_in(page, server, member, clock, path=f"/admin/requests/{ref}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ref)
    expect(page.locator("#tasks")).to_contain_text("crm")
    expect(page.locator("#tasks")).to_contain_text("billing")
    page.get_by_role("button", name="Complete and send the answer").click()
    expect(page.locator("#done")).to_contain_text("completed")


def test_access_then_erasure_across_postgresql_and_mariadb(
    page: Page,
    live_server: str,
    smtp_server: Any,
    staff_factory: StaffFactory,
    clock: FixedClock,
    systems: Systems,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    console_errors = watch_console(page)
    dpo = staff_factory("dpo")
    ref = _ask(page, live_server, smtp_server, "Get a copy of my data")
    _complete(page, live_server, dpo, clock, ref)

    page.context.clear_cookies()  # the subject again, not the staff member
    page.goto(_link(smtp_server, r"https?://[^/\s]+(/rights/download/\S+)", live_server))
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status")).to_contain_text("on its way")
    page.get_by_label("Code").fill(_code(smtp_server))
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download").click()
    archive = tmp_path / "package.zip"
    downloading.value.save_as(archive)
    with zipfile.ZipFile(archive) as package:
        names = package.namelist()
        contents = {name: package.read(name).decode("utf-8", "replace") for name in names}
    for system in ("crm", "billing"):
        mine = "\n".join(v for k, v in contents.items() if system in k)
        assert "Storgatan 1" in mine, system  # her address row
        assert "I cannot log in" in mine, system  # her ticket
        assert "Bo Berg" not in mine
    assert "Anna Andersson" in "\n".join(v for k, v in contents.items() if "register" in k)
    assert any("IMY" in v for v in contents.values())  # the Art. 15 information with the complaint right

    page.context.clear_cookies()
    clock.advance(timedelta(minutes=1))  # a new TOTP code for the second log-in (a code is used only once)
    # Bo asks for erasure: his one invoice (2016) is past the bookkeeping period, so nothing of him may stay.
    ref = _ask(page, live_server, smtp_server, "Delete my data", BO)
    _complete(page, live_server, dpo, clock, ref)
    for system in SERVERS:
        assert systems.count(system, "SELECT count(*) FROM customers WHERE email = :email") == 0
        assert systems.count(system, "SELECT count(*) FROM tickets WHERE requester_email = :email") == 0
        assert systems.count(system, "SELECT count(*) FROM addresses WHERE customer_id = 2") == 0
        assert systems.count(system, "SELECT count(*) FROM invoices WHERE billing_email = :email") == 0
        assert systems.count(system, "SELECT count(*) FROM invoices WHERE id = 3 AND customer_id IS NULL") == 1
        assert systems.count(system, "SELECT count(*) FROM customers WHERE email = 'anna@example.se'") == 1
    answer = smtp_server.to(BO)[-1].get_body(("plain",)).get_content()
    assert ref in answer
    with runtime.db.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM person")).scalar_one() == 1  # Anna is still there
    assert console_errors == []
