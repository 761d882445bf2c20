"""Assembly: turns a Plan into the typed Letter, cutting every text from the Document.

No text comes from the extractor. An item's text is the body lines inside its range, with page furniture,
the Layout's footnote bodies and the ranges the plan itself calls footnotes left out, whitespace collapsed.
A footnote's text is its range's footnote lines (or, where the plan names a footnote the Layout did not
see, its body lines). Footnotes are attached to the item whose text first cites their marker.

Assembly trusts the plan's ranges; the checks then compare the result with the Layout, which no plan changes.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from itertools import accumulate

from ._layout import Layout, Role
from ._models import Answer, Footnote, Letter, Question
from ._plan import Plan, PlannedFootnote, PlannedItem

__all__ = ["assemble"]


@functools.lru_cache(maxsize=256)
def _citation(marker: str) -> re.Pattern[str]:
    m = re.escape(marker)
    return re.compile(
        rf"\[\s*{m}\s*\]"  # [1 ] in markdown conversions
        rf"|(?<![\d,.])\b{m}\)"  # 1) in ministry letters
        rf"|(?<=[A-Za-zÀ-ÿ.?!»”’'\")]){m}(?![\d])"  # glued: "asielzoekers.1", "halen?1"
        rf"|(?m:^[ \t]*(?:\d{{1,3}}[ \t]*(?:,|en)[ \t]*)*{m}(?:[ \t]*(?:,|en)[ \t]*\d{{1,3}})*[ \t]*$)"  # own line
        rf"|(?m:^[ \t]*{m}(?=[ \t.]))"  # a marker that landed at a line start
        rf"|(?<=[?!.»”’\")])[ \t]+{m}(?=[ \t]*$|[ \t]+[A-Z«“‘])",  # set off by a space: "ombudsman? 1 Hoeveel"
        re.MULTILINE,
    )


def _citations(pattern: re.Pattern[str], text: str, marker: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, lo, hi)`` for a citation pattern of ``marker``, trying only where one can start.

    Every citation form holds the marker once and starts at it, at the start of its line, after the spaces
    before it, or at a ``[`` before the whitespace before it; so the leftmost match is the first of those
    places (over every occurrence of the marker, in order) where the pattern matches. Markers opening with
    whitespace, or empty, are searched the plain way.
    """
    if not marker or marker[0].isspace():
        yield from pattern.finditer(text, lo, hi)
        return
    starts: set[int] = set()
    at = text.find(marker, lo, hi)
    while at >= 0:
        starts.add(at)
        starts.add(text.rfind("\n", 0, at) + 1)  # own line, line start
        blank = at
        while blank > 0 and text[blank - 1] in " \t":
            blank -= 1
        starts.add(blank)  # set off by spaces after a sentence's end
        while blank > 0 and text[blank - 1].isspace():
            blank -= 1
        starts.add(blank - 1)  # [ 1 ]
        at = text.find(marker, at + 1, hi)
    pos = lo
    for start in sorted(starts):
        if start < pos:
            continue
        m = pattern.match(text, start, hi)
        if m is not None:
            yield m
            pos = m.end()


_WS = re.compile(r"\s+")


def _cited_in(layout: Layout, items: list[PlannedItem], footnotes: tuple[PlannedFootnote, ...]) -> list[list[str]]:
    """For each item, the markers of the footnotes it cites (each footnote cited once, in order)."""
    text = layout.document.text
    cited: list[list[str]] = [[] for _ in items]
    floor = 0
    first = 0  # items before this one end before ``floor``: citations come in order
    for fn in footnotes:
        pattern = _citation(fn.marker)
        for k in range(first, len(items)):
            item = items[k]
            if item.end <= floor:
                continue
            if item.start > fn.start:
                break
            lo = max(item.start, floor)
            # every citation form holds the marker itself: an item without it cites nothing, unsearched
            m = next((m for m in _citations(pattern, text, fn.marker, lo, item.end) if _in_body(layout, m)), None)
            if m:
                cited[k].append(fn.marker)
                floor = m.end()
                first = k
                break
    return cited


class _Footnotes:
    """The plan's footnotes, for "which of them overlap this range" without a scan of all of them: sorted by start,
    with the furthest end reached up to each, a query walks back only over footnotes that can reach the range."""

    def __init__(self, footnotes: tuple[PlannedFootnote, ...]) -> None:
        self.footnotes = footnotes
        self.order = sorted(range(len(footnotes)), key=lambda k: footnotes[k].start)
        self.starts = [footnotes[k].start for k in self.order]
        self.reach = list(accumulate((footnotes[k].end for k in self.order), max))

    def overlapping(self, start: int, end: int) -> list[PlannedFootnote]:
        """The footnotes with ``fn.start < end and fn.end > start``, in the plan's order."""
        found: list[int] = []
        j = bisect.bisect_left(self.starts, end) - 1
        while j >= 0 and self.reach[j] > start:
            k = self.order[j]
            if self.footnotes[k].end > start:
                found.append(k)
            j -= 1
        return [self.footnotes[k] for k in sorted(found)]


def _item_text(layout: Layout, item: PlannedItem, footnotes: _Footnotes) -> str:
    """The body text of ``item``'s range, leaving out the lines the plan calls footnotes."""
    doc = layout.document
    skip = tuple((doc.lines[doc.line_at(fn.start)].start, fn.end) for fn in footnotes.overlapping(item.start, item.end))
    return layout.cut(item.start, item.end, skip=skip)


def _footnote_text(layout: Layout, fn: PlannedFootnote) -> str:
    return layout.cut(fn.start, fn.end, role=Role.FOOTNOTE) or layout.cut(fn.start, fn.end)


def _in_body(layout: Layout, match: re.Match[str]) -> bool:
    """The citation stands in a body line's content, not in a footnote's own marker line or text."""
    pos = match.end() - 1
    info = layout.lines[layout.document.line_at(pos)]
    return info.role is Role.BODY and info.start <= pos < info.end


def assemble(layout: Layout, plan: Plan) -> Letter:
    """Build the Letter of ``plan``, every text cut from ``layout``'s document."""
    items = list(plan.items)
    cited = _cited_in(layout, items, plan.footnotes)
    planned_footnotes = _Footnotes(plan.footnotes)
    questions: list[Question] = []
    answers: list[Answer] = []
    text = layout.document.text
    for item, markers in zip(items, cited, strict=True):
        fields = {
            "numbers": list(item.numbers),
            "heading": _heading_text(text, item.heading),
            "text": _item_text(layout, item, planned_footnotes),
            "span": (item.start, item.end),
            "footnotes": markers,
        }
        if item.role == "question":
            questions.append(Question.model_validate(fields))
        else:
            answers.append(Answer.model_validate(fields))
    footnotes = [Footnote(marker=fn.marker, text=_footnote_text(layout, fn), span=(fn.start, fn.end))
                 for fn in plan.footnotes]
    md = plan.metadata
    return Letter(
        kind=plan.kind,
        publication_id=md.publication_id,
        reference=md.reference,
        subject=md.subject,
        askers=list(md.askers),
        respondents=list(md.respondents),
        submitted_on=md.submitted_on,
        received_on=md.received_on,
        questions=questions,
        answers=answers,
        footnotes=footnotes,
    )


def _heading_text(text: str, heading: tuple[int, int] | None) -> str | None:
    if heading is None:
        return None
    h = _WS.sub(" ", text[heading[0] : heading[1]]).strip(" *#_:")
    return h or None
