"""The README's configuration table is every environment variable Phare reads, and only those.

Read from the code itself: the env helpers of config/settings.py (`env_str("NAME", …)`…) and
any `os.environ` / `os.getenv` read in the application's packages (prometheus-client's
directory is read in ops/metrics.py). A variable added to the code without a row, or a row
left behind by a variable that became a constant, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "core", "accounts", "chat", "moderation", "ops")
ENV_HELPERS = {"env_str", "env_int", "env_bool", "env_list"}


def _is_os_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ"
            and isinstance(node.value, ast.Name) and node.value.id == "os")


def _literal(args: list[ast.expr]) -> str | None:
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        return args[0].value
    return None


def variables_read() -> dict[str, str]:
    """Each variable the application reads (upper case: prometheus-client also accepts the
    lower-case spelling of its one), with the first file that reads it."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                name = None
                if isinstance(node, ast.Call):
                    func = node.func
                    if isinstance(func, ast.Name) and func.id in ENV_HELPERS:
                        name = _literal(node.args)
                    elif isinstance(func, ast.Attribute) and (
                            (func.attr == "get" and _is_os_environ(func.value))
                            or (func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os")):
                        name = _literal(node.args)
                elif isinstance(node, ast.Subscript) and _is_os_environ(node.value) and isinstance(node.ctx, ast.Load):
                    name = node.slice.value if isinstance(node.slice, ast.Constant) else None
                if name:
                    found.setdefault(name.upper(), str(path.relative_to(ROOT)))
    return found


def readme_rows() -> list[tuple[list[str], str, str]]:
    """The rows of the README's "Configuration" table: (variables, default, meaning)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append((re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[0]), cells[1], cells[2]))
    return rows


def documented() -> set[str]:
    return {name for names, _, _ in readme_rows() for name in names}


def test_the_code_reads_the_variables_this_test_expects_to_find():
    read = variables_read()
    # The parser finds both kinds of read (a blind parser would pass everything below).
    assert read["SECRET_KEY"] == "config/settings.py"
    assert read["PROMETHEUS_MULTIPROC_DIR"] == "ops/metrics.py"


def test_every_variable_phare_reads_is_in_the_readme_table():
    missing = {name: where for name, where in variables_read().items() if name not in documented()}
    assert not missing, f"read but not in README.md's Configuration table: {missing}"


def test_the_readme_table_lists_only_variables_phare_reads():
    stale = documented() - set(variables_read())
    assert not stale, f"in README.md's Configuration table but read nowhere: {sorted(stale)}"


def test_every_row_gives_a_default_and_a_meaning():
    rows = readme_rows()
    assert rows
    for names, default, meaning in rows:
        assert names and default and meaning, (names, default, meaning)
    listed = [name for names, _, _ in rows for name in names]
    assert len(listed) == len(set(listed)), "a variable listed twice"
