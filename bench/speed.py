"""Speed of ``llmparse.parse(text, strategy="rules")`` on the real letters, next to a one-regex baseline.

Reads every letter in the corpus letters folder into memory, parses each once to warm up, then times the
whole corpus ``--repeat`` times with ``time.perf_counter``, one measurement per letter per pass. The
baseline times a single regular-expression pass (lines that start with Vraag or Antwoord) over the same
texts the same way, so the ratio says how much more than "read the text once" the parser costs. The two
alternate pass by pass (a pass of parses, then a pass of the baseline, ``--repeat`` times), so on a shared
machine both see the same load and the ratio holds steadier than the absolute times.

    python bench/speed.py [--repeat N] [--json] [--letters DIR]

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository. Letters that raise
``llmparse.LLMParseError`` in the warm-up are left out of both timings and listed on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]
BASELINE = re.compile(r"(?m)^\s*(?:Vraag|Antwoord)\b.*$")


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def percentile(sorted_ms: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0 < q <= 100) of an ascending, non-empty list."""
    return sorted_ms[max(0, math.ceil(q / 100 * len(sorted_ms)) - 1)]


def time_each(texts: list[str], repeat: int,
              fns: tuple[Callable[[str], object], ...]) -> list[tuple[list[float], float]]:
    """Time ``repeat`` passes of each of ``fns`` over every text, the functions taking turns pass by pass; return,
    per function, the per-call times in ms and their total in s."""
    samples: list[list[float]] = [[] for _ in fns]
    clock = time.perf_counter
    for _ in range(repeat):
        for fn, out in zip(fns, samples, strict=True):
            for text in texts:
                t0 = clock()
                fn(text)
                out.append((clock() - t0) * 1000.0)
    return [(ms, sum(ms) / 1000.0) for ms in samples]


def parse_rules(text: str) -> llmparse.Result:
    """The measured call."""
    return llmparse.parse(text, strategy="rules")


def regex_pass(text: str) -> list[str]:
    """The baseline: one regular-expression pass over the text."""
    return BASELINE.findall(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=Path, default=None,
                    help="letters folder (default: SHARED/corpus/letters)")
    ap.add_argument("--repeat", type=int, default=5, help="passes over the whole corpus (default 5)")
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON line")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    shared = shared_dir()
    if args.letters is None and not shared.is_dir():
        print(f"speed: shared folder not found: {shared} (set LLMPARSE_SHARED to the folder that holds "
              "corpus/, or pass --letters DIR)", file=sys.stderr)
        return 2
    folder: Path = args.letters or shared / "corpus" / "letters"
    if not folder.is_dir():
        print(f"speed: letters folder not found: {folder}", file=sys.stderr)
        return 2
    paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    letters = {p.name: p.read_text(encoding="utf-8") for p in paths}

    # Warm-up: one parse per letter (imports, regex caches); it also finds the letters that raise.
    failed: dict[str, str] = {}
    for name, text in letters.items():
        try:
            parse_rules(text)
        except llmparse.LLMParseError as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
    for name, error in failed.items():
        print(f"speed: left out {name}: {error}", file=sys.stderr)
    names = [n for n in letters if n not in failed]
    texts = [letters[n] for n in names]
    if not texts:
        print(f"speed: no parsable letters in {folder}", file=sys.stderr)
        return 2
    for text in texts:
        regex_pass(text)

    (parse_ms, parse_s), (regex_ms, regex_s) = time_each(texts, args.repeat, (parse_rules, regex_pass))

    chars = sum(len(t) for t in texts)
    mbytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    calls = len(parse_ms)
    slowest = max(range(calls), key=parse_ms.__getitem__)
    ordered = sorted(parse_ms)
    parse_median = statistics.median(parse_ms)
    regex_median = statistics.median(regex_ms)
    report = {
        "llmparse": llmparse.__version__,
        "strategy": "rules",
        "letters": len(texts),
        "failed": len(failed),
        "repeat": args.repeat,
        "chars": chars,
        "letters_per_s": round(calls / parse_s, 2),
        "ms_median": round(parse_median, 3),
        "ms_p95": round(percentile(ordered, 95), 3),
        "ms_max": round(ordered[-1], 3),
        "slowest": names[slowest % len(names)],
        "mb_per_s": round(mbytes * args.repeat / parse_s, 3),
        "regex_letters_per_s": round(calls / regex_s, 1),
        "regex_ms_median": round(regex_median, 4),
        "regex_mb_per_s": round(mbytes * args.repeat / regex_s, 1),
        "ratio_parse_regex": round(parse_median / regex_median, 1) if regex_median else None,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    ratio = report["ratio_parse_regex"]
    print(f"corpus   {len(texts)} letters ({len(failed)} left out), {chars:,} chars ({mbytes:.2f} MB UTF-8), "
          f"repeat {args.repeat}, llmparse {llmparse.__version__}")
    print(f"parse    {report['letters_per_s']:>9.1f} letters/s  {report['mb_per_s']:>7.2f} MB/s   ms/letter "
          f"median {report['ms_median']:.2f}  p95 {report['ms_p95']:.2f}  max {report['ms_max']:.2f} "
          f"({report['slowest']})")
    print(f"regex    {report['regex_letters_per_s']:>9.1f} letters/s  {report['regex_mb_per_s']:>7.1f} MB/s   "
          f"ms/letter median {regex_median:.4f}")
    print(f"ratio    parse/regex (median ms per letter) {ratio}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
