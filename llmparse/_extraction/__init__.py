"""Extraction: who says where each item is. Implementations of one protocol (``llmparse._types.Extractor``),
each producing a Plan: the rules, the model, and a stored plan (a Batch API completion, a test's plan)."""

from ._llm import LLMExtractor, RetryPolicy
from ._rules import RulesExtractor
from ._stored import PlanExtractor

__all__ = ["LLMExtractor", "PlanExtractor", "RetryPolicy", "RulesExtractor"]
