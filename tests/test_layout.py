"""Layout: headings, number lists, page furniture and footnote blocks, on short texts written here."""

from __future__ import annotations

import pytest

from llmparse._document import load_document
from llmparse._layout import Layout, Role, parse_numbers, read_layout


def _layout(text: str) -> Layout:
    return read_layout(load_document(text))


def _role_of(layout: Layout, needle: str) -> Role:
    doc = layout.document
    for i, line in enumerate(doc.lines):
        if needle in doc.text[line.start : line.end]:
            return layout.lines[i].role
    raise AssertionError(f"{needle!r} not found")


@pytest.mark.parametrize(
    ("printed", "numbers"),
    [
        ("3", ("3",)),
        ("3, 4 en 5", ("3", "4", "5")),
        ("4 t/m 7", ("4", "5", "6", "7")),
        ("4-7", ("4", "5", "6", "7")),
        ("2 tot en met 4", ("2", "3", "4")),
        ("1,2,3,4 en 5", ("1", "2", "3", "4", "5")),
        ("7, 8, 9 10 en 11", ("7", "8", "9", "10", "11")),
        ("2a", ("2a",)),
        ("2l en 3l", ("2l", "3l")),
        ("1 en 4", ("1", "4")),
    ],
    ids=["one", "list", "t/m", "hyphen", "tot-en-met", "no-spaces", "missing-comma", "sub-label", "sub-labels",
         "out-of-order"],
)
def test_parse_numbers(printed: str, numbers: tuple[str, ...]) -> None:
    """Printed number lists are read with ranges expanded and sub-labels kept."""
    assert parse_numbers(printed) == numbers


@pytest.mark.parametrize(
    ("line", "kind", "numbers"),
    [
        ("Vraag 1", "question", ("1",)),
        ("Vraag 2 en 3", "question", ("2", "3")),
        ("Antwoord 4", "answer", ("4",)),
        ("Antwoord", "answer", ()),
        ("Antwoord:", "answer", ()),
        ("Antwoord op vraag 2", "answer", ("2",)),
        ("Antwoorden op vraag 3, 4, 5, 9 en 10", "answer", ("3", "4", "5", "9", "10")),
        ("Antwoord vraag 4 t/m 15", "answer", ("4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15")),
        ("Antwoord vraag 4-7:", "answer", ("4", "5", "6", "7")),
        ("Antwoord vragen 1,2,3,4 en 5", "answer", ("1", "2", "3", "4", "5")),
        ("Antwoorden 5 en 6", "answer", ("5", "6")),
        ("Mededeling", "notice", ()),
        ("Vraag", "question", ()),
        ("Vraag:", "question", ()),
        ("Antwoord l", "answer", ("1",)),
        ("Vraag l2", "question", ("12",)),
        ("Antwoord 2l", "answer", ("2l",)),
        ("12", "number", ("12",)),
        ("3. Kunt u aangeven waarom?", "numbered", ("3",)),
    ],
    ids=lambda v: str(v),
)
def test_headings(line: str, kind: str, numbers: tuple[str, ...]) -> None:
    """Each printed heading form is recognised with its numbers."""
    layout = _layout(f"Inleiding.\n{line}\nTekst.\n")
    heading = layout.lines[1].heading
    assert heading is not None
    assert (heading.kind, heading.numbers) == (kind, numbers)


@pytest.mark.parametrize(
    "line",
    ["Antwoord van Minister Jansen (Financiën) (ontvangen 3 maart 2024)", "Vraag het aan de minister.",
     "Vraagt u zich af waarom?"],
    ids=["respondent-line", "sentence", "verb"],
)
def test_not_headings(line: str) -> None:
    """Sentences that merely start with Vraag or Antwoord are no headings."""
    assert _layout(f"Inleiding.\n{line}\n").lines[1].heading is None


def test_footer_glued_to_heading_is_split_off() -> None:
    """'...Aanhangsel 2Antwoord 5 en 6' is furniture followed by a real heading on the same line."""
    text = ("Vraag 5 en 6\nWaarom is dat zo?\n"
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 2Antwoord 5 en 6\nOmdat het zo is.\n")
    layout = _layout(text)
    info = layout.lines[2]
    assert info.heading is not None
    assert (info.heading.kind, info.heading.numbers) == ("answer", ("5", "6"))
    assert layout.document.text[info.start :].startswith("Antwoord 5 en 6")


def test_ocr_footer_on_one_line_is_furniture() -> None:
    """An OCR'd footer (ASCII quote, capital S, spaced page number) on one line is furniture, page number too."""
    text = "Antwoord 1\nJa.\n'S-Gravenhage 2025    Tweede Kamer , vergaderjaar 2024-2025, Aanhangsel    3\n"
    assert _role_of(_layout(text), "Gravenhage") is Role.FURNITURE


def test_antwoorden_section_label_is_no_heading() -> None:
    """A bare "Antwoorden" right above a numbered answer heading is a section label (furniture)."""
    layout = _layout("Vraag 1\nKlopt dat?\n\nAntwoorden\n\nAntwoord op vraag 1\nJa.\n")
    assert _role_of(layout, "Antwoorden") is Role.FURNITURE
    bare = _layout("Vraag 1 en 2\nKlopt dat? En dit?\n\nAntwoorden\nJa, beide.\n")
    assert _role_of(bare, "Antwoorden") is Role.BODY  # a bare heading above its text still heads an answer


def test_page_furniture_lines() -> None:
    """Publication ids, ISSN lines, running footers, page rules and page numbers are furniture."""
    text = ("Vraag 1\nKlopt dat?\n\nah-tk-20232024-1234\nISSN 0921 - 7398\n’s-Gravenhage 2024\n"
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel\n\n1\n\f-----\nAntwoord 1\nJa.\n")
    layout = _layout(text)
    for needle in ("ah-tk-20232024-1234", "ISSN", "’s-Gravenhage", "vergaderjaar", "-----"):
        assert _role_of(layout, needle) is Role.FURNITURE, needle
    page_number = next(i for i, ln in enumerate(layout.document.lines)
                       if layout.document.text[ln.start : ln.end] == "1")
    assert layout.lines[page_number].role is Role.FURNITURE


def test_footnote_block_at_page_bottom() -> None:
    """Footnotes glued to their markers above the page footer form blocks, in marker order."""
    text = ("Vraag 1\nKent u het bericht?1\nAntwoord 1\nJa, dat bericht2 ken ik en het gaat over \n"
            "1NOS, 3 januari 2024, «Een bericht».\n2Kamerstuk 36 000, nr. 12.\n"
            "ah-tk-20232024-1234\nISSN 0921 - 7398’s-Gravenhage 2024Tweede Kamer, vergaderjaar 2023–2024, "
            "Aanhangsel 1\fde begroting.\n")
    layout = _layout(text)
    blocks = [(b.marker, layout.document.text[b.start : b.end]) for b in layout.footnotes]
    assert blocks == [("1", "NOS, 3 januari 2024, «Een bericht»."), ("2", "Kamerstuk 36 000, nr. 12.")]
    assert _role_of(layout, "de begroting.") is Role.BODY


def test_marker_at_line_start_inside_answer_is_not_a_footnote() -> None:
    """'2 Dit is ...' inside an answer stays body when the real footnote 2 is printed at the page bottom."""
    text = ("Vraag 1\nKent u het bericht?1\nAntwoord 1\nJa.\n1NOS, 2 januari 2024.\n"
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 1\f"
            "Vraag 2\nWat kost het?\nAntwoord 2\nHet bedrag staat in de brief\n2 Dit is het bedrag van 2022.\n"
            "Meer weet ik niet.\n2Kamerstuk 36 000, nr. 12.\n"
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 2\n")
    layout = _layout(text)
    assert [(b.marker, layout.document.text[b.start : b.end]) for b in layout.footnotes] == [
        ("1", "NOS, 2 januari 2024."), ("2", "Kamerstuk 36 000, nr. 12.")]
    assert _role_of(layout, "2 Dit is het bedrag") is Role.BODY
    assert _role_of(layout, "Meer weet ik niet.") is Role.BODY


def test_footnote_interrupting_a_sentence_without_footer() -> None:
    """A ministry PDF's footnote block between two halves of a sentence is cut out; the sentence goes on."""
    text = ("Vraag 1\nKunt u een overzicht geven van de stappen die zijn genomen met\n\n"
            "1 Rapport van de commissie, 4 juni 2019.\n"
            " dit land in het kader van de afspraken?\n\nAntwoord\nJa.\n")
    layout = _layout(text)
    assert [(b.marker, layout.document.text[b.start : b.end]) for b in layout.footnotes] == [
        ("1", "Rapport van de commissie, 4 juni 2019.")]
    assert _role_of(layout, "dit land in het kader") is Role.BODY


def test_cut_leaves_out_furniture_and_footnotes() -> None:
    """Layout.cut of a range spanning a page break keeps only the body text, joined."""
    text = ("Antwoord 1\nHet eerste deel van het\n1Een voetnoot, 2024.\n"
            "Tweede Kamer, vergaderjaar 2023–2024, Aanhangsel 1\ftweede deel.\n")
    layout = _layout(text)
    start = text.index("Het eerste")
    end = text.index("deel.\n") + len("deel.")
    assert layout.cut(start, end) == "Het eerste deel van het tweede deel."


def test_footnotes_run_onto_a_paragraphs_end_are_footnote_blocks() -> None:
    """Paragraph text with its footnotes set off by a space after the sentence: the line's content ends before
    them, and each footnote is its own block, split at the next marker in sequence."""
    text = ("Kent u het bericht «Minder veerponten»? 1 Omroep West, 3 mei 2024. 2 Kamerstuk 31 305, nr. 9.\n\n"
            "Wat gaat u doen?\n\nIk ga in gesprek met de provincies.\n")
    layout = _layout(text)
    assert layout.content(0) == "Kent u het bericht «Minder veerponten»?"
    blocks = [(b.marker, text[b.start : b.end]) for b in layout.footnotes]
    assert blocks == [("1", "Omroep West, 3 mei 2024."), ("2", "Kamerstuk 31 305, nr. 9.")]
    assert layout.cut(layout.footnotes[1].start, layout.footnotes[1].end, role=Role.FOOTNOTE) == (
        "Kamerstuk 31 305, nr. 9.")


def test_two_bracketed_footnotes_on_one_line_are_split() -> None:
    """A footnote line that holds the next bracketed marker too ("...[3] https://...") gives two blocks, so the
    numbering goes on and no footnote swallows the next."""
    text = ("Vraag 1\nKent u de berichten?[1] [2] [3]\nAntwoord 1\nJa.\n\n"
            "[1] https://www.nu.nl/a\n[2] https://www.nos.nl/b[3] https://www.ad.nl/c\n"
            "[4] Kamerstuk II 28 286, nr. 1\n")
    layout = _layout(text)
    assert [(b.marker, text[b.start : b.end]) for b in layout.footnotes] == [
        ("1", "https://www.nu.nl/a"), ("2", "https://www.nos.nl/b"), ("3", "https://www.ad.nl/c"),
        ("4", "Kamerstuk II 28 286, nr. 1")]


def test_sidebar_of_a_word_letterhead_is_furniture() -> None:
    """The letterhead's directorate, address, website, phone and reply instruction are furniture."""
    lines = ["Directoraat-Generaal Mobiliteit", "Rijnstraat 8", "2515 XP  Den Haag", "Postbus 20901",
             "www.rijksoverheid.nl/ienw", "T 070 456 78 90", "Contactpersoon",
             "Bij beantwoording de datum en ons kenmerk vermelden. Wilt u slechts één zaak in uw brief behandelen.",
             "> Retouradres Postbus 20401 2500 EK  Den Haag", "Datum: 12 maart 2025", "- 2 -"]
    layout = _layout("\n".join([*lines, "Vraag 1", "Kent u het bericht?"]))
    assert [layout.lines[i].role for i in range(len(lines))] == [Role.FURNITURE] * len(lines)
    assert layout.lines[len(lines) + 1].role is Role.BODY
