"""What the tests of the held-out sets (tests/data/unseen, tests/data/holdout) share.

Each set is a folder of letters with their gold in ``<folder>/gold``. What must hold for every set is that
the checks speak up: a letter the shared scorer rates imperfect carries at least one finding of severity
"error". A letter that is silent today is marked xfail (strict) with its diagnosis.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import SHARED, load_scorer

#: Skips a module when the shared scorer is not there.
needs_scorer = pytest.mark.skipif(
    not (SHARED / "eval" / "score.py").is_file(),
    reason=f"the shared scorer is not at {SHARED / 'eval' / 'score.py'}: put the shared folder beside the "
           "checkout or set LLMPARSE_SHARED",
)


def gold_files(folder: Path) -> list[Path]:
    """The set's ``*.gold.json`` files, sorted."""
    return sorted((folder / "gold").glob("*.gold.json"))


def letter_name(gold: Path) -> str:
    """The letter a gold file names (its ``file`` field)."""
    return str(json.loads(gold.read_text(encoding="utf-8"))["file"])


def cases(golds: list[Path], silent: dict[str, str]) -> list[Any]:
    """One pytest parameter per gold file, xfail (strict) with its reason where the letter is in ``silent``."""
    params = []
    for gold in golds:
        name = letter_name(gold)
        marks = [pytest.mark.xfail(reason=silent[name], strict=True)] if name in silent else []
        params.append(pytest.param(gold, id=name, marks=marks))
    return params


def assert_gold_names_letters(folder: Path, golds: list[Path], count: int, silent: dict[str, str]) -> None:
    """``count`` gold files, each naming a letter in ``folder``; every letter (its README aside) has gold;
    the silent list names only letters of the set (a renamed letter cannot slip out of it)."""
    named = {letter_name(g) for g in golds}
    letters = {p.name for p in folder.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md"}
    assert len(golds) == count
    assert named == letters
    assert set(silent) <= named


def assert_not_silent(folder: Path, gold_path: Path) -> None:
    """The letter is perfect to the scorer, or its rules result carries an error finding."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    result = llmparse.parse(folder / gold["file"], strategy="rules")
    row = load_scorer().score_letter(gold, json.loads(result.model_dump_json()))
    assert row["perfect"] or row["flagged"], (
        f"{gold['file']} is wrong (questions {row['questions']}, answers {row['answers']}, "
        f"kind ok {row['kind_ok']}) and no finding says so: {[f.code for f in result.findings]}"
    )
