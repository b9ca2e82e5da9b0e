"""The package's layers, as written in ``sim/__init__.py``, checked by walking every import.

Each module may import modules of its own layer and of the layers below it; the
peers (``results`` and ``model``; ``experiments`` and ``plots``) never import
each other, and no set of modules imports itself in a circle, counting imports
inside functions too (those made only for type annotations under
``if TYPE_CHECKING:`` do not run and are not counted).
"""

from __future__ import annotations

import ast
from pathlib import Path

import sim

PACKAGE = Path(sim.__file__).resolve().parent

#: Layer of each subpackage: a module may import from a strictly lower layer, or its own subpackage.
LAYERS = {
    "core": 0,
    "scenario": 1,
    "model": 2,
    "results": 2,
    "experiments": 3,
    "plots": 3,
    "workshop": 4,
    "api": 5,
    "cli": 6,
}


def _modules() -> dict[str, Path]:
    mods = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the package that ``name`` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip: set[int] = set()
    for node in ast.walk(tree):
        if _is_type_checking_block(node):
            skip.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for target in targets:
            # `import sim.model.supply` also runs sim.model's __init__; count the deepest module named
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, set(mods)) for name, path in mods.items()}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_belongs_to_a_layer():
    stray = [m for m in _modules() if _layer(m) not in LAYERS and m not in ("sim", "sim.__main__")]
    assert not stray, f"modules outside the layers of sim/__init__.py: {stray}"


def test_imports_go_down_the_layers_only():
    wrong = []
    for module, targets in _graph().items():
        if module in ("sim", "sim.__main__"):
            continue
        own = _layer(module)
        for target in targets:
            theirs = _layer(target)
            # the top package (the public API) sits above every layer: none may import it
            upward = theirs is None or (theirs != own and LAYERS[theirs] >= LAYERS[own])
            if upward:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def test_no_import_circles():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_the_layer_test_sees_a_violation(tmp_path):
    """The walker is not blind: an upward import written into a module is found."""
    fake = tmp_path / "sim" / "core" / "bad.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from sim.model.replication import run_replication\n")
    known = set(_modules())
    assert _imports("sim.core.bad", fake, known) == {"sim.model.replication"}
    fake.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sim.cli\n")
    assert _imports("sim.core.bad", fake, known) == set()
