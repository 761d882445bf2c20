"""Does ``llmparse.parse(text, strategy="rules")`` take linear time? Time per MB for growing sizes of odd shapes.

Builds letters of four pathological shapes at growing sizes (default 0.5, 1, 2 and 4 MB of UTF-8), parses each
with ``strategy="rules"`` and ``max_chars`` raised to fit, and prints the seconds per MB at every size and the
ratio of the largest size's seconds per MB to the smallest's: 1.0 is linear time, the target is at most 1.5.
Then it parses the largest size of each shape once more under ``tracemalloc`` for the peak of Python memory.

Shapes:
  short-lines  one answer of many short lines ("ja", "nee", ...)
  long-line    one answer that is a single line
  headings     Vraag N / Antwoord N pairs with short texts, every label unique (1..9999, then 1a..9999a, ...)
  letter       a realistic letter (tests/data/letters/syn01-...) repeated, pages apart

    python bench/scaling.py [--sizes 0.5 1 2 4] [--shapes headings letter] [--repeat N] [--json]
    python bench/scaling.py --profile headings     # cProfile of the largest size of one shape

Needs no corpus, model or network. The time is the best of ``--repeat`` runs (default 2), each after a
``gc.collect()``. Python's cyclic garbage collector makes a single run noisy at the larger sizes: its full
collections walk every live object, and a parse of a 4 MB text keeps a few hundred thousand alive.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]
LETTER = REPO / "tests" / "data" / "letters" / "syn01-aanhangsel-basic.pdftotext.txt"
MB = 1_000_000  # bytes of UTF-8, as in speed.py

HEAD = (
    "Antwoorden van de Minister van Infrastructuur en Waterstaat op vragen van het lid Van Amstel (Fietsbelang) "
    "over gladde fietspaden op dijken (ingezonden 12 januari 2024).\n\n"
)


def _fill(prefix: str, unit: Callable[[int], str], size: int, suffix: str = "") -> str:
    """``prefix`` + ``unit(0)`` + ``unit(1)`` + ... until the UTF-8 size reaches ``size`` bytes, + ``suffix``."""
    parts = [prefix]
    total = len(prefix.encode("utf-8")) + len(suffix.encode("utf-8"))
    k = 0
    while total < size:
        piece = unit(k)
        parts.append(piece)
        total += len(piece.encode("utf-8"))
        k += 1
    parts.append(suffix)
    return "".join(parts)


_SHORT = ("ja", "nee", "x", "Ok.", "wel", "—")


def short_lines(size: int) -> str:
    """One answer made of many short lines."""
    return _fill(HEAD + "Vraag 1\nHoe vaak?\n\nAntwoord 1\n", lambda k: _SHORT[k % len(_SHORT)] + "\n", size)


def long_line(size: int) -> str:
    """One answer that is a single line."""
    return _fill(HEAD + "Vraag 1\nWaarom?\n\nAntwoord 1\n", lambda k: "Dit is een heel lang antwoord zonder einde, ",
                 size, "\n")


def _label(k: int) -> str:
    cycle, n = divmod(k, 9999)
    return f"{n + 1}{'' if cycle == 0 else chr(ord('a') + cycle - 1)}"


def headings(size: int) -> str:
    """Many Vraag N / Antwoord N pairs, each label printed once."""
    return _fill(HEAD, lambda k: f"Vraag {_label(k)}\nHoeveel bomen zijn gekapt?\n\nAntwoord {_label(k)}\n"
                 "Honderd.\n\n", size)


def letter(size: int) -> str:
    """A realistic letter repeated, copies a page apart (so numbers repeat too)."""
    text = LETTER.read_text(encoding="utf-8")
    return _fill("", lambda k: text + "\f", size)


SHAPES: dict[str, Callable[[int], str]] = {
    "short-lines": short_lines, "long-line": long_line, "headings": headings, "letter": letter,
}


def parse(text: str) -> llmparse.Result:
    """The measured call."""
    return llmparse.parse(text, strategy="rules", max_chars=len(text) + 1)


def best_time(text: str, repeat: int) -> float:
    """The best of ``repeat`` parse times, in seconds (the garbage of earlier runs collected first)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - t0)
    return best


def peak_memory(text: str) -> int:
    """The tracemalloc peak (bytes) of one parse, the text itself not counted."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        parse(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def profile(shape: str, size: int) -> None:
    """Print the cProfile of one parse of ``shape`` at ``size`` bytes: the top functions by own time."""
    text = SHAPES[shape](size)
    prof = cProfile.Profile()
    prof.enable()
    parse(text)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(25)
    print(f"profile  {shape} at {size / MB:g} MB")
    print(out.getvalue())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 4], help="sizes in MB (default 0.5 1 2 4)")
    ap.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES), help="shapes to run")
    ap.add_argument("--repeat", type=int, default=2, help="parses per size; the best time counts (default 2)")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    ap.add_argument("--json", action="store_true", help="print one JSON line per shape")
    ap.add_argument("--profile", choices=sorted(SHAPES), help="only profile this shape at the largest size")
    args = ap.parse_args()
    sizes = sorted(int(s * MB) for s in args.sizes)
    if not sizes or sizes[0] <= 0 or args.repeat < 1:
        ap.error("sizes must be positive and --repeat at least 1")
    if args.profile:
        profile(args.profile, sizes[-1])
        return 0

    parse(letter(10_000))  # warm-up: imports and regex caches
    if not args.json:
        print(f"llmparse {llmparse.__version__}, strategy rules, best of {args.repeat}, MB = 10^6 bytes of UTF-8")
    worst = 0.0
    for name in args.shapes:
        rows = []
        for size in sizes:
            text = SHAPES[name](size)
            mb = len(text.encode("utf-8")) / MB
            seconds = best_time(text, args.repeat)
            rows.append({"mb": round(mb, 3), "lines": text.count("\n") + text.count("\f") + 1,
                         "s": round(seconds, 3), "s_per_mb": round(seconds / mb, 3)})
            if not args.json:
                print(f"{name:12s} {mb:6.2f} MB {rows[-1]['lines']:>9,} lines {seconds:8.2f} s "
                      f"{seconds / mb:7.2f} s/MB", flush=True)
        ratio = rows[-1]["s_per_mb"] / rows[0]["s_per_mb"]
        worst = max(worst, ratio)
        peak = None if args.no_memory else peak_memory(SHAPES[name](sizes[-1]))
        report = {"shape": name, "sizes": rows, "ratio": round(ratio, 2),
                  "peak_mb": None if peak is None else round(peak / MB, 1)}
        if args.json:
            print(json.dumps(report), flush=True)
        else:
            verdict = "linear" if ratio <= 1.5 else "SUPERLINEAR (target <= 1.5)"
            memory = "" if peak is None else f"; tracemalloc peak at {rows[-1]['mb']:g} MB: {peak / MB:.1f} MB"
            print(f"{name:12s} ratio s/MB {rows[-1]['mb']:g} MB / {rows[0]['mb']:g} MB = {ratio:.2f} ({verdict})"
                  f"{memory}", flush=True)
    return 0 if worst <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
