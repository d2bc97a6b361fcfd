"""`erase_in_system` against the example CRM and billing schema in the machine's real PostgreSQL: the outcome is
recorded per table, bookkeeping keeps what the law keeps (named with its date and law), and a second erasure
for another cause finds nothing and changes nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from customer_system import connected_policy
from example_systems import EXAMPLE_MAPPING, build_example
from sqlalchemy import text

from custos.clock import FixedClock
from custos.runtime import Runtime, open_runtime
from custos.settings import Settings
from custos.systems.connect import SystemEngines
from custos.systems.keys import SubjectKeys
from custos.systems.runs import erase_in_system

REF = "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d"
ANNA = SubjectKeys.of(emails=["anna@example.se"], phones=["+46701234567"])


def test_erasure_in_postgresql_is_recorded_per_table_with_what_the_law_keeps(
    runtime: Runtime,
    settings: Settings,
    clock: FixedClock,
    tmp_path: Path,
    postgres_system_database: str,
    engines: SystemEngines,
) -> None:
    engine = engines.engine(postgres_system_database)
    build_example(engine)
    policy = connected_policy(settings, tmp_path)
    (tmp_path / "crm-mapping.yaml").write_text(EXAMPLE_MAPPING)
    rt = open_runtime(
        replace(settings, policy_path=policy), clock, environ={"CUSTOS_SYSTEM_CRM_URL": postgres_system_database}
    )
    try:
        outcome = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-1")
        assert outcome.status == "done", outcome.error
        assert outcome.counts["tickets"] == {"deleted": 2, "anonymised": 0, "kept": 0}
        # The old invoice is past the bookkeeping period and anonymised; the recent one, and the customer row it
        # refers to, are kept until the end of the 7th year, which the outcome names with its law.
        assert outcome.counts["invoices"] == {"deleted": 0, "anonymised": 1, "kept": 1}
        kept = {k["table"]: k for k in outcome.kept}
        assert kept["invoices"]["until"] == "2031-12-31"
        assert "Bokföringslagen" in kept["invoices"]["reason"]
        assert kept["customers"]["until"] == "2031-12-31"
        tickets = "SELECT count(*) FROM tickets WHERE requester_email = 'anna@example.se'"
        amounts = "SELECT count(*) FROM invoices WHERE amount IS NOT NULL"
        with engine.connect() as connection:
            assert connection.execute(text(tickets)).scalar() == 0
            assert connection.execute(text(amounts)).scalar() == 4  # every amount stays
        again = erase_in_system(rt, "crm", ANNA, subject_ref=REF, cause="request:R-2")
        assert again.status == "done"
        assert all(c["deleted"] == 0 and c["anonymised"] == 0 for c in again.counts.values())
        with engine.connect() as connection:
            assert connection.execute(text(amounts)).scalar() == 4
    finally:
        rt.close()
