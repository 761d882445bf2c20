"""Metadata rules: askers, respondents, case number, dates and subject, on front matter written here."""

from __future__ import annotations

import datetime as dt

import pytest

import llmparse
from llmparse._extraction._metadata import parse_dutch_date

HEADER = """Tweede Kamer der Staten-Generaal
Vergaderjaar 2024–2025 Aanhangsel van de Handelingen
Vragen gesteld door de leden der Kamer, met de daarop door de
regering gegeven antwoorden
777
{askers} aan de Minister van Financiën over het bericht «Een mooi
bericht» (ingezonden 6 maart 2024).
{respondents} (ontvangen
25 maart 2024).
Vraag 1
Kent u het bericht?
Antwoord 1
Ja.
"""


def _letter(askers: str, respondents: str = "Antwoord van Minister Jansen (Financiën)") -> llmparse.Letter:
    return llmparse.parse(HEADER.format(askers=askers, respondents=respondents), strategy="rules").letter


@pytest.mark.parametrize(
    ("printed", "people"),
    [
        ("Vragen van het lid Van Nispen (SP)", [("Van Nispen", "SP")]),
        ("Vragen van de leden Tseggai en Maatoug (beiden GroenLinks-PvdA)",
         [("Tseggai", "GroenLinks-PvdA"), ("Maatoug", "GroenLinks-PvdA")]),
        ("Vragen van de leden Anna de Vries , Bakker (beiden CDA) en Smits (Nieuw Sociaal Contract)",
         [("Anna de Vries", "CDA"), ("Bakker", "CDA"), ("Smits", "Nieuw Sociaal Contract")]),
        ("Vragen van de leden Paternotte (D66) en Boswijk (CDA)", [("Paternotte", "D66"), ("Boswijk", "CDA")]),
        ("Vragen van het lid Hoekstra-van den Berg(PVV)", [("Hoekstra-van den Berg", "PVV")]),
        ("Vraag van het lid MariekeJansen (PVV)", [("Marieke Jansen", "PVV")]),
    ],
    ids=["one", "beiden", "mixed", "two-parties", "no-space-before-party", "glued-first-name"],
)
def test_askers(printed: str, people: list[tuple[str, str]]) -> None:
    """Askers come with their parties; '(beiden X)' gives every member before it party X."""
    assert [(p.name, p.party) for p in _letter(printed).askers] == people


@pytest.mark.parametrize(
    ("printed", "names"),
    [
        ("Antwoord van Minister De Jonge (Binnenlandse Zaken en Koninkrijksrelaties)", ["De Jonge"]),
        ("Antwoord van staatssecretaris Van Huffelen (Binnenlandse Zaken)", ["Van Huffelen"]),
        ("Antwoord van Minister Van Dam (Justitie en Veiligheid) en antwoord van Staatssecretaris Kramer "
         "(Justitie en Veiligheid)", ["Van Dam", "Kramer"]),
        ("Antwoord van Minister Veldkamp (Buitenlandse Zaken), mede namens de Minister van Defensie",
         ["Veldkamp"]),
        ("Mededeling van Minister Hoekstra – van den Berg (Asiel en Migratie)", ["Hoekstra – van den Berg"]),
    ],
    ids=["minister", "staatssecretaris", "two", "mede-namens", "notice"],
)
def test_respondents(printed: str, names: list[str]) -> None:
    """Respondents are read from the 'Antwoord van' line; 'mede namens' co-signers are left out."""
    letter = _letter("Vragen van het lid Jansen (VVD)", printed)
    assert [p.name for p in letter.respondents] == names


def test_role_uses_the_preposition_printed_elsewhere() -> None:
    """The role is 'Minister van Financiën', built from the title and the department."""
    letter = _letter("Vragen van het lid Jansen (VVD)")
    assert letter.respondents[0].role == "Minister van Financiën"


def test_dates_reference_subject_and_publication_id() -> None:
    """Both dates, the subject and the case number are read from the header."""
    text = "2024Z 17972\n" + HEADER.format(askers="Vragen van het lid Jansen (VVD)",
                                           respondents="Antwoord van Minister Jansen (Financiën)")
    text += "\nah-tk-20242025-777\n"
    letter = llmparse.parse(text, strategy="rules").letter
    assert letter.submitted_on == dt.date(2024, 3, 6)
    assert letter.received_on == dt.date(2024, 3, 25)
    assert letter.reference == "2024Z17972"
    assert letter.subject == "Een mooi bericht"
    assert letter.publication_id == "ah-tk-20242025-777"


def test_case_number_inside_an_answer_is_not_the_reference() -> None:
    """A case number printed in an answer belongs to other questions."""
    text = HEADER.format(askers="Vragen van het lid Jansen (VVD)", respondents="Antwoord van Minister Jansen (X)")
    text = text.replace("Ja.", "Ja, zie mijn antwoord op vragen 2023Z16201.")
    assert llmparse.parse(text, strategy="rules").letter.reference is None


def test_glued_and_doubled_received_dates() -> None:
    """'(ontvangen (ontvangen 7 juni 2024)' and 'ontvangen13 augustus2024' still give the date."""
    for printed, date in (("(ontvangen (ontvangen 7 juni 2024)", dt.date(2024, 6, 7)),
                          ("(ontvangen13 augustus2024)", dt.date(2024, 8, 13))):
        text = f"Vragen van het lid Jansen (VVD).\nAntwoord van Minister Smit (Financiën) {printed}\n"
        text += "Vraag 1\nKent u het?\nAntwoord 1\nJa.\n"
        assert llmparse.parse(text, strategy="rules").letter.received_on == date


@pytest.mark.parametrize(
    ("parts", "date"),
    [(("6", "maart", "2024"), dt.date(2024, 3, 6)), (("31", "februari", "2024"), None),
     (("1", "Januari", "2020"), dt.date(2020, 1, 1))],
    ids=["ok", "impossible", "capitalised"],
)
def test_parse_dutch_date(parts: tuple[str, str, str], date: dt.date | None) -> None:
    """Dutch dates parse; impossible ones give None rather than an exception."""
    assert parse_dutch_date(*parts) == date
