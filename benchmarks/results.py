"""benchmarks/RESULTS.md holds one section per benchmark; each script replaces only its own."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# Benchmark results\n\nLatest figures from `make bench`; see README.md for what each measures.\n"


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
