"""Soak: many letters through ``llmparse.parse_many(..., strategy="rules")`` in one process; does memory grow?

Feeds ``--letters`` texts (default 10,000) lazily to one ``parse_many`` call: the team's letters from
tests/data/letters, cycled, each varied a little (a numbered line after the last answer, and trailing spaces
on the first line) so that no two texts are equal and nothing can be served from a cache. Results are counted
and dropped. At each checkpoint (default after 1,000 and 10,000 letters) it prints the peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), the current RSS (/proc/self/statm, Linux only) and the
tracemalloc current and peak; then the growth between the first and the last checkpoint.

    python bench/soak.py [--letters 10000] [--checkpoints 1000 10000] [--no-tracemalloc] [--json]

tracemalloc makes the parses about twice as slow; ``--no-tracemalloc`` leaves it off (RSS only).
Needs no corpus, model or network.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]
LETTERS = REPO / "tests" / "data" / "letters"
MB = 1_000_000


def letters() -> list[str]:
    """The team's letters (.txt and .md), as texts."""
    paths = sorted(p for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")
    return [p.read_bytes().decode("utf-8") for p in paths]


def varied(texts: list[str], count: int) -> Iterator[str]:
    """``count`` texts: ``texts`` cycled, the k-th made unique by a numbered closing line and trailing spaces."""
    for k in range(count):
        text = texts[k % len(texts)]
        first, sep, rest = text.partition("\n")
        yield f"{first}{' ' * (k % 7)}{sep}{rest}\n\nToelichting: variant {k} van deze brief.\n"


def rss_now() -> int | None:
    """The current resident set size in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def max_rss() -> int:
    """The peak resident set size in bytes (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=int, default=10_000, help="letters to parse (default 10,000)")
    ap.add_argument("--checkpoints", type=int, nargs="+", default=[1_000, 10_000],
                    help="report after this many letters (default 1000 10000)")
    ap.add_argument("--no-tracemalloc", action="store_true", help="leave tracemalloc off")
    ap.add_argument("--json", action="store_true", help="print the numbers as one JSON line")
    args = ap.parse_args()
    checkpoints = sorted({c for c in args.checkpoints if 0 < c <= args.letters} | {args.letters})

    texts = letters()
    if not args.no_tracemalloc:
        tracemalloc.start()
    rows: list[dict[str, float | int | None]] = []
    errors: Counter[str] = Counter()
    done = 0
    t0 = time.perf_counter()
    for outcome in llmparse.parse_many(varied(texts, args.letters), strategy="rules"):
        done += 1
        if outcome.error_type is not None:
            errors[outcome.error_type] += 1
        del outcome
        if done in checkpoints:
            current, peak = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else (None, None)
            now = rss_now()
            row: dict[str, float | int | None] = {
                "letters": done, "seconds": round(time.perf_counter() - t0, 1),
                "max_rss_mb": round(max_rss() / MB, 1), "rss_mb": None if now is None else round(now / MB, 1),
                "traced_current_mb": None if current is None else round(current / MB, 2),
                "traced_peak_mb": None if peak is None else round(peak / MB, 2),
            }
            rows.append(row)
            if not args.json:
                traced = ("tracemalloc off" if current is None else
                          f"tracemalloc current {row['traced_current_mb']} MB, peak {row['traced_peak_mb']} MB")
                print(f"after {done:>7,} letters ({row['seconds']:>6} s): max RSS {row['max_rss_mb']} MB, "
                      f"RSS {row['rss_mb']} MB, {traced}", flush=True)
    first, last = rows[0], rows[-1]

    def growth(key: str) -> float | None:
        a, b = first[key], last[key]
        return None if a is None or b is None else round(b - a, 2)

    growths = {k: growth(k) for k in ("max_rss_mb", "rss_mb", "traced_current_mb", "traced_peak_mb")}
    report = {
        "llmparse": llmparse.__version__, "letters": done, "distinct_letters": len(texts),
        "errors": dict(errors), "checkpoints": rows,
        "growth": growths,
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"growth from {first['letters']:,} to {last['letters']:,} letters: " + ", ".join(
            f"{k} {v:+}" for k, v in growths.items() if v is not None))
        print(f"outcomes: {done:,} letters ({len(texts)} distinct texts, varied), errors: {dict(errors) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
