"""Importing a CSV file in the browser: the check writes nothing to the register, every bad row is named with its
line and reason, the rejects download is neutralised against formulas, the confirmation imports all or only the
good rows, in one transaction with its audit event; bad files are refused with a clear error and nothing kept."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from custos.audit import AuditEvent
from custos.register import uploads
from custos.register.models import Person, Relationship
from custos.register.upload_models import ImportUpload
from custos.runtime import Runtime
from custos.web import auth

LoginAs = Callable[..., TestClient]
HEADER = "name,email,organisation,org_number,customer_since\n"
_NUMBERS = itertools.count(1000)  # fresh addresses for every hypothesis example


def _good(n: int) -> str:
    return f"Good Person {n},good{n}@example.se,Kund AB,556000-0001,2020-01-01\n"


def _bad(n: int) -> str:
    return f"Bad Person {n},not-an-address-{n},Kund AB,556000-0001,2020-01-01\n"


def _token(client: TestClient) -> str:
    page = client.get("/admin/imports")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _upload(client: TestClient, body: bytes, *, kind: str = "contacts", name: str = "contacts.csv", **kw: object):  # type: ignore[no-untyped-def]
    token = _token(client)
    headers = {"X-CSRF-Token": ""}  # the token travels in the form, as a browser without JavaScript sends it
    return client.post(
        "/admin/imports",
        data={"csrf_token": token, "kind": kind},
        files={"file": (name, body, "text/csv")},
        headers=headers,
        follow_redirects=False,
        **kw,
    )


def _count(runtime: Runtime, model: type) -> int:
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _actions(runtime: Runtime) -> list[str]:
    with runtime.db.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _confirm(client: TestClient, location: str, mode: str, rows: int):  # type: ignore[no-untyped-def]
    page = client.get(location)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post(
        f"{location}/confirm",
        data={"csrf_token": token.group(1), "mode": mode, "rows": str(rows)},
        follow_redirects=False,
    )


def test_the_check_lists_every_bad_row_and_writes_nothing(client: TestClient, runtime: Runtime) -> None:
    body = (HEADER + _good(1) + _bad(2) + _good(3) + "No Address,,Kund AB,,\n").encode()
    response = _upload(client, body)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    page = client.get(location)
    assert "4 rows:" in page.text
    assert "2 good, 2 bad." in page.text
    rows = re.findall(r'<tr><th scope="row" class="num">(\d+)</th><td>([^<]+)</td>', page.text)
    assert [line for line, _ in rows] == ["3", "5"]
    assert "email" in rows[0][1]
    assert "needs an email or a phone" in rows[1][1]
    assert 'id="mode-all" disabled' in page.text
    assert _count(runtime, Person) == 0
    with runtime.db.transaction() as session:
        upload = session.scalars(select(ImportUpload)).one()
        # Held encrypted: no name or address of the file in the stored bytes.
        assert upload.content_enc is not None
        assert b"Good Person" not in upload.content_enc
        assert b"example.se" not in upload.content_enc
    assert _actions(runtime)[-1] == "person.import_checked"


def test_rejects_download_has_line_and_reason_and_neutralised_cells(client: TestClient, runtime: Runtime) -> None:
    body = (HEADER + _good(1) + '=HYPERLINK("http://x"),@evil,Kund AB,,\n').encode()
    location = _upload(client, body).headers["location"]
    download = client.get(f"{location}/rejects.csv")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 1
    assert rows[0]["line"] == "3"
    assert rows[0]["name"].startswith("'=")
    assert rows[0]["email"] == "'@evil"
    assert rows[0]["error"]
    assert "person.import_rejects" in _actions(runtime)


def test_skip_invalid_imports_the_good_rows_audited_in_the_same_transaction(
    client: TestClient, runtime: Runtime
) -> None:
    location = _upload(client, (HEADER + _good(1) + _bad(2) + _good(3)).encode()).headers["location"]
    refused = _confirm(client, location, "all", 2)
    assert refused.status_code == 422
    assert "would write nothing" in refused.text
    assert _count(runtime, Person) == 0
    wrong = _confirm(client, location, "skip", 3)
    assert wrong.status_code == 422
    done = _confirm(client, location, "skip", 2)
    assert done.status_code == 303
    page = client.get(location)
    assert 'id="import-done"' in page.text
    assert "1 bad row was left out." in page.text
    assert _count(runtime, Person) == 2
    with runtime.db.transaction() as session:
        upload = session.scalars(select(ImportUpload)).one()
        assert upload.state == "done"
        assert upload.content_enc is None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "person.import")).one()
        assert event.details["people_created"] == 2
        assert event.details["mode"] == "skip"
    again = _confirm(client, location, "skip", 2)
    assert again.status_code == 409


def test_all_or_nothing_on_a_good_file(client: TestClient, runtime: Runtime) -> None:
    location = _upload(client, (HEADER + _good(1) + _good(2)).encode()).headers["location"]
    assert 'id="mode-all" checked' in client.get(location).text
    assert _confirm(client, location, "all", 2).status_code == 303
    assert _count(runtime, Relationship) == 2


@pytest.mark.parametrize(
    ("body", "name", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "photo.png", "not UTF-8"),
        ("name;email\nÅsa;asa@example.se\n".encode("latin-1"), "latin.csv", "not UTF-8"),
        (b"name,email\nOnly Name,only@example.se\n", "contacts.csv", "missing column(s) organisation"),
        (b"hello there, this is a letter\nnot a table\n", "letter.txt", "unknown column(s)"),
        (HEADER.encode() + b"Big," + b"x" * 140_000 + b"@example.se,Kund AB,,\n", "big.csv", "field larger than"),
        (b"", "empty.csv", "no file, or an empty one"),
        (HEADER.encode(), "header.csv", "no rows after the header"),
    ],
)
def test_bad_files_are_refused_clearly_and_nothing_is_kept(
    client: TestClient, runtime: Runtime, body: bytes, name: str, expected: str
) -> None:
    response = _upload(client, body, name=name)
    assert response.status_code == 422
    assert expected in response.text
    assert 'id="f-file-error"' in response.text
    assert _count(runtime, ImportUpload) == 0
    assert _count(runtime, Person) == 0


def test_a_byte_order_mark_is_read_as_utf8(client: TestClient, runtime: Runtime) -> None:
    body = "\ufeff".encode() + (HEADER + "Åsa Öberg,asa@example.se,Kund AB,,2020-01-01\n").encode()
    location = _upload(client, body).headers["location"]
    assert "1 good, 0 bad." in client.get(location).text


def test_too_large_files_are_refused(client: TestClient, runtime: Runtime) -> None:
    assert uploads.MAX_BYTES == auth.MAX_UPLOAD_BYTES
    # Just over the limit: the upload page says so next to the field.
    line = _good(1).encode()
    body = HEADER.encode() + line * (uploads.MAX_BYTES // len(line) + 1)
    response = _upload(client, body)
    assert response.status_code == 422
    assert "larger than 10 MB" in response.text
    # Far over it: refused before the body is read.
    huge = _upload(client, body * 2)
    assert huge.status_code == 422
    assert "too large" in huge.text
    assert _count(runtime, ImportUpload) == 0


def test_an_upload_without_the_csrf_token_is_refused(client: TestClient, runtime: Runtime) -> None:
    response = client.post(
        "/admin/imports",
        data={"kind": "contacts"},
        files={"file": ("c.csv", (HEADER + _good(1)).encode(), "text/csv")},
        headers={"X-CSRF-Token": ""},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _count(runtime, ImportUpload) == 0


def test_another_members_upload_is_not_found(client: TestClient, login_as: LoginAs, runtime: Runtime) -> None:
    location = _upload(client, (HEADER + _good(1)).encode()).headers["location"]
    other = login_as("dpo")
    assert other.get(location).status_code == 404
    assert other.get(f"{location}/rejects.csv").status_code == 404


def test_expired_uploads_are_deleted(client: TestClient, runtime: Runtime, clock) -> None:  # type: ignore[no-untyped-def]
    _upload(client, (HEADER + _good(1)).encode())
    clock.advance(uploads.EXPIRY)
    uploads.drive_all(runtime)
    assert _count(runtime, ImportUpload) == 0


def test_a_role_without_register_import_gets_403(login_as: LoginAs) -> None:
    assert login_as("auditor").get("/admin/imports").status_code == 403


# The promise: for any mix of good and bad rows, all-or-nothing writes nothing when a row is bad; skip-invalid
# writes exactly the good rows; the rejects file and the rows written together are the input.
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_property_good_and_bad_rows(client: TestClient, runtime: Runtime, mix: list[bool]) -> None:
    before = _count(runtime, Person)
    lines = [(_good if good else _bad)(next(_NUMBERS)) for good in mix]
    location = _upload(client, (HEADER + "".join(lines)).encode()).headers["location"]
    good = sum(mix)
    bad = len(mix) - good
    if bad:
        assert _confirm(client, location, "all", good).status_code == 422
        assert _count(runtime, Person) == before
        rejects = list(csv.DictReader(io.StringIO(client.get(f"{location}/rejects.csv").text)))
        assert [int(r["line"]) for r in rejects] == [n + 2 for n, ok in enumerate(mix) if not ok]
    else:
        rejects = []
    if good:
        assert _confirm(client, location, "skip" if bad else "all", good).status_code == 303
    assert _count(runtime, Person) - before == good
    assert len(rejects) + good == len(mix)
