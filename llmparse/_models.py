"""The typed result: what a parsed letter is made of.

Dutch source words: Vraag -> ``Question``, Antwoord -> ``Answer``, voetnoot -> ``Footnote``,
vragensteller -> asker, bewindspersoon -> respondent, Mededeling -> a ``notice`` letter.

Every model is a frozen pydantic model, so ``Result.model_dump_json()`` is the CLI's JSON and
``Result.model_json_schema()`` its schema. Field names are a public contract that pipelines rely on.
Every ``span`` is a ``[start, end)`` character range in ``Result.text``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._export import pairs  # reads a Result without importing this module back
from ._review import render_html  # likewise
from ._types import Severity

__all__ = [
    "SCHEMA_VERSION",
    "Answer",
    "Finding",
    "Footnote",
    "Item",
    "Kind",
    "Letter",
    "Person",
    "Provenance",
    "Question",
    "Result",
    "Severity",
    "Span",
    "Usage",
]

#: Bumped whenever a field is added, renamed or changes meaning.
SCHEMA_VERSION = "1"

Span = tuple[int, int]
"""A ``[start, end)`` character range in ``Result.text``."""

Kind = Literal["answers", "notice", "questions_only"]
"""What a letter is: ``answers`` (at least one question answered), ``notice`` (a Mededeling: a delay, or
answered elsewhere), ``questions_only`` (the questions without an answer part)."""


def _describe(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Describe each field in the JSON Schema (``llmparse schema``) with what the ``Attributes:`` sections of the
    model's docstrings say about it: one text for the docs and the schema, read only when a schema is made."""
    for cls in reversed(model.__mro__):
        attributes = inspect.cleandoc(cls.__dict__.get("__doc__") or "").partition("Attributes:")[2]
        for name, text in re.findall(r"^    (\w+): (.*(?:\n {8}.*)*)", attributes, re.MULTILINE):
            if name in schema.get("properties", {}):
                schema["properties"][name]["description"] = " ".join(text.replace("``", "").split())


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_describe)


class Person(_Frozen):
    """A member who asked, or a minister or state secretary who answered.

    Attributes:
        name: the name as printed (surname with prefix, e.g. ``"Van Nispen"``).
        party: the party as printed, or None.
        role: the office as printed (``"Minister van Financiën"``), or None.
    """

    name: str
    party: str | None = None
    role: str | None = None


class Footnote(_Frozen):
    """A footnote printed in the letter (at a page bottom or at the end).

    Attributes:
        marker: the printed marker without brackets (``"1"``).
        text: the footnote's text, cut from the source.
        span: where the footnote's text stands in ``Result.text``.
    """

    marker: str
    text: str
    span: Span


class Item(_Frozen):
    """What questions and answers share: numbers, heading, text and where the text stands.

    Attributes:
        numbers: the question numbers as printed (``["1"]``, ``["2a"]``); an answer lists every number it
            covers, ranges expanded (``"4 t/m 6"`` gives ``["4", "5", "6"]``).
        heading: the heading as printed (``"Vraag 1"``, ``"Antwoord vraag 4 t/m 15"``), or None when the item
            has no heading of its own.
        text: the item's own text, cut from ``span``: page furniture and footnote bodies removed,
            whitespace runs collapsed, paragraph breaks kept as newlines. Never generated.
        span: ``[start, end)`` of the item's text in ``Result.text``.
        footnotes: markers of the footnotes this item cites, in order.
    """

    numbers: list[str]
    heading: str | None = None
    text: str
    span: Span
    footnotes: list[str] = Field(default_factory=list)


class Question(Item):
    """One printed question (Vraag); a heading ``Vraag 3, 4 en 5`` makes one question with three numbers."""


class Answer(Item):
    """One printed answer (Antwoord), listing every question number it covers."""


class Letter(_Frozen):
    """A parsed letter: its metadata, questions, answers and footnotes, in document order.

    Attributes:
        kind: ``answers``, ``notice`` or ``questions_only``.
        publication_id: the official id when printed (``"ah-tk-20242025-NNN"``), else None.
        reference: the Tweede Kamer case number (``"2024Z01234"``), else None.
        subject: what the questions are about, as printed, else None.
        askers: the members who asked.
        respondents: who answered (``mede namens`` co-signers are not respondents).
        submitted_on: the ``ingezonden`` date, else None.
        received_on: the ``ontvangen`` date, else None.
        questions: every question, in document order.
        answers: every answer, in document order.
        footnotes: every footnote, in document order.
    """

    kind: Kind
    publication_id: str | None = None
    reference: str | None = None
    subject: str | None = None
    askers: list[Person] = Field(default_factory=list)
    respondents: list[Person] = Field(default_factory=list)
    submitted_on: dt.date | None = None
    received_on: dt.date | None = None
    questions: list[Question] = Field(default_factory=list)
    answers: list[Answer] = Field(default_factory=list)
    footnotes: list[Footnote] = Field(default_factory=list)


class Finding(_Frozen):
    """Something the checks found inconsistent or worth knowing, with a stable ``code``.

    Attributes:
        code: a stable identifier such as ``coverage.unanswered`` (the README lists them all).
        severity: ``error``, ``warning`` or ``info``.
        message: one sentence for a person.
        numbers: the question numbers concerned, if any.
        span: the part of ``Result.text`` concerned, if any.
    """

    code: str
    severity: Severity
    message: str
    numbers: list[str] = Field(default_factory=list)
    span: Span | None = None


class Usage(_Frozen):
    """What the model path spent on a letter (all zero for the rules strategy).

    Attributes:
        llm_calls: requests sent, retries and re-asks included.
        prompt_tokens: prompt tokens summed over every call.
        completion_tokens: completion tokens summed over every call.
        cached_tokens: prompt tokens the endpoint served from its cache.
    """

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0


class Provenance(_Frozen):
    """How a result was made, so a run can be reproduced and results compared.

    Attributes:
        strategy: the extractor that produced the letter: ``rules`` or ``llm``.
        model: the model name for ``llm``, else None.
        prompt_version: content hash of the prompt templates (None for ``rules``).
        llmparse_version: the library version.
        schema_version: the version of this output schema.
        source: the input's name (file path), or None for text passed in directly.
        cached: True when the result came from the cache (its usage is what it cost when it was made).
        structure: where the items' boundaries came from: ``markup`` when the file's own markup delimits
            them (the official XML's ``<vraag>`` / ``<antwoord>``, the XHTML page's ``div.vraag`` /
            ``div.antwoord``), ``text`` when the rules or the model read them from the text (text, PDF,
            Word, ODT, and markup llmparse does not know).
    """

    strategy: Literal["rules", "llm"]
    model: str | None = None
    prompt_version: str | None = None
    llmparse_version: str
    schema_version: str = SCHEMA_VERSION
    source: str | None = None
    cached: bool = False
    structure: Literal["markup", "text"] = "text"


class Result(_Frozen):
    """What ``parse`` returns: the letter, the findings, usage, provenance and the text the spans index.

    Attributes:
        letter: the parsed letter.
        findings: everything the checks found, errors first.
        usage: model usage (zero for the rules strategy).
        provenance: how the result was made.
        text: the normalised letter text; every ``span`` indexes it.
    """

    letter: Letter
    findings: list[Finding] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    provenance: Provenance
    text: str

    @property
    def errors(self) -> list[Finding]:
        """The findings of severity ``error``."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        """True when the checks reported no error finding."""
        return not self.errors

    def pairs(self) -> list[dict[str, object]]:
        """One flat row per question number: the question and its covering answer (columns in the README)."""
        return pairs(self)

    def to_html(self) -> str:
        """A self-contained HTML review page: the letter with every item highlighted and the findings."""
        return render_html(self)

