"""Accuracy of the rules strategy on a held-out set of letters, scored by the shared scorer.

Two sets, each written for this measurement without reading llmparse's parsing code, with their gold in
``<folder>/gold``: ``--set unseen`` (the default), the 30 letters in ``tests/data/unseen`` (see its
README.md), and ``--set holdout``, the 24 letters in ``tests/data/holdout`` (see its README.md), written
after the first set had been used to tune the rules. This runs them exactly as ``../shared/eval/run.sh``
runs the corpus: ``llmparse parse FILES --format json --out DIR --strategy rules`` (the command line on
PATH's interpreter, ``python -m llmparse``), then ``score.py --gold ... --pred DIR``, and prints the
scorer's output unchanged.

    python bench/unseen.py [--set unseen|holdout] [--per-letter] [--json]

The scorer is ``$LLMPARSE_SHARED/eval/score.py``, or ``../shared/eval/score.py`` next to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UNSEEN = REPO / "tests" / "data" / "unseen"
GOLD = UNSEEN / "gold"
#: The held-out sets by name: the folder that holds the letters (their gold is in ``<folder>/gold``).
SETS = {"unseen": UNSEEN, "holdout": REPO / "tests" / "data" / "holdout"}


def scorer_path() -> Path:
    """The shared scorer: ``$LLMPARSE_SHARED/eval/score.py``, or ``<repo>/../shared/eval/score.py``."""
    shared = Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))
    return shared / "eval" / "score.py"


def letter_files(gold: Path = GOLD, letters: Path = UNSEEN) -> list[Path]:
    """The letter each ``*.gold.json`` names (its ``file`` field), in the scorer's order."""
    return [letters / str(json.loads(g.read_text(encoding="utf-8"))["file"]) for g in sorted(gold.glob("*.gold.json"))]


def parse_letters(files: list[Path], out: Path) -> subprocess.CompletedProcess[str]:
    """``llmparse parse FILES --format json --out OUT --strategy rules`` as a subprocess of this interpreter."""
    cmd = [sys.executable, "-m", "llmparse", "parse", *map(str, files), "--format", "json",
           "--out", str(out), "--strategy", "rules"]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def score(pred: Path, *, per_letter: bool = False, as_json: bool = False,
          gold: Path = GOLD) -> subprocess.CompletedProcess[str]:
    """The shared scorer over ``pred`` against ``gold``."""
    cmd = [sys.executable, str(scorer_path()), "--gold", str(gold), "--pred", str(pred)]
    if per_letter:
        cmd.append("--per-letter")
    if as_json:
        cmd.append("--json")
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-letter", action="store_true", help="also print the scorer's row for every letter")
    ap.add_argument("--json", action="store_true", help="print the scorer's aggregate as one JSON line")
    ap.add_argument("--set", choices=sorted(SETS), default="unseen", dest="letter_set",
                    help="which held-out set to run (default: unseen, tests/data/unseen)")
    args = ap.parse_args()
    letters = SETS[args.letter_set]
    gold = letters / "gold"

    scorer = scorer_path()
    if not scorer.is_file():
        print(f"unseen: scorer not found: {scorer} (set LLMPARSE_SHARED to the folder that holds eval/)",
              file=sys.stderr)
        return 2
    files = letter_files(gold, letters)
    if not files:
        print(f"unseen: no *.gold.json files in {gold}", file=sys.stderr)
        return 2
    print(f"strategy rules: {len(files)} held-out letters from {letters}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="llmparse-unseen-") as tmp:
        pred = Path(tmp)
        run = parse_letters(files, pred)
        if run.returncode != 0:
            sys.stderr.write(run.stderr)
            print(f"unseen: llmparse parse exited {run.returncode} (letters without output score zero)",
                  file=sys.stderr)
        sys.stderr.flush()
        proc = score(pred, per_letter=args.per_letter, as_json=args.json, gold=gold)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"unseen: score.py exited {proc.returncode}", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
