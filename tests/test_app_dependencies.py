"""Where the apps meet (docs/decisions.md): which app may import which, and no cycle between them.

Read from the source with `ast`, so that an import hidden anywhere (in a function, behind a
condition) is seen, whether or not a test happens to run it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("core", "accounts", "chat", "moderation", "ops")
OURS = set(APPS) | {"config", "bench", "tests"}

# What each app may import of the others' (a module, and its submodules). `ops` may import
# anything; `config` (wiring) is not an app and is not checked here.
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "chat": {
        "core", "accounts",
        # The gate screens; moderation's actions take reports (the socket's `report` frame) and
        # image matches (chat.media).
        "moderation.gate", "moderation.services.report", "moderation.services.triage",
        # Counters and the log context: leaves any app may use, as it uses `logging`.
        "ops.metrics", "ops.logs",
    },
    "moderation": {
        "core", "accounts",
        # chat's services (protection: a room's lockdown) and the events they send.
        "chat.services", "chat.protection", "chat.realtime.events",
        # chat's rows and how the protocol shows them: read-only leaves (see LEAVES).
        "chat.models", "chat.representations",
        "ops.metrics", "ops.logs",
    },
    "ops": set(OURS) - {"tests", "bench"},
}
# Modules another app may import although it depends on theirs: they must import nothing
# from the app that imports them, or they would close a cycle.
LEAVES = {
    "chat.models": {"core", "accounts"},
    "chat.representations": {"core", "accounts"},
    "ops.metrics": set(),
    "ops.logs": set(),
}
# A function may import our code only in AppConfig.ready (Django's place for wiring: the app
# registry must be ready first). Migrations are history and are left as they were written.
WIRING_FUNCTIONS = {"ready"}
# The one import_string of a setting: operators may name their own age-assurance provider
# class (docs/age-assurance.md); none of our code is reached through a dotted string.
IMPORT_STRING_ALLOWED = {"accounts/age_assurance/registry.py"}


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. "chat.media"
    path: str  # file, relative to the repository
    line: int
    target: str  # the module imported, resolved to one of ours when it is a module
    function: str | None  # the enclosing function's name, None at module level


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


MODULES = app_modules()


def _resolve(base: str, name: str) -> str:
    """`from chat import services` imports the module chat.services; `from chat.services
    import post` imports chat.services."""
    return f"{base}.{name}" if f"{base}.{name}" in MODULES else base


def imports_of(module: str, path: Path) -> Iterator[Import]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    rel = str(path.relative_to(ROOT))

    def walk(node: ast.AST, function: str | None) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] in OURS:
                        yield Import(module, rel, child.lineno, alias.name, function)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base_parts = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(base_parts + ([child.module] if child.module else []))
                else:
                    base = child.module or ""
                if base.split(".")[0] in OURS:
                    for alias in child.names:
                        yield Import(module, rel, child.lineno, _resolve(base, alias.name), function)
            yield from walk(child, inner)

    yield from walk(ast.parse(path.read_text()), None)


ALL_IMPORTS = [imp for module, path in MODULES.items() for imp in imports_of(module, path)]


def app_of(module: str) -> str:
    return module.split(".")[0]


def allowed(rules: set[str], target: str) -> bool:
    return any(target == rule or target.startswith(rule + ".") for rule in rules)


def test_the_checks_see_every_app_and_their_imports():
    assert {app_of(m) for m in MODULES} == set(APPS)
    assert any(imp.importer == "chat.services.post" and imp.target == "moderation.gate" for imp in ALL_IMPORTS)


def test_each_app_imports_only_what_the_direction_table_allows():
    wrong = [
        f"{imp.path}:{imp.line} imports {imp.target}"
        for imp in ALL_IMPORTS
        if app_of(imp.target) != app_of(imp.importer)
        and not allowed(ALLOWED[app_of(imp.importer)], imp.target)
    ]
    assert wrong == []


def test_the_modules_other_apps_may_reach_into_are_leaves():
    wrong = [
        f"{imp.path}:{imp.line} imports {imp.target}"
        for imp in ALL_IMPORTS if imp.importer in LEAVES
        and app_of(imp.target) != app_of(imp.importer) and not allowed(LEAVES[imp.importer], imp.target)
    ]
    assert wrong == []


def test_no_import_of_our_apps_is_hidden_in_a_function():
    hidden = [
        f"{imp.path}:{imp.line} imports {imp.target} in {imp.function}()"
        for imp in ALL_IMPORTS
        if imp.function is not None
        and not (imp.path.endswith("/apps.py") and imp.function in WIRING_FUNCTIONS)
    ]
    assert hidden == []


def module_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for imp in ALL_IMPORTS:
        if imp.function is None and imp.target in MODULES and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_crosses_two_apps():
    crossing = [c for c in cycles(module_graph()) if len({app_of(m) for m in c}) > 1]
    assert crossing == []


def test_inside_an_app_only_enqueueing_a_task_loops_back():
    """A service enqueues its app's task and the task calls the service: that pair is the
    one loop allowed inside an app (Python resolves it, both import the module object)."""
    graph = {m: {t for t in targets if not (t.endswith(".tasks") and app_of(t) == app_of(m))}
             for m, targets in module_graph().items()}
    assert cycles(graph) == []


def test_the_cycle_checks_can_fail():
    graph = {"chat.services": {"moderation.gate"}, "moderation.gate": {"moderation.services"},
             "moderation.services": {"chat.services"}}
    assert cycles(graph) == [["chat.services", "moderation.gate", "moderation.services"]]


def _dotted_into_our_apps(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
        and "." in n.value and n.value.split(".")[0] in APPS and " " not in n.value
    ]


def test_settings_wire_no_phare_hook_by_dotted_path():
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    hooks = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        for target in targets:
            name = target.id if isinstance(target, ast.Name) else ""
            if name.startswith("PHARE_") and (name.endswith(("_HOOK", "_HOOKS")) or _dotted_into_our_apps(node)):
                hooks.append(f"config/settings.py:{node.lineno} {name}")
    assert hooks == []


def test_our_code_reaches_none_of_our_code_through_import_string():
    users = sorted(
        str(path.relative_to(ROOT)) for path in MODULES.values()
        if "import_string" in path.read_text()
    )
    assert set(users) <= IMPORT_STRING_ALLOWED


@pytest.mark.parametrize("signal_name", [
    "account_deleted", "user_control_changed", "age_band_changed", "account_restricted",
    "sessions_ended", "audit_requested", "name_screening", "personal_data_requested",
    "moderator_bans_requested", "evasion_link_found",
])
def test_every_account_signal_has_its_receiver_connected_at_start_up(signal_name):
    from accounts import signals

    assert getattr(signals, signal_name).has_listeners(), f"nobody listens to accounts.signals.{signal_name}"


@pytest.mark.parametrize("signal_name", ["flag_filed", "grooming_check_due"])
def test_the_gate_signals_reach_moderation_services(signal_name):
    from moderation import signals

    assert getattr(signals, signal_name).has_listeners(), f"nobody listens to moderation.signals.{signal_name}"
