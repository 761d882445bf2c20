"""Checks: each check on letters built by hand, plus property tests over generated numberings."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import llmparse
from llmparse._checks import (
    CODES,
    check_completeness,
    check_coverage,
    check_grounding,
    check_metadata,
    check_numbering,
    run_checks,
)
from llmparse._document import load_document
from llmparse._layout import Layout, read_layout
from llmparse._models import Answer, Letter, Person, Question

ROOT = Path(__file__).resolve().parent.parent


def _letter_text(groups_q: list[list[str]], groups_a: list[list[str]]) -> str:
    lines = ["Vragen van het lid Jansen (VVD) aan de Minister van Financiën (ingezonden 1 maart 2024).", ""]
    for nums in groups_q:
        lines += [f"Vraag {' en '.join(nums)}", f"Is vraag {nums[0]} een goede vraag?", ""]
    for nums in groups_a:
        lines += [f"Antwoord {' en '.join(nums)}", f"Ja, antwoord op {nums[0]}.", ""]
    return "\n".join(lines)


def _build(groups_q: list[list[str]], groups_a: list[list[str]]) -> tuple[Layout, Letter]:
    """A layout and a letter whose items are cut from a text written for the given numbers."""
    text = _letter_text(groups_q, groups_a)
    layout = read_layout(load_document(text))
    questions: list[dict[str, object]] = []
    answers: list[dict[str, object]] = []
    for match in re.finditer(r"(?m)^(Vraag|Antwoord) (.+)\n(.+)$", text):
        nums = match.group(2).split(" en ")
        span = (match.start(3), match.end(3))
        item = {"numbers": nums, "heading": f"{match.group(1)} {match.group(2)}",
                "text": layout.cut(*span), "span": span}
        (questions if match.group(1) == "Vraag" else answers).append(item)
    letter = Letter(kind="answers", askers=[Person(name="Jansen", party="VVD")], respondents=[Person(name="X")],
                    questions=[Question.model_validate(q) for q in questions],
                    answers=[Answer.model_validate(a) for a in answers])
    return layout, letter


def _codes(findings: list[llmparse.Finding]) -> set[str]:
    return {f.code for f in findings}


class TestNumbering:
    def test_clean_numbering_has_no_findings(self) -> None:
        """Questions 1, 2, 3 answered one by one give no numbering finding."""
        layout, letter = _build([["1"], ["2"], ["3"]], [["1"], ["2"], ["3"]])
        assert check_numbering(layout, letter) == []

    def test_duplicate_number_is_an_error(self) -> None:
        """A number printed on two questions is numbering.duplicate, an error."""
        layout, letter = _build([["1"], ["2"], ["2"]], [["1"], ["2"]])
        found = check_numbering(layout, letter)
        assert [(f.code, f.numbers) for f in found if f.code == "numbering.duplicate"] == [
            ("numbering.duplicate", ["2"])]

    def test_partial_letter_starts_late(self) -> None:
        """A letter answering only questions 5 and 6 warns numbering.start, not an error."""
        layout, letter = _build([["5"], ["6"]], [["5"], ["6"]])
        found = check_numbering(layout, letter)
        assert _codes(found) == {"numbering.start"}
        assert all(f.severity is llmparse.Severity.WARNING for f in found)

    def test_gap_is_a_warning_naming_the_missing_number(self) -> None:
        """Questions 1, 2, 4 warn that 3 is missing."""
        layout, letter = _build([["1"], ["2"], ["4"]], [["1"], ["2"], ["4"]])
        gap = [f for f in check_numbering(layout, letter) if f.code == "numbering.gap"]
        assert [f.numbers for f in gap] == [["3"]]

    def test_out_of_order_grouping_is_information(self) -> None:
        """'Vraag 1 en 4' before 'Vraag 2' is reported as info only."""
        layout, letter = _build([["1", "4"], ["2"], ["3"]], [["1", "4"], ["2"], ["3"]])
        found = check_numbering(layout, letter)
        assert _codes(found) == {"numbering.order"}
        assert found[0].severity is llmparse.Severity.INFO


class TestUnnumbered:
    def test_paragraphs_taking_turns_are_numbered_as_a_reader_would(self) -> None:
        """A letter without numbers whose questions are single paragraphs ending in '?', each followed by its
        answer, is numbered in order with a warning only."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Hoeveel kost de nieuwe brug over de rivier?\n\nDe brug kost ongeveer twaalf miljoen euro.\n\n"
                "Wanneer is de brug klaar?\n\nDe brug is naar verwachting in het voorjaar klaar.\n")
        result = llmparse.parse(text, strategy="rules")
        assert {f.code for f in result.findings} >= {"numbering.assigned"}
        assert "numbering.unprinted" not in {f.code for f in result.findings}

    def test_two_questions_in_a_row_are_a_guess(self) -> None:
        """Without numbers, two question paragraphs before one answer leave the pairing a guess: an error."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Hoeveel kost de nieuwe brug over de rivier?\n\nWie betaalt de brug?\n\n"
                "De brug kost twaalf miljoen euro en het Rijk betaalt.\n\n"
                "Wanneer is de brug klaar?\n\nDe brug is naar verwachting in het voorjaar klaar.\n")
        result = llmparse.parse(text, strategy="rules")
        assert "numbering.unprinted" in {f.code for f in result.errors}


class TestFootnotes:
    def test_a_footnote_body_opening_the_next_page_is_never_silent(self) -> None:
        """A footnote body printed at the top of the next page (pdfminer's order) is found as the footnote, or the
        answer's citation of a marker the letter has no footnote for gives it away: never a silent loss."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Vraag 1\nHoeveel kost de nieuwe brug over de rivier?\n\n"
                "Antwoord 1\nDe brug kost twaalf miljoen euro, zo blijkt uit de raming.1 De bouw begint in mei.\n"
                "\f1 Raming Rijkswaterstaat, januari 2024.\nHet werk duurt naar verwachting twee jaar.\n\n"
                "Vraag 2\nWie betaalt de brug?\n\nAntwoord 2\nHet Rijk betaalt de brug.\n")
        result = llmparse.parse(text, strategy="rules")
        answer = result.letter.answers[0].text
        lost = "Raming Rijkswaterstaat" in answer or not result.letter.footnotes
        assert not lost or "footnotes.cited_missing" in {f.code for f in result.errors}

    def test_numbers_in_sentences_are_not_citations(self) -> None:
        """Decimal numbers, article numbers and a "nr. 37" are not footnote citations."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Vraag 1\nWat zegt artikel 3.2 van de regeling?\n\n"
                "Antwoord 1\nZie Kamerstuk 36 200, nr. 37\nDe regeling geldt sinds 2023. 5 procent valt eronder.\n")
        result = llmparse.parse(text, strategy="rules")
        assert "footnotes.cited_missing" not in {f.code for f in result.findings}


class TestGarbledHeadings:
    def test_an_ocr_heading_left_out_is_an_orphan(self) -> None:
        """OCR's "Vraag l" / "Antwoord op vraag l" open no item the rules can see; the checks still read them
        as headings that open nothing."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Vraag l\nHoeveel kost de nieuwe brug over de rivier?\n\nAntwoord op vraag l\nTwaalf miljoen.\n\n"
                "Vraag 2\nWanneer is de brug klaar?\n\nAntwoord op vraag 2\nIn het voorjaar.\n")
        result = llmparse.parse(text, strategy="rules")
        if [q.numbers for q in result.letter.questions] != [["1"], ["2"]]:
            assert "headings.orphan" in {f.code for f in result.errors}

    def test_a_wrapped_sentence_is_no_heading(self) -> None:
        """"antwoord op vraag 5)." at a line's start is a sentence wrapped there, not a heading."""
        text = ("Vragen van het lid Jansen (VVD) aan de minister van Financiën (ingezonden 1 maart 2024).\n\n"
                "Vraag 1\nHoeveel kost de brug?\n\nAntwoord 1\nTwaalf miljoen euro (zie ook het\n"
                "antwoord op vraag 5).\n")
        assert llmparse.parse(text, strategy="rules").errors == []


class TestCoverage:
    def test_unanswered_question_is_an_error(self) -> None:
        """Question 3 without an answer is coverage.unanswered, listing 3."""
        layout, letter = _build([["1"], ["2"], ["3"]], [["1"], ["2"]])
        found = [f for f in check_coverage(layout, letter) if f.code == "coverage.unanswered"]
        assert [f.numbers for f in found] == [["3"]]

    def test_answer_to_unasked_question_is_an_error(self) -> None:
        """An answer to question 9 that nobody asked is coverage.unasked."""
        layout, letter = _build([["1"]], [["1"], ["9"]])
        assert [f.numbers for f in check_coverage(layout, letter) if f.code == "coverage.unasked"] == [["9"]]

    def test_answered_twice(self) -> None:
        """Two answers to question 1 are coverage.answered_twice."""
        layout, letter = _build([["1"]], [["1"], ["1"]])
        assert "coverage.answered_twice" in _codes(check_coverage(layout, letter))

    def test_grouped_answer_is_information(self) -> None:
        """'Antwoord 2 en 3' is coverage.grouped (info) and nothing else."""
        layout, letter = _build([["1"], ["2", "3"]], [["1"], ["2", "3"]])
        found = check_coverage(layout, letter)
        assert _codes(found) == {"coverage.grouped"}

    def test_questions_only_without_questions_is_empty(self) -> None:
        """A letter read as questions only but holding no question was not read at all: coverage.empty."""
        layout, letter = _build([["1"]], [["1"]])
        empty = letter.model_copy(update={"kind": "questions_only", "questions": [], "answers": []})
        assert "coverage.empty" in _codes(check_coverage(layout, empty))

    def test_notice_expects_no_answers(self) -> None:
        """A notice letter with an answer reports coverage.notice_answers."""
        layout, letter = _build([["1"]], [["1"]])
        notice = letter.model_copy(update={"kind": "notice"})
        assert _codes(check_coverage(layout, notice)) == {"coverage.notice_answers"}


class TestGrounding:
    def test_text_cut_from_span_passes(self) -> None:
        """Items whose text is what their span holds give no grounding finding."""
        layout, letter = _build([["1"]], [["1"]])
        assert check_grounding(layout, letter) == []

    def test_text_not_in_span_is_an_error(self) -> None:
        """An answer whose text was changed after cutting is grounding.text."""
        layout, letter = _build([["1"]], [["1"]])
        forged = letter.answers[0].model_copy(update={"text": "Nee, dat is niet zo."})
        bad = letter.model_copy(update={"answers": [forged]})
        assert _codes(check_grounding(layout, bad)) == {"grounding.text"}

    def test_span_outside_text_and_overlap(self) -> None:
        """A span past the end is grounding.span; two overlapping items are grounding.order."""
        layout, letter = _build([["1"], ["2"]], [["1"], ["2"]])
        n = len(layout.document.text)
        outside = letter.answers[1].model_copy(update={"span": (n - 2, n + 50)})
        overlap = letter.answers[0].model_copy(update={"span": letter.questions[1].span})
        bad = letter.model_copy(update={"answers": [overlap, outside]})
        assert {"grounding.span", "grounding.order"} <= _codes(check_grounding(layout, bad))


class TestCompleteness:
    def test_skipped_text_between_items_is_reported(self) -> None:
        """Dropping question 2 leaves its body text unassigned: completeness.unassigned."""
        layout, letter = _build([["1"], ["2"], ["3"]], [["1"], ["2"], ["3"]])
        bad = letter.model_copy(update={"questions": [letter.questions[0], letter.questions[2]]})
        found = [f for f in check_completeness(layout, bad) if f.code == "completeness.unassigned"]
        assert found
        assert found[0].span is not None
        assert "vraag 2" in layout.document.text[found[0].span[0] : found[0].span[1]]


class TestMetadata:
    def test_reference_shape_and_date_order(self) -> None:
        """A malformed case number warns; an answer received before submission is an error; neither the case
        number nor the dates are the ones the letter prints beside their words, which is an error too."""
        import datetime as dt

        layout, letter = _build([["1"]], [["1"]])
        bad = letter.model_copy(update={"reference": "2024X123", "submitted_on": dt.date(2024, 3, 1),
                                        "received_on": dt.date(2024, 2, 1)})
        found = {f.code: f.severity for f in check_metadata(layout, bad)}
        assert found == {"metadata.reference": llmparse.Severity.WARNING,
                         "metadata.dates": llmparse.Severity.ERROR,
                         "metadata.reference_anchor": llmparse.Severity.ERROR,
                         "metadata.dates_anchor": llmparse.Severity.ERROR}

    def test_printed_dates_pass(self) -> None:
        """The submission date printed beside "ingezonden" raises nothing; leaving it out is an error."""
        import datetime as dt

        layout, letter = _build([["1"]], [["1"]])
        right = letter.model_copy(update={"submitted_on": dt.date(2024, 3, 1)})
        assert "metadata.dates_anchor" not in _codes(check_metadata(layout, right))
        assert "metadata.dates_anchor" in _codes(check_metadata(layout, letter))

    def test_missing_askers_warns(self) -> None:
        """A letter without askers gets metadata.askers."""
        layout, letter = _build([["1"]], [["1"]])
        assert "metadata.askers" in _codes(check_metadata(layout, letter.model_copy(update={"askers": []})))


def test_run_checks_orders_errors_first() -> None:
    """run_checks returns errors, then warnings, then info."""
    layout, letter = _build([["5"], ["6", "7"]], [["6", "7"]])
    order = [f.severity for f in run_checks(layout, letter)]
    rank = {llmparse.Severity.ERROR: 0, llmparse.Severity.WARNING: 1, llmparse.Severity.INFO: 2}
    assert order == sorted(order, key=rank.__getitem__)
    assert order[0] is llmparse.Severity.ERROR


def test_readme_lists_every_code() -> None:
    """The README's check table lists exactly the codes and severities of llmparse.CODES."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"(?m)^\| `([a-z_.]+)` \| (error|warning|info) \|", readme))
    assert rows == {code: sev.value for code, (sev, _) in CODES.items()}


numbers = st.integers(min_value=1, max_value=30)


@settings(max_examples=200, deadline=None)
@given(asked=st.lists(numbers, min_size=1, max_size=12, unique=True),
       answered=st.lists(numbers, min_size=1, max_size=12, unique=True))
def test_coverage_matches_set_arithmetic(asked: list[int], answered: list[int]) -> None:
    """coverage.unanswered and coverage.unasked list exactly the set differences, in numeric order."""
    layout, letter = _build([[str(n)] for n in asked], [[str(n)] for n in answered])
    found = {f.code: f.numbers for f in check_coverage(layout, letter)}
    missing = sorted(set(asked) - set(answered))
    extra = sorted(set(answered) - set(asked))
    assert found.get("coverage.unanswered", []) == [str(n) for n in missing]
    assert found.get("coverage.unasked", []) == [str(n) for n in extra]


@settings(max_examples=200, deadline=None)
@given(count=st.integers(min_value=1, max_value=15), drop=st.data())
def test_numbering_gap_finds_every_dropped_number(count: int, drop: st.DataObject) -> None:
    """Dropping any inner questions (and their answers) from 1..n is reported as exactly those gaps."""
    full = list(range(1, count + 1))
    kept = [n for n in full if n in (1, count) or drop.draw(st.booleans(), label=f"keep {n}")]
    layout, letter = _build([[str(n)] for n in kept], [[str(n)] for n in kept])
    gaps = [f.numbers for f in check_numbering(layout, letter) if f.code == "numbering.gap"]
    missing = [str(n) for n in full if n not in kept]
    assert gaps == ([missing] if missing else [])


@settings(max_examples=100, deadline=None)
@given(asked=st.lists(numbers, min_size=1, max_size=8, unique=True))
def test_checks_never_change_the_letter(asked: list[int]) -> None:
    """Running the checks leaves the letter exactly as it was."""
    layout, letter = _build([[str(n)] for n in asked], [[str(n)] for n in asked[::2]])
    before = letter.model_dump()
    run_checks(layout, letter)
    assert letter.model_dump() == before
