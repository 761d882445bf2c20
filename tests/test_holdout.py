"""The second held-out set in tests/data/holdout: a wrong letter never goes without an error finding.

The 24 letters and their gold were written blind, after the first held-out set (tests/data/unseen) had been
used to tune the rules (tests/data/holdout/README.md). How many are perfect is a measurement
(``python bench/unseen.py --set holdout``), not a test. What must hold is that the checks speak up: every
letter the shared scorer rates imperfect carries at least one finding of severity "error". A letter that is
silent today is marked xfail (strict) with its diagnosis, so fixing it makes the suite say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT
from .heldout import assert_gold_names_letters, assert_not_silent, cases, gold_files, needs_scorer

HOLDOUT = ROOT / "tests" / "data" / "holdout"
GOLDS = gold_files(HOLDOUT)

pytestmark = needs_scorer

#: Letters that are wrong today without an error finding, and why (bench/README.md, "--set holdout").
SILENT: dict[str, str] = {}


def test_every_letter_has_gold() -> None:
    """24 gold files, each naming a letter that is there, and every letter (the README aside) has gold."""
    assert_gold_names_letters(HOLDOUT, GOLDS, 24, SILENT)


@pytest.mark.parametrize("gold_path", cases(GOLDS, SILENT))
def test_no_silent_failure(gold_path: Path) -> None:
    """A letter the scorer rates imperfect has at least one error finding."""
    assert_not_silent(HOLDOUT, gold_path)
