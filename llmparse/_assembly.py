"""Assembly: turns a Plan into the typed Letter, cutting every text from the Document.

No text comes from the extractor. An item's text is the body lines inside its range, with page furniture,
the Layout's footnote bodies and the ranges the plan itself calls footnotes left out, whitespace collapsed.
A footnote's text is its range's footnote lines (or, where the plan names a footnote the Layout did not
see, its body lines). Footnotes are attached to the item whose text first cites their marker.

Assembly trusts the plan's ranges; the checks then compare the result with the Layout, which no plan changes.
"""

from __future__ import annotations

import re

from ._layout import Layout, Role
from ._models import Answer, Footnote, Letter, Question
from ._plan import Plan, PlannedFootnote, PlannedItem

__all__ = ["assemble"]


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
            m = next((m for m in pattern.finditer(text, max(item.start, floor), item.end) if _in_body(layout, m)),
                     None)
            if m:
                cited[k].append(fn.marker)
                floor = m.end()
                first = k
                break
    return cited


def _item_text(layout: Layout, item: PlannedItem, footnotes: tuple[PlannedFootnote, ...]) -> str:
    """The body text of ``item``'s range, leaving out the lines the plan calls footnotes."""
    doc = layout.document
    skip = tuple((doc.lines[doc.line_at(fn.start)].start, fn.end) for fn in footnotes
                 if fn.start < item.end and fn.end > item.start)
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
    questions: list[Question] = []
    answers: list[Answer] = []
    text = layout.document.text
    for item, markers in zip(items, cited, strict=True):
        fields = {
            "numbers": list(item.numbers),
            "heading": _heading_text(text, item.heading),
            "text": _item_text(layout, item, plan.footnotes),
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
    h = re.sub(r"\s+", " ", text[heading[0] : heading[1]]).strip(" *#_:")
    return h or None
