"""Shared fixtures: where the corpus lives, and isolation from the user's environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The shared folder beside the checkout (corpus, gold, scorer); CI lays it there too.
SHARED = Path(os.environ.get("LLMPARSE_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
EXAMPLE = ROOT / "examples" / "kv-2020Z03371.ministry-pdftext.txt"
LETTERS = ROOT / "tests" / "data" / "letters"


def needs_shared() -> pytest.MarkDecorator:
    """Skip a test when ../shared (the real corpus and its scorer) is not beside the checkout."""
    return pytest.mark.skipif(
        not (CORPUS / "gold").is_dir(),
        reason=f"the corpus is not at {CORPUS}: put the shared folder beside the checkout or set LLMPARSE_SHARED",
    )


@pytest.fixture(autouse=True)
def _no_model_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a model endpoint from the developer's environment."""
    for var in ("LLMPARSE_BASE_URL", "LLMPARSE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
