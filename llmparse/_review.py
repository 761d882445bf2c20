"""Review page: one self-contained HTML file that shows a parsed letter in its own text.

``render_html`` draws ``Result.text`` line by line (line breaks kept, form feeds as page separators) and
highlights every question (Vraag), answer (Antwoord) and footnote (voetnoot) in place by its span, so a
reader sees at a glance what the parser took for what. Page furniture and text that belongs to no item are
greyed. A header holds the metadata and counts, a contents list links every item, and the findings link to
the line they concern (each line has the id ``L<n>``, 1-based). Grouped answers link to their questions
(``#q-4``) and every question links back to its answer (``#a-4``).

The page needs nothing from the network: the CSS and the small script are inline, and a Content Security
Policy that allows only those two (by hash) blocks everything else, so no text in a letter can load or run
anything even if it got past the escaping. The output is deterministic: the same result gives the same bytes.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import re
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from ._document import load_document
from ._exceptions import LLMParseError
from ._layout import Role, read_layout
from ._types import Severity

if TYPE_CHECKING:  # the page reads a Result; importing the models back would make a cycle (they call it)
    from ._models import Answer, Finding, Footnote, Person, Question, Result

__all__ = ["render_html"]

# --- what goes on the page ------------------------------------------------------------------------------

_CSS = """
:root { --q: #dbeafe; --q-edge: #2563eb; --a: #dcfce7; --a-edge: #15803d; --fn: #fef3c7; --fn-edge: #b45309;
  --grey: #6b7280; --ink: #111827; --focus: #7c3aed; }
* { box-sizing: border-box; }
html { scroll-padding-top: 1rem; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.5 system-ui, -apple-system, "Segoe UI",
  Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main, header.page { max-width: 110rem; margin: 0 auto; padding: 0 1.5rem; }
a { color: #1d4ed8; }
a:focus-visible, [tabindex]:focus-visible, summary:focus-visible { outline: 3px solid var(--focus);
  outline-offset: 2px; border-radius: 2px; }
.skip { position: absolute; left: 1rem; top: -3rem; background: #fff; padding: .4rem .8rem;
  border: 2px solid var(--focus); z-index: 10; }
.skip:focus { top: .5rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.25rem 0 .5rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.meta dt { color: var(--grey); }
dl.meta dd { margin: 0; }
.none { color: var(--grey); font-style: italic; }
.counts { margin: .5rem 0; }
.legend span { display: inline-block; padding: 0 .4rem; margin-right: .5rem; border-radius: 3px; }
.legend .lq { background: var(--q); } .legend .la { background: var(--a); } .legend .lf { background: var(--fn); }
.legend .lx { color: var(--grey); }
nav.toc details { margin: .25rem 0; }
nav.toc ol { list-style: none; padding: 0; margin: .25rem 0; display: flex; flex-wrap: wrap; gap: .25rem; }
nav.toc li a { display: inline-block; min-width: 2.6rem; text-align: center; padding: .05rem .35rem;
  border-radius: 3px; text-decoration: none; color: var(--ink); border: 1px solid transparent; }
nav.toc .tq a { background: var(--q); } nav.toc .ta a { background: var(--a); }
nav.toc .tf a { background: var(--fn); }
nav.toc .tq a.unanswered { border: 1px dashed #b91c1c; }
ul.findings { list-style: none; padding: 0; margin: 0; }
ul.findings li { padding: .3rem 0; border-bottom: 1px solid #e5e7eb; }
.badge { display: inline-block; min-width: 4.5rem; text-align: center; font-size: .8rem; font-weight: 600;
  border-radius: 3px; padding: 0 .3rem; color: #fff; }
.sev-error { background: #b91c1c; } .sev-warning { background: #a16207; } .sev-info { background: #475569; }
code { font-size: .9em; }
.letter { position: relative; margin: 1rem 0 3rem; padding: .75rem .75rem .75rem 4.5rem; border: 1px solid #e5e7eb;
  border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; color: var(--grey);
  font: 14px/1.6 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; }
.ln { display: inline-block; vertical-align: top; scroll-margin-top: 3rem; }
.ln::before { content: attr(data-n); position: absolute; left: 0; width: 3.5rem; padding-right: .5rem;
  text-align: right; color: #9ca3af; user-select: none; }
.ln:target::before { background: #fde047; color: #000; font-weight: 700; }
.ln:target::after { content: ""; position: absolute; left: 0; right: 0; height: 1.6em; pointer-events: none;
  background: rgba(253, 224, 71, .35); }
.ln.f-error::before { color: #b91c1c; font-weight: 700; } .ln.f-warning::before { color: #a16207; font-weight: 700; }
.pb { display: block; margin: .75rem -.75rem .75rem -4.5rem; border-top: 2px dashed #9ca3af; height: 0; }
.pb::before { content: "page " attr(data-page); position: relative; top: -.8em; left: 50%; padding: 0 .5rem;
  background: #fff; color: var(--grey); font: 12px system-ui, sans-serif; user-select: none; }
mark { color: var(--ink); padding: 0; scroll-margin-top: 3rem; }
mark { -webkit-box-decoration-break: clone; box-decoration-break: clone; text-decoration: none; }
mark.q { background: var(--q); box-shadow: inset 3px 0 0 var(--q-edge); }
mark.a { background: var(--a); box-shadow: inset 3px 0 0 var(--a-edge); }
mark.fn { background: var(--fn); box-shadow: inset 3px 0 0 var(--fn-edge); }
mark.q.unanswered { box-shadow: inset 3px 0 0 #b91c1c; }
mark:target { outline: 2px solid var(--focus); }
.head { color: var(--ink); font-weight: 700; }
.furn { color: var(--grey); font-style: italic; background: #f3f4f6; }
.tag { user-select: none; font: 600 11px/1.4 system-ui, sans-serif; color: #fff; border-radius: 3px;
  padding: 0 .3rem; margin-right: .35rem; white-space: normal; vertical-align: 1px; }
.tag a { color: #fff; text-decoration: underline; }
.tag.q { background: var(--q-edge); } .tag.a { background: var(--a-edge); } .tag.fn { background: var(--fn-edge); }
.tag .miss { background: #b91c1c; border-radius: 2px; padding: 0 .2rem; }
.hint { color: var(--grey); font-size: .9rem; }
.wide { color: var(--grey); font-size: .85rem; border: 1px solid #d1d5db; border-radius: 3px; padding: 0 .3rem; }
@media print { .skip, nav.toc { display: none; } .letter { border: 0; } }
"""

_JS = """
(function () {
  "use strict";
  var body = document.body;
  function followed() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (err) { id = ""; }
    var el = id ? document.getElementById(id) : null;
    body.setAttribute("data-target", el ? id : "");
    body.setAttribute("data-scroll-y", String(Math.round(window.scrollY)));
    if (el) {
      body.setAttribute("data-target-top", String(Math.round(el.getBoundingClientRect().top)));
    }
  }
  window.addEventListener("hashchange", followed);
  window.addEventListener("load", followed);
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-item][id]"));
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.key !== "n" && e.key !== "p")) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    // an item jumped to stands this far below the top (its scroll margin plus the page's scroll padding)
    var at = items.length ? parseFloat(getComputedStyle(items[0]).scrollMarginTop) +
      parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) : 0;
    var pick = null, i, top;
    for (i = 0; i < items.length; i++) {
      top = items[i].getBoundingClientRect().top;
      if (e.key === "n" && top > at + 2) { pick = items[i]; break; }
      if (e.key === "p" && top < at - 2) { pick = items[i]; }
    }
    if (pick) { e.preventDefault(); location.hash = "#" + pick.id; }
  });
})();
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


# Only the inline style and script written above may apply: nothing loads, no injected script or handler runs.
_CSP = (f"default-src 'none'; style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_JS)}; "
        "base-uri 'none'; form-action 'none'")

# Characters HTML cannot carry as text (C0 controls other than tab and newline, lone surrogates): a U+FFFD
# each, so a line keeps its length and nothing in the letter can break the markup.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\r\x0e-\x1f\x7f\ud800-\udfff]")


def _text(s: str) -> str:
    """Escape text for an element's content or an attribute value."""
    return escape(_UNSAFE.sub("\ufffd", s), quote=True)


# --- ranges: what each stretch of the text is -----------------------------------------------------------


@dataclass
class _Range:
    """A stretch of the letter drawn as one element (split where ranges cross, as HTML needs)."""

    start: int
    end: int
    rank: int  # 0 items (outer), 1 styles (inner)
    order: int
    tag: str  # the element name
    cls: str
    attrs: list[tuple[str, str]] = field(default_factory=list)  # on the first part only
    label: str = ""  # HTML drawn at the start of the first part


@dataclass
class _Line:
    start: int
    end: int
    stop: str  # "\n", "\f" or "" (the last line)


def _lines(text: str) -> list[_Line]:
    """The letter's lines, split as ``Document`` splits them (a form feed ends a line as a newline does)."""
    out: list[_Line] = []
    pos = 0
    for m in re.finditer(r"[\n\f]", text):
        out.append(_Line(pos, m.start(), m.group()))
        pos = m.end()
    out.append(_Line(pos, len(text), ""))
    return out


def _style_ranges(text: str, lines: list[_Line]) -> list[_Range]:
    """Page furniture (greyed) and printed headings (bold), from the layout stage, when it can read the text."""
    try:
        doc = load_document(text)
    except LLMParseError:  # empty or binary text: no layout, just the text
        return []
    if doc.text != text or len(doc.lines) != len(lines):
        return []  # a hand-made result whose text is not normalised: its offsets are not the layout's
    layout = read_layout(doc)
    out: list[_Range] = []
    for i, info in enumerate(layout.lines):
        line = doc.lines[i]
        if info.role is Role.FURNITURE:
            out.append(_Range(info.start, info.end, 1, i, "span", "furn", [("title", "page furniture")]))
            continue
        if info.role in (Role.BODY, Role.FOOTNOTE) and text[line.start : info.start].strip():
            # a running footer glued to the start of this line
            out.append(_Range(line.start, info.start, 1, i, "span", "furn", [("title", "page furniture")]))
        heading = info.heading
        if heading is not None and heading.kind in ("question", "answer", "notice") and heading.end > heading.start:
            out.append(_Range(heading.start, heading.end, 1, i, "span", "head"))
    return out


def _draw(text: str, lines: list[_Line], ranges: list[_Range], line_class: dict[int, str]) -> str:
    """The letter as HTML: each range one element (in parts where ranges cross), each line opening with its anchor.

    Items (rank 0) nest by start and length; style ranges (rank 1) always sit innermost. When a range ends
    while ranges opened inside it are still open, those are closed and reopened as continuation parts
    (``data-cont`` holding the id of the range they continue), so each range has exactly one first part
    carrying its id, attributes and label.
    """
    n = len(text)
    starts: dict[int, list[_Range]] = {}
    for r in sorted(ranges, key=lambda r: (r.start, r.rank, -r.end, r.order)):
        starts.setdefault(r.start, []).append(r)
    line_at = {ln.start: k for k, ln in enumerate(lines)}
    stops = {ln.end: ln.stop for ln in lines if ln.stop}
    bounds = sorted({0, n, *starts, *(r.end for r in ranges), *line_at, *stops, *(e + 1 for e in stops)})
    page = 1
    out: list[str] = []
    stack: list[_Range] = []

    def open_tag(r: _Range, first: bool) -> str:
        if first:
            attrs = "".join(f' {k}="{_text(v)}"' for k, v in r.attrs)
            return f'<{r.tag} class="{r.cls}"{attrs}>{r.label}'
        of = next((v for k, v in r.attrs if k == "id"), "")
        return f'<{r.tag} class="{r.cls}" data-cont="{_text(of)}">'

    def reopen(from_index: int, pos: int) -> None:
        """Close the stack from ``from_index`` up, then reopen the parts that go on past ``pos``."""
        closing = stack[from_index:]
        out.extend(f"</{r.tag}>" for r in reversed(closing))
        del stack[from_index:]
        for r in closing:
            if r.end > pos:
                out.append(open_tag(r, first=False))
                stack.append(r)

    for k, p in enumerate(bounds):
        ended = next((i for i, r in enumerate(stack) if r.end <= p), None)
        if ended is not None:
            reopen(ended, p)
        if p in line_at:
            no = line_at[p] + 1
            extra = f" {line_class[no]}" if no in line_class else ""
            out.append(f'<span class="ln{extra}" id="L{no}" data-n="{no}"></span>')
        for r in starts.get(p, []):
            inner = next((i for i, s in enumerate(stack) if s.rank > r.rank), None)
            held = stack[inner:] if inner is not None else []
            if inner is not None:  # an item opening inside a style range: the style goes inside the item
                out.extend(f"</{s.tag}>" for s in reversed(held))
                del stack[inner:]
            if r.end <= r.start:
                out.append(open_tag(r, first=True) + f"</{r.tag}>")
            else:
                out.append(open_tag(r, first=True))
                stack.append(r)
            for s in held:
                out.append(open_tag(s, first=False))
                stack.append(s)
        if k + 1 == len(bounds):
            break
        q = bounds[k + 1]
        if p in stops:  # the line's terminator, one character
            if stops[p] == "\f":
                page += 1
                # the newline keeps an empty last line of the page from collapsing under the separator
                out.append(f'\n<span class="pb" role="separator" aria-label="page {page}" data-page="{page}"></span>')
            else:
                out.append("\n")
        else:
            out.append(_text(text[p:q]))
    out.extend(f"</{r.tag}>" for r in reversed(stack))
    return "".join(out)


# --- items, their ids and their links -------------------------------------------------------------------


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", s)[:40] or "_"


class _Ids:
    """Unique element ids: the first item to ask for ``q-4`` gets it, a later one ``q-4-2``."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, base: str) -> str:
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}-{k}", k + 1
        self.used.add(name)
        return name

    def free(self, name: str) -> bool:
        return name not in self.used


def _is_int(s: str) -> bool:
    return re.fullmatch(r"[0-9]{1,9}", s) is not None


def _numbers_label(numbers: list[str]) -> str:
    """``["4", "5", …, "15"]`` as ``4–15``; ``["3", "4"]`` as ``3, 4``; empty as ``?``."""
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and _is_int(numbers[j]) and _is_int(numbers[j + 1]) and (
            int(numbers[j + 1]) == int(numbers[j]) + 1
        ):
            j += 1
        parts.append(f"{numbers[i]}–{numbers[j]}" if j - i >= 2 else ", ".join(numbers[i : j + 1]))
        i = j + 1
    return ", ".join(parts) or "?"


def _clamp(span: tuple[int, int], n: int) -> tuple[int, int]:
    start = min(max(span[0], 0), n)
    return start, min(max(span[1], start), n)


def _excerpt(s: str, limit: int = 90) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


@dataclass
class _Items:
    """Every item's id and the links between them."""

    q_ids: list[str]
    a_ids: list[str]
    fn_ids: list[str]
    q_of_number: dict[str, str]  # number -> id of the first question carrying it
    answers_of_question: list[list[int]]  # question index -> indexes of the answers covering its numbers
    q_aliases: list[list[str]]  # extra ids for a question's further numbers (q-5 on "Vraag 4 en 5"), when free
    a_aliases: list[list[str]]  # and for an answer's (a-7 on "Antwoord 4 t/m 15")

    @classmethod
    def build(cls, questions: list[Question], answers: list[Answer], footnotes: list[Footnote]) -> _Items:
        ids = _Ids()
        q_ids = [ids.claim(f"q-{_slug(q.numbers[0])}" if q.numbers else f"q-n{k + 1}") for k, q in enumerate(questions)]
        a_ids = [ids.claim(f"a-{_slug(a.numbers[0])}" if a.numbers else f"a-n{k + 1}") for k, a in enumerate(answers)]
        fn_ids = [ids.claim(f"fn-{k + 1}") for k in range(len(footnotes))]
        q_of_number: dict[str, str] = {}
        for q, qid in zip(questions, q_ids, strict=True):
            for num in q.numbers:
                q_of_number.setdefault(num, qid)
        answer_of: dict[str, list[int]] = {}
        for k, a in enumerate(answers):
            for num in a.numbers:
                answer_of.setdefault(num, []).append(k)
        covering = [list(dict.fromkeys(k for num in q.numbers for k in answer_of.get(num, []))) for q in questions]
        q_aliases = [[ids.claim(f"q-{_slug(num)}") for num in q.numbers[1:] if ids.free(f"q-{_slug(num)}")]
                     for q in questions]
        a_aliases = [[ids.claim(f"a-{_slug(num)}") for num in a.numbers[1:] if ids.free(f"a-{_slug(num)}")]
                     for a in answers]
        return cls(q_ids, a_ids, fn_ids, q_of_number, covering, q_aliases, a_aliases)


def _footnote_for(marker: str, footnotes: list[Footnote]) -> int | None:
    """The footnote an item's citation of ``marker`` means, when only one footnote carries that marker.

    A letter that prints the questions' footnotes and the answers' footnotes both from 1 has two footnotes
    marked 1; which one an item cites is not recorded, so such a citation links nowhere rather than guess.
    """
    same = [k for k, f in enumerate(footnotes) if f.marker == marker]
    return same[0] if len(same) == 1 else None


def _item_ranges(result: Result, items: _Items) -> list[_Range]:
    letter = result.letter
    n = len(result.text)
    expects_answers = letter.kind == "answers"
    ranges: list[_Range] = []

    def cited(item: Question | Answer) -> str:
        links = []
        for marker in item.footnotes:
            k = _footnote_for(marker, letter.footnotes)
            if k is not None:
                links.append(f'<a href="#{items.fn_ids[k]}">fn {_text(marker)}</a>')
            else:
                why = f"more than one footnote is marked {marker}"
                links.append(f'<span title="{_text(why)}">fn {_text(marker)}</span>')
        return (" · " + " ".join(links)) if links else ""

    for k, q in enumerate(letter.questions):
        label = _numbers_label(q.numbers)
        covering = items.answers_of_question[k]
        if covering:
            back = " ".join(
                f'<a href="#{items.a_ids[j]}">A {_text(_numbers_label(letter.answers[j].numbers))}</a>'
                for j in covering
            )
            rel = f" → {back}"
        else:
            rel = ' <span class="miss">no answer</span>' if expects_answers else ""
        aliases = "".join(f'<span id="{name}"></span>' for name in items.q_aliases[k])
        tag = f'<span class="tag q">{aliases}V {_text(label)}{rel}{cited(q)}</span>'
        cls = "it q" + ("" if covering or not expects_answers else " unanswered")
        attrs = [("id", items.q_ids[k]), ("data-item", "question"), ("data-numbers", " ".join(q.numbers)),
                 ("title", f"question {label}" + (f": {q.heading}" if q.heading else ""))]
        ranges.append(_Range(*_clamp(q.span, n), 0, len(ranges), "mark", cls, attrs, tag))
    for k, a in enumerate(letter.answers):
        label = _numbers_label(a.numbers)
        links = []
        for num in a.numbers:
            qid = items.q_of_number.get(num)
            links.append(f'<a href="#{qid}">{_text(num)}</a>' if qid else f'<span class="miss">{_text(num)}?</span>')
        rel = f" ← V {' '.join(links)}" if links else ""
        aliases = "".join(f'<span id="{name}"></span>' for name in items.a_aliases[k])
        tag = f'<span class="tag a">{aliases}A {_text(label)}{rel}{cited(a)}</span>'
        attrs = [("id", items.a_ids[k]), ("data-item", "answer"), ("data-numbers", " ".join(a.numbers)),
                 ("title", f"answer {label}" + (f": {a.heading}" if a.heading else ""))]
        ranges.append(_Range(*_clamp(a.span, n), 0, len(ranges), "mark", "it a", attrs, tag))
    for k, f in enumerate(letter.footnotes):
        tag = f'<span class="tag fn">fn {_text(f.marker)}</span>'
        attrs = [("id", items.fn_ids[k]), ("data-item", "footnote"), ("data-marker", f.marker),
                 ("title", f"footnote {f.marker}")]
        ranges.append(_Range(*_clamp(f.span, n), 0, len(ranges), "mark", "it fn", attrs, tag))
    return ranges


# --- header, contents and findings ----------------------------------------------------------------------


def _person(p: Person, *, party: bool) -> str:
    extra = p.party if party else p.role
    return _text(p.name) + (f' <span class="none">({_text(extra)})</span>' if extra else "")


def _people(people: list[Person], *, party: bool) -> str:
    return ", ".join(_person(p, party=party) for p in people) or '<span class="none">none found</span>'


def _value(v: object) -> str:
    return _text(str(v)) if v is not None else '<span class="none">not printed</span>'


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _header(result: Result, lines: list[_Line], items: _Items) -> str:
    letter = result.letter
    title = f"Letter {letter.reference}" if letter.reference else "Parsed letter"
    numbers = sum(len(q.numbers) for q in letter.questions)
    unanswered = sum(1 for c in items.answers_of_question if not c) if letter.kind == "answers" else 0
    severities = [f.severity for f in result.findings]
    by_severity = ", ".join(
        f"{severities.count(s)} {s.value}" + ("s" if s is not Severity.INFO and severities.count(s) != 1 else "")
        for s in Severity
    )
    shown = len(lines) - (1 if len(lines) > 1 and lines[-1].start == lines[-1].end else 0)  # no empty last line
    pages = result.text.count("\f") + 1
    prov = result.provenance
    made = f"{prov.strategy} strategy" + (f", model {prov.model}" if prov.model else "")
    rows = [
        ("Kind", _text(letter.kind)),
        ("Reference", _value(letter.reference)),
        ("Publication id", _value(letter.publication_id)),
        ("Subject", _value(letter.subject)),
        ("Askers", _people(letter.askers, party=True)),
        ("Respondents", _people(letter.respondents, party=False)),
        ("Submitted on", _value(letter.submitted_on)),
        ("Received on", _value(letter.received_on)),
        ("Parsed with", _text(f"{made}, llmparse {prov.llmparse_version}")
         + (f' <span class="none">from {_text(prov.source)}</span>' if prov.source else "")),
    ]
    meta = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    counts = (
        f"{_plural(len(letter.questions), 'question')} ({_plural(numbers, 'number')}), "
        f"{_plural(len(letter.answers), 'answer')}, {_plural(len(letter.footnotes), 'footnote')}"
        + (f", {unanswered} unanswered" if unanswered else "")
        + f"; {_plural(len(result.findings), 'finding')} ({by_severity}); "
        f"{_plural(pages, 'page')}, {_plural(shown, 'line')}"
    )
    return (
        f'<header class="page" id="top"><h1>{_text(title)}</h1>'
        f'<dl class="meta">{meta}</dl>'
        f'<p class="counts" id="counts">{_text(counts)}</p>'
        '<p class="legend"><span class="lq">V question (vraag)</span><span class="la">A answer (antwoord)</span>'
        '<span class="lf">fn footnote</span><span class="lx">grey: page furniture and text in no item</span></p>'
        '<p class="hint">Keys: <kbd>n</kbd> next item, <kbd>p</kbd> previous item.</p></header>'
    )


def _toc(result: Result, items: _Items) -> str:
    letter = result.letter
    expects_answers = letter.kind == "answers"

    def group(name: str, css: str, entries: list[str]) -> str:
        body = f"<ol>{''.join(entries)}</ol>" if entries else '<p class="none">none</p>'
        return f'<details open class="{css}"><summary>{_text(name)} ({len(entries)})</summary>{body}</details>'

    questions = []
    for k, q in enumerate(letter.questions):
        missing = expects_answers and not items.answers_of_question[k]
        cls = ' class="unanswered"' if missing else ""
        title = _excerpt(q.text) + (" (no answer)" if missing else "")
        questions.append(f'<li><a href="#{items.q_ids[k]}"{cls} title="{_text(title)}">'
                         f"V {_text(_numbers_label(q.numbers))}</a></li>")
    answers = [f'<li><a href="#{items.a_ids[k]}" title="{_text(_excerpt(a.text))}">'
               f"A {_text(_numbers_label(a.numbers))}</a></li>" for k, a in enumerate(letter.answers)]
    footnotes = [f'<li><a href="#{items.fn_ids[k]}" title="{_text(_excerpt(f.text))}">fn {_text(f.marker)}</a></li>'
                 for k, f in enumerate(letter.footnotes)]
    return (
        '<nav class="toc" id="toc" aria-labelledby="toc-h"><h2 id="toc-h">Contents</h2>'
        + group("Questions", "tq", questions) + group("Answers", "ta", answers) + group("Footnotes", "tf", footnotes)
        + "</nav>"
    )


def _findings(findings: list[Finding], line_of: list[int]) -> str:
    rows = []
    for f, line in zip(findings, line_of, strict=True):
        nums = f' <span class="none">(questions {_text(", ".join(f.numbers))})</span>' if f.numbers else ""
        where = f' <a href="#L{line}">line {line}</a>' if line else ' <span class="wide">letter-wide</span>'
        rows.append(f'<li><span class="badge sev-{_text(f.severity.value)}">{_text(f.severity.value)}</span> '
                    f"<code>{_text(f.code)}</code> {_text(f.message)}{nums}{where}</li>")
    body = f'<ul class="findings">{"".join(rows)}</ul>' if rows else '<p class="none">No findings.</p>'
    return (f'<section id="findings" tabindex="-1" aria-labelledby="findings-h">'
            f'<h2 id="findings-h">Findings ({len(findings)})</h2>{body}</section>')


# --- the page -------------------------------------------------------------------------------------------


def render_html(result: Result) -> str:
    """One self-contained HTML page showing ``result``: the letter's text with every item highlighted in place.

    Questions, answers and footnotes are highlighted by their spans in ``Result.text`` and labelled with
    their numbers; each line has the id ``L<n>`` (1-based) and each finding links to the line where its span
    starts, or (without a span) to the first item with one of its question numbers, or is marked letter-wide.
    The page loads nothing (inline CSS and script only) and the same result always gives the same page.
    """
    text = result.text
    letter = result.letter
    lines = _lines(text)
    starts = [ln.start for ln in lines]
    items = _Items.build(letter.questions, letter.answers, letter.footnotes)

    def line_no(offset: int) -> int:
        return max(0, bisect.bisect_right(starts, min(max(offset, 0), len(text))) - 1) + 1

    def finding_line(f: Finding) -> int:
        """The line a finding concerns: its span's first, else that of the first item with one of its numbers;
        0 for a finding about the whole letter."""
        if f.span is not None:
            return line_no(f.span[0])
        item = next((i for i in [*letter.questions, *letter.answers] if set(i.numbers) & set(f.numbers)), None)
        return line_no(item.span[0]) if item is not None else 0

    finding_lines = [finding_line(f) for f in result.findings]
    rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    flagged: dict[int, Severity] = {}
    for f, line in zip(result.findings, finding_lines, strict=True):
        if line and (line not in flagged or rank[f.severity] < rank[flagged[line]]):
            flagged[line] = f.severity
    line_class = {line: f"f-{sev.value}" for line, sev in flagged.items()}
    ranges = _item_ranges(result, items) + _style_ranges(text, lines)
    body = _draw(text, lines, ranges, line_class)
    title = f"{letter.reference or 'Letter'} · llmparse review"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="llmparse">\n'
        f"<title>{_text(title)}</title>\n<style>{_CSS}</style></head>\n"
        '<body><a class="skip" href="#findings">Skip to findings</a>'
        '<a class="skip" href="#letter">Skip to the letter</a>\n'
        + _header(result, lines, items) + "\n<main>"
        + _toc(result, items) + "\n"
        + _findings(result.findings, finding_lines) + "\n"
        + '<section aria-labelledby="letter-h"><h2 id="letter-h">Letter text</h2>'
        + f'<div class="letter" id="letter" tabindex="-1" lang="nl">{body}</div></section>'
        + f"</main>\n<script>{_JS}</script>\n</body></html>\n"
    )
