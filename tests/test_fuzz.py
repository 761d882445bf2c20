"""Fuzzing ``llmparse.parse`` with hypothesis: hostile text, hostile bytes, and the team's letters broken at random.

Whatever the input, ``parse(..., strategy="rules")`` returns a Result or raises an LLMParseError subclass, and a
Result keeps its contract: every span lies inside ``Result.text``, items come in document order without overlap,
every text is a "slice" of its span (its non-space characters stand in the span, in order), and an answer letter
whose asked and answered numbers differ carries a ``coverage.*`` error finding, never a silent mismatch; nor is
an answer placed before its question, or covering no number, without an error finding. Its JSON gives the same
Result back, and so does a ResultCache.

Profiles: ``ci`` (the default, and what any other value of HYPOTHESIS_PROFILE gives; derandomized, so CI is
reproducible) and ``deep`` (20,000 examples a property, random seeds; run it for a while by hand)::

    /work/venv/bin/python -m pytest -q tests/test_fuzz.py                        # ci
    HYPOTHESIS_PROFILE=deep /work/venv/bin/python -m pytest -q tests/test_fuzz.py

The profiles are plain settings objects rather than ``settings.register_profile`` entries: Hypothesis has a
built-in profile named ``ci`` that it loads by itself when the ``CI`` variable is set, so registering our own
``ci`` would silently change every other hypothesis test of the run on CI.

The edited letters are built from tests/data/letters only (the team's own fictional letters).
"""

from __future__ import annotations

import os
import re
import tempfile
from itertools import pairwise
from typing import NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llmparse
from llmparse import LLMParseError, Result, ResultCache

from .conftest import LETTERS

PROFILES = {
    "ci": settings(
        max_examples=2000,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
    "deep": settings(
        max_examples=20_000,
        deadline=None,
        derandomize=False,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
}
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
PROFILE = PROFILES.get(PROFILE_NAME, PROFILES["ci"])
#: parse_many runs a private event loop per call; fewer, larger batches keep the module within its minute.
BATCH_PROFILE = settings(PROFILE, max_examples=max(100, PROFILE.max_examples // 10))

#: Every error class the package exports: a raised error must be one of them (and never the bare root).
EXPORTED_ERRORS = {
    obj for name in llmparse.__all__
    if isinstance(obj := getattr(llmparse, name), type) and issubclass(obj, LLMParseError)
}


# --- the contract, as checks ---------------------------------------------------------------------------


def is_slice(item_text: str, source: str) -> bool:
    """Every non-space character of ``item_text`` appears in ``source``, in order.

    Items are cut from their span with furniture and footnote lines left out and whitespace runs collapsed to
    one space (a paragraph break to a newline), so spaces and newlines are the only characters that may be
    missing from, or different in, the span.
    """
    pos = 0
    for ch in item_text:
        if ch in " \n":
            continue
        pos = source.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def check_result(result: Result) -> None:
    """Assert the contract every Result keeps, whatever the input was (and that its JSON gives it back)."""
    assert isinstance(result, Result)
    text = result.text
    n = len(text)
    letter = result.letter
    assert letter.kind in ("answers", "notice", "questions_only")
    items = [*letter.questions, *letter.answers]
    for spans in ([q.span for q in letter.questions], [a.span for a in letter.answers],
                  [fn.span for fn in letter.footnotes]):
        assert spans == sorted(spans), f"not in document order: {spans}"
    pieces: list[llmparse.Question | llmparse.Answer | llmparse.Footnote] = [
        *letter.questions, *letter.answers, *letter.footnotes]
    for x in pieces:
        s, e = x.span
        assert 0 <= s <= e <= n, f"span {x.span} outside the text (0-{n})"
        assert is_slice(x.text, text[s:e]), f"text {x.text!r} is not cut from its span {text[s:e]!r}"
    ordered = sorted(items, key=lambda it: it.span)
    for a, b in pairwise(ordered):
        assert a.span[1] <= b.span[0], f"items overlap: {a.numbers} {a.span} and {b.numbers} {b.span}"
    fns = [fn.span for fn in letter.footnotes]
    for a_span, b_span in pairwise(fns):
        assert a_span[1] <= b_span[0], f"footnotes overlap: {a_span} and {b_span}"
    check_coverage_is_reported(result)
    check_answers_follow_their_questions(result)
    assert Result.model_validate_json(result.model_dump_json()) == result, "the JSON does not give the Result back"


def check_coverage_is_reported(result: Result) -> None:
    """An answer letter whose asked and answered numbers differ has a coverage.* error, and so has any other
    letter with answers: never a silently inconsistent result."""
    letter = result.letter
    coverage_errors = [f for f in result.errors if f.code.startswith("coverage.")]
    asked = {n for q in letter.questions for n in q.numbers}
    answered = {n for a in letter.answers for n in a.numbers}
    if letter.kind == "answers" and asked != answered:
        assert coverage_errors, f"asked {sorted(asked)} but answered {sorted(answered)}, without a coverage error"
    if letter.kind != "answers" and letter.answers:
        assert coverage_errors, f"a {letter.kind} letter has answers, without a coverage error"


def check_answers_follow_their_questions(result: Result) -> None:
    """In an answer letter every answer covers at least one number and stands after the questions it answers,
    or an error finding says something is off.

    Fuzzing found both unreported ('Antwoord 1\nJa.\n\nVraag 1\nIs dat zo?\n', and a bare 'Antwoord' before the
    first question); coverage.answer_first and coverage.no_numbers report them now.
    """
    letter = result.letter
    if letter.kind != "answers" or result.errors:
        return
    asked_at = {n: q.span[0] for q in letter.questions for n in q.numbers}
    for a in letter.answers:
        assert a.numbers, f"answer {a.heading!r} at {a.span} covers no question, and no error finding says so"
        early = [n for n in a.numbers if n in asked_at and asked_at[n] > a.span[0]]
        assert not early, f"answer {a.numbers} at {a.span} stands before question(s) {early}, without an error"


def parse_or_error(source: llmparse.Source, name: str, cache: ResultCache | None = None) -> Result | None:
    """``parse(source)``: the Result, or None after checking the error is a documented, named LLMParseError.

    Any other exception propagates and fails the property.
    """
    try:
        return llmparse.parse(source, strategy="rules", cache=cache)
    except LLMParseError as exc:
        error = exc
    assert type(error) in EXPORTED_ERRORS, type(error)
    assert type(error) is not LLMParseError
    if isinstance(error, llmparse.InputError):
        assert error.source == name
        assert str(error).startswith(f"{name}: ")
    return None


# --- (a) arbitrary text and bytes ----------------------------------------------------------------------


@PROFILE
@given(st.text())
def test_any_text_gives_a_result_or_an_llmparse_error(text: str) -> None:
    """Arbitrary text parses into a Result that keeps the contract, or raises an LLMParseError subclass."""
    result = parse_or_error(text, "<str>")
    if result is not None:
        check_result(result)


@PROFILE
@given(st.binary())
def test_any_bytes_give_a_result_or_an_llmparse_error(data: bytes) -> None:
    """Arbitrary bytes parse into a Result that keeps the contract, or raise an LLMParseError subclass."""
    result = parse_or_error(data, "<bytes>")
    if result is not None:
        check_result(result)


# Arbitrary text rarely looks like a letter; this soup of a letter's own pieces reaches the extractor.
_PIECES = st.sampled_from([
    "Vraag ", "Vragen ", "VRAAG ", "Antwoord ", "Antwoorden ", "Antwoord op vraag ", "Antwoord vraag ",
    "Mededeling", "Toelichting:", "1", "2", "3", "12", "2a", " en ", ", ", " t/m ", "-", "–", "1. ", "2) ", "3 ",
    "[1]", "[^2]: ", "*", "**", "?", ".", ":", "\n", "\n\n", "\f", "\r\n", " ", "\t", "-----",
    "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 12", "ISSN 0921 - 7398", "’s-Gravenhage 2024",
    "ah-tk-20232024-123", "Pagina 1 van 3", "Datum 1 maart 2024", "2024Z01234", "(ingezonden 3 maart 2024)",
    "(ontvangen 4 april 2024)", "Vragen van het lid Jansen (PvdP) aan de Minister van Verkeer",
    "Antwoord van Minister De Vries (Verkeer)", "De Minister van Verkeer,", "Bent u bekend met het bericht",
    "Ja.", "Nee, dat ben ik niet.", "https://example.org/x", "´", "¸", "\u00a0", "\u2028", "\ufeff", "é",
])
LETTER_SOUP = st.lists(_PIECES, max_size=80).map("".join)


@PROFILE
@given(LETTER_SOUP)
def test_letter_soup_gives_a_result_or_an_llmparse_error(text: str) -> None:
    """Text made of a letter's pieces in any order keeps the contract (it reaches the extractor and the checks)."""
    result = parse_or_error(text, "<str>")
    if result is not None:
        check_result(result)


@BATCH_PROFILE
@given(st.lists(st.one_of(st.text(), st.binary(), LETTER_SOUP), max_size=12))
def test_parse_many_never_hides_an_unexpected_error(sources: list[str | bytes]) -> None:
    """parse_many yields one outcome per source, in order, and a failed one always failed with an LLMParseError
    (parse_many turns any other exception into an outcome too, which would hide a crash)."""
    outcomes = list(llmparse.parse_many(sources, strategy="rules", concurrency=4))
    assert [o.index for o in outcomes] == list(range(len(sources)))
    names = {cls.__name__ for cls in EXPORTED_ERRORS}
    for outcome in outcomes:
        if outcome.result is None:
            assert outcome.error_type in names, (outcome.error_type, outcome.error)
        else:
            check_result(outcome.result)


@PROFILE
@given(st.one_of(st.text(), LETTER_SOUP))
def test_cache_gives_the_same_result_back_for_any_text(text: str) -> None:
    """Through a ResultCache, arbitrary text gives the same Result twice (the second from the cache), or the
    same LLMParseError."""
    with tempfile.TemporaryDirectory() as folder:
        cache = ResultCache(folder)
        first = parse_or_error(text, "<str>", cache)
        second = parse_or_error(text, "<str>", cache)
    if first is None or second is None:
        assert first is second
        return
    check_result(first)
    assert second.provenance.cached
    assert second.model_copy(update={"provenance": first.provenance}) == first


# str may hold lone surrogates (text decoded with errors="surrogateescape", or cut from UTF-16 data); st.text()
# leaves them out. Fuzzing found that such a Result could not be written as JSON ('Vraag 1\n\ud800') and that a
# cache key raised UnicodeEncodeError ('\ud800'); normalise now turns them into U+FFFD.
_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
SURROGATE_SOUP = st.lists(st.one_of(_PIECES, _SURROGATES), min_size=1, max_size=40).map("".join)


@PROFILE
@given(SURROGATE_SOUP)
def test_text_with_lone_surrogates_through_a_cache(text: str) -> None:
    """Text holding lone surrogates, parsed through a cache, raises an LLMParseError or gives a Result that
    serialises to JSON (the cache writes it so)."""
    with tempfile.TemporaryDirectory() as folder:
        result = parse_or_error(text, "<str>", ResultCache(folder))
    if result is not None:
        check_result(result)
        assert not re.search("[\ud800-\udfff]", result.text)


# --- (b) the team's letters, broken at random ------------------------------------------------------------

LETTER_FILES = sorted(p for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")
# decoded from bytes to keep the letters' own line endings (one of them is CRLF).
LETTER_TEXTS = {p.name: p.read_bytes().decode("utf-8") for p in LETTER_FILES}

_HEADING_LINE = re.compile(r"(?P<pre>[#*_>\s]*)(?P<word>Vraag|Vragen|VRAAG|Antwoord(?:en)?)(?P<gap>\s*)(?P<rest>.*)",
                           re.DOTALL)
_MANGLES = ("typo", "no-space", "upper", "lower", "glue-to-previous", "renumber")


class Edited(NamedTuple):
    """A letter after random edits; its repr names the letter and every edit, so a failure can be replayed."""

    letter: str
    edits: tuple[str, ...]
    text: str


@st.composite
def edited_letters(draw: st.DrawFn) -> Edited:
    """One of the team's letters with 1-8 random edits: lines deleted, duplicated or swapped, headings mangled
    ("Vraag 3" -> "Vrag 3", "Vraag3", "VRAAG 3", glued to the line above, renumbered), form feeds and random
    unicode inserted."""
    name = draw(st.sampled_from(sorted(LETTER_TEXTS)))
    lines = LETTER_TEXTS[name].split("\n")
    edits: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        op = draw(st.sampled_from(("delete", "duplicate", "swap", "heading", "heading", "formfeed", "unicode")))
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            edits.append(f"delete line {i}: {lines[i]!r}")
            del lines[i]
        elif op == "duplicate":
            edits.append(f"duplicate line {i}: {lines[i]!r}")
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            edits.append(f"swap lines {i} and {j}")
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "heading":
            headings = [k for k, line in enumerate(lines) if _HEADING_LINE.match(line)]
            if not headings:
                continue
            k = draw(st.sampled_from(headings))
            mangle = draw(st.sampled_from(_MANGLES))
            before = lines[k]
            m = _HEADING_LINE.match(before)
            assert m is not None
            pre, word, gap, rest = m.group("pre", "word", "gap", "rest")
            if mangle == "typo":
                drop = draw(st.integers(min_value=1, max_value=len(word) - 1))
                lines[k] = pre + word[:drop] + word[drop + 1 :] + gap + rest
            elif mangle == "no-space":
                lines[k] = pre + word + rest
            elif mangle == "upper":
                lines[k] = pre + word.upper() + gap + rest
            elif mangle == "lower":
                lines[k] = pre + word.lower() + gap + rest
            elif mangle == "glue-to-previous" and k > 0:
                lines[k - 1] = lines[k - 1].rstrip("\r") + draw(st.sampled_from(("", " "))) + lines[k]
                del lines[k]
            elif mangle == "renumber":
                new = str(draw(st.integers(min_value=0, max_value=40)))
                lines[k] = pre + word + gap + re.sub(r"\d+", new, rest, count=1)
            edits.append(f"{mangle} heading line {k}: {before!r} -> {lines[k] if k < len(lines) else ''!r}")
        else:
            insert = "\f" if op == "formfeed" else draw(st.text(min_size=1, max_size=8))
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            edits.append(f"insert {insert!r} in line {i} at {at}")
            lines[i] = lines[i][:at] + insert + lines[i][at:]
    return Edited(name, tuple(edits), "\n".join(lines))


def test_every_letter_parses_unedited() -> None:
    """The edits start from letters that parse (so an edited letter's failure is the edit's doing)."""
    assert len(LETTER_TEXTS) >= 20
    for text in LETTER_TEXTS.values():
        check_result(llmparse.parse(text, strategy="rules"))


@PROFILE
@given(edited_letters())
def test_edited_letters_keep_the_contract(edited: Edited) -> None:
    """A real-looking letter with random damage still gives a Result that keeps the contract, or an
    LLMParseError; an answer letter whose question and answer numbers no longer match says so in a coverage.*
    error finding."""
    result = parse_or_error(edited.text, "<str>")
    if result is not None:
        check_result(result)
