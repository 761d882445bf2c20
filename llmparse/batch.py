"""Tools for long runs over many letters: input expansion, resumable JSONL results, run summaries.

``llmparse.parse_many`` / ``llmparse.aparse_many`` do the parsing; this namespace holds what a pipeline or the
command line needs around them.
"""

from ._batch import LETTER_SUFFIXES, Outcome, Summary, done_sources, expand_inputs

__all__ = ["LETTER_SUFFIXES", "Outcome", "Summary", "done_sources", "expand_inputs"]
