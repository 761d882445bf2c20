"""The Document stage: reading sources, normalising text, and the line index with its pages."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmparse import BinaryInputError, EmptyInputError, InputError, InputTooLargeError, LLMParseError
from llmparse._document import Document, Line, load_document, normalise, read_source

LETTER = "Vraag 1\nIs de beëindiging van de regeling al besloten?\n\nAntwoord 1\nNee, nog niet.\n"


class _PathLike(os.PathLike[str]):
    """A path-like that is not a pathlib.Path, to show any os.PathLike is read from disk."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __fspath__(self) -> str:
        return str(self._path)


def _texts(doc: Document) -> list[str]:
    return [doc.line_text(i) for i in range(len(doc.lines))]


# --- sources -----------------------------------------------------------------------------------------------


def test_str_source_is_the_text() -> None:
    """A str source is taken as the letter's text itself and named "<str>"."""
    doc = load_document(LETTER)
    assert doc.text == LETTER
    assert doc.source == "<str>"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(LETTER.encode("utf-8"), id="bytes"),
        pytest.param(bytearray(LETTER.encode("utf-8")), id="bytearray"),
        pytest.param(memoryview(LETTER.encode("utf-8")), id="memoryview"),
    ],
)
def test_bytes_like_sources_are_decoded(data: bytes | bytearray | memoryview) -> None:
    """bytes, bytearray and memoryview sources are decoded and named "<bytes>"."""
    doc = load_document(data)
    assert doc.text == LETTER
    assert doc.source == "<bytes>"


@pytest.mark.parametrize("suffix", [".txt", ".md", ".TXT", ""], ids=["txt", "md", "upper-txt", "no-suffix"])
def test_path_source_is_read_from_disk(tmp_path: Path, suffix: str) -> None:
    """A pathlib.Path to a text file is read, and the document is named by the path."""
    path = tmp_path / f"brief{suffix}"
    path.write_bytes(LETTER.encode("utf-8"))
    doc = load_document(path)
    assert doc.text == LETTER
    assert doc.source == str(path)


def test_any_pathlike_is_read_from_disk(tmp_path: Path) -> None:
    """Any os.PathLike, not only pathlib.Path, is read from disk."""
    path = tmp_path / "brief.txt"
    path.write_text(LETTER, encoding="utf-8")
    doc = load_document(_PathLike(path))
    assert doc.text == LETTER
    assert doc.source == str(path)


def test_unknown_source_type_is_a_type_error() -> None:
    """A source that is neither text, bytes nor a path is a programming error (TypeError), not an InputError."""
    with pytest.raises(TypeError, match="int"):
        load_document(42)  # type: ignore[arg-type]


# --- decoding ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("beëindiging van de subsidie".encode(), id="utf8"),
        pytest.param("\ufeffbeëindiging van de subsidie".encode(), id="utf8-bom"),
        pytest.param("beëindiging van de subsidie".encode("utf-8-sig"), id="utf8-sig"),
        pytest.param("beëindiging van de subsidie".encode("cp1252"), id="cp1252"),
        pytest.param("beëindiging van de subsidie".encode("utf-16"), id="utf16-bom-native"),
        pytest.param(b"\xff\xfe" + "beëindiging van de subsidie".encode("utf-16-le"), id="utf16-le-bom"),
        pytest.param(b"\xfe\xff" + "beëindiging van de subsidie".encode("utf-16-be"), id="utf16-be-bom"),
    ],
)
def test_encodings_decode_to_the_same_text(data: bytes) -> None:
    """UTF-8 with or without BOM, cp1252 and UTF-16 with a BOM all decode to the same text, BOM dropped."""
    assert load_document(data).text == "beëindiging van de subsidie"


def test_cp1252_specific_characters_decode() -> None:
    """cp1252-only characters (euro sign, curly quotes, en dash) are decoded as cp1252, not Latin-1."""
    text = "De kosten – circa €\u00a05 miljoen – zijn ‘voorlopig’ geraamd."
    assert load_document(text.encode("cp1252")).text == text


def test_utf16_without_bom_is_binary() -> None:
    """UTF-16 without a byte order mark holds NUL bytes and is refused as binary."""
    with pytest.raises(BinaryInputError):
        load_document("Vraag 1\nWaarom?".encode("utf-16-le"))


def test_bom_is_dropped_from_str_source() -> None:
    """A byte order mark at the start of a str source is dropped as well."""
    assert load_document("\ufeffVraag 1\nWaarom?").text == "Vraag 1\nWaarom?"


# --- line endings and pages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("Vraag 1\nWaarom?\nAntwoord 1\nDaarom.", id="lf"),
        pytest.param("Vraag 1\r\nWaarom?\r\nAntwoord 1\r\nDaarom.", id="crlf"),
        pytest.param("Vraag 1\rWaarom?\rAntwoord 1\rDaarom.", id="cr"),
        pytest.param("Vraag 1\r\nWaarom?\rAntwoord 1\nDaarom.", id="mixed"),
    ],
)
def test_line_endings_become_newlines(raw: str) -> None:
    """\\r\\n and lone \\r line endings become \\n, giving the same lines as \\n input."""
    doc = load_document(raw)
    assert doc.text == "Vraag 1\nWaarom?\nAntwoord 1\nDaarom."
    assert _texts(doc) == ["Vraag 1", "Waarom?", "Antwoord 1", "Daarom."]


def test_crlf_bytes_become_newlines() -> None:
    """Windows line endings in bytes (here cp1252) become \\n as well."""
    doc = load_document("Vraag 1\r\nIs de beëindiging besloten?\r\n".encode("cp1252"))
    assert doc.text == "Vraag 1\nIs de beëindiging besloten?\n"


def test_form_feed_ends_a_line_and_a_page() -> None:
    """A form feed stays in the text, ends the line like \\n, and the next line is on the next page."""
    doc = load_document("eerste pagina\fpagina twee\nnog steeds twee\fpagina drie")
    assert "\f" in doc.text
    assert _texts(doc) == ["eerste pagina", "pagina twee", "nog steeds twee", "pagina drie"]
    assert [ln.page for ln in doc.lines] == [0, 1, 1, 2]
    assert doc.pages == 3


@pytest.mark.parametrize("rule", ["-----", "---", "  ----------  ", "\t-----"], ids=["five", "three", "spaced", "tab"])
def test_markdown_rule_advances_the_page(rule: str) -> None:
    """A line of three or more dashes (a markdown page rule) ends the page; the line after it is on the next."""
    doc = load_document(f"pagina een\n{rule}\npagina twee\n{rule}\npagina drie")
    assert [ln.page for ln in doc.lines] == [0, 0, 1, 1, 2]
    assert doc.pages == 3


@pytest.mark.parametrize(
    "line",
    ["- een opsommingsteken", "--", "tekst ----- tekst", "-----a"],
    ids=["bullet", "two-dashes", "dashes-inside", "dashes-then-text"],
)
def test_dashes_that_are_not_a_rule_keep_the_page(line: str) -> None:
    """Dashes that are not a line of three or more dashes alone do not start a new page."""
    doc = load_document(f"eerste regel\n{line}\nlaatste regel")
    assert [ln.page for ln in doc.lines] == [0, 0, 0]
    assert doc.pages == 1


def test_single_page_document() -> None:
    """A document without form feeds or page rules has one page."""
    assert load_document("Vraag 1\nWaarom?").pages == 1


# --- normalisation -----------------------------------------------------------------------------------------


def test_decomposed_accents_become_nfc() -> None:
    """A decomposed e + combining acute becomes the single character é (NFC)."""
    doc = load_document("Cafe\u0301 en ree\u0308el")
    assert doc.text == "Café en reëel"
    assert unicodedata.is_normalized("NFC", doc.text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("minister Kostic \u00b4 zei", "minister Kostić zei", id="spaced-acute"),
        pytest.param("Kostic \u00b4.", "Kostić.", id="spaced-acute-before-punctuation"),
        pytest.param("Kostic \u00b4", "Kostić", id="spaced-acute-at-end"),
        pytest.param("minister Yes\u00b8ilgöz", "minister Yeşilgöz", id="cedilla"),
        pytest.param("Franc\u00b8ois", "François", id="cedilla-c"),
    ],
)
def test_broken_pdf_accents_are_joined(raw: str, expected: str) -> None:
    """Spacing accents that PDF extraction leaves beside their letter are joined to it."""
    assert load_document(raw).text == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("de auto\u00b4s en foto\u00b4s", id="apostrophe-acute"),
        pytest.param("een ´los´ accent", id="acute-as-quote"),
        pytest.param("prijs: ¸ 5", id="lone-cedilla-after-space"),
    ],
)
def test_acute_used_as_apostrophe_is_left_alone(text: str) -> None:
    """An acute accent used as an apostrophe or quote, and a cedilla after no letter, stay as they are."""
    assert load_document(text).text == text


def test_control_characters_become_spaces() -> None:
    """A stray control character inside text becomes a space; tabs, newlines and form feeds are kept."""
    doc = load_document("Vraag\x071\tWaarom?\nAntwoord\fDaarom.")
    assert doc.text == "Vraag 1\tWaarom?\nAntwoord\fDaarom."


def test_mostly_control_characters_is_binary() -> None:
    """Text that is mostly control characters is refused as binary data."""
    with pytest.raises(BinaryInputError):
        load_document("\x01\x02\x03\x04" * 200 + "Vraag 1")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty-str"),
        pytest.param(" \n\t\r\n\f ", id="whitespace-str"),
        pytest.param(b"", id="empty-bytes"),
        pytest.param(b"\xef\xbb\xbf", id="bom-only"),
    ],
)
def test_empty_sources(source: str | bytes) -> None:
    """A source with no text, only whitespace or only a BOM raises EmptyInputError."""
    with pytest.raises(EmptyInputError):
        load_document(source)


def test_max_chars_boundary() -> None:
    """A text of exactly max_chars characters is read, one more character is too large."""
    assert load_document("x" * 100, max_chars=100).text == "x" * 100
    with pytest.raises(InputTooLargeError):
        load_document("x" * 101, max_chars=100)


def test_read_source_returns_raw_text_and_name(tmp_path: Path) -> None:
    """read_source returns the decoded but not yet normalised text with the source's name."""
    path = tmp_path / "brief.txt"
    path.write_bytes(b"Vraag 1\r\nWaarom?")
    assert read_source(path) == ("Vraag 1\r\nWaarom?", str(path))
    assert read_source("a\r\nb") == ("a\r\nb", "<str>")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A path that does not exist raises InputError naming the path."""
    path = tmp_path / "bestaat-niet.txt"
    with pytest.raises(InputError, match=r"bestaat-niet\.txt") as info:
        load_document(path)
    assert info.value.source == str(path)


# --- the line index ----------------------------------------------------------------------------------------


def test_line_index_is_consistent() -> None:
    """Lines are numbered in order, cover the text between terminators, and line_at maps offsets back."""
    text = "Vraag 1\nWaarom?\n\nAntwoord 1\fDaarom.\n"
    doc = load_document(text)
    assert _texts(doc) == ["Vraag 1", "Waarom?", "", "Antwoord 1", "Daarom.", ""]
    assert [ln.index for ln in doc.lines] == list(range(6))
    assert doc.lines[0] == Line(index=0, start=0, end=7, page=0)
    assert [ln.page for ln in doc.lines] == [0, 0, 0, 0, 1, 1]
    for line in doc.lines:
        for offset in range(line.start, line.end + 1):  # the terminator belongs to the line it ends
            assert doc.line_at(offset) == line.index
    assert doc.line_at(len(text) + 10) == len(doc.lines) - 1


def test_text_without_final_newline_has_no_empty_last_line() -> None:
    """A text that does not end in a newline ends with its last non-empty line."""
    doc = load_document("een\ntwee")
    assert _texts(doc) == ["een", "twee"]
    assert doc.lines[-1].end == len(doc.text)


def test_normalised_text_is_the_indexed_text() -> None:
    """Line offsets index the normalised text, not the raw input (\\r\\n counts as one character)."""
    doc = load_document("Kostic \u00b4\r\nYes\u00b8ilgöz\r\n")
    assert _texts(doc) == ["Kostić", "Yeşilgöz", ""]


# --- properties --------------------------------------------------------------------------------------------

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Short texts dense in what normalise touches: terminators, BOMs, controls and broken accents.
_LETTERISH = st.text(alphabet=st.sampled_from("abcKRs \n\r\f\t-´¸\u0301\u0327\ufeffëé\x00\x07"), max_size=60)

# Idempotence is tested on any text, and on short texts dense in the accents, combining marks and NFC
# singletons (Kelvin sign, Greek oxia) that interact with the joins.
_IDEMPOTENT_CASES = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from("abcKRs \n\r\f\t-´¸\u0301\u0327\u1ffd\u212a\ufeffëé\x00\x07"), max_size=60),
)


def _check_lines(doc: Document) -> None:
    text = doc.text
    previous_end = -1
    for i, line in enumerate(doc.lines):
        assert line.index == i
        assert 0 <= line.start <= line.end <= len(text)
        assert line.start > previous_end, "lines overlap or are out of order"
        chunk = text[line.start : line.end]
        assert "\n" not in chunk
        assert "\f" not in chunk
        assert doc.line_at(line.start) == line.index
        previous_end = line.end
    assert doc.lines[0].start == 0
    assert doc.lines[-1].end == len(text)
    assert [ln.page for ln in doc.lines] == sorted(ln.page for ln in doc.lines)


@_SETTINGS
@given(st.text())
def test_lines_are_well_formed_for_any_text(text: str) -> None:
    """For any text load_document accepts, lines lie in the text, in order, without overlap or terminators."""
    try:
        doc = load_document(text)
    except LLMParseError:
        return
    _check_lines(doc)


@_SETTINGS
@given(_LETTERISH)
def test_lines_are_well_formed_for_letterish_text(text: str) -> None:
    """The same line properties hold for short texts dense in terminators, BOMs and broken accents."""
    try:
        doc = load_document(text)
    except LLMParseError:
        return
    _check_lines(doc)


@_SETTINGS
@given(_IDEMPOTENT_CASES)
def test_normalise_is_idempotent(text: str) -> None:
    """Normalising normalised text changes nothing."""
    once = normalise(text)
    assert normalise(once) == once


@_SETTINGS
@given(_IDEMPOTENT_CASES)
def test_loading_the_normalised_text_again_changes_nothing(text: str) -> None:
    """Loading a document's own text gives back the same text and lines (Result.text can be re-parsed)."""
    try:
        doc = load_document(text)
    except LLMParseError:
        return
    again = load_document(doc.text)
    assert again.text == doc.text
    assert again.lines == doc.lines


@_SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_load_or_raise_an_input_error(data: bytes) -> None:
    """Arbitrary bytes either load into a well-formed document or raise an LLMParseError."""
    try:
        doc = load_document(data)
    except LLMParseError:
        return
    _check_lines(doc)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\u212a \u00b4", id="kelvin-sign-spaced-acute"),
        pytest.param("\u212a\u00b8", id="kelvin-sign-cedilla"),
        pytest.param("Kostic \u1ffd", id="greek-oxia"),
        pytest.param("A \u00b4e\u0301", id="acute-before-decomposed-letter"),
        pytest.param("A \u00b4R\u00b8", id="acute-before-cedilla-letter"),
    ],
)
def test_normalise_is_idempotent_on_accent_edge_cases(text: str) -> None:
    """Normalising is idempotent even where NFC or a joined accent changes the letters around an accent."""
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("de burge-\nmeester van Delft", "de burgemeester\nvan Delft"),
        ("eind decem-\nber\nVraag 2", "eind december\nVraag 2"),
        ("de ge-\nmeenten, en", "de gemeenten,\nen"),
        ("in Neder- land", "in Nederland"),
        ("de land- en tuinbouw", "de land- en tuinbouw"),
        ("Noord-\nHolland", "Noord-\nHolland"),
        ("COVID-\n19", "COVID-\n19"),
        ("(https://www.nu.nl/zwarte-\npieten)", "(https://www.nu.nl/zwarte-\npieten)"),
        ("het mbo en mbo-\nstudenten", "het mbo en mbo-\nstudenten"),
    ],
    ids=["line-end", "word-fills-line", "punctuation", "in-line", "suspended", "capital", "digits", "link",
         "abbreviation"],
)
def test_hyphens_that_only_break_a_line_are_joined(raw: str, text: str) -> None:
    """A word hyphenated at a line end is joined and the line break moves past it; a printed hyphen stays."""
    assert normalise(raw) == text


def test_hyphenated_words_are_joined_in_the_result_and_spans() -> None:
    """The Result's text holds the joined words and every item's span cuts exactly its text."""
    import llmparse

    raw = ("Vraag 1\nHoeveel ge-\nmeenten hebben een veer-\npont?\nAntwoord 1\nVeertien ge-\nmeenten "
           "in Neder- land.\n")
    result = llmparse.parse(raw, strategy="rules")
    assert "gemeenten" in result.text
    assert "Nederland" in result.text
    answer = result.letter.answers[0]
    assert answer.text == "Veertien gemeenten in Nederland."
    assert " ".join(result.text[answer.span[0] : answer.span[1]].split()) == answer.text
    question = result.letter.questions[0]
    assert " ".join(result.text[question.span[0] : question.span[1]].split()) == question.text == (
        "Hoeveel gemeenten hebben een veerpont?")
