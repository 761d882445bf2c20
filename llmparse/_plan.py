"""Plan: what an extractor says about a letter, before any text is cut.

A plan points; it never copies. Each planned item is a character range of the Document plus its printed
numbers, each footnote a range plus its marker, and the metadata a few short strings. Assembly cuts every
text from the Document, so whatever made the plan (rules or a model), no text in a result is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ._markup_readers import MarkupFootnote
from ._models import Finding, Kind, Person, Usage

__all__ = ["Extraction", "Metadata", "Plan", "PlannedFootnote", "PlannedItem", "Rejected", "Review"]


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """A question or an answer: where its text is and which numbers it carries.

    Attributes:
        role: ``question`` or ``answer``.
        numbers: the printed (or, for a bare ``Antwoord``, inherited) numbers.
        start: offset of the item's first character of text (after its heading).
        end: offset just past its last character.
        heading: the heading's ``(start, end)`` range, or None when the item has no heading.
        inferred: True when the numbers were not printed on the item itself (a bare ``Antwoord``).
    """

    role: Literal["question", "answer"]
    numbers: tuple[str, ...]
    start: int
    end: int
    heading: tuple[int, int] | None = None
    inferred: bool = False


PlannedFootnote = MarkupFootnote
"""A footnote body: its marker and the range of its text (marker excluded); the same record a markup reader
makes of a footnote its file tags."""


@dataclass(frozen=True, slots=True)
class Metadata:
    """The letter's metadata as an extractor read it."""

    publication_id: str | None = None
    reference: str | None = None
    subject: str | None = None
    askers: tuple[Person, ...] = ()
    respondents: tuple[Person, ...] = ()
    submitted_on: dt.date | None = None
    received_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything an extractor says about one letter.

    Attributes:
        kind: what the letter is.
        items: questions and answers in document order.
        footnotes: footnote bodies in document order.
        metadata: the letter's metadata.
        notice: the range of a Mededeling's text, when the letter has one.
    """

    kind: Kind
    items: tuple[PlannedItem, ...]
    footnotes: tuple[PlannedFootnote, ...] = ()
    metadata: Metadata = field(default_factory=Metadata)
    notice: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A metadata value the model returned that the letter does not print; it is left out of the result."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Extraction:
    """What an extractor hands on: the plan, and what making it cost and left out.

    Attributes:
        plan: the plan.
        strategy: which extractor made it.
        usage: model calls and tokens spent (zero for the rules).
        model: the model name, for the model extractor.
        prompt_version: the prompt templates' hash, for the model extractor.
        rejected: metadata values the model gave that the letter does not print.
        feedback: what each re-ask told the model about the plan it had sent.
        findings: what the extractor itself reports about its plan (items it had to clip, for instance).
        structure: ``markup`` when the items come from the file's markup (see ``Provenance.structure``).
    """

    plan: Plan
    strategy: Literal["rules", "llm"] = "rules"
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    prompt_version: str | None = None
    rejected: tuple[Rejected, ...] = ()
    feedback: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    structure: Literal["markup", "text"] = "text"


Review = Callable[[Plan], "list[Finding]"]
"""The pipeline's verdict on a plan: the checks' findings about the letter the plan would assemble into.

An extractor that can try again (the model) receives it, so that re-asks are driven by the very checks the
result is judged by, without the extraction stage importing assembly or the checks.
"""
