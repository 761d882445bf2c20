"""Type aliases and the extractor protocol shared by the stages."""

from __future__ import annotations

from enum import Enum
from os import PathLike
from typing import TYPE_CHECKING, Literal, Protocol, Union, runtime_checkable

if TYPE_CHECKING:
    from ._document import Document
    from ._layout import Layout
    from ._plan import Extraction, Review

__all__ = ["MONTHS", "Extractor", "Severity", "Source", "Strategy"]

Source = Union[str, bytes, bytearray, memoryview, "PathLike[str]"]
"""What ``parse`` reads: the letter's text (``str``), its raw bytes, or a path to a .txt, .md, .pdf or .docx file."""

Strategy = Literal["rules", "llm", "auto"]
"""How to find the items: ``rules`` (offline), ``llm`` (the model), ``auto`` (rules, then the model only when
the rules' result has error findings)."""


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
"""The Dutch month names in order, as letters print dates ("3 februari 2025"): shared by the extractors that
read dates and the checks that find them again."""


class Severity(str, Enum):
    """How serious a finding is: ``error`` means the result is probably wrong somewhere."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@runtime_checkable
class Extractor(Protocol):
    """Finds where each item of a letter is: the one interface of the rules and the model extractors."""

    name: Literal["rules", "llm"]

    def extract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """Return the plan for ``document`` (items as character ranges with their numbers, and metadata).

        ``review`` is the pipeline's checks over a candidate plan; an extractor that can try again (the model)
        uses it to decide whether to, and what to say; others may ignore it.
        """
        ...
