"""append-only guards: consent records, retention tombstones, the incident timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Three kinds of rows are evidence, and the database itself now refuses to change or remove them, whoever the
role (as 0002 does for the audit log):

- `consent_record`: proof of each cookie choice (GDPR Art. 7(1)); a withdrawal is a new record (Art. 7(3)).
  No UPDATE, no DELETE. Keeping them: a record holds no IP address and no name, only the random id of the
  visitor's cookie, and it is kept as the proof Art. 7(1) requires for as long as the organisation may have to
  show it (Art. 17(3)(e)). No retention rule for consent proof exists yet; the migration that adds one must
  replace `consent_record_no_delete` with a guard that lets only expired records older than that rule go.
- `tombstone`: proof of an erasure. No DELETE. One UPDATE is part of its life and stays allowed: the state
  `retained_under_law` becomes `released` once the legal retention has run out (custos.retention.sweep), and
  `sweep_id` may become NULL (the foreign key's ON DELETE SET NULL); nothing else may change.
- `incident_event`: the breach timeline (Art. 33(5) documentation). No UPDATE, no DELETE.

On PostgreSQL TRUNCATE is refused as well. A deployment can also take UPDATE/DELETE/TRUNCATE away from the
role Custos connects as (see 0002). On SQLite, a later migration that rebuilds one of these tables (batch mode
copies it) must create its triggers again.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WHY = {
    "consent_record": "consent records are proof of consent, GDPR Art. 7(1)",
    "tombstone": "tombstones are proof of erasure, GDPR Art. 5(2)",
    "incident_event": "the incident timeline is the breach documentation, GDPR Art. 33(5)",
}
# The one change a tombstone may undergo; every other column must stay as it was.
_TOMBSTONE_FIXED = (
    "id",
    "task_id",
    "subject_ref",
    "action",
    "retained_until",
    "as_of",
    "erased_at",
    "counts",
    "entries",
)


def _tombstone_allowed(old: str, new: str, same: str) -> str:
    unchanged = " AND ".join(f"{new}.{c} {same} {old}.{c}" for c in _TOMBSTONE_FIXED)
    return (
        f"({new}.state = {old}.state OR ({old}.state = 'retained_under_law' AND {new}.state = 'released'))"
        f" AND ({new}.sweep_id {same} {old}.sweep_id OR {new}.sweep_id IS NULL) AND {unchanged}"
    )


def _pg() -> list[str]:
    statements = []
    for table, why in _WHY.items():
        message = f"{table} is append-only: % is refused ({why})"
        condition = ""
        if table == "tombstone":
            allowed = _tombstone_allowed("OLD", "NEW", "IS NOT DISTINCT FROM")
            condition = f"IF TG_OP = 'UPDATE' THEN IF {allowed} THEN RETURN NEW; END IF; END IF;"
        statements += [
            f"""
            CREATE FUNCTION custos_{table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {condition}
                RAISE EXCEPTION '{message}', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$
            """,
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION custos_{table}_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION custos_{table}_append_only()",
        ]
    return statements


def _sqlite() -> list[str]:
    statements = []
    for table, why in _WHY.items():
        when = f" WHEN NOT ({_tombstone_allowed('OLD', 'NEW', 'IS')})" if table == "tombstone" else ""
        for op_name in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table}"
                f"{when if op_name == 'UPDATE' else ''} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: {op_name} is refused ({why})'); END"
            )
    return statements


def upgrade() -> None:
    for statement in _pg() if op.get_bind().dialect.name == "postgresql" else _sqlite():
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _WHY:
        if postgres:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION custos_{table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER {table}_no_delete")
            op.execute(f"DROP TRIGGER {table}_no_update")
