"""The model extractor: a language model points at the lines of each item, through instructor.

One ``LLMExtractor`` serves every OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp server):
the provider is configuration (``base_url``, ``api_key``, ``model``, ``mode``), not a class. The model sees
the letter as numbered lines and fills ``LetterPlan``. The pipeline's own checks review the letter the plan
would make (the ``review`` the pipeline passes in), and a plan they object to is sent back with their findings
(bounded by ``max_reasks``): one conversation per letter (or part), driven here, with instructor making single
attempts. Transport faults are retried by one tenacity policy around each request, so a re-ask that fails in
transit is sent again with its feedback; the openai client itself never retries (``max_retries=0``), so retries
never stack. Every failure ends as a ``ModelError`` subclass carrying the usage spent so far.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .._document import Document
from .._exceptions import (
    BudgetExceededError,
    ModelConfigError,
    ModelError,
    ModelOutputError,
    ModelTransportError,
    TruncatedOutputError,
)
from .._layout import Layout
from .._models import Finding, Severity, Usage
from .._pacing import PACING
from .._plan import Extraction, Plan, PlannedFootnote, PlannedItem, Rejected, Review
from . import _prompts
from ._prompts import count_tokens, numbered_lines, prompt_version, render_messages
from ._schema import LetterPlan, feedback, plan_to_internal

if TYPE_CHECKING:
    import httpx2

__all__ = ["PROFILES", "LLMExtractor", "RequestProfile", "RetryPolicy", "profile_for", "strict_response_format"]

logger = logging.getLogger("llmparse")

Mode = Literal["tools", "json_schema", "md_json"]
_SECRET = re.compile(r"(sk-[A-Za-z0-9_*\-]{4,}|Bearer\s+\S+)")


def _scrub(message: str) -> str:
    """Messages from the endpoint may echo part of a key; never pass that on."""
    return _SECRET.sub("[redacted]", message)


@dataclass(frozen=True)
class RetryPolicy:
    """How transport faults are retried: 429 (honouring Retry-After), 5xx, timeouts, connection errors.

    Never retried: 400, 401, 403, 404 and ``insufficient_quota``.

    Attributes:
        max_attempts: attempts per model call, the first included.
        base_delay: the first back-off in seconds, doubled on each retry (without Retry-After).
        max_delay: the longest single wait, Retry-After included.
        max_total_wait: the most time spent waiting over one call; past it the error is raised.
        sleep: the function that waits (tests pass one that records instead of sleeping).
    """

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_total_wait: float = 90.0
    sleep: Callable[[float], None] = time.sleep


@dataclass
class _Meter:
    """Counts calls and tokens over every attempt, re-ask and part of one letter."""

    calls: int = 0
    prompt: int = 0
    completion: int = 0
    cached: int = 0
    last_completion: str | None = None
    feedback: list[str] = field(default_factory=list)

    def on_request(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1

    def on_response(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.prompt += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion += int(getattr(usage, "completion_tokens", 0) or 0)
            details = getattr(usage, "prompt_tokens_details", None)
            self.cached += int(getattr(details, "cached_tokens", 0) or 0)
        self.last_completion = _completion_text(response)

    def usage(self) -> Usage:
        return Usage(llm_calls=self.calls, prompt_tokens=self.prompt, completion_tokens=self.completion,
                     cached_tokens=self.cached)

    @property
    def total(self) -> int:
        return self.prompt + self.completion


_METERING: ContextVar[_Meter | None] = ContextVar("llmparse_metering", default=None)


def _on_request(*args: Any, **kwargs: Any) -> None:
    meter = _METERING.get()
    if meter is not None:
        meter.on_request()


def _on_response(response: Any) -> None:
    meter = _METERING.get()
    if meter is not None:
        meter.on_response(response)


def _completion_text(response: Any) -> str | None:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(calls[0].function.arguments)
    content = getattr(message, "content", None)
    return str(content) if content is not None else None


def _root(exc: BaseException) -> BaseException:
    """instructor wraps provider errors; the cause says what really happened."""
    from instructor.core.exceptions import InstructorRetryException

    seen = 0
    while isinstance(exc, InstructorRetryException) and exc.__cause__ is not None and seen < 5:
        exc = exc.__cause__
        seen += 1
    return exc


def _retryable(exc: BaseException) -> bool:
    import openai

    root = _root(exc)
    if isinstance(root, openai.RateLimitError):
        return _error_code(root) != "insufficient_quota"
    if isinstance(root, openai.APIStatusError):
        return root.status_code >= 500
    return isinstance(root, (openai.APITimeoutError, openai.APIConnectionError))


def _error_code(exc: Any) -> str | None:
    body = getattr(exc, "body", None)
    code = getattr(exc, "code", None)
    if isinstance(body, dict):
        error = body.get("error")
        code = error.get("code") if isinstance(error, dict) else body.get("code")
    return str(code) if code else None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(_root(exc), "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """The TLS settings all of this process's clients share, made as httpx makes its default (the CA bundle,
    SSL_CERT_FILE / SSL_CERT_DIR): reading the bundle takes some 30 ms, too slow to repeat for every batch's
    client. An SSLContext may serve many connections at once."""
    import httpx2

    return httpx2.create_ssl_context()


def _network_transport() -> httpx2.AsyncBaseTransport | None:
    """The transport under the async client: None, the client's own (proxies from the environment included).
    Tests put an in-process endpoint here."""
    return None


def _paced_client() -> httpx2.AsyncClient:
    """The openai SDK's default async HTTP client, sending each request in its turn when the caller is part of a
    batch (``Pacing``): with a place at the gate, without the lane, the whole answer read before the place is
    given up. Pacing happens above the transport, so proxies, limits and timeouts stay the SDK's."""
    import openai

    class PacedClient(openai.DefaultAsyncHttpxClient):
        async def send(self, request: httpx2.Request, **options: Any) -> httpx2.Response:
            pacing = PACING.get()
            if pacing is None:
                return await super().send(request, **options)
            async with pacing.waiting(), pacing.gate:
                response = await super().send(request, **options)
                try:
                    await response.aread()
                except BaseException:
                    await response.aclose()
                    raise
            return response

    transport = _network_transport()
    return PacedClient(verify=_tls()) if transport is None else PacedClient(transport=transport)


@dataclass(frozen=True)
class RequestProfile:
    """How requests are shaped for a family of models, and how much one call may hold.

    Attributes:
        name: the profile's name (a key of ``PROFILES``).
        limit: the field that limits the completion: ``max_tokens``, or ``max_completion_tokens`` for OpenAI's
            reasoning models, which refuse ``max_tokens``.
        temperature: the temperature sent, or None to send none (reasoning models refuse one).
        context_window: the tokens one call may hold, prompt and completion together; longer letters are split.
        completion_tokens: the default completion limit (reasoning models spend part of it thinking).
    """

    name: str
    limit: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    temperature: float | None = 0.0
    context_window: int = 16_384
    completion_tokens: int = 4_000


#: The request profiles by name: ``reasoning`` (OpenAI's o-series and gpt-5 families), ``openai`` (OpenAI's other
#: chat models), ``ollama`` (Ollama's default context of 4,096 tokens) and ``compatible`` (any other
#: OpenAI-compatible server: vLLM, llama.cpp, LM Studio; their window depends on how the model was started).
PROFILES: dict[str, RequestProfile] = {
    "reasoning": RequestProfile("reasoning", "max_completion_tokens", None, 128_000, 16_000),
    "openai": RequestProfile("openai", "max_tokens", 0.0, 128_000, 4_000),
    "ollama": RequestProfile("ollama", "max_tokens", 0.0, 4_096, 1_024),
    "compatible": RequestProfile("compatible", "max_tokens", 0.0, 16_384, 4_000),
}

_REASONING = re.compile(r"o\d+(?![a-z])|gpt-5")
_OPENAI = re.compile(r"gpt-|chatgpt-")


def profile_for(model: str, base_url: str | None = None) -> RequestProfile:
    """The request profile of a model name ("o4-mini", "gpt-5-mini", "openai/o3" are reasoning models; "gpt-4.1"
    is OpenAI's; "llama3.1:8b" or a server on Ollama's port 11434 is Ollama)."""
    name = model.rsplit("/", 1)[-1].lower()
    if _REASONING.match(name):
        return PROFILES["reasoning"]
    if _OPENAI.match(name):
        return PROFILES["openai"]
    if ":" in name or (base_url is not None and ":11434" in base_url):
        return PROFILES["ollama"]
    return PROFILES["compatible"]


#: Tokens a chat request adds around its messages (role markers, the reply's priming), and room for the note a
#: part of a long letter carries.
_OVERHEAD = 16
_PART_NOTE = 48


@dataclass(frozen=True)
class _Part:
    first: int
    last: int
    index: int = 1
    of: int = 1


@dataclass(frozen=True)
class _Unusable:
    """A reply that was no plan: what was wrong, and what the model sent (to show it when re-asking)."""

    detail: str
    completion: str | None
    truncated: TruncatedOutputError | None = None


@dataclass(frozen=True)
class _Planned:
    """One part's kept plan: the plan, its rejected metadata, what could not be built, and how many faults."""

    plan: Plan
    rejected: list[Rejected]
    notes: list[Finding]
    faults: int


_Talk = Generator[list[dict[str, str]], "LetterPlan | _Unusable", _Planned]
"""A conversation about one part: yields each request's messages, is sent each reply, returns the kept plan."""


def _step(talk: _Talk, reply: LetterPlan | _Unusable | None) -> list[dict[str, str]] | _Planned:
    """The conversation's next request, or the plan it kept once it is over."""
    try:
        return talk.send(reply) if reply is not None else next(talk)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _rejection(r: Rejected) -> Finding:
    return Finding(code="grounding.metadata", severity=Severity.ERROR,
                   message=f"{r.field} '{r.value[:80]}' is not printed in the letter outside its questions and "
                   "answers: give it as printed there, or null")


def _said(reply: LetterPlan | _Unusable) -> str:
    """What the model said, as the assistant turn of a re-ask."""
    if isinstance(reply, _Unusable):
        return reply.completion or "(no plan)"
    return reply.model_dump_json()


class LLMExtractor:
    """Structures a letter with a language model behind any OpenAI-compatible endpoint.

    Args:
        model: the model name (required).
        base_url: the endpoint (``https://api.openai.com/v1``, ``http://localhost:11434/v1``, ...).
        api_key: the key; local servers accept any non-empty key.
        mode: how instructor asks for the plan: ``tools`` (function calling), ``json_schema`` (structured
            outputs) or ``md_json`` (JSON in the text, for servers without either).
        max_reasks: how often a plan that does not fit the letter is sent back with feedback.
        retry: the transport retry policy.
        timeout: seconds per request.
        input_budget: the most characters of numbered letter text sent in one call; longer letters are split
            on item boundaries and the parts merged.
        token_budget: the most tokens (every prompt, system prompt and schema included, and every completion)
            one letter may spend, or None.
        max_completion_tokens: the completion limit per call (default: the profile's).
        profile: the request profile's name (a key of ``PROFILES``); default: chosen by ``profile_for`` from the
            model name (or ``LLMPARSE_PROFILE`` with ``from_env``).
        context_window: the tokens one call may hold, prompt and completion together (default: the profile's);
            a letter that does not fit is split on item boundaries, and each call's completion limit leaves
            room for its prompt.
        client: an ``openai.OpenAI`` to use instead of building one (its own retries should be 0).
        async_client: an ``openai.AsyncOpenAI`` for ``aparse``, likewise.
    """

    name: Literal["rules", "llm"] = "llm"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        mode: Mode = "tools",
        max_reasks: int = 2,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
        input_budget: int = 60_000,
        token_budget: int | None = None,
        max_completion_tokens: int | None = None,
        profile: str | None = None,
        context_window: int | None = None,
        client: Any = None,
        async_client: Any = None,
    ) -> None:
        if not model:
            raise ModelConfigError("the model path needs a model name: pass model= or set LLMPARSE_MODEL")
        if mode not in ("tools", "json_schema", "md_json"):
            raise ModelConfigError(f"mode must be 'tools', 'json_schema' or 'md_json', not {mode!r}")
        if profile is not None and profile not in PROFILES:
            raise ModelConfigError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
        self.model = model
        self.profile = PROFILES[profile] if profile is not None else profile_for(model, base_url)
        self.context_window = context_window or self.profile.context_window
        self.base_url = base_url
        self.mode: Mode = mode
        self.max_reasks = max_reasks
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.input_budget = input_budget
        self.token_budget = token_budget
        self.max_completion_tokens = max_completion_tokens or self.profile.completion_tokens
        self._api_key = api_key
        self._client = client
        self._client_given = client is not None
        self._wrapped: dict[int, tuple[Any, Any]] = {}
        self._async_given = async_client
        self._async_client: Any = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"LLMExtractor(model={self.model!r}, base_url={self.base_url!r}, mode={self.mode!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # clients hold connections; each process makes its own
        state["_client"] = state["_async_client"] = state["_async_given"] = state["_async_loop"] = None
        state["_wrapped"] = {}
        return state

    @classmethod
    def from_env(cls, *, model: str | None = None, base_url: str | None = None, **options: Any) -> LLMExtractor:
        """An extractor configured from arguments, falling back to the environment.

        ``LLMPARSE_MODEL``, ``LLMPARSE_BASE_URL`` (or ``OPENAI_BASE_URL``), ``OPENAI_API_KEY``,
        ``LLMPARSE_MODE`` and ``LLMPARSE_PROFILE``.
        """
        model = model or os.environ.get("LLMPARSE_MODEL")
        if not model:
            raise ModelConfigError("the model path needs a model name: pass model= / --model or set LLMPARSE_MODEL")
        base_url = base_url or os.environ.get("LLMPARSE_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        options.setdefault("mode", os.environ.get("LLMPARSE_MODE", "tools"))
        if os.environ.get("LLMPARSE_PROFILE"):
            options.setdefault("profile", os.environ["LLMPARSE_PROFILE"])
        return cls(model, base_url=base_url, **options)

    # --- the Extractor protocol ------------------------------------------------------------------------

    def extract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """Ask the model for the plan of ``document``; raises a ``ModelError`` subclass when it fails.

        ``review`` (the pipeline's checks) decides whether a plan is sent back, and with what feedback.
        """
        meter = _Meter()
        parts = []
        for talk in self._talks(layout, review, meter):
            step = _step(talk, None)
            while not isinstance(step, _Planned):
                step = _step(talk, self._call(step, meter))
            parts.append(step)
        return self._extraction(document, parts, meter)

    async def aextract(self, document: Document, layout: Layout, *, review: Review | None = None) -> Extraction:
        """``extract`` over ``openai.AsyncOpenAI``: the same plan, re-asks, retries and errors, without blocking."""
        meter = _Meter()
        parts = []
        for talk in self._talks(layout, review, meter):
            step = _step(talk, None)
            while not isinstance(step, _Planned):
                step = _step(talk, await self._acall(step, meter))
            parts.append(step)
        return self._extraction(document, parts, meter)

    def _talks(self, layout: Layout, review: Review | None, meter: _Meter) -> Iterator[_Talk]:
        """One conversation per part of the letter (one part unless it is long)."""
        for part in self._parts(layout):
            yield self._conversation(layout, part, review, meter)

    def _conversation(self, layout: Layout, part: _Part, review: Review | None, meter: _Meter) -> _Talk:
        """One part's conversation: yields the messages of each request and receives the model's reply.

        A plan the checks object to is sent back with their findings, at most ``max_reasks`` times; the plan
        with the fewest objections is kept. A transport fault is retried inside the request, so a re-ask
        that fails in transit is sent again with its feedback. A reply cut off at its token limit is re-asked
        too. Only when no reply was a plan at all is the letter a ``ModelOutputError`` (``TruncatedOutputError``
        when the last one was cut off).
        """
        total = len(layout.lines)
        numbered = (part.index, part.of) if part.of > 1 else None
        messages = render_messages(layout, part.first, part.last, part=numbered)
        best: _Planned | None = None
        failure: _Unusable | None = None
        for attempt in range(self.max_reasks + 1):
            self._check_budget(meter, messages)
            reply = yield messages
            if isinstance(reply, _Unusable):
                failure = reply
                note = ("Your reply was cut off at its token limit before the plan was complete. Send the whole plan "
                        "again, as short as the schema allows (no cuts where whole lines do)." if reply.truncated else
                        f"Your reply was not a plan of the schema ({reply.detail[:300]}). Reply with the whole plan, "
                        "in the schema, and nothing else.")
            else:
                plan, rejected, notes = plan_to_internal(layout, reply, part.first, part.last)
                findings = [*notes, *(_rejection(r) for r in rejected)]
                if review is not None:
                    findings += review(plan)
                note = feedback(layout, findings, part.first, part.last if part.of > 1 else total)
                faults = note.count("\n- ") + bool(note)
                if best is None or faults < best.faults:
                    best = _Planned(plan, rejected, notes, faults)
                if not note:
                    break
            if attempt == self.max_reasks:
                break
            meter.feedback.append(note)
            logger.info("re-asking the model (%d of %d): %s", attempt + 1, self.max_reasks, note.splitlines()[0])
            messages = [*messages, {"role": "assistant", "content": _said(reply)}, {"role": "user", "content": note}]
        if best is None:
            if failure is not None and failure.truncated is not None:
                raise TruncatedOutputError(f"{failure.truncated} (after {self.max_reasks} re-ask(s))",
                                           usage=meter.usage(), last_completion=meter.last_completion)
            detail = failure.detail if failure is not None else ""
            raise ModelOutputError(f"the model gave no usable plan after {self.max_reasks} re-ask(s): {detail}",
                                   usage=meter.usage(), last_completion=meter.last_completion)
        return best

    def _extraction(self, document: Document, parts: list[_Planned], meter: _Meter) -> Extraction:
        plan, rejected = _merge([(p.plan, p.rejected) for p in parts])
        notes = tuple(n for p in parts for n in p.notes)
        logger.info("%s: model %s planned %d items in %d call(s)", document.source, self.model,
                    len(plan.items), meter.calls)
        return Extraction(plan, "llm", meter.usage(), self.model, prompt_version(), tuple(rejected),
                          tuple(meter.feedback), notes)

    # --- one call ----------------------------------------------------------------------------------------

    def _key(self) -> str:
        key = self._api_key or os.environ.get("OPENAI_API_KEY") or ("not-needed" if self.base_url else None)
        if not key:
            raise ModelConfigError("no API key: pass api_key= or set OPENAI_API_KEY (a local server accepts any value)")
        return key

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(api_key=self._key(), base_url=self.base_url, max_retries=0,
                                         timeout=self.timeout, http_client=openai.DefaultHttpxClient(verify=_tls()))
        return self._client

    def _async_openai(self) -> Any:
        # An async client's connections belong to the event loop that opened them, so each loop gets its own
        # (parse_many runs a private loop per batch); a client passed in by the caller is used as it is.
        if self._async_given is not None:
            return self._async_given
        loop = asyncio.get_running_loop()
        if self._async_client is None or self._async_loop is not loop:
            import openai

            self._async_client = openai.AsyncOpenAI(api_key=self._key(), base_url=self.base_url, max_retries=0,
                                                    timeout=self.timeout, http_client=_paced_client())
            self._async_loop = loop
        return self._async_client

    async def aclose(self) -> None:
        """Close the async client this extractor opened on the running event loop, if any."""
        if self._async_given is None and self._async_client is not None and \
                self._async_loop is asyncio.get_running_loop():
            self._wrapped.pop(id(self._async_client), None)
            await self._async_client.close()
            self._async_client = self._async_loop = None

    def close(self) -> None:
        """Close the client this extractor opened for ``parse``, if any (a client passed in stays open).

        The extractor stays usable: the next call opens a new client.
        """
        if self._client is not None and not self._client_given:
            self._wrapped.pop(id(self._client), None)
            self._client.close()
            self._client = None

    def __enter__(self) -> LLMExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LLMExtractor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
        self.close()

    def _instructor(self, client: Any, meter: _Meter) -> Any:
        """instructor over ``client``, made once per client (it takes milliseconds to build); its hooks feed
        the meter of whichever letter is calling, found through a context variable."""
        import instructor

        _METERING.set(meter)
        wrapped = self._wrapped.get(id(client))
        if wrapped is None or wrapped[0] is not client:
            modes = {"tools": instructor.Mode.TOOLS, "json_schema": instructor.Mode.JSON_SCHEMA,
                     "md_json": instructor.Mode.MD_JSON}
            patched = instructor.from_openai(client, mode=modes[self.mode])
            patched.on("completion:kwargs", _on_request)
            patched.on("completion:response", _on_response)
            wrapped = self._wrapped[id(client)] = (client, patched)
        return wrapped[1]

    def _retrying(self) -> dict[str, Any]:
        """The tenacity arguments of the transport policy (stop, wait, retry), shared by sync and async calls."""
        from tenacity import retry_if_exception, stop_after_attempt
        from tenacity.stop import stop_base

        policy = self.retry

        class OutOfTime(stop_base):
            def __call__(self, state: Any) -> bool:
                return bool(state.idle_for >= policy.max_total_wait)

        def wait(state: Any) -> float:
            exc = state.outcome.exception() if state.outcome else None
            after = _retry_after(exc) if exc is not None else None
            delay = after if after is not None else policy.base_delay * 2 ** (state.attempt_number - 1)
            return min(delay, policy.max_delay)

        return {"stop": stop_after_attempt(policy.max_attempts) | OutOfTime(), "wait": wait,
                "retry": retry_if_exception(_retryable), "reraise": True}

    def _arguments(self, messages: list[dict[str, str]], meter: _Meter) -> dict[str, Any]:
        remaining = None if self.token_budget is None else max(1, self.token_budget - meter.total)
        # the completion may fill what the context window leaves after the prompt, up to the limit
        room = self.context_window - self._prompt_tokens(messages)
        arguments: dict[str, Any] = {"model": self.model, "response_model": LetterPlan, "messages": messages,
                                     "max_retries": 0,  # one attempt: re-asks are _conversation's
                                     self.profile.limit: max(1, min(self.max_completion_tokens, room)),
                                     "token_budget": remaining}
        if self.profile.temperature is not None:
            arguments["temperature"] = self.profile.temperature
        if self.mode == "json_schema":  # instructor leaves "strict" out; the SDK sends extra_body over its fields
            arguments["extra_body"] = {"response_format": strict_response_format()}
        return arguments

    def _spent(self, meter: _Meter) -> None:
        if self.token_budget is not None and meter.total > self.token_budget:
            raise BudgetExceededError(f"the letter spent {meter.total} tokens, over its budget of {self.token_budget}",
                                      usage=meter.usage(), last_completion=meter.last_completion)

    def _call(self, messages: list[dict[str, str]], meter: _Meter) -> LetterPlan | _Unusable:
        """One request, its transport faults retried; a reply that is no plan comes back as ``_Unusable``."""
        from tenacity import Retrying

        client = self._instructor(self._openai(), meter)
        try:
            for attempt in Retrying(sleep=self.retry.sleep, **self._retrying()):
                with attempt:
                    plan: LetterPlan = client.chat.completions.create(**self._arguments(messages, meter))
        except Exception as exc:
            return self._unusable(exc, meter)
        self._spent(meter)
        return plan

    async def _acall(self, messages: list[dict[str, str]], meter: _Meter) -> LetterPlan | _Unusable:
        from tenacity import AsyncRetrying

        sleep = self.retry.sleep
        pacing = PACING.get()  # in a batch: wait for answers and retries without holding the lane

        async def pause(seconds: float) -> None:
            if sleep is not time.sleep:
                sleep(seconds)  # a test's recorder
            elif pacing is None:
                await asyncio.sleep(seconds)
            else:
                async with pacing.waiting():
                    await asyncio.sleep(seconds)

        client = self._instructor(self._async_openai(), meter)
        try:
            async for attempt in AsyncRetrying(sleep=pause, **self._retrying()):
                with attempt:
                    arguments = self._arguments(messages, meter)
                    if pacing is None or self._async_given is None:
                        plan: LetterPlan = await client.chat.completions.create(**arguments)
                    else:  # the caller's client is not paced: the whole call waits its turn
                        async with pacing.waiting(), pacing.gate:
                            plan = await client.chat.completions.create(**arguments)
        except Exception as exc:
            return self._unusable(exc, meter)
        self._spent(meter)
        return plan

    def _unusable(self, exc: Exception, meter: _Meter) -> _Unusable:
        """A reply that is no plan (bad JSON, prose, a schema violation) to re-ask about; any other failure is
        raised as its ``ModelError``."""
        from instructor.core.exceptions import InstructorRetryException

        error = self._error(exc, meter)
        if not isinstance(error, ModelOutputError):
            raise error from exc
        completion = _failed_completion(exc) if isinstance(exc, InstructorRetryException) else None
        if isinstance(error, TruncatedOutputError):
            return _Unusable(str(error), completion or meter.last_completion, truncated=error)
        return _Unusable(_scrub(str(_root(exc)))[:400], completion or meter.last_completion)

    def _error(self, exc: BaseException, meter: _Meter) -> ModelError:
        import openai
        from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException

        root = _root(exc)
        usage = meter.usage()
        last = meter.last_completion
        if isinstance(exc, ModelError):
            return exc
        budget_error = type(root).__name__ in ("TokenBudgetExceeded", "TokenUsageUnavailableError")
        if budget_error:
            return BudgetExceededError(f"the letter's token budget of {self.token_budget} ran out after "
                                       f"{meter.total} tokens", usage=usage, last_completion=last)
        if isinstance(root, (IncompleteOutputException, openai.LengthFinishReasonError)):
            return TruncatedOutputError(
                f"the completion was cut off at {self.max_completion_tokens} tokens (finish_reason 'length'); "
                "raise max_completion_tokens, or lower context_window so the letter is split", usage=usage,
                last_completion=last)
        if isinstance(root, openai.APIStatusError):
            detail = _scrub(str(getattr(root, "message", root)))
            if _retryable(root):
                return ModelTransportError(f"the endpoint kept failing (HTTP {root.status_code}) after "
                                           f"{meter.calls} call(s): {detail}", usage=usage, last_completion=last)
            hint = {401: "check the API key", 403: "the key may not use this model", 404: "check base_url and the "
                    "model name", 429: "the account has no quota left"}.get(root.status_code, "check the request")
            return ModelConfigError(f"the endpoint refused the request (HTTP {root.status_code}: {detail}); {hint}",
                                    usage=usage, last_completion=last)
        if isinstance(root, (openai.APITimeoutError, openai.APIConnectionError)):
            kind = "timed out" if isinstance(root, openai.APITimeoutError) else "could not be reached"
            where = self.base_url or str(getattr(self._client, "base_url", "") or "api.openai.com")
            return ModelTransportError(f"the endpoint {where} {kind} after "
                                       f"{meter.calls} call(s)", usage=usage, last_completion=last)
        if isinstance(exc, InstructorRetryException) or isinstance(root, (json.JSONDecodeError, ValueError)):
            last = last or _failed_completion(exc)
            detail = _scrub(str(root))[:400]
            return ModelOutputError(f"the model gave no usable plan: {detail}", usage=usage, last_completion=last)
        return ModelError(f"the model call failed: {type(root).__name__}: {_scrub(str(root))[:300]}",
                          usage=usage, last_completion=last)

    # --- budgets and long letters -------------------------------------------------------------------------

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """The tokens a call sends: its messages, the schema (as tool, response format or, in md_json mode, as
        instructor's added instructions) and the chat format around them; counted with tiktoken when it is
        installed, estimated otherwise."""
        return sum(count_tokens(m["content"]) for m in messages) + _schema_tokens(self.mode) + _OVERHEAD

    def _check_budget(self, meter: _Meter, messages: list[dict[str, str]]) -> None:
        if self.token_budget is None:
            return
        estimate = meter.total + self._prompt_tokens(messages)
        if estimate > self.token_budget:
            raise BudgetExceededError(
                f"the letter would need about {estimate} tokens (prompt, system prompt and schema included), over "
                f"its budget of {self.token_budget}", usage=meter.usage(), last_completion=meter.last_completion)

    def _parts(self, layout: Layout) -> list[_Part]:
        """Lines 1..n in one part, or split on item boundaries into parts that each fit ``input_budget``
        characters and the context window (the fixed prompt and the completion's room taken off)."""
        n = len(layout.document.lines)
        shown = [numbered_lines(layout, i, i) for i in range(1, n + 1)]
        chars = [len(line) + 1 for line in shown]
        fixed = self._prompt_tokens(render_messages(layout, 1, 0)) + _PART_NOTE
        room = self.context_window - fixed - min(self.max_completion_tokens, self.context_window // 4)
        if room < 200:
            raise ModelConfigError(f"a context window of {self.context_window} tokens leaves no room for the letter "
                                   f"beside the {fixed}-token prompt: raise context_window")
        if sum(chars) <= self.input_budget and count_tokens("\n".join(shown)) <= room:
            return [_Part(1, n)]
        tokens = [count_tokens(line + "\n") for line in shown]
        rank = [_cut_rank(layout, i) for i in range(n + 1)]
        parts: list[_Part] = []
        start = 0
        while start < n:
            end, size, used = start, 0, 0
            while end < n and size + chars[end] <= self.input_budget and used + tokens[end] <= room:
                size, used, end = size + chars[end], used + tokens[end], end + 1
            if end == n:
                parts.append(_Part(start + 1, n))
                break
            cut = max(range(start + 1, max(end, start + 1) + 1), key=lambda i: (rank[i], i))
            parts.append(_Part(start + 1, cut))
            start = cut
        return [_Part(p.first, p.last, k, len(parts)) for k, p in enumerate(parts, start=1)]


def _cut_rank(layout: Layout, i: int) -> int:
    """How good a place to split a long letter the start of line ``i`` (0-based) is: before a question heading
    (a question and its answers stay together), before another heading, after a blank line, anywhere else."""
    if i >= len(layout.lines):
        return 4
    heading = layout.lines[i].heading
    if heading is not None:
        return 3 if heading.kind == "question" else 2
    return 1 if i > 0 and not layout.document.text[layout.lines[i - 1].start : layout.lines[i - 1].end].strip() else 0


@functools.cache
def strict_response_format() -> dict[str, Any]:
    """The json_schema response format with ``"strict": true``: the endpoint then holds the model to the schema."""
    return {"type": "json_schema", "json_schema": {"name": "LetterPlan", "strict": True,
                                                   "schema": LetterPlan.model_json_schema()}}


def _schema_tokens(mode: Mode) -> int:
    """The tokens the plan's schema adds to every request in ``mode``."""
    return _counted_schema(mode, _prompts.tokenizer())


@functools.cache
def _counted_schema(mode: Mode, tokenizer: _prompts.Tokenizer) -> int:
    schema = LetterPlan.openai_schema if mode == "tools" else LetterPlan.model_json_schema()
    return tokenizer.count(json.dumps(schema, ensure_ascii=False)) + (40 if mode == "md_json" else 0)


def _failed_completion(exc: BaseException) -> str | None:
    last = getattr(exc, "last_completion", None)
    return _completion_text(last) if last is not None else None


def _merge(plans: list[tuple[Plan, list[Rejected]]]) -> tuple[Plan, list[Rejected]]:
    """One plan from the plans of a long letter's parts: items and footnotes joined, metadata from the first."""
    if len(plans) == 1:
        return plans[0]
    items: list[PlannedItem] = []
    footnotes: list[PlannedFootnote] = []
    rejected: list[Rejected] = []
    for plan, rej in plans:
        items.extend(plan.items)
        footnotes.extend(plan.footnotes)
        rejected.extend(rej)
    first = plans[0][0]
    kinds = {p.kind for p, _ in plans}
    kind = "answers" if "answers" in kinds else first.kind
    return Plan(kind, tuple(items), tuple(footnotes), first.metadata, first.notice), rejected
