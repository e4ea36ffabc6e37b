"""The engine package has no import cycle, lazy imports inside functions included
(a cycle hidden in a function body is still two modules that need each other), and
every engine module imports on its own in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import teu.engine

PACKAGE = Path(teu.engine.__file__).parent


def engine_modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["teu", "engine", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the engine modules it imports anywhere in its body (packages' __init__
    excluded: importing teu.engine.x.y runs them, they import nothing)."""
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules:
                        deps.add(full)
                    elif node.module in modules:
                        deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name in modules)
        graph[name] = deps - packages - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_engine_has_no_import_cycle() -> None:
    graph = import_graph(engine_modules())
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# One fresh interpreter that imports nothing of teu; a fork of it per module imports that
# module alone (what `python -c 'import M'` checks, without an interpreter start for each
# of ~70 modules: those starts were ~90 s of a loaded machine, the imports ~3 s).
IMPORT_EACH_ALONE = """
import os, sys
bad = []
for m in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            __import__(m)
        except BaseException as e:
            os.write(w, f"{type(e).__name__}: {e}".encode())
            os._exit(1)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        why = f.read().decode(errors="replace")
    if os.waitpid(pid, 0)[1]:
        bad.append(f"{m}: {why}")
print("\\n".join(bad))
"""


def test_each_engine_module_imports_alone() -> None:
    names = [m for m in engine_modules() if not m.endswith("__main__")]
    p = subprocess.run([sys.executable, "-c", IMPORT_EACH_ALONE, *names], capture_output=True,
                       text=True, check=True)
    assert p.stdout.strip() == ""


def test_import_each_alone_sees_a_module_that_fails() -> None:
    p = subprocess.run([sys.executable, "-c", IMPORT_EACH_ALONE, "json", "teu.engine.nosuch"],
                       capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "teu.engine.nosuch: ModuleNotFoundError: No module named " \
        "'teu.engine.nosuch'"
