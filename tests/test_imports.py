"""The package's imports flow one way: core helpers -> config -> stages -> cli, with no cycle.

Every ``import gom...`` counts, including those inside functions (they still tie modules
together, and the rule environments must provide what they pull in).
"""

import ast
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "gom"
# Modules the config may import: the ones that hold no stage logic.
CORE = {"gom.errors", "gom.io", "gom.paths", "gom.schema", "gom.split", "gom.templates"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def gom_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycle():
    graph = gom_imports()
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_config_imports_only_core_helpers():
    graph = gom_imports()
    assert graph["gom.config"] <= CORE, graph["gom.config"] - CORE
    for core in CORE:
        assert graph[core] <= CORE, (core, graph[core] - CORE)


def test_no_module_grows_past_the_size_limit():
    """Modules stay small and single-purpose: 350 lines at most (an earlier limit that four
    modules crept past after it was set)."""
    sizes = {str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > 350} == {}
