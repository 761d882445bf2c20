"""Extraction: who says where each item is. Implementations of one protocol (``llmparse._types.Extractor``),
each producing a Plan: the rules, the model, a stored plan (a Batch API completion, a test's plan),
and an official publication's markup."""

from ._llm import LLMExtractor, RetryPolicy
from ._markup import MarkupExtractor
from ._rules import RulesExtractor
from ._stored import PlanExtractor

__all__ = ["LLMExtractor", "MarkupExtractor", "PlanExtractor", "RetryPolicy", "RulesExtractor"]
