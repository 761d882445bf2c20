"""Checks: deterministic findings about an assembled letter.

Each check is a small function ``(layout, letter) -> list[Finding]`` that never changes anything and never
trusts the extractor: it re-derives what it checks (numbers, texts from spans, line roles) from the
Document. ``run_checks`` runs them all. Codes are stable; the README lists them with their severities.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import pairwise

from ._layout import Layout, Role
from ._models import Finding, Item, Letter, Severity

__all__ = ["CHECKS", "CODES", "run_checks"]

Check = Callable[[Layout, Letter], list[Finding]]

#: Every code a check can report, with its severity and what it means (the README's table).
CODES: dict[str, tuple[Severity, str]] = {
    "numbering.start": (Severity.WARNING, "the first question number is not 1 (a partial answer letter?)"),
    "numbering.gap": (Severity.WARNING, "a question number is skipped and nothing answers it"),
    "numbering.duplicate": (Severity.ERROR, "two questions carry the same number"),
    "numbering.unprinted": (Severity.ERROR, "no question carries a printed number; numbers were assigned in order"),
    "numbering.inferred_question": (Severity.WARNING, "a question without its heading was recovered at a page break"),
    "numbering.order": (Severity.INFO, "question numbers are printed out of order (grouped out of order)"),
    "coverage.unanswered": (Severity.ERROR, "a question has no answer (answer letters only)"),
    "coverage.unasked": (Severity.ERROR, "an answer covers a number no question carries"),
    "coverage.answered_twice": (Severity.ERROR, "two answers cover the same question number"),
    "coverage.answer_first": (Severity.ERROR, "an answer stands before the question it answers"),
    "coverage.no_numbers": (Severity.ERROR, "an answer covers no question number"),
    "coverage.grouped": (Severity.INFO, "one answer covers several questions"),
    "coverage.inferred": (Severity.INFO, "an answer without a number was taken to answer the question above it"),
    "coverage.headingless": (Severity.WARNING, "an answer printed without any heading was split from its question"),
    "coverage.notice_answers": (Severity.ERROR, "a notice or questions-only letter has answers"),
    "coverage.empty": (Severity.ERROR, "an answer letter has no questions or no answers"),
    "grounding.span": (Severity.ERROR, "a span lies outside the text, is empty, or is reversed"),
    "grounding.order": (Severity.ERROR, "items are not in document order or overlap"),
    "grounding.text": (Severity.ERROR, "an item's text is not what its span holds"),
    "completeness.unassigned": (Severity.ERROR, "body text between items belongs to no item or footnote"),
    "completeness.heading_in_text": (Severity.ERROR, "an item's text holds what looks like another heading"),
    "completeness.furniture_in_text": (Severity.ERROR, "an item's text holds page furniture or a footnote body"),
    "completeness.empty_item": (Severity.ERROR, "an item has no text"),
    "metadata.reference": (Severity.WARNING, "the case number is not of the form yyyyZnnnnn"),
    "metadata.dates": (Severity.ERROR, "the answer is dated before the questions were submitted"),
    "metadata.askers": (Severity.WARNING, "no asker was found"),
    "metadata.respondents": (Severity.WARNING, "no respondent was found in an answer letter"),
    "grounding.metadata": (Severity.ERROR, "the model gave a metadata value the letter does not print; left out"),
    "model.reasked": (Severity.INFO, "the model's plan did not fit the letter and was sent back with this feedback"),
    "model.failed": (Severity.WARNING, "strategy auto: the rules had errors, the model path failed; rules kept"),
    "model.not_better": (Severity.INFO, "strategy auto: the model's result was no better; the rules result kept"),
}


def _finding(code: str, message: str, numbers: Iterable[str] = (), span: tuple[int, int] | None = None) -> Finding:
    return Finding(code=code, severity=CODES[code][0], message=message, numbers=list(numbers), span=span)


def _num_key(n: str) -> tuple[int, str]:
    m = re.match(r"(\d+)(.*)", n)
    return (int(m.group(1)), m.group(2)) if m else (1 << 30, n)


def check_numbering(layout: Layout, letter: Letter) -> list[Finding]:
    """Question numbers start at 1, rise without gaps and appear once."""
    out: list[Finding] = []
    printed = [n for q in letter.questions for n in q.numbers]
    if not printed:
        return out
    counts = Counter(printed)
    dups = sorted((n for n, c in counts.items() if c > 1), key=_num_key)
    if dups:
        out.append(_finding("numbering.duplicate", f"question number(s) {', '.join(dups)} printed twice", dups))
    ints = sorted({int(m.group(1)) for n in printed if (m := re.match(r"(\d+)", n))})
    if ints and ints[0] != 1:
        out.append(_finding("numbering.start", f"the first question is number {ints[0]}, not 1", [str(ints[0])]))
    answered = {n for a in letter.answers for n in a.numbers}
    missing = [str(k) for k in range(ints[0], ints[-1] + 1) if k not in ints and str(k) not in answered] if ints else []
    if missing:
        out.append(_finding("numbering.gap", f"no question numbered {', '.join(missing)}", missing))
    headless = [q for q in letter.questions if q.heading is None]
    if headless and len(headless) == len(letter.questions):
        out.append(_finding("numbering.unprinted", "the letter prints no question numbers or headings; the "
                            "questions were numbered in order and the structure is a guess", printed))
    else:
        for q in headless:
            out.append(_finding("numbering.inferred_question", f"question {', '.join(q.numbers)} has no heading"
                                " (lost at a page break?); it was recovered from the text before its answer",
                                q.numbers, q.span))
    keys = [_num_key(n) for n in printed]
    if keys != sorted(keys):
        out.append(_finding("numbering.order", "questions are printed out of numeric order"))
    return out


def check_coverage(layout: Layout, letter: Letter) -> list[Finding]:
    """Every question is answered once, and no answer covers a question that was not asked."""
    out: list[Finding] = []
    if letter.kind != "answers":
        if letter.answers:
            out.append(_finding("coverage.notice_answers", f"a {letter.kind} letter has {len(letter.answers)} answers"))
        return out
    if not letter.questions or not letter.answers:
        out.append(_finding("coverage.empty", "an answer letter needs questions and answers; one side is empty"))
        return out
    asked = {n for q in letter.questions for n in q.numbers}
    answered = Counter(n for a in letter.answers for n in a.numbers)
    unanswered = sorted(asked - set(answered), key=_num_key)
    if unanswered:
        out.append(_finding("coverage.unanswered", f"no answer to question(s) {', '.join(unanswered)}", unanswered))
    unasked = sorted(set(answered) - asked, key=_num_key)
    if unasked:
        out.append(_finding("coverage.unasked", f"answer(s) to question(s) {', '.join(unasked)}, which no "
                            "question carries", unasked))
    twice = sorted((n for n, c in answered.items() if c > 1), key=_num_key)
    if twice:
        out.append(_finding("coverage.answered_twice", f"question(s) {', '.join(twice)} answered twice", twice))
    asked_at = {n: q.span[0] for q in letter.questions for n in q.numbers}
    for a in letter.answers:
        if not a.numbers:
            out.append(_finding("coverage.no_numbers", f"the answer headed '{a.heading}' covers no question",
                                span=a.span))
        early = [n for n in a.numbers if n in asked_at and asked_at[n] > a.span[0]]
        if early:
            out.append(_finding("coverage.answer_first", f"an answer stands before question(s) {', '.join(early)}",
                                early, a.span))
        if len(a.numbers) > 1:
            out.append(_finding("coverage.grouped", f"one answer covers questions {', '.join(a.numbers)}",
                                a.numbers, a.span))
        if a.heading is None:
            out.append(_finding("coverage.headingless", f"the text after question {', '.join(a.numbers)} has no "
                                "heading; it was taken as that question's answer", a.numbers, a.span))
        elif not re.search(r"\d", a.heading):
            out.append(_finding("coverage.inferred", f"the answer headed '{a.heading}' was taken to answer "
                                f"question {', '.join(a.numbers) or '?'}", a.numbers, a.span))
    return out


def check_grounding(layout: Layout, letter: Letter) -> list[Finding]:
    """Spans lie inside the text, in document order without overlap, and each text is cut from its span."""
    out: list[Finding] = []
    n = len(layout.document.text)
    items: list[Item] = [*letter.questions, *letter.answers]
    for item in items:
        s, e = item.span
        if not 0 <= s < e <= n:
            out.append(_finding("grounding.span", f"span {s}-{e} is not inside the text (0-{n})", item.numbers))
        elif layout.cut(s, e) != item.text:
            out.append(_finding("grounding.text", "the item's text differs from what its span holds",
                                item.numbers, item.span))
    ordered = sorted(items, key=lambda it: it.span)
    for a, b in pairwise(ordered):
        if b.span[0] < a.span[1]:
            out.append(_finding("grounding.order", "two items overlap", [*a.numbers, *b.numbers], b.span))
    for fn in letter.footnotes:
        s, e = fn.span
        if not 0 <= s <= e <= n:
            out.append(_finding("grounding.span", f"footnote {fn.marker} span {s}-{e} is outside the text"))
    return out


_FURNITURE_INSIDE = re.compile(
    r"(?:Tweede|Eerste)\s+Kamer,\s*vergaderjaar\s*\d{4}\s*[–-]\s*\d{4},\s*Aanhangsel"
    r"|ISSN\s*\d{4}\s*-\s*\d{4}|Pagina\s+\d+\s+van\s+\d+|(?m:^\s*\[\^?\d{1,3}\]:)"
)
_HEADING_INSIDE = re.compile(r"(?m)^\s*(?:Vraag|Antwoord)\s+\d{1,5}[a-z]?\s*$")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint ranges covering the same characters as ``spans``."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def check_completeness(layout: Layout, letter: Letter) -> list[Finding]:
    """No body text between items is left out, and no item swallowed another heading."""
    out: list[Finding] = []
    items: list[Item] = sorted([*letter.questions, *letter.answers], key=lambda it: it.span)
    if not items:
        return out
    text = layout.document.text
    covered = _merge([it.span for it in items] + [fn.span for fn in letter.footnotes])
    starts = [s for s, _ in covered]
    first, last = items[0].span[0], items[-1].span[1]
    doc = layout.document
    headed = {layout.heading_above(doc.line_at(item.span[0]), item.numbers) for item in items} - {None}
    for i in range(doc.line_at(first), doc.line_at(max(first, last - 1)) + 1):
        info = layout.lines[i]
        if info.role is not Role.BODY or info.heading is not None or i in headed:
            continue
        k = bisect.bisect_right(starts, info.end - 1) - 1  # the last range starting inside or before the line
        inside = k >= 0 and covered[k][1] > info.start
        if not inside and re.search(r"[A-Za-zÀ-ÿ]{3}", text[info.start : info.end]):
            out.append(_finding("completeness.unassigned", f"line {i + 1} belongs to no item",
                                span=(info.start, info.end)))
    for item in items:
        if not item.text.strip():
            out.append(_finding("completeness.empty_item", "an item has no text", item.numbers, item.span))
        leftover = _FURNITURE_INSIDE.search(item.text)
        if leftover:
            out.append(_finding("completeness.furniture_in_text", f"'{leftover.group().strip()}' is page furniture "
                                "or a footnote inside an item's text", item.numbers, item.span))
        m = _HEADING_INSIDE.search(text, item.span[0], item.span[1])
        if m:
            out.append(_finding("completeness.heading_in_text", f"'{m.group().strip()}' stands inside an item",
                                item.numbers, (m.start(), m.end())))
    return out


def check_metadata(layout: Layout, letter: Letter) -> list[Finding]:
    """The case number has the yyyyZnnnnn shape, dates are in order, askers and respondents are present."""
    out: list[Finding] = []
    if letter.reference is not None and not re.fullmatch(r"(19|20)\d{2}Z\d{5}", letter.reference):
        out.append(_finding("metadata.reference", f"case number '{letter.reference}' is not yyyyZnnnnn"))
    if letter.submitted_on and letter.received_on and letter.received_on < letter.submitted_on:
        out.append(_finding("metadata.dates", f"received {letter.received_on} before submitted {letter.submitted_on}"))
    if not letter.askers:
        out.append(_finding("metadata.askers", "no asker found"))
    if letter.kind == "answers" and not letter.respondents:
        out.append(_finding("metadata.respondents", "no respondent found"))
    return out


#: The checks ``run_checks`` runs, in order.
CHECKS: tuple[Check, ...] = (check_numbering, check_coverage, check_grounding, check_completeness, check_metadata)

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def run_checks(layout: Layout, letter: Letter) -> list[Finding]:
    """Run every check; findings come errors first, then warnings, then information."""
    findings = [f for check in CHECKS for f in check(layout, letter)]
    return sorted(findings, key=lambda f: _ORDER[f.severity])
