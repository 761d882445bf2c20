"""Extraction: who says where each item is. Implementations of one protocol (``llmparse._types.Extractor``),
each producing a Plan: the rules, the model, a stored plan (a Batch API completion, a test's plan),
and an official publication's markup.

The model extractor is imported on first use (``LLMExtractor``, ``RetryPolicy``): it brings the model stack
(instructor, openai, httpx2), which a run without a model never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._markup import MarkupExtractor
from ._rules import RulesExtractor
from ._stored import PlanExtractor

if TYPE_CHECKING:
    from ._llm import LLMExtractor, RetryPolicy

__all__ = ["LLMExtractor", "MarkupExtractor", "PlanExtractor", "RetryPolicy", "RulesExtractor"]


def __getattr__(name: str) -> object:
    if name in ("LLMExtractor", "RetryPolicy"):
        from . import _llm

        return getattr(_llm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
