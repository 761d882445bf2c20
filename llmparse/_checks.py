"""Checks: deterministic findings about an assembled letter.

Each check is a small function ``(layout, letter) -> list[Finding]`` that never changes anything and never
trusts the extractor: it re-derives what it checks (numbers, texts from spans, line roles) from the
Document. ``run_checks`` runs them all. Codes are stable; the README lists them with their severities.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import accumulate, pairwise

from ._layout import Heading, Layout, Role
from ._models import Finding, Item, Letter, Severity
from ._types import MONTHS

__all__ = ["CHECKS", "CODES", "run_checks"]

Check = Callable[[Layout, Letter], list[Finding]]

#: Every code a check can report, with its severity and what it means (the README's table).
CODES: dict[str, tuple[Severity, str]] = {
    "numbering.start": (Severity.WARNING, "the first question number is not 1 (a partial answer letter?)"),
    "numbering.gap": (Severity.WARNING, "a question number is skipped and nothing answers it"),
    "numbering.duplicate": (Severity.ERROR, "two questions carry the same number"),
    "numbering.unprinted": (Severity.ERROR, "no question carries a printed number; numbers were assigned in order"),
    "numbering.assigned": (Severity.WARNING, "no printed numbers, but one question per paragraph ending in '?'"),
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
    "coverage.empty": (Severity.ERROR, "an answer letter lacks questions or answers; a questions-only one, questions"),
    "grounding.span": (Severity.ERROR, "a span lies outside the text, is empty, or is reversed"),
    "grounding.order": (Severity.ERROR, "items are not in document order or overlap"),
    "grounding.text": (Severity.ERROR, "an item's text is not what its span holds"),
    "completeness.unassigned": (Severity.ERROR, "body text between items belongs to no item or footnote"),
    "completeness.heading_in_text": (Severity.ERROR, "an item's text holds what looks like another heading"),
    "completeness.furniture_in_text": (Severity.ERROR, "an item's text holds page furniture or a footnote body"),
    "completeness.empty_item": (Severity.ERROR, "an item has no text"),
    "completeness.trailing": (Severity.ERROR, "body text after the last item that is no closing, signature or annex"),
    "completeness.closing_in_text": (Severity.ERROR, "an item's text runs into the closing formula or signature"),
    "headings.numbers": (Severity.ERROR, "an item's numbers differ from those its printed heading carries"),
    "headings.role": (Severity.ERROR, "a question stands under an answer heading, or an answer under a question one"),
    "headings.orphan": (Severity.ERROR, "a printed heading opens no item (a question or answer left out)"),
    "headings.unprinted": (Severity.ERROR, "an item stands under no heading, in a letter that prints headings"),
    "footnotes.unknown": (Severity.ERROR, "a footnote where the layout finds no footnote body with that marker"),
    "footnotes.missing": (Severity.ERROR, "a footnote body the layout finds is not among the letter's footnotes"),
    "footnotes.in_text": (Severity.ERROR, "an item's text ends in lines that look like footnote bodies"),
    "footnotes.cited_missing": (Severity.ERROR, "an item cites a footnote marker the letter has no footnote for"),
    "kind.notice": (Severity.ERROR, "the letter prints a Mededeling but is not read as a notice"),
    "kind.answers": (Severity.ERROR, "the letter prints answer headings but is read as questions only"),
    "kind.questions": (Severity.ERROR, "a notice or questions-only letter, yet the letter prints numbered answers"),
    "metadata.reference": (Severity.WARNING, "the case number is not of the form yyyyZnnnnn"),
    "metadata.dates": (Severity.ERROR, "the answer is dated before the questions were submitted"),
    "metadata.askers": (Severity.WARNING, "no asker was found"),
    "metadata.respondents": (Severity.WARNING, "no respondent was found in an answer letter"),
    "metadata.reference_anchor": (Severity.ERROR, "the case number is not the one printed in the letter's header"),
    "metadata.dates_anchor": (Severity.ERROR, "a date differs from the one printed beside ingezonden / ontvangen"),
    "metadata.askers_anchor": (Severity.ERROR, "an asker is not named where the letter says who asked"),
    "metadata.respondent_is_asker": (Severity.ERROR, "a respondent is also an asker"),
    "grounding.metadata": (Severity.ERROR, "the model gave a metadata value the letter does not print; left out"),
    "model.reasked": (Severity.INFO, "the model's plan did not fit the letter and was sent back with this feedback"),
    "model.failed": (Severity.WARNING, "strategy auto: the rules had errors, the model path failed; rules kept"),
    "model.not_better": (Severity.INFO, "strategy auto: the model's result was no better; the rules result kept"),
}


_NUMBER_SUFFIX = re.compile(r"(\d+)(.*)")
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"\w")
_PRINTED_NUMBER = re.compile(r"\d{1,5}[a-z]?")
_WORDS = re.compile(r"[A-Za-zÀ-ÿ]+")
_LETTERS2 = re.compile(r"[A-Za-zÀ-ÿ]{2}")
_NOT_FOLDED = re.compile(r"[^a-z0-9à-ÿ]")


def _finding(code: str, message: str, numbers: Iterable[str] = (), span: tuple[int, int] | None = None) -> Finding:
    return Finding(code=code, severity=CODES[code][0], message=message, numbers=list(numbers), span=span)


def _num_key(n: str) -> tuple[int, str]:
    m = _NUMBER_SUFFIX.match(n)
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
    ints = sorted({int(m.group(1)) for n in printed if (m := _NUMBER_SUFFIX.match(n))})
    if ints and ints[0] != 1:
        out.append(_finding("numbering.start", f"the first question is number {ints[0]}, not 1", [str(ints[0])]))
    answered = {n for a in letter.answers for n in a.numbers}
    missing = [str(k) for k in range(ints[0], ints[-1] + 1) if k not in ints and str(k) not in answered] if ints else []
    if missing:
        out.append(_finding("numbering.gap", f"no question numbered {', '.join(missing)}", missing))
    if not any(info.heading is not None and info.heading.kind in ("question", "number", "numbered")
               for info in layout.lines if info.role is Role.BODY):
        if _plain_paragraphs(letter):
            out.append(_finding("numbering.assigned", "the letter prints no question numbers or headings; each "
                                "question is one paragraph ending in '?', numbered in order", printed))
        else:
            out.append(_finding("numbering.unprinted", "the letter prints no question numbers or headings; the "
                                "questions were numbered in order and the structure is a guess", printed))
    keys = [_num_key(n) for n in printed]
    if keys != sorted(keys):
        out.append(_finding("numbering.order", "questions are printed out of numeric order"))
    return out


_ASKS = re.compile(r"\?[»”\"'’)\]]*(?:\s*\[?\d{1,3}\]?)*\s*$")


def _plain_paragraphs(letter: Letter) -> bool:
    """An unnumbered letter a reader numbers the same way: each question one paragraph ending in a question mark,
    no answer ending in one, questions and answers taking turns (or no answers at all)."""
    items = _items_in_order(letter)
    if not letter.questions or any("\n" in q.text or not _ASKS.search(q.text) for q in letter.questions):
        return False
    if any(_ASKS.search(a.text) for a in letter.answers):
        return False
    roles = [role for role, _ in items]
    return not letter.answers or all(a != b for a, b in pairwise(roles))


def check_coverage(layout: Layout, letter: Letter) -> list[Finding]:
    """Every question is answered once, and no answer covers a question that was not asked."""
    out: list[Finding] = []
    if letter.kind != "answers":
        if letter.answers:
            out.append(_finding("coverage.notice_answers", f"a {letter.kind} letter has {len(letter.answers)} answers"))
        if letter.kind == "questions_only" and not letter.questions:
            out.append(_finding("coverage.empty", "a questions-only letter has no questions: what it is was not read"))
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
        if a.heading is not None and not _DIGIT.search(a.heading):
            out.append(_finding("coverage.inferred", f"the answer headed '{a.heading}' was taken to answer "
                                f"question {', '.join(a.numbers) or '?'}", a.numbers, a.span))
    return out


def check_grounding(layout: Layout, letter: Letter) -> list[Finding]:
    """Spans lie inside the text, in document order without overlap, and each text is what the Layout reads
    in its span (a plan that calls body lines footnotes loses them from an item's text: that shows here)."""
    out: list[Finding] = []
    n = len(layout.document.text)
    items: list[Item] = [*letter.questions, *letter.answers]
    for item in items:
        s, e = item.span
        if not 0 <= s < e <= n:
            out.append(_finding("grounding.span", f"span {s}-{e} is not inside the text (0-{n})", item.numbers))
        elif layout.cut(s, e) != item.text:
            out.append(_finding("grounding.text", "the item's text is not what the letter prints in its span: lines "
                                "of it were left out as footnotes", item.numbers, item.span))
    ordered = sorted(items, key=lambda it: it.span)
    for a, b in pairwise(ordered):
        if b.span[0] < a.span[1]:
            out.append(_finding("grounding.order", "two items overlap", [*a.numbers, *b.numbers], b.span))
    for fn in letter.footnotes:
        s, e = fn.span
        if not 0 <= s <= e <= n:
            out.append(_finding("grounding.span", f"footnote {fn.marker} span {s}-{e} is outside the text"))
    return out


# --- what the Layout says heads each item ----------------------------------------------------------------

_SKIPPED = (Role.BLANK, Role.FURNITURE, Role.FOOTNOTE)


def _heading_line(layout: Layout, item: Item) -> int | None:
    """The line that heads ``item``: its own first line when something stands there before its text, else the
    nearest body line above it (blank lines, furniture and footnote bodies passed over); None at the top."""
    doc = layout.document
    i = doc.line_at(item.span[0])
    info = layout.lines[i]
    before = doc.text[info.start : item.span[0]] if info.role is Role.BODY else ""
    if _WORD_CHAR.search(before):
        return i
    j = i - 1
    while j >= 0 and layout.lines[j].role in _SKIPPED:
        j -= 1
    return j if j >= 0 else None


def _printed_heading(layout: Layout, item: Item, line: int | None) -> Heading | None:
    if line is None:
        return None
    info = layout.lines[line]
    h = info.heading
    if info.role is not Role.BODY or h is None or h.kind in ("notice", "closing") or h.start >= item.span[0]:
        return None
    return h


def _short_numbered_line(layout: Layout, line: int | None, numbers: list[str]) -> bool:
    """A heading the layout does not know ("Reactie op vraag 2"): a short line printing the item's numbers."""
    if line is None or layout.lines[line].role is not Role.BODY:
        return False
    text = layout.content(line)
    return len(text) <= 80 and set(numbers) <= set(_PRINTED_NUMBER.findall(text))


def _owned_heading(layout: Layout, item: Item) -> int | None:
    """The line of ``item``'s printed heading (a heading the Layout knows, or a short line printing its numbers)."""
    line = _heading_line(layout, item)
    if _printed_heading(layout, item, line) is not None or _short_numbered_line(layout, line, item.numbers):
        return line
    return None


def _items_in_order(letter: Letter) -> list[tuple[str, Item]]:
    both = [*(("question", q) for q in letter.questions), *(("answer", a) for a in letter.answers)]
    return sorted(both, key=lambda pair: pair[1].span)


def check_headings(layout: Layout, letter: Letter) -> list[Finding]:
    """Each item's numbers are the ones printed in the heading above it, and every printed heading opens an item.

    The evidence is the Layout's: the heading above an item, re-read from the letter, not the heading the
    extractor names. A bare ``Antwoord`` carries the numbers of the question above it. A question whose
    heading was lost (at a page break) is accepted when an answer heading printing its numbers follows it; an
    answer printed without a heading, when it follows the question it answers.
    """
    out: list[Finding] = []
    ordered = _items_in_order(letter)
    owned: set[int] = set()
    unprinted: list[tuple[int, str, Item]] = []
    last_question: list[str] = []
    for k, (role, item) in enumerate(ordered):
        line = _heading_line(layout, item)
        h = _printed_heading(layout, item, line)
        if h is None:
            if _short_numbered_line(layout, line, item.numbers):
                owned.add(line)  # type: ignore[arg-type]
            else:
                unprinted.append((k, role, item))
        else:
            owned.add(line)  # type: ignore[arg-type]
            printed_role = {"question": "question", "answer": "answer"}.get(h.kind)
            if printed_role is not None and printed_role != role:
                out.append(_finding("headings.role", f"a {role} stands under the {h.kind} heading "
                                    f"'{_text(layout, h)}'", item.numbers, item.span))
            expected = list(h.numbers) or (last_question if role == "answer" else [])
            if expected and set(expected) != set(item.numbers):
                out.append(_finding("headings.numbers", f"the {role} numbered {', '.join(item.numbers) or '-'} "
                                    f"stands under the heading '{_text(layout, h)}', which carries "
                                    f"{', '.join(expected)}", item.numbers, item.span))
        if role == "question":
            last_question = item.numbers
    out.extend(_unprinted(layout, ordered, unprinted))
    out.extend(_stray_headings(layout, ordered, owned))
    return out


def _text(layout: Layout, h: Heading) -> str:
    return " ".join(layout.document.text[h.start : h.end].split())


def _unprinted(layout: Layout, ordered: list[tuple[str, Item]],
               unprinted: list[tuple[int, str, Item]]) -> list[Finding]:
    """Items under no printed heading: corroborated recoveries are warnings, the rest errors."""
    questions = sum(r == "question" for r, _ in ordered)
    if not unprinted or len(unprinted) == len(ordered) or (
            all(r == "question" for _, r, _ in unprinted) and len(unprinted) == questions):
        return []  # the letter prints no headings for these items at all: numbering.unprinted says so
    out: list[Finding] = []
    answer_heads = {n for info in layout.lines if info.heading is not None and info.heading.kind == "answer"
                    for n in info.heading.numbers}
    question_heads = {n for info in layout.lines if info.heading is not None and info.heading.kind == "question"
                      for n in info.heading.numbers}
    for k, role, item in unprinted:
        if role == "question" and item.numbers and set(item.numbers) <= answer_heads and \
                not set(item.numbers) & question_heads:
            out.append(_finding("numbering.inferred_question", f"question {', '.join(item.numbers)} has no heading "
                                "(lost at a page break?); the numbers of its answer's heading were taken",
                                item.numbers, item.span))
        elif role == "answer" and k > 0 and ordered[k - 1][0] == "question" and \
                ordered[k - 1][1].numbers == item.numbers:
            out.append(_finding("coverage.headingless", f"the text after question {', '.join(item.numbers)} has no "
                                "heading; it was taken as that question's answer", item.numbers, item.span))
        else:
            out.append(_finding("headings.unprinted", f"the {role} numbered {', '.join(item.numbers) or '-'} stands "
                                "under no heading printing its numbers", item.numbers, item.span))
    return out


# A line that reads as a question or answer heading with its number garbled (OCR's "l" or "I" for 1, "O" for 0,
# "vraaq" for "vraag"); the Layout's strict headings do not take it, but a reader would.
_LOOSE_HEADING = re.compile(  # capitalised: "antwoord op vraag 5)." at a line's start is a wrapped sentence
    r"[#*_>\s]*(?:V(?i:raa[gq]|ragen)|A(?i:ntwoord(?:en)?(?:\s+(?:op|bij))?(?:\s+(?:de\s+)?(?:vraa[gq]|vragen))?))"
    r"\s*(?:nr\.?\s*)?[0-9lIO]{1,3}[a-z]?[\s:.*]*$")


def _stray_headings(layout: Layout, ordered: list[tuple[str, Item]], owned: set[int]) -> list[Finding]:
    """Question, answer, notice and Toelichting headings that open no item: inside an item's text, or between."""
    out: list[Finding] = []
    spans = [item.span for _, item in ordered]
    starts = [s for s, _ in spans]
    for i, info in enumerate(layout.lines):
        h = info.heading
        if info.role is Role.BODY and h is None and i not in owned and _LOOSE_HEADING.match(layout.content(i)):
            # a heading the Layout cannot read ("Vraag l", "Antwoord op vraaq 3": OCR): it still opens an item
            h = Heading("question", (), info.start, info.end)
        if info.role is not Role.BODY or h is None or i in owned or h.kind in ("number", "numbered"):
            continue
        k = bisect.bisect_right(starts, h.start) - 1
        if k >= 0 and spans[k][0] <= h.start < spans[k][1]:
            out.append(_finding("completeness.heading_in_text", f"line {i + 1}: '{_text(layout, h)}' stands inside "
                                "an item's text", ordered[k][1].numbers, (h.start, h.end)))
        elif h.kind in ("question", "answer") and ordered:
            out.append(_finding("headings.orphan", f"line {i + 1}: the heading '{_text(layout, h)}' opens no item",
                                h.numbers, (h.start, h.end)))
    return out


# --- completeness ------------------------------------------------------------------------------------------

_FURNITURE_INSIDE = re.compile(
    r"(?:Tweede|Eerste)\s+Kamer,\s*vergaderjaar\s*\d{4}\s*[–-]\s*\d{4},\s*Aanhangsel"
    r"|ISSN\s*\d{4}\s*-\s*\d{4}|Pagina\s+\d+\s+van\s+\d+|(?m:^\s*\[\^?\d{1,3}\]:)"
)
# Each form of _FURNITURE_INSIDE prints one of these; a text without them needs no search.
_FURNITURE_WORDS = ("Aanhangsel", "ISSN", "Pagina", "]:")


def _may_hold_furniture(text: str) -> bool:
    return any(word in text for word in _FURNITURE_WORDS)


# What may follow the last answer: a closing formula, a signature, an annex, a Toelichting.
_CLOSING_MATTER = re.compile(
    r"(?i:hoogachtend|met\s+(?:vriendelijke|hoogachtende)\s+groet|ik\s+(?:verwacht|vertrouw|hoop)\s+u\b"
    r"|(?:de|het)\s+(?:minister|staatssecretaris|minister-president|college|burgemeester|secretaris|voorzitter"
    r"|wethouder|dagelijks\s+bestuur)\b|namens\b|mede\s+namens|bijlage|toelichting|mededeling|contact)"
    r"|(?:[A-Z]\.\s*){1,4}(?:(?:van|de|der|den|ten|ter)\s+)*[A-Z][\w’'\-]+\s*,?\s*$"
    r"|Aan\s+(?:de|het)\s+[A-Z]"  # an annexed letter's address
)


_LETTERS3 = re.compile(r"[A-Za-zÀ-ÿ]{3}")


def _substantive(text: str) -> bool:
    """A line of running text (an answer's sentence), not a name, a title or a short label."""
    words = _WORDS.findall(text)
    return len(words) >= 6 and sum(w.islower() for w in words) >= 3


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
    """Every body line from the first item to the letter's end belongs to an item, a footnote, or the closing.

    Line roles are the Layout's: a line an extractor calls a footnote but the Layout reads as body text counts
    as body text. Text after an item's heading on the heading's own line counts too. After the last answer
    only closing matter may follow (a closing formula, a signature, an annex), not running text.
    """
    out: list[Finding] = []
    ordered = _items_in_order(letter)
    if not ordered:
        return out
    doc = layout.document
    text = doc.text
    covered = _merge([it.span for _, it in ordered])
    starts = [s for s, _ in covered]
    heads = {line for _, it in ordered if (line := _owned_heading(layout, it)) is not None}
    first = min(heads | {doc.line_at(ordered[0][1].span[0])})
    # pypdf may print a fragment of an item twice, out of place: a line found word for word in an item is not
    # lost, unless it carries on the sentence of the item just before it (then that item ended too early)
    printed: list[str] = []  # every item's text, whitespace removed: made when a line needs it (few do)

    def in_items(rest: str) -> bool:
        if not printed:
            printed.append("".join("".join(it.text for _, it in ordered).split()))
        return rest in printed[0]
    ends = sorted(it.span[1] for _, it in ordered)
    last_line = doc.line_at(max(it.span[1] for _, it in ordered) - 1)

    def inside(s: int, e: int) -> bool:
        k = bisect.bisect_right(starts, e - 1) - 1  # the last range starting inside or before [s, e)
        return k >= 0 and covered[k][1] > s

    def carries_on(s: int) -> bool:
        k = bisect.bisect_right(ends, s) - 1
        return k >= 0 and not _ENDS_SENTENCE.search(text[max(0, ends[k] - 40) : ends[k]])

    for i in range(first, last_line + 1):
        info = layout.lines[i]
        if info.role is not Role.BODY:
            continue
        s = info.start
        if info.heading is not None and (i in heads or info.heading.kind in ("question", "answer")):
            s = info.heading.end  # the heading itself is accounted for; what follows it on its line is not
        elif i in heads:
            continue  # a heading the Layout does not know ("Reactie op vraag 2")
        if s >= info.end or inside(s, info.end):
            continue  # most lines: inside an item, so nothing below needs reading
        rest = "".join(text[s : info.end].split())
        if _LETTERS3.search(rest) and not (len(rest) >= 12 and in_items(rest) and not carries_on(s)):
            out.append(_finding("completeness.unassigned", f"line {i + 1} belongs to no item", span=(s, info.end)))
    out.extend(_trailing(layout, max((it for _, it in ordered), key=lambda it: it.span[1]), letter.kind))
    if letter.kind == "answers":
        out.extend(_closing_inside(layout, ordered[-1][1]))
    for _, item in ordered:
        if not item.text.strip():
            out.append(_finding("completeness.empty_item", "an item has no text", item.numbers, item.span))
        leftover = _FURNITURE_INSIDE.search(item.text) if _may_hold_furniture(item.text) else None
        if leftover:
            out.append(_finding("completeness.furniture_in_text", f"'{leftover.group().strip()}' is page furniture "
                                "or a footnote inside an item's text", item.numbers, item.span))
    return out


_ENDS_SENTENCE = re.compile(r"[.?!:;»”\"')\]](?:\s*\[?\d{1,3}\]?)?\s*$")  # a footnote marker may follow


def _trailing(layout: Layout, last: Item, kind: str) -> list[Finding]:
    """Text between the last item and the closing matter: running text, or a line carrying on the last item's
    unfinished sentence (the last item ended too early). In a notice, running text after the questions may be
    the notice itself (a withdrawal printed without a Mededeling heading)."""
    doc = layout.document
    last_line = doc.line_at(max(last.span[0], last.span[1] - 1))
    # an item cut inside its line (a footnote printed after it on the line) does not carry on below
    unfinished = last.span[1] >= layout.lines[last_line].end and \
        not _ENDS_SENTENCE.search(doc.text[doc.lines[last_line].start : last.span[1]])
    first = True
    for i in range(last_line + 1, len(layout.lines)):
        info = layout.lines[i]
        if info.role is not Role.BODY:
            continue
        content = layout.content(i)
        if (info.heading is not None and info.heading.kind in ("closing", "notice")) or _CLOSING_MATTER.match(content):
            return []
        carries_on = first and _LETTERS2.search(content) is not None and \
            (unfinished or content[:1].islower())
        if (_substantive(content) and kind != "notice") or carries_on:
            return [_finding("completeness.trailing", f"line {i + 1} after the last item is running text, not a "
                             "closing or signature: the last item may end too early", span=(info.start, info.end))]
        first = False
    return []


_SIGNING = re.compile(
    r"(?i:hoogachtend|met\s+(?:vriendelijke|hoogachtende)\s+groet|(?:de|het)\s+(?:minister|staatssecretaris"
    r"|minister-president|college\s+van|burgemeester|secretaris|voorzitter|wethouder)\b[^.?!]{0,120},?\s*$)"
)


def _closing_inside(layout: Layout, item: Item) -> list[Finding]:
    """The last item runs into the letter's closing: a signing line followed only by short lines (names)."""
    doc = layout.document
    lines = [i for i in range(doc.line_at(item.span[0]), doc.line_at(max(item.span[0], item.span[1] - 1)) + 1)
             if layout.lines[i].role is Role.BODY]
    for k, i in enumerate(lines[1:], start=1):
        if _SIGNING.match(layout.content(i)) and not any(_substantive(layout.content(j)) for j in lines[k + 1 :]):
            return [_finding("completeness.closing_in_text", f"line {i + 1}: the item's text runs into the closing "
                             f"'{layout.content(i)[:60]}'", item.numbers, (layout.lines[i].start, item.span[1]))]
    return []


# --- footnotes ---------------------------------------------------------------------------------------------

_FOOTNOTE_LIKE = re.compile(
    r"\d{1,3}\s*(?:https?://|www\.|Kamerstuk|Kamerstukken|Handelingen|Aanhangsel|Zie\s|Bron:?\s)"
    r"|(?:https?://|www\.)\S+\s*$"
)


@functools.lru_cache(maxsize=256)
def _marker_before(marker: str) -> re.Pattern[str]:
    """``marker`` printed at the end of a text (a footnote's own marker before its body)."""
    return re.compile(rf"(?:^|\D){re.escape(marker)}\W{{0,3}}\s*$")


@functools.lru_cache(maxsize=64)
def _citing(values: tuple[str, ...]) -> re.Pattern[str]:
    """A footnote citation of one of the markers ``values``: the marker right after a sentence's last word and
    its punctuation ("weekend.2 Dat", "procent. 1" at a line's end, or alone on the next line), then a new sentence
    or the line's end; digits after digits ("3.2") are not. Only the markers a letter could print next are looked
    for, and the pattern opens with the punctuation, so the engine skips the text between."""
    if not values:
        return re.compile(r"(?!)")
    return re.compile(r"[.?!;:»”\"')\]](?<=[A-Za-zÀ-ÿ]{3}.)(?:[ ]|\n)?(" + "|".join(values) + r")(?!\d)"
                      r"(?=[ \t]+[A-Z«“\"'(]|[ \t]*$)", re.MULTILINE)


class _SpanIndex:
    """Footnote spans by marker, for "is one of them the same footnote as this": the same marker (brackets, carets,
    stars and parentheses aside) on overlapping ranges, an empty range counting as its first character. A bisect
    over each marker's spans, not a scan of all of them."""

    def __init__(self, spans: Iterable[tuple[str, int, int]]) -> None:
        by_marker: dict[str, list[tuple[int, int]]] = {}
        for marker, start, end in spans:
            by_marker.setdefault(marker.strip("[]^*() "), []).append((start, max(end, start + 1)))
        self._starts: dict[str, list[int]] = {}
        self._reach: dict[str, list[int]] = {}  # the furthest end among the spans starting up to here
        for marker, found in by_marker.items():
            found.sort()
            self._starts[marker] = [s for s, _ in found]
            self._reach[marker] = list(accumulate((e for _, e in found), max))

    def overlaps(self, marker: str, start: int, end: int) -> bool:
        """A span with ``marker`` overlaps ``[start, end)``."""
        key = marker.strip("[]^*() ")
        starts = self._starts.get(key)
        if not starts:
            return False
        k = bisect.bisect_left(starts, max(end, start + 1))  # the spans starting before this one ends
        return k > 0 and self._reach[key][k - 1] > start


def check_footnotes(layout: Layout, letter: Letter) -> list[Finding]:
    """The letter's footnotes are the footnote bodies the Layout finds by itself, and no item ends in one."""
    out: list[Finding] = []
    blocks = layout.footnotes

    def printed_here(marker: str, span: tuple[int, int]) -> bool:
        """The footnote lies on lines the Layout reads as footnote bodies, right after its printed marker (a
        block the Layout did not split where a marker was glued to the line before)."""
        doc = layout.document
        lines = range(doc.line_at(span[0]), doc.line_at(max(span[0], span[1] - 1)) + 1)
        before = doc.text[doc.lines[lines[0]].start : span[0]]
        return all(layout.lines[i].role in (Role.FOOTNOTE, Role.BLANK) for i in lines) and \
            _marker_before(marker.strip('[]^() ')).search(before) is not None

    block_index = _SpanIndex((b.marker, b.start, b.end) for b in blocks)
    footnote_index = _SpanIndex((fn.marker, *fn.span) for fn in letter.footnotes)
    for fn in letter.footnotes:
        if not block_index.overlaps(fn.marker, *fn.span) and not printed_here(fn.marker, fn.span):
            out.append(_finding("footnotes.unknown", f"footnote {fn.marker} is not a footnote body the letter prints "
                                "there (the lines are body text, or the marker differs)", span=fn.span))
    for b in blocks:
        if not footnote_index.overlaps(b.marker, b.start, b.end):
            line = layout.document.line_at(b.start) + 1
            out.append(_finding("footnotes.missing", f"the footnote {b.marker} printed at line {line} is missing from "
                                "the letter's footnotes", span=(b.start, b.end)))
    markers = {fn.marker.strip("[]^*() ") for fn in letter.footnotes}
    # only the markers a letter with this many footnotes could print next (a number in a sentence is not one)
    missing = tuple(str(n) for n in range(1, len(markers) + 3) if str(n) not in markers)
    doc = layout.document
    for _, item in _items_in_order(letter):
        found: set[str] = set()
        for m in _citing(missing).finditer(doc.text, *item.span):
            at = m.start(1)
            info = layout.lines[doc.line_at(at)]
            if info.role is Role.BODY and info.start <= at < info.end:
                found.add(m.group(1))
        cited = sorted(found, key=int)
        if cited:
            out.append(_finding("footnotes.cited_missing", f"the text cites footnote(s) {', '.join(cited)}, but the "
                                "letter has no such footnote (its body may be left inside an item)", item.numbers,
                                item.span))
    for _, item in _items_in_order(letter):
        lines = [i for i in range(layout.document.line_at(item.span[0]),
                                  layout.document.line_at(max(item.span[0], item.span[1] - 1)) + 1)
                 if layout.lines[i].role is Role.BODY]
        tail = [i for i in lines[-3:] if _FOOTNOTE_LIKE.match(layout.content(i))]
        if tail and len(lines) > 1:
            i = tail[0]
            out.append(_finding("footnotes.in_text", f"line {i + 1} at the end of an item's text looks like a "
                                f"footnote body: '{layout.content(i)[:60]}'", item.numbers,
                                (layout.lines[i].start, layout.lines[i].end)))
    return out


# --- metadata ----------------------------------------------------------------------------------------------

_DATE = r"(\d{1,2})\s*(" + "|".join(MONTHS) + r")\s*(\d{4})"
_SUBMITTED = re.compile(rf"(?:ingezonden|ingediend)\s*(?:op\s*)?{_DATE}", re.IGNORECASE)
_RECEIVED = re.compile(rf"ontvangen\s*(?:\(\s*ontvangen\s*)?(?:op\s*)?{_DATE}", re.IGNORECASE)
_ASKED_ON = re.compile(r"\bOp\s+(\d{1,2})\s*(" + "|".join(MONTHS) + r")\s+(?:jl\.\s+)?(?:heeft|hebben)\b",
                       re.IGNORECASE)
_CASE = re.compile(r"\b((?:19|20)\d{2})\s?Z\s?(\d{5})\b")
_CLAUSE = re.compile(r"(?i:vragen\s+van|gesteld\s+door|kamervragen\s+van|vragen\s+(?:gesteld\s+)?door)"
                     r"(?P<who>.{0,400}?)(?=\(\s*ingezonden|\bingezonden\b|\baan\s+de\b|\bover\b|\binzake\b|\n\n|$)",
                     re.DOTALL)


def _outside(layout: Layout, letter: Letter) -> str:
    """The body text outside the questions and answers (header, cover letter, notice, signature), footnotes left
    out, and so is a Toelichting after the last item: it speaks of other questions, with their numbers and dates."""
    spans = _merge([it.span for _, it in _items_in_order(letter)])
    starts = [s for s, _ in spans]
    end = spans[-1][1] if spans else 0
    parts = []
    for i, info in enumerate(layout.lines):
        if info.role is not Role.BODY:
            continue
        if info.start >= end and info.heading is not None and info.heading.kind == "closing":
            break
        k = bisect.bisect_right(starts, info.start) - 1
        if k >= 0 and spans[k][0] <= info.start < spans[k][1]:
            continue
        parts.append(layout.content(i))
    return "\n".join(parts)


def _dates(pattern: re.Pattern[str], text: str) -> set[dt.date]:
    found: set[dt.date] = set()
    for m in pattern.finditer(text):
        try:
            found.add(dt.date(int(m.group(3)), MONTHS.index(m.group(2).lower()) + 1, int(m.group(1))))
        except ValueError:
            continue
    return found


def _fold(s: str) -> str:
    return _NOT_FOLDED.sub("", s.casefold())


def check_metadata(layout: Layout, letter: Letter) -> list[Finding]:
    """Metadata is what the letter prints in its place: the case number in the header, the dates beside
    "ingezonden" and "ontvangen", the askers in the clause saying who asked; no respondent is an asker."""
    out: list[Finding] = []
    if letter.reference is not None and not re.fullmatch(r"(19|20)\d{2}Z\d{5}", letter.reference):
        out.append(_finding("metadata.reference", f"case number '{letter.reference}' is not yyyyZnnnnn"))
    if letter.submitted_on and letter.received_on and letter.received_on < letter.submitted_on:
        out.append(_finding("metadata.dates", f"received {letter.received_on} before submitted {letter.submitted_on}"))
    if not letter.askers:
        out.append(_finding("metadata.askers", "no asker found"))
    if letter.kind == "answers" and not letter.respondents:
        out.append(_finding("metadata.respondents", "no respondent found"))
    outside = _outside(layout, letter)
    cases = {f"{a}Z{b}" for a, b in _CASE.findall(outside)}
    if letter.reference is not None and cases and letter.reference not in cases:
        out.append(_finding("metadata.reference_anchor", f"the case number {letter.reference} is not the one the "
                            f"letter's header prints ({', '.join(sorted(cases))})"))
    elif letter.reference is not None and not cases:
        out.append(_finding("metadata.reference_anchor", f"the case number {letter.reference} is printed only inside "
                            "a question, an answer or a footnote, not as the letter's own"))
    elif letter.reference is None and len(cases) == 1:
        out.append(_finding("metadata.reference_anchor", f"the letter prints the case number {min(cases)}, but the "
                            "result has none"))
    out.extend(_date_anchor("submitted_on", "ingezonden", letter.submitted_on, _dates(_SUBMITTED, outside), outside))
    out.extend(_date_anchor("received_on", "ontvangen", letter.received_on, _dates(_RECEIVED, outside), outside))
    clause = _CLAUSE.search(outside)
    if clause is not None:
        who = _fold(clause.group("who"))
        for person in letter.askers:
            if _fold(person.name) not in who:
                out.append(_finding("metadata.askers_anchor", f"the asker '{person.name}' is not named where the "
                                    "letter says who asked"))
    askers = {_fold(p.name) for p in letter.askers}
    for person in letter.respondents:
        if _fold(person.name) in askers:
            out.append(_finding("metadata.respondent_is_asker", f"'{person.name}' is both an asker and a respondent"))
    return out


def _date_anchor(name: str, word: str, value: dt.date | None, printed: set[dt.date], outside: str) -> list[Finding]:
    if value is None:
        if printed:
            return [_finding("metadata.dates_anchor", f"the letter prints '{word}' {min(printed)}, but {name} is "
                             "empty")]
        return []
    if value in printed:
        return []
    if not printed and name == "submitted_on" and any(
            int(m.group(1)) == value.day and m.group(2).lower() == MONTHS[value.month - 1]
            for m in _ASKED_ON.finditer(outside)):
        return []  # "Op 6 november jl. heeft het lid ... vragen gesteld": the year is the answer's
    where = f"beside '{word}' the letter prints {', '.join(str(d) for d in sorted(printed))}" if printed else \
        f"the letter prints no date beside '{word}'"
    return [_finding("metadata.dates_anchor", f"{name} is {value}, but {where}")]


# --- kind --------------------------------------------------------------------------------------------------


def check_kind(layout: Layout, letter: Letter) -> list[Finding]:
    """The kind fits the headings the letter prints: a Mededeling is a notice, answer headings mean answers."""
    heads = [info.heading for info in layout.lines if info.role is Role.BODY and info.heading is not None]
    notice = any(h.kind == "notice" for h in heads)
    answers = [h for h in heads if h.kind == "answer"]
    if notice and letter.kind != "notice" and not letter.answers:
        return [_finding("kind.notice", f"the letter prints a Mededeling, but is read as {letter.kind}")]
    if notice and letter.kind == "answers":
        return [_finding("kind.notice", "the letter prints a Mededeling, but is read as answers")]
    if letter.kind == "questions_only" and answers:
        return [_finding("kind.answers", f"the letter prints {len(answers)} answer heading(s), but is read as "
                         "questions only")]
    if letter.kind == "notice" and not notice and any(h.numbers for h in answers):
        return [_finding("kind.questions", "the letter prints numbered answer headings, but is read as a notice")]
    return []


#: The checks ``run_checks`` runs, in order.
CHECKS: tuple[Check, ...] = (check_numbering, check_coverage, check_headings, check_grounding, check_completeness,
                              check_footnotes, check_metadata, check_kind)

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def run_checks(layout: Layout, letter: Letter) -> list[Finding]:
    """Run every check; findings come errors first, then warnings, then information."""
    findings = [f for check in CHECKS for f in check(layout, letter)]
    return sorted(findings, key=lambda f: _ORDER[f.severity])
