"""Imports every area's models so that `Base.metadata` is complete for migrations and checks."""

from custos.access.models import Staff
from custos.db.base import Base
from custos.db.published import PolicyVersion
from custos.register.models import Identity, Organisation, OrganisationRole, Person, Relationship

__all__ = [
    "Base",
    "Identity",
    "Organisation",
    "OrganisationRole",
    "Person",
    "PolicyVersion",
    "Relationship",
    "Staff",
]
