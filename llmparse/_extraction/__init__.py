"""Extraction: who says where each item is. Implementations of one interface, both producing a Plan."""

from ._llm import LLMExtractor, RetryPolicy
from ._markup import MarkupExtractor
from ._rules import RulesExtractor

__all__ = ["LLMExtractor", "MarkupExtractor", "RetryPolicy", "RulesExtractor"]
