"""The plan schema the model fills, and its validation against the Document.

The model never copies text. It returns, for every item, its printed numbers and the first and last line
of its own text (line numbers as shown in the prompt, 1-based), the footnotes the same way, and a few short
metadata strings. The schema works with OpenAI strict structured outputs: every field required, no extra
fields, nullable fields as ``X | None``.

Validation runs with the Document as context: ``PlanFeedback`` collects what is wrong in words the model can
act on ("question 7 has no answer; lines 40-52 belong to no item"), and raising it makes instructor send the
plan back for a re-ask. Structural faults (lines outside the letter, overlaps, items out of order) are always
sent back; coverage faults only on the first attempt, because a letter may itself leave a question
unanswered, and the checks report that later anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from instructor import OpenAISchema  # a ready response model: instructor builds its schema once, not per call
from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from .._layout import Layout, Role, parse_numbers
from .._models import Person
from .._plan import Metadata, Plan, PlannedFootnote, PlannedItem, Rejected

__all__ = ["REVIEWING", "LetterPlan", "PlanContext", "plan_to_internal"]


#: The plan under review for the current call. instructor renders every message as a Jinja template when it
#: is given a validation context, and a letter's text must never be templated, so the context travels in a
#: context variable instead (each call, thread and asyncio task sees its own).
REVIEWING: ContextVar[PlanContext | None] = ContextVar("llmparse_reviewing", default=None)


def _compact(schema: dict[str, Any], cls: type[Any]) -> None:
    """The schema travels with every request, so it carries no titles but the plan's own (instructor names the
    tool after it; the field names say the rest) and writes a nullable string as a list of types."""
    if cls.__name__ != "LetterPlan":
        schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        choices = prop.get("anyOf")
        if choices and all(set(choice) == {"type"} for choice in choices):
            prop["type"] = [choice["type"] for choice in prop.pop("anyOf")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)


class PlanItem(_Strict):
    """A question or answer: numbers as printed, first and last line of its own text."""

    numbers: str
    first: int
    last: int


class PlanFootnote(_Strict):
    """A footnote: marker, first and last line of its text."""

    marker: str
    first: int
    last: int


class PlanCut(_Strict):
    """An item starting or ending inside a line: the line, the side, a few words printed there."""

    line: int
    side: Literal["start", "end"]
    words: str


class PlanPerson(_Strict):
    """A person as printed (party, role null when not printed)."""

    name: str
    party: str | None
    role: str | None


class LetterPlan(OpenAISchema, _Strict):
    """The plan of the letter, by the line numbers shown."""

    kind: Literal["answers", "notice", "questions_only"]
    questions: list[PlanItem]
    answers: list[PlanItem]
    footnotes: list[PlanFootnote]
    cuts: list[PlanCut]
    reference: str | None
    subject: str | None
    askers: list[PlanPerson]
    respondents: list[PlanPerson]
    submitted_on: str | None
    received_on: str | None

    def in_order(self) -> list[tuple[Literal["question", "answer"], PlanItem]]:
        """Questions and answers in document order."""
        both: list[tuple[Literal["question", "answer"], PlanItem]] = [
            *(("question", q) for q in self.questions), *(("answer", a) for a in self.answers)]
        return sorted(both, key=lambda pair: (pair[1].first, pair[1].last))

    @model_validator(mode="after")
    def _check_against_document(self, info: ValidationInfo) -> LetterPlan:
        context = info.context.get("plan_context") if isinstance(info.context, dict) else REVIEWING.get()
        if isinstance(context, PlanContext):
            context.review(self)
        return self


@dataclass
class PlanContext:
    """The validation context: the letter's layout, the lines this call covers, and the attempt count.

    Attributes:
        layout: the letter's layout.
        first_line: the first line (1-based) shown to the model in this call.
        last_line: the last line shown in this call.
        attempts: how many plans were reviewed so far.
        feedback: the feedback given for each rejected plan, in order (for tests and logs).
        coverage: whether coverage faults are sent back on the first attempt (not when nothing can be
            sent back, as when collecting a batch).
    """

    layout: Layout
    first_line: int
    last_line: int
    attempts: int = 0
    feedback: list[str] = field(default_factory=list)
    coverage: bool = True

    def review(self, plan: LetterPlan) -> None:
        """Raise ``ValueError`` with concrete feedback when the plan does not fit the letter."""
        self.attempts += 1
        hard = self._structure(plan)
        soft = self._coverage(plan) if not hard and self.coverage and self.attempts == 1 else []
        problems = hard + soft
        if problems:
            message = "The plan does not fit the letter:\n" + "\n".join(f"- {p}" for p in problems)
            self.feedback.append(message)
            raise ValueError(message)

    def _structure(self, plan: LetterPlan) -> list[str]:
        out: list[str] = []
        lo, hi = self.first_line, self.last_line
        spans: list[tuple[int, int, str]] = []
        for role, item in plan.in_order():
            label = f"{role} {item.numbers.strip() or '(no number)'}"
            if not _expand(item.numbers):
                out.append(f"{label}: give the question number(s) it carries")
            if not lo <= item.first <= item.last <= hi:
                out.append(f"{label}: lines {item.first}-{item.last} are not a range inside lines {lo}-{hi}")
                continue
            if not self._has_text(item.first, item.last):
                out.append(f"{label}: lines {item.first}-{item.last} hold no text of the letter")
            spans.append((item.first, item.last, label))
        for (a0, a1, a), (b0, b1, b) in pairwise(spans):
            if b0 <= a1:
                out.append(f"{a} (lines {a0}-{a1}) and {b} (lines {b0}-{b1}) overlap or are out of order; "
                           "list items in document order without overlap")
        for fn in plan.footnotes:
            if not lo <= fn.first <= fn.last <= hi:
                out.append(f"footnote {fn.marker}: lines {fn.first}-{fn.last} are not inside {lo}-{hi}")
        return out

    def _coverage(self, plan: LetterPlan) -> list[str]:
        out: list[str] = []
        asked = [n for q in plan.questions for n in _expand(q.numbers)]
        answered = {n for a in plan.answers for n in _expand(a.numbers)}
        if plan.kind == "answers":
            missing = [n for n in dict.fromkeys(asked) if n not in answered]
            if missing:
                out.append(f"question(s) {', '.join(missing)} have no answer: find the answer, or check the "
                           "numbers of a grouped answer")
            extra = sorted(answered - set(asked), key=_num_key)
            if extra:
                out.append(f"answer(s) to {', '.join(extra)} match no question: check the question numbers")
        items = [it for _, it in plan.in_order()]
        covered = [(it.first, it.last) for it in items] + [(fn.first, fn.last) for fn in plan.footnotes]
        headed = {self.layout.heading_above(it.first - 1, _expand(it.numbers)) for it in items
                  if self.first_line <= it.first <= self.last_line}
        if items:
            first = min(it.first for it in items)
            last = max(it.last for it in items)
            loose = [n for n in range(first, last + 1) if self._is_text(n) and not any(a <= n <= b for a, b in covered)
                     and not self._is_heading(n) and n - 1 not in headed]
            if loose:
                out.append(f"lines {_ranges(loose)} belong to no item or footnote: a question or answer may be "
                           "missing, or an item ends too early")
        return out

    def _info(self, line: int) -> Any:
        return self.layout.lines[line - 1]

    def _is_text(self, line: int) -> bool:
        return bool(self._info(line).role is Role.BODY)

    def _is_heading(self, line: int) -> bool:
        return self._info(line).heading is not None

    def _has_text(self, first: int, last: int) -> bool:
        return any(self._is_text(n) for n in range(first, last + 1))


def _expand(numbers: str) -> list[str]:
    """The numbers of a printed list ("4 t/m 7" -> 4, 5, 6, 7)."""
    return list(parse_numbers(numbers))


def _num_key(n: str) -> tuple[int, str]:
    m = re.match(r"(\d+)(.*)", n)
    return (int(m.group(1)), m.group(2)) if m else (1 << 30, n)


def _ranges(lines: list[int]) -> str:
    out: list[str] = []
    start = prev = lines[0]
    for n in [*lines[1:], -1]:
        if n != prev + 1:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = n
        prev = n
    return ", ".join(out)


# --- from the model's plan to the internal Plan -----------------------------------------------------------


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def _printed(text: str, value: str) -> bool:
    """True when ``value`` stands in ``text`` (whitespace and case folded)."""
    return bool(value.strip()) and _squash(value) in text


def _role_printed(text: str, role: str) -> bool:
    """True when a role's office and its department stand in ``text``: a letter printing "staatssecretaris
    Struycken (Justitie en Veiligheid)" grounds "Staatssecretaris van Justitie en Veiligheid", the form the
    rules and the annotations write, but nothing the letter does not name."""
    office, _, department = _squash(role).partition(" ")
    department = re.sub(r"^(van|voor)\s+", "", department)
    return _word_printed(text, office) and (not department or _word_printed(text, department))


def _word_printed(text: str, words: str) -> bool:
    """True when ``words`` stand in ``text`` as whole words ("minister" is not in "ministerie")."""
    return bool(words) and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"]


def _date_printed(text: str, value: str) -> dt.date | None:
    try:
        date = dt.date.fromisoformat(value.strip())
    except ValueError:
        return None
    # the day may be glued to the word before it ("ontvangen13 augustus 2024"); a date printed without its year
    # ("op 6 november jl.") is grounded when the letter prints that year elsewhere
    day_month = rf"(?<!\d)0?{date.day}\s*{_MONTHS[date.month - 1]}"
    if re.search(rf"{day_month}\s*{date.year}(?!\d)", text, re.IGNORECASE):
        return date
    if re.search(rf"{day_month}(?!\s*\d)", text, re.IGNORECASE) and \
            re.search(rf"(?<!\w){date.year}(?!\w)", text):  # a year of its own, not the 2024 of 2024Z12345
        return date
    return None


def _anchor(layout: Layout, line: int, words: str | None, *, end: bool) -> int | None:
    """Where ``words`` start (or, with ``end``, stop) inside ``line`` (0-based), or None when not there."""
    if not words or not words.split():
        return None
    info = layout.lines[line]
    pattern = r"\s+".join(re.escape(w) for w in words.split())
    found = list(re.finditer(pattern, layout.document.text[info.start : info.end]))
    if not found:
        return None
    return info.start + (found[-1].end() if end else found[0].start())


def _item_range(layout: Layout, item: PlanItem, cuts: list[PlanCut]) -> tuple[int, int] | None:
    """The character range of an item's lines: body text only, a same-line heading skipped, cuts applied."""
    rng = _line_range(layout, item.first, item.last)
    if rng is None:
        return None
    start, end = rng
    starts = {c.line: c.words for c in cuts if c.side == "start"}
    ends = {c.line: c.words for c in cuts if c.side == "end"}
    first = _anchor(layout, layout.document.line_at(start), starts.get(item.first), end=False)
    last = _anchor(layout, layout.document.line_at(end - 1), ends.get(item.last), end=True)
    start = first if first is not None and first >= start else start
    end = last if last is not None and start < last <= end else end
    return start, end


def _line_range(layout: Layout, first: int, last: int) -> tuple[int, int] | None:
    """The character range of lines ``first``-``last`` (1-based): body text only, a same-line heading skipped."""
    body = [i for i in range(first - 1, last) if layout.lines[i].role is Role.BODY]
    if not body:
        return None
    head = layout.lines[body[0]]
    start = head.start
    if head.heading is not None and head.heading.end < head.end:
        start = head.heading.end
        while layout.document.text[start].isspace():
            start += 1
    elif head.heading is not None and len(body) > 1:
        body = body[1:]  # the model counted the heading line as text
        start = layout.lines[body[0]].start
    return start, layout.lines[body[-1]].end


def _heading_before(layout: Layout, first: int, numbers: tuple[str, ...]) -> tuple[int, int] | None:
    """The heading of an item whose text starts on line ``first`` (1-based): on that line, or just above it."""
    own = layout.lines[first - 1]
    if own.heading is not None and own.role is Role.BODY and own.heading.end < own.end:
        return own.heading.start, own.heading.end
    i = layout.heading_above(first - 1, numbers)
    if i is None:
        return None
    info = layout.lines[i]
    return (info.heading.start, info.heading.end) if info.heading is not None else (info.start, info.end)


def plan_to_internal(layout: Layout, plan: LetterPlan) -> tuple[Plan, list[Rejected]]:
    """Turn the model's plan into the internal ``Plan``.

    Metadata must be printed outside the questions and answers (in the header, a cover letter, a signature):
    a name, party, subject or case number found only inside an item, or nowhere, is rejected, so text inside
    a letter cannot steer the metadata.
    """
    raw = layout.document.text
    rejected: list[Rejected] = []
    items: list[PlannedItem] = []
    for role, it in plan.in_order():
        rng = _item_range(layout, it, plan.cuts)
        numbers = tuple(dict.fromkeys(_expand(it.numbers)))
        if rng is None or not numbers:
            continue
        heading = _heading_before(layout, layout.document.line_at(rng[0]) + 1, numbers)
        items.append(PlannedItem(role, numbers, rng[0], rng[1], heading))
    outside, last = [], 0
    for item in items:
        outside.append(raw[last : item.start])
        last = max(last, item.end)
    outside.append(raw[last:])
    text = _squash(" ".join(outside))
    footnotes: list[PlannedFootnote] = []
    for fn in plan.footnotes:
        lines = [i for i in range(fn.first - 1, fn.last) if layout.lines[i].role is not Role.BLANK]
        if lines:
            start = layout.lines[lines[0]].start
            found = re.match(rf"\s*\[?\s*{re.escape(fn.marker)}\s*[\]).]?\s*", raw[start : layout.lines[lines[0]].end])
            footnotes.append(PlannedFootnote(fn.marker, start + (found.end() if found else 0),
                                             layout.lines[lines[-1]].end))

    def people(field_name: str, persons: list[PlanPerson]) -> tuple[Person, ...]:
        kept: list[Person] = []
        for p in persons:
            # a name may be printed glued to the word before it ("DaniëlleJansen", as some PDF tools give it)
            if not (_printed(text, p.name) or _printed(text.replace(" ", ""), p.name.replace(" ", ""))):
                rejected.append(Rejected(field_name, p.name))
                continue
            party = p.party if p.party and _printed(text, p.party) else None
            role = p.role if p.role and _role_printed(text, p.role) else None
            for name, value in (("party", p.party), ("role", p.role)):
                if value and (party if name == "party" else role) is None:
                    rejected.append(Rejected(f"{field_name}.{name}", value))
            kept.append(Person(name=p.name.strip(), party=party, role=role))
        return tuple(kept)

    def checked(field_name: str, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if _printed(text, value) or (field_name == "reference" and _printed(text.replace(" ", ""), value)):
            return value.strip()
        rejected.append(Rejected(field_name, value))
        return None

    dates: dict[str, dt.date | None] = {}
    for name, value in (("submitted_on", plan.submitted_on), ("received_on", plan.received_on)):
        dates[name] = _date_printed(" ".join(outside), value) if value else None
        if value and dates[name] is None:
            rejected.append(Rejected(name, value))
    reference = checked("reference", plan.reference)
    if reference is not None:
        reference = re.sub(r"\s+", "", reference)
    metadata = Metadata(
        publication_id=_publication_id(raw),
        reference=reference,
        subject=checked("subject", plan.subject),
        askers=people("askers", plan.askers),
        respondents=people("respondents", plan.respondents),
        submitted_on=dates["submitted_on"],
        received_on=dates["received_on"],
    )
    kind: Literal["answers", "notice", "questions_only"] = plan.kind
    if kind == "answers" and not any(it.role == "answer" for it in items):
        kind = "questions_only"
    return Plan(kind, tuple(items), tuple(footnotes), metadata), rejected


def _publication_id(text: str) -> str | None:
    m = re.search(r"\b(?:ah|h)[- ](tk|ek)[- ](\d{8})[- ](\d{1,5})\b", text)
    return f"ah-{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None
