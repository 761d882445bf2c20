"""The one-way flow: a stage imports only what comes before it; only the pipeline imports the stages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "llmparse"

# In flow order. A module may import (at run time) only modules that come earlier in this list.
FLOW = ["_exceptions", "_types", "_pacing", "_export", "_readers", "_markup_readers", "_document", "_layout",
        "_review", "_models", "_cache", "_plan", "_extraction", "_assembly", "_checks", "_pipeline", "_batch",
        "_openai_batch", "batch", "__init__", "_cli"]


def _module_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) == 1 else rel.parts[0]


def _runtime_imports(path: Path) -> set[str]:
    """The llmparse modules ``path`` imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            name = node.module.split(".")
            inside_subpackage = path.parent != PACKAGE
            if node.level == 1 and inside_subpackage:
                found.add(path.parent.name)  # a sibling module of the same stage
            elif node.level >= 1:
                found.add(name[0])
            elif name[0] == "llmparse":
                found.add(name[1] if len(name) > 1 else "__init__")
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_flow(path: Path) -> None:
    """No module imports a stage that comes after it in the flow (nothing reaches back up)."""
    me = _module_of(path)
    if me == "__main__":
        return
    later = set(FLOW[FLOW.index(me) + 1 :])
    assert _runtime_imports(path) & later == set()


def test_only_the_pipeline_runs_the_stages() -> None:
    """Extraction, assembly and checks are imported by the pipeline and by nothing else in the package."""
    users: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for imported in _runtime_imports(path):
            users.setdefault(imported, set()).add(_module_of(path))
    for stage in ("_assembly", "_checks"):
        assert users.get(stage, set()) - {stage} <= {"_pipeline", "__init__"}, stage
    # extractors are made by the pipeline and by the orchestrators after it (batches build a model extractor
    # from settings and hand it to parse), never by a stage
    orchestrators = {"_pipeline", "_batch", "_openai_batch", "__init__"}
    assert users.get("_extraction", set()) - {"_extraction"} <= orchestrators
