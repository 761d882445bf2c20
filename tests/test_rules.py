"""The rules extractor's judgement calls, on short letters written here."""

from __future__ import annotations

import llmparse

from .conftest import LETTERS

LETTER = """Vragen van het lid Smit (VVD) aan de Minister van Financiën over de begroting (ingezonden 1 mei 2025).
Antwoord van Minister Koster (Financiën) (ontvangen 20 mei 2025).
Vraag 1
Wat doet de minister?
Antwoord 1
Het kabinet heeft besloten dat
De minister van Financiën een voorstel doet
aan de Kamer in het najaar. Daarna volgt de behandeling.
"""


def test_a_sentence_opening_with_de_minister_stays_in_the_answer() -> None:
    """A wrapped line "De minister van ..." inside the last answer is text, not a signature."""
    answer = llmparse.parse(LETTER, strategy="rules").letter.answers[0]
    assert answer.text.endswith("Daarna volgt de behandeling.")


def test_a_signature_after_the_last_answer_ends_it() -> None:
    """A closing "De minister van Financiën," with the signed name is left out of the last answer."""
    result = llmparse.parse(LETTER + "\nDe minister van Financiën,\n\nA.B. Koster\n", strategy="rules")
    assert result.letter.answers[0].text.endswith("Daarna volgt de behandeling.")
    assert result.errors == []


BARE = """Antwoorden van de minister van Financiën op vragen van het lid Smit (VVD) over de begroting.
Vraag
Wat kost het plan?
Antwoord 1
Tien miljoen euro.
Vraag
Wanneer begint het?
Antwoord 2
In januari.
"""


def test_bare_vraag_headings_take_their_answers_numbers_with_a_finding() -> None:
    """Questions under a bare "Vraag" take the numbers their answers print, and a warning says so."""
    result = llmparse.parse(BARE, strategy="rules")
    assert [q.numbers for q in result.letter.questions] == [["1"], ["2"]]
    assert [q.text for q in result.letter.questions] == ["Wat kost het plan?", "Wanneer begint het?"]
    assert [f.code for f in result.findings if f.code == "numbering.assigned"] == ["numbering.assigned"]
    assert result.errors == []


def test_numbered_vraag_headings_give_no_assigned_finding() -> None:
    """A letter that prints its question numbers gets no numbering.assigned finding from the rules."""
    result = llmparse.parse(LETTER, strategy="rules")
    assert all(f.code != "numbering.assigned" for f in result.findings)


def test_an_antwoorden_section_label_raises_no_error() -> None:
    """A letter whose answers stand under an "Antwoorden" section label parses without an error finding."""
    result = llmparse.parse(LETTERS / "syn41-antwoorden-section-label.pdftotext.txt", strategy="rules")
    assert [a.numbers for a in result.letter.answers] == [["1"], ["2"]]
    assert result.errors == []


QUESTIONS_ONLY = """Vragen van het lid Smit (VVD) aan de Minister van Financiën over vergunningen (ingezonden 1 mei).
Vraag 1
Hoeveel vergunningen zijn dit jaar ingetrokken?
Vraag 2
Waarom worden de vragen van ondernemers over intrekking niet beantwoord?
"""


def test_a_question_about_withdrawal_is_no_withdrawal_notice() -> None:
    """Withdrawal wording inside a question (it asks) leaves a questions-only letter questions-only, with both
    questions whole."""
    letter = llmparse.parse(QUESTIONS_ONLY, strategy="rules").letter
    assert letter.kind == "questions_only"
    assert [q.numbers for q in letter.questions] == [["1"], ["2"]]
    assert letter.questions[1].text.endswith("niet beantwoord?")


def test_a_withdrawal_after_the_questions_is_a_notice_not_their_text() -> None:
    """A sentence saying the questions were withdrawn, right after the last question, opens the notice."""
    text = QUESTIONS_ONLY + "Het lid Smit trekt de vragen in. Zij worden daarom niet beantwoord.\n"
    letter = llmparse.parse(text, strategy="rules").letter
    assert letter.kind == "notice"
    assert letter.questions[1].text.endswith("niet beantwoord?")
    assert letter.answers == []
