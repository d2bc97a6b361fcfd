"""Confirming in the browser a data map that `custos systems scan` proposed: accept or reject each proposal."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/admin/systems/scans", include_in_schema=False)
