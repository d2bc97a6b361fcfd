"""Server-rendered bar charts for the admin pages: the numbers are laid out here, the SVG is drawn by the page.

A chart is one image to assistive technology (the page gives it a title and a description with the numbers),
and every page that draws one also shows the same numbers in a table. No script is needed to see it, which
also keeps the pages within their Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Frame:
    """The drawing area in SVG user units; the SVG scales to its box through its viewBox."""

    width: int = 640
    height: int = 260
    left: int = 48  # room for the value axis' labels
    right: int = 8
    top: int = 24
    bottom: int = 40  # room for the group labels

    @property
    def baseline(self) -> int:
        return self.height - self.bottom

    @property
    def room(self) -> int:
        return self.baseline - self.top


@dataclass(frozen=True)
class Bar:
    series: int  # index of its series, for a CSS class such as cat-<n>
    name: str  # the series' name
    x: float
    y: float
    width: float
    height: float
    value: float


@dataclass(frozen=True)
class Group(Generic[T]):
    item: T  # what the group stands for (a period, a horizon), for its label
    centre: float  # x of its label
    bars: list[Bar]
    labelled: bool  # whether its label is drawn (long axes label only some groups)


@dataclass(frozen=True)
class BarChart(Generic[T]):
    width: int
    height: int
    left: int
    right: int  # x where the axis ends
    top: int
    middle: int  # y of the half-way grid line
    baseline: int
    top_value: float  # the value drawn at `top`
    groups: list[Group[T]]


def scale_top(largest: float) -> int:
    """A round top for the value axis (1, 2, 5 × 10ⁿ), so a grid line reads as a plain number."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest <= step * factor:
                return step * factor
        step *= 10


def bar_chart(
    items: Sequence[T],
    series: Sequence[str],
    value: Callable[[T, str], float | None],
    *,
    top_value: float,
    frame: Frame | None = None,
    bar_width: float | None = None,
    gap: float = 0,
    classes: int | None = None,
    max_labels: int = 7,
    digits: int = 1,
) -> BarChart[T]:
    """Groups of bars, one group per item and one bar per series; a None value draws no bar (no data is not 0).

    `bar_width` None shares 80 % of each group's slot among its bars; `classes` makes series indexes wrap (for a
    fixed set of CSS colours); `digits` rounds coordinates (0: whole numbers).
    """
    f = frame or Frame()
    slot = (f.width - f.left - f.right) / max(len(items), 1)
    count = max(len(series), 1)
    width = bar_width if bar_width is not None else max(slot * 0.8 / count, 1.0)
    every = max(1, round(len(items) / max_labels))
    scale = top_value or 1

    def r(number: float) -> float:
        return round(number) if digits == 0 else round(number, digits)

    groups = []
    for index, item in enumerate(items):
        start = f.left + index * slot + (slot - width * count - gap * (count - 1)) / 2
        bars = []
        for n, name in enumerate(series):
            amount = value(item, name)
            if amount is None:
                continue
            height = f.room * min(amount, scale) / scale
            x = start + n * (width + gap)
            bars.append(
                Bar(n % classes if classes else n, name, r(x), r(f.baseline - height), r(width), r(height), amount)
            )
        groups.append(Group(item, r(f.left + index * slot + slot / 2), bars, index % every == 0))
    return BarChart(
        width=f.width,
        height=f.height,
        left=f.left,
        right=f.width - f.right,
        top=f.top,
        middle=f.top + f.room // 2,
        baseline=f.baseline,
        top_value=top_value,
        groups=groups,
    )
