"""Extraction: who says where each item is. The rules extractor today; the model extractor shares its Plan."""

from ._rules import RulesExtractor

__all__ = ["RulesExtractor"]
