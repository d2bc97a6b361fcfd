"""`custos worker`: run the scheduled jobs (the daily retention sweep, started mailings, imports, reminders…) in a
process of its own; with `queue = procrastinate`, also the tasks those jobs hand out (a sweep's buckets, one
request each, a mailing's slices), shared by every worker on the database."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.audit.seal import SealLoop
from custos.cli.context import state
from custos.jobs.worker import INTERVAL, run_jobs


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        ctx: typer.Context,
        once: Annotated[
            bool, typer.Option("--once", help="Tick once (run what is due, and the tasks it hands out) and exit.")
        ] = False,
        interval: Annotated[float, typer.Option(min=1.0, help="Seconds between ticks.")] = INTERVAL,
        concurrency: Annotated[
            int, typer.Option(min=1, max=32, help="Tasks run at once (queue procrastinate only).")
        ] = 1,
    ) -> None:
        """Run due jobs now and then every INTERVAL seconds; several workers may share one database."""
        st = state(ctx)
        with st.runtime() as rt:
            # Workers seal the audit events they and the servers append (custos.audit.seal); --once seals once.
            sealer = SealLoop(rt.db, rt.clock, rt.keys, st.settings.audit_seal_seconds)
            if not once:
                sealer.start()
            try:
                ran = run_jobs(rt, interval=interval, once=once, concurrency=concurrency, say=st.console.print)
            except KeyboardInterrupt:
                st.console.print("worker stopped")
                return
            finally:
                sealer.stop()
            if once:
                st.console.print(f"ran: {', '.join(ran) or 'nothing was due'}")
