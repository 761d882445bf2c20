"""The pipeline: source -> Document -> Layout -> Plan -> Letter -> findings -> Result.

The only module that imports the stages. One step, ``_run``, does the work for every extractor (the rules,
the model, a stored plan): the Layout is read once from the Document, the extractor's plan is assembled
into a Letter, and the checks compare that Letter with the Document and the Layout. ``parse`` chooses the
extractor (the strategy) and wraps caching and strictness around that step; ``parse_plan`` is the same step
for a plan the caller already has.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from ._assembly import assemble
from ._cache import ResultCache
from ._checks import run_checks
from ._document import DEFAULT_MAX_CHARS, Document, load_document
from ._exceptions import ChecksFailedError, ModelError, NotALetterError
from ._extraction import MarkupExtractor, RulesExtractor
from ._extraction._prompts import prompt_version
from ._layout import Layout, read_layout
from ._models import Finding, Provenance, Result, Severity, Usage
from ._plan import Extraction, Plan, Review
from ._types import Extractor, Source, Strategy

if TYPE_CHECKING:
    from ._extraction import LLMExtractor

__all__ = ["aparse", "model_configured", "parse", "parse_plan"]

logger = logging.getLogger("llmparse")

try:
    __version__ = version("llmparse")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0"


def model_configured(model: str | None = None) -> bool:
    """True when a model name is given or set in ``LLMPARSE_MODEL``: the model path can be tried."""
    return bool(model or os.environ.get("LLMPARSE_MODEL"))


def _is_letter(plan: Plan) -> bool:
    # a case number or a date alone does not make a letter (a README may mention one); people asking or
    # answering do, even without a printed question (an oral-questions cover sheet)
    md = plan.metadata
    return bool(plan.items or plan.notice or md.askers or md.respondents or plan.kind == "notice")


def _path_hint(document: Document) -> str:
    """A hint for a file name passed as a str, which is read as the letter's text itself."""
    text = document.text.strip()
    if document.source != "<str>" or "\n" in text or len(text) > 500:
        return ""
    if not (os.path.exists(text) or text.lower().endswith((".txt", ".md", ".pdf", ".docx"))):
        return ""
    return f"; a str is read as the letter's text: to read the file {text!r}, pass pathlib.Path({text!r})"


def _review(layout: Layout) -> Review:
    """The checks over the letter a candidate plan would make: what a model's plan is re-asked with."""
    return lambda plan: run_checks(layout, assemble(layout, plan))


def _result(document: Document, layout: Layout, extraction: Extraction) -> Result:
    """The one step from a plan to a Result: assemble the letter, check it against the Layout, wrap it.

    The Layout is the one read from the Document before any extractor ran; no plan changes it, so the checks
    compare the letter with evidence the extractor could not touch.
    """
    plan = extraction.plan
    if not _is_letter(plan):
        raise NotALetterError(
            "found no Vraag/Antwoord structure, notice or letter metadata: this does not look like an answer "
            f"letter{_path_hint(document)}", source=document.source)
    letter = assemble(layout, plan)
    findings = [
        *(Finding(code="grounding.metadata", severity=Severity.ERROR,
                  message=f"the model gave {r.field} '{r.value[:80]}', which the letter does not print; left out")
          for r in extraction.rejected),
        *extraction.findings,
        *run_checks(layout, letter),
        *(Finding(code="model.reasked", severity=Severity.INFO, message=f"re-ask {k}: {text}")
          for k, text in enumerate(extraction.feedback, start=1)),
    ]
    findings.sort(key=lambda f: _ORDER[f.severity])
    return Result(
        letter=letter,
        findings=findings,
        usage=extraction.usage,
        provenance=Provenance(
            strategy=extraction.strategy,
            model=extraction.model,
            prompt_version=extraction.prompt_version,
            llmparse_version=__version__,
            source=None if document.source.startswith("<") else document.source,
            structure=extraction.structure,
        ),
        text=document.text,
    )


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _run(document: Document, layout: Layout, extractor: Extractor) -> Result:
    """Extract with ``extractor`` (reviewed by the checks), then assemble, check and wrap."""
    return _result(document, layout, extractor.extract(document, layout, review=_review(layout)))


async def _arun(document: Document, layout: Layout, llm: LLMExtractor) -> Result:
    extraction = await llm.aextract(document, layout, review=_review(layout))
    await asyncio.sleep(0)
    return _result(document, layout, extraction)


def parse_plan(
    source: Source,
    plan: str | bytes | Mapping[str, Any],
    *,
    model: str | None = None,
    usage: Usage | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Result:
    """Turn a model's plan for a letter (a stored completion: an OpenAI Batch API output, a cached answer,
    a plan a test writes) into a checked ``Result``, as ``parse`` would with a model that answered ``plan``.

    Args:
        source: the letter, as for ``parse``; the plan's line numbers refer to its lines as the model saw them.
        plan: the plan as JSON text or a mapping, in the schema ``llmparse.plan_schema()`` returns.
        model: the model that made the plan, for the provenance.
        usage: what making the plan cost, for the result's usage.
        max_chars: the largest input accepted, in characters.

    Raises:
        InputError: the source cannot be read or is not a letter.
        ModelOutputError: ``plan`` is not a plan (not JSON, or not of the plan schema).
    """
    from ._extraction import PlanExtractor

    document = load_document(source, max_chars=max_chars)
    return _run(document, read_layout(document), PlanExtractor(plan, model=model, usage=usage))


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(llm_calls=a.llm_calls + b.llm_calls, prompt_tokens=a.prompt_tokens + b.prompt_tokens,
                 completion_tokens=a.completion_tokens + b.completion_tokens,
                 cached_tokens=a.cached_tokens + b.cached_tokens)


def _choose(document: Document, rules: Result, model: Result | ModelError) -> Result:
    """strategy auto: the model's result when it has fewer error findings than the rules' result."""
    if isinstance(model, ModelError):
        logger.warning("%s: the model path failed (%s); keeping the rules result", document.source, model)
        fallback = Finding(code="model.failed", severity=Severity.WARNING,
                           message=f"the rules result had errors and the model path failed: {model}")
        spent = model.usage or Usage()
        return rules.model_copy(update={"findings": [*rules.findings, fallback], "usage": _add(rules.usage, spent)})
    if len(model.errors) < len(rules.errors):
        return model
    kept = Finding(code="model.not_better", severity=Severity.INFO,
                   message=f"the model's result had {len(model.errors)} error finding(s), the rules' "
                   f"{len(rules.errors)}; the rules result is kept")
    return rules.model_copy(update={"findings": [*rules.findings, kept], "usage": _add(rules.usage, model.usage)})


def _start(source: Source, strategy: Strategy, llm: LLMExtractor | None, model: str | None,
           base_url: str | None, max_chars: int) -> tuple[Document, Layout, LLMExtractor | None]:
    if strategy not in ("rules", "llm", "auto"):
        raise ValueError(f"strategy must be 'rules', 'llm' or 'auto', not {strategy!r}")
    if llm is None and strategy != "rules" and (strategy == "llm" or model_configured(model)):
        from ._extraction import LLMExtractor  # the model stack, imported only when a model is used

        llm = LLMExtractor.from_env(model=model, base_url=base_url)
    document = load_document(source, max_chars=max_chars)
    return document, read_layout(document), llm


def _cache_key(cache: ResultCache | None, document: Document, strategy: Strategy,
               llm: LLMExtractor | None) -> str | None:
    if cache is None:
        return None
    if strategy == "rules" or llm is None:
        return cache.key(document.text, strategy="rules", model=None, mode=None, prompt_version=None,
                         version=__version__)
    return cache.key(document.text, strategy=strategy, model=llm.model, mode=llm.mode,
                     prompt_version=prompt_version(), version=__version__)


def _lookup(cache: ResultCache | None, document: Document, strategy: Strategy,
            llm: LLMExtractor | None) -> tuple[str | None, Result | None]:
    """The cache key for this letter and settings, and the result stored under it (None when there is none)."""
    key = _cache_key(cache, document, strategy, llm)
    return key, _cached(cache, key, document)


def _rules(document: Document, layout: Layout) -> Result:
    # the official XML / XHTML forms carry their items' structure; the offline path reads it
    return _run(document, layout, MarkupExtractor() if document.markup is not None else RulesExtractor())


def _wants_model(strategy: Strategy, llm: LLMExtractor | None, rules: Result) -> bool:
    """strategy auto asks the model only when one is configured and the rules' result has error findings."""
    return strategy == "auto" and llm is not None and not rules.ok


def _cached(cache: ResultCache | None, key: str | None, document: Document) -> Result | None:
    if cache is None or key is None:
        return None
    hit = cache.get(key)
    if hit is None:
        return None
    source = None if document.source.startswith("<") else document.source
    return hit.model_copy(update={"provenance": hit.provenance.model_copy(update={"source": source, "cached": True})})


def _store(cache: ResultCache | None, key: str | None, result: Result) -> None:
    # a result kept because the model failed is not stored: the next run should try the model again
    if cache is not None and key is not None and not any(f.code == "model.failed" for f in result.findings):
        cache.put(key, result)


def _end(document: Document, result: Result, strict: bool) -> Result:
    if strict and result.errors:
        raise ChecksFailedError(
            f"{document.source}: {len(result.errors)} error finding(s), first: {result.errors[0].message}",
            findings=result.errors,
            result=result,
        )
    return result


def parse(
    source: Source,
    *,
    strategy: Strategy = "auto",
    llm: LLMExtractor | None = None,
    model: str | None = None,
    base_url: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    strict: bool = False,
    cache: ResultCache | None = None,
) -> Result:
    """Parse one letter into a ``Result``.

    Args:
        source: the letter's text (``str``), its bytes, or a ``pathlib.Path`` to a .txt, .md, .pdf or .docx
            file (PDF and Word need the ``pdf`` / ``docx`` extras).
        strategy: ``rules`` (offline), ``llm`` (the model), or ``auto``: the rules, and the model only when
            the rules' result has error findings and a model is configured; the better result is kept.
        llm: a configured ``LLMExtractor`` (endpoint, mode, retries, budgets) for the model path.
        model: a model name, when no ``llm`` is given (default: ``LLMPARSE_MODEL``).
        base_url: an OpenAI-compatible endpoint, when no ``llm`` is given (default: ``LLMPARSE_BASE_URL``).
        max_chars: the largest input accepted, in characters.
        strict: raise ``ChecksFailedError`` when the checks report an error finding.
        cache: a ``ResultCache``: a result made before for the same text and settings is returned from it
            (``provenance.cached`` is then True) and new results are stored in it.

    Raises:
        InputError: the source is empty, binary, too large, of an unsupported type, or not a letter.
        ModelError: ``strategy="llm"`` and the model path failed or is not configured.
        ChecksFailedError: ``strict=True`` and the result has error findings.
    """
    document, layout, llm = _start(source, strategy, llm, model, base_url, max_chars)
    key, result = _lookup(cache, document, strategy, llm)
    if result is None:
        if strategy == "llm" and llm is not None:
            result = _run(document, layout, llm)
        else:
            result = _rules(document, layout)
            if _wants_model(strategy, llm, result) and llm is not None:
                try:
                    result = _choose(document, result, _run(document, layout, llm))
                except ModelError as exc:
                    result = _choose(document, result, exc)
        _store(cache, key, result)
    return _end(document, result, strict)


async def aparse(
    source: Source,
    *,
    strategy: Strategy = "auto",
    llm: LLMExtractor | None = None,
    model: str | None = None,
    base_url: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    strict: bool = False,
    cache: ResultCache | None = None,
) -> Result:
    """The async twin of ``parse``: the same arguments and result, the model called through ``AsyncOpenAI``."""
    # The awaits of asyncio.sleep(0) give the event loop a turn between stages: in a batch, answers that came in
    # for other letters are read, and their next requests sent, before this letter goes on working.
    document, layout, llm = _start(source, strategy, llm, model, base_url, max_chars)
    await asyncio.sleep(0)
    key, result = _lookup(cache, document, strategy, llm)
    if result is None:
        if strategy == "llm" and llm is not None:
            result = await _arun(document, layout, llm)
        else:
            result = _rules(document, layout)
            if _wants_model(strategy, llm, result) and llm is not None:
                try:
                    result = _choose(document, result, await _arun(document, layout, llm))
                except ModelError as exc:
                    result = _choose(document, result, exc)
        _store(cache, key, result)
    return _end(document, result, strict)
