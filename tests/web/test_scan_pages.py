"""Confirming a scanned data map in the admin: scan the connected CRM, accept and reject tables, see a map that
does not validate refused next to its table and column, confirm, and the system's mapping is the confirmed one
(written where the policy says, loaded by the run machinery, checked by `policy check`), audited."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from custos.audit.models import AuditEvent
from custos.clock import FixedClock
from custos.runtime import Runtime
from custos.settings import Settings
from custos.setup import initialise
from custos.systems.connectors.sql import load_system_mapping
from custos.systems.policy_check import mapping_findings
from custos.systems.scan_models import SystemScan

sys.path.append(str(Path(__file__).parents[1] / "systems"))  # the shared customer-system helper
from customer_system import connected_runtime


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, tmp_path: Path) -> Iterator[Runtime]:
    initialise(settings, clock)
    rt, _ = connected_runtime(settings, clock, tmp_path)
    (tmp_path / "crm-mapping.yaml").unlink()  # nobody has written a mapping yet
    yield rt
    rt.close()


def _fields(page: str) -> dict[str, str]:
    """The review form as the browser would send it untouched: selected options, no radio chosen."""
    fields: dict[str, str] = {}
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    return fields


def _tables(page: str) -> dict[str, str]:
    """Table name → its field prefix (t0, t1 …), from the accept radios."""
    accept = r'id="(t\d+)-accept" name="t\d+-decision" value="accepted"[^>]*><label for="t\d+-accept">Accept (\w+)<'
    return {name: prefix for prefix, name in re.findall(accept, page)}


def _scan(client: TestClient) -> tuple[str, str]:
    started = client.post("/admin/systems/scans", data={"system": "crm"}, follow_redirects=False)
    assert started.status_code == 303
    location = started.headers["location"]
    return location, client.get(location).text


def test_a_dpo_confirms_a_scanned_map_and_it_becomes_the_systems_mapping(
    client: TestClient, runtime: Runtime, tmp_path: Path
) -> None:
    assert "missing" in client.get("/admin/systems/crm").text
    location, page = _scan(client)
    assert "Proposed data map of CRM" in page
    assert "A person is found here by email, phone." in page  # customers, in words
    assert "Rows belong to a person through customer_id → customers.id." in page
    tables = _tables(page)
    assert set(tables) >= {"customers", "orders", "tickets"}
    # Saving with nothing decided is refused next to every table.
    refused = client.post(location, data=_fields(page))
    assert refused.status_code == 422
    assert f'id="f-{tables["customers"]}-decision-error">accept or reject this table' in refused.text
    form = _fields(page) | {f"{p}-decision": "accepted" for p in tables.values()}
    form[f"{tables['tickets']}-decision"] = "rejected"
    saved = client.post(location, data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    confirm = client.get(saved.headers["location"])
    assert "1 table rejected." in confirm.text
    assert "Left out: tickets." in confirm.text
    assert "Confirming writes the mapping file crm-mapping.yaml" in confirm.text
    done = client.post(saved.headers["location"], follow_redirects=True)
    assert done.status_code == 200
    assert "The data map is confirmed" in done.text
    assert 'id="mapping"' in done.text
    mapping = load_system_mapping(runtime, runtime.policy.system("crm"))
    assert "tickets" not in mapping.tables
    assert mapping.tables["customers"].identity == {"email": "email", "phone": "phone"}
    assert mapping_findings(runtime.policy, tmp_path) == []  # `custos policy check` takes it
    with runtime.db.transaction() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        scan = session.scalars(select(SystemScan)).one()
        assert (scan.state, scan.version, scan.replaced_text) == ("confirmed", 1, None)
    assert "system.scan" in actions
    assert "system.mapping_confirmed" in actions
    # A confirmed scan is read-only.
    again = client.post(location, data=form)
    assert again.status_code == 409


def test_a_map_that_does_not_validate_is_refused_next_to_its_column(client: TestClient, runtime: Runtime) -> None:
    location, page = _scan(client)
    tables = _tables(page)
    form = _fields(page) | {f"{p}-decision": "accepted" for p in tables.values()}
    # Finding customers by a column that holds no emails is fine for the schema; claiming `id` is a category the
    # policy lacks is not.
    form[f"{tables['customers']}-c0-category"] = "person.shoe_size"
    refused = client.post(location, data=form)
    assert refused.status_code == 422
    assert f'id="f-{tables["customers"]}-c0-category-error">' in refused.text
    assert "is not a data category of the policy" in refused.text
    # Rejecting the table others point at leaves their reference dangling: refused at that table.
    form = _fields(page) | {f"{p}-decision": "accepted" for p in tables.values()}
    form[f"{tables['customers']}-decision"] = "rejected"
    refused = client.post(location, data=form)
    assert refused.status_code == 422
    assert f'id="f-{tables["orders"]}-decision-error">' in refused.text
    assert "points to a table the mapping does not list" in refused.text
    assert not (Path(runtime.settings.policy_path).parent / "crm-mapping.yaml").exists()


def test_scans_need_systems_manage_and_a_database(login_as: Callable[..., TestClient], client: TestClient) -> None:
    auditor = login_as("auditor")
    assert auditor.get("/admin/systems/scans").status_code == 403
    refused = client.post("/admin/systems/scans", data={"system": "mailer"})
    assert refused.status_code == 422
    assert "only a connected database can be scanned" in refused.text
    listing = client.get("/admin/systems/scans")
    assert "No scan yet." in listing.text
