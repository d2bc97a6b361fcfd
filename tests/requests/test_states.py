"""The request's state machine: only the allowed edges, and a wrong move names the state it is in."""

from __future__ import annotations

import itertools

import pytest

from custos.errors import Conflict
from custos.requests.states import CLOSED, EDGES, STATES, check_move


def test_the_happy_path_is_allowed() -> None:
    path = ["received", "verifying", "verified", "in_progress", "completed"]
    for current, target in itertools.pairwise(path):
        check_move("DSR-TEST", current, target)


@pytest.mark.parametrize("closed", sorted(CLOSED))
def test_a_closed_request_goes_nowhere(closed: str) -> None:
    for target in STATES:
        with pytest.raises(Conflict, match=f"DSR-TEST is {closed}; it cannot become {target}.*closed"):
            check_move("DSR-TEST", closed, target)


def test_work_cannot_start_before_the_identity_is_confirmed() -> None:
    with pytest.raises(Conflict, match="is verifying; it cannot become in_progress"):
        check_move("DSR-TEST", "verifying", "in_progress")
    with pytest.raises(Conflict, match="is received; it cannot become in_progress"):
        check_move("DSR-TEST", "received", "in_progress")


def test_every_open_state_can_be_refused_or_withdrawn_and_nothing_goes_back() -> None:
    order = {state: i for i, state in enumerate(STATES)}
    for state, targets in EDGES.items():
        if state in CLOSED:
            continue
        assert {"refused", "withdrawn"} <= targets
        assert all(order[t] > order[state] for t in targets), state
