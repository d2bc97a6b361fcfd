"""The kinds of data subject request, one row each: what the law asks of it and how the service answers it.

Intake, the drive, the staff decisions, the audit log and the letters read this table instead of naming
kinds, so a new kind is a new `Kind` name, one row here and its texts (the letters' `letters.completion.<words>`
section, the form's `rights.errors.details_<words>` when it needs details). `tests/requests/test_kinds_table.py`
checks that every `Kind` has exactly one row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from custos.requests import completion
from custos.requests.models import SubjectRequest
from custos.texts import Texts

# The register's own step in a plan; every other target is a connected system's id.
REGISTER: Final = "register"

Facts = Callable[[SubjectRequest, Texts], dict[str, Any]]


@dataclass(frozen=True)
class KindSpec:
    kind: str
    article: str  # the GDPR article the request is made under, as the audit log's purpose names it
    # What the subject must write for the request to mean anything (the form's hint), or None.
    details: str | None = None
    # Staff decide first: a rectification's change is right, an objection has no compelling grounds against it.
    approval: bool = False
    # An erasure touching an activity the policy marks for review waits in `assessing` (Art. 17(3)).
    review: bool = False
    # Answered as soon as its work is done; the others wait for staff to look before the answer goes out.
    auto_complete: bool = False
    # Art. 21(3): stopping mail harms no one, so no identity check; honoured as soon as it arrives.
    identity_check: bool = True
    # The plan: what the register does, and what each connected system does (None: the systems take no part).
    register_action: str = "export"
    system_action: str | None = None
    # The systems are searched by the register's identities (and a rectification may change them): the
    # register's step waits for every system.
    register_last: bool = False
    # Art. 20(1)(a): only what is processed on consent or contract (systems and relationships alike).
    portable_only: bool = False
    # A downloadable package is written from the staged parts and sent with the completion letter.
    package: bool = False
    # Art. 19: the recipients of the person's data are told of the change.
    notify_recipients: bool = False
    # Why the register restricts processing, for a kind whose register step restricts.
    restrict_reason: str | None = None
    # The kind's name in the texts: `letters.completion.<words>`, `rights.errors.details_<words>`.
    words: str = ""
    acknowledgement: str = "acknowledgement"  # the letter section that acknowledges it
    completion_facts: Facts = completion.none

    def plan(self, systems: list[str]) -> list[tuple[str, str]]:
        """The tasks, in the order they are planned: (target, action)."""
        in_systems = [(s, self.system_action) for s in systems] if self.system_action else []
        register = [(REGISTER, self.register_action)]
        return in_systems + register if self.register_last else register + in_systems


TABLE: Final[tuple[KindSpec, ...]] = (
    KindSpec(
        "access",
        article="15",
        register_action="export",
        system_action="export",
        package=True,
        words="access",
    ),
    KindSpec(
        "erasure",
        article="17",
        review=True,
        register_action="erase",
        system_action="erase",
        register_last=True,
        notify_recipients=True,
        words="erasure",
        completion_facts=completion.erasure,
    ),
    KindSpec(
        "rectification",
        article="16",
        details="what is wrong and what it should say",
        approval=True,
        auto_complete=True,
        register_action="rectify",
        system_action="rectify",
        register_last=True,
        notify_recipients=True,
        words="rectification",
        completion_facts=completion.rectification,
    ),
    KindSpec(
        "restriction",
        article="18",
        auto_complete=True,
        register_action="restrict",
        notify_recipients=True,
        restrict_reason="request, GDPR Art. 18(1)",
        words="restriction",
        completion_facts=completion.restriction,
    ),
    KindSpec(
        "portability",
        article="20",
        register_action="export",
        system_action="export",
        portable_only=True,
        package=True,
        words="portability",
    ),
    KindSpec(
        "objection_marketing",
        article="21(2)",
        auto_complete=True,
        identity_check=False,
        register_action="suppress",
        words="objection_marketing",
        acknowledgement="acknowledgement_marketing",
    ),
    KindSpec(
        "objection_other",
        article="21(1)",
        details="why you object",
        approval=True,
        auto_complete=True,
        register_action="restrict",  # upheld: processing stops, the data is only stored
        notify_recipients=True,
        restrict_reason="objection upheld, GDPR Art. 21(1)",
        words="objection",
        completion_facts=completion.objection,
    ),
)

KINDS: Final[Mapping[str, KindSpec]] = MappingProxyType({row.kind: row for row in TABLE})
