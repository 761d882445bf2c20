"""Document: a letter's normalised text with its line index and page breaks.

The first stage. ``load_document`` turns a source (text, bytes or a path) into a ``Document`` whose ``text``
is what every later span indexes and what ``Result.text`` returns. Normalising happens once, here:
line endings to ``\\n``, a byte order mark dropped, Unicode NFC, and the broken accents PDF extraction
leaves behind ("Kostic ´", "Yes¸ilgöz") joined to their letters, words hyphenated only to break a line
("burge-" / "meester", "Neder- land") joined. Form feeds stay in the text and mark page
breaks, as do markdown page rules (``-----``).
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from ._exceptions import (
    BinaryInputError,
    EmptyInputError,
    InputError,
    InputTooLargeError,
    UnsupportedFormatError,
)
from ._markup_readers import MARKUP_READERS, MarkupStructure, read_odt
from ._readers import read_docx, read_pdf
from ._types import Source

__all__ = ["DEFAULT_MAX_CHARS", "Document", "Line", "load_document", "read_source"]

log = logging.getLogger(__name__)

#: The largest letter llmparse reads by default (characters). The longest real letters are ~100 kB.
DEFAULT_MAX_CHARS = 5_000_000

TEXT_SUFFIXES = frozenset({".txt", ".md", ".text", ".markdown", ""})
#: Files read by a reader of their own (see ``_readers``) rather than decoded as text.
READERS = {".pdf": read_pdf, ".docx": read_docx, ".odt": read_odt}
#: A PDF or Word file may hold this many bytes per character of ``max_chars``: fonts, images and zip
#: overhead make them far larger than their text. Past it the file is refused before it is opened.
BINARY_BYTES_PER_CHAR = 20

# A markdown converter's page rule: a line of three or more dashes and nothing else.
_PAGE_RULE = re.compile(r"[ \t]*-{3,}[ \t]*")
# Spacing accents that PDF extraction leaves beside their letter. The cedilla is never punctuation, so it is
# always joined; the acute accent doubles as an apostrophe ("auto´s"), so only the broken "c ´" form is.
_CEDILLA = re.compile(r"(?<=[^\W\d_])\u00b8")
_SPACED_ACUTE = re.compile(r"(?<=[^\W\d_]) \u00b4(?![^\W\d_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# A word hyphenated at a line end ("burge-" / "meester van") or, in some PDF text, within a line ("Neder- land").
# The part after the break runs to the next space, so the line break can move there.
_HYPHENATED = re.compile(
    r"(?<![^\s(«“‘\"'])(?P<pre>[^\W\d_][^\s/]*?[a-zà-ÿ])-(?:[ \t]*\n|[ ](?=[a-zà-ÿ]))"
    r"(?P<post>[a-zà-ÿ]+[^\s]*)(?P<space>[ \t]+)?"
)
# After the hyphen of a suspended compound ("land- en tuinbouw", "zorg- of welzijnsinstelling") the word stays.
_CONJUNCTION = re.compile(r"(?:en|of|tot|noch|dan|als)\b")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the document: ``text[start:end]``, without its line terminator.

    Attributes:
        index: the line's position (0-based).
        start: offset of the line's first character.
        end: offset just past its last character.
        page: the page the line stands on (0-based), counted by form feeds and page rules.
    """

    index: int
    start: int
    end: int
    page: int


@dataclass(frozen=True, slots=True)
class Document:
    """The normalised text of one letter, indexed by line.

    Attributes:
        text: the normalised text; every span in a result indexes it.
        lines: every line in order (form feeds end a line as ``\\n`` does).
        source: the name of the input, for messages.
        markup: where the items are as the file's markup says (the official XML and XHTML forms), as
            offsets into ``text``; None for text, PDF, Word and ODT input, and for markup llmparse does not know.
    """

    text: str
    lines: tuple[Line, ...]
    source: str
    markup: MarkupStructure | None = None

    def line_text(self, i: int) -> str:
        """The text of line ``i``."""
        line = self.lines[i]
        return self.text[line.start : line.end]

    def line_at(self, offset: int) -> int:
        """The index of the line holding ``offset`` (the last line for offsets past the end)."""
        return max(0, bisect.bisect_right(self.lines, offset, key=lambda ln: ln.start) - 1)

    @property
    def pages(self) -> int:
        """How many pages the text has."""
        return self.lines[-1].page + 1 if self.lines else 0


def _join_hyphenated(m: re.Match[str], words: set[str]) -> str:
    pre, post = m.group("pre"), m.group("post")
    if (_CONJUNCTION.match(post) or any(ch.isupper() for ch in pre[1:]) or "www" in pre or ":" in pre
            or (len(pre) <= 4 and pre.lower() in words)):
        # a suspended compound, an abbreviation ("COVID-", "mbo-" where "mbo" stands alone elsewhere), a link
        return m.group()
    if "\n" not in m.group():
        return pre + post + (m.group("space") or "")
    return pre + post + ("\n" if m.group("space") else "")


def normalise(text: str) -> str:
    """Normalise a letter's text: line endings, BOM, control characters, broken accents, NFC, and words
    hyphenated only to break a line joined (the line break moves to the end of the joined word)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # a lone surrogate (text decoded with surrogateescape, or cut from UTF-16) cannot be written as UTF-8
    text = unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text)))
    if _HYPHENATED.search(text):
        words = {w.lower() for w in re.findall(r"(?<![\w-])[^\W\d_]{2,4}(?![\w-])", text)}
        text = _HYPHENATED.sub(lambda m: _join_hyphenated(m, words), text)
    # A join can make a new letter that the next join needs, so repeat until nothing changes. Each round
    # removes characters or is the last, so this ends.
    while True:
        joined = unicodedata.normalize("NFC", _SPACED_ACUTE.sub("\u0301", _CEDILLA.sub("\u0327", text)))
        if joined == text:
            return text
        text = joined


_LINE_END = re.compile(r"[\n\f]")


def _index_lines(text: str) -> tuple[Line, ...]:
    lines: list[Line] = []
    page = 0
    pos = 0
    while True:
        m = _LINE_END.search(text, pos)
        end = m.start() if m else len(text)
        lines.append(Line(len(lines), pos, end, page))
        if _PAGE_RULE.fullmatch(text, pos, end) or (m is not None and m.group() == "\f"):
            page += 1
        if m is None:
            return tuple(lines)
        pos = m.end()


def _decode(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BinaryInputError("starts like UTF-16 but does not decode", source=source) from exc
    if data.startswith(b"%PDF-"):
        raise BinaryInputError("is a PDF file, not text: give it the .pdf suffix (or pass a Path ending in .pdf) "
                               "so it is read as a PDF", source=source)
    if data.startswith(b"PK\x03\x04") and b"word/" in data[:65536]:
        raise BinaryInputError("is a Word (.docx) file, not text: give it the .docx suffix so it is read as one",
                               source=source)
    if b"\x00" in data[:65536]:
        raise BinaryInputError("holds NUL bytes: this is binary data, not a letter's text", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Word and older Windows tools write cp1252; its five undefined bytes fall back to Latin-1.
    return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else data.decode("latin-1")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def read_source(source: Source, *, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, str]:
    """Read a source into raw text; returns ``(text, name)``.

    A ``str`` is the letter's text; a path (``pathlib.Path`` or any ``os.PathLike``) is read from disk: .pdf,
    .docx and .odt files through their readers (page breaks as form feeds), the official .xml and .html /
    .xhtml forms rendered from their markup, anything else as text; ``bytes`` are decoded as UTF-8 (with or
    without BOM), UTF-16 with a BOM, or cp1252. Bytes are always text: a PDF's bytes are refused with
    ``UnsupportedFormatError`` (pass its path instead), so no temporary file is made.
    """
    text, name, _ = _read(source, max_chars)
    return text, name


def _read(source: Source, max_chars: int) -> tuple[str, str, MarkupStructure | None]:
    """``read_source``, with the structure a markup reader took from the file."""
    markup: MarkupStructure | None = None
    if isinstance(source, str):
        name = "<str>"
        text = source
    elif isinstance(source, (bytes, bytearray, memoryview)):
        name = "<bytes>"
        data = bytes(source)
        if data.startswith(b"%PDF-"):
            raise UnsupportedFormatError("is a PDF: pass its path to read it, not its bytes", source=name)
        text = _decode(data, name)
    elif isinstance(source, PathLike):
        path = Path(source)
        name = str(path)
        text, markup = _read_path(path, name, max_chars)
    else:
        raise TypeError(f"source must be str, bytes or a path, not {type(source).__name__}")
    if len(text) > max_chars:
        raise InputTooLargeError(f"{len(text):,} characters is over the limit of {max_chars:,}", source=name)
    return text, name, markup


def _read_path(path: Path, name: str, max_chars: int) -> tuple[str, MarkupStructure | None]:
    """A file's raw text and markup structure: through its reader (.pdf, .docx, .odt, .xml, .html) or decoded
    (text files), refusing huge files unread."""
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    markup_reader = MARKUP_READERS.get(suffix)
    if reader is None and markup_reader is None and suffix not in TEXT_SUFFIXES:
        raise UnsupportedFormatError(
            f"llmparse reads .txt, .md, .pdf, .docx and .odt files and the official .xml and .html / .xhtml forms; "
            f"convert {path.suffix} files to one of those first",
            source=name,
        )
    limit = (BINARY_BYTES_PER_CHAR if reader or markup_reader else 4) * max_chars
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputTooLargeError(
                f"{size:,} bytes is over the limit for {max_chars:,} characters ({limit:,} bytes)", source=name
            )
        if reader:
            return reader(path, source=name), None
        if markup_reader:
            return markup_reader(path, source=name)
        # read at most one byte past the limit: a FIFO or a device reports size 0 and may never end
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise InputTooLargeError(f"more than {limit:,} bytes is over the limit for {max_chars:,} characters",
                                     source=name)
        return _decode(data, name), None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", source=name) from exc


def load_document(source: Source, *, max_chars: int = DEFAULT_MAX_CHARS) -> Document:
    """Turn a source into a ``Document``; raises an ``InputError`` subclass for unusable input."""
    raw, name, markup = _read(source, max_chars)
    controls = len(_CONTROL.findall(raw, 0, 65536))
    if controls > 0.01 * min(len(raw), 65536) + 8:
        raise BinaryInputError("is mostly control characters: binary data, not a letter's text", source=name)
    text = normalise(raw)
    if not text.strip():
        raise EmptyInputError("holds no text", source=name)
    if markup is not None and text != raw:  # normalising moved characters: the markup's offsets no longer hold
        log.debug("%s: normalising changed the rendered text; its markup structure is not used", name)
        markup = None
    return Document(text=text, lines=_index_lines(text), source=name, markup=markup)
