"""Tools for long runs over many letters: input expansion, resumable JSONL results, run summaries.

``llmparse.parse_many`` / ``llmparse.aparse_many`` do the parsing; this namespace holds what a pipeline or the
command line needs around them, and the OpenAI Batch API's offline halves (``prepare_requests``,
``collect_outputs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._batch import LETTER_SUFFIXES, Outcome, Summary, done_sources, expand_inputs, load_result, resume

if TYPE_CHECKING:
    from ._openai_batch import Rerun, collect_outputs, prepare_requests

__all__ = [
    "LETTER_SUFFIXES",
    "Outcome",
    "Rerun",
    "Summary",
    "collect_outputs",
    "done_sources",
    "expand_inputs",
    "load_result",
    "prepare_requests",
    "resume",
]


def __getattr__(name: str) -> object:
    # the Batch API halves bring the model stack (the plan schema is instructor's): imported on first use
    if name in ("Rerun", "collect_outputs", "prepare_requests"):
        from . import _openai_batch

        return getattr(_openai_batch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
