"""`custos worker`: run the scheduled jobs (the daily retention sweep, started mailings, imports, reminders…) in a
process of its own."""

from __future__ import annotations

from typing import Annotated

import typer

from custos.cli.context import state
from custos.jobs.registry import scheduler_for
from custos.jobs.worker import INTERVAL, Worker


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        ctx: typer.Context,
        once: Annotated[bool, typer.Option("--once", help="Tick once (run what is due) and exit.")] = False,
        interval: Annotated[float, typer.Option(min=1.0, help="Seconds between ticks.")] = INTERVAL,
    ) -> None:
        """Run due jobs now and then every INTERVAL seconds; several workers may share one database."""
        st = state(ctx)
        with st.runtime() as rt:
            scheduler = scheduler_for(rt)
            if once:
                ran = scheduler.tick()
                st.console.print(f"ran: {', '.join(ran) or 'nothing was due'}")
                return
            st.console.print(f"worker {scheduler.owner} ticking every {interval:g} s; Ctrl-C stops it")
            try:
                Worker(scheduler, interval).run()
            except KeyboardInterrupt:
                st.console.print("worker stopped")
