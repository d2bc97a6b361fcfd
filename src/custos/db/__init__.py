"""Custos's own database: engine, sessions, models registry and migrations."""

from custos.db.database import Database
from custos.db.engine import make_engine

__all__ = ["Database", "make_engine"]
