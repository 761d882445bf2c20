"""The rules extractor: finds questions and answers from the headings the Layout marked.

Vraag -> question, Antwoord -> answer. Letters print questions in one of three ways: ``Vraag N`` headings,
a line holding only the number, or a paragraph opening ``N. ``. The last two look exactly like the numbered
lists inside answers, so such numbers are accepted only as a rising sequence between answer headings,
taking the latest candidate of each value (a list inside an answer comes before the next real question).
Every item runs from its heading to the next heading; a bare ``Antwoord`` covers the question above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from .._document import Document
from .._layout import Heading, Layout, Role
from .._models import Finding, Kind, Severity
from .._plan import Extraction, Plan, PlannedFootnote, PlannedItem, Review
from ._metadata import read_metadata

__all__ = ["RulesExtractor"]

_NOTICE_WORDS = re.compile(
    r"niet binnen de (?:gebruikelijke|gestelde) termijn|uitstel van (?:de )?beantwoording|"
    r"als ingetrokken|kunnen (?:nog )?niet worden beantwoord|zijn beantwoord (?:bij|in|met) (?:de )?brief|"
    r"beantwoord bij brief|Mededeling van|"
    # a withdrawal, in a sentence that asks nothing: "trekt de vragen in", "dat zij deze vragen intrekt", "De vragen
    # zijn ingetrokken", "De vragen worden daarom niet beantwoord"
    r"(?:\btrek(?:t|ken)\b[^.?!]{0,60}?\bvragen\b[^.?!]{0,120}?\bin\b(?=\s*[.,;])"
    r"|\bvragen\b[^.?!]{0,200}?\b(?:intrek(?:t|ken)|ingetrokken)\b"
    r"|\b(?:worden|zullen)\s+(?:daarom\s+|dan\s+ook\s+|derhalve\s+)?niet\s+(?:meer\s+)?(?:worden\s+)?beantwoord\b)"
    r"(?![^.!?]*\?)",
    re.IGNORECASE,
)
# A Mededeling printed after the questions without a heading of its own: "Mededeling van Minister X (ontvangen ...)".
_INLINE_NOTICE = re.compile(
    r"Mededeling\s+van\s+(?:de\s+|het\s+)?(?:[Mm]inister|[Ss]taatssecretaris|[Cc]ollege|[Gg]edeputeerde|[Bb]urgemeester"
    r"|[Ww]ethouder|[Dd]agelijks\s+bestuur)\b"
)
_INITIALS_ONLY = re.compile(r"(?:[A-Z]\.\s*)+[\w’' -]{0,40}")
# A signature: "De Minister van ...," or "de staatssecretaris van ..." alone on a line ends the last item.
_SIGNATURE = re.compile(
    r"(?:De|de)\s+(?:[Mm]inister|[Ss]taatssecretaris|[Ww]ethouder|[Bb]urgemeester|[Gg]edeputeerde|[Vv]oorzitter"
    r"|[Ss]ecretaris)\b[^.?!]{0,120},?\s*$"
)


# A closing formula after the last answer: it and everything after it (signature, annex, contact list) is no
# answer text. Ministries close with a wish or a greeting; councils sign as a body ("Namens het college ...").
_CLOSING_FORMULA = re.compile(
    r"(?:Ik\s+(?:verwacht|vertrouw|hoop)\s+u\s+(?:hiermee|hierbij|hiermede|met\s+deze\s+\w+)\s+(?:voldoende\s+)?"
    r"(?:te\s+hebben\s+)?(?:geïnformeerd|ingelicht)"
    r"|Met\s+vriendelijke\s+groet(?:en)?|Hoogachtend|Namens\s+(?:het\s+college|het\s+dagelijks\s+bestuur|"
    r"[Gg]edeputeerde\s+[Ss]taten|[Bb]urgemeester\s+en\s+wethouders)"
    r"|(?:Het\s+college\s+van\s+)?[Bb]urgemeester\s+en\s+wethouders\s+van\s+[A-Z][^.?!]{0,60}"
    r"|(?:Het\s+)?[Dd]agelijks\s+bestuur\s+van\s+[^.?!]{0,80}|Gedeputeerde\s+Staten\s+van\s+[A-Z][^.?!]{0,40})"
    r"[.,]?\s*"
)


@dataclass(frozen=True, slots=True)
class _Boundary:
    line: int
    kind: Literal["question", "answer", "notice", "closing"]
    heading: Heading


class RulesExtractor:
    """Extracts a plan from the Layout's headings, offline and deterministically."""

    name: Literal["rules", "llm"] = "rules"

    def extract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """Return the plan of ``document``: its items, footnotes, kind and metadata (the rules never try again,
        so ``review`` is not used)."""
        boundaries = _boundaries(layout)
        items, notice = _items(layout, boundaries)
        items, findings = _number_bare_questions(items)
        if not items and notice is None:
            items, notice = _unlabelled(layout)
        items = _recover_lost_headings(layout, items)
        items = _recover_headingless_answers(layout, items)
        footnotes = tuple(PlannedFootnote(b.marker, b.start, b.end) for b in layout.footnotes)
        first_item = min((it.heading[0] if it.heading else it.start for it in items), default=len(document.text))
        metadata = read_metadata(layout, front_end=first_item, notice=notice)
        return Extraction(Plan(_kind(layout, items, notice), tuple(items), footnotes, metadata, notice),
                          findings=findings)


def _boundaries(layout: Layout) -> list[_Boundary]:
    heads = [(i, info.heading) for i, info in enumerate(layout.lines) if info.heading and info.role is Role.BODY]
    has_vraag = any(h.kind == "question" for _, h in heads)
    out: list[_Boundary] = []
    for i, h in heads:
        if h.kind in ("question", "answer", "notice", "closing"):
            out.append(_Boundary(i, h.kind, h))
    if not has_vraag:
        out.extend(_numbered_questions(heads, [b.line for b in out if b.kind == "answer"]))
    out.extend(_inline_notice(layout, out))
    out.extend(_signature(layout, out))
    out.sort(key=lambda b: b.line)
    return out


def _numbered_questions(heads: list[tuple[int, Heading]], answer_lines: list[int]) -> list[_Boundary]:
    """Questions printed as bare numbers or "N." paragraphs: a rising run per stretch between answers."""
    candidates = [(i, h) for i, h in heads if h.kind in ("number", "numbered") and h.numbers[0].isdigit()]
    if not candidates:
        return []
    cuts = [-1, *answer_lines, 1 << 30]
    expected = 1
    out: list[_Boundary] = []
    for lo, hi in pairwise(cuts):
        stretch = [(i, h) for i, h in candidates if lo < i < hi]
        chosen = _rising_run(stretch, expected)
        for i, h in chosen:
            out.append(_Boundary(i, "question", h))
        if chosen:
            expected = int(chosen[-1][1].numbers[0]) + 1
    return out


def _rising_run(stretch: list[tuple[int, Heading]], expected: int) -> list[tuple[int, Heading]]:
    """The latest run expected, expected+1, ... in ``stretch``, ending as late as possible.

    Each number links to the latest earlier candidate of the number below it, so one pass finds, for every
    candidate, whether a run from ``expected`` leads up to it.
    """
    latest: dict[int, int] = {}
    link: list[int | None] = []
    reaches: list[bool] = []
    for k, (_, h) in enumerate(stretch):
        value = int(h.numbers[0])
        below = latest.get(value - 1)
        link.append(below)
        reaches.append(value == expected or (value > expected and below is not None and reaches[below]))
        latest[value] = k
    end = next((k for k in range(len(stretch) - 1, -1, -1) if reaches[k]), None)
    run: list[tuple[int, Heading]] = []
    while end is not None:
        run.append(stretch[end])
        end = None if int(stretch[end][1].numbers[0]) == expected else link[end]
    return run[::-1]


def _inline_notice(layout: Layout, boundaries: list[_Boundary]) -> list[_Boundary]:
    """A notice printed after the last question of a letter that answers nothing, without a Mededeling heading.

    An Aanhangsel may print the questions and then the notice that they are answered elsewhere, later or not at
    all (withdrawn): a paragraph opening "Mededeling van Minister ..." (its first line is part of its text, for
    it names the respondent and the received date), or one opening right after the last question's question
    mark with a notice's wording. It opens the notice, so it is neither an answer nor part of the question.
    """
    if any(b.kind in ("answer", "notice") for b in boundaries):
        return []
    last = max((b.line for b in boundaries if b.kind == "question"), default=None)
    if last is None:
        return []
    text = layout.document.text
    asked = bool(_QUESTION_END.search(layout.content(last)))  # a question on its heading's line ("2. Welke ...?")
    for i in range(last + 1, len(layout.lines)):
        info = layout.lines[i]
        if info.role is not Role.BODY or info.heading is not None:
            continue
        content = layout.content(i)
        if _INLINE_NOTICE.match(content) or (asked and content[:1].isupper() and _NOTICE_WORDS.search(
                text, info.start, _paragraph_end(layout, i, 400))):
            return [_Boundary(i, "notice", Heading("notice", (), info.start, info.start))]
        asked = bool(_QUESTION_END.search(content))
    return []


def _paragraph_end(layout: Layout, i: int, limit: int) -> int:
    """The end of the paragraph that line ``i`` opens (its body lines up to a blank or furniture line), at most
    ``limit`` characters on."""
    end = layout.lines[i].end
    for info in layout.lines[i + 1 :]:
        if info.role is not Role.BODY or info.end - layout.lines[i].start > limit:
            break
        end = info.end
    return end


def _signature(layout: Layout, boundaries: list[_Boundary]) -> list[_Boundary]:
    """A closing formula or a signature block after the last answer ends that answer.

    A closing formula ("Ik verwacht u hiermee voldoende te hebben geïnformeerd.", "Hoogachtend,", "Namens het
    college ...") is never answer text, so it ends the answer whatever follows it.

    "De minister van ..." also opens sentences inside answers, so the line counts only when what follows it
    to the end of the letter is a signature's few short lines (a name, a placeholder), never more text.
    """
    items = [b for b in boundaries if b.kind in ("question", "answer")]
    if not items:
        return []
    body = [i for i in range(items[-1].line + 1, len(layout.lines)) if layout.lines[i].role is Role.BODY]
    for i in body:
        if _CLOSING_FORMULA.fullmatch(layout.content(i)):
            info = layout.lines[i]
            return [_Boundary(i, "closing", Heading("closing", (), info.start, info.end))]
    for k, i in enumerate(body):
        if not _SIGNATURE.fullmatch(layout.content(i)):
            continue
        rest = body[k + 1 :]
        if len(rest) <= 6 and all((len(layout.content(j)) <= 60 and not layout.content(j).endswith((".", "?")))
                                  or _INITIALS_ONLY.fullmatch(layout.content(j)) for j in rest):
            info = layout.lines[i]
            return [_Boundary(i, "closing", Heading("closing", (), info.start, info.end))]
    return []


def _items(layout: Layout, boundaries: list[_Boundary]) -> tuple[list[PlannedItem], tuple[int, int] | None]:
    items: list[PlannedItem] = []
    notice: tuple[int, int] | None = None
    last_question: tuple[str, ...] = ()
    for k, b in enumerate(boundaries):
        stop_line = boundaries[k + 1].line if k + 1 < len(boundaries) else len(layout.lines)
        span = _text_range(layout, b, stop_line)
        if b.kind == "notice":
            notice = span or (b.heading.start, b.heading.end)
            continue
        if b.kind == "closing" or span is None:
            if b.kind == "question":
                last_question = b.heading.numbers
            continue
        heading = (b.heading.start, b.heading.end)
        if b.kind == "question":
            last_question = b.heading.numbers
            if b.heading.kind in ("number", "numbered"):
                heading = (b.heading.start, b.heading.end) if b.heading.kind == "number" else heading
            items.append(PlannedItem("question", b.heading.numbers, span[0], span[1], heading))
        else:
            numbers = b.heading.numbers or last_question
            items.append(PlannedItem("answer", numbers, span[0], span[1], heading, inferred=not b.heading.numbers))
    return items, notice


def _number_bare_questions(items: list[PlannedItem]) -> tuple[list[PlannedItem], tuple[Finding, ...]]:
    """Number the questions under a bare ``Vraag`` heading (a Word letter that lost its automatic numbering).

    Such a question takes the numbers its answer's heading prints, when the answer right after it prints them;
    otherwise the next number in turn. A bare ``Antwoord`` then answers it. A finding says the numbers were
    assigned.
    """
    if not any(it.role == "question" and not it.numbers for it in items):
        return items, ()
    out: list[PlannedItem] = []
    current: tuple[str, ...] = ()
    last = 0
    for k, it in enumerate(items):
        if it.role == "question" and not it.numbers:
            nxt = items[k + 1] if k + 1 < len(items) else it
            printed = nxt.role == "answer" and not nxt.inferred and bool(nxt.numbers)
            current = nxt.numbers if printed else (str(last + 1),)
            out.append(PlannedItem("question", current, it.start, it.end, it.heading, inferred=True))
        elif it.role == "answer" and not it.numbers:
            out.append(PlannedItem("answer", current, it.start, it.end, it.heading, inferred=True))
        else:
            current = it.numbers if it.role == "question" else current
            out.append(it)
        last = max([last, *(int(n) for n in current if n.isdigit())])
    numbers = [n for it in out if it.role == "question" and it.inferred for n in it.numbers]
    return out, (Finding(code="numbering.assigned", severity=Severity.WARNING, numbers=numbers,
                         message="the letter prints bare 'Vraag' headings without numbers; the questions were "
                                 "numbered in order (from their answers' headings where those print numbers)"),)


def _text_range(layout: Layout, b: _Boundary, stop_line: int) -> tuple[int, int] | None:
    """The item's text: from just after its heading to the last body character before ``stop_line``."""
    text = layout.document.text
    start: int | None = None
    h_end = b.heading.end
    line_end = layout.lines[b.line].end
    if text[h_end:line_end].strip():
        start = h_end
        while text[start].isspace():
            start += 1
    end: int | None = line_end if start is not None else None
    for j in range(b.line + 1, stop_line):
        info = layout.lines[j]
        if info.role is not Role.BODY:
            continue
        if start is None:
            start = info.start
        end = info.end
    if start is None or end is None:
        return None
    return start, end


def _kind(layout: Layout, items: list[PlannedItem], notice: tuple[int, int] | None) -> Kind:
    if any(it.role == "answer" for it in items):
        return "answers"
    text = layout.document.text
    if notice is not None or _NOTICE_WORDS.search(text):
        return "notice"
    return "questions_only"


_QUESTION_END = re.compile(r"\?[»”\"'’)\]]*\s*(?:\[?\s*\d{1,3}\s*\]?[\s,]*)*$")


def _recover_lost_headings(layout: Layout, items: list[PlannedItem]) -> list[PlannedItem]:
    """Give back a question whose heading a converter lost at a page break.

    Some PDF converters drop the first lines of a page. When that takes a ``Vraag N`` heading, the rest of
    question N hangs at the end of the item before it, and ``Antwoord N`` answers a question nobody asked.
    If that orphaned text starts on a new page and ends like a question, it becomes question N (without a
    heading, so the checks report it).
    """
    asked = {n for it in items if it.role == "question" for n in it.numbers}
    out = list(items)
    for k in range(len(out) - 1, 0, -1):
        answer, before = out[k], out[k - 1]
        if answer.role != "answer" or answer.inferred or set(answer.numbers) & asked:
            continue
        doc = layout.document
        lines = range(doc.line_at(before.start), doc.line_at(max(before.start, before.end - 1)) + 1)
        breaks = [i for i in lines if layout.lines[i].role is Role.FURNITURE or (
            i > lines.start and doc.lines[i].page != doc.lines[i - 1].page)]
        if not breaks:
            continue
        body = [i for i in lines if i > breaks[-1] and layout.lines[i].role is Role.BODY]
        if not body or not _QUESTION_END.search(layout.document.text[before.start : before.end]):
            continue
        first = layout.lines[body[0]]
        kept = [i for i in lines if i < breaks[-1] and layout.lines[i].role is Role.BODY]
        if not kept:
            continue
        out[k - 1] = PlannedItem(before.role, before.numbers, before.start, layout.lines[kept[-1]].end,
                                 before.heading, before.inferred)
        out.insert(k, PlannedItem("question", answer.numbers, first.start, before.end, None, inferred=True))
    return out


_PARAGRAPH_QUESTION = re.compile(r"\?")


def _unlabelled(layout: Layout) -> tuple[list[PlannedItem], tuple[int, int] | None]:
    """Letters without any Vraag/Antwoord labels (paragraph splits of the official XML).

    Paragraphs that ask (hold a question mark) are questions, numbered 1, 2, ... in order; the paragraphs
    after a question, up to the next one, answer it; a withdrawal or delay paragraph is the notice. The
    numbers are not printed, so every item is marked inferred and the checks say so.
    """
    paragraphs: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for info in layout.lines:
        if info.role is Role.BODY:
            if start is None:
                start = info.start
            end = info.end
        elif info.role is Role.BLANK and start is not None:
            paragraphs.append((start, end))
            start = None
    if start is not None:
        paragraphs.append((start, end))
    text = layout.document.text
    items: list[PlannedItem] = []
    notice: tuple[int, int] | None = None
    number = 0
    answer: list[tuple[int, int]] = []

    def flush() -> None:
        if answer and number:
            items.append(PlannedItem("answer", (str(number),), answer[0][0], answer[-1][1], None, inferred=True))
        answer.clear()

    for s, e in paragraphs:
        para = text[s:e]
        if _NOTICE_WORDS.search(para):
            flush()
            notice = (s, e)
            break
        if _PARAGRAPH_QUESTION.search(para[:400]) and not para.lstrip().startswith(("«", "“", '"')):
            flush()
            number += 1
            items.append(PlannedItem("question", (str(number),), s, e, None, inferred=True))
        elif number:
            answer.append((s, e))
    flush()
    return items, notice


# A letter that replies, though it heads no answer: council letters print each answer under its question.
_REPLY = re.compile(
    r"\b[Bb]eantwoording\b|\bHoogachtend\b|Met\s+vriendelijke\s+groet|Namens\s+het\s+(?:college|dagelijks\s+bestuur)"
    r"|[Bb]urgemeester\s+en\s+wethouders\s+van\b|Gedeputeerde\s+Staten\s+van\b"
)


def _recover_headingless_answers(layout: Layout, items: list[PlannedItem]) -> list[PlannedItem]:
    """Split off an answer printed under its question without any heading.

    In an answer letter (one with answer headings, or one that says it replies), a question whose number no
    answer covers, and whose text runs on past its last question mark into a new paragraph that asks nothing,
    holds its own answer: that rest becomes the answer (without a heading, so the checks report it).
    """
    if not any(it.role == "answer" for it in items) and not _REPLY.search(layout.document.text):
        return items
    answered = {n for it in items if it.role == "answer" for n in it.numbers}
    out: list[PlannedItem] = []
    text = layout.document.text
    for item in items:
        if item.role != "question" or set(item.numbers) & answered:
            out.append(item)
            continue
        doc = layout.document
        body = [i for i in range(doc.line_at(item.start), doc.line_at(max(item.start, item.end - 1)) + 1)
                if layout.lines[i].role is Role.BODY]
        asks = [k for k, i in enumerate(body) if _QUESTION_END.search(layout.content(i))]
        rest = body[asks[-1] + 1 :] if asks else []
        gap = bool(rest) and any(
            layout.lines[j].role is not Role.BODY for j in range(body[asks[-1]] + 1, rest[0]))
        if not rest or not gap or "?" in text[layout.lines[rest[0]].start : item.end]:
            out.append(item)
            continue
        last_ask = layout.lines[body[asks[-1]]]
        out.append(PlannedItem("question", item.numbers, item.start, last_ask.end, item.heading, item.inferred))
        out.append(PlannedItem("answer", item.numbers, layout.lines[rest[0]].start, item.end, None, inferred=True))
    return out
