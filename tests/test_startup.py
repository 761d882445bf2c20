"""Start-up: the model stack (instructor, openai, httpx2) is imported only when a model is used.

Timings are measured by ``bench/startup.py``; these tests check what is imported, which is what makes it fast.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import EXAMPLE, ROOT

MODEL_STACK = ("instructor", "openai", "httpx", "httpx2", "tenacity")


def _imported_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=True)
    return set(run.stdout.splitlines()[-1].split())


@pytest.mark.parametrize("code", [
    pytest.param("import llmparse", id="import"),
    pytest.param("import llmparse.batch", id="import-batch"),
    pytest.param(f"import llmparse, pathlib; llmparse.parse(pathlib.Path({str(EXAMPLE)!r}), strategy='rules')",
                 id="rules-parse"),
    pytest.param(f"import llmparse, pathlib; list(llmparse.parse_many([pathlib.Path({str(EXAMPLE)!r})]))",
                 id="parse-many-without-a-model"),
    pytest.param(f"from llmparse._cli import main; main(['parse', {str(EXAMPLE)!r}, '--strategy', 'rules', "
                 "'--format', 'text'])", id="cli-rules-parse"),
    pytest.param("from llmparse._cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass",
                 id="cli-version"),
])
def test_no_model_stack_without_a_model(code: str) -> None:
    """Importing llmparse, a rules parse (library or command line) and --version load no part of the model
    stack."""
    assert _imported_after(code) & set(MODEL_STACK) == set()


def test_the_model_extractor_still_imports_on_first_use() -> None:
    """``llmparse.LLMExtractor`` loads the model stack when it is asked for, and reports itself as llmparse's."""
    loaded = _imported_after("import llmparse\nassert llmparse.LLMExtractor.__module__ == 'llmparse'\n"
                             "assert 'LLMExtractor' in dir(llmparse)")
    assert {"instructor", "openai"} <= loaded
