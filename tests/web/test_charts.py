"""The shared bar-chart layout: heights scale to the top value, no data draws no bar, long axes label some groups."""

from __future__ import annotations

from custos.web.admin.charts import Frame, bar_chart, scale_top


def test_heights_scale_and_missing_values_draw_nothing() -> None:
    values = {("a", "x"): 50.0, ("a", "y"): None, ("b", "x"): 100.0, ("b", "y"): 0.0}
    chart = bar_chart(["a", "b"], ["x", "y"], lambda item, s: values[(item, s)], top_value=100, frame=Frame())
    a, b = chart.groups
    assert [bar.name for bar in a.bars] == ["x"]  # no data is not zero
    assert a.bars[0].height == Frame().room / 2
    assert b.bars[0].height == Frame().room
    assert b.bars[0].y == chart.top
    assert b.bars[1].height == 0
    assert a.centre < b.centre


def test_whole_numbers_fixed_widths_and_wrapping_classes() -> None:
    chart = bar_chart(
        [1, 2, 3],
        ["p", "q", "r", "s", "t"],
        lambda item, s: item,
        top_value=3,
        bar_width=10,
        gap=2,
        digits=0,
        classes=4,
    )
    bars = chart.groups[0].bars
    assert all(isinstance(bar.x, int) and isinstance(bar.height, int) for bar in bars)
    assert [bar.series for bar in bars] == [0, 1, 2, 3, 0]
    assert bars[1].x - bars[0].x == 12


def test_only_about_seven_labels_on_a_long_axis() -> None:
    chart = bar_chart(list(range(90)), ["x"], lambda item, s: 1, top_value=1)
    assert 6 <= sum(group.labelled for group in chart.groups) <= 8


def test_scale_top_is_a_round_number() -> None:
    assert [scale_top(n) for n in (0, 1, 3, 7, 12, 180, 999)] == [1, 1, 5, 10, 20, 200, 1000]
