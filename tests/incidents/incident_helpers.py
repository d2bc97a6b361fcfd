"""Names the breach tests share (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from custos.actor import Actor
from custos.incidents.schemas import IncidentPublic

OFFICER = Actor(kind="staff", id=1, label="staff:1")

OpenIncident = Callable[..., IncidentPublic]
AddOrg = Callable[[str], int]
AddPerson = Callable[..., str]
