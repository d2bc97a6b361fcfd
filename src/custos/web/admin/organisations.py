"""Organisations in the register: their roles over time (customer, supplier, partner) and the people on them."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/admin/organisations", include_in_schema=False)
