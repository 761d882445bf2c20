"""A local OpenAI-compatible chat completions server that plays scripted model behaviour.

The test suite owns it: the model-path cassettes were recorded against it, and it can be started by hand
to try the command line without a real model::

    python -m tests.model_server --port 8765
    llmparse parse examples/kv-2020Z03371.ministry-pdftext.txt --strategy llm \\
        --base-url http://127.0.0.1:8765/v1 --model scripted

Behaviour comes from a queue of actions (``ModelServer.script``); with an empty queue it answers with the plan
the rules extractor makes for the letter in the prompt. That default exercises the transport, the schema and
the assembly, not the quality of any model. A ``player`` may answer instead of the rules: ``NoisePlayer`` plays
the noisy-model bench (bench/model_noise.py), a letter's correct plan corrupted the way real models err, on the
first attempt or on every one. Every response carries the header
``x-llmparse-test-server``, so every cassette says what it was recorded against.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PORT = 18765
HEADER = "x-llmparse-test-server"


@dataclass
class Action:
    """One scripted response.

    Attributes:
        name: what the action plays, recorded in the response header.
        plan: the plan to answer with (a ``LetterPlan`` dict); None answers with the rules' plan.
        status: an HTTP error status to answer with instead (429, 500, ...).
        headers: extra response headers (``Retry-After``).
        raw: a completion text to send as is (malformed JSON).
        finish_reason: ``length`` cuts the completion in half, as a model stopped at its token limit does.
        delay: seconds to wait before answering.
        prose: a reply in words instead of the plan: sent as the message's content, with no tool call even
            when the request offers a tool (as a model that ignores the tool does).
    """

    name: str
    plan: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: str | None = None
    finish_reason: str | None = None
    delay: float = 0.0
    prose: str | None = None


def _letter_lines(messages: list[dict[str, Any]]) -> tuple[str, int]:
    """The letter's text and its first line number, rebuilt from the numbered lines in the prompt."""
    content = next((str(m.get("content", "")) for m in messages if "<letter>" in str(m.get("content", ""))), "")
    body = content.split("<letter>\n", 1)[-1].rsplit("\n</letter>", 1)[0]
    numbered: dict[int, str] = {}
    for row in body.split("\n"):
        m = re.match(r"\s*(\d+)[|~] ?(.*)$", row)
        if m is not None:
            numbered[int(m.group(1))] = m.group(2)
    if not numbered:
        return "", 1
    first = min(numbered)
    # a blank line is shown without its number: the numbers left out are the letter's blank lines
    return "\n".join(numbered.get(n, "") for n in range(first, max(numbered) + 1)), first


def wire(plan: dict[str, Any]) -> dict[str, Any]:
    """``plan`` as a model writes it: each item and footnote one "numbers:first-last" string ("numbers:line" for
    one line; tests build plans in the expanded form, which is easier to change)."""
    def ref(entry: Any, label: str) -> Any:
        if not isinstance(entry, dict):
            return entry
        last = f"-{entry['last']}" if entry["last"] != entry["first"] else ""
        return f"{entry[label]}:{entry['first']}{last}"

    return {**plan, "questions": [ref(q, "numbers") for q in plan.get("questions", [])],
            "answers": [ref(a, "numbers") for a in plan.get("answers", [])],
            "footnotes": [ref(f, "marker") for f in plan.get("footnotes", [])]}


def rules_plan(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan the rules extractor makes for the letter in the prompt, in ``LetterPlan`` form."""
    text, first = _letter_lines(messages)
    plan: dict[str, Any] = json.loads(_rules_plan(text, first))  # a copy: callers may change it
    return plan


@functools.lru_cache(maxsize=512)
def _rules_plan(text: str, first: int) -> str:
    # remembered per letter, so that a benchmark measures llmparse's overhead rather than this server's
    from llmparse._document import load_document
    from llmparse._extraction import RulesExtractor
    from llmparse._layout import read_layout

    doc = load_document(text)
    layout = read_layout(doc)
    plan = RulesExtractor().extract(doc, layout).plan
    md = plan.metadata

    def line(offset: int) -> int:
        return doc.line_at(offset) + first

    def item(it: Any) -> dict[str, Any]:
        return {"numbers": ", ".join(it.numbers), "first": line(it.start), "last": line(it.end - 1)}

    return json.dumps({
        "kind": plan.kind,
        "questions": [item(it) for it in plan.items if it.role == "question"],
        "answers": [item(it) for it in plan.items if it.role == "answer"],
        "footnotes": [{"marker": fn.marker, "first": line(fn.start), "last": line(max(fn.start, fn.end - 1))}
                      for fn in plan.footnotes],
        "cuts": [],
        "reference": md.reference,
        "subject": md.subject,
        "askers": [{"name": p.name, "party": p.party, "role": p.role} for p in md.askers],
        "respondents": [{"name": p.name, "party": p.party, "role": p.role} for p in md.respondents],
        "submitted_on": md.submitted_on.isoformat() if md.submitted_on else None,
        "received_on": md.received_on.isoformat() if md.received_on else None,
    })


def prompt_text(request: dict[str, Any]) -> str:
    """What a request's prompt holds, in the order an endpoint reads it: the schema (tools or response format),
    then every message."""
    schema = request.get("tools") or request.get("response_format") or ""
    return json.dumps(schema, ensure_ascii=False) + "".join(str(m.get("content", "")) for m in request["messages"])


_BLOCK = 128 * 4  # 128 tokens at chars/4


def cached_tokens(prompt: str, cache: set[bytes]) -> int:
    """The prompt tokens a caching endpoint serves from its cache: the prompt's longest prefix, in blocks of 128
    tokens (chars/4), that an earlier prompt began with, once it reaches 1,024 tokens (as OpenAI counts). The
    prefixes of ``prompt`` join ``cache``."""
    digest = hashlib.sha256()
    hit, missed = 0, False
    for k in range(len(prompt) // _BLOCK):
        digest.update(prompt[k * _BLOCK : (k + 1) * _BLOCK].encode())
        key = digest.copy().digest()
        if key in cache and not missed:
            hit = k + 1
        else:
            missed = True
            cache.add(key)
    tokens = hit * _BLOCK // 4
    return tokens if tokens >= 1024 else 0


def completion(request: dict[str, Any], action: Action, number: int, cached: int = 0) -> dict[str, Any]:
    """The chat completion body for ``action``, shaped as the request expects (tool call or content), with
    ``cached`` prompt tokens reported as served from a cache."""
    messages = request.get("messages", [])
    if action.prose is not None:
        return _body(request, {"role": "assistant", "content": action.prose}, action.finish_reason or "stop",
                     action.prose, number, cached)
    if action.raw is not None:
        arguments = action.raw
    else:
        arguments = json.dumps(wire(action.plan if action.plan is not None else rules_plan(messages)),
                               ensure_ascii=False)
    finish = action.finish_reason
    if finish == "length":
        arguments = arguments[: len(arguments) // 2]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    tools = request.get("tools")
    if tools:
        name = tools[0]["function"]["name"]
        message["tool_calls"] = [{"id": f"call_{number}", "type": "function",
                                  "function": {"name": name, "arguments": arguments}}]
        finish = finish or "tool_calls"
    else:
        # structured outputs (response_format) get bare JSON; md_json mode gets it in a fenced block
        fenced = "response_format" not in request and action.raw is None
        message["content"] = f"```json\n{arguments}\n```" if fenced else arguments
        finish = finish or "stop"
    return _body(request, message, finish, arguments, number, cached)


def _body(request: dict[str, Any], message: dict[str, Any], finish: str, arguments: str, number: int,
          cached: int) -> dict[str, Any]:
    prompt_chars = len(prompt_text(request))
    return {
        "id": f"chatcmpl-test-{number}",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": len(arguments) // 4,
                  "total_tokens": prompt_chars // 4 + len(arguments) // 4,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


def answer_batch(requests: list[dict[str, Any]], actions: dict[str, Action] | None = None) -> list[dict[str, Any]]:
    """Batch API output lines for batch request lines, as the server would answer each request.

    ``actions`` maps a ``custom_id`` to what the model does for it (default: the rules' plan).
    """
    out: list[dict[str, Any]] = []
    for n, request in enumerate(requests, start=1):
        action = (actions or {}).get(request["custom_id"], Action("rules-plan"))
        if action.status != 200:
            response = {"status_code": action.status, "request_id": f"req_{n}",
                        "body": {"error": {"message": f"scripted {action.status}"}}}
        else:
            response = {"status_code": 200, "request_id": f"req_{n}", "body": completion(request["body"], action, n)}
        out.append({"id": f"batch_req_{n}", "custom_id": request["custom_id"], "response": response, "error": None,
                    HEADER: f"tests/model_server.py, scripted: {action.name}"})
    return out


@dataclass(frozen=True)
class NoiseCase:
    """What the noisy model answers for one letter: its correct plan, the corrupted answer, and when to give it.

    Attributes:
        plan: the correct plan (``LetterPlan`` form).
        corrupted: the wrong answer (``tests.plans.Corrupted``: a plan and the form it is sent in).
        policy: ``first`` corrupts only the first attempt (a re-ask gets ``plan``), ``every`` every attempt.
        lines: the letter's line count (a long letter is asked for in parts; each part gets its share).
    """

    plan: dict[str, Any]
    corrupted: Any
    policy: str
    lines: int


class NoisePlayer:
    """A ``Player`` for the noisy-model bench: each request names its case by its model name.

    The attempt is read from the request itself (a re-ask carries the rejected answer as an assistant
    message), so any number of letters may be in flight; ``reasks`` counts the re-asks each model name got.
    """

    def __init__(self) -> None:
        self.cases: dict[str, NoiseCase] = {}
        self.reasks: Counter[str] = Counter()  # re-asks received, per model name

    def __call__(self, request: dict[str, Any]) -> Action:
        """The response to ``request``: the case's corrupted answer, or its correct plan on a re-ask."""
        model = str(request.get("model"))
        case = self.cases[model]
        messages = request.get("messages", [])
        attempt = sum(1 for m in messages if m.get("role") == "assistant")
        if attempt:
            self.reasks[model] += 1
        wrong = case.policy == "every" or attempt == 0
        form = case.corrupted.form if wrong else "plan"
        plan = _part(case.corrupted.plan if wrong else case.plan, messages, case.lines)
        name = f"noise {'corrupted' if wrong else 'correct'} attempt {attempt + 1}"
        if form == "invalid-json":
            text = json.dumps(plan, ensure_ascii=False)
            return Action(name, raw=text[:-1] + ",}")  # a trailing comma
        if form == "cut":
            return Action(name, plan=plan, finish_reason="length")
        if form == "prose":
            return Action(name, prose=f"The letter answers {len(plan['answers'])} questions; the minister "
                          "replies to each in turn, mostly by referring to earlier letters.")
        return Action(name, plan=plan)


def _part(plan: dict[str, Any], messages: list[dict[str, Any]], lines: int) -> dict[str, Any]:
    """The share of ``plan`` in the lines a request shows: all of it, unless the letter is asked for in parts."""
    text, first = _letter_lines(messages)
    last = first + text.count("\n")
    asked = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    part = re.search(r"\bpart (\d+) of (\d+)\b", asked)
    if part is None:  # the whole letter (its first lines may be blank, and blank lines go unnumbered)
        return plan
    first = 1 if part.group(1) == "1" else first
    share = {**plan, **{k: [e for e in plan[k] if first <= e["first"] <= last]
                        for k in ("questions", "answers", "footnotes")},
             "cuts": [c for c in plan["cuts"] if first <= c["line"] <= last]}
    if first != 1:  # the metadata stands in the header, in the first part
        share.update(reference=None, subject=None, askers=[], respondents=[], submitted_on=None, received_on=None)
    return share


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


#: Chooses the response to a request when nothing is scripted (the noisy-model bench plays corrupted plans).
Player = Callable[[dict[str, Any]], Action]


class ModelServer:
    """The server: asyncio on 127.0.0.1, in a background thread, so waiting answers cost no thread each.

    Args:
        port: the port to listen on; 0 takes a free one, known as ``port`` once ``start`` returns.
        latency: seconds added to every answer (the concurrency bench).
        player: what answers a request when no action is scripted (default: the rules' plan).
        record: keep every request in ``requests`` (a long bench turns this off to bound memory).
    """

    def __init__(self, port: int = DEFAULT_PORT, *, latency: float = 0.0, player: Player | None = None,
                 record: bool = True) -> None:
        self.port = port
        self.latency = latency
        self.player = player
        self.record = record
        self.answered = 0
        self.actions: deque[Action] = deque()
        self.requests: list[dict[str, Any]] = []
        self.cache: set[bytes] = set()  # the prompt prefixes seen, for the prompt cache
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL of the server."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *actions: Action) -> None:
        """Queue the responses for the next requests, replacing what was queued (and emptying the prompt cache)."""
        with self._lock:
            self.actions = deque(actions)
            self.requests.clear()
            self.cache.clear()  # each script starts with a cold prompt cache, so recordings do not depend on order

    def _next(self, request: dict[str, Any]) -> tuple[Action, int]:
        with self._lock:
            if self.record:
                self.requests.append(request)
            self.answered += 1
            number = len(self.requests) if self.record else self.answered
            if self.actions:
                return self.actions.popleft(), number
        return (self.player(request) if self.player is not None else Action("rules-plan")), number

    async def _answer(self, body: bytes, arrived: float) -> bytes:
        request = json.loads(body or b"{}")
        action, number = self._next(request)
        with self._lock:
            cached = cached_tokens(prompt_text(request), self.cache) if "messages" in request else 0
        if action.delay or self.latency:
            # the answer leaves `latency` after the request arrived, the server's own work included, as a real
            # endpoint's latency includes the model's work
            loop = asyncio.get_running_loop()
            await asyncio.sleep(max(0.0, arrived + action.delay + self.latency - loop.time()))
        headers = dict(action.headers)
        if action.status != 200:
            payload: dict[str, Any] = {"error": {"message": f"scripted {action.status}", "type": "scripted",
                                                 "code": headers.pop("x-error-code", None)}}
        else:
            payload = completion(request, action, number, cached)
        data = json.dumps(payload).encode()
        lines = [f"HTTP/1.1 {action.status} {_REASONS.get(action.status, 'Error')}", "content-type: application/json",
                 f"content-length: {len(data)}", f"{HEADER}: tests/model_server.py, scripted: {action.name}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep the connection open, as real endpoints do
                head = await reader.readuntil(b"\r\n\r\n")
                arrived = asyncio.get_running_loop().time()
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                writer.write(await self._answer(await reader.readexactly(length), arrived))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> ModelServer:
        """Start serving in a daemon thread; returns once the port is open."""
        ready = threading.Event()

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=256)
            self.port = int(server.sockets[0].getsockname()[1])
            ready.set()
            async with server:
                await self._stopped.wait()

        self._thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = self._stopped = self._thread = None


def main() -> None:
    """Serve until interrupted (for trying the command line by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--batch", type=Path, default=None, help="answer a Batch API requests file instead")
    parser.add_argument("-o", "--output", type=Path, default=None, help="where --batch writes its output")
    args = parser.parse_args()
    if args.batch is not None:
        requests = [json.loads(line) for line in args.batch.read_text(encoding="utf-8").splitlines() if line]
        lines = [json.dumps(r, ensure_ascii=False) for r in answer_batch(requests)]
        (args.output or args.batch.with_suffix(".output.jsonl")).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    server = ModelServer(args.port, latency=args.latency).start()
    print(f"scripted model server on {server.base_url} (answers with the rules' plan); Ctrl-C stops it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
