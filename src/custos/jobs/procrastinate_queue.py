"""The PostgreSQL task queue (setting `queue = procrastinate`): procrastinate, in a schema of its own.

procrastinate keeps its jobs in tables of Custos's own PostgreSQL database (no broker): a deferral is an
INSERT, a worker takes the next job with SELECT … FOR UPDATE SKIP LOCKED and is woken by LISTEN/NOTIFY. Its
tables, types and functions live in the PostgreSQL schema `procrastinate`, apart from the register's tables;
every connection procrastinate opens has `search_path=procrastinate`.

That schema is procrastinate's, not Custos's: `custos init` creates it with procrastinate's own schema manager
(`install_schema`) when `queue = procrastinate`, rather than an Alembic revision. The SQL comes from the
installed procrastinate (its version is pinned in pyproject.toml), so the tables always match the code that
queries them, and Custos's migrations keep describing exactly the models (tests/db/test_migrations.py); an
installation on SQLite, or on PostgreSQL with the in-process queue, never gets tables it does not use. A worker
refuses to start on a database without the schema and says to run `custos init`.

Web processes and the scheduler thread only defer (`ProcrastinateQueue`, a small synchronous pool);
`custos worker` also runs a procrastinate worker (`run_worker`) that executes the same task functions as the
in-process queue. Tasks are not retried by procrastinate: the jobs that defer them run again on their own
schedule and defer whatever the rows say is left. A job left `doing` by a killed worker is put back in the
queue (`retry_stalled`) once that worker has missed its heartbeats.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate import exceptions, sql
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from custos.errors import ConfigurationError
from custos.jobs.queue import Task

if TYPE_CHECKING:
    from custos.runtime import Runtime
    from custos.settings import Settings

log = logging.getLogger("custos.jobs")

SCHEMA = "procrastinate"
QUEUE = "custos"
# procrastinate's defaults: a worker beats every 10 s and counts as gone after 30 s without a beat.
STALLED_AFTER = 30.0


def conninfo(database_url: str) -> str:
    """The libpq URL of Custos's database (the SQLAlchemy URL without its `+psycopg` driver name)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def install_schema(engine: Engine) -> bool:
    """Create procrastinate's tables in the schema `procrastinate` unless they are there; True when created.
    Two `custos init` at once: the second waits for the first (a transaction lock) and then finds them."""
    with engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('custos:procrastinate-schema', 0))"))
        if schema_installed_on(connection):
            return False
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        connection.exec_driver_sql(f"SET LOCAL search_path TO {SCHEMA}")
        # Many statements in one go: psycopg sends a query without parameters as it is.
        connection.connection.driver_connection.execute(SchemaManager.get_schema())  # type: ignore[union-attr]
    return True


def schema_installed_on(connection: Any) -> bool:
    return connection.scalar(text(f"SELECT to_regclass('{SCHEMA}.procrastinate_jobs')")) is not None


def require_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        if not schema_installed_on(connection):
            raise ConfigurationError(
                "queue procrastinate: the database has no procrastinate schema yet; run `custos init`"
            )


def _pool_args(settings: Settings, max_size: int) -> dict[str, Any]:
    return {
        "conninfo": conninfo(settings.database_url),
        "kwargs": {"options": f"-c search_path={SCHEMA}"},
        "min_size": 1,
        "max_size": max_size,
    }


class ProcrastinateQueue:
    """Defers tasks into procrastinate's queue; any `custos worker` runs them."""

    def __init__(self, settings: Settings, tasks: Mapping[str, Task]) -> None:
        self.tasks = dict(tasks)
        connector = procrastinate.SyncPsycopgConnector(**_pool_args(settings, max_size=2))
        self.app = procrastinate.App(connector=connector)
        self._open = False

    def _opened(self) -> procrastinate.App:
        if not self._open:
            self.app.open()
            self._open = True
        return self.app

    def defer(self, name: str, **args: Any) -> None:
        task = self.tasks[name]
        waiting = task.once_per(args) if task.once_per is not None else None
        # The same work already waiting in the queue (AlreadyEnqueued): one run of it is enough.
        with contextlib.suppress(exceptions.AlreadyEnqueued):
            self._opened().configure_task(name, queue=QUEUE, queueing_lock=waiting).defer(**args)

    def retry_stalled(self) -> int:
        """Put back in the queue the jobs that workers gone silent (killed, their machine lost) left `doing`;
        returns how many. Safe at any time: a task run again does nothing twice."""
        app = self._opened()
        rows = app.connector.get_sync_connector().execute_query_all(
            query=sql.queries["select_stalled_jobs_by_heartbeat"],
            queue=None,
            task_name=None,
            seconds_since_heartbeat=STALLED_AFTER,
        )
        for row in rows:
            app.job_manager.retry_job_by_id(row["id"], retry_at=datetime.now(UTC))
            log.warning("task %s (job %s) of a stopped worker is queued again", row["task_name"], row["id"])
        return len(rows)

    def close(self) -> None:
        if self._open:
            self.app.close()
            self._open = False


def worker_app(
    runtime: Runtime, tasks: Mapping[str, Task], *, concurrency: int, say: Callable[[str], None] | None = None
) -> procrastinate.App:
    """A procrastinate app whose tasks run Custos's task functions on `runtime`; `say` hears of each task
    done (its name and arguments: ids and refs, never personal data)."""
    connector = procrastinate.PsycopgConnector(**_pool_args(runtime.settings, max_size=concurrency + 3))
    app = procrastinate.App(connector=connector)
    for task in tasks.values():
        app.task(name=task.name, queue=QUEUE, retry=False)(_bound(runtime, task, say))
    return app


def _bound(runtime: Runtime, task: Task, say: Callable[[str], None] | None) -> Any:
    def run(**args: Any) -> None:
        task.run(runtime, **args)
        if say is not None:
            say(f"task {task.name} {' '.join(f'{k}={v}' for k, v in sorted(args.items()))} done")

    run.__name__ = task.name.replace(".", "_")
    return run


def run_worker(
    runtime: Runtime,
    tasks: Mapping[str, Task],
    *,
    name: str,
    concurrency: int = 1,
    wait: bool = True,
    say: Callable[[str], None] | None = None,
) -> None:
    """Take tasks from the queue until SIGINT or SIGTERM (procrastinate's own handlers stop it, letting the
    running tasks finish); without `wait`, until the queue is empty."""
    app = worker_app(runtime, tasks, concurrency=concurrency, say=say)
    app.run_worker(
        queues=[QUEUE],
        name=name,
        concurrency=concurrency,
        delete_jobs="successful",  # a failed job stays for an operator to read; done ones would only pile up
        install_signal_handlers=True,
        wait=wait,
    )
