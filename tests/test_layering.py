"""The dependency rules of the README's "Layout and layering", checked on every srlib module.

Imports are read with ``ast`` from the source (function-local imports included, nothing is
imported), each resolved to its *unit*: a top-level module or subpackage of srlib
(``srlib.training.loop`` -> ``srlib.training``). A new module must be placed in a layer of
:data:`LAYERS` (and in the README's drawing) before this test passes.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRLIB = Path(__file__).resolve().parents[1] / "srlib"

#: The layers, lowest first; a unit may import units of its own layer or of a lower one.
LAYERS: dict[str, set[str]] = {
    "foundation": {"srlib", "srlib.errors", "srlib.device", "srlib.colour", "srlib.matlab", "srlib.paper",
                   "srlib.repository", "srlib.formatting", "srlib.provenance", "srlib.files", "srlib.stats"},
    "core": {"srlib.models", "srlib.data", "srlib.metrics", "srlib.runfolder", "srlib.profiles"},
    "services": {"srlib.evaluation", "srlib.inference", "srlib.profiling", "srlib.param_counts",
                 "srlib.efficiency", "srlib.feature_maps"},
    "training": {"srlib.training"},
    "applications": {"srlib.campaign", "srlib.ablations", "srlib.claims", "srlib.league", "srlib.published",
                     "srlib.publishing", "srlib.stage_window", "srlib.departures"},
    "book": {"srlib.book"},
    "entry": {"srlib.cli", "srlib.__main__"},
}

#: The README's rules in its own words: (importing units, imported units it must never import).
FORBIDDEN: list[tuple[set[str], set[str], str]] = [
    ({"srlib.models", "srlib.metrics", "srlib.matlab", "srlib.data"},
     {"srlib.training", "srlib.book", "srlib.campaign", "srlib.cli"},
     "models, metrics, matlab and data import no training, book, campaign or CLI code"),
    ({"srlib.models"}, {"srlib.data"}, "models import no data code"),
    ({"srlib.metrics", "srlib.matlab"}, {"srlib.models"}, "metrics and matlab import no model"),
    (set().union(*(LAYERS[k] for k in ("foundation", "core", "services", "training", "applications"))),
     {"srlib.book"}, "the book layer is imported by no lower layer: the library trains, evaluates and decides; "
     "the book only shows"),
]

#: Top-level names of the repository that are not the library: srlib never imports them.
OUTSIDE = {"notebooks", "scripts", "tests", "benchmarks", "hubconf", "conftest", "_training_helpers"}


def _layer_of(unit: str) -> str | None:
    return next((name for name, units in LAYERS.items() if unit in units), None)


def _rank(unit: str) -> int:
    return list(LAYERS).index(_layer_of(unit))


def module_name(path: Path, root: Path = SRLIB) -> str:
    parts = ["srlib", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """``srlib.training.loop`` -> ``srlib.training``; ``srlib`` stays ``srlib``."""
    return ".".join(module.split(".")[:2])


def imported_modules(source: str, module: str, is_package: bool) -> list[str]:
    """Absolute names of every module ``source`` (the code of ``module``) imports. For ``from X
    import name`` the result is ``X.name`` when that is a module of srlib, else ``X``."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(candidate if _is_srlib_module(candidate) else base)
    return found


def _is_srlib_module(name: str) -> bool:
    if not name.startswith("srlib."):
        return False
    rel = Path(*name.split(".")[1:])
    return (SRLIB / rel).with_suffix(".py").is_file() or (SRLIB / rel / "__init__.py").is_file()


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every rule of this file that ``module``'s imports break, as readable lines."""
    unit = unit_of(module)
    problems = []
    if _layer_of(unit) is None:
        return [f"{unit} is in no layer: add it to LAYERS here and to the README's 'Layout and layering'"]
    for target in imported_modules(source, module, is_package):
        top = target.split(".")[0]
        if top in OUTSIDE:
            problems.append(f"{module} imports {target}: srlib never imports notebooks, scripts, tests or hubconf")
            continue
        if top != "srlib":
            continue
        other = unit_of(target)
        if other == unit:
            continue
        if _layer_of(other) is None:
            problems.append(f"{module} imports {target}, which is in no layer")
            continue
        if _rank(other) > _rank(unit):
            problems.append(f"{module} ({_layer_of(unit)}) imports {target} ({_layer_of(other)}): a higher layer")
        for importers, imported, rule in FORBIDDEN:
            if unit in importers and other in imported:
                problems.append(f"{module} imports {target}: {rule}")
    return problems


def unit_graph(modules: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """``{unit: units it imports}`` over ``{module: (source, is_package)}`` (srlib units only)."""
    graph: dict[str, set[str]] = {}
    for module, (source, is_package) in modules.items():
        edges = graph.setdefault(unit_of(module), set())
        for target in imported_modules(source, module, is_package):
            if target.split(".")[0] == "srlib" and unit_of(target) != unit_of(module):
                edges.add(unit_of(target))
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle between units (``[a, b, a]``), or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def _srlib_sources() -> dict[str, tuple[str, bool]]:
    return {module_name(p): (p.read_text(), p.name == "__init__.py") for p in sorted(SRLIB.rglob("*.py"))}


# ---------------------------------------------------------------------------------- the rules
def test_every_srlib_module_follows_the_layering():
    sources = _srlib_sources()
    assert len(sources) > 40 and "srlib.book.runs" in sources, "the srlib sources were not found"
    problems = [line for module, (source, is_package) in sources.items()
                for line in violations(module, source, is_package)]
    assert not problems, "\n".join(problems)


def test_no_import_cycle_between_units():
    graph = unit_graph(_srlib_sources())
    assert {"srlib.book", "srlib.training", "srlib.models"} <= set(graph)
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_every_unit_is_in_exactly_one_layer():
    seen = [unit for units in LAYERS.values() for unit in units]
    assert len(seen) == len(set(seen))
    units = {unit_of(m) for m in _srlib_sources()}
    assert units <= set(seen), f"not in a layer: {sorted(units - set(seen))}"


def test_the_readme_draws_every_layer():
    text = (SRLIB.parent / "README.md").read_text()
    section = text.split("## Layout and layering", 1)[1].split("\n## ", 1)[0]
    drawing = section.split("```text", 1)[1].split("```", 1)[0]
    rows = {layer: " ".join(line for line in drawing.splitlines() if line.startswith(layer)) for layer in LAYERS}
    missing = [f"{unit} (row {layer!r})" for layer, units in LAYERS.items() for unit in units
               if unit not in ("srlib", "srlib.__main__")
               and not re.search(rf"\b{unit.removeprefix('srlib.')}\b", rows[layer])]
    assert not missing, f"the README's drawing does not put these units on their layer's row: {missing}"


# ------------------------------------------------------------------ the checker can fail
@pytest.mark.parametrize("module, source, expected", [
    ("srlib.models.fake", "from ..training import train", "a higher layer"),
    ("srlib.models.fake", "from ..training import train", "import no training, book, campaign or CLI code"),
    ("srlib.metrics", "from .models import build_model", "metrics and matlab import no model"),
    ("srlib.models.fake", "from srlib.data import load_image", "models import no data code"),
    ("srlib.inference", "from .book import styled", "imported by no lower layer"),
    ("srlib.training.fake", "import srlib.book.runs", "imported by no lower layer"),
    ("srlib.ablations.running", "from ..book.runs import curriculum_run", "imported by no lower layer"),
    ("srlib.claims", "from .book.tables import format_interval", "imported by no lower layer"),
    ("srlib.evaluation", "from scripts.gpu_stage import git_commit", "never imports notebooks, scripts"),
    ("srlib.book.fake", "import notebooks.table2_ablation", "never imports notebooks, scripts"),
    ("srlib.unplaced_module", "from .book.runs import curriculum_run", "is in no layer"),
])
def test_the_checker_flags_a_synthetic_violation(module, source, expected):
    assert any(expected in line for line in violations(module, source)), violations(module, source)


def test_the_checker_accepts_allowed_imports():
    assert violations("srlib.book.fake", "from ..training import train\nfrom .runs import RunRecord\nimport torch") == []
    assert violations("srlib.training.fake", "from ..inference import load_upscaler\nfrom . import config") == []
    assert violations("srlib.cli", "from .book import styled") == []


def test_relative_imports_resolve_to_their_units():
    assert imported_modules("from .. import matlab", "srlib.training.data", False) == ["srlib.matlab"]
    assert imported_modules("from .. import __version__", "srlib.training.checkpoint", False) == ["srlib"]
    assert imported_modules("from .runs import x", "srlib.book", True) == ["srlib.book.runs"]
    assert imported_modules("from ..data.fetch import file_sha256", "srlib.book.grid", False) == ["srlib.data.fetch"]


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"srlib.a": {"srlib.b"}, "srlib.b": {"srlib.c"}, "srlib.c": {"srlib.a"}}) == \
        ["srlib.a", "srlib.b", "srlib.c", "srlib.a"]
    assert find_cycle({"srlib.a": {"srlib.b"}, "srlib.b": set()}) is None
    graph = unit_graph({"srlib.models.x": ("from ..data import y", False), "srlib.data": ("from ..models import x", True)})
    assert find_cycle(graph) is not None


def test_only_the_command_line_parses_arguments():
    """The library's modules hold no argument parsing: every command is a module of ``srlib.cli``."""
    parsers = [module for module, (source, _) in _srlib_sources().items()
               if unit_of(module) != "srlib.cli" and re.search(r"^\s*(import argparse|from argparse )", source, re.M)]
    assert not parsers, f"argparse outside srlib.cli: {parsers}"
