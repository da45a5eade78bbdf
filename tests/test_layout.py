"""The package's layout: the pipeline's stages import only the stages before them.

`pipeline.py` runs the stages in order, each taking what the ones before it made. A stage that
imported a later one (even inside a function, to dodge the import cycle it makes) would tie the
two together both ways: imports.py once reached into merge.py for the namespacing, which merge.py's
own import of imports.py turned into a circle; namespaces.py now sits before both. Read from the
source (every `import`, at module level or in a function), not from a run, so an import taken only
on some path is seen too.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "resolver"

# pipeline.py's stages in the order they run, with the modules each stage is made of.
STAGES = (
    ("load",),
    ("namespaces",),
    ("imports",),
    ("merge",),
    ("properties", "hierarchy"),  # a type's property schemas, read by its hierarchy
    ("mapping",),
    ("nodes",),
    ("checks",),
    ("graph",),
    ("plan",),
    ("pipeline",),
)


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The modules of the package that the file `path` imports, anywhere in it."""
    module = _module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            if node.module:
                found.add(".".join(base + [node.module]))
            else:  # `from . import x`: x is a module of the package (or a name of its __init__)
                found.update(".".join(base + [alias.name]) for alias in node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(name for name in names if name == "resolver" or name.startswith("resolver."))
    return found


def _stage(module: str) -> int | None:
    for index, names in enumerate(STAGES):
        for name in names:
            stage = f"resolver.{name}"
            if module == stage or module.startswith(stage + "."):
                return index
    return None


def later_stage_imports() -> list[tuple[str, str]]:
    """(importer, imported) for every import of a stage module by an earlier stage's module."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        own = _stage(module)
        if own is None:
            continue
        for imported in sorted(imports_of(path)):
            theirs = _stage(imported)
            if theirs is not None and theirs > own:
                out.append((module, imported))
    return out


def test_every_stage_module_exists():
    # a renamed or moved stage would otherwise make the layout test below vacuous
    for names in STAGES:
        for name in names:
            assert (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name / "__init__.py").is_file(), name


def test_a_stage_imports_no_later_stage():
    assert later_stage_imports() == []


@pytest.mark.parametrize("source, expected", [
    ("from .merge import Blueprint\n", {"resolver.merge"}),
    ("def f():\n    from .merge import apply_namespace\n", {"resolver.merge"}),
    ("from . import records, registry as reg\n", {"resolver.records", "resolver.registry"}),
    ("from ..nodes import Model\n", {"resolver.nodes"}),
    ("import resolver.load\nimport yaml\n", {"resolver.load"}),
])
def test_imports_are_read_wherever_they_stand(tmp_path, monkeypatch, source, expected):
    # the reader itself: a module of the package (at resolver/x.py, or resolver/checks/x.py for `..`)
    folder = PACKAGE / "checks" if source.startswith("from ..") else PACKAGE
    path = folder / "_layout_probe.py"
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: source)
    assert imports_of(path) == expected
