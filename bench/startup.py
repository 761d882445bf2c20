"""Start-up of the command line: import time and wall time of ``llmparse --version`` and of a rules parse of one
letter, and whether the model stack (instructor, openai, httpx2) was imported.

Each case runs ``--repeat`` times as a fresh process under ``python -X importtime``; the import time is the sum
of the top-level imports' cumulative times that ``-X importtime`` reports, less what the interpreter imports
before the program starts (``site`` and the codecs); the wall time is the whole process, interpreter start
included. Medians are printed.

    python bench/startup.py [--repeat N] [--json]

Needs no corpus, model or network (the letter is the example in examples/).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "kv-2020Z03371.ministry-pdftext.txt"
MODEL_STACK = ("instructor", "openai", "httpx", "httpx2")
GOAL = 0.3  # seconds of import time
#: What the interpreter imports before the program's first line (``site`` runs the environment's .pth files).
INTERPRETER = {"site", "encodings", "zipimport", "_frozen_importlib_external", "_signal", "_io", "marshal",
               "posix", "_codecs_eastern", "time", "_thread", "_warnings", "_weakref", "winreg", "_abc", "abc"}


def _command() -> list[str]:
    """The installed ``llmparse`` script run by this interpreter, or ``-m llmparse`` without one."""
    script = shutil.which("llmparse") or str(Path(sys.executable).parent / "llmparse")
    return [script] if Path(script).exists() else ["-m", "llmparse"]


def _run(args: list[str]) -> tuple[float, float, set[str]]:
    """One process: (import seconds, wall seconds, top-level packages imported)."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-X", "importtime", *_command(), *args], capture_output=True, text=True,
                         cwd=REPO, check=True, timeout=120)
    wall = time.perf_counter() - start
    total, names = 0, set()
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        names.add(name.strip().split(".")[0])
        if not name.startswith("  ") and name.strip() not in INTERPRETER:  # top level: holds its children's time
            total += int(cumulative)
    return total / 1e6, wall, names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    options = parser.parse_args()
    cases = {"llmparse --version": ["--version"],
             "llmparse parse LETTER --strategy rules": ["parse", str(EXAMPLE), "--strategy", "rules",
                                                        "--format", "jsonl"]}
    rows: dict[str, dict[str, Any]] = {}
    for name, args in cases.items():
        _run(args)  # warm the file cache and the bytecode
        runs = [_run(args) for _ in range(options.repeat)]
        rows[name] = {"import_s": round(statistics.median(r[0] for r in runs), 3),
                      "wall_s": round(statistics.median(r[1] for r in runs), 3),
                      "model_stack": sorted(set(MODEL_STACK) & runs[0][2])}
    if options.json:
        print(json.dumps(rows))
    else:
        print(f"{'command':42} {'import s':>9} {'wall s':>7}  model stack imported")
        for name, row in rows.items():
            print(f"{name:42} {row['import_s']:9.3f} {row['wall_s']:7.3f}  {', '.join(row['model_stack']) or 'none'}")
        print(f"median of {options.repeat} runs; goal: import time under {GOAL} s")
    return 0 if all(row["import_s"] < GOAL and not row["model_stack"] for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
