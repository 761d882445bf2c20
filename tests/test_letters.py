"""End to end on short letters the team wrote itself, one per variation (tests/data/letters/README.md).

Each ``<name>.expected.json`` is written in the gold format of the corpus annotation guide; the comparison
here is the same in spirit as the shared scorer's: numbers exactly, texts by their first and last words.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import LETTERS

CASES = sorted(p for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")


def _expected(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((LETTERS / f"{path.stem}.expected.json").read_text(encoding="utf-8"))
    return data


def _fold(s: str, *, digits: bool = True) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    return "".join(ch for ch in s if ch.isalnum() and (digits or not ch.isdigit()))


def _bounded(text: str, start: str, end: str) -> bool:
    """The text starts with ``start`` and ends with ``end`` (folded; a few characters of slack for markers)."""
    for digits in (True, False):
        t, s, e = _fold(text, digits=digits), _fold(start, digits=digits), _fold(end, digits=digits)
        if t.find(s) in range(6) and t.rfind(e) >= 0 and len(t) - (t.rfind(e) + len(e)) <= 6:
            return True
    return False


def _surnames(people: list[Any]) -> set[str]:
    return {_fold(p["name"].split()[-1]) for p in people}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_letter_matches_its_expectation(path: Path) -> None:
    """The parsed letter has the expected kind, numbers, item boundaries and metadata."""
    want = _expected(path)
    result = llmparse.parse(path, strategy="rules")
    got = json.loads(result.model_dump_json())["letter"]
    assert got["kind"] == want["kind"]
    for part in ("questions", "answers"):
        assert [x["numbers"] for x in got[part]] == [x["numbers"] for x in want[part]], part
        for g, w in zip(got[part], want[part], strict=True):
            assert _bounded(g["text"], w["start"], w["end"]), (part, w["numbers"], g["text"])
            if "footnotes" in w:  # the markers this item cites, where the expectation lists them
                assert g["footnotes"] == w["footnotes"], (part, w["numbers"])
    assert [f["marker"] for f in got["footnotes"]] == [f["marker"] for f in want["footnotes"]]
    for g, w in zip(got["footnotes"], want["footnotes"], strict=True):
        assert _fold(g["text"]).startswith(_fold(w["start"])), g["text"]
    assert _surnames(got["askers"]) == _surnames(want["askers"])
    assert _surnames(got["respondents"]) == _surnames(want["respondents"])
    for key in ("reference", "submitted_on", "received_on"):
        assert got[key] == want[key], key
    if "subject" in want:  # as the shared scorer: inside the printed subject, covering at least half of it
        subject, printed = _fold(got["subject"] or ""), _fold(want["subject"] or "")
        assert subject in printed, got["subject"]
        assert len(subject) >= 0.5 * len(printed), got["subject"]
    roles = [_fold(p.get("role") or "") for p in want["respondents"]]
    assert [_fold(p["role"] or "") for p in got["respondents"]] == roles


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_span_holds_its_text(path: Path) -> None:
    """Every item's text is made only of characters inside its span, in order."""
    result = llmparse.parse(path, strategy="rules")
    items: list[llmparse.Question | llmparse.Answer | llmparse.Footnote] = [
        *result.letter.questions, *result.letter.answers, *result.letter.footnotes]
    for item in items:
        source = result.text[item.span[0] : item.span[1]]
        pos = 0
        for ch in item.text.replace("\n", " "):
            if ch == " ":
                continue
            pos = source.find(ch, pos)
            assert pos >= 0, (item.span, ch)
            pos += 1
