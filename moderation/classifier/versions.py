"""Which classifier weights run: the shipped file, or a version learnt here from moderators' corrections.

`versions_dir/versions.json` is the record: every version tried (promoted or not), its figures and its
comparison with the version it was measured against, and which one is active. Rolling back makes the active
version's parent active again (the shipped weights when it has none): one command, no file deleted, so the
record stays whole and a rolled-back version can be read later.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REGISTRY = "versions.json"


def read(folder: Path) -> dict[str, Any]:
    path = folder / REGISTRY
    if not path.exists():
        return {"active": None, "versions": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _write(folder: Path, registry: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (REGISTRY + ".partial")
    partial.write_text(json.dumps(registry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, folder / REGISTRY)  # a crash mid-write never leaves a half record


def active_weights(folder: Path, shipped: Path) -> Path:
    """The weights file to load: the active version's, or the shipped one."""
    active = read(folder)["active"]
    if active is None:
        return shipped
    path = folder / f"{active}.safetensors"
    if not path.exists():
        raise FileNotFoundError(f"active classifier version {active} has no weights file {path} "
                                "(run `veilleur model rollback`)")  # fmt: skip
    return path


def record(folder: Path, entry: dict[str, Any], promote: bool) -> dict[str, Any]:
    """Add a version to the record (its weights file is already in `folder`); make it active if promoted."""
    registry = read(folder)
    entry = {**entry, "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"), "promoted": promote}
    registry["versions"].append(entry)
    if promote:
        registry["active"] = entry["version"]
    _write(folder, registry)
    return entry


def rollback(folder: Path) -> tuple[str | None, str | None]:
    """(from, to): the active version's parent becomes active (None: the shipped weights)."""
    registry = read(folder)
    active = registry["active"]
    if active is None:
        raise ValueError("the shipped weights are active: nothing to roll back")
    entry = next(v for v in registry["versions"] if v["version"] == active)
    parent = entry.get("parent_version")
    registry["active"] = parent if any(v["version"] == parent for v in registry["versions"]) else None
    entry["rolled_back_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    _write(folder, registry)
    return active, registry["active"]
