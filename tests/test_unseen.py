"""The held-out letters in tests/data/unseen: a wrong letter never goes without an error finding.

The letters and their gold were written without reading the parser (tests/data/unseen/README.md), so how
many are perfect is a measurement (``python bench/unseen.py``), not a test. What must always hold is that
the checks speak up: every letter the shared scorer rates imperfect carries at least one finding of
severity "error". A letter that is silent today is marked xfail (strict) with its diagnosis, so the suite
stays green, the list shows what is left, and fixing one makes the suite say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT
from .heldout import assert_gold_names_letters, assert_not_silent, cases, gold_files, needs_scorer

UNSEEN = ROOT / "tests" / "data" / "unseen"
GOLDS = gold_files(UNSEEN)

pytestmark = needs_scorer

#: Letters that are wrong today without an error finding, and why (bench/README.md, "unseen.py").
SILENT: dict[str, str] = {}


def test_thirty_letters_with_gold() -> None:
    """Every gold file names a letter that is there, every letter (the folder's README aside) has gold, and
    the xfail list names only letters of this set (a renamed letter cannot slip out of it)."""
    assert_gold_names_letters(UNSEEN, GOLDS, 30, SILENT)


@pytest.mark.parametrize("gold_path", cases(GOLDS, SILENT))
def test_no_silent_failure(gold_path: Path) -> None:
    """A letter the scorer rates imperfect has at least one error finding."""
    assert_not_silent(UNSEEN, gold_path)
