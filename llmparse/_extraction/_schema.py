"""The plan schema the model fills, and how a filled plan becomes the internal Plan.

The model never copies text. It returns, for every item, its printed numbers and the first and last line
of its own text (line numbers as shown in the prompt, 1-based), the footnotes the same way, and a few short
metadata strings. The schema works with OpenAI strict structured outputs: every field required, no extra
fields, nullable fields as ``X | None``.

Whether a plan fits the letter is not decided here: the pipeline's checks review the letter the plan
assembles into (``llmparse._plan.Review``), and ``feedback`` turns their error findings into words a model
can act on, naming lines and headings. Only what ``plan_to_internal`` cannot build at all (lines outside the
letter, overlapping items, items without numbers) is reported here, as findings of the same codes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from instructor import OpenAISchema  # a ready response model: instructor builds its schema once, not per call
from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from .._layout import Layout, Role, parse_numbers
from .._models import Finding, Person, Severity
from .._plan import Metadata, Plan, PlannedFootnote, PlannedItem, Rejected
from .._types import MONTHS

__all__ = ["REASKED", "LetterPlan", "feedback", "plan_to_internal"]


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


# On the wire an item is one short string, "numbers:first-last" ("2 en 3:17-19", "4:30" for one line): the plan
# is what the model writes, and a string costs half the tokens of an object with three named fields. The
# expanded object form ({"numbers", "first", "last"}) is read too.
_REF = re.compile(r"\s*(?P<label>.+?)\s*:\s*(?P<first>-?\d+)\s*(?:-\s*(?P<last>-?\d+))?\s*")
_REF_PATTERN = r"^.+:-?[0-9]+(-[0-9]+)?$"


def _ref(key: str) -> Callable[[object], object]:
    def read(value: object) -> object:
        if not isinstance(value, str):
            return value
        m = _REF.fullmatch(value)
        if m is None:
            raise ValueError(f"'{value[:60]}' is not \"{key}:first-last\" (like \"2 en 3:17-19\" or \"4:30\")")
        return {key: m["label"], "first": int(m["first"]), "last": int(m["last"] or m["first"])}
    return read


def _written(label: str) -> Callable[[Any], str]:
    return lambda ref: f"{getattr(ref, label)}:{ref.first}" + (f"-{ref.last}" if ref.last != ref.first else "")


ItemRef = Annotated[PlanItem, BeforeValidator(_ref("numbers")), PlainSerializer(_written("numbers")),
                    WithJsonSchema({"type": "string", "pattern": _REF_PATTERN})]
FootnoteRef = Annotated[PlanFootnote, BeforeValidator(_ref("marker")), PlainSerializer(_written("marker")),
                        WithJsonSchema({"type": "string", "pattern": _REF_PATTERN})]


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
    questions: list[ItemRef]
    answers: list[ItemRef]
    footnotes: list[FootnoteRef]
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



def _expand(numbers: str) -> list[str]:
    """The numbers of a printed list ("4 t/m 7" -> 4, 5, 6, 7)."""
    return list(parse_numbers(numbers))


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




def _date_printed(text: str, value: str) -> dt.date | None:
    try:
        date = dt.date.fromisoformat(value.strip())
    except ValueError:
        return None
    # the day may be glued to the word before it ("ontvangen13 augustus 2024"); a date printed without its year
    # ("op 6 november jl.") is grounded when the letter prints that year elsewhere
    day_month = rf"(?<!\d)0?{date.day}\s*{MONTHS[date.month - 1]}"
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


def _error(code: str, message: str, numbers: Iterable[str] = (), span: tuple[int, int] | None = None) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, message=message, numbers=list(numbers), span=span)


def _items(layout: Layout, plan: LetterPlan, lo: int, hi: int) -> tuple[list[PlannedItem], list[Finding]]:
    """The plan's items as character ranges, in document order; what cannot be built is a finding instead.

    Items whose lines lie outside ``lo``-``hi`` or hold no text are left out, and an item overlapping the one
    before it is clipped to start after it: the result keeps what is usable, and the findings say what was not.
    """
    notes: list[Finding] = []
    items: list[PlannedItem] = []
    for role, it in plan.in_order():
        numbers = tuple(dict.fromkeys(_expand(it.numbers)))
        label = f"{role} {it.numbers.strip() or '(no number)'}"
        if not lo <= it.first <= it.last <= hi:
            notes.append(_error("grounding.span", f"{label}: lines {it.first}-{it.last} are not a range inside "
                                f"lines {lo}-{hi}", numbers))
            continue
        rng = _item_range(layout, it, plan.cuts)
        if rng is None:
            notes.append(_error("completeness.empty_item", f"{label}: lines {it.first}-{it.last} hold no text of "
                                "the letter", numbers))
            continue
        if not numbers:
            notes.append(_error("coverage.no_numbers", f"{label} at line {it.first}: give the question number(s) "
                                "it carries", span=rng))
            continue
        start, end = rng
        if items and start < items[-1].end:
            prev = items[-1]
            notes.append(_error("grounding.order", f"{label} (lines {it.first}-{it.last}) overlaps the "
                                f"{prev.role} {', '.join(prev.numbers)} before it; it was clipped to start after "
                                "it", numbers, rng))
            start = prev.end
            if start >= end:
                continue
        heading = _heading_before(layout, layout.document.line_at(start) + 1, numbers)
        items.append(PlannedItem(role, numbers, start, end, heading))
    return items, notes


def _footnote(layout: Layout, marker: str, first: int, last: int) -> PlannedFootnote:
    """The footnote ``marker`` on lines ``first``-``last`` (0-based): from its marker at the line's start, or,
    where the footnote was run onto the end of a line of text ("... online? 1 De Telegraaf, ..."), from that
    marker inside the line: a plan of whole lines points at the line, and the marker says where on it."""
    doc = layout.document
    line = doc.lines[first]
    raw = doc.text
    found = re.match(rf"\s*\[?\s*{re.escape(marker)}\s*[\]).]?\s*", raw[line.start : line.end])
    start = line.start + (found.end() if found else 0)
    if found is None:
        inline = [b for b in layout.footnotes if b.first_line == first and b.marker == marker]
        if inline:
            start = inline[0].start
    return PlannedFootnote(marker, start, max(start, doc.lines[last].end))


def plan_to_internal(layout: Layout, plan: LetterPlan, first_line: int = 1,
                     last_line: int | None = None) -> tuple[Plan, list[Rejected], list[Finding]]:
    """Turn the model's plan for lines ``first_line``-``last_line`` into the internal ``Plan``.

    Returns the plan, the metadata values it rejected, and findings about what could not be built (items
    outside the lines, overlaps clipped, items without numbers). The plan's kind is kept as the model gave
    it: the checks say when it does not fit the letter.

    Metadata must be printed outside the questions and answers (in the header, a cover letter, a signature):
    a name, party, subject or case number found only inside an item, or nowhere, is rejected, so text inside
    a letter cannot steer the metadata.
    """
    raw = layout.document.text
    hi = len(layout.lines) if last_line is None else last_line
    rejected: list[Rejected] = []
    items, notes = _items(layout, plan, first_line, hi)
    outside, last = [], 0
    for item in items:
        outside.append(raw[last : item.start])
        last = max(last, item.end)
    outside.append(raw[last:])
    text = _squash(" ".join(outside))
    footnotes: list[PlannedFootnote] = []
    for fn in plan.footnotes:
        if not first_line <= fn.first <= fn.last <= hi:
            notes.append(_error("grounding.span", f"footnote {fn.marker}: lines {fn.first}-{fn.last} are not a "
                                f"range inside lines {first_line}-{hi}"))
            continue
        lines = [i for i in range(fn.first - 1, fn.last) if layout.lines[i].role is not Role.BLANK]
        if lines:
            footnotes.append(_footnote(layout, fn.marker, lines[0], lines[-1]))

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
    return Plan(plan.kind, tuple(items), tuple(footnotes), metadata), rejected, notes


#: The codes a model is re-asked about: what its plan got wrong about the letter, as the checks re-derive it.
#: Codes that may describe the letter itself (a question it leaves unanswered, a number it prints twice, dates
#: out of order) are reported in the result but never sent back, so a right plan is never re-asked.
REASKED = frozenset({
    "grounding.span", "grounding.order", "grounding.text", "grounding.metadata",
    "completeness.unassigned", "completeness.trailing", "completeness.closing_in_text",
    "completeness.heading_in_text", "completeness.furniture_in_text",
    "completeness.empty_item", "coverage.no_numbers", "coverage.notice_answers",
    "headings.numbers", "headings.role", "headings.orphan", "headings.unprinted",
    "footnotes.unknown", "footnotes.missing", "footnotes.in_text", "footnotes.cited_missing",
    "metadata.reference_anchor", "metadata.dates_anchor", "metadata.askers_anchor", "metadata.respondent_is_asker",
    "kind.notice", "kind.answers", "kind.questions",
})


def feedback(layout: Layout, findings: Iterable[Finding], first_line: int = 1, last_line: int | None = None) -> str:
    """The re-ask message for a plan's error findings, each naming the lines it is about ("" when none).

    Only findings of ``REASKED`` codes count; when the letter is sent in parts, only those inside the part.
    """
    doc = layout.document
    hi = len(layout.lines) if last_line is None else last_line
    lo_char = doc.lines[first_line - 1].start
    hi_char = doc.lines[hi - 1].end
    out: list[str] = []
    for f in findings:
        if f.severity is not Severity.ERROR or f.code not in REASKED:
            continue
        if f.span is None:
            if first_line != 1 or last_line not in (None, len(layout.lines)):
                continue  # a letter-wide finding cannot be judged from one part
            out.append(f"- {f.message}")
            continue
        if not lo_char <= f.span[0] <= hi_char:
            continue
        if f.message.startswith("line"):
            out.append(f"- {f.message}")
            continue
        a, b = doc.line_at(f.span[0]) + 1, doc.line_at(max(f.span[0], f.span[1] - 1)) + 1
        where = f"line {a}" if a == b else f"lines {a}-{b}"
        out.append(f"- {where}: {f.message}")
    if not out:
        return ""
    return "The plan does not fit the letter; correct these and send the whole plan again:\n" + \
        "\n".join(dict.fromkeys(out))


def _publication_id(text: str) -> str | None:
    m = re.search(r"\b(?:ah|h)[- ](tk|ek)[- ](\d{8})[- ](\d{1,5})\b", text)
    return f"ah-{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None
