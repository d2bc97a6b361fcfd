"""A raw look at the database shows no email, name or phone in clear text."""

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from custos.runtime import Runtime

SECRET_EMAIL = "hemlig.person@example-secret.se"
SECRET_NAME = "Hemliga Personen"
SECRET_PHONE = "+46701112233"


def _add(client: TestClient) -> None:
    response = client.post(
        "/api/v1/people",
        json={
            "name": SECRET_NAME,
            "title": "Chief Secret Officer",
            "emails": [SECRET_EMAIL],
            "phones": [SECRET_PHONE],
            "relationships": [{"subject_category": "prospect"}],
        },
    )
    assert response.status_code == 201


def test_database_holds_no_personal_data_in_clear(
    client: TestClient, runtime: Runtime, backend: str, tmp_path: Path
) -> None:
    _add(client)
    runtime.db.dispose()  # checkpoint the WAL so every byte is in the files we read
    if backend == "sqlite":
        database = make_url(runtime.settings.database_url).database
        assert database is not None
        raw = b"".join(p.read_bytes() for p in Path(database).parent.glob(Path(database).name + "*"))
    else:
        if shutil.which("pg_dump") is None:
            pytest.fail("pg_dump is not installed; it comes with the PostgreSQL client package")
        url = make_url(runtime.settings.database_url)
        raw = subprocess.run(
            [
                "pg_dump",
                "-h",
                url.host or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                url.database or "",
            ],
            check=True,
            capture_output=True,
        ).stdout
    assert b"prospect" in raw  # the dump is real: non-personal data is there
    for secret in (SECRET_EMAIL, SECRET_NAME, SECRET_PHONE, "Chief Secret Officer", "hemlig"):
        assert secret.encode() not in raw
        assert secret.encode("utf-16-le") not in raw
