"""Liveness and readiness in one: the database answers and is at the newest migration."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from custos.db.migrate import current_revision, head_revision
from custos.web.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(runtime: RuntimeDep) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "policy_version": runtime.policy.current_version.isoformat()}
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(runtime.db.engine)
        body["database"] = "ok" if revision == head_revision() else f"at migration {revision}, not the newest"
    except Exception as exc:  # a health check reports failures instead of raising them
        body["database"] = f"unreachable: {type(exc).__name__}"
    if body["database"] != "ok":
        body["status"] = "degraded"
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
