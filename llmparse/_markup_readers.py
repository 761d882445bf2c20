"""Readers for the official publication forms: the officielebekendmakingen XML, its XHTML page, and ODT.

Each reader renders the file into the letter's text in one canonical, human-readable form, the same for
every form, which the Layout and the checks can read by themselves, as they read a PDF's text::

    ah-tk-<vergaderjaar>-<nr>                  the publication id, when the file names it
    Tweede Kamer der Staten-Generaal           the header lines, one per line
    Vragen van de leden ... (ingezonden 3 juni 2021).
    Antwoord van Minister ... (ontvangen 21 juni 2021).

    Vraag 1                                    each item's printed heading on a line of its own,
    Is het waar dat ...?1                      its paragraphs one per line, a footnote marker glued
                                               to the word it follows (or "[1]" after a digit)
    Antwoord 1
    ...
    \\f1 Footnote body                          footnote bodies on a last page, one per line

Where the markup says where the items are (the XML's ``<vraag>`` / ``<antwoord>`` with ``<nr>`` and ``<al>``,
the page's ``div.vraag`` / ``div.antwoord``), the reader also returns a ``MarkupStructure``: the items' and
footnotes' offsets into the rendered text and the metadata the markup names, which the Document carries on
to the markup extractor. Markup a reader does not know (a Kamerstuk, a page without those divisions, any
ODT: its paragraphs carry no item styles) is rendered as text the same way and goes the text path.

Only the standard library is used. XML is parsed by expat with every DOCTYPE refused, so no entity is ever
declared or expanded and no external resource is read; HTML by ``html.parser``, which reads no DTD.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import xml.parsers.expat
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

from ._exceptions import UnreadableFileError, UnsupportedSchemaError

__all__ = [
    "MarkupFootnote",
    "MarkupItem",
    "MarkupStructure",
    "read_html",
    "read_odt",
    "read_xml",
]

log = logging.getLogger(__name__)

#: The largest XML part read from a file (bytes): an ODT's content.xml is inflated from a zip, which could
#: otherwise expand without bound.
MAX_XML_BYTES = 100_000_000

# Stands in the rendered pieces for a printed line break (<br/>, <text:line-break/>), where source newlines
# are only whitespace.
_BREAK = "\x1e"
_PUBLICATION_ID = re.compile(r"\bah-(?:tk|ek)-\d{8}-\d{1,5}\b")
_WS = re.compile(r"\s+")


# --- the structure record ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkupItem:
    """A question or an answer as the markup delimits it.

    Attributes:
        role: ``question`` or ``answer``.
        label: the printed heading (``<nr>``, the division's ``h2``), e.g. "Vraag 3"; None when it has none.
        heading: the heading line's ``(start, end)`` in the rendered text, or None.
        start: offset of the item's first character of text (after its heading).
        end: offset just past its last character.
    """

    role: Literal["question", "answer"]
    label: str | None
    heading: tuple[int, int] | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MarkupFootnote:
    """A footnote body as the markup gives it: its printed marker and the range of its text."""

    marker: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MarkupStructure:
    """What a reader took from the markup, as offsets into the text it rendered and plain strings.

    Attributes:
        reader: which markup it was read from (``officielebekendmakingen-xml`` or ``xhtml``).
        items: questions and answers in document order.
        footnotes: footnote bodies in document order.
        publication_id: the publication id the file names (``ah-tk-...``), or None.
        subject: the subject as marked up (``<kamervraagonderwerp>``), or None.
        askers: the askers' names as marked up (``<naam>`` in the question clause).
        respondents: the respondents' names as marked up (``<naam>`` in the answer clause).
        submitted_on: the ISO date of the question clause (``<datum isodatum>``), or None.
        received_on: the ISO date of the answer clause, or None.
    """

    reader: str
    items: tuple[MarkupItem, ...]
    footnotes: tuple[MarkupFootnote, ...] = ()
    publication_id: str | None = None
    subject: str | None = None
    askers: tuple[str, ...] = ()
    respondents: tuple[str, ...] = ()
    submitted_on: str | None = None
    received_on: str | None = None


# --- rendering ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """One line's text: whitespace runs collapsed, NFC, no outer spaces."""
    return unicodedata.normalize("NFC", _WS.sub(" ", text)).strip()


def _cite(before: str, marker: str) -> str:
    """A footnote marker as it joins the text before it: glued to a word or punctuation, as printed
    superscript reads in a PDF's text, or bracketed where gluing would merge it into a number."""
    if before and re.search(r"[A-Za-zÀ-ÿ.?!»”’'\")]$", before):
        return marker
    return f" [{marker}]" if before and not before.endswith(" ") else f"[{marker}]"


@dataclass
class _Text:
    """The rendered text, built line by line, with the offsets of what was added."""

    parts: list[str] = field(default_factory=list)
    size: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)  # (marker, body) in order of citation

    def _add(self, s: str) -> None:
        self.parts.append(s)
        self.size += len(s)

    def line(self, text: str) -> tuple[int, int] | None:
        """Append one line (cleaned); returns its ``(start, end)``, or None when it is empty."""
        text = _clean(text)
        if not text:
            return None
        if self.parts and not self.parts[-1].endswith(("\n", "\f")):
            self._add("\n")
        start = self.size
        self._add(text)
        return start, self.size

    def blank(self) -> None:
        """End the current paragraph with an empty line (never two in a row, none at the start)."""
        if self.parts and not "".join(self.parts[-2:]).endswith(("\n\n", "\f")):
            self._add("\n" if self.parts[-1].endswith("\n") else "\n\n")

    def footnotes(self) -> tuple[MarkupFootnote, ...]:
        """Render the collected footnote bodies on a last page; returns their ranges."""
        out: list[MarkupFootnote] = []
        if not self.notes:
            return ()
        self._add("\n\f" if self.parts else "\f")
        for marker, body in self.notes:
            span = self.line(f"{marker} {body}")
            if span is not None:
                out.append(MarkupFootnote(marker, span[0] + len(marker) + 1, span[1]))
        return tuple(out)

    @property
    def text(self) -> str:
        return "".join(self.parts) + ("" if not self.parts or self.parts[-1].endswith("\n") else "\n")


# --- safe XML ----------------------------------------------------------------------------------------------


class _Refused(Exception):
    """Raised inside expat's callbacks for a declaration llmparse does not process."""


def parse_xml(data: bytes, *, source: str, what: str = "XML") -> ET.Element:
    """Parse ``data`` into an ElementTree element, refusing any DOCTYPE (so no entity is declared, expanded or
    fetched). Namespaced names come out as ElementTree writes them, ``{uri}local``.

    Raises:
        UnreadableFileError: the XML is malformed or declares a DOCTYPE.
    """
    builder = ET.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def refuse(*_: object) -> Any:
        raise _Refused

    def start(tag: str, attrs: dict[str, str]) -> None:
        builder.start(name(tag), {name(k): v for k, v in attrs.items()})

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except _Refused:
        raise UnreadableFileError(
            f"the {what} declares a DOCTYPE; llmparse reads no DTDs or entity declarations (they can expand "
            "without bound or read other files): remove the declaration", source=source) from None
    except xml.parsers.expat.ExpatError as exc:
        raise UnreadableFileError(f"is not well-formed {what} ({exc})", source=source) from exc
    return builder.close()


@contextmanager
def _depth_guard(source: str) -> Iterator[None]:
    """Elements nested thousands deep (no letter is) exhaust the recursion limit: a typed error, not a crash."""
    try:
        yield
    except RecursionError:
        raise UnreadableFileError("its markup is nested too deeply to be a letter", source=source) from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- officielebekendmakingen XML ---------------------------------------------------------------------------

# Elements whose content runs on in the line around them.
_XML_INLINE = frozenset({
    "nadruk", "extref", "intref", "naam", "voornaam", "achternaam", "organisatie", "datum", "functie",
    "kamervraagonderwerp", "sup", "inf", "unicode", "nootref", "br", "afkorting", "term", "citaat-inline",
})
# Elements whose text is never part of the letter's text.
_XML_SKIP = frozenset({"metadata", "meta", "kamernummer", "kamervraagnummer", "noot.nr", "li.nr", "colspec"})
_XML_ROOTS = frozenset({"officiele-publicatie", "kamervragen"})


class _XmlRenderer:
    """Renders an officielebekendmakingen document (root ``officiele-publicatie``)."""

    def __init__(self) -> None:
        self.out = _Text()
        self.items: list[MarkupItem] = []
        self.askers: list[str] = []
        self.respondents: list[str] = []
        self.subject: str | None = None
        self.submitted: str | None = None
        self.received: str | None = None
        self.prefix = ""  # a list item's number, for the first line of its text

    def inline(self, el: ET.Element, into: list[str]) -> None:
        """Append ``el``'s text, its inline children's and its tail's to ``into``; a ``<noot>`` leaves its
        marker here and its body for the footnote page."""
        tag = _local(el.tag)
        if tag == "noot":
            nr = el.find("noot.nr")
            marker = _clean("".join(nr.itertext())) if nr is not None else ""
            marker = marker or str(len(self.out.notes) + 1)
            body = [self.text_of(child) for child in el if _local(child.tag) != "noot.nr"]
            into.append(_cite("".join(into), marker))
            self.out.notes.append((marker, _clean(" ".join(body))))
        elif tag not in _XML_SKIP:
            into.append(el.text or "")
            for child in el:
                self.inline(child, into)
        into.append(el.tail or "")

    def _flat(self, el: ET.Element) -> list[str]:
        parts: list[str] = [el.text or ""]
        for child in el:
            self.inline(child, parts)
        return parts

    def text_of(self, el: ET.Element) -> str:
        """The element's own inline text (without its tail)."""
        return _clean("".join(self._flat(el)))

    def block(self, el: ET.Element, spans: list[tuple[int, int]]) -> None:
        """Render ``el`` as lines: a container's children one by one, mixed content as one line."""
        tag = _local(el.tag)
        if tag in _XML_SKIP:
            return
        if tag == "li":
            nr = el.find("li.nr")
            if nr is not None:
                self.prefix = _clean("".join(nr.itertext()))
        if tag == "row":
            cells = ["".join(self.text_of(c) for c in entry.iter() if _local(c.tag) == "al") or self.text_of(entry)
                     for entry in el if _local(entry.tag) == "entry"]
            self._line("\t".join(cells), spans)
            return
        mixed = bool((el.text or "").strip()) or any(_local(c.tag) in _XML_INLINE or _local(c.tag) == "noot"
                                                     for c in el)
        if mixed or len(el) == 0:
            self._line(self.text_of(el), spans)
            return
        for child in el:
            self.block(child, spans)

    def _line(self, text: str, spans: list[tuple[int, int]]) -> None:
        if self.prefix and text.strip():
            text, self.prefix = f"{self.prefix} {text}", ""
        span = self.out.line(text)
        if span is not None:
            spans.append(span)

    def clause(self, el: ET.Element) -> None:
        """A ``<kamervraagomschrijving>``: one line; its names, subject and date go to the record."""
        kind = el.get("type", "")
        names = [_plain(n) for n in el.iter() if _local(n.tag) == "naam"]
        dates = [d.get("isodatum") for d in el.iter() if _local(d.tag) == "datum" and d.get("isodatum")]
        subject = next((_plain(s) for s in el.iter() if _local(s.tag) == "kamervraagonderwerp"), None)
        if kind == "vraag":
            self.askers.extend(n for n in names if n)
            self.submitted = self.submitted or (dates[0] if dates else None)
            self.subject = self.subject or subject or None
        elif kind in ("antwoord", "mededeling"):
            self.respondents.extend(n for n in names if n)
            self.received = self.received or (dates[0] if dates else None)
        self.out.blank()
        self.out.line(self.text_of(el))

    def item(self, el: ET.Element, role: Literal["question", "answer"]) -> None:
        nr = next((c for c in el if _local(c.tag) == "nr"), None)
        label = self.text_of(nr) if nr is not None else None
        self.out.blank()
        heading = self.out.line(label) if label else None
        spans: list[tuple[int, int]] = []
        for child in el:
            if child is not nr:
                self.block(child, spans)
        if spans:
            self.items.append(MarkupItem(role, label or None, heading, spans[0][0], spans[-1][1]))

    def render(self, root: ET.Element) -> tuple[str, MarkupStructure | None]:
        pub = _publication_id(" ".join(m.get("content", "") for m in root.iter() if _local(m.tag) == "meta"))
        pub = pub or _composed_id(root)
        if pub:
            self.out.line(pub)
        for el in root:
            if _local(el.tag) in ("metadata", "meta"):
                continue
            self.walk(el)
        footnotes = self.out.footnotes()
        if not self.items:
            return self.out.text, None
        return self.out.text, MarkupStructure(
            reader="officielebekendmakingen-xml", items=tuple(self.items), footnotes=footnotes,
            publication_id=pub, subject=self.subject, askers=tuple(self.askers),
            respondents=tuple(self.respondents), submitted_on=self.submitted, received_on=self.received)

    def walk(self, el: ET.Element) -> None:
        tag = _local(el.tag)
        if tag == "kamervraagomschrijving":
            self.clause(el)
        elif tag in ("vraag", "antwoord"):
            self.item(el, "question" if tag == "vraag" else "answer")
        elif tag == "kamervragen":
            for child in el:
                self.walk(child)
        elif tag == "kamervraagkop":  # the header's lines, less the chamber's number ("2")
            self.out.blank()
            for child in el:
                if child.get("inhoud") != "kamernummer":
                    self.block(child, [])
        else:
            self.out.blank()
            self.block(el, [])


def _plain(el: ET.Element) -> str:
    """An element's text without its footnotes (a name, a subject)."""

    def raw(e: ET.Element) -> str:
        return (e.text or "") + "".join((raw(c) if _local(c.tag) != "noot" else "") + (c.tail or "") for c in e)

    return _clean(raw(el))


def _publication_id(text: str) -> str | None:
    m = _PUBLICATION_ID.search(text)
    return m.group() if m else None


def _composed_id(root: ET.Element) -> str | None:
    """An Aanhangsel's id from its header (chamber, session) and number, when no metadata names it."""
    lines = {t.get("inhoud"): _clean("".join(t.itertext())) for t in root.iter() if _local(t.tag) == "tekstregel"}
    number = next((_clean("".join(n.itertext())) for n in root.iter() if _local(n.tag) == "kamervraagnummer"), "")
    session = re.fullmatch(r"\D*(\d{4})\s*[-–]\s*(\d{4})", lines.get("vergaderjaar") or "")
    chamber = lines.get("kameraanduiding") or ""
    house = "tk" if chamber.startswith("Tweede") else "ek" if chamber.startswith("Eerste") else None
    if not (session and house and number.isdigit() and "Aanhangsel" in (lines.get("documenttype") or "")):
        return None
    return f"ah-{house}-{session.group(1)}{session.group(2)}-{number}"


def read_xml(path: Path, *, source: str) -> tuple[str, MarkupStructure | None]:
    """The text of an officielebekendmakingen XML file, and the structure its markup gives.

    Raises:
        UnreadableFileError: the file is not well-formed XML, or declares a DOCTYPE.
        UnsupportedSchemaError: the XML is of another schema than officielebekendmakingen's.
    """
    root = parse_xml(path.read_bytes(), source=source)
    if _local(root.tag) not in _XML_ROOTS:
        raise UnsupportedSchemaError(
            f"is XML of another schema (root element <{_local(root.tag)}>); llmparse reads the "
            "officielebekendmakingen XML (root <officiele-publicatie>): convert other XML to text first",
            source=source)
    with _depth_guard(source):
        text, structure = _XmlRenderer().render(root)
    log.debug("%s: officielebekendmakingen XML, %s", source,
              f"{len(structure.items)} items from the markup" if structure else "no items in the markup")
    return text, structure


# --- XHTML -------------------------------------------------------------------------------------------------

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
_HTML_INLINE = frozenset({"a", "abbr", "b", "big", "cite", "code", "del", "dfn", "em", "font", "i", "ins", "kbd",
                          "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt",
                          "u", "var", "br", "img", "wbr"})
_HTML_SKIP = frozenset({"head", "script", "style", "noscript", "template", "button", "form", "nav", "select"})
_HTML_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def nodes(self) -> Iterator[_Node]:
        yield self
        for c in self.children:
            if isinstance(c, _Node):
                yield from c.nodes()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """A forgiving element tree from html.parser's events: unclosed elements close at their parent's end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p" and any(n.tag == "p" for n in self.stack):  # a <p> closes an open one
            self.handle_endtag("p")
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.stack) - 1, 0, -1):
            if self.stack[k].tag == tag:
                del self.stack[k:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class _HtmlRenderer:
    """Renders an officielebekendmakingen XHTML page (or any HTML page, as text)."""

    def __init__(self) -> None:
        self.out = _Text()
        self.items: list[MarkupItem] = []

    def inline(self, node: _Node | str, into: list[str]) -> None:
        if isinstance(node, str):
            into.append(node)
        elif node.tag == "br":
            into.append(_BREAK)
        elif "nootnum" in node.classes() and node.tag == "a":
            into.append(_cite("".join(into), _clean(node.text())))
        elif node.tag not in _HTML_SKIP:
            for c in node.children:
                self.inline(c, into)

    def line_of(self, node: _Node, spans: list[tuple[int, int]]) -> None:
        parts: list[str] = []
        for c in node.children:
            self.inline(c, parts)
        for piece in "".join(parts).split(_BREAK):
            span = self.out.line(piece)
            if span is not None:
                spans.append(span)

    def block(self, node: _Node, spans: list[tuple[int, int]]) -> None:
        classes = node.classes()
        if node.tag in _HTML_SKIP or node.attrs.get("id") == "noten" or "note-close" in classes:
            return
        if "voet" in classes and "noot" in classes:
            return
        if node.tag == "tr":
            cells = [self._flat(c) for c in node.children if isinstance(c, _Node) and c.tag in ("td", "th")]
            span = self.out.line("\t".join(cells))
            if span is not None:
                spans.append(span)
            return
        if node.tag == "div" and classes & {"vraag", "antwoord"}:
            self.item(node, "question" if "vraag" in classes else "answer")
            return
        if node.tag in _HTML_HEADINGS:
            self.out.blank()
        inline = any(isinstance(c, str) and c.strip() for c in node.children) or any(
            isinstance(c, _Node) and c.tag in _HTML_INLINE for c in node.children)
        if inline:
            self.line_of(node, spans)
            return
        for c in node.children:
            if isinstance(c, _Node):
                self.block(c, spans)

    def _flat(self, node: _Node) -> str:
        parts: list[str] = []
        for c in node.children:
            self.inline(c, parts)
        return _clean("".join(parts))

    def item(self, node: _Node, role: Literal["question", "answer"]) -> None:
        head = next((c for c in node.children if isinstance(c, _Node) and (
            c.tag in _HTML_HEADINGS or (c.tag == "p" and "nummer" in c.classes()))), None)
        label = self._flat(head) if head is not None else None
        self.out.blank()
        heading = self.out.line(label) if label else None
        spans: list[tuple[int, int]] = []
        for c in node.children:
            if isinstance(c, _Node) and c is not head:
                self.block(c, spans)
        if spans:
            self.items.append(MarkupItem(role, label or None, heading, spans[0][0], spans[-1][1]))

    def render(self, root: _Node) -> tuple[str, MarkupStructure | None]:
        metas = [n for n in root.nodes() if n.tag == "meta"]
        pub = _publication_id(" ".join(m.attrs.get("content", "") for m in metas
                                       if m.attrs.get("name", "").lower() == "dc.identifier"))
        if pub:
            self.out.line(pub)
        body = next((n for n in root.nodes() if n.tag == "body"), root)
        self.block(body, [])
        for note in (n for n in root.nodes() if n.tag == "div" and {"voet", "noot"} <= n.classes()):
            num = next((n for n in note.nodes() if "nootnum" in n.classes()), None)
            marker = _clean(num.text()) if num is not None else str(len(self.out.notes) + 1)
            body_text = " ".join(self._flat(p) for p in note.children if isinstance(p, _Node) and p.tag == "p")
            self.out.notes.append((marker, body_text))
        footnotes = self.out.footnotes()
        if not self.items:
            return self.out.text, None
        return self.out.text, MarkupStructure(reader="xhtml", items=tuple(self.items), footnotes=footnotes,
                                              publication_id=pub)


def _decode_html(data: bytes) -> str:
    m = re.search(rb"""charset=["']?([\w-]+)|encoding=["']([\w-]+)""", data[:2048])
    encoding = (m.group(1) or m.group(2)).decode("ascii") if m else "utf-8"
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")


def read_html(path: Path, *, source: str) -> tuple[str, MarkupStructure | None]:
    """The text of an HTML or XHTML page, and the structure its ``div.vraag`` / ``div.antwoord`` give.

    A page without those divisions is rendered as text (headings and paragraphs one per line).
    """
    builder = _TreeBuilder()
    builder.feed(_decode_html(path.read_bytes()))
    builder.close()
    with _depth_guard(source):
        text, structure = _HtmlRenderer().render(builder.root)
    log.debug("%s: HTML, %s", source,
              f"{len(structure.items)} items from the markup" if structure else "no items in the markup")
    return text, structure


# --- ODT ---------------------------------------------------------------------------------------------------

_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_T = "{" + _ODF_TEXT + "}"
_ODF_SKIP = frozenset({f"{_T}sequence-decls", f"{_T}tracked-changes", f"{_T}variable-decls", f"{_T}user-field-decls",
                       f"{{{_ODF_OFFICE}}}forms", f"{_T}table-of-content", f"{_T}bookmark", f"{_T}bookmark-start",
                       f"{_T}bookmark-end", f"{_T}reference-mark", f"{_T}soft-page-break", f"{_T}note-citation"})


class _OdtRenderer:
    """Renders an ODF text document's body: paragraphs and headings one per line, tables a row a line."""

    def __init__(self) -> None:
        self.out = _Text()

    def inline(self, el: ET.Element, into: list[str]) -> None:
        tag = el.tag
        if tag == f"{_T}s":
            into.append(" " * int(el.get(f"{_T}c", "1") or 1))
        elif tag == f"{_T}tab":
            into.append("\t")
        elif tag == f"{_T}line-break":
            into.append(_BREAK)
        elif tag == f"{_T}note":
            cite = el.find(f"{_T}note-citation")
            marker = _clean(cite.get(f"{_T}label") or "".join(cite.itertext())) if cite is not None else ""
            marker = marker or str(len(self.out.notes) + 1)
            body = el.find(f"{_T}note-body")
            into.append(_cite("".join(into), marker))
            self.out.notes.append((marker, " ".join(self._flat(p) for p in body) if body is not None else ""))
        elif tag not in _ODF_SKIP:
            into.append(el.text or "")
            for child in el:
                self.inline(child, into)
        into.append(el.tail or "")

    def _flat(self, el: ET.Element) -> str:
        parts: list[str] = [el.text or ""]
        for child in el:
            self.inline(child, parts)
        return _clean("".join(parts))

    def block(self, el: ET.Element) -> None:
        tag = el.tag
        if tag in _ODF_SKIP:
            return
        if tag in (f"{_T}p", f"{_T}h"):
            parts: list[str] = [el.text or ""]
            for child in el:
                self.inline(child, parts)
            if tag == f"{_T}h":
                self.out.blank()
            for piece in "".join(parts).split(_BREAK):
                self.out.line(piece)
            return
        if tag == f"{{{_ODF_TABLE}}}table-row":
            cells = [" ".join(self._flat(p) for p in cell) for cell in el
                     if cell.tag == f"{{{_ODF_TABLE}}}table-cell"]
            self.out.line("\t".join(c for c in cells if c))
            return
        for child in el:
            self.block(child)


def read_odt(path: Path, *, source: str) -> str:
    """The text of an OpenDocument text (.odt) file: its body's paragraphs, tables and frames in order,
    footnotes (``text:note``) as markers with their bodies on a last page, and the publication id its
    metadata names when the body does not print it. ODT carries no item markup, so it goes the text path.

    Raises:
        UnreadableFileError: the file is no zip, holds no content.xml, or its XML is malformed.
        UnsupportedFormatError: the file is another OpenDocument type (a spreadsheet, a presentation).
    """
    try:
        with zipfile.ZipFile(path) as zf:
            mimetype = _member(zf, "mimetype", source, required=False).decode("ascii", "replace").strip()
            if mimetype and not mimetype.startswith("application/vnd.oasis.opendocument.text"):
                raise UnsupportedSchemaError(f"is an OpenDocument file of type {mimetype}, not a text document",
                                             source=source)
            content = parse_xml(_member(zf, "content.xml", source), source=source, what="ODT content")
            meta_bytes = _member(zf, "meta.xml", source, required=False)
    except zipfile.BadZipFile as exc:
        raise UnreadableFileError(f"cannot be read as an ODT file ({exc}); the file may be damaged",
                                  source=source) from exc
    renderer = _OdtRenderer()
    body = content.find(f"{{{_ODF_OFFICE}}}body/{{{_ODF_OFFICE}}}text")
    if body is None:
        raise UnreadableFileError("is an ODT file without a text body", source=source)
    with _depth_guard(source):
        renderer.block(body)
    renderer.out.footnotes()
    text = renderer.out.text
    if meta_bytes and not _PUBLICATION_ID.search(text):
        meta = parse_xml(meta_bytes, source=source, what="ODT metadata")
        pub = _publication_id(" ".join("".join(m.itertext()) for m in meta.iter(f"{{{_ODF_META}}}user-defined")
                                       if m.get(f"{{{_ODF_META}}}name", "").endswith("identifier")))
        if pub:
            text = f"{pub}\n{text}"
    return text


def _member(zf: zipfile.ZipFile, name: str, source: str, *, required: bool = True) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        if required:
            raise UnreadableFileError(f"is not an ODT file: it holds no {name}", source=source) from None
        return b""
    if info.file_size > MAX_XML_BYTES:
        raise UnreadableFileError(f"its {name} inflates to {info.file_size:,} bytes, over the limit of "
                                  f"{MAX_XML_BYTES:,}", source=source)
    with zf.open(info) as handle:
        return handle.read(MAX_XML_BYTES + 1)[:MAX_XML_BYTES]


#: Readers of the official forms by suffix; each returns the text and, where the markup gives it, the structure.
MARKUP_READERS: dict[str, Callable[..., tuple[str, MarkupStructure | None]]] = {
    ".xml": read_xml, ".html": read_html, ".htm": read_html, ".xhtml": read_html,
}
