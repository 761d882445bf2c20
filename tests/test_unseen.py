"""The held-out letters in tests/data/unseen: a wrong letter never goes without an error finding.

The letters and their gold were written without reading the parser (tests/data/unseen/README.md), so how
many are perfect is a measurement (``python bench/unseen.py``), not a test. What must always hold is that
the checks speak up: every letter the shared scorer rates imperfect carries at least one finding of
severity "error". A letter that is silent today is marked xfail (strict) with its diagnosis, so the suite
stays green, the list shows what is left, and fixing one makes the suite say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import ROOT, SHARED, load_scorer

UNSEEN = ROOT / "tests" / "data" / "unseen"
GOLDS = sorted((UNSEEN / "gold").glob("*.gold.json"))

pytestmark = pytest.mark.skipif(
    not (SHARED / "eval" / "score.py").is_file(),
    reason=f"the shared scorer is not at {SHARED / 'eval' / 'score.py'}: put the shared folder beside the "
           "checkout or set LLMPARSE_SHARED",
)

#: Letters that are wrong today without an error finding, and why (bench/README.md, "unseen.py").
SILENT: dict[str, str] = {}


def _case(gold: Path) -> Any:
    name = str(json.loads(gold.read_text(encoding="utf-8"))["file"])
    marks = [pytest.mark.xfail(reason=SILENT[name], strict=True)] if name in SILENT else []
    return pytest.param(gold, id=name, marks=marks)


def test_thirty_letters_with_gold() -> None:
    """Every gold file names a letter that is there, and every letter (the folder's README aside) has gold."""
    named = {json.loads(g.read_text(encoding="utf-8"))["file"] for g in GOLDS}
    letters = {p.name for p in UNSEEN.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md"}
    assert len(GOLDS) == 30
    assert named == letters


def test_silent_list_names_letters() -> None:
    """The xfail list names only letters of this set (a renamed letter cannot slip out of it)."""
    named = {json.loads(g.read_text(encoding="utf-8"))["file"] for g in GOLDS}
    assert set(SILENT) <= named


@pytest.mark.parametrize("gold_path", [_case(g) for g in GOLDS])
def test_no_silent_failure(gold_path: Path) -> None:
    """A letter the scorer rates imperfect has at least one error finding."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    result = llmparse.parse(UNSEEN / gold["file"], strategy="rules")
    row = load_scorer().score_letter(gold, json.loads(result.model_dump_json()))
    assert row["perfect"] or row["flagged"], (
        f"{gold['file']} is wrong (questions {row['questions']}, answers {row['answers']}, "
        f"kind ok {row['kind_ok']}) and no finding says so: {[f.code for f in result.findings]}"
    )
