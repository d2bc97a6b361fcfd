"""Connectors: how Custos reaches each kind of system, looked up by the kind a policy names.

`REGISTRY` maps a kind to its connector (`custos.systems.connectors.base.Connector`); the run machinery,
the inventory and the pages ask it and never branch on a kind. Adding a kind is one module with a connector
class and one line below (docs/systems.md, "Adding a connector"); `register` does the same at run time.
"""

from __future__ import annotations

from custos.errors import ConfigurationError
from custos.policy.models import System, accept_system_kind, forget_system_kind
from custos.systems.connectors.base import Answer, Connector, Description, Person
from custos.systems.connectors.http import HttpConnector
from custos.systems.connectors.manual import ManualConnector
from custos.systems.connectors.sql import SqlConnector

__all__ = ["REGISTRY", "Answer", "Connector", "Description", "Person", "connector_for", "register", "unregister"]

REGISTRY: dict[str, Connector] = {
    "sql": SqlConnector(),
    "http": HttpConnector(),
    "manual": ManualConnector(),
}


def connector_for(system: System | str) -> Connector:
    """The connector of a system (or of a kind)."""
    kind = system if isinstance(system, str) else system.kind
    connector = REGISTRY.get(kind)
    if connector is None:
        raise ConfigurationError(f"no connector reaches systems of kind {kind!r} (known: {', '.join(REGISTRY)})")
    return connector


def register(connector: Connector) -> None:
    """Make a kind known: the policy accepts it and systems of it are reached through `connector`."""
    REGISTRY[connector.kind] = connector
    accept_system_kind(connector.kind)


def unregister(kind: str) -> None:
    REGISTRY.pop(kind, None)
    forget_system_kind(kind)


for _kind in REGISTRY:  # a kind added by its line above is one the policy accepts
    accept_system_kind(_kind)
