"""Where an access or portability export is staged: one JSON part per source, then the package beside them.

The drive stages each part as its task finishes (the register's person, each system's tables), and the package
is written from the parts once they are all there, so a re-drive after a crash finds what was already fetched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from custos.runtime import Runtime


def packages_dir(runtime: Runtime) -> Path:
    return Path(runtime.settings.packages_dir)


def parts_dir(runtime: Runtime, ref: str) -> Path:
    return packages_dir(runtime) / ref / "parts"


def package_path(runtime: Runtime, ref: str) -> Path:
    return packages_dir(runtime) / f"{ref}.zip"


def stage(runtime: Runtime, ref: str, target: str, data: dict[str, Any]) -> None:
    """Write one part of an export, atomically (a crash leaves the old file or the new, never half of one)."""
    folder = parts_dir(runtime, ref)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{target}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_parts(runtime: Runtime, ref: str) -> dict[str, dict[str, Any]]:
    folder = parts_dir(runtime, ref)
    if not folder.is_dir():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
