"""Concurrency of the model path, and the rules path in one process against a process pool.

Part 1 starts the test suite's scripted model server (tests/model_server.py) in a subprocess with a fixed
latency per answer (200 ms by default), then parses N letters (200 by default, the team's own short letters
in tests/data/letters that need one call each, cycled) with ``llmparse.parse_many(strategy="llm")`` at
concurrency 1, 4 and 16. It prints the wall time against the ideal ``N x latency / concurrency`` as a ratio:
1.00 means the batch only waits for the model; what is above is llmparse's own overhead and queuing. Each
level first sends the same requests without llmparse (plain httpx2, "transport only"): the floor that the
server and HTTP alone give. One untimed pass beforehand lets the server work out each letter's answer once.

Part 2 parses every corpus letter (../shared/corpus/letters) with the rules in this process and in a
``ProcessPoolExecutor`` with one worker per core, and prints both times.

    python bench/concurrency.py [--letters 200] [--latency 0.2] [--concurrency 1 4 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import llmparse  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the scripted server did not start on port {port}")


def model_path(n: int, latency: float, levels: list[int]) -> None:
    # letters the scripted model plans right the first time, so that N letters are N calls; a letter the
    # rules leave with errors (a truncated one) is sent back once with feedback, which is another test's matter
    letters = sorted(p for p in (ROOT / "tests" / "data" / "letters").iterdir()
                     if p.suffix in (".txt", ".md") and p.name != "README.md"
                     and llmparse.parse(p, strategy="rules").ok)
    texts = [letters[k % len(letters)].read_text(encoding="utf-8") for k in range(n)]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.model_server", "--port", str(port), "--latency",
                               str(latency)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        # one untimed pass over the distinct letters: the server works out each letter's plan once (a real model
        # spends its latency instead), the client imports and opens its connections
        distinct = texts[: len(letters)]
        asyncio.run(_transport_only(port, distinct, 16))
        list(llmparse.parse_many(distinct[:16], concurrency=16, strategy="llm",
                                 llm=llmparse.LLMExtractor("scripted", base_url=f"http://127.0.0.1:{port}/v1",
                                                           api_key="bench")))
        print(f"model path: {n} letters, {latency * 1000:.0f} ms per answer, scripted server on port {port}")
        print(f"{'concurrency':>11} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'calls':>6} {'failed':>6}")
        for level in levels:
            wall = asyncio.run(_transport_only(port, texts, level))
            ideal = n * latency / level
            print(f"{level:>11} {wall:>8.2f} {ideal:>8.2f} {wall / ideal:>6.2f} {'':>6} {'':>6}  transport only")
            llm = llmparse.LLMExtractor("scripted", base_url=f"http://127.0.0.1:{port}/v1", api_key="bench",
                                        timeout=60)
            start = time.perf_counter()
            outcomes = list(llmparse.parse_many(texts, concurrency=level, strategy="llm", llm=llm))
            wall = time.perf_counter() - start
            ideal = n * latency / level
            calls = sum(o.result.usage.llm_calls for o in outcomes if o.result is not None)
            failed = sum(1 for o in outcomes if o.result is None)
            print(f"{level:>11} {wall:>8.2f} {ideal:>8.2f} {wall / ideal:>6.2f} {calls:>6} {failed:>6}  llmparse")
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _transport_only(port: int, texts: list[str], level: int) -> float:
    """The same requests posted without llmparse: what the server and HTTP alone cost (the floor)."""
    import httpx2

    from llmparse._document import load_document
    from llmparse._extraction._prompts import render_messages
    from llmparse._extraction._schema import LetterPlan
    from llmparse._layout import read_layout

    # the body llmparse sends in tools mode: the same messages, tool, tool choice and settings
    tool = {"type": "function", "function": LetterPlan.openai_schema}
    bodies: list[dict[str, object]] = []
    for text in texts:
        layout = read_layout(load_document(text))
        bodies.append({"model": "scripted", "messages": render_messages(layout, 1, len(layout.lines)),
                       "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "LetterPlan"}},
                       "temperature": 0, "max_tokens": 4000})
    gate = asyncio.Semaphore(level)
    async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}/v1", timeout=60) as client:

        async def post(body: dict[str, object]) -> None:
            async with gate:
                (await client.post("/chat/completions", json=body)).raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(post(b) for b in bodies))
        return time.perf_counter() - start


def _rules(path: Path) -> int:
    return len(llmparse.parse(path, strategy="rules").letter.questions)


def rules_path() -> None:
    shared = Path(os.environ.get("LLMPARSE_SHARED", ROOT.parent / "shared"))
    paths = sorted((shared / "corpus" / "letters").glob("*"))
    if not paths:
        print(f"rules path: skipped, no corpus at {shared}")
        return
    start = time.perf_counter()
    one = [_rules(p) for p in paths]
    single = time.perf_counter() - start
    workers = os.cpu_count() or 1
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pooled = list(pool.map(_rules, paths, chunksize=8))
    pool_time = time.perf_counter() - start
    assert one == pooled
    print(f"rules path: {len(paths)} corpus letters; one process {single:.2f} s; "
          f"process pool of {workers} {pool_time:.2f} s (pool start-up included)")


def main() -> int:
    """Run both parts and print their figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--letters", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    args = ap.parse_args()
    model_path(args.letters, args.latency, args.concurrency)
    rules_path()
    return 0


if __name__ == "__main__":
    sys.exit(main())
