"""benchmarks/RESULTS.md: one section per benchmark, and at the top a summary of issue 16's goals.

Sections: each script replaces only its own (`write_section`).

Goals (issue 16: "make bench reports each row of the table against its goal, on SQLite and PostgreSQL, with the
number of processes used; the figures and the load average go to RESULTS.md"). A benchmark that measures one
of the rows, after writing its section, records each figure against its goal:

    from results import APPEND, Load, Processes, goal_line, record_goal

    load = Load.now()                      # just before the measurement
    ...measure...
    load = load.finished()                 # just after it
    goal = record_goal(
        "Audit log",                       # the section the figure comes from (its heading without "## ")
        "postgresql",                      # "sqlite" or "postgresql"
        APPEND,                            # the row of issue 16 (IMPORT, VERIFY, SWEEP, ACCESS, ERASURE, APPEND)
        "4,210 events/s",                  # the measured figure, as a reader should read it
        "≥ 5,000/s from 8 processes",      # the goal, as the issue states it (GOALS[work] is the issue's text)
        False,                             # met? the caller judges: goals point both ways (≤ 3×, ≥ 200/s)
        Processes(generator=8, database=8, detail="8 spawned appenders; 8 PostgreSQL backends"),
        load,
        size="8 × 2,000 events",           # what was measured, when not exactly the row's 1 M
        write=not args.no_results,         # a smoke run gets the Goal back without writing anything
    )
    lines.append(goal_line(goal))          # the section states its goal, figure, met, processes and load too

`record_goal` writes benchmarks/results/<work>-<backend>.json (replacing that row's previous figure) and
re-renders the "## Issue 16 goals" section at the top of RESULTS.md from every JSON there; other rows keep
their last figures, each with its own date and load average. A `--no-results` smoke run passes write=False
and writes nothing. Other `work` keys (say "consent ingestion") are accepted and listed after
issue 16's rows.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
GOALS_DIR = HERE / "results"
TITLE = "# Benchmark results\n\nLatest figures from `make bench`; see README.md for what each measures.\n"
SUMMARY = "## Issue 16 goals"

# Issue 16's table, row by row: the `work` keys, the figure before the work, the goal.
IMPORT = "import 1 M contacts"
VERIFY = "audit verify 1 M events"
SWEEP = "retention sweep, 1 M people, 10 % due"
ACCESS = "requests, 20 in flight: access"
ERASURE = "requests, 20 in flight: erasure"
APPEND = "audit append, 1 event per transaction"
GOALS = {
    IMPORT: "≤ 3× a bare bulk insert while encrypting; rate flat in N",
    VERIFY: "≤ 3× SHA-256 alone",
    SWEEP: "≤ 2× bare DELETEs",
    ACCESS: "≥ 200/s",
    ERASURE: "≥ 200/s",
    APPEND: "≥ 5,000/s from 8 processes",
}
BEFORE = {
    (IMPORT, "sqlite"): "53.6×",
    (IMPORT, "postgresql"): "22.7×",
    (VERIFY, "sqlite"): "22.5×",
    (VERIFY, "postgresql"): "17.7×",
    (SWEEP, "sqlite"): "8.3×",
    (SWEEP, "postgresql"): "14.5×",
    (ACCESS, "postgresql"): "22/s (bare 320/s)",
    (ERASURE, "postgresql"): "16/s (bare 320/s)",
    (APPEND, "postgresql"): "524/s",
}
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Load:
    """The 1-minute load average (os.getloadavg) when a measurement started and when it ended."""

    start: float
    end: float | None = None

    @classmethod
    def now(cls) -> Load:
        return cls(os.getloadavg()[0])

    def finished(self) -> Load:
        return Load(self.start, os.getloadavg()[0])

    def __str__(self) -> str:
        end = "?" if self.end is None else f"{self.end:.1f}"
        return f"{self.start:.1f} → {end}"


@dataclass(frozen=True)
class Processes:
    """The processes a measurement used: the load generator's (the benchmark itself counts), the server's
    workers (0 when the service is called in the benchmark's own process) and the database's (0 for SQLite,
    which runs inside the caller; one PostgreSQL backend per open connection). `detail` says how (threads,
    spawned processes, pool sizes)."""

    generator: int
    workers: int = 0
    database: int = 0
    detail: str = ""

    @property
    def total(self) -> int:
        return self.generator + self.workers + self.database

    def __str__(self) -> str:
        text = (
            f"{self.total} (load generator {self.generator}, server workers {self.workers}, database {self.database})"
        )
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True)
class Goal:
    section: str
    backend: str
    work: str
    figure: str
    goal: str
    met: bool
    processes: Processes
    load: Load
    size: str | None = None
    note: str | None = None
    date: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def record_goal(
    section: str,
    backend: str,
    work: str,
    figure: str,
    goal: str | None,
    met: bool,
    processes: Processes,
    load: Load,
    *,
    size: str | None = None,
    note: str | None = None,
    write: bool = True,
) -> Goal:
    """Keep one figure against its goal (benchmarks/results/*.json) and re-render the summary in RESULTS.md.

    `goal` None takes the issue's wording (GOALS[work]). Returns the Goal, for `goal_line` in the section.
    `write=False` (a `--no-results` run) only returns it, so a smoke run can print the same line."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if goal is None:
        goal = GOALS[work]
    entry = Goal(section.removeprefix("## "), backend, work, figure, goal, met, processes, load, size, note)
    if not write:
        return entry
    GOALS_DIR.mkdir(exist_ok=True)
    _path(work, backend).write_text(json.dumps(asdict(entry), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_summary()
    return entry


def goal_line(goal: Goal) -> str:
    """One Markdown bullet for the benchmark's own section: the goal, the figure, met or not, processes, load."""
    size = f" ({goal.size})" if goal.size else ""
    return (
        f"- {goal.backend}, {goal.work}{size}: **{goal.figure}**; goal {goal.goal}: "
        f"**{'met' if goal.met else 'not met'}**. Processes: {goal.processes}. "
        f"Load average (1 min) at start → end: {goal.load}."
    )


def load_goals() -> list[Goal]:
    goals = []
    for path in sorted(GOALS_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw["processes"] = Processes(**raw["processes"])
        raw["load"] = Load(**raw["load"])
        goals.append(Goal(**raw))
    order = list(GOALS)
    goals.sort(
        key=lambda g: (order.index(g.work) if g.work in order else len(order), g.work, BACKENDS.index(g.backend))
    )
    return goals


def summary() -> str:
    """The "Issue 16 goals" section: every row of the issue per backend, measured or not yet."""
    goals = {(g.work, g.backend): g for g in load_goals()}
    keys = [(work, backend) for work in GOALS for backend in BACKENDS]
    keys += [key for key in goals if key not in keys]
    lines = [
        "One row per row of issue 16's table per backend, collected from the sections below (each benchmark "
        "writes its figures to `benchmarks/results/*.json`; `results.py` renders this table). Processes: how "
        "many took part — the load generator (the benchmark's own process counts), server workers, database "
        "processes (one PostgreSQL backend per connection; SQLite runs inside its caller). Load: the 1-minute "
        "load average at the start and the end of the measurement, on a machine of "
        f"{os.cpu_count()} cpus shared with other work.",
        "",
        "| work | backend | before (issue 16) | measured | goal | met | processes | load (1 min) | date | section |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for work, backend in keys:
        before = BEFORE.get((work, backend), "—")
        g = goals.get((work, backend))
        if g is None:
            lines.append(f"| {work} | {backend} | {before} | not measured | {GOALS[work]} | — | — | — | — | — |")
            continue
        figure = f"{g.figure} ({g.size})" if g.size else g.figure
        if g.note:
            figure += f"; {g.note}"
        lines.append(
            f"| {work} | {backend} | {before} | {figure} | {g.goal} | {'met' if g.met else '**not met**'} "
            f"| {_short(g.processes)} | {g.load} | {g.date} | {g.section} |"
        )
    return "\n".join(lines)


def write_summary() -> None:
    """Put the goals summary first in RESULTS.md, right under the title, keeping every other section."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else TITLE
    text = _without(text, SUMMARY)
    first = re.search(r"(?m)^## ", text)
    head, rest = (text[: first.start()], text[first.start() :]) if first else (text, "")
    block = f"{SUMMARY}\n\n{summary()}\n"
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + block + ("\n" + rest if rest else ""), encoding="utf-8")


def write_section(heading: str, body: str) -> None:
    """Replace the section under `heading` (a `## ` line) with `body`, keeping every other section."""
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else TITLE
    lines = existing.splitlines(keepends=True)
    section = f"{heading}\n\n{body.strip()}\n"
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        RESULTS.write_text(existing.rstrip("\n") + "\n\n" + section, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    RESULTS.write_text("".join(lines[:start]) + section + ("\n" + rest if rest else ""), encoding="utf-8")


def _short(processes: Processes) -> str:
    """The summary's cell: the counts only (how they ran is in the figure's size and in the section)."""
    p = processes
    return f"{p.total} (load generator {p.generator}, server workers {p.workers}, database {p.database})"


def _without(text: str, heading: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        return text
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "".join(lines[:start] + lines[end:])


def _path(work: str, backend: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", work.lower()).strip("-")
    return GOALS_DIR / f"{slug}-{backend}.json"
