"""What a letter costs on the model path, in tokens: the requests llmparse really sends, one clean call per letter.

For every letter that a gold file names, the script parses the letter with ``llmparse.parse(strategy="llm")``
against the suite's scripted server (tests/model_server.py, in this process, on a free port), which answers
with the plan a perfect model would send (``tests.plans.plan_from_gold``). It records each request body as
the server received it and counts, per letter:

- prompt: the schema (the tool), the system prompt and the user message, as the request carries them;
- cacheable prefix: the bytes every letter's request shares (schema, system prompt, the user message up to the
  letter), which an endpoint's prompt cache serves after the first call of a run;
- completion: the plan, dumped compactly;
- letter: the letter's own text;
- copying: what an instructor-style schema that copies the texts would need as its completion (the same
  metadata, every question and answer as ``{"numbers", "text"}``, every footnote as ``{"marker", "text"}``,
  the texts taken from the Result);
- re-ask: the same letter again, the first plan wrong (an item's lines outside the letter), so the plan goes
  back with feedback: the re-ask's prompt + completion relative to the first call's.

Tokens are counted with tiktoken's o200k_base when the ``tokens`` extra is installed (``pip install
'.[tokens]'``), else estimated as chars/4; the output says which. No model and no network are needed.

    python bench/token_economy.py [--per-letter] [--json] [--estimate] [--price USD] [--gold DIR --letters DIR]

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository. Letters whose plan cannot be
derived or parsed are left out and listed on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llmparse

REPO = Path(__file__).resolve().parents[1]
METADATA = ("reference", "subject", "askers", "respondents", "submitted_on", "received_on")


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def compact(value: Any) -> str:
    """JSON as a model would send it: UTF-8 text, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Row:
    """One letter's texts: its prompt (of the clean call), completion, letter, copying, and the re-ask's."""

    name: str
    prompt: str
    plan: str
    letter: str
    copying: str
    reask_prompt: str | None


def wrong(plan: dict[str, Any], lines: int) -> dict[str, Any] | None:
    """The plan with its first item's lines moved past the letter's end (always sent back), or None."""
    for part in ("questions", "answers"):
        if plan[part]:
            items = [dict(it) for it in plan[part]]
            items[0].update(first=lines + 100, last=lines + 120)
            return {**plan, part: items}
    return None


def measure(server: Any, llm: llmparse.LLMExtractor, path: Path, gold: dict[str, Any]) -> Row:
    """Parse one letter cleanly and once with a re-ask; the texts of both requests."""
    from tests.model_server import Action, wire
    from tests.plans import plan_from_gold

    clean = llmparse.parse(path, strategy="rules")  # for the layout only: the line count and the letter's text
    text = clean.text
    layout = _layout(text)
    plan = plan_from_gold(layout, gold)
    server.script(Action("gold-plan", plan=plan))
    result = llmparse.parse(text, strategy="llm", llm=llm)
    prompt = body_text(server.requests[0])  # the first call (the review may send even a right plan back)
    letter = result.letter
    copying: dict[str, Any] = {"kind": plan["kind"]}
    copying["questions"] = [{"numbers": list(q.numbers), "text": q.text} for q in letter.questions]
    copying["answers"] = [{"numbers": list(a.numbers), "text": a.text} for a in letter.answers]
    copying["footnotes"] = [{"marker": f.marker, "text": f.text} for f in letter.footnotes]
    copying.update({key: plan[key] for key in METADATA})
    reask = None
    bad = wrong(plan, len(layout.lines))
    if bad is not None:
        server.script(Action("wrong-plan", plan=bad), Action("gold-plan", plan=plan))
        llmparse.parse(text, strategy="llm", llm=llm)
        if len(server.requests) >= 2:
            reask = body_text(server.requests[1])
    return Row(path.name, prompt, compact(wire(plan)), text, compact(copying), reask)  # the plan as sent


def body_text(request: dict[str, Any]) -> str:
    """What a request's prompt holds, in the order an endpoint reads it: the schema (tool or response format),
    then each message's text and the tool calls it carries (a re-ask resends the wrong plan)."""
    out = [compact(request.get("tools") or request.get("response_format") or "")]
    for message in request["messages"]:
        out.append(str(message.get("content") or ""))
        out.extend(call["function"]["arguments"] for call in message.get("tool_calls") or [])
    return "".join(out)


def _layout(text: str) -> Any:
    # tests.plans works on the layout, as the model sees the letter; the same reading llmparse.parse makes
    from llmparse._document import load_document
    from llmparse._layout import read_layout

    return read_layout(load_document(text))


def common_prefix(texts: list[str]) -> str:
    """The longest start every text shares."""
    first = min(texts)
    last = max(texts)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=None, help="gold folder (default: SHARED/corpus/gold)")
    ap.add_argument("--letters", type=Path, default=None, help="letters folder (default: SHARED/corpus/letters)")
    ap.add_argument("--per-letter", action="store_true", help="also print one row per letter")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    ap.add_argument("--estimate", action="store_true", help="count chars/4 even where tiktoken is installed")
    ap.add_argument("--price", type=float, default=0.40,
                    help="an assumed input price in USD per million tokens (cached input at a quarter of it, output "
                         "at four times it); default 0.40, gpt-4.1-mini's list price when this was written")
    args = ap.parse_args()

    shared = shared_dir()
    gold_dir: Path = args.gold or shared / "corpus" / "gold"
    letters: Path = args.letters or shared / "corpus" / "letters"
    for what, path in (("gold folder", gold_dir), ("letters folder", letters)):
        if not path.is_dir():
            print(f"token_economy: {what} not found: {path} (set LLMPARSE_SHARED to the folder that holds corpus/, "
                  "or pass --gold DIR --letters DIR)", file=sys.stderr)
            return 2
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from llmparse._extraction._prompts import tokenizer  # the counter the library itself uses
    from tests.model_server import ModelServer

    golds = sorted(gold_dir.glob("*.gold.json"))
    if not golds:
        print(f"token_economy: no *.gold.json files in {gold_dir}", file=sys.stderr)
        return 2
    print(f"llmparse {llmparse.__version__}: {len(golds)} gold files from {gold_dir}, letters {letters}",
          file=sys.stderr)
    server = ModelServer(free_port()).start()
    # one call per letter: the openai profile's window holds every corpus letter
    llm = llmparse.LLMExtractor("scripted", base_url=server.base_url, api_key="bench", profile="openai",
                                retry=llmparse.RetryPolicy(max_attempts=1))
    rows: list[Row] = []
    failed: list[tuple[str, str]] = []
    try:
        for gpath in golds:
            try:
                gold = json.loads(gpath.read_text(encoding="utf-8"))
                rows.append(measure(server, llm, letters / str(gold["file"]), gold))
            except (OSError, LookupError, ValueError, llmparse.LLMParseError) as exc:
                failed.append((gpath.name, f"{type(exc).__name__}: {exc}"))
    finally:
        llm.close()
        server.stop()
    for name, error in failed:
        print(f"token_economy: left out {name}: {error}", file=sys.stderr)
    if not rows:
        print("token_economy: no letter could be measured", file=sys.stderr)
        return 2

    counter = tokenizer()
    if args.estimate:
        counter = counter._replace(name="chars/4", exact=False, count=lambda text: (len(text) + 3) // 4)
    count = counter.count
    label = f"tiktoken {counter.name}" if counter.exact else "ESTIMATES (chars/4), not counts"
    prefix = common_prefix([r.prompt for r in rows])
    fixed = count(prefix)
    n = len(rows)
    prompt = [count(r.prompt) for r in rows]
    rest = [count(r.prompt[len(prefix):]) for r in rows]
    plan = [count(r.plan) for r in rows]
    letter = [count(r.letter) for r in rows]
    copying = [count(r.copying) for r in rows]
    raw = [(p + c) / t for p, c, t in zip(prompt, plan, letter, strict=True)]
    cached = [(v + c + fixed / n) / t for v, c, t in zip(rest, plan, letter, strict=True)]
    reasks = [(count(r.reask_prompt) + c) / (p + c) for r, p, c in zip(rows, prompt, plan, strict=True)
              if r.reask_prompt is not None]
    # a letter whose first plan goes back costs both calls
    with_reask = [1 + x for x in reasks]
    # cost of the run: the prefix read once at full price, then from the cache at a quarter; output at 4x
    full = sum(rest) + fixed
    from_cache = fixed * (n - 1)
    dollars = (full * args.price + from_cache * args.price / 4 + sum(plan) * args.price * 4) / 1e6
    report: dict[str, Any] = {
        "llmparse": llmparse.__version__, "letters": n, "failed": len(failed), "tokenizer": counter.name,
        "tokens_estimated": not counter.exact, "prefix_tokens": fixed,
        "prompt_tokens_median": median([float(p) for p in prompt]),
        "completion_tokens_median": median([float(c) for c in plan]),
        "letter_tokens_median": median([float(t) for t in letter]),
        "per_letter_ratio_cached_median": round(median(cached), 2),
        "per_letter_ratio_raw_median": round(median(raw), 2),
        "cacheable_share": round(fixed * n / sum(prompt), 3),
        "copying_over_plan_tokens": round(sum(copying) / sum(plan), 2),
        "copying_over_plan_chars": round(sum(len(r.copying) for r in rows) / sum(len(r.plan) for r in rows), 2),
        "reask_over_first_median": round(median(reasks), 2) if reasks else None,
        "letter_with_reask_over_clean_median": round(median(with_reask), 2) if reasks else None,
        "price_per_million_input": args.price, "usd_per_1000_letters": round(dollars / n * 1000, 3),
    }

    if args.per_letter and not args.json:
        width = max(len(r.name) for r in rows)
        print(f"{'letter':<{width}} {'letter':>7} {'prompt':>7} {'plan':>6} {'raw':>6} {'cached':>7} {'copying':>8}")
        for i, r in enumerate(rows):
            print(f"{r.name:<{width}} {letter[i]:>7} {prompt[i]:>7} {plan[i]:>6} {raw[i]:>5.2f}x {cached[i]:>6.2f}x "
                  f"{copying[i]:>8}")
        print()
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"corpus     {n} letters ({len(failed)} left out), one clean call each, llmparse {llmparse.__version__}")
    print(f"tokens     {label}")
    print(f"prefix     {fixed:,} tokens shared by every request (schema, system prompt, user message up to the "
          "letter)")
    print(f"median     letter {report['letter_tokens_median']:,.0f}, prompt {report['prompt_tokens_median']:,.0f}, "
          f"completion {report['completion_tokens_median']:,.0f} tokens")
    print(f"per letter (prompt + completion) / letter, median: {report['per_letter_ratio_cached_median']:.2f}x with "
          f"the prefix counted once per run; {report['per_letter_ratio_raw_median']:.2f}x raw")
    print(f"cacheable  {report['cacheable_share']:.1%} of all prompt tokens are the shared prefix")
    print(f"plan       copying the texts would take {report['copying_over_plan_tokens']:.2f}x the plan's tokens "
          f"({report['copying_over_plan_chars']:.2f}x its characters)")
    if reasks:
        print(f"re-ask     a re-ask call costs {report['reask_over_first_median']:.2f}x the first call, so a letter "
              f"with one re-ask {report['letter_with_reask_over_clean_median']:.2f}x a clean one (medians, "
              f"{len(reasks)} letters; the re-ask resends the conversation, the wrong plan and the feedback)")
    print(f"cost       ${report['usd_per_1000_letters']:.2f} per 1,000 letters at ${args.price:.2f} per million input "
          f"tokens (cached ${args.price / 4:.2f}, output ${args.price * 4:.2f}); an estimate, tokens "
          f"{'counted with tiktoken ' + counter.name if counter.exact else 'estimated as chars/4'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
