"""Tools for long runs over many letters: input expansion, resumable JSONL results, run summaries.

``llmparse.parse_many`` / ``llmparse.aparse_many`` do the parsing; this namespace holds what a pipeline or the
command line needs around them, and the OpenAI Batch API's offline halves (``prepare_requests``,
``collect_outputs``).
"""

from ._batch import LETTER_SUFFIXES, Outcome, Summary, done_sources, expand_inputs, resume
from ._openai_batch import Rerun, collect_outputs, prepare_requests

__all__ = [
    "LETTER_SUFFIXES",
    "Outcome",
    "Rerun",
    "Summary",
    "collect_outputs",
    "done_sources",
    "expand_inputs",
    "prepare_requests",
    "resume",
]
