"""How a person is recognised in a customer system: the identity values looked for in its identity columns.

`SubjectKeys` lives with the register's identities (`custos.register.identities`), which reads them for a
person; the systems name it from here.
"""

from __future__ import annotations

from custos.register.identities import SearchKind as IdentityKind
from custos.register.identities import SubjectKeys as SubjectKeys

__all__ = ["IdentityKind", "SubjectKeys"]
