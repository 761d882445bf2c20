"""Where the rules path spends its time: the median and total ms per letter of each pipeline stage.

Runs the same stages as ``llmparse.parse(text, strategy="rules")`` one by one on every corpus letter (read into
memory first, one warm-up pass), timing each with ``time.perf_counter``: reading and normalising the text
(``load_document``), the Layout, the rules extractor, assembly, the checks (each one apart); then the whole
``parse`` call, and ``other``: what it costs beyond those stages (choosing the extractor, the findings, the
Result). Use it to find what to make faster; ``speed.py`` gives the figure that counts.

    python bench/stages.py [--repeat N] [--letters DIR]

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import llmparse
from llmparse import _checks
from llmparse._assembly import assemble
from llmparse._document import load_document
from llmparse._extraction import RulesExtractor
from llmparse._layout import read_layout

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def stages(text: str, times: dict[str, list[float]]) -> None:
    """Run the rules path's stages on ``text``, adding each stage's time in ms to ``times``."""
    clock = time.perf_counter
    t0 = clock()
    document = load_document(text)
    t1 = clock()
    layout = read_layout(document)
    t2 = clock()
    extraction = RulesExtractor().extract(document, layout)
    t3 = clock()
    letter = assemble(layout, extraction.plan)
    t4 = clock()
    for check in _checks.CHECKS:
        c0 = clock()
        check(layout, letter)
        times[check.__name__].append((clock() - c0) * 1000)
    t5 = clock()
    llmparse.parse(text, strategy="rules")
    t6 = clock()
    times["load_document"].append((t1 - t0) * 1000)
    times["read_layout"].append((t2 - t1) * 1000)
    times["extract"].append((t3 - t2) * 1000)
    times["assemble"].append((t4 - t3) * 1000)
    times["checks"].append((t5 - t4) * 1000)
    times["parse (all)"].append((t6 - t5) * 1000)
    times["other"].append(((t6 - t5) - (t5 - t0)) * 1000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--letters", type=Path, default=None, help="letters folder (default: SHARED/corpus/letters)")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the whole corpus (default 3)")
    args = ap.parse_args()
    folder: Path = args.letters or shared_dir() / "corpus" / "letters"
    if not folder.is_dir():
        print(f"stages: letters folder not found: {folder}", file=sys.stderr)
        return 2
    texts = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        text = path.read_text(encoding="utf-8")
        try:
            llmparse.parse(text, strategy="rules")
        except llmparse.LLMParseError:
            continue
        texts.append(text)
    warm: dict[str, list[float]] = defaultdict(list)
    for text in texts:
        stages(text, warm)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.repeat):
        for text in texts:
            stages(text, times)
    print(f"{len(texts)} letters, repeat {args.repeat}; ms per letter")
    print(f"{'stage':24s} {'median':>8s} {'mean':>8s}")
    for name, ms in times.items():
        print(f"{name:24s} {statistics.median(ms):8.3f} {statistics.fmean(ms):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
