"""The request's states and the only edges between them; every change of state goes through `move`.

received → verifying → verified → [assessing →] in_progress → completed | refused | withdrawn. A request
received from staff or an integration that already knows the subject may skip `verifying` (Art. 12(6): ask for
proof only when there is reasonable doubt). `received → completed` is the processor redirect (Art. 28(3)(e),
29): the subject is answered that the customer is the controller, with nothing done on substance. An erasure
that touches an activity the policy marks for review (`erasure: {review: required}`) waits in `assessing` after
verification until staff decide what Art. 17(3) keeps; nothing irreversible runs before that, and the deadline
keeps running.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from custos.errors import Conflict

State = Literal["received", "verifying", "verified", "assessing", "in_progress", "completed", "refused", "withdrawn"]
Kind = Literal[
    "access",
    "erasure",
    "rectification",
    "restriction",
    "portability",
    "objection_marketing",
    "objection_other",
]
Channel = Literal["web", "api", "staff"]

STATES: Final[tuple[str, ...]] = get_args(State)
KINDS: Final[tuple[str, ...]] = get_args(Kind)
CHANNELS: Final[tuple[str, ...]] = get_args(Channel)
OPEN: Final[frozenset[str]] = frozenset({"received", "verifying", "verified", "assessing", "in_progress"})
CLOSED: Final[frozenset[str]] = frozenset({"completed", "refused", "withdrawn"})

EDGES: Final[dict[str, frozenset[str]]] = {
    "received": frozenset({"verifying", "verified", "completed", "refused", "withdrawn"}),
    "verifying": frozenset({"verified", "refused", "withdrawn"}),
    "verified": frozenset({"assessing", "in_progress", "refused", "withdrawn"}),
    "assessing": frozenset({"in_progress", "refused", "withdrawn"}),
    "in_progress": frozenset({"completed", "refused", "withdrawn"}),
    "completed": frozenset(),
    "refused": frozenset(),
    "withdrawn": frozenset(),
}


def check_move(ref: str, current: str, target: str) -> None:
    """Raise `Conflict` naming the state when `current → target` is not an allowed edge."""
    if target not in EDGES.get(current, frozenset()):
        allowed = ", ".join(sorted(EDGES.get(current, frozenset()))) or "none, it is closed"
        raise Conflict(f"request {ref} is {current}; it cannot become {target} (allowed next: {allowed})")
