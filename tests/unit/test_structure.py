"""Guards on the code's shape: documented settings, module size, and imports that point down.

Each allow-list below names what is known to break a rule; it may only shrink.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

from govsignin.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "govsignin"


# --- settings ---------------------------------------------------------------------------------


def test_every_setting_has_a_description():
    missing = [f.name for f in dataclasses.fields(Settings) if not f.metadata.get("description", "").strip()]
    assert not missing, f"settings without Field(description=...): {missing}"


def test_configuration_docs_name_every_setting():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    missing = [
        ENV_PREFIX + f.name.upper()
        for f in dataclasses.fields(Settings)
        if not re.search(rf"\b{ENV_PREFIX}{f.name.upper()}\b", docs)
    ]
    assert not missing, f"docs/configuration.md does not mention: {missing}"


# --- module size ------------------------------------------------------------------------------

MAX_LINES = 400
# Modules still over MAX_LINES, with their size today: each must not grow, and leaves the
# list once split.
OVERSIZED = {
    "journeys/pages/create_account.py": 440,  # the registration pages, one per step (to split)
    "journeys/pages/recovery.py": 633,  # password reset and lost second factor pages (to split: lost factor)
    "config.py": 476,  # one field per setting, each with its description
    "store/database.py": 525,  # the SQL store: statements and both dialects
}


def _modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations/versions" not in p.as_posix())


def test_no_module_is_over_the_size_limit():
    too_big = {}
    for path in _modules():
        name = path.relative_to(PACKAGE).as_posix()
        lines = len(path.read_text().splitlines())
        if lines > OVERSIZED.get(name, MAX_LINES):
            too_big[name] = lines
    assert not too_big, f"modules over {MAX_LINES} lines (split them): {too_big}"


def test_the_oversized_list_names_only_oversized_modules():
    stale = [name for name in OVERSIZED if not (PACKAGE / name).exists()
             or len((PACKAGE / name).read_text().splitlines()) <= MAX_LINES]
    assert not stale, f"remove from OVERSIZED (split, moved or now small enough): {stale}"


# --- imports ----------------------------------------------------------------------------------

# Bottom to top: a module may import from its own layer and the layers below it, never above.
LAYERS = [
    {"config", "records", "crypto", "db", "store", "web", "ratelimit"},
    {"keys", "onboarding", "accounts", "audit", "messaging", "identity", "migration"},
    {"oidc", "journeys"},
    {"manage", "devissuers", "app", "cli", "services", "serving", "asgi", "__main__", "migrations"},
]
# Imports that still point upwards: (importing module, imported module), each with its reason.
UPWARD_ALLOWED: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, modules: set[str], top_level_only: bool) -> set[str]:
    """The govsignin modules `path` imports (`from x import name` counts as x.name when that is
    a module); with top_level_only, only imports run at import time (not inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also the bodies of top-level if/try blocks
        nodes = [n for top in tree.body for n in ast.walk(top)
                 if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("govsignin")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("govsignin"):
                for alias in node.names:
                    found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return found


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"{module}: add its package to a layer in LAYERS")


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(paths), top_level_only) for name, path in paths.items()}


def test_imports_point_down_the_layers():
    upward = sorted(
        (module, target)
        for module, targets in _graph(top_level_only=False).items()
        for target in targets
        if _layer(target) > _layer(module) and (module, target) not in UPWARD_ALLOWED
    )
    assert not upward, f"imports that point up the layers: {upward}"


def test_the_upward_allow_list_is_still_needed():
    graph = _graph(top_level_only=False)
    stale = sorted(pair for pair in UPWARD_ALLOWED if pair[1] not in graph.get(pair[0], set()))
    assert not stale, f"remove from UPWARD_ALLOWED: {stale}"


# Import cycles still present, each with its reason.
CYCLES_ALLOWED: list[list[str]] = []


def test_no_import_cycles():
    """Among imports that run at import time (an import inside a function runs later)."""
    graph = _graph(top_level_only=True)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert [c for c in cycles if c not in CYCLES_ALLOWED] == [], f"import cycles: {cycles}"
    assert [c for c in CYCLES_ALLOWED if c not in cycles] == [], "remove the cycles gone from CYCLES_ALLOWED"
