"""A demo's past, played in order on a clock set back in time.

A lived-in demo needs requests received weeks ago, consent given over months and sweeps that ran before today.
Nothing of it is written directly: each step calls the service staff, visitors or the daily job would call, on a
clock standing at the step's moment, so every row and every audit event is one the service itself wrote (and the
audit chain verifies). The steps run strictly in time order, so the log reads as the installation's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from custos.clock import FixedClock
from custos.runtime import Runtime

Step = Callable[[Runtime], None]
# (what is happening, steps done, steps in all)
TimelineProgress = Callable[[str, int, int], None]


@dataclass(order=True)
class _Entry:
    at: datetime
    order: int
    label: str = field(compare=False)
    step: Step = field(compare=False)


class Timeline:
    """Steps at moments in the past; `play` runs them oldest first on a runtime whose clock shows each moment."""

    def __init__(self, runtime: Runtime, start: datetime) -> None:
        self.clock = FixedClock(start)
        # The same database, keys and policy; only the clock differs (the runtime's own clock is left alone).
        self.runtime = replace(runtime, clock=self.clock)
        self._entries: list[_Entry] = []

    def at(self, moment: datetime, label: str, step: Step) -> None:
        self._entries.append(_Entry(moment, len(self._entries), label, step))

    def __len__(self) -> int:
        return len(self._entries)

    def play(self, progress: TimelineProgress | None = None) -> int:
        """Run every step not yet run, oldest first (a step may add later ones); returns how many ran."""
        done = 0
        while self._entries:
            self._entries.sort()
            entry = self._entries.pop(0)
            if entry.at < self.clock.now():
                raise ValueError(f"demo step {entry.label!r} at {entry.at} is before the clock ({self.clock.now()})")
            self.clock.set(entry.at)
            entry.step(self.runtime)
            done += 1
            if progress is not None:
                progress(entry.label, done, done + len(self._entries))
        return done
