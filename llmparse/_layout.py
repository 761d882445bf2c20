"""Layout: what each line of a letter is, before anyone decides where the items are.

``read_layout`` marks every line of a ``Document`` as blank, page furniture (running footers, publication
ids, ISSN lines, page numbers, page rules), part of a footnote block (voetnoten at a page bottom) or body,
and spots the headings a body line may carry: a question heading (Vraag), an answer heading (Antwoord), a
notice (Mededeling), a bare question number, or a numbered question paragraph ("1. Kunt u ..."). Footers that
PDF extraction glued to the next line ("...Aanhangsel 2Antwoord 5 en 6") are split off: the line's
``start`` moves past them. Both extractors read the same Layout.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from enum import Enum
from itertools import pairwise
from typing import Literal

from ._document import Document

__all__ = ["FootnoteBlock", "Heading", "Layout", "LineInfo", "Role", "parse_numbers", "read_layout"]


class Role(str, Enum):
    """What a line is."""

    BLANK = "blank"
    FURNITURE = "furniture"
    FOOTNOTE = "footnote"
    BODY = "body"


HeadingKind = Literal["question", "answer", "notice", "number", "numbered", "closing"]


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading found at the start of a body line.

    Attributes:
        kind: ``question`` (Vraag N, or a bare Vraag), ``answer`` (Antwoord [op vraag] N), ``notice`` (Mededeling),
            ``number`` (a line that is only a number), ``numbered`` (a paragraph opening "N. "), or
            ``closing`` (a Toelichting or a signature that ends the last item).
        numbers: the numbers the heading prints, ranges expanded (empty for a bare ``Antwoord`` or ``Vraag``).
        start: offset of the heading's first character.
        end: offset just past the heading (the item's text may start on the same line after it).
    """

    kind: HeadingKind
    numbers: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LineInfo:
    """One line's role, its content range (furniture prefix and outer whitespace removed) and heading."""

    role: Role
    start: int
    end: int
    heading: Heading | None = None


@dataclass(frozen=True, slots=True)
class FootnoteBlock:
    """A footnote's body: its marker, the range of its text and the lines it covers."""

    marker: str
    start: int
    end: int
    first_line: int
    last_line: int


@dataclass(frozen=True, slots=True)
class Layout:
    """Every line's role and heading, and the footnote blocks, for one document."""

    document: Document
    lines: tuple[LineInfo, ...]
    footnotes: tuple[FootnoteBlock, ...]
    # what ``cut`` returned for each set of arguments: assembly and the checks cut the same ranges
    _cuts: dict[tuple[int, int, Role, tuple[tuple[int, int], ...]], str] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def content(self, i: int) -> str:
        """The content of line ``i`` (furniture prefix and outer whitespace removed)."""
        info = self.lines[i]
        return self.document.text[info.start : info.end]

    def heading_above(self, line: int, numbers: tuple[str, ...] | list[str]) -> int | None:
        """The line above ``line`` (0-based) that heads an item carrying ``numbers``, or None.

        A marked heading counts, and so does a short line carrying one of the numbers: a heading the layout
        does not know ("Reactie op vraag 2") is still a heading when an item starts right below it.
        """
        i = line - 1
        while i >= 0 and self.lines[i].role is Role.BLANK:
            i -= 1
        if i < 0 or self.lines[i].role is not Role.BODY:
            return None
        if self.lines[i].heading is not None:
            return i
        text = self.content(i)
        return i if len(text) <= 80 and set(_SHORT_NUMBER.findall(text)) & set(numbers) else None

    def cut(self, start: int, end: int, *, role: Role = Role.BODY, skip: tuple[tuple[int, int], ...] = ()) -> str:
        """The text of ``[start, end)`` as a reader sees it: body lines only, whitespace collapsed.

        Only lines of ``role`` count (footnote lines when cutting a footnote, and the footnote text a body
        line carries past its content's end), so furniture and footnote bodies inside an item's range are
        left out, and so are lines starting inside a ``skip`` range; a blank line between two body lines
        becomes one newline (a paragraph break); other whitespace runs become one space.
        """
        key = (start, end, role, skip)
        cut = self._cuts.get(key)
        if cut is None:
            cut = self._cuts[key] = self._cut(start, end, role, skip)
        return cut

    def _cut(self, start: int, end: int, role: Role, skip: tuple[tuple[int, int], ...]) -> str:
        text = self.document.text
        raw_lines = self.document.lines
        lines = self.lines
        blank = Role.BLANK
        tails = role is Role.FOOTNOTE  # a footnote run onto a paragraph's end counts too
        body = Role.BODY
        parts: list[str] = []
        gap = False
        for i in range(self.document.line_at(start), len(lines)):
            info = lines[i]
            line_role = info.role
            if info.start >= end and line_role is not blank:
                break
            if raw_lines[i].start >= end:
                break
            if line_role is blank:
                gap = bool(parts)
                continue
            if skip and any(a <= info.start < b for a, b in skip):
                continue
            if line_role is role:
                s, e = max(start, info.start), min(end, info.end)
            elif tails and line_role is body:
                s, e = max(start, info.end), min(end, raw_lines[i].end)
            else:
                continue
            # whitespace runs as one space, none at the ends; a printable piece holds no whitespace but spaces
            piece = text[s:e]
            piece = piece.strip() if piece.isprintable() and "  " not in piece else " ".join(piece.split())
            if not piece:
                continue
            if parts:
                parts.append("\n" if gap else "" if _broken_url(parts[-1]) else " ")
            parts.append(piece)
            gap = False
        return "".join(parts)


# A link broken at a line end after one of its separators ("https://www.example.nl/publicaties/" + "rapport.pdf").
_BROKEN_URL = re.compile(r"(?:https?://|www\.)\S*[/_=&?#~-]$")


def _broken_url(piece: str) -> bool:
    """``piece`` (stripped) ends in a link broken after one of its separators."""
    return piece[-1:] in _URL_SEPARATORS and _BROKEN_URL.search(piece) is not None


_URL_SEPARATORS = frozenset("/_=&?#~-")

# --- page furniture -------------------------------------------------------------------------------------

_FOOTER = re.compile(
    r"(?:ISSN\s*\d{4}\s*-\s*\d{4}\s*)?(?:[’'][sS]-Gravenhage\s*\d{4}\s*)?"
    r"(?:Tweede|Eerste)\s+Kamer\s*,\s*vergaderjaar\s*\d{4}\s*[–-]\s*\d{4}\s*,\s*(?:Aanhangsel|Vragen)"
    r"(?:\s*(\d{1,3}))?"  # the page number, glued or set off by spaces (OCR text of a scan)
)
# A Word letterhead's sidebar and address block: directorate, street, postcode, Postbus, website, phone and
# fax, field labels standing alone, the reply instruction, the return address and the addressee.
_SIDEBAR = (
    r"(?:Directoraat-[Gg]eneraal|Directie|Afdeling|Programmadirectie)\s[^.?!]{0,80}"
    r"|[A-Z][\w’'-]*(?:straat|markt|plein|weg|laan|kade|gracht|hof|singel|park)\s+\d{1,4}[a-zA-Z]?"
    r"|Postbus\s+\d{1,6}(?:\s+\d{4}\s?[A-Z]{2}\s+[\w’' -]{2,30})?"
    r"|\d{4}\s?[A-Z]{2}\s+[A-Z][\w’' -]{1,30}"  # postcode and town
    r"|(?:www\.)?(?:rijksoverheid|overheid|government)\.nl\S*|www\.[\w.-]+\.nl(?:/\S*)?"
    r"|[TF]\s+(?:\+31\s?)?0?\d{2,3}[\s-]?\d{3}[\s-]?\d{2}[\s-]?\d{2}"
    r"|(?:Contactpersoon|Projectnaam|Inlichtingen|Onze\s+referentie|Bijlagen?(?:\(n\))?|Uw\s+brief(?:\s+van)?"
    r"|Onderwerp|Betreft|Den\s+Haag|Kamer\s+der\s+Staten-Generaal|[-–])"
    r"|Bij\s+beantwoording\s+(?:de\s+)?datum\s+en\s+(?:ons\s+)?kenmerk\s+vermelden\b.*"
    r"|Wilt\s+u\s+slechts\s+één\s+zaak\s+in\s+uw\s+brief\s+behandelen\.?"
    r"|>?\s*Retouradres\b.{0,80}"
    r"|Aan\s+de\s+[Vv]oorzitter\s+van\s+de\s+(?:Tweede|Eerste)\s+Kamer(?:\s+der\s+Staten-Generaal)?"
)
# A page rule: three or more dashes, stars or underscores, spaced or not ("-----", "* * *", "___", "— — —").
_RULE = r"(?:[-–—][ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}"
_FURNITURE_LINE = re.compile(
    r"(?:a?h[- ](?:tk|ek)[- ]\d{8}[- ]\d{1,5}"  # publication id, also mangled as "h tk 20232024 387"
    r"(?:\s+ISSN\s*\d{4}\s*-\s*\d{4})?(?:\s+[’']s-Gravenhage\s*\d{4})?"  # the colophon on one line
    r"|kv-tk-\d{4}Z\d{5}"  # the id of a questions document
    r"|ISSN\s*\d{4}\s*-\s*\d{4}(?:\s*[’']s-Gravenhage\s*\d{4})?"
    r"|[’'][sS]-Gravenhage\s*\d{4}"
    rf"|{_RULE}"  # a markdown converter's page rule
    r"|Pagina\s+\d+\s+van\s+\d+"  # a ministry letter's running header
    r"|[-–]\s*\d{1,3}\s*[-–]|[|~¦•·]{1,3}"  # a page number "- 2 -", a scan's stray marks
    r"|(?:Datum|Kenmerk|Ons\s+kenmerk|Uw\s+kenmerk|Onze\s+referentie|Uw\s+referentie|Referentie)"
    r"(?:\s*:?\s+\S.{0,40}|\s*:)?"  # its labels, alone or with their short value
    rf"|{_SIDEBAR}"
    r")\s*"
)
# What a running footer opens with: ISSN, 's-Gravenhage, Tweede or Eerste (Kamer).
_FOOTER_FIRST = frozenset("I’'TE")
# What a furniture line can open with (each form of _FURNITURE_LINE starts with one of these, or a digit).
_FURNITURE_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ" "ahkwrog" "’'-–—*_|~¦•·>")
_ENDS_PAGE = re.compile(rf".*(?:Tweede|Eerste)\s+Kamer\s*,\s*vergaderjaar|(?:{_RULE})\s*$|.*Pagina\s+\d+\s+van\s+\d+")
_PAGE_NUMBER = re.compile(r"\d{1,3}")

# --- headings -------------------------------------------------------------------------------------------

_NUM = r"\d{1,5}[a-z]?"
_SEP = r"(?:\s*(?:,\s*en\b|,|&|/|\ben\b|t/m|t\.\s?m\.|tot\s+en\s+met|[-–])\s*|\s+)"
_LIST = rf"{_NUM}(?:{_SEP}{_NUM})*"
_DECOR = r"[#*_>\s]*"
_QUESTION = re.compile(
    rf"{_DECOR}(?:Vraag|Vragen|VRAAG)\s*(?:nr\.?\s*)?(?P<n>{_LIST})\s*(?P<tail>[:.)]\s*|\**\s*$)"
)
# Capital A: a line starting "antwoord op vraag 1." is a sentence wrapped onto a new line, not a heading.
_ANSWER = re.compile(
    rf"{_DECOR}A(?i:ntwoord(?:en)?(?:\s+(?:op|bij))?(?:\s+(?:de\s+)?(?:vraag|vragen))?)"
    rf"(?:\s*(?P<n>{_LIST}))?\s*(?P<tail>[:.)]\s*|\**\s*$)"
)
# A Word letter whose automatic numbering was lost prints its question headings bare ("Vraag").
_BARE_QUESTION = re.compile(rf"{_DECOR}(?:Vraag|VRAAG)\s*[:.]?\**\s*$")
# OCR reads a 1 as the letter l or I: "Antwoord l", "Vraag l2", "Antwoord op vraag l", on a line that is nothing
# but the heading ("2l" stays: a sub-question's label).
_OCR_ONE = re.compile(
    rf"{_DECOR}(?:Vraag|A(?i:ntwoord(?:\s+(?:op|bij))?(?:\s+(?:de\s+)?vraag)?))\s+(?P<n>[lI][\dlI]*)(?=\s*[:.]?\**\s*$)"
)
# OCR reads the g of "Vraag" as a q: "Vraaq 3", "Antwoord op vraaq 3".
_OCR_Q = re.compile(rf"{_DECOR}(?:A(?i:ntwoord(?:en)?(?:\s+(?:op|bij))?\s+(?:de\s+)?))?(?:[Vv]raa|VRAA)(?P<q>[qQ])\b")
_NOTICE = re.compile(rf"{_DECOR}Mededeling\s*[:.]?\**\s*$")
_CLOSING = re.compile(rf"{_DECOR}Toelichting\b")
_BARE_NUMBER = re.compile(rf"(?P<n>{_NUM})[.)]?\s*$")
_NUMBERED = re.compile(r"(?P<n>\d{1,3})[.)]\s+(?=\S)")
_NUMBER = re.compile(_NUM)
_SHORT_NUMBER = re.compile(r"\d{1,4}[a-z]?")
_RANGE = re.compile(r"\s*(?:t/m|t\.\s?m\.|tot\s+en\s+met|[-–])\s*")


def parse_numbers(printed: str) -> tuple[str, ...]:
    """Read a printed number list: ``"3, 4 en 5"``, ``"4 t/m 15"``, ``"4-7"``, ``"1,2,3 en 5"``, ``"2a"``."""
    out: list[str] = []
    pos = 0
    for m in _NUMBER.finditer(printed):
        between = printed[pos : m.start()]
        n = m.group()
        if out and _RANGE.fullmatch(between) and out[-1].isdigit() and n.isdigit():
            lo, hi = int(out[-1]), int(n)
            if lo < hi <= lo + 200:
                out.extend(str(k) for k in range(lo + 1, hi + 1))
                pos = m.end()
                continue
        out.append(n)
        pos = m.end()
    return tuple(dict.fromkeys(out))


_DECOR_RUN = re.compile(_DECOR)
_OCR_DIGIT = re.compile("[lI]")
_DECOR_CHARS = frozenset("#*_>")


def _heading(content: str, offset: int) -> Heading | None:
    # The question, answer, notice and closing patterns (and the OCR repairs) open with decoration, then a word
    # whose first letter (V or v, A, M, T) no decoration matches: the character after the decoration says which
    # can match. The repairs keep that letter and the length.
    first = content[:1]
    if first in _DECOR_CHARS or first.isspace():
        m = _DECOR_RUN.match(content)
        first = content[m.end() : m.end() + 1] if m else first
    if first in ("A", "V", "v"):
        if ocr := _OCR_Q.match(content):  # read as "Vraag" (same length, so the offsets hold)
            content = content[: ocr.start("q")] + "g" + content[ocr.end("q") :]
        if ocr := _OCR_ONE.match(content):  # read as "Antwoord 1" (same length, so the offsets hold)
            content = content[: ocr.start("n")] + _OCR_DIGIT.sub("1", ocr.group("n")) + content[ocr.end("n") :]
    if first == "V":
        m = _QUESTION.match(content)
        if m:
            return Heading("question", parse_numbers(m.group("n")), offset, offset + m.end())
        if _BARE_QUESTION.match(content):
            return Heading("question", (), offset, offset + len(content))
    elif first == "A":
        m = _ANSWER.match(content)
        if m:
            nums = parse_numbers(m.group("n")) if m.group("n") else ()
            return Heading("answer", nums, offset, offset + m.end())
    elif first == "M" and _NOTICE.match(content):
        return Heading("notice", (), offset, offset + len(content))
    elif first == "T" and _CLOSING.match(content):
        return Heading("closing", (), offset, offset + len(content))
    if not content[:1].isdecimal():
        return None  # both number patterns open with a digit
    m = _BARE_NUMBER.match(content)
    if m:
        return Heading("number", (m.group("n"),), offset, offset + len(content))
    m = _NUMBERED.match(content)
    if m:
        return Heading("numbered", (m.group("n"),), offset, offset + m.end())
    return None


# --- footnotes ------------------------------------------------------------------------------------------

_MARKER = re.compile(r"\[\^?\s*(\d{1,3})\s*\]:?|(\d{1,3})\)|(\d+)|(\*{1,3})(?!\*)")
_SENTENCE_END = re.compile(r"[.?!:;»”\"')\]]\s*\d{0,3}$")
_STAR_CITATION = re.compile(r"(?m)^(?!\s*\*).*?[\w?!.»”\")](\*{1,3})(?=\s|$)")
_TABLE_ROW = re.compile(r"(?:\d[\d.,]*\s+){2,}\d[\d.,]*\s*$")
_FOOTNOTE_START = re.compile(r"[A-Z0-9«“\"'‘(\[]|https?:|www\.")
_COMPLETE = re.compile(r"[.?!)\]»”\"'/\d]$")
_RESUME = re.compile(r"[a-zà-ÿ](?!ttps?:|ww\.)")
_LETTERS2 = re.compile(r"[A-Za-zÀ-ÿ]{2}")
_OPENING = r"[A-Z«“\"'‘(]|https?:|www\."


def _marker(content: str, expected: int) -> tuple[int, int] | None:
    """The footnote marker opening ``content``: ``(value, length)``, or None.

    ``expected`` resolves markers glued to text that starts with digits ("32024D27196": marker 3).
    """
    first = content[:1]
    if not (first == "[" or first == "*" or first.isdecimal()):
        return None  # every marker opens with one of these: most lines need no match
    m = _MARKER.match(content)
    if not m:
        return None
    if m.group(1) or m.group(2):
        return int(m.group(1) or m.group(2)), m.end()
    if m.group(4):  # "*", "**": a series of its own, counted by stars
        return len(m.group(4)), m.end()
    digits = m.group(3)
    rest = content[m.end() : m.end() + 2]
    if rest[:1] in (",", "%", ":", "-", "–", "/") or (rest[:1] == "." and rest[1:2] in (" ", "")):
        return None  # a list item ("1. "), a number in a sentence, a date
    if len(digits) <= 2:
        return int(digits), m.end()
    e = str(expected)
    if digits.startswith(e) and len(digits) - len(e) >= 4:
        return expected, len(e)
    return None


@functools.lru_cache(maxsize=256)
def _inline_marker(value: int) -> re.Pattern[str]:
    """Marker ``value`` inside a footnote line: bracketed anywhere, or bare after a sentence's end."""
    return re.compile(rf"\[\s*{value}\s*\]\s*|(?<=[.?!»”\"')])\s+{value}\s+(?={_OPENING})")


@functools.lru_cache(maxsize=256)
def _citation(value: int) -> re.Pattern[str]:
    """Marker ``value`` cited in running text: glued to the word or punctuation before it ("weekend.2")."""
    return re.compile(rf"(?<=[^\W\d_]|[.?!»”\")\]]){value}(?!\d)")


@functools.lru_cache(maxsize=256)
def _tail_marker(value: int) -> re.Pattern[str]:
    """Marker ``value`` set off by a space after a sentence's end, opening a footnote's text."""
    return re.compile(rf"(?<=[.?!»”\"')])[ \t]+{value}[ \t]+(?={_OPENING})")


@dataclass(slots=True)
class _Found:
    """A footnote the finder found: its lines, marker, and offsets where it starts or ends inside a line.

    ``inline`` marks a tail of a body line (the line stays body; only ``[start, end)`` is the footnote).
    """

    first: int
    last: int
    value: int
    start: int | None = None
    end: int | None = None
    inline: bool = False


def _table_row(text: str) -> bool:
    """A row of three or more numbers ends ``text``; a line not ending in a digit (dots, commas and spaces
    aside) is none, without a search."""
    return text.rstrip().rstrip(".,")[-1:].isdecimal() and _TABLE_ROW.search(text) is not None


def _spaced(text: str, value: str, start: int, end: int) -> bool:
    """``value`` stands between a space or tab and another in ``text[start:end]``, as a tail marker must."""
    return any(text.find(f"{a}{value}{b}", start, end) >= 0 for a in " \t" for b in " \t")


def _has_words(text: str) -> bool:
    return _LETTERS2.search(text) is not None


class _FootnoteFinder:
    """Finds footnote blocks page by page, following the markers' sequence through the letter."""

    def __init__(self, doc: Document, lines: list[LineInfo]) -> None:
        self.doc = doc
        self.lines = lines
        self.expected = 1
        # "*" footnotes count only when the body cites them ("leveren?*"); a line opening "* " is a bullet
        self.stars = {len(m.group(1)) for m in _STAR_CITATION.finditer(doc.text)} if "*" in doc.text else set()
        # the first question or answer heading: above it stands the front matter
        self.first_item = next((i for i, info in enumerate(lines) if info.heading is not None
                                and info.heading.kind in ("question", "answer")), len(lines))
        self.blocks: list[_Found] = []

    def content(self, i: int) -> str:
        return self.doc.text[self.lines[i].start : self.lines[i].end]

    def marker(self, i: int, expected: int) -> int | None:
        info = self.lines[i]
        if info.heading is not None and info.heading.kind not in ("number", "numbered"):
            return None
        first = self.doc.text[info.start : info.start + 1]
        if not (first == "[" or first == "*" or first.isdecimal()):
            return None  # what _marker says of such a line, without cutting it out
        content = self.content(i)
        found = _marker(content, expected)
        if found is None or (content.startswith("*") and found[0] not in self.stars):
            return None
        return found[0]

    def looks_like_footnote(self, region: list[int], k: int) -> bool:
        """The text after the marker opens like a footnote (a capital, a digit, a quote, a link), not like a
        sentence running on from the line above ("1 januari ..." wrapped from an answer)."""
        found = _marker(self.content(region[k]), self.expected)
        head = self.content(region[k])[found[1] :].strip() if found else ""
        if not head and k + 1 < len(region):
            head = self.content(region[k + 1])
        return _FOOTNOTE_START.match(head) is not None

    def _stops_block(self, i: int) -> bool:
        heading = self.lines[i].heading
        return heading is not None and heading.kind not in ("number", "numbered")

    def extend_back(self, region: list[int], k: int, value: int) -> int:
        """Walk back from ``region[k]`` over earlier footnotes of the same block (value-1, value-2, ...)."""
        best = k
        j = k - 1
        while value > 1 and j >= 0 and k - j <= 6:
            i = region[j]
            info = self.lines[i]
            if info.heading is not None and info.heading.kind not in ("number", "numbered"):
                break
            if self.marker(i, value - 1) == value - 1:
                value -= 1
                k = j
                if value >= self.expected or value == 1:
                    best = k
            j -= 1
        return best

    def take(self, region: list[int], k: int, stop: int, *, advance: bool = True) -> None:
        """Record the block of ``region[k:stop]`` and (normally) advance the expected marker.

        A footnote starts at each line opening with the next marker, and also inside a line where an
        extractor ran two footnotes together ("...politie[3] https://...", "...2009. 2 Dossier ...").
        """
        block = region[k:stop]
        value = self.marker(block[0], self.expected) or self.expected
        current = _Found(block[0], block[0], value)
        for n, i in enumerate(block):
            if n:
                nxt = self.marker(i, value + 1)
                if nxt == value + 1:
                    self.blocks.append(current)
                    current = _Found(i, i, nxt)
                    value = nxt
            current.last = i
            info = self.lines[i]
            pos = info.start
            while m := _inline_marker(value + 1).search(self.doc.text, pos + 1, info.end):
                current.end = m.start()
                self.blocks.append(current)
                value += 1
                current = _Found(i, i, value, start=m.end())
                pos = m.end()
        self.blocks.append(current)
        if advance:
            self.expected = value + 1

    def inline_tail(self, i: int) -> bool:
        """Footnote bodies run onto the end of a paragraph's last line ("... Online? 1 De Telegraaf, ...").

        Text split into paragraphs (the official XML's) puts each footnote's text right after the sentence
        that cites it, set off by a space. The tail counts only at a paragraph's end, opening with the next
        marker in sequence after a sentence end, followed by a footnote's opening (a capital, a link).
        The line keeps its role; its content ends before the tail.
        """
        nxt = i + 1
        if nxt < len(self.lines) and self.lines[nxt].role is Role.BODY:
            return False
        info = self.lines[i]
        m = _tail_marker(self.expected).search(self.doc.text, info.start + 1, info.end) \
            if _spaced(self.doc.text, str(self.expected), info.start + 1, info.end) else None
        if m is None or not _has_words(self.doc.text[m.end() : info.end]):
            return False
        value = self.expected
        current = _Found(i, i, value, start=m.end(), inline=True)
        pos = m.end()
        while nm := _inline_marker(value + 1).search(self.doc.text, pos, info.end):
            current.end = nm.start()
            self.blocks.append(current)
            value += 1
            current = _Found(i, i, value, start=nm.end(), inline=True)
            pos = nm.end()
        self.blocks.append(current)
        self.expected = value + 1
        self.lines[i] = LineInfo(Role.BODY, info.start, m.start(), info.heading)
        return True

    def words_after(self, region: list[int], k: int, stop: int) -> bool:
        value = self.marker(region[k], self.expected) or 0
        found = _marker(self.content(region[k]), value)
        head = self.content(region[k])[found[1] :] if found else ""
        return _has_words(head + " ".join(self.content(i) for i in region[k + 1 : min(stop, k + 3)]))

    def region(self, region: list[int]) -> None:
        """Find the interrupting blocks and the bottom block of one page region."""
        if not region:
            return
        k = 0
        bottom_from = self.bottom(region)
        limit = bottom_from if bottom_from is not None else len(region)
        while k < limit:
            stop = self.interrupting(region, k, limit)
            if stop is not None or (stop := self.above_heading(region, k, limit)) is not None:
                self.take(region, k, stop)
                k = stop
            elif (stop := self.table_note(region, k, limit)) is not None:
                self.take(region, k, stop, advance=False)
                k = stop
            else:
                self.inline_tail(region[k])
                k += 1
        if bottom_from is not None:
            self.take(region, bottom_from, len(region))

    def bottom(self, region: list[int]) -> int | None:
        """The start of the footnote block that runs to the region's end, if there is one."""
        # a block holds no heading, so it can start no earlier than just after the region's last heading
        floor = max((k for k, i in enumerate(region) if self._stops_block(i)), default=-1)
        for target in (self.expected, 1, self.expected + 1):
            for k in range(len(region) - 1, floor, -1):
                if self.marker(region[k], target) != target:
                    continue
                if not self.words_after(region, k, len(region)) or not self.looks_like_footnote(region, k):
                    continue
                return self.extend_back(region, k, target)
        return None

    def table_note(self, region: list[int], k: int, limit: int) -> int | None:
        """A note printed under a table ("5 Alleen mbo ..."), running to the next item's heading.

        Tables number their notes apart from the page's footnotes, so the marker need not be the next in
        sequence, and the note does not move the sequence on.
        """
        if k == 0 or not _table_row(self.content(region[k - 1])):
            return None
        found = _marker(self.content(region[k]), self.expected)
        if found is None or not _FOOTNOTE_START.match(self.content(region[k])[found[1] :].lstrip()):
            return None
        for r in range(k + 1, min(limit, k + 5)):
            heading = self.lines[region[r]].heading
            if heading is not None:
                return r if heading.kind in ("question", "answer") else None
        return None

    def above_heading(self, region: list[int], k: int, limit: int) -> int | None:
        """Footnote bodies printed right above a question or answer heading, where a block-order extractor puts
        them: pdfminer.six at the top of the page they belong to, PyMuPDF between the front matter and
        question 1. The block opens a page, or ends the front matter after a finished sentence; it starts with
        the next marker in sequence, runs to the heading, and every marker in it is cited in the text after it
        ("afleveren?1"). A marker opening a line of an answer ("2 Deze regeling ...") is that citation itself.
        """
        i = region[k]
        if self.marker(i, self.expected) != self.expected or not self.looks_like_footnote(region, k):
            return None
        if k == 0 and not self._after_break(i):
            return None
        if k > 0 and (i > self.first_item or not _SENTENCE_END.search(self.content(region[k - 1]))):
            return None
        value = self.expected
        for r in range(k + 1, min(limit, k + 9)):
            heading = self.lines[region[r]].heading
            if heading is not None and heading.kind in ("question", "answer"):
                after = self.lines[region[r]].start
                cited = all(_citation(v).search(self.doc.text, after) for v in range(self.expected, value + 1))
                return r if cited and self.words_after(region, k, r) else None
            if heading is not None and heading.kind not in ("number", "numbered"):
                return None
            if self.marker(region[r], value + 1) == value + 1:
                value += 1
        return None

    def _after_break(self, i: int) -> bool:
        """Line ``i`` is the first body line after page furniture or a page break."""
        j = i - 1
        while j >= 0 and self.lines[j].role is Role.BLANK:
            j -= 1
        return j >= 0 and (self.lines[j].role is Role.FURNITURE or self.doc.lines[j].page != self.doc.lines[i].page)

    def interrupting(self, region: list[int], k: int, limit: int) -> int | None:
        """A block that cuts a sentence in two without a page footer (a ministry PDF's text)."""
        i = region[k]
        if k == 0 or self.marker(i, self.expected) != self.expected:
            return None
        before = self.content(region[k - 1])
        if _SENTENCE_END.search(before) or self.lines[region[k - 1]].heading is not None:
            return None
        found = _marker(self.content(i), self.expected)
        if found is None or not _FOOTNOTE_START.match(self.content(i)[found[1] :].lstrip()):
            return None  # "3 wordt het ...": a marker that landed at a line start, then the sentence goes on
        value = self.expected
        for r in range(k + 1, min(limit, k + 9)):
            j = region[r]
            info = self.lines[j]
            if info.heading is not None and info.heading.kind not in ("number", "numbered"):
                return None
            if self.marker(j, value + 1) == value + 1:
                value += 1
                continue
            text = self.content(j)
            # the body resumes with a lowercase word once the footnote line before it is complete
            # (a footnote line ending in a word or comma runs on into the next line)
            if _RESUME.match(text) and _COMPLETE.search(self.content(region[r - 1])):
                return r if self.words_after(region, k, r) else None
        return None


def _regions(doc: Document, lines: list[LineInfo]) -> list[list[int]]:
    """Body lines grouped by page: a region ends at page furniture or a page break."""
    regions: list[list[int]] = [[]]
    prev_page = 0
    body, furniture = Role.BODY, Role.FURNITURE
    for i, (info, line) in enumerate(zip(lines, doc.lines, strict=True)):
        page = line.page
        if page != prev_page and regions[-1]:
            regions.append([])
        prev_page = page
        # A page ends at its running footer; the publication id and ISSN lines may stand above the last
        # footnote (pdftotext), so they do not end it. A Toelichting starts a region of its own.
        closing = info.heading is not None and info.heading.kind == "closing"
        ends_page = info.role is furniture and _ENDS_PAGE.match(doc.text, info.start, info.end)
        glued = info.start != line.start and _glued_footer(doc, i)
        if (ends_page or closing or glued) and regions[-1]:
            regions.append([])
        if info.role is body:
            regions[-1].append(i)
    return [r for r in regions if r]


def _glued_footer(doc: Document, i: int) -> bool:
    line = doc.lines[i]
    # every footer prints "Kamer" (Tweede Kamer, vergaderjaar ...): a line without it needs no search
    return doc.text.find("Kamer", line.start, line.end) >= 0 and \
        _FOOTER.search(doc.text, line.start, line.end) is not None


def _classify(doc: Document) -> list[LineInfo]:
    text = doc.text
    out: list[LineInfo] = []
    append = out.append
    blank, furniture, body = Role.BLANK, Role.FURNITURE, Role.BODY
    is_furniture = _FURNITURE_LINE.fullmatch
    after_footer = False
    for line in doc.lines:
        raw = text[line.start : line.end]
        content = raw.strip()
        if not content:
            append(LineInfo(blank, line.end, line.end))
            continue
        s = line.start + len(raw) - len(raw.lstrip()) if raw[0].isspace() else line.start
        e = s + len(content)
        first = text[s]
        if (first in _FURNITURE_FIRST or first.isdecimal()) and is_furniture(text, s, e):
            append(LineInfo(furniture, s, e))
            continue
        m = _FOOTER.match(text, s, e) if text[s] in _FOOTER_FIRST else None
        if m:
            rest = m.end()
            while rest < e and text[rest].isspace():
                rest += 1
            if rest >= e:
                append(LineInfo(furniture, s, e))
                after_footer = m.group(1) is None
                continue
            s = rest
        elif after_footer and _PAGE_NUMBER.fullmatch(text, s, e):
            append(LineInfo(furniture, s, e))
            after_footer = False
            continue
        after_footer = False
        append(LineInfo(body, s, e, _heading(text[s:e] if m else content, s)))
    return out


_EDGE = 8  # lines at the top of a page where a running header stands


def _running_header(doc: Document, lines: list[LineInfo]) -> None:
    """Mark a running header (a ministry letter's "Datum / Kenmerk / Pagina 2 van 4" block) as furniture.

    A line repeated at the top of several pages is header material; digits are ignored in the comparison,
    so "Pagina 2 van 4" and "Pagina 3 van 4" repeat. Only the unbroken run of such lines from a page's top is
    marked, so a question or footnote repeated lower on a page stays what it is. Headings never count.
    """
    if doc.pages < 3:
        return
    pages: dict[int, list[int]] = {}
    for i, info in enumerate(lines):
        if info.role is Role.BODY:
            pages.setdefault(doc.lines[i].page, []).append(i)

    keys: dict[int, str | None] = {}
    seen: dict[str, set[int]] = {}
    for page, body in pages.items():
        for i in body[:_EDGE]:
            k = keys[i] = _header_key(doc.text, lines[i])
            if k is not None:
                seen.setdefault(k, set()).add(page)
    repeated = {k for k, on in seen.items() if len(on) >= 2}
    for body in pages.values():
        for i in body[:_EDGE]:
            if keys[i] not in repeated:
                break
            lines[i] = LineInfo(Role.FURNITURE, lines[i].start, lines[i].end)


_DIGITS = re.compile(r"\d+")


def _header_key(text: str, info: LineInfo) -> str | None:
    """A line as a running header repeats it (digits as ``#``), or None for a heading or a line of < 4 letters."""
    if info.heading is not None:
        return None
    key = _DIGITS.sub("#", text[info.start : info.end])
    letters = 0
    for ch in key:
        if ch.isalpha():
            letters += 1
            if letters == 4:
                return key
    return None


_SECTION_LABEL = re.compile(rf"{_DECOR}Antwoorden\s*:?\**\s*")


def _section_labels(doc: Document, lines: list[LineInfo]) -> None:
    """Mark a section label as furniture: a bare "Antwoorden" (plural, no numbers) whose next body line is an
    answer heading printing numbers heads the answers as a whole and opens no answer of its own."""
    body = [i for i, info in enumerate(lines) if info.role is Role.BODY]
    for i, j in pairwise(body):
        nxt = lines[j].heading
        if nxt is not None and nxt.kind == "answer" and nxt.numbers and lines[i].heading is not None \
                and _SECTION_LABEL.fullmatch(doc.text, lines[i].start, lines[i].end):
            lines[i] = LineInfo(Role.FURNITURE, lines[i].start, lines[i].end)


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def read_layout(doc: Document) -> Layout:
    """Mark every line of ``doc`` and find its footnote blocks."""
    lines = _classify(doc)
    _running_header(doc, lines)
    _section_labels(doc, lines)
    finder = _FootnoteFinder(doc, lines)
    for region in _regions(doc, lines):
        finder.region(region)
    blocks: list[FootnoteBlock] = []
    for found_block in finder.blocks:
        first, last, value = found_block.first, found_block.last, found_block.value
        if found_block.inline:  # a tail of a body line: the content ends before it, the raw line holds it
            end = found_block.end if found_block.end is not None else doc.lines[last].end
            start = found_block.start if found_block.start is not None else lines[first].end
            blocks.append(FootnoteBlock(str(value), start, _rstrip(doc.text, start, end), first, last))
            continue
        if found_block.start is not None:
            start = found_block.start
        else:
            found = _marker(doc.text[lines[first].start : lines[first].end], value)
            start = lines[first].start + (found[1] if found else 0)
        while start < lines[first].end and doc.text[start].isspace():
            start += 1
        if start >= lines[first].end:  # the marker stands alone; the text starts on a later line
            nxt = next((j for j in range(first + 1, last + 1) if lines[j].role in (Role.BODY, Role.FOOTNOTE)), None)
            start = lines[nxt].start if nxt is not None else lines[first].end
        opening = doc.text[lines[first].start : lines[first].end]
        marker = opening[: len(opening) - len(opening.lstrip("*"))] if found_block.start is None else ""
        end = _rstrip(doc.text, start, found_block.end) if found_block.end is not None else lines[last].end
        blocks.append(FootnoteBlock(marker or str(value), start, max(start, end), first, last))
        for j in range(first, last + 1):
            if lines[j].role is Role.BODY:
                lines[j] = LineInfo(Role.FOOTNOTE, lines[j].start, lines[j].end)
    return Layout(doc, tuple(lines), tuple(blocks))
