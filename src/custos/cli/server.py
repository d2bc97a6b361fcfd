"""`custos init` and `custos serve`."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from rich.panel import Panel

from custos.app import create_app
from custos.audit.seal import SealLoop
from custos.cli.context import state
from custos.jobs.registry import scheduler_for
from custos.jobs.worker import Worker
from custos.runtime import open_runtime
from custos.setup import initialise


def register(app: typer.Typer) -> None:
    @app.command()
    def init(ctx: typer.Context) -> None:
        """Migrate the database, create the key file, record the policy, create the first admin."""
        st = state(ctx)
        result = initialise(st.settings)
        if result.key_created:
            st.console.print(
                f"Created key file {st.settings.key_file} (mode 0600). Back it up: without it "
                "the register cannot be read."
            )
        for day in result.policy_versions_recorded:
            st.console.print(f"Recorded policy version {day.isoformat()}.")
        st.console.print(f"Database ready: {_safe_url(st.settings.database_url)}")
        if result.first_admin:
            st.console.print(
                Panel(
                    f"email:    {result.first_admin.email}\npassword: {result.first_admin.password}\n\n"
                    "Shown once. At first login, change it and enrol a TOTP second factor.",
                    title="First administrator",
                    expand=False,
                )
            )

    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str | None, typer.Option(help="Overrides CUSTOS_HOST.")] = None,
        port: Annotated[int | None, typer.Option(help="Overrides CUSTOS_PORT.")] = None,
    ) -> None:
        """Serve the API, the privacy notice and (later) the admin UI."""
        st = state(ctx)
        runtime = open_runtime(st.settings)
        web = create_app(st.settings, runtime=runtime)
        bind_host, bind_port = host or st.settings.host, port or st.settings.port
        st.console.print(f"Custos is serving on [bold]http://{bind_host}:{bind_port}/privacy[/]")
        # The embedded job worker (setting `worker`): the daily retention sweep without a second process.
        worker = Worker(scheduler_for(runtime)) if st.settings.worker else None
        # Every server seals the audit events appended meanwhile (custos.audit.seal); several sealers are safe.
        sealer = SealLoop(runtime.db, runtime.clock, runtime.keys, st.settings.audit_seal_seconds)
        try:
            sealer.start()
            if worker is not None:
                worker.start()
            uvicorn.run(web, host=bind_host, port=bind_port, log_level=st.settings.log_level)
        finally:
            if worker is not None:
                worker.stop()
            sealer.stop()
            runtime.close()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
