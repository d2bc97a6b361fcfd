"""Selections and mailings through the CLI (with its progress bar) and the API, with their permissions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from mailing_helpers import add_contact, add_org, suppress_email
from typer.testing import CliRunner

from custos.cli.main import build_cli
from custos.jobs.registry import MAILINGS_SEND, scheduler_for
from custos.runtime import Runtime
from custos.settings import Settings


def _seed(runtime: Runtime) -> None:
    ctx = runtime
    with runtime.db.transaction() as session:
        org = add_org(session, ctx, "Kund AB")
        for name in ("anna", "bo", "cia"):
            add_contact(session, ctx, f"{name}@kund.se", organisation_id=org)
        suppress_email(session, ctx, "cia@kund.se")


def test_cli_select_count_export_create_and_send(runtime: Runtime, settings: Settings, tmp_path: Path) -> None:
    _seed(runtime)
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "CUSTOS_OUTBOX_DIR": str(tmp_path / "outbox"),
        "COLUMNS": "200",
    }

    def run(*args: str) -> str:
        result = CliRunner().invoke(build_cli(), list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    out = run("mailings", "select", "--name", "Customers", "--subject", "customer_contact", "--role", "customer")
    assert "Selection 1 saved" in out
    assert "excluded: suppressed" in out
    assert "objected to direct marketing" in out
    run("mailings", "export", "1", "-o", str(tmp_path / "sel.csv"))
    assert (tmp_path / "sel.csv").read_text(encoding="utf-8").count("\n") == 3  # header + anna + bo
    (tmp_path / "body.txt").write_text("Hej!", encoding="utf-8")
    run("mailings", "create", "--selection", "1", "--subject", "Nyheter", "--body", str(tmp_path / "body.txt"))
    out = run("mailings", "send", "1")
    assert "2 sent, 0 skipped, 0 failed of 2" in out
    letters = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(letters) == 2
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in letters[0].read_bytes()
    assert "done" in run("mailings", "status", "1")
    refused = CliRunner().invoke(build_cli(), ["mailings", "selections"], env=env)
    assert refused.exit_code == 0


def test_cli_select_by_role_leaves_out_a_contact_whose_own_role_ended(runtime: Runtime, settings: Settings) -> None:
    """Issue 13: a contact whose relationship ended in 2010 was "included" in `mailings select --role customer`."""
    ctx = runtime
    with runtime.db.transaction() as session:
        org = add_org(session, ctx, "Kund AB")
        add_contact(session, ctx, "nu@kund.se", organisation_id=org)
        add_contact(session, ctx, "förr@kund.se", organisation_id=org, ended_on=date(2010, 1, 1))
    env = {
        "CUSTOS_DATABASE_URL": settings.database_url,
        "CUSTOS_KEY_FILE": str(settings.key_file),
        "CUSTOS_POLICY_PATH": str(settings.policy_path),
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(
        build_cli(), ["mailings", "select", "--name", "Customers", "--role", "customer"], env=env
    )
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 3}
    assert " 1 " in lines["included"]
    assert " 1 " in lines["excluded: role_ended"]
    assert "the person's own role ended" in lines["excluded: role_ended"]


def test_api_selection_and_mailing(runtime: Runtime, login_as: object, settings: Settings, tmp_path: Path) -> None:
    _seed(runtime)
    dpo: TestClient = login_as("dpo")  # type: ignore[operator]
    created = dpo.post(
        "/api/v1/selections", json={"name": "Customers", "criteria": {"organisation_roles": ["customer"]}}
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    counted = dpo.get(f"/api/v1/selections/{sid}/count").json()
    assert counted == {
        "included": 2,
        "excluded": {
            "restricted": 0,
            "suppressed": 1,
            "purpose": 0,
            "not_customer": 0,
            "role_ended": 0,
            "no_email": 0,
        },
    }
    exported = dpo.get(f"/api/v1/selections/{sid}/export")
    assert exported.status_code == 200
    assert exported.text.count("\n") == 3
    bad = dpo.post("/api/v1/selections", json={"name": "x", "criteria": {"activities": ["nope"]}})
    assert bad.status_code == 422
    auditor: TestClient = login_as("auditor")  # type: ignore[operator]
    assert auditor.get(f"/api/v1/selections/{sid}/export").status_code == 403
    assert auditor.post("/api/v1/mailings", json={"selection_id": sid, "subject": "s", "body": "b"}).status_code == 403


def test_admin_pages_count_compose_and_send(runtime: Runtime, login_as: object, tmp_path: Path) -> None:
    _seed(runtime)
    runtime.settings = replace(runtime.settings, outbox_dir=tmp_path / "outbox")
    dpo: TestClient = login_as("dpo")  # type: ignore[operator]
    saved = dpo.post(
        "/admin/selections",
        data={
            "name": "Kunder",
            "subject_category": "customer_contact",
            "organisation_role": "customer",
            "use": "mailings",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = dpo.get(saved.headers["location"])
    assert page.status_code == 200
    assert 'id="count-included">2<' in page.text
    assert "objected to direct marketing (Art. 21(3))" in page.text
    created = dpo.post(
        saved.headers["location"] + "/mailings", data={"subject": "News", "body": "Hello"}, follow_redirects=False
    )
    assert created.status_code == 303
    mailing_url = created.headers["location"]
    assert "Draft, not sent" in dpo.get(mailing_url).text
    # Send only starts the mailing; the `mailings-send` job sends it at a worker's next tick (here, by hand).
    started = dpo.post(mailing_url + "/send", follow_redirects=False)
    assert started.status_code == 303
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 0
    assert MAILINGS_SEND in scheduler_for(runtime).tick()
    sent = dpo.get(mailing_url)
    assert sent.status_code == 200
    assert 'id="done-sent">2<' in sent.text
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert dpo.get("/admin/selections").status_code == 200
    reader: TestClient = login_as("auditor")  # type: ignore[operator]
    assert reader.get("/admin/selections").status_code == 403
