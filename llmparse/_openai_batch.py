"""The OpenAI Batch API: half-price backfills, prepared and collected offline.

``prepare_requests`` turns letters into ``/v1/chat/completions`` batch lines (one per letter, ``custom_id``
naming the letter's file) that ask for the plan with strict structured outputs. After OpenAI has run the
batch, ``collect_outputs`` reads its output lines, validates each plan against its letter, assembles and
checks it, and lists the letters that need a live re-run (a failed request, a completion that is no valid
plan): nothing is re-asked here, because a batch cannot hold a conversation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._batch import Outcome
from ._document import load_document
from ._exceptions import LLMParseError, ModelOutputError
from ._extraction._llm import profile_for, strict_response_format
from ._extraction._prompts import render_messages
from ._layout import read_layout
from ._models import Usage
from ._pipeline import parse_plan

__all__ = ["Rerun", "collect_outputs", "prepare_requests"]


def prepare_requests(
    paths: Iterable[Path], *, model: str, max_completion_tokens: int | None = None
) -> Iterator[dict[str, Any]]:
    """One batch request line per letter (``custom_id`` is the letter's path), shaped by the model's request
    profile (a reasoning model gets ``max_completion_tokens`` and no temperature; the completion limit defaults
    to the profile's); letters that cannot be read raise their ``InputError``."""
    profile = profile_for(model)
    for path in paths:
        layout = read_layout(load_document(path))
        body: dict[str, Any] = {"model": model, "messages": render_messages(layout, 1, len(layout.lines)),
                                "response_format": strict_response_format()}
        if profile.temperature is not None:
            body["temperature"] = profile.temperature
        body[profile.limit] = max_completion_tokens or profile.completion_tokens
        yield {"custom_id": str(path), "method": "POST", "url": "/v1/chat/completions", "body": body}


@dataclass(frozen=True)
class Rerun:
    """A letter the batch did not structure, and why: it needs a live run (``llmparse parse --strategy llm``)."""

    source: str
    reason: str

    def to_json(self) -> str:
        """The letter's line in a results file: ``{"source", "error": {"type": "NeedsRerun", "message"}}``, the
        shape ``parse -o`` gives a letter that failed, so a resumed ``parse`` runs it again."""
        return Outcome(0, self.source, error_type="NeedsRerun", error=self.reason).to_json()


def _usage(body: dict[str, Any]) -> Usage:
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return Usage(llm_calls=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0),
                 cached_tokens=int(details.get("cached_tokens") or 0))


def _bare(exc: LLMParseError) -> str:
    """The error's message without the source it starts with (a Rerun names its source already)."""
    return str(exc).removeprefix(f"{getattr(exc, 'source', '')}: ")


def collect_outputs(lines: Iterable[str], *, model: str | None = None, root: Path | None = None,
                    expected: Iterable[str] | None = None) -> Iterator[tuple[str, Any]]:
    """Results from batch output lines: yields ``("result", Result)`` or ``("rerun", Rerun)`` per line.

    Args:
        lines: the batch output file's lines (and its error file's: OpenAI puts failed requests there).
        model: the model name for provenance (default: the one the output names).
        root: the folder the ``custom_id`` paths are relative to (default: the current folder).
        expected: the ``custom_id`` of every request sent (the requests file's); those with no output line
            are yielded as reruns at the end, so no letter goes missing without notice.
    """
    seen: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            source = str(record["custom_id"])
        except (ValueError, KeyError, TypeError):
            yield "rerun", Rerun("<unreadable line>", f"not a batch output line: {line[:80]!r}")
            continue
        seen.add(source)
        path = (root / source) if root is not None else Path(source)
        source = str(path)  # spelt as the results spell it, so --resume knows the letter
        if "response" not in record and "body" in record:
            yield "rerun", Rerun(source, "this is a request line, not an output line: pass the batch's output file")
            continue
        response = record.get("response") or {}
        if record.get("error") or response.get("status_code") != 200:
            reason = (record.get("error") or {}).get("message") or f"HTTP {response.get('status_code')}"
            yield "rerun", Rerun(source, f"the request failed: {reason}")
            continue
        body = response.get("body") or {}
        try:
            choice = body["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            yield "rerun", Rerun(source, "the response holds no completion")
            continue
        if choice.get("finish_reason") == "length":
            yield "rerun", Rerun(source, "the completion was cut off at its token limit")
            continue
        try:
            result = parse_plan(path, content or "", model=model or body.get("model"), usage=_usage(body))
        except ModelOutputError as exc:
            yield "rerun", Rerun(source, f"{exc}")
            continue
        except LLMParseError as exc:
            hint = "; name the folder its path is relative to with --root (root=)" \
                if root is None and not path.is_absolute() and not path.exists() else ""
            yield "rerun", Rerun(source, f"the letter cannot be read: {_bare(exc)}{hint}")
            continue
        yield "result", result
    for source in expected or ():
        if source not in seen:
            yield "rerun", Rerun(str((root / source) if root is not None else Path(source)),
                                 "no output line: the request failed (see the batch's error file) or was never run")
