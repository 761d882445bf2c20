"""Write the rules path's output for every letter llmparse can read here, one JSON file per letter.

Parses every file under the shared corpus (``letters/``, ``originals/``, ``extractors/*/``, ``official/`` and
``questions-only/`` when present) and every letter in ``tests/data/letters`` (.txt and .md) with
``llmparse.parse(path, strategy="rules")`` and writes ``Result.model_dump_json()`` to
``OUT/<folder>__<file name>.json``. A letter that raises ``llmparse.LLMParseError`` gets a JSON file naming the
error class and message instead. ``provenance.source`` is written relative to the corpus or repository, so two
checkouts give the same bytes for the same behaviour.

The point is a byte-for-byte comparison: run it before and after a change that must not change behaviour
(a speed-up, a refactor) and diff the two folders::

    python bench/outputs.py /tmp/before          # on the untouched code
    python bench/outputs.py /tmp/after           # after the change
    python bench/outputs.py /tmp/after --compare /tmp/before   # writes, then lists the files that differ

The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository. Exit status 1 when
``--compare`` finds a difference, 2 when the shared folder is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import llmparse

REPO = Path(__file__).resolve().parents[1]
CORPUS_FOLDERS = ("letters", "originals", "official", "questions-only")


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def inputs(shared: Path) -> list[tuple[str, Path]]:
    """(label, path) of every letter to parse; the label is the path relative to its root, for the output."""
    corpus = shared / "corpus"
    folders = [corpus / name for name in CORPUS_FOLDERS]
    extractors = corpus / "extractors"
    if extractors.is_dir():
        folders += sorted(p for p in extractors.iterdir() if p.is_dir() and not p.name.endswith("-gold"))
    found: list[tuple[str, Path]] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith(".") and path.name != "README.md":
                found.append((str(path.relative_to(shared)), path))
    tests = REPO / "tests" / "data" / "letters"
    for path in sorted(tests.glob("*")):
        if path.suffix in (".txt", ".md") and path.name != "README.md":
            found.append((str(path.relative_to(REPO)), path))
    return found


def output(label: str, path: Path) -> str:
    """The JSON written for one letter: its Result (source relative), or the error it raised."""
    try:
        result = llmparse.parse(path, strategy="rules")
    except llmparse.LLMParseError as exc:
        return json.dumps({"error": type(exc).__name__, "message": str(exc).replace(str(path), label)})
    provenance = result.provenance.model_copy(update={"source": label})
    return result.model_copy(update={"provenance": provenance}).model_dump_json()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="folder to write the JSON files into (created)")
    ap.add_argument("--compare", type=Path, default=None, help="a folder written before: list what differs")
    args = ap.parse_args()
    shared = shared_dir()
    if not shared.is_dir():
        print(f"outputs: shared folder not found: {shared} (set LLMPARSE_SHARED)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    letters = inputs(shared)
    for label, path in letters:
        name = label.replace("/", "__") + ".json"
        (args.out / name).write_text(output(label, path), encoding="utf-8")
    print(f"outputs: {len(letters)} letters written to {args.out}")
    if args.compare is None:
        return 0
    before = {p.name for p in args.compare.glob("*.json")}
    after = {p.name for p in args.out.glob("*.json")}
    differ = sorted(n for n in before & after
                    if (args.compare / n).read_bytes() != (args.out / n).read_bytes())
    for name in sorted(before ^ after):
        print(f"only in {'before' if name in before else 'after'}: {name}")
    for name in differ:
        print(f"differs: {name}")
    same = not differ and before == after
    print(f"outputs: {'identical' if same else f'{len(differ)} differ'} ({len(before & after)} compared)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
