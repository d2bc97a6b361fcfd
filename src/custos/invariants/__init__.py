"""The policy's promises as invariants, stated once.

Each invariant is a promise the law or the policy makes (storage limitation, legal retention, four eyes …),
with the article or statute it serves and a check that lists the records breaking it on live data. The same
promises are enforced where data is written (the services refuse a write that would break one), reported by
`custos doctor` and the dashboard, and asserted after every step of the stateful tests in
tests/invariants/. docs/invariants.md lists them; a test keeps the two in step.
"""

from custos.invariants.catalogue import INVARIANTS, Invariant, invariant
from custos.invariants.doctor import Examination, Outcome, examine, run_doctor
from custos.invariants.finding import Finding, InvariantContext

__all__ = [
    "INVARIANTS",
    "Examination",
    "Finding",
    "Invariant",
    "InvariantContext",
    "Outcome",
    "examine",
    "invariant",
    "run_doctor",
]
