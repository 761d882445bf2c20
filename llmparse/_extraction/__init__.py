"""Extraction: who says where each item is. Two implementations of one interface, both producing a Plan.

The model extractor is imported on first use (``LLMExtractor``, ``RetryPolicy``): it brings the model stack
(instructor, openai, httpx2), which a rules-only run never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._rules import RulesExtractor

if TYPE_CHECKING:
    from ._llm import LLMExtractor, RetryPolicy

__all__ = ["LLMExtractor", "RetryPolicy", "RulesExtractor"]


def __getattr__(name: str) -> object:
    if name in ("LLMExtractor", "RetryPolicy"):
        from . import _llm

        return getattr(_llm, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
