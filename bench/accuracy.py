"""Accuracy of the rules strategy on the real letters, scored against the gold annotations.

Parses every letter that a gold file names with ``llmparse.parse(path, strategy="rules")``, writes
``<pred>/<letter file name>.json`` into a temporary directory, and runs the shared scorer (``score.py``) on
it, printing the scorer's output unchanged. Letters that raise ``llmparse.LLMParseError`` get no prediction
(they score zero) and are listed on stderr, as is a one-line header naming the folders.

    python bench/accuracy.py [--per-letter] [--json] [--gold DIR --letters DIR]

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def letter_names(gold: Path) -> list[str]:
    """The letter file name of every ``*.gold.json`` in ``gold``, in the scorer's order."""
    names = []
    for gpath in sorted(gold.glob("*.gold.json")):
        data = json.loads(gpath.read_text(encoding="utf-8"))
        names.append(str(data["file"]))
    return names


def predict(names: list[str], letters: Path, pred: Path) -> list[tuple[str, str]]:
    """Write ``pred/<name>.json`` for each letter; return (name, error) for those that raised."""
    failed: list[tuple[str, str]] = []
    for name in names:
        try:
            result = llmparse.parse(letters / name, strategy="rules")
        except llmparse.LLMParseError as exc:
            failed.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        (pred / f"{name}.json").write_text(result.model_dump_json(), encoding="utf-8")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, default=None, help="gold folder (default: SHARED/corpus/gold)")
    ap.add_argument("--letters", type=Path, default=None,
                    help="letters folder (default: SHARED/corpus/letters)")
    ap.add_argument("--per-letter", action="store_true", help="also print the scorer's row for every letter")
    ap.add_argument("--json", action="store_true", help="print the scorer's aggregate as one JSON line")
    args = ap.parse_args()

    shared = shared_dir()
    if not shared.is_dir():
        print(f"accuracy: shared folder not found: {shared} (set LLMPARSE_SHARED to the folder that holds "
              "corpus/ and eval/)", file=sys.stderr)
        return 2
    scorer = shared / "eval" / "score.py"
    gold: Path = args.gold or shared / "corpus" / "gold"
    letters: Path = args.letters or shared / "corpus" / "letters"
    for what, path, ok in (("scorer", scorer, scorer.is_file()), ("gold folder", gold, gold.is_dir()),
                           ("letters folder", letters, letters.is_dir())):
        if not ok:
            print(f"accuracy: {what} not found: {path}", file=sys.stderr)
            return 2

    try:
        names = letter_names(gold)
    except (OSError, ValueError, KeyError) as exc:
        print(f"accuracy: cannot read the gold files in {gold}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    if not names:
        print(f"accuracy: no *.gold.json files in {gold}", file=sys.stderr)
        return 2

    print(f"llmparse {llmparse.__version__}, strategy rules: {len(names)} letters from {letters}, "
          f"gold {gold}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="llmparse-accuracy-") as tmp:
        pred = Path(tmp)
        failed = predict(names, letters, pred)
        if failed:
            print(f"{len(failed)} of {len(names)} letters raised and score zero:", file=sys.stderr)
            for name, error in failed:
                print(f"  {name}: {error}", file=sys.stderr)
        sys.stderr.flush()
        cmd = [sys.executable, str(scorer), "--gold", str(gold), "--pred", str(pred)]
        if args.per_letter:
            cmd.append("--per-letter")
        if args.json:
            cmd.append("--json")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"accuracy: score.py exited {proc.returncode}", file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
