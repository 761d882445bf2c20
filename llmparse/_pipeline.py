"""The pipeline: source -> Document -> Layout -> Plan -> Letter -> findings -> Result.

The only module that imports the stages. ``parse`` runs them in order and wraps the outcome in a Result.
"""

from __future__ import annotations

import logging
import os
from importlib.metadata import PackageNotFoundError, version

from ._assembly import assemble
from ._checks import run_checks
from ._document import DEFAULT_MAX_CHARS, load_document
from ._exceptions import ChecksFailedError, ModelError, NotALetterError
from ._extraction import RulesExtractor
from ._layout import read_layout
from ._models import Provenance, Result
from ._plan import Plan
from ._types import Source, Strategy

__all__ = ["parse"]

logger = logging.getLogger("llmparse")

try:
    __version__ = version("llmparse")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"


def _endpoint_configured(base_url: str | None, model: str | None) -> bool:
    return bool(model or os.environ.get("LLMPARSE_MODEL")) and bool(
        base_url or os.environ.get("LLMPARSE_BASE_URL") or os.environ.get("OPENAI_API_KEY")
    )


def _is_letter(plan: Plan) -> bool:
    md = plan.metadata
    return bool(plan.items or plan.notice or md.askers or md.respondents or md.reference or md.submitted_on
                or md.received_on or plan.kind == "notice")


def parse(
    source: Source,
    *,
    strategy: Strategy = "auto",
    model: str | None = None,
    base_url: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    strict: bool = False,
) -> Result:
    """Parse one letter into a ``Result``.

    Args:
        source: the letter's text (``str``), its bytes, or a ``pathlib.Path`` to a .txt / .md file.
        strategy: ``rules`` (offline), ``llm`` (the model), or ``auto``: the rules, and the model only when
            an endpoint is configured and the rules' result has error findings.
        model: the model name for the model path (default: ``LLMPARSE_MODEL``).
        base_url: an OpenAI-compatible endpoint (default: ``LLMPARSE_BASE_URL``).
        max_chars: the largest input accepted, in characters.
        strict: raise ``ChecksFailedError`` when the checks report an error finding.

    Raises:
        InputError: the source is empty, binary, too large, of an unsupported type, or not a letter.
        ModelError: ``strategy="llm"`` and the model path failed or is not configured.
        ChecksFailedError: ``strict=True`` and the result has error findings.
    """
    if strategy not in ("rules", "llm", "auto"):
        raise ValueError(f"strategy must be 'rules', 'llm' or 'auto', not {strategy!r}")
    if strategy == "llm":
        if not _endpoint_configured(base_url, model):
            raise ModelError(
                "strategy 'llm' needs a model endpoint: pass model= and base_url= or set LLMPARSE_MODEL and "
                "LLMPARSE_BASE_URL (or OPENAI_API_KEY)"
            )
        raise ModelError("the model path is not part of this llmparse version yet; use strategy='rules'")
    document = load_document(source, max_chars=max_chars)
    layout = read_layout(document)
    plan = RulesExtractor().extract(document, layout)
    if not _is_letter(plan):
        raise NotALetterError(
            "found no Vraag/Antwoord structure, notice or letter metadata: this does not look like an answer "
            "letter", source=document.source)
    letter = assemble(layout, plan)
    findings = run_checks(layout, letter)
    result = Result(
        letter=letter,
        findings=findings,
        provenance=Provenance(
            strategy="rules",
            llmparse_version=__version__,
            source=None if document.source.startswith("<") else document.source,
        ),
        text=document.text,
    )
    if strict and result.errors:
        raise ChecksFailedError(
            f"{document.source}: {len(result.errors)} error finding(s), first: {result.errors[0].message}",
            findings=result.errors,
        )
    return result
