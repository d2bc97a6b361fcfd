"""`custos init`: key file, migrations, policy versions and the first admin, safe to run again."""

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from custos.access.models import Staff
from custos.clock import FixedClock
from custos.db.published import PolicyVersion
from custos.errors import ConfigurationError, PolicyInvalid
from custos.runtime import open_runtime
from custos.settings import Settings
from custos.setup import initialise


def test_init_creates_everything_once(settings: Settings, clock: FixedClock) -> None:
    first = initialise(settings, clock)
    assert first.key_created
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"
    assert first.first_admin is not None
    assert "2024-03-25" in [d.isoformat() for d in first.policy_versions_recorded]
    second = initialise(settings, clock)
    assert (second.key_created, second.first_admin, second.policy_versions_recorded) == (False, None, [])
    runtime = open_runtime(settings, clock)
    try:
        with runtime.db.transaction() as session:
            [admin] = session.scalars(select(Staff)).all()
            versions = session.scalars(select(PolicyVersion.effective_on)).all()
        assert PasswordHasher().verify(admin.password_hash, first.first_admin.password)
        assert admin.must_change_password
        assert len(versions) == len(first.policy_versions_recorded)
    finally:
        runtime.close()


def test_a_broken_policy_stops_init_before_anything_is_written(settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "policy.yaml"
    broken.write_text("organisation: [unclosed\n")
    with pytest.raises(PolicyInvalid):
        initialise(Settings(**{**settings.__dict__, "policy_path": broken}))
    assert not settings.key_file.exists()


def test_runtime_refuses_an_uninitialised_database(settings: Settings, tmp_path: Path) -> None:
    initialise(settings)
    fresh = Settings(**{**settings.__dict__, "database_url": f"sqlite:///{tmp_path}/empty.db"})
    with pytest.raises(ConfigurationError, match="run `custos init`"):
        open_runtime(fresh)
