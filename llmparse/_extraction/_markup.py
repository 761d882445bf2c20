"""The markup extractor: the plan the official XML or XHTML markup gives, in the rules extractor's shape.

A reader that found ``<vraag>`` / ``<antwoord>`` (or ``div.vraag`` / ``div.antwoord``) leaves the Document a
``MarkupStructure``: each item's range and printed heading, each footnote's range, and the names, dates,
subject and publication id the markup tags. This extractor turns that record into a Plan. The numbers are
read from the printed heading as the Layout reads any heading; an item without one is numbered by its place
(a question) or by the question before it (an answer), and marked inferred, so the checks say so. Whatever
the markup does not tag (a party, a respondent's office, a notice) comes from the rules' reading of the same
text, and the askers and respondents the markup names keep the rules' party and role where the rules found
the same person.

A record whose ranges do not fit the Document (out of bounds, out of order) is not trusted: the rules'
plan is returned, and it says so (``structure == "text"``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from itertools import pairwise
from typing import Literal

from .._document import Document
from .._layout import Layout, parse_numbers
from .._markup_readers import MarkupStructure
from .._models import Kind, Person
from .._plan import Extraction, Metadata, Plan, PlannedFootnote, PlannedItem, Review
from ._rules import RulesExtractor

__all__ = ["MarkupExtractor"]

log = logging.getLogger(__name__)


class MarkupExtractor:
    """Extracts a plan from the structure the official XML or XHTML markup gives, offline."""

    name: Literal["rules", "llm"] = "rules"

    def extract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """Return the plan of ``document`` from its markup, or the rules' plan when it carries none (the markup
        is read once, so ``review`` is not used)."""
        rules = RulesExtractor().extract(document, layout)
        markup = document.markup
        if markup is None:
            return rules
        if not _fits(markup, len(document.text)):
            log.warning("%s: the markup's ranges do not fit the text; the text path is used", document.source)
            return rules
        items = _items(markup)
        footnotes = tuple(PlannedFootnote(fn.marker, fn.start, fn.end) for fn in markup.footnotes)
        first = min((it.heading[0] if it.heading else it.start for it in items), default=len(document.text))
        notice = rules.plan.notice
        if notice is not None and notice[1] > first:
            notice = None  # the rules took an item's text for a notice: the markup says what it is
        kind: Kind = "answers" if any(it.role == "answer" for it in items) else (
            "notice" if notice is not None or rules.plan.kind == "notice" else "questions_only")
        plan = Plan(kind, items, footnotes, _metadata(markup, rules.plan.metadata), notice)
        return Extraction(plan, structure="markup")


def _fits(markup: MarkupStructure, size: int) -> bool:
    """The record's ranges lie inside the text, in order, without overlap."""
    ranges = [(it.start, it.end) for it in markup.items] + [(fn.start, fn.end) for fn in markup.footnotes]
    if any(not 0 <= s < e <= size for s, e in ranges):
        return False
    ordered = sorted(ranges)
    return all(a[1] <= b[0] for a, b in pairwise(ordered)) and bool(markup.items)


def _items(markup: MarkupStructure) -> tuple[PlannedItem, ...]:
    out: list[PlannedItem] = []
    asked: tuple[str, ...] = ()
    count = 0
    for item in markup.items:
        numbers = parse_numbers(item.label) if item.label and re.search(r"\d", item.label) else ()
        inferred = not numbers
        if item.role == "question":
            if not numbers:
                numbers = (str(count + 1),)
            count = max([count, *(int(n) for n in numbers if n.isdigit())])
            asked = numbers
        elif not numbers:
            numbers = asked
        if numbers:
            out.append(PlannedItem(item.role, numbers, item.start, item.end, item.heading, inferred))
    return tuple(out)


def _same(a: str, b: str) -> bool:
    fold = re.compile(r"[\s.’']+")
    x, y = fold.sub(" ", a).strip().lower(), fold.sub(" ", b).strip().lower()
    return x == y or x.endswith(" " + y) or y.endswith(" " + x)


def _people(names: tuple[str, ...], found: tuple[Person, ...]) -> tuple[Person, ...]:
    """The marked-up names, each with the party and role the rules read beside the same person."""
    if not names:
        return found
    out: list[Person] = []
    for name in names:
        match = next((p for p in found if _same(p.name, name)), None)
        out.append(Person(name=name, party=match.party, role=match.role) if match else Person(name=name))
    return tuple(out)


def _date(iso: str | None, fallback: dt.date | None) -> dt.date | None:
    if iso is None:
        return fallback
    try:
        return dt.date.fromisoformat(iso)
    except ValueError:
        return fallback


def _metadata(markup: MarkupStructure, rules: Metadata) -> Metadata:
    return Metadata(
        publication_id=markup.publication_id or rules.publication_id,
        reference=rules.reference,
        subject=markup.subject or rules.subject,
        askers=_people(markup.askers, rules.askers),
        respondents=_people(markup.respondents, rules.respondents),
        submitted_on=_date(markup.submitted_on, rules.submitted_on),
        received_on=_date(markup.received_on, rules.received_on),
    )
