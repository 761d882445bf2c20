"""Readers for PDF and Word files: each turns a file into the raw text the Document stage normalises.

``read_pdf`` (pypdf, the ``pdf`` extra) joins the pages' text with form feeds, so page breaks survive.
``read_docx`` (python-docx, the ``docx`` extra) walks the body in order, paragraphs and table cells alike,
one paragraph a line, with explicit page breaks as form feeds.

Both libraries are imported when a file needs them, so llmparse imports without either; a missing one is a
``MissingExtraError`` that names the extra to install. A damaged file is an ``UnreadableFileError`` chained to
the library's own exception. ``OSError`` (a missing or unreadable file) is left to the caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ._exceptions import EncryptedFileError, MissingExtraError, NoTextLayerError, UnreadableFileError

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph
    from pypdf import PdfReader

__all__ = ["read_docx", "read_pdf"]

log = logging.getLogger(__name__)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _missing(suffix: str, extra: str, source: str) -> MissingExtraError:
    return MissingExtraError(
        f"reading {suffix} files needs the {extra} extra: pip install 'llmparse[{extra}]'", source=source
    )


# --- PDF ---------------------------------------------------------------------------------------------------


def read_pdf(path: Path, *, source: str) -> str:
    """The text of a PDF file, its pages joined by form feeds (``\\f``).

    Raises:
        MissingExtraError: pypdf is not installed.
        EncryptedFileError: the PDF needs a password (one encrypted without a user password opens fine).
        NoTextLayerError: no page has any text: a scan that needs OCR first.
        UnreadableFileError: the file is damaged, truncated or not a PDF at all.
    """
    try:
        import pypdf
    except ImportError as exc:
        raise _missing(".pdf", "pdf", source) from exc
    try:
        with _quiet_pypdf():
            reader = pypdf.PdfReader(path)
            _unlock(reader, source)
            pages = [page.extract_text() for page in reader.pages]
    except (OSError, EncryptedFileError):
        raise
    except Exception as exc:  # a damaged PDF fails in many ways: PdfReadError, but also KeyError, ValueError...
        raise UnreadableFileError(
            f"cannot be read as a PDF ({type(exc).__name__}: {exc}); the file may be damaged or truncated",
            source=source,
        ) from exc
    if not pages:
        raise UnreadableFileError("is a PDF without pages", source=source)
    if not any(text.strip() for text in pages):
        raise NoTextLayerError(
            f"none of its {len(pages)} page(s) holds text: it is probably a scan; run OCR on it first",
            source=source,
        )
    log.debug("%s: read %d PDF pages", source, len(pages))
    return "\f".join(pages)


_PYPDF_QUIET = threading.Lock()
_pypdf_readers = 0


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every font or stray byte it copes with (kilobytes for some letters); while
    llmparse reads, only its errors get through, unless the caller has set the ``pypdf`` logger's level."""
    global _pypdf_readers
    pypdf_log = logging.getLogger("pypdf")
    with _PYPDF_QUIET:
        if _pypdf_readers == 0 and pypdf_log.level == logging.NOTSET:
            pypdf_log.setLevel(logging.ERROR)
            _pypdf_readers = 1
        elif _pypdf_readers:
            _pypdf_readers += 1
    try:
        yield
    finally:
        with _PYPDF_QUIET:
            if _pypdf_readers:
                _pypdf_readers -= 1
                if _pypdf_readers == 0:
                    pypdf_log.setLevel(logging.NOTSET)


def _unlock(reader: PdfReader, source: str) -> None:
    """Open an encrypted PDF with the empty password, as viewers do, or raise ``EncryptedFileError``."""
    if not reader.is_encrypted:
        return
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    try:
        unlocked = reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except DependencyError as exc:  # AES needs the cryptography package, which pypdf does not install
        raise EncryptedFileError(
            f"is encrypted with AES and cannot be opened without the cryptography package ({exc})", source=source
        ) from exc
    if not unlocked:
        raise EncryptedFileError("is password-protected; remove the password and try again", source=source)


# --- Word --------------------------------------------------------------------------------------------------


def read_docx(path: Path, *, source: str) -> str:
    """The text of a Word (.docx) file: body paragraphs and table cells in document order, one per line.

    An explicit page break (``<w:br w:type="page"/>``) becomes a form feed. Left out: headers, footers and
    text boxes; the footnotes, for which python-docx has no API (they live in word/footnotes.xml), so
    neither their text nor their reference marks appear; and what python-docx's own reading skips (content
    controls around whole paragraphs, runs inside tracked insertions or fields).

    Raises:
        MissingExtraError: python-docx is not installed.
        UnreadableFileError: the file is damaged or not a Word document.
    """
    try:
        import docx
    except ImportError as exc:
        raise _missing(".docx", "docx", source) from exc
    lines: list[str] = []
    try:
        _collect(docx.Document(str(path)), lines)
    except OSError:
        raise
    except Exception as exc:  # not a zip, a zip without Word parts, or broken XML: each fails differently
        raise UnreadableFileError(
            f"cannot be read as a Word document ({type(exc).__name__}: {exc}); the file may be damaged, or "
            "be an older .doc file: save it as .docx",
            source=source,
        ) from exc
    return "\n".join(lines)


def _collect(container: DocxDocument | _Cell, lines: list[str]) -> None:
    """Append the lines of ``container`` (the body or a table cell), descending into tables in place."""
    from docx.table import Table, _Cell
    from docx.text.paragraph import Paragraph

    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(_paragraph_text(block))
        elif isinstance(block, Table):
            # each physical cell once, row by row; python-docx's row.cells repeats merged cells
            for row in block._tbl.tr_lst:
                for tc in row.tc_lst:
                    _collect(_Cell(tc, block), lines)


def _paragraph_text(paragraph: Paragraph) -> str:
    """The paragraph's text as python-docx reads it (runs, hyperlinks, tabs, line breaks), page breaks as ``\\f``.

    python-docx gives a page break no text, so the runs are read here, element by element.
    """
    parts: list[str] = []
    for run in paragraph._p.xpath("w:r | w:hyperlink/w:r"):
        for item in run.xpath("w:br | w:cr | w:noBreakHyphen | w:ptab | w:t | w:tab"):
            page_break = item.tag == f"{_W}br" and item.get(f"{_W}type") == "page"
            parts.append("\f" if page_break else str(item))
    return "".join(parts)
