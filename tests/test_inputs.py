"""Bad and odd inputs through ``llmparse.parse``: every failure is a named LLMParseError, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import llmparse
from llmparse import (
    BinaryInputError,
    ChecksFailedError,
    EmptyInputError,
    InputError,
    InputTooLargeError,
    LLMParseError,
    NotALetterError,
    Severity,
    UnreadableFileError,
    UnsupportedFormatError,
)

# All letters below are invented: fictional members, parties and subjects.

RECIPE = """Appeltaart van oma

Ingrediënten
- 250 gram bloem
- 175 gram roomboter
- 100 gram suiker
- 1 kilo zure appels
- 2 theelepels kaneel

Bereiding
Verwarm de oven voor op 175 graden. Kneed de bloem, de boter en de suiker tot een soepel deeg.
Schil de appels, snijd ze in stukjes en meng ze met de kaneel. Bekleed een ingevette springvorm
met tweederde van het deeg en vul de vorm met de appels. Maak van de rest van het deeg een rooster
over de taart en bak hem in ongeveer een uur goudbruin.

Eet smakelijk!
"""

QUESTIONS_ONLY = """Vragen van het lid Verhoeven-Dijkstra (Partij voor de Polder) aan de Minister van Landbouw, \
Natuur en Voedselkwaliteit over de terugkeer van de korenwolf in Zuid-Limburg (ingezonden 3 maart 2024).

Vraag 1
Bent u bekend met het bericht dat er dit voorjaar weer korenwolven zijn gezien bij Sibbe?

Vraag 2
Hoeveel hectare akkerland is op dit moment ingericht als leefgebied voor de korenwolf?

Vraag 3
Bent u bereid om samen met de provincie extra middelen vrij te maken voor het beheer van deze akkers?
"""

TRUNCATED = """Antwoorden van de Minister van Infrastructuur en Waterstaat op vragen van het lid Van Amstel \
(Fietsbelang) over gladde fietspaden op dijken (ingezonden 12 januari 2024).

Vraag 1
Bent u bekend met het bericht 'Fietsers glijden massaal uit op dijkpaden'?

Vraag 2
Hoeveel ongevallen met fietsers op dijkpaden zijn er in 2023 geregistreerd?

Vraag 3
Welke afspraken bestaan er met de waterschappen over het strooien van deze paden?

Vraag 4
Bent u bereid de Kamer voor de volgende winter over verbeteringen te informeren?

Antwoord 1
Ja, dat bericht is mij bekend.

Antwoord 2
Volgens de politie zijn er in 2023 zeventien ongevallen geregistreerd. Hoeveel daarvan door
gladheid zijn veroorzaakt, is niet bekend, omdat de registratie van de oorzaak
"""

COMPLETE = """Antwoorden van de Minister van Infrastructuur en Waterstaat op vragen van het lid Van Amstel \
(Fietsbelang) over gladde fietspaden op dijken (ingezonden 12 januari 2024).

Vraag 1
Bent u bekend met het bericht 'Fietsers glijden massaal uit op dijkpaden'?

Antwoord 1
Ja, dat bericht is mij bekend.

Vraag 2
Hoeveel ongevallen met fietsers op dijkpaden zijn er in 2023 geregistreerd?

Antwoord 2
Volgens de politie zijn er in 2023 zeventien ongevallen geregistreerd.
"""

TWENTY_MB = 20 * 1024 * 1024


def _parse(source: llmparse.Source, max_chars: int | None = None) -> llmparse.Result:
    if max_chars is None:  # the default limit
        return llmparse.parse(source, strategy="rules")
    return llmparse.parse(source, strategy="rules", max_chars=max_chars)


# --- empty, binary, too large ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="spaces"),
        pytest.param("\n\n\t \r\n\f\n", id="whitespace-and-terminators"),
        pytest.param("\ufeff  \n", id="bom-and-whitespace"),
        pytest.param(b"", id="empty-bytes"),
        pytest.param(b" \r\n \r\n", id="whitespace-bytes"),
    ],
)
def test_empty_input(source: str | bytes) -> None:
    """Empty or whitespace-only input raises EmptyInputError."""
    with pytest.raises(EmptyInputError):
        _parse(source)


def test_empty_file(tmp_path: Path) -> None:
    """An empty file raises EmptyInputError naming the file."""
    path = tmp_path / "leeg.txt"
    path.write_bytes(b"")
    with pytest.raises(EmptyInputError) as info:
        _parse(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)), id="png-header"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + b"\x00" * 64, id="zip-header"),
        pytest.param(b"Vraag 1\nWaarom?\x00\nAntwoord 1\nDaarom.\n", id="text-with-one-nul"),
    ],
)
def test_binary_input(data: bytes) -> None:
    """Bytes holding NUL bytes (an image, an archive) raise BinaryInputError."""
    with pytest.raises(BinaryInputError):
        _parse(data)


def test_binary_file(tmp_path: Path) -> None:
    """A file of binary data with a text suffix still raises BinaryInputError naming the file."""
    path = tmp_path / "plaatje.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00\xff" * 100)
    with pytest.raises(BinaryInputError) as info:
        _parse(path)
    assert str(path) in str(info.value)


def test_pdf_and_word_files_with_a_text_suffix_say_what_they_are(tmp_path: Path) -> None:
    """A PDF or a Word file renamed .txt: the error names the format and the suffix that reads it."""
    pdf, word = tmp_path / "brief.txt", tmp_path / "brief2.txt"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"\x00" * 16)
    word.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 22 + b"word/document.xml" + b"\x00" * 16)
    with pytest.raises(BinaryInputError, match=r"is a PDF file, not text: give it the \.pdf suffix"):
        _parse(pdf)
    with pytest.raises(BinaryInputError, match=r"is a Word \(\.docx\) file, not text: give it the \.docx suffix"):
        _parse(word)


_CONTROLS = "".join(chr(c) for c in range(1, 9)) * 500


@pytest.mark.parametrize("source", [_CONTROLS + "Vraag 1\nWaarom?", (_CONTROLS + "Vraag 1\nWaarom?").encode()],
                         ids=["str", "bytes"])
def test_control_character_soup_with_some_text_is_binary(source: str | bytes) -> None:
    """Input that is mostly control characters with a little text raises BinaryInputError."""
    with pytest.raises(BinaryInputError):
        _parse(source)


@pytest.mark.parametrize("source", [_CONTROLS, _CONTROLS.encode()], ids=["str", "bytes"])
def test_control_characters_only_is_binary(source: str | bytes) -> None:
    """Input of nothing but control characters (no NUL) is binary data, not empty input."""
    with pytest.raises(BinaryInputError):
        _parse(source)


def _big_text() -> str:
    line = "Vraag 1\nHoeveel kilometer fietspad is er in 2023 aangelegd langs de dijken van Flevoland?\n"
    return line * (TWENTY_MB // len(line) + 1)


def test_twenty_megabyte_str_is_too_large() -> None:
    """A 20 MB str is over the default limit and raises InputTooLargeError."""
    with pytest.raises(InputTooLargeError) as info:
        _parse(_big_text())
    assert "<str>" in str(info.value)


def test_twenty_megabyte_bytes_are_too_large() -> None:
    """20 MB of bytes are over the default limit and raise InputTooLargeError."""
    with pytest.raises(InputTooLargeError) as info:
        _parse(_big_text().encode("utf-8"))
    assert "<bytes>" in str(info.value)


def test_twenty_megabyte_file_is_too_large(tmp_path: Path) -> None:
    """A 20 MB file is over the default limit and raises InputTooLargeError naming the file."""
    path = tmp_path / "enorm.txt"
    path.write_text(_big_text(), encoding="utf-8")
    assert path.stat().st_size >= TWENTY_MB
    with pytest.raises(InputTooLargeError) as info:
        _parse(path)
    assert str(path) in str(info.value)


def test_max_chars_is_honoured_for_str() -> None:
    """A letter one character over max_chars is refused; the same letter at exactly max_chars is parsed."""
    with pytest.raises(InputTooLargeError):
        _parse(COMPLETE, max_chars=len(COMPLETE) - 1)
    assert _parse(COMPLETE, max_chars=len(COMPLETE)).letter.kind == "answers"


@pytest.mark.parametrize("as_file", [False, True], ids=["bytes", "file"])
def test_max_chars_is_honoured_for_bytes_and_files(tmp_path: Path, as_file: bool) -> None:
    """max_chars applies to bytes and files too, counted in characters after decoding."""
    data = COMPLETE.encode("utf-8")
    source: llmparse.Source = data
    if as_file:
        path = tmp_path / "brief.txt"
        path.write_bytes(data)
        source = path
    with pytest.raises(InputTooLargeError):
        _parse(source, max_chars=100)
    assert _parse(source, max_chars=len(COMPLETE)).letter.kind == "answers"


# --- files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["brief.pages", "brief.doc", "brief.PAGES", "brief.rtf"],
                         ids=["pages", "doc", "upper-pages", "rtf"])
def test_unsupported_file_type(tmp_path: Path, name: str) -> None:
    """A path to a file type without a reader raises UnsupportedFormatError naming the file."""
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormatError) as info:
        _parse(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist raises InputError naming the file."""
    path = tmp_path / "verdwenen.txt"
    with pytest.raises(InputError) as info:
        _parse(path)
    assert str(path) in str(info.value)
    assert info.value.source == str(path)


def test_directory_path(tmp_path: Path) -> None:
    """A path to a directory raises InputError naming it."""
    folder = tmp_path / "map"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        _parse(folder)
    assert str(folder) in str(info.value)


# --- not a letter, questions only, truncated ---------------------------------------------------------------


@pytest.mark.parametrize("as_file", [False, True], ids=["str", "file"])
def test_recipe_is_not_a_letter(tmp_path: Path, as_file: bool) -> None:
    """A Dutch recipe has no question/answer structure and raises NotALetterError naming the source."""
    source: llmparse.Source = RECIPE
    expected_name = "<str>"
    if as_file:
        path = tmp_path / "appeltaart.txt"
        path.write_text(RECIPE, encoding="utf-8")
        source, expected_name = path, str(path)
    with pytest.raises(NotALetterError) as info:
        _parse(source)
    assert expected_name in str(info.value)


def test_questions_only_document() -> None:
    """A document with only printed questions is a questions_only letter with no error about answers."""
    result = _parse(QUESTIONS_ONLY)
    letter = result.letter
    assert letter.kind == "questions_only"
    assert [q.numbers for q in letter.questions] == [["1"], ["2"], ["3"]]
    assert letter.answers == []
    assert not [f for f in result.errors if f.code.startswith("coverage.")]
    assert "korenwolven" in letter.questions[0].text


def test_truncated_letter_reports_unanswered_questions() -> None:
    """A letter cut off in the middle of answer 2 has an error finding listing questions 3 and 4."""
    result = _parse(TRUNCATED)
    assert [q.numbers for q in result.letter.questions] == [["1"], ["2"], ["3"], ["4"]]
    unanswered = [f for f in result.findings if f.code == "coverage.unanswered"]
    assert len(unanswered) == 1
    assert unanswered[0].severity is Severity.ERROR
    assert unanswered[0].numbers == ["3", "4"]
    assert not result.ok


def test_truncated_letter_in_strict_mode() -> None:
    """strict=True turns the truncated letter's error finding into ChecksFailedError carrying it."""
    with pytest.raises(ChecksFailedError) as info:
        llmparse.parse(TRUNCATED, strategy="rules", strict=True)
    assert isinstance(info.value, LLMParseError)
    assert "coverage.unanswered" in [f.code for f in info.value.findings]


def test_complete_letter_has_no_coverage_errors() -> None:
    """The same letter with every question answered parses without coverage errors (a control case)."""
    result = _parse(COMPLETE)
    assert result.letter.kind == "answers"
    assert [a.numbers for a in result.letter.answers] == [["1"], ["2"]]
    assert not [f for f in result.errors if f.code.startswith("coverage.")]


# --- every error is an LLMParseError naming its source -----------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_INPUTS: list[tuple[str, Callable[[Path], llmparse.Source], type[InputError]]] = [
    ("empty-str", lambda _: "", EmptyInputError),
    ("empty-file", lambda p: _write(p, "leeg.txt", b"  \n"), EmptyInputError),
    ("binary-bytes", lambda _: b"\x89PNG\r\n\x1a\n\x00\x00", BinaryInputError),
    ("binary-file", lambda p: _write(p, "png.md", b"\x89PNG\r\n\x1a\n\x00\x00"), BinaryInputError),
    ("too-large-str", lambda _: "x" * 6_000_000, InputTooLargeError),
    ("pdf-file", lambda p: _write(p, "brief.pdf", b"%PDF-1.4"), UnreadableFileError),
    ("pages-file", lambda p: _write(p, "brief.pages", b"PK\x03\x04"), UnsupportedFormatError),
    ("missing-file", lambda p: p / "weg.txt", InputError),
    ("recipe-str", lambda _: RECIPE, NotALetterError),
    ("recipe-bytes", lambda _: RECIPE.encode("cp1252"), NotALetterError),
    ("recipe-file", lambda p: _write(p, "recept.txt", RECIPE.encode()), NotALetterError),
]


@pytest.mark.parametrize(("make", "expected"), [pytest.param(m, e, id=i) for i, m, e in BAD_INPUTS])
def test_errors_are_llmparse_errors_naming_the_source(
    tmp_path: Path, make: Callable[[Path], llmparse.Source], expected: type[InputError]
) -> None:
    """Each bad input raises its InputError subclass, an LLMParseError whose message names the source."""
    source = make(tmp_path)
    with pytest.raises(LLMParseError) as info:
        _parse(source)
    exc = info.value
    assert isinstance(exc, expected)
    assert isinstance(exc, InputError)
    if isinstance(source, str):
        name = "<str>"
    elif isinstance(source, bytes):
        name = "<bytes>"
    else:
        name = str(source)
    assert exc.source == name
    assert str(exc).startswith(f"{name}: ")


# --- odd inputs never crash --------------------------------------------------------------------------------


def _many_headings() -> str:
    return "\n".join(f"Vraag {n}" for n in range(1, 10_001)) + "\n"


def _many_questions() -> str:
    return "\n\n".join(f"Vraag {n}\nHoeveel bomen zijn er in gemeente {n} gekapt?" for n in range(1, 10_001))


ODD_INPUTS: list[tuple[str, Callable[[], str]]] = [
    ("only-digits", lambda: "0123456789" * 50),
    ("digit-lines", lambda: "\n".join(str(n) for n in range(2000))),
    ("only-vraag-1", lambda: "Vraag 1\n" * 200),
    ("only-antwoord", lambda: "Antwoord\n" * 200),
    ("vraag-antwoord-no-body", lambda: "Vraag 1\nAntwoord 1\n" * 50),
    ("ten-thousand-headings", _many_headings),
    ("ten-thousand-questions", _many_questions),
    ("one-megabyte-line", lambda: "a" * 1_000_000),
    ("one-megabyte-line-of-headings", lambda: "Vraag 1 Antwoord 1 " * 55_000),
    ("only-page-breaks", lambda: "x\f" * 500 + "\n-----\n" * 500),
    ("punctuation", lambda: "?!.,;:()[]{}'\"«»–—…" * 100),
    ("broken-accents", lambda: "Kostic \u00b4 Yes\u00b8ilgöz auto\u00b4s \u00b4\u00b8 " * 200),
    ("answer-before-question", lambda: "Antwoord 1\nJa.\n\nVraag 1\nIs dat zo?\n"),
    ("huge-numbers", lambda: "Vraag 99999999999999999999\nWaarom?\n\nAntwoord 99999999999999999999\nDaarom.\n"),
]


@pytest.mark.parametrize("make", [pytest.param(m, id=i) for i, m in ODD_INPUTS])
def test_odd_inputs_never_crash(make: Callable[[], str]) -> None:
    """Odd inputs give a Result or an LLMParseError, never another exception."""
    try:
        result = _parse(make())
    except LLMParseError:
        return
    assert isinstance(result, llmparse.Result)
    assert result.letter.kind in ("answers", "notice", "questions_only")


def test_a_file_name_passed_as_str_gets_a_hint() -> None:
    """parse("letter.txt") reads the name itself as the letter: the error says to pass a Path."""
    with pytest.raises(llmparse.NotALetterError, match=r"pass pathlib\.Path\('brieven/antwoord\.txt'\)"):
        llmparse.parse("brieven/antwoord.txt")
    with pytest.raises(llmparse.NotALetterError) as caught:
        llmparse.parse("Appeltaart: bloem, boter en appels.")
    assert "pathlib" not in str(caught.value)  # text that is no file name gets no such hint
