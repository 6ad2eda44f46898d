"""The code's layout holds: stages in sub-packages, no folder importing a folder above it, no Prefect in the library."""

import ast

from conftest import ROOT

PIPELINE = ROOT / "pipeline"
TOP_LEVEL = {path.stem for path in PIPELINE.glob("*.py") if path.stem != "__init__"}


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            if node.module == "pipeline":
                yield from (f"pipeline.{alias.name}" for alias in node.names)


def test_no_sub_package_imports_the_modules_above_it():
    offending = []
    for path in PIPELINE.glob("*/*.py"):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "pipeline" and len(parts) == 2 and parts[1] in TOP_LEVEL:
                offending.append((path.relative_to(ROOT).as_posix(), module))
    assert not offending
    # The top level holds only the run sequence (its steps, and the Run they fill in) and what sits on all of it.
    assert TOP_LEVEL == {"run", "run_state", "chain", "explain"}


def test_the_library_never_imports_prefect():
    for path in PIPELINE.rglob("*.py"):
        assert not any(m.split(".")[0] in ("prefect", "prefect_dask") for m in imported_modules(path)), path
