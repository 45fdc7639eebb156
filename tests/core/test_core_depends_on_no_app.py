"""`core` is what every app shares: it must import none of them, or it stops being shared."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
OUR_PACKAGES = {"accounts", "chat", "moderation", "ops", "config", "bench", "tests"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_app_of_ours():
    modules = sorted(CORE.glob("*.py"))
    assert len(modules) >= 5
    offending = {path.name: sorted(imported_packages(path) & OUR_PACKAGES) for path in modules}
    assert {name: found for name, found in offending.items() if found} == {}
