"""The layers, read from the code (parsed, never imported): imports only run down the floors.

Floors, foundation first: config (settings, version) and models; crawlers and moderation; alerts and reports; the
scheduler; the entry points: web (every HTTP route) and, above it, veilleur (the command line). Function-level and
TYPE_CHECKING imports count: a lazy import upward is still a dependency upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {
    "config": 0,
    "models": 1,
    "crawlers": 2,
    "moderation": 2,
    "surveys": 2,
    "alerts": 3,
    "reports": 3,
    "scheduler": 4,
    "web": 5,
    "veilleur": 6,
    "bench": 7,
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every absolute import in the file, wherever it stands, as (line, top-level package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def wrong_way(package: str) -> list[str]:
    """Imports from `package` that go up a floor or sideways on the same floor."""
    floor = FLOORS[package]
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, target in imports_of(path):
            if target in FLOORS and target != package and FLOORS[target] >= floor:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {target} (floor {FLOORS[target]} >= {floor})")
    return problems


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_imports_only_go_down(package: str) -> None:
    assert (ROOT / package).is_dir(), f"{package}/ is listed in FLOORS but does not exist"
    assert wrong_way(package) == []


def test_every_top_level_package_has_a_floor() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages - set(FLOORS) == set(), "a new top-level package needs its floor in FLOORS"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "example.py"
    module.write_text("def late():\n    from scheduler.jobs import crawl\n    return crawl\n")
    assert imports_of(module) == [(2, "scheduler")]
