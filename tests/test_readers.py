"""PDF and Word input: the real originals in ../shared scored against their gold, and files made here that
are encrypted, scanned, truncated, corrupt or valid.

The originals are read from ../shared at test time and never copied into the project; every other file is
written to tmp_path by the test that needs it.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from docx.enum.text import WD_BREAK

import llmparse
from llmparse import (
    EncryptedFileError,
    InputError,
    InputTooLargeError,
    LLMParseError,
    MissingExtraError,
    NoTextLayerError,
    UnreadableFileError,
    UnsupportedFormatError,
)
from llmparse._readers import read_docx, read_pdf

from .conftest import CORPUS, SHARED, load_scorer, needs_shared

ORIGINALS = CORPUS / "originals"
GOLD = CORPUS / "gold-originals"
SCORER = SHARED / "eval" / "score.py"

# --- the real originals ------------------------------------------------------------------------------------



def _golds() -> list[Any]:
    """One param per gold file in gold-originals, named by the original it points at (none when absent)."""
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLD.glob("*.gold.json"))]
    return [pytest.param(gold, id=gold["file"]) for gold in golds]


@pytest.mark.corpus
@needs_shared()
@pytest.mark.parametrize("gold", _golds())
def test_original_scores_perfect(gold: dict[str, Any]) -> None:
    """Each original PDF and Word letter parses straight from its file into a perfect letter, metadata included.

    Measured: all 6 originals (4 PDFs, 2 .docx) are perfect, with every metadata field right and no error
    finding; the floor is that.
    """
    result = llmparse.parse(ORIGINALS / gold["file"], strategy="rules")
    row = load_scorer().score_letter(gold, json.loads(result.model_dump_json()))
    assert row["perfect"], row
    metadata = ("kind_ok", "askers_ok", "respondents_ok", "reference_ok", "submitted_on_ok", "received_on_ok")
    assert {k: row[k] for k in metadata} == dict.fromkeys(metadata, True)
    assert result.errors == []


@pytest.mark.corpus
@needs_shared()
def test_original_pdfs_keep_their_page_breaks() -> None:
    """Every original PDF has one page in the document per page in the file, so multi-page letters have several."""
    pdfs = sorted(ORIGINALS.glob("*.pdf"))
    assert len(pdfs) == 4
    pages = {p.name: llmparse.parse(p, strategy="rules").text.count("\f") + 1 for p in pdfs}
    assert pages == {p.name: len(pypdf.PdfReader(p).pages) for p in pdfs}
    assert sum(n > 1 for n in pages.values()) >= 3


@pytest.mark.corpus
@needs_shared()
def test_original_docx_keep_their_explicit_page_breaks() -> None:
    """Every explicit page break in an original Word file is a form feed in the parsed text."""
    files = sorted(ORIGINALS.glob("*.docx"))
    assert len(files) == 2
    for path in files:
        xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
        assert llmparse.parse(path, strategy="rules").text.count("\f") == xml.count('<w:br w:type="page"/>') > 0


# --- files made here ---------------------------------------------------------------------------------------


def _pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF, one page per entry, each line of it set in Helvetica (an empty entry: a blank page)."""

    def literal(line: str) -> str:
        return "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", font]
    kids = []
    for lines in pages:
        stream = ("BT /F1 12 Tf 14 TL 72 720 Td " + "".join(f"{literal(s)} Tj T* " for s in lines) + "ET")
        data = stream.encode("cp1252")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"
                       b" /Contents %d 0 R >>" % len(objects))
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


LETTER_PAGES = [["Vraag 1", "Kent u het bericht over de beëindiging van de regeling (2024)?"], ["Antwoord 1", "Ja."]]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _encrypted(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_pdf(LETTER_PAGES)))
    writer.encrypt(user_password=user_password, owner_password="eigenaar")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _docx(path: Path) -> Path:
    """A small answer letter as Word: a table of metadata, a question, a page break, then its answer."""
    document = docx.Document()
    document.add_paragraph("Antwoorden op vragen van het lid Jansen")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Datum"
    table.cell(0, 1).text = "1 mei 2024"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Onderwerp: gladde fietspaden"
    for text in ("Vraag 1", "Kent u het bericht?"):
        document.add_paragraph(text)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    for text in ("Antwoord 1", "Ja."):
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_generated_pdf_parses_with_its_pages(tmp_path: Path) -> None:
    """A two-page PDF with a text layer parses into its question and answer, on two pages."""
    result = llmparse.parse(_write(tmp_path / "brief.pdf", _pdf(LETTER_PAGES)), strategy="rules")
    assert [q.numbers for q in result.letter.questions] == [["1"]]
    assert [a.numbers for a in result.letter.answers] == [["1"]]
    assert "beëindiging van de regeling (2024)?" in result.letter.questions[0].text
    assert result.text.count("\f") == 1


def test_pdf_encrypted_without_user_password_opens(tmp_path: Path) -> None:
    """A PDF encrypted with an owner password only opens with the empty password and parses."""
    result = llmparse.parse(_write(tmp_path / "open.pdf", _encrypted(user_password="")), strategy="rules")
    assert [a.numbers for a in result.letter.answers] == [["1"]]


def test_generated_docx_parses_in_document_order(tmp_path: Path) -> None:
    """A Word file's paragraphs and table cells come in body order, merged cells once, page breaks as form feeds."""
    path = _docx(tmp_path / "brief.docx")
    assert read_docx(path, source=str(path)).split("\n") == [
        "Antwoorden op vragen van het lid Jansen", "Datum", "1 mei 2024", "Onderwerp: gladde fietspaden",
        "Vraag 1", "Kent u het bericht?", "\f", "Antwoord 1", "Ja.",
    ]
    result = llmparse.parse(path, strategy="rules")
    assert [(q.numbers, q.text) for q in result.letter.questions] == [(["1"], "Kent u het bericht?")]
    assert [(a.numbers, a.text) for a in result.letter.answers] == [(["1"], "Ja.")]
    assert result.text.count("\f") == 1


def _zip_with_junk(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.txt", "geen Word-document")
    return path


BAD_FILES: list[tuple[str, Callable[[Path], Path], type[UnreadableFileError]]] = [
    ("encrypted-pdf", lambda p: _write(p / "geheim.pdf", _encrypted(user_password="x")), EncryptedFileError),
    ("blank-pdf", lambda p: _write(p / "scan.pdf", _blank_pdf()), NoTextLayerError),
    ("truncated-pdf", lambda p: _write(p / "half.pdf", _pdf(LETTER_PAGES)[: len(_pdf(LETTER_PAGES)) // 2]),
     UnreadableFileError),
    ("garbage-pdf", lambda p: _write(p / "rommel.pdf", bytes(range(256)) * 8), UnreadableFileError),
    ("empty-pdf", lambda p: _write(p / "leeg.pdf", b""), UnreadableFileError),
    ("random-docx", lambda p: _write(p / "rommel.docx", bytes(range(256)) * 8), UnreadableFileError),
    ("junk-zip-docx", lambda p: _zip_with_junk(p / "zip.docx"), UnreadableFileError),
    ("truncated-docx", lambda p: _write(p / "half.docx", _docx(p / "heel.docx").read_bytes()[:2000]),
     UnreadableFileError),
]


@pytest.mark.parametrize(("make", "expected"), [pytest.param(m, e, id=i) for i, m, e in BAD_FILES])
def test_bad_files_raise_named_errors(
    tmp_path: Path, make: Callable[[Path], Path], expected: type[UnreadableFileError]
) -> None:
    """Each bad PDF or Word file raises its UnreadableFileError subclass, an LLMParseError naming the file."""
    path = make(tmp_path)
    with pytest.raises(LLMParseError) as info:
        llmparse.parse(path, strategy="rules")
    exc = info.value
    assert type(exc) is expected
    assert isinstance(exc, InputError)
    assert exc.source == str(path)
    assert str(path) in str(exc)


@pytest.mark.parametrize(("make", "expected"), [pytest.param(m, e, id=i) for i, m, e in BAD_FILES
                                                if e is UnreadableFileError])
def test_damaged_files_chain_the_readers_error(
    tmp_path: Path, make: Callable[[Path], Path], expected: type[UnreadableFileError]
) -> None:
    """A damaged file's error keeps the reader library's own exception as its cause."""
    with pytest.raises(expected) as info:
        llmparse.parse(make(tmp_path), strategy="rules")
    assert info.value.__cause__ is not None


@pytest.mark.parametrize(
    ("module", "name", "extra"),
    [pytest.param("pypdf", "brief.pdf", "pdf", id="pdf"), pytest.param("docx", "brief.docx", "docx", id="docx")],
)
def test_missing_reader_names_its_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str, extra: str
) -> None:
    """Without the reader's library installed, a .pdf or .docx raises MissingExtraError naming the extra and file."""
    path = _docx(tmp_path / name) if extra == "docx" else _write(tmp_path / name, _pdf(LETTER_PAGES))
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError) as info:
        llmparse.parse(path, strategy="rules")
    assert f"pip install 'llmparse[{extra}]'" in str(info.value)
    assert str(path) in str(info.value)


def test_pdf_bytes_are_refused() -> None:
    """A PDF passed as bytes raises UnsupportedFormatError asking for its path."""
    with pytest.raises(UnsupportedFormatError, match="pass its path"):
        llmparse.parse(_pdf(LETTER_PAGES), strategy="rules")


def test_other_suffixes_name_the_readable_ones(tmp_path: Path) -> None:
    """A file type without a reader raises UnsupportedFormatError listing the readable ones."""
    path = _write(tmp_path / "brief.pages", b"PK\x03\x04")
    with pytest.raises(UnsupportedFormatError, match=r"\.txt, \.md, \.pdf, \.docx and \.odt files and the official "
                       r"\.xml and \.html / \.xhtml forms") as info:
        llmparse.parse(path, strategy="rules")
    assert str(path) in str(info.value)


def test_size_limits_apply_to_pdf_files_and_their_text(tmp_path: Path) -> None:
    """A PDF far larger than max_chars is refused unread; one whose extracted text is over max_chars is refused."""
    path = _write(tmp_path / "brief.pdf", _pdf(LETTER_PAGES))
    text = read_pdf(path, source=str(path))
    with pytest.raises(InputTooLargeError, match="bytes"):
        llmparse.parse(path, strategy="rules", max_chars=10)
    assert path.stat().st_size <= 20 * (len(text) - 1)  # the file passes the size check; its text does not
    with pytest.raises(InputTooLargeError, match="characters is over"):
        llmparse.parse(path, strategy="rules", max_chars=len(text) - 1)
    assert llmparse.parse(path, strategy="rules", max_chars=len(text)).letter.answers


@needs_shared()
def test_pypdf_font_warnings_stay_quiet_unless_the_caller_asks(caplog: pytest.LogCaptureFixture) -> None:
    """pypdf warns about every font it cannot fully decode (kilobytes for some letters): while llmparse reads,
    those stay out of the caller's log, and the pypdf logger is left as it was; a caller who sets its level
    gets them."""
    pdfs = sorted(ORIGINALS.glob("*.pdf"))
    assert pdfs
    pypdf_log = logging.getLogger("pypdf")
    before = pypdf_log.level
    try:
        pypdf_log.setLevel(logging.NOTSET)  # as a caller leaves it (the CLI tests set ERROR)
        with caplog.at_level(logging.WARNING):
            for path in pdfs:
                llmparse.parse(path, strategy="rules")
        assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
        assert pypdf_log.level == logging.NOTSET
        caplog.clear()
        pypdf_log.setLevel(logging.WARNING)
        with caplog.at_level(logging.WARNING):
            for path in pdfs:
                llmparse.parse(path, strategy="rules")
        assert any(r.name.startswith("pypdf") for r in caplog.records)  # these letters do make pypdf warn
    finally:
        pypdf_log.setLevel(before)
