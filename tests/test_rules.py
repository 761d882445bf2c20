"""The rules extractor's judgement calls, on short letters written here."""

from __future__ import annotations

import llmparse

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
