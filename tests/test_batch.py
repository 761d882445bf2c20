"""Batches and long runs: parse_many / aparse_many, the result cache, resumable JSONL output, process pools,
the OpenAI Batch API files and the command line over folders and globs.

Model interactions come from three places, never from the network:

- cassettes in cassettes/test_batch/, recorded against the suite's scripted server (tests/model_server.py).
  To record them again: ``python -m pytest tests/test_batch.py --record-mode=rewrite -k <test name>``; the
  ``server`` fixture then starts the scripted server on its fixed port;
- an in-process fake model (``_fake_model``): an ``httpx2.MockTransport`` answering as the scripted server does;
- a refusing transport (``_refusing``) that records every request it gets and fails it: a test that uses it
  asserts it was never called.

The Batch API fixture in tests/data/batch/ holds only the 2020Z03371 example and letters from tests/data/letters.
To make it again, from the repository root::

    python -m llmparse batch prepare examples/kv-2020Z03371.ministry-pdftext.txt \\
        tests/data/letters/syn01-aanhangsel-basic.pdftotext.txt tests/data/letters/syn04-grouped-headings.pdftext.txt \\
        tests/data/letters/syn15-notice-delay.pdftext.txt --model scripted -o tests/data/batch/requests.jsonl
    python -m tests.test_batch      # writes tests/data/batch/output.jsonl with answer_batch and BATCH_ACTIONS

The second command is ``python -m tests.model_server --batch REQUESTS -o OUTPUT`` with one request answered by
HTTP 500 and one by a malformed completion (``BATCH_ACTIONS``); the others get the rules' plan.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

import llmparse
from llmparse import LLMExtractor, Outcome, ResultCache, RetryPolicy, batch
from llmparse._cli import main
from llmparse._extraction import _llm, _prompts

from .conftest import EXAMPLE, LETTERS, MODEL_URL, ROOT, TEST_KEY
from .model_server import Action, answer_batch, completion

#: The team's letters (the README beside them is not one).
LETTER_FILES = sorted(p for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")
#: The letters sent to the model: the example and two of the team's letters.
MODEL_LETTERS = [EXAMPLE, LETTERS / "syn01-aanhangsel-basic.pdftotext.txt",
                 LETTERS / "syn04-grouped-headings.pdftext.txt"]

# Invented text, no letter.
RECIPE = """Appeltaart

Ingrediënten
- 250 gram bloem
- 175 gram roomboter
- 1 kilo zure appels

Bereiding
Kneed de bloem en de boter tot een deeg, vul de vorm met de appels en bak de taart een uur.
"""
BLOB = bytes(range(256)) * 4


def _numbers(result: llmparse.Result) -> tuple[str, list[list[str]], list[list[str]]]:
    letter = result.letter
    return letter.kind, [q.numbers for q in letter.questions], [a.numbers for a in letter.answers]


def _rules(path: Path) -> llmparse.Result:
    return llmparse.parse(path, strategy="rules")


# --- model clients ------------------------------------------------------------------------------------------



def _extractor() -> LLMExtractor:
    """The extractor the cassettes were recorded with: the scripted server, no retries."""
    return LLMExtractor("scripted", base_url=MODEL_URL, api_key=TEST_KEY, retry=RetryPolicy(max_attempts=1))


class _Unrecorded(httpx2.MockTransport):
    """``httpx2.MockTransport`` with its methods as imported.

    vcrpy patches MockTransport itself while a cassette is in use, so a request through a plain MockTransport
    would be answered (or refused) by the cassette; through this subclass it always reaches the handler.
    """

    handle_request = httpx2.MockTransport.handle_request
    handle_async_request = httpx2.MockTransport.handle_async_request


def _with_transport(model: str, handler: Callable[[httpx2.Request], Any], **options: Any) -> LLMExtractor:
    transport = _Unrecorded(handler)
    client = openai.OpenAI(api_key=TEST_KEY, base_url=MODEL_URL, max_retries=0,
                           http_client=httpx2.Client(transport=transport))
    async_client = openai.AsyncOpenAI(api_key=TEST_KEY, base_url=MODEL_URL, max_retries=0,
                                      http_client=httpx2.AsyncClient(transport=transport))
    return LLMExtractor(model, client=client, async_client=async_client, retry=RetryPolicy(max_attempts=1),
                        **options)


def _refusing(calls: list[str], model: str = "scripted", **options: Any) -> LLMExtractor:
    """An extractor whose every request is recorded in ``calls`` and fails: the model must not be asked."""

    def refuse(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        raise httpx2.ConnectError("this test allows no model call", request=request)

    return _with_transport(model, refuse, **options)


def _fake_model(calls: list[str], model: str = "scripted", **options: Any) -> LLMExtractor:
    """An extractor over an in-process fake model that answers as the scripted server does (the rules' plan)."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        body = completion(json.loads(request.content), Action("rules-plan"), len(calls))
        return httpx2.Response(200, json=body)

    return _with_transport(model, answer, **options)


async def _collect(outcomes: AsyncIterator[Outcome]) -> list[Outcome]:
    return [o async for o in outcomes]


# --- 1. parse_many with the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 4], ids=["one-at-a-time", "four-at-a-time"])
def test_parse_many_gives_one_outcome_per_letter_in_input_order(concurrency: int) -> None:
    """With ordered=True, every team letter has one outcome, in input order, equal to what parse gives."""
    outcomes = list(llmparse.parse_many(LETTER_FILES, strategy="rules", concurrency=concurrency, ordered=True))
    assert [o.index for o in outcomes] == list(range(len(LETTER_FILES)))
    assert [o.source for o in outcomes] == [str(p) for p in LETTER_FILES]
    assert all(o.ok and o.error_type is None and o.error is None for o in outcomes)
    assert [o.result for o in outcomes] == [_rules(p) for p in LETTER_FILES]


def test_parse_many_unordered_gives_the_same_outcomes() -> None:
    """With ordered=False, the outcomes are the same set as in order, each letter once."""
    ordered = list(llmparse.parse_many(LETTER_FILES, strategy="rules", concurrency=4))
    unordered = list(llmparse.parse_many(LETTER_FILES, strategy="rules", concurrency=4, ordered=False))
    assert len(unordered) == len(LETTER_FILES)
    assert sorted(unordered, key=lambda o: o.index) == ordered


BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("missing-file", Path("no/such/letter.txt"), "InputError"),
    ("empty-string", "", "EmptyInputError"),
    ("binary-blob", BLOB, "BinaryInputError"),
    ("recipe", RECIPE, "NotALetterError"),
]


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_bad_inputs_become_error_outcomes_and_never_stop_the_others(ordered: bool) -> None:
    """A missing file, an empty string, a binary blob and a recipe each give an outcome naming its error class,
    and the letters around them still get their results."""
    good = LETTER_FILES[:5]
    sources: list[Any] = []
    want: dict[int, str | None] = {}
    for k, (_, bad, error_type) in enumerate(BAD_INPUTS):
        sources.append(good[k])
        want[len(sources) - 1] = None
        sources.append(bad)
        want[len(sources) - 1] = error_type
    sources.append(good[4])
    want[len(sources) - 1] = None
    outcomes = list(llmparse.parse_many(sources, strategy="rules", concurrency=2, ordered=ordered))
    assert sorted(o.index for o in outcomes) == list(range(len(sources)))
    for outcome in outcomes:
        assert outcome.error_type == want[outcome.index], outcome
        if outcome.error_type is None:
            assert outcome.result == _rules(sources[outcome.index])
        else:
            assert outcome.result is None
            assert issubclass(getattr(llmparse, outcome.error_type), llmparse.LLMParseError)
            assert outcome.error
            assert "\n" not in outcome.error
    names = {o.index: o.source for o in outcomes}
    assert names[1] == str(Path("no/such/letter.txt"))
    assert names[3] == "<text 3>"
    assert names[5] == "<bytes 5>"


def test_outcome_json_lines_round_trip() -> None:
    """Outcome.to_json gives one line: a Result that loads back equal, or the source and the error's type."""
    sources: list[Any] = [LETTER_FILES[0], "", EXAMPLE, RECIPE]
    outcomes = list(llmparse.parse_many(sources, strategy="rules"))
    for outcome in outcomes:
        line = outcome.to_json()
        assert "\n" not in line
        if outcome.result is not None:
            assert llmparse.Result.model_validate_json(line) == outcome.result
            assert outcome.result.provenance.source == outcome.source
        else:
            record = json.loads(line)
            assert record == {"source": outcome.source,
                              "error": {"type": outcome.error_type, "message": outcome.error}}
    assert [json.loads(o.to_json()).get("error", {}).get("type") for o in outcomes] == [
        None, "EmptyInputError", None, "NotALetterError"]


# --- 2. aparse_many with the model ----------------------------------------------------------------------------


@pytest.mark.vcr
@pytest.mark.usefixtures("server")
def test_aparse_many_structures_letters_with_the_model() -> None:
    """Three letters through the model two at a time all succeed, in order, one call each."""


    async def run() -> list[Outcome]:
        async with _extractor() as llm:  # its connections closed before the loop ends
            return await _collect(llmparse.aparse_many(MODEL_LETTERS, strategy="llm", llm=llm, concurrency=2))

    outcomes = asyncio.run(run())
    assert [o.source for o in outcomes] == [str(p) for p in MODEL_LETTERS]
    for outcome, path in zip(outcomes, MODEL_LETTERS, strict=True):
        assert outcome.result is not None, outcome
        result = outcome.result
        assert result.usage.llm_calls == 1
        assert result.usage.prompt_tokens > 0
        assert result.provenance.strategy == "llm"
        assert result.provenance.model == "scripted"
        assert result.provenance.source == str(path)
        assert not result.provenance.cached
        assert _numbers(result) == _numbers(_rules(path))


class _SlowModel:
    """An in-process fake model that takes 20 ms per answer and counts the requests in flight."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.calls.append(str(request.url))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.02)
        self.in_flight -= 1
        body = completion(json.loads(request.content), Action("rules-plan"), len(self.calls))
        return httpx2.Response(200, json=body)


def test_aparse_many_keeps_at_most_concurrency_letters_at_the_model() -> None:
    """With the caller's own client and concurrency=2, two model calls are in flight, never more."""
    model = _SlowModel()
    llm = _with_transport("scripted", model)
    letters = LETTER_FILES[:6]
    outcomes = asyncio.run(_collect(llmparse.aparse_many(letters, strategy="llm", llm=llm, concurrency=2,
                                                         ordered=False)))
    assert sorted(o.source for o in outcomes) == sorted(str(p) for p in letters)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert len(model.calls) == len(letters)
    assert model.peak == 2


def _paced(monkeypatch: pytest.MonkeyPatch, handler: Callable[[httpx2.Request], Any],
           **options: Any) -> LLMExtractor:
    """An extractor with llmparse's own (paced) client, whose network is an in-process handler."""
    monkeypatch.setattr(_llm, "_network_transport", lambda: _Unrecorded(handler))
    return LLMExtractor("scripted", base_url=MODEL_URL, api_key=TEST_KEY, **options)


def test_own_client_keeps_exactly_concurrency_requests_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through llmparse's own client a batch keeps ``concurrency`` requests at the endpoint, never more: a letter
    gives up its turn at the CPU while it waits for an answer, so the others can send theirs."""
    model = _SlowModel()
    llm = _paced(monkeypatch, model, retry=RetryPolicy(max_attempts=1))
    letters = [p for p in LETTER_FILES if _rules(p).ok][:9]
    outcomes = asyncio.run(_collect(llmparse.aparse_many(letters, strategy="llm", llm=llm, concurrency=3)))
    assert [o.source for o in outcomes] == [str(p) for p in letters]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert len(model.calls) == len(letters)
    assert model.peak == 3


def test_a_letter_waiting_to_retry_does_not_hold_up_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request gets 429 with Retry-After 0.6 s; the other letters finish long before it is retried."""
    calls: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        if len(calls) == 1:
            return httpx2.Response(429, headers={"retry-after": "0.6"}, json={"error": {"message": "slow down"}})
        return httpx2.Response(200, json=completion(json.loads(request.content), Action("rules-plan"), len(calls)))

    llm = _paced(monkeypatch, answer, retry=RetryPolicy(max_attempts=2))
    letters = [p for p in LETTER_FILES if _rules(p).ok][:4]

    async def run() -> list[tuple[float, Outcome]]:
        start = time.perf_counter()
        return [(time.perf_counter() - start, o)
                async for o in llmparse.aparse_many(letters, strategy="llm", llm=llm, concurrency=2, ordered=False)]

    finished = asyncio.run(run())
    assert all(o.ok for _, o in finished), [o.error for _, o in finished]
    assert len(calls) == len(letters) + 1
    *others, (last_at, last) = finished
    assert last.result is not None
    assert last.result.usage.llm_calls == 2  # the letter that waited
    assert last_at >= 0.6
    assert all(at < 0.45 for at, _ in others), [at for at, _ in others]


def test_a_request_that_cannot_connect_fails_only_its_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the paced client, a request refused at connection fails its own letter (a transport error
    outcome); the other letters take its place at the gate and finish."""
    calls: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        if len(calls) == 2:
            raise httpx2.ConnectError("connection refused", request=request)
        return httpx2.Response(200, json=completion(json.loads(request.content), Action("rules-plan"), len(calls)))

    llm = _paced(monkeypatch, answer, retry=RetryPolicy(max_attempts=1))
    letters = [p for p in LETTER_FILES if _rules(p).ok][:5]
    outcomes = asyncio.run(_collect(llmparse.aparse_many(letters, strategy="llm", llm=llm, concurrency=2)))
    assert [o.source for o in outcomes] == [str(p) for p in letters]
    failed = [o for o in outcomes if not o.ok]
    assert [o.error_type for o in failed] == ["ModelTransportError"]
    assert "could not be reached" in (failed[0].error or "")
    assert len(calls) == len(letters)


def test_a_batch_reaches_the_endpoint_through_the_environments_proxy() -> None:
    """With HTTP_PROXY set, the command line (a batch over the async client) sends its request through the proxy,
    as the openai SDK does: pacing leaves the SDK's proxies alone. The scripted server stands in for the proxy;
    the endpoint's host does not exist, so the letter is parsed only if the proxy was used."""
    from .model_server import ModelServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    proxy = ModelServer(port).start()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy", "http_proxy")}
    env.update(HTTP_PROXY=f"http://127.0.0.1:{port}", OPENAI_API_KEY=TEST_KEY)
    try:
        run = subprocess.run([sys.executable, "-m", "llmparse", "parse", str(EXAMPLE), "--strategy", "llm",
                              "--model", "scripted", "--base-url", "http://llm.invalid/v1", "--no-cache",
                              "--max-reasks", "0"], cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    finally:
        proxy.stop()
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert len(proxy.requests) == 1
    result = llmparse.Result.model_validate_json(run.stdout)
    assert result.provenance.strategy == "llm"
    assert result.usage.llm_calls == 1


def test_a_batch_closed_early_makes_no_more_model_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """A consumer that stops after the first outcome: the letters started ahead are cancelled, not parsed on."""
    model = _SlowModel()
    llm = _paced(monkeypatch, model, retry=RetryPolicy(max_attempts=1))
    letters = [p for p in LETTER_FILES if _rules(p).ok][:12]

    async def scenario() -> tuple[int, int, int]:
        outcomes = llmparse.aparse_many(letters, strategy="llm", llm=llm, concurrency=2)
        first = await anext(outcomes)
        assert first.ok
        await outcomes.aclose()
        at_close = len(model.calls)
        await asyncio.sleep(0.2)  # ten times a fake answer's time
        others = len(asyncio.all_tasks()) - 1
        return at_close, len(model.calls), others

    at_close, later, running = asyncio.run(scenario())
    assert later == at_close < len(letters)
    assert running == 0


def test_pacing_a_letter_cancelled_in_its_waits_never_frees_anothers_lane() -> None:
    """A letter cancelled while it waits for an answer, and again while it waits for the lane back, leaves the
    lane with the letter that holds it, and free once that letter is done."""
    from llmparse._pacing import Pacing

    async def scenario() -> list[str]:
        pacing = Pacing(1)
        order: list[str] = []
        b_holds, b_go = asyncio.Event(), asyncio.Event()

        async def a() -> None:
            async with pacing.working(), pacing.waiting():
                await asyncio.sleep(10)

        async def b() -> None:
            async with pacing.working():
                b_holds.set()
                await b_go.wait()
                order.append("b done")

        async def c() -> None:
            async with pacing.working():
                order.append("c in")

        task_a = asyncio.create_task(a())
        await asyncio.sleep(0.01)  # a waits, without the lane
        task_b = asyncio.create_task(b())
        await b_holds.wait()
        task_a.cancel()
        await asyncio.sleep(0.01)  # a now waits for the lane back, which b holds
        task_a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task_a
        task_c = asyncio.create_task(c())
        await asyncio.sleep(0.01)
        order.append("b still working")
        b_go.set()
        await asyncio.wait_for(asyncio.gather(task_b, task_c), 1)
        return order

    assert asyncio.run(scenario()) == ["b still working", "b done", "c in"]


# --- 3. the cache ---------------------------------------------------------------------------------------------


@pytest.mark.vcr
@pytest.mark.usefixtures("server")
def test_second_run_comes_from_the_cache(tmp_path: Path) -> None:
    """The first run asks the model (cassette) and fills the cache; the second makes no model call at all."""
    cache = ResultCache(tmp_path / "cache")
    first = list(llmparse.parse_many(MODEL_LETTERS, strategy="llm", llm=_extractor(), cache=cache))
    assert all(o.result is not None for o in first), [o.error for o in first]
    assert [o.result.provenance.cached for o in first if o.result] == [False] * 3
    assert [o.result.usage.llm_calls for o in first if o.result] == [1] * 3
    assert len(list(cache.folder.rglob("*.json"))) == 3

    calls: list[str] = []
    second = list(llmparse.parse_many(MODEL_LETTERS, strategy="llm", llm=_refusing(calls), cache=cache))
    assert calls == []  # (b) the client's transport fails any request: none was made
    assert all(o.result is not None for o in second), [o.error for o in second]
    assert [o.result.provenance.cached for o in second if o.result] == [True] * 3  # (a)
    for before, after in zip(first, second, strict=True):
        assert before.result is not None
        assert after.result is not None
        assert after.result.letter == before.result.letter
        assert after.result.usage == before.result.usage  # what the result cost when it was made
        assert after.result.provenance.source == before.result.provenance.source
    summary = batch.Summary()
    for outcome in second:
        summary.add(outcome)
    assert (summary.cache_hits, summary.llm_calls, summary.tokens) == (3, 0, 0)


@pytest.fixture(name="filled_cache")
def fixture_filled_cache(tmp_path: Path) -> ResultCache:
    """A cache holding the model's results (in-process fake model "scripted", tools mode) for MODEL_LETTERS."""
    cache = ResultCache(tmp_path / "cache")
    calls: list[str] = []
    for path in MODEL_LETTERS:
        assert not llmparse.parse(path, strategy="llm", llm=_fake_model(calls), cache=cache).provenance.cached
    assert len(calls) == len(MODEL_LETTERS)
    return cache


def _other_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    system, user = _prompts.load_prompts()
    monkeypatch.setattr(_prompts, "load_prompts", lambda: (system + "\nEen gewijzigde instructie.\n", user))


@pytest.mark.parametrize(("options", "change_prompts", "hit"), [
    pytest.param({}, None, True, id="same-settings"),
    pytest.param({"model": "scripted-2"}, None, False, id="other-model"),
    pytest.param({"mode": "json_schema"}, None, False, id="other-mode"),
    pytest.param({}, _other_prompts, False, id="other-prompt-version"),
])
def test_cache_key_names_model_mode_and_prompt(
    filled_cache: ResultCache, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any],
    change_prompts: Callable[[pytest.MonkeyPatch], None] | None, hit: bool,
) -> None:
    """The same settings hit the cache with no call; another model, mode or prompt version misses it and goes
    to the model (here: a transport that refuses)."""
    if change_prompts is not None:
        change_prompts(monkeypatch)
    calls: list[str] = []
    if hit:
        result = llmparse.parse(EXAMPLE, strategy="llm", llm=_refusing(calls, **options), cache=filled_cache)
        assert result.provenance.cached
        assert calls == []
    else:
        with pytest.raises(llmparse.ModelTransportError):
            llmparse.parse(EXAMPLE, strategy="llm", llm=_refusing(calls, **options), cache=filled_cache)
        assert len(calls) == 1


@pytest.mark.parametrize("field", ["strategy", "model", "mode", "prompt_version", "version", "text"])
def test_cache_key_changes_with_each_part(field: str) -> None:
    """Changing any part of what made a result (text, strategy, model, mode, prompt, version) changes the key."""
    parts: dict[str, Any] = {"strategy": "llm", "model": "scripted", "mode": "tools", "prompt_version": "abc123",
                             "version": "0.1.0"}
    text = "Vraag 1\nWaarom?\nAntwoord 1\nDaarom.\n"
    before = ResultCache.key(text, **parts)
    if field == "text":
        text += " "
    else:
        parts[field] = f"{parts[field]}-other"
    assert ResultCache.key(text, **parts) != before
    assert len(before) == 64


def test_clear_empties_the_cache_and_the_cli_reports_the_count(filled_cache: ResultCache,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """cache.clear() returns the number of entries and leaves none; `llmparse cache clear --cache-dir` prints
    the count."""
    assert filled_cache.clear() == 3
    assert not list(filled_cache.folder.rglob("*.json"))
    assert filled_cache.get("0" * 64) is None
    assert filled_cache.clear() == 0
    filled_cache.put("ab" + "0" * 62, _rules(EXAMPLE))
    filled_cache.put("cd" + "0" * 62, _rules(EXAMPLE))
    assert main(["cache", "clear", "--cache-dir", str(filled_cache.folder)]) == 0
    assert capsys.readouterr().out == "removed 2 entries\n"
    assert not list(filled_cache.folder.rglob("*.json"))


def test_clear_removes_only_cache_entries(tmp_path: Path) -> None:
    """Clearing a cache kept in a folder that also holds other files removes the entries and nothing else."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a cache entry\n", encoding="utf-8")
    cache = ResultCache(tmp_path)
    cache.put("ab" + "0" * 62, _rules(EXAMPLE))
    assert cache.clear() == 1
    assert notes.exists()


def test_concurrent_writers_leave_only_whole_entries(tmp_path: Path) -> None:
    """Eight threads writing one key and eight writing their own leave only complete, loadable entries and no
    temporary files."""
    cache = ResultCache(tmp_path / "cache")
    results = [_rules(p) for p in LETTER_FILES[:8]]
    shared = ResultCache.key("shared", strategy="rules", model=None, mode=None, prompt_version=None, version="x")
    own = [ResultCache.key(f"own {k}", strategy="rules", model=None, mode=None, prompt_version=None, version="x")
           for k in range(8)]
    start = threading.Barrier(16)
    errors: list[BaseException] = []

    def write(key: str, result: llmparse.Result) -> None:
        try:
            start.wait()
            for _ in range(25):
                cache.put(key, result)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(shared, r)) for r in results]
    threads += [threading.Thread(target=write, args=(key, r)) for key, r in zip(own, results, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    files = [p for p in cache.folder.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(".tmp-")]
    assert sorted(p.stem for p in files) == sorted([shared, *own])
    for path in files:
        llmparse.Result.model_validate_json(path.read_bytes())
    assert cache.get(shared) in results  # the last writer's whole result, not a mix
    assert [cache.get(key) for key in own] == results


# --- 4. resuming a killed run ---------------------------------------------------------------------------------

COPIES = 1000


def _line_count(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_run_resumes_without_losing_or_repeating_letters(tmp_path: Path) -> None:
    """A run killed with SIGKILL, its file ending in a torn line, resumed with --resume: every letter is in the
    file exactly once, every line is whole JSON, and the lines written before the kill are kept as they were."""
    folder = tmp_path / "in"
    folder.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in LETTER_FILES if p.suffix == ".txt"][:12]
    files = []
    for k in range(COPIES):
        path = folder / f"letter-{k:04d}.txt"
        path.write_text(texts[k % len(texts)], encoding="utf-8")
        files.append(str(path))
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "llmparse", "parse", *files, "--strategy", "rules", "--output", str(out),
               "--concurrency", "1", "--no-cache"]
    run = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while run.poll() is None and _line_count(out) < 20 and time.monotonic() < deadline:
        time.sleep(0.002)
    run.kill()
    _, err = run.communicate()
    assert run.returncode == -signal.SIGKILL, f"the run ended before the kill (raise COPIES): {err.decode()[-500:]}"
    before = out.read_bytes()
    kept = before[: before.rfind(b"\n") + 1]
    written = kept.count(b"\n")
    assert 0 < written < COPIES
    with out.open("ab") as handle:  # a kill in the middle of a write
        handle.write(b'{"letter": {"kind": "answers", "questions": [{"numbers": ["1"], "te')

    resumed = subprocess.run([*command, "--resume"], cwd=ROOT, capture_output=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    assert f"letters {COPIES - written}: answers {COPIES - written}; 0 failed" in resumed.stderr.decode()
    final = out.read_bytes()
    assert final.startswith(kept)
    assert final.endswith(b"\n")
    records = [json.loads(line) for line in final.decode("utf-8").splitlines()]
    sources = [r["provenance"]["source"] for r in records]
    assert len(sources) == COPIES
    assert Counter(sources) == Counter(files)


def test_resume_retries_failed_letters_and_keeps_one_line_per_letter(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A letter that failed is parsed again by --resume and its error line replaced by its result, a stale error
    line of a letter with a result goes, the error line of a letter left out of the resumed run stays, and the
    result lines are kept as they were."""
    good, bad, other = tmp_path / "good.txt", tmp_path / "later.txt", tmp_path / "other.txt"
    good.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    bad.write_text(RECIPE, encoding="utf-8")
    other.write_bytes(BLOB)
    out = tmp_path / "out.jsonl"
    first = ["parse", str(good), str(bad), str(other), "--strategy", "rules", "-o", str(out)]
    assert main(first) == 2
    before = out.read_text(encoding="utf-8").splitlines()
    assert sorted("error" in json.loads(line) for line in before) == [False, True, True]

    bad.write_text(LETTER_FILES[0].read_text(encoding="utf-8"), encoding="utf-8")  # the failed letter, fixed
    stale = Outcome(9, str(good), error_type="ModelTransportError", error="an older run's failure").to_json()
    with out.open("a", encoding="utf-8") as handle:  # as resumed runs of earlier versions could leave it
        handle.write(stale + "\n")
    capsys.readouterr()
    assert main(["parse", str(good), str(bad), "--strategy", "rules", "-o", str(out), "--resume"]) == 0
    assert "letters 1: answers 1; 0 failed" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    results = {r["provenance"]["source"]: r for r in records if "error" not in r}
    errors = {r["source"]: r for r in records if "error" in r}
    assert sorted(results) == [str(good), str(bad)]
    assert sorted(errors) == [str(other)]  # not part of the resumed run: its failure is still on record
    assert len(records) == 3
    assert before[0] in out.read_text(encoding="utf-8").splitlines()
    assert not list(tmp_path.glob(".out.jsonl*"))


def test_resume_knows_a_letter_by_its_file_not_its_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A run over a folder by its absolute path, resumed from its parent by a relative path: nothing is parsed
    again; and one file named twice in one run is parsed once."""
    folder = tmp_path / "brieven"
    folder.mkdir()
    for path in LETTER_FILES[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(folder), "--strategy", "rules", "-o", str(out)]) == 0
    before = out.read_bytes()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["parse", "brieven", "--strategy", "rules", "-o", str(out), "--resume"]) == 0
    assert out.read_bytes() == before
    assert "letters 0: none; 0 failed" in capsys.readouterr().err
    files, missing = batch.expand_inputs([f"brieven/{LETTER_FILES[0].name}", str(folder / LETTER_FILES[0].name)])
    assert (files, missing) == ([Path("brieven") / LETTER_FILES[0].name], [])


def test_resume_from_another_folder_is_refused_not_repeated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """A first run by relative paths, resumed from elsewhere by absolute paths: refused with a one-line reason
    (it would parse and write every letter again); from the first folder, the same command resumes."""
    folder = tmp_path / "brieven"
    folder.mkdir()
    for path in LETTER_FILES[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out.jsonl"
    monkeypatch.chdir(tmp_path)
    assert main(["parse", "brieven", "--strategy", "rules", "-o", str(out)]) == 0
    before = out.read_bytes()
    elsewhere = tmp_path / "elders"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["parse", str(folder), "--strategy", "rules", "-o", str(out), "--resume"]) == 2
    assert "run --resume from the folder the first run ran in" in capsys.readouterr().err
    assert out.read_bytes() == before
    monkeypatch.chdir(tmp_path)
    assert main(["parse", str(folder), "--strategy", "rules", "-o", str(out), "--resume"]) == 0
    assert out.read_bytes() == before


def test_resume_keeps_a_whole_last_line_without_its_newline(tmp_path: Path) -> None:
    """A last line that is whole JSON but lacks its newline (a file edited by hand) is kept, and completed."""
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(EXAMPLE), "--strategy", "rules", "-o", str(out)]) == 0
    whole = out.read_bytes()
    out.write_bytes(whole.rstrip(b"\n"))
    assert batch.done_sources(out) == {str(EXAMPLE)}
    assert out.read_bytes() == whole


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_resume_through_a_link_rewrites_the_linked_file(tmp_path: Path) -> None:
    """Dropping a retried letter's error line through a link to the results file rewrites the file linked to,
    and the link stays a link."""
    real, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    bad = tmp_path / "brief.txt"
    bad.write_text(RECIPE, encoding="utf-8")
    assert main(["parse", str(bad), "--strategy", "rules", "-o", str(real)]) == 2
    link.symlink_to(real)
    bad.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["parse", str(bad), "--strategy", "rules", "-o", str(link), "--resume"]) == 0
    assert link.is_symlink()
    assert [("error" in json.loads(line)) for line in real.read_text(encoding="utf-8").splitlines()] == [False]


# --- 5. process pools -----------------------------------------------------------------------------------------


def test_process_pool_gives_the_in_process_results() -> None:
    """parse mapped over letters in a two-worker process pool gives results equal to parsing them here."""
    letters = LETTER_FILES[:6]
    parse = functools.partial(llmparse.parse, strategy="rules")
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = list(pool.map(parse, letters))
    assert pooled == [parse(p) for p in letters]


def test_llm_extractor_pickles_with_its_settings_but_not_its_client() -> None:
    """An LLMExtractor survives pickle.dumps/loads with its settings; its clients stay behind and no key shows in
    its repr."""
    calls: list[str] = []
    llm = _refusing(calls, mode="json_schema", base_url=MODEL_URL, api_key=TEST_KEY, max_reasks=1, timeout=30.0,
                    input_budget=10_000, token_budget=50_000, max_completion_tokens=2_000)
    restored = pickle.loads(pickle.dumps(llm))
    settings = ("model", "base_url", "mode", "max_reasks", "timeout", "input_budget", "token_budget",
                "max_completion_tokens", "retry")
    assert {s: getattr(restored, s) for s in settings} == {s: getattr(llm, s) for s in settings}
    assert restored.mode == "json_schema"
    assert restored._client is None
    assert restored._async_client is None
    assert repr(restored) == repr(llm)
    assert TEST_KEY not in repr(restored)
    assert "client" not in repr(restored).lower()
    assert calls == []


# --- 6. the OpenAI Batch API ----------------------------------------------------------------------------------

BATCH = ROOT / "tests" / "data" / "batch"
#: The letters of the batch fixture, as given to `batch prepare` from the repository root.
BATCH_LETTERS = [
    "examples/kv-2020Z03371.ministry-pdftext.txt",
    "tests/data/letters/syn01-aanhangsel-basic.pdftotext.txt",
    "tests/data/letters/syn04-grouped-headings.pdftext.txt",
    "tests/data/letters/syn15-notice-delay.pdftext.txt",
]
#: What the model does for each letter of the batch fixture; the others get the rules' plan.
BATCH_ACTIONS = {
    "tests/data/letters/syn01-aanhangsel-basic.pdftotext.txt": Action("server-error", status=500),
    "tests/data/letters/syn15-notice-delay.pdftext.txt": Action("malformed-json",
                                                                raw='{"kind": "notice", "questions": ['),
}
REGENERATE = ("regenerate tests/data/batch/ as the docstring of tests/test_batch.py says (batch prepare, then "
              "python -m tests.test_batch), and check the diff holds only the expected prompt changes")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_batch_output() -> None:
    """Write tests/data/batch/output.jsonl: the scripted answers to requests.jsonl, with BATCH_ACTIONS."""
    lines = answer_batch(_jsonl(BATCH / "requests.jsonl"), BATCH_ACTIONS)
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    (BATCH / "output.jsonl").write_text(text, encoding="utf-8")


def _walk(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _walk(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _walk(value)


def test_prepared_lines_are_chat_completions_batch_lines() -> None:
    """Each committed request line is a POST to /v1/chat/completions, one per letter, asking for the plan with a
    strict json_schema response format."""
    requests = _jsonl(BATCH / "requests.jsonl")
    assert [r["custom_id"] for r in requests] == BATCH_LETTERS
    for request in requests:
        assert set(request) == {"custom_id", "method", "url", "body"}
        assert request["method"] == "POST"
        assert request["url"] == "/v1/chat/completions"
        body = request["body"]
        assert body["model"] == "scripted"
        assert [m["role"] for m in body["messages"]] == ["system", "user"]
        assert all(isinstance(m["content"], str) and m["content"] for m in body["messages"])
        assert "<letter>" in body["messages"][1]["content"]
        fmt = body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["name"]
        assert fmt["json_schema"]["schema"]["type"] == "object"


def test_batch_schema_meets_strict_structured_outputs() -> None:
    """The response schema is one OpenAI accepts with strict: true: every object closes its properties and
    requires all of them."""
    schema = _jsonl(BATCH / "requests.jsonl")[0]["body"]["response_format"]["json_schema"]["schema"]
    objects = [node for node in _walk(schema) if node.get("type") == "object"]
    assert len(objects) >= 2
    for node in objects:
        assert node.get("additionalProperties") is False, node.get("title")
        assert sorted(node.get("required", [])) == sorted(node.get("properties", {})), node.get("title")


def test_committed_requests_are_what_prepare_makes_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """`llmparse batch prepare` over the fixture's letters gives exactly the committed requests.jsonl."""
    monkeypatch.chdir(ROOT)
    fresh = tmp_path / "requests.jsonl"
    assert main(["batch", "prepare", *BATCH_LETTERS, "--model", "scripted", "-o", str(fresh)]) == 0
    assert capsys.readouterr().err == f"llmparse: wrote {len(BATCH_LETTERS)} request(s) to {fresh}\n"
    committed = (BATCH / "requests.jsonl").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, f"the prompts or the schema changed: {REGENERATE}"


def test_committed_batch_files_hold_only_allowed_letters() -> None:
    """The fixture names only the example and the team's letters, and every output line says it was scripted."""
    requests = _jsonl(BATCH / "requests.jsonl")
    outputs = _jsonl(BATCH / "output.jsonl")
    assert [o["custom_id"] for o in outputs] == [r["custom_id"] for r in requests]
    for custom_id in (r["custom_id"] for r in requests):
        assert custom_id == "examples/kv-2020Z03371.ministry-pdftext.txt" or (
            custom_id.startswith("tests/data/letters/") and (ROOT / custom_id).is_file()), custom_id
    assert all(o["x-llmparse-test-server"].startswith("tests/model_server.py") for o in outputs)
    statuses = [o["response"]["status_code"] for o in outputs]
    assert statuses == [200, 500, 200, 200]


def test_collect_checks_good_lines_and_lists_reruns() -> None:
    """Collecting the recorded output gives checked results for the good lines (the rules' numbers) and a re-run
    for the failed request and the malformed completion; nothing is asked again (the network is blocked)."""
    with (BATCH / "output.jsonl").open(encoding="utf-8") as lines:
        collected = list(batch.collect_outputs(lines, root=ROOT))
    results = {item.provenance.source: item for kind, item in collected if kind == "result"}
    reruns = {item.source: item.reason for kind, item in collected if kind == "rerun"}
    good = [BATCH_LETTERS[0], BATCH_LETTERS[2]]
    assert sorted(results) == sorted(str(ROOT / name) for name in good)
    for name in good:
        result = results[str(ROOT / name)]
        assert _numbers(result) == _numbers(_rules(ROOT / name))
        assert result.errors == []
        assert result.provenance.strategy == "llm"
        assert result.provenance.model == "scripted"
        assert result.usage.llm_calls == 1
        assert result.usage.prompt_tokens > 0
    failed, malformed = str(ROOT / BATCH_LETTERS[1]), str(ROOT / BATCH_LETTERS[3])  # spelt as results spell them
    assert sorted(reruns) == [failed, malformed]
    assert reruns[failed] == "the request failed: HTTP 500"
    assert reruns[malformed].startswith("the completion is no valid plan")


def test_cli_batch_collect_writes_results_and_exits_1_listing_reruns(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`llmparse batch collect OUTPUT -o FILE --root DIR` writes the good results as JSONL, and an error line for
    each letter that needs a live re-run (also named on stderr), and exits 1."""
    results = tmp_path / "results.jsonl"
    code = main(["batch", "collect", str(BATCH / "output.jsonl"), "-o", str(results), "--root", str(ROOT)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [llmparse.Result.model_validate(r).letter.kind for r in records if "error" not in r] == ["answers"] * 2
    assert sorted((r["source"], r["error"]["type"]) for r in records if "error" in r) == [
        (str(ROOT / BATCH_LETTERS[1]), "NeedsRerun"), (str(ROOT / BATCH_LETTERS[3]), "NeedsRerun")]
    failed, malformed = err.splitlines()
    assert failed == f"llmparse: needs a live re-run: {ROOT / BATCH_LETTERS[1]}: the request failed: HTTP 500"
    assert malformed.startswith(f"llmparse: needs a live re-run: {ROOT / BATCH_LETTERS[3]}: the completion is no "
                                "valid plan")


def test_collect_reads_the_error_file_and_names_requests_without_output(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Failed requests in a separate error file (as OpenAI writes them) are read with the output file; with
    --requests, a letter with no line in either file is listed for a re-run instead of going missing."""
    lines = (BATCH / "output.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    failed = [line for line in lines if json.loads(line)["response"]["status_code"] != 200]
    good = [line for line in lines if line not in failed]
    assert failed
    assert len(good) == 3
    output, errors = tmp_path / "output.jsonl", tmp_path / "errors.jsonl"
    output.write_text("".join(good[1:]), encoding="utf-8")  # the first letter's line is lost
    errors.write_text("".join(failed), encoding="utf-8")
    lost = str(ROOT / json.loads(good[0])["custom_id"])
    assert lost == str(ROOT / BATCH_LETTERS[0])
    code = main(["batch", "collect", str(output), str(errors), "--requests", str(BATCH / "requests.jsonl"),
                 "--root", str(ROOT)])
    out, err = capsys.readouterr()
    assert code == 1
    assert len(out.splitlines()) == 1  # the one valid plan left
    reruns = [line.removeprefix("llmparse: needs a live re-run: ").split(": ")[0] for line in err.splitlines()]
    assert sorted(reruns) == sorted([*(str(ROOT / json.loads(line)["custom_id"]) for line in failed),
                                     str(ROOT / BATCH_LETTERS[3]), lost])
    assert f"llmparse: needs a live re-run: {lost}: no output line" in err


def test_collect_reruns_and_results_resume_as_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """collect -o FILE --root DIR, then `parse DIR-letters -o FILE --resume`: the re-runs' error lines are spelt
    as the results are, so the resumed run replaces them and FILE keeps one line per letter."""
    results = tmp_path / "results.jsonl"
    assert main(["batch", "collect", str(BATCH / "output.jsonl"), "-o", str(results), "--root", str(ROOT)]) == 1
    letters = [str(ROOT / name) for name in BATCH_LETTERS]
    capsys.readouterr()
    assert main(["parse", *letters, "--strategy", "rules", "-o", str(results), "--resume"]) == 0
    assert "letters 2: answers 1, notice 1; 0 failed" in capsys.readouterr().err  # the two re-runs, no more
    assert sorted(_sources(results)) == sorted(letters)


def test_collect_keeps_the_results_file_when_it_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A collect that cannot read its input, or whose -o is one of its inputs, leaves -o as it was; a requests
    file that is not one is a one-line error."""
    results = tmp_path / "results.jsonl"
    results.write_text('{"kept": true}\n', encoding="utf-8")
    assert main(["batch", "collect", str(tmp_path / "weg.jsonl"), "-o", str(results)]) == 2
    assert main(["batch", "collect", str(results), "-o", str(results)]) == 2
    assert results.read_text(encoding="utf-8") == '{"kept": true}\n'
    assert not list(tmp_path.glob(".results.jsonl*"))
    assert main(["batch", "collect", str(BATCH / "output.jsonl"), "--requests", str(EXAMPLE)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{EXAMPLE} line 1: not a batch request line" in err


def test_collect_names_a_letter_it_cannot_use_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output line whose letter is gone, or is no letter: one re-run line each, naming the file once."""
    line = json.loads((BATCH / "output.jsonl").read_text(encoding="utf-8").splitlines()[0])
    nothing: dict[str, Any] = {"kind": "answers", "questions": [], "answers": [], "footnotes": [], "cuts": [],
                               "reference": None, "subject": None, "askers": [], "respondents": [],
                               "submitted_on": None, "received_on": None}
    line["response"]["body"]["choices"][0]["message"]["content"] = json.dumps(nothing)  # fits any text
    recipe, gone = tmp_path / "recept.txt", tmp_path / "weg.txt"
    recipe.write_text(RECIPE, encoding="utf-8")
    output = tmp_path / "output.jsonl"
    output.write_text("".join(json.dumps({**line, "custom_id": str(p)}) + "\n" for p in (recipe, gone)),
                      encoding="utf-8")
    assert main(["batch", "collect", str(output)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert [e.count(str(p)) for e, p in zip(err, (recipe, gone), strict=True)] == [1, 1]
    assert "does not look like an answer letter" in err[0]
    assert "the letter cannot be read" in err[1]


def test_collect_says_when_it_is_given_the_requests_file(capsys: pytest.CaptureFixture[str]) -> None:
    """The requests file passed by mistake as the output: each line says so, instead of 'HTTP None'."""
    assert main(["batch", "collect", str(BATCH / "requests.jsonl"), "--root", str(ROOT)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == len(BATCH_LETTERS)
    assert all(line.endswith("this is a request line, not an output line: pass the batch's output file")
               for line in err)


# --- 7. the command line over folders and globs ----------------------------------------------------------------


def _sources(path: Path) -> list[str]:
    return [json.loads(line).get("provenance", {}).get("source") or json.loads(line).get("source")
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_cli_parses_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`llmparse parse FOLDER --output FILE` parses every .txt and .md letter in it, reports the folder's README
    as not a letter (exit 2) and summarises by kind."""
    out = tmp_path / "out.jsonl"
    code = main(["parse", str(LETTERS), "--output", str(out), "--strategy", "rules", "--no-cache"])
    stdout, err = capsys.readouterr()
    assert code == 2, err
    assert stdout == ""
    readme = str(LETTERS / "README.md")
    assert f"llmparse: NotALetterError: {readme}: " in err
    expected = sorted(str(p) for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")
    assert sorted(_sources(out)) == sorted([*expected, readme])  # the README's line records its error
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    kinds = Counter(r["letter"]["kind"] for r in lines if "letter" in r)
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    summary = next(line for line in err.splitlines() if line.startswith("letters "))
    assert summary == f"letters {len(expected) + 1}: {by_kind}; 1 failed"


def test_cli_parses_a_quoted_glob(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A glob the shell did not expand is expanded by llmparse."""
    out = tmp_path / "out.jsonl"
    code = main(["parse", str(LETTERS / "syn1*.txt"), "--output", str(out), "--strategy", "rules", "--no-cache"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert sorted(_sources(out)) == sorted(str(p) for p in LETTERS.glob("syn1*.txt"))
    assert len(_sources(out)) == 9


def test_cli_pattern_matching_nothing_exits_2_and_parses_the_rest(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A pattern that matches nothing gets one stderr line and exit 2; the other inputs are still parsed."""
    out = tmp_path / "out.jsonl"
    nothing = str(tmp_path / "geen-*.txt")
    code = main(["parse", nothing, str(LETTERS / "syn0*.txt"), "--output", str(out), "--strategy", "rules",
                 "--no-cache"])
    _, err = capsys.readouterr()
    assert code == 2
    mentions = [line for line in err.splitlines() if nothing in line]
    assert mentions == [f"llmparse: InputError: {nothing}: no such file, folder or matching pattern"]
    assert sorted(_sources(out)) == sorted(str(p) for p in LETTERS.glob("syn0*.txt"))


def test_cli_summary_reports_kinds_and_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary on stderr counts letters by kind and lists the files that failed, which also get error lines
    in the output file; the exit code is 2."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("syn01-aanhangsel-basic.pdftotext.txt", "syn15-notice-delay.pdftext.txt", "syn19-markdown.md"):
        (folder / name).write_bytes((LETTERS / name).read_bytes())
    (folder / "recept.txt").write_text(RECIPE, encoding="utf-8")
    (folder / "leeg.md").write_text("", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code = main(["parse", str(folder), "--output", str(out), "--strategy", "rules", "--no-cache"])
    _, err = capsys.readouterr()
    assert code == 2
    lines = err.splitlines()
    assert "letters 5: answers 2, notice 1; 2 failed" in lines
    assert "model calls 0; tokens 0; cache hits 0" in lines
    failed = [line for line in lines if line.startswith("failed: ")]
    assert [line.split(": ")[1:3] for line in failed] == [[str(folder / "leeg.md"), "EmptyInputError"],
                                                          [str(folder / "recept.txt"), "NotALetterError"]]
    assert [line.count(str(folder)) for line in failed] == [1, 1]  # each names its file once
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((r["source"], r["error"]["type"]) for r in records if "error" in r) == [
        (str(folder / "leeg.md"), "EmptyInputError"), (str(folder / "recept.txt"), "NotALetterError")]
    assert sorted(r["letter"]["kind"] for r in records if "letter" in r) == ["answers", "answers", "notice"]



def test_progress_line_shows_bar_counts_rate_and_time_left() -> None:
    """Five of twenty letters in ten seconds: a quarter of the bar, the counts, 0.5 letters/s, 30 s left."""
    summary = batch.Summary()
    results = [_rules(p) for p in LETTER_FILES[:4]]
    for k, result in enumerate(results):
        summary.add(Outcome(k, f"<text {k}>", result))
    summary.add(Outcome(4, "<text 4>", error_type="NotALetterError", error="no letter"))
    line = summary.progress(20, elapsed=10.0)
    errors = sum(bool(r.errors) for r in results)
    findings = sum(len(r.findings) for r in results)
    assert line == (f"[#####---------------] 5/20 letters  0.5/s  0:00:30 left  1 failed  {errors} with errors  "
                    f"{findings} findings  0 model calls  0 tokens")
    assert summary.progress(20).startswith("[#####---------------] 5/20 letters  1 failed  ")  # no time: no rate


if __name__ == "__main__":
    _write_batch_output()
