"""Importing people from a CSV file in the browser: the check before anything is written, then the import."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/admin/imports", include_in_schema=False)
