"""The second held-out set in tests/data/holdout: a wrong letter never goes without an error finding.

The 24 letters and their gold were written blind, after the first held-out set (tests/data/unseen) had been
used to tune the rules (tests/data/holdout/README.md). How many are perfect is a measurement
(``python bench/unseen.py --set holdout``), not a test. What must hold is that the checks speak up: every
letter the shared scorer rates imperfect carries at least one finding of severity "error". A letter that is
silent today is marked xfail (strict) with its diagnosis, so fixing it makes the suite say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import ROOT, SHARED, load_scorer

HOLDOUT = ROOT / "tests" / "data" / "holdout"
GOLDS = sorted((HOLDOUT / "gold").glob("*.gold.json"))

pytestmark = pytest.mark.skipif(
    not (SHARED / "eval" / "score.py").is_file(),
    reason=f"the shared scorer is not at {SHARED / 'eval' / 'score.py'}: put the shared folder beside the "
           "checkout or set LLMPARSE_SHARED",
)

#: Letters that are wrong today without an error finding, and why (bench/README.md, "--set holdout").
SILENT: dict[str, str] = {
    "ocw-2026Z03377.ocr.txt": (
        "OCR reads the 1 of 'Vraag 1' / 'Antwoord op vraag 1' as the letter l and 'vraag' as 'vraaq': question "
        "and answer 1 are lost and answer 3 starts with its unread heading; the checks only warn (the first "
        "question is number 2, a headingless answer)"
    ),
    "ocw-intrekking-vragen-2026Z00455.docxtext.txt": (
        "a letter saying the questions were withdrawn ('intrekt', 'worden daarom niet beantwoord') matches no "
        "notice wording, so a letter with no items is read as questions_only, and no check objects to a "
        "questions-only letter without a single question"
    ),
}


def _letter_name(gold: Path) -> str:
    return str(json.loads(gold.read_text(encoding="utf-8"))["file"])


def _case(gold: Path) -> Any:
    name = _letter_name(gold)
    marks = [pytest.mark.xfail(reason=SILENT[name], strict=True)] if name in SILENT else []
    return pytest.param(gold, id=name, marks=marks)


def test_every_letter_has_gold() -> None:
    """24 gold files, each naming a letter that is there, and every letter (the README aside) has gold."""
    named = {_letter_name(g) for g in GOLDS}
    letters = {p.name for p in HOLDOUT.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md"}
    assert len(GOLDS) == 24
    assert named == letters
    assert set(SILENT) <= named  # a renamed letter cannot slip out of the xfail list


@pytest.mark.parametrize("gold_path", [_case(g) for g in GOLDS])
def test_no_silent_failure(gold_path: Path) -> None:
    """A letter the scorer rates imperfect has at least one error finding."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    result = llmparse.parse(HOLDOUT / gold["file"], strategy="rules")
    row = load_scorer().score_letter(gold, json.loads(result.model_dump_json()))
    assert row["perfect"] or row["flagged"], (
        f"{gold['file']} is wrong (questions {row['questions']}, answers {row['answers']}, "
        f"kind ok {row['kind_ok']}) and no finding says so: {[f.code for f in result.findings]}"
    )
