"""How much shorter the model's answer is when it sends a plan instead of copying the texts.

For every letter that a gold file names, this script builds two completions that describe the same letter:

- plan: the ``LetterPlan`` JSON a perfect model would send (``tests.plans.plan_from_gold``): numbers and
  line ranges for items and footnotes, cuts, and the short metadata.
- copying: what an instructor-style schema that copies the texts would need: the same metadata, plus every
  question and answer as ``{"numbers": [...], "text": ...}`` and every footnote as ``{"marker", "text"}``.
  The texts come from the Result assembled from that same plan.

Both are dumped compactly (``ensure_ascii=False``, no spaces). The prompt is the rendered system and user
message for the whole letter in one call. Sizes are counted in characters, and in tokens when ``tiktoken``
can load ``o200k_base`` or ``cl100k_base`` offline; otherwise the token figures are chars/4 estimates and are
labelled as such. No model is called and no network is needed.

    python bench/token_economy.py [--per-letter] [--json] [--gold DIR --letters DIR]

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository. Letters whose plan
cannot be derived or assembled are left out and listed on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llmparse
from llmparse._document import load_document
from llmparse._extraction._prompts import render_messages
from llmparse._layout import read_layout

REPO = Path(__file__).resolve().parents[1]
METADATA = ("kind", "reference", "subject", "askers", "respondents", "submitted_on", "received_on")


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def compact(value: Any) -> str:
    """JSON as a model would send it: UTF-8 text, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def load_tokenizer() -> tuple[str | None, Callable[[str], int] | None, str]:
    """An offline token counter: (encoding name, counter, note); the counter is None when none loads."""
    try:
        tiktoken: Any = importlib.import_module("tiktoken")
    except ImportError:
        return None, None, "tiktoken is not installed"
    errors: list[str] = []
    for name in ("o200k_base", "cl100k_base"):
        try:
            encoding = tiktoken.get_encoding(name)
        except Exception as exc:  # a missing cached file fails in many ways (network, OS, value)
            errors.append(f"{name}: {type(exc).__name__}")
            continue

        def count(text: str, encoding: Any = encoding) -> int:
            return len(encoding.encode(text, disallowed_special=()))

        return name, count, f"tiktoken {name}"
    return None, None, "tiktoken cannot load an encoding (" + "; ".join(errors) + ")"


@dataclass
class Row:
    """The sizes of one letter."""

    name: str
    plan: str
    copying: str
    prompt: str

    @property
    def ratio(self) -> float:
        return len(self.copying) / len(self.plan)


def measure(name: str, gold: dict[str, Any], letters: Path) -> Row:
    """Build the plan, the copying completion and the prompt of one letter."""
    from tests.plans import plan_from_gold  # the repository root is on sys.path (see main)

    document = load_document(letters / name)
    layout = read_layout(document)
    plan_json = plan_from_gold(layout, gold)
    letter = llmparse.parse_plan(letters / name, plan_json).letter
    copying: dict[str, Any] = {"kind": plan_json["kind"]}
    copying["questions"] = [{"numbers": list(q.numbers), "text": q.text} for q in letter.questions]
    copying["answers"] = [{"numbers": list(a.numbers), "text": a.text} for a in letter.answers]
    copying["footnotes"] = [{"marker": f.marker, "text": f.text} for f in letter.footnotes]
    copying.update({key: plan_json[key] for key in METADATA if key != "kind"})
    messages = render_messages(layout, 1, len(layout.document.lines))
    return Row(name, compact(plan_json), compact(copying), "".join(m["content"] for m in messages))


def median(values: list[int] | list[float]) -> float:
    return float(statistics.median(values))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=None, help="gold folder (default: SHARED/corpus/gold)")
    ap.add_argument("--letters", type=Path, default=None,
                    help="letters folder (default: SHARED/corpus/letters)")
    ap.add_argument("--per-letter", action="store_true", help="also print one row per letter")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON line")
    args = ap.parse_args()

    shared = shared_dir()
    if (args.gold is None or args.letters is None) and not shared.is_dir():
        print(f"token_economy: shared folder not found: {shared} (set LLMPARSE_SHARED to the folder that holds "
              "corpus/, or pass --gold DIR --letters DIR)", file=sys.stderr)
        return 2
    gold_dir: Path = args.gold or shared / "corpus" / "gold"
    letters: Path = args.letters or shared / "corpus" / "letters"
    for what, path in (("gold folder", gold_dir), ("letters folder", letters)):
        if not path.is_dir():
            print(f"token_economy: {what} not found: {path}", file=sys.stderr)
            return 2
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))

    golds = sorted(gold_dir.glob("*.gold.json"))
    if not golds:
        print(f"token_economy: no *.gold.json files in {gold_dir}", file=sys.stderr)
        return 2
    print(f"llmparse {llmparse.__version__}: {len(golds)} gold files from {gold_dir}, letters {letters}",
          file=sys.stderr)
    rows: list[Row] = []
    failed: list[tuple[str, str]] = []
    for gpath in golds:
        try:
            gold = json.loads(gpath.read_text(encoding="utf-8"))
            name = str(gold["file"])
        except (OSError, ValueError, KeyError) as exc:
            failed.append((gpath.name, f"{type(exc).__name__}: {exc}"))
            continue
        try:
            rows.append(measure(name, gold, letters))
        except (OSError, LookupError, ValueError, llmparse.LLMParseError) as exc:
            failed.append((name, f"{type(exc).__name__}: {exc}"))
    for name, error in failed:
        print(f"token_economy: left out {name}: {error}", file=sys.stderr)
    if not rows:
        print("token_economy: no letter could be measured", file=sys.stderr)
        return 2

    encoding, counter, note = load_tokenizer()
    estimated = counter is None

    def tokens(text: str) -> int:
        return counter(text) if counter is not None else round(len(text) / 4)

    columns = {
        "plan": [r.plan for r in rows],
        "copying": [r.copying for r in rows],
        "prompt": [r.prompt for r in rows],
    }
    chars = {k: [len(t) for t in v] for k, v in columns.items()}
    toks = {k: [tokens(t) for t in v] for k, v in columns.items()}
    ratios = [r.ratio for r in rows]
    tok_ratios = [c / p for c, p in zip(toks["copying"], toks["plan"], strict=True) if p]
    tok = "tokens" if not estimated else "~tokens"

    report: dict[str, Any] = {
        "llmparse": llmparse.__version__,
        "letters": len(rows),
        "failed": len(failed),
        "tokenizer": encoding,
        "tokens_estimated": estimated,
    }
    for key in columns:
        report[f"{key}_chars_total"] = sum(chars[key])
        report[f"{key}_chars_median"] = median(chars[key])
        report[f"{key}_tokens_total"] = sum(toks[key])
        report[f"{key}_tokens_median"] = median(toks[key])
    report["ratio_chars_total"] = round(sum(chars["copying"]) / sum(chars["plan"]), 2)
    report["ratio_chars_median"] = round(median(ratios), 2)
    report["ratio_tokens_total"] = round(sum(toks["copying"]) / sum(toks["plan"]), 2)
    report["ratio_tokens_median"] = round(median(tok_ratios), 2)

    if args.per_letter and not args.json:
        width = max(len(r.name) for r in rows)
        print(f"{'letter':<{width}}  {'plan':>7} {'copying':>8} {'ratio':>6}  {'prompt':>7}   "
              f"{tok + ':':<8} {'plan':>6} {'copying':>8} {'prompt':>7}")
        for i, r in enumerate(rows):
            print(f"{r.name:<{width}}  {chars['plan'][i]:>7} {chars['copying'][i]:>8} {r.ratio:>5.1f}x  "
                  f"{chars['prompt'][i]:>7}   {'':<8} {toks['plan'][i]:>6} {toks['copying'][i]:>8} "
                  f"{toks['prompt'][i]:>7}")
        print()
    if args.json:
        print(json.dumps(report))
        return 0

    print(f"corpus   {len(rows)} letters ({len(failed)} left out), llmparse {llmparse.__version__}; "
          "prompt = system + user message for the whole letter in one call")
    if estimated:
        print(f"tokens   unavailable: {note}; ~tokens below are ESTIMATES (chars/4), not counts")
    else:
        print(f"tokens   counted with {note}")
    print(f"{'':<9}{'chars total':>12} {'median':>8}   {tok + ' total':>14} {'median':>8}")
    for key in columns:
        print(f"{key:<9}{sum(chars[key]):>12,} {median(chars[key]):>8,.0f}   {sum(toks[key]):>14,} "
              f"{median(toks[key]):>8,.0f}")
    print(f"ratio    copying/plan in chars: {report['ratio_chars_total']:.2f}x over the corpus (sum/sum), "
          f"median per letter {report['ratio_chars_median']:.2f}x")
    if not estimated:
        print(f"{'':<9}in {tok}: {report['ratio_tokens_total']:.2f}x over the corpus, "
              f"median per letter {report['ratio_tokens_median']:.2f}x")
    return 0

if __name__ == "__main__":
    sys.exit(main())
