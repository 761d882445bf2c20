"""Extraction: who says where each item is. Two implementations of one interface, both producing a Plan."""

from ._llm import LLMExtractor, RetryPolicy
from ._rules import RulesExtractor

__all__ = ["LLMExtractor", "RetryPolicy", "RulesExtractor"]
