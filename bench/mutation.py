"""Mutation check: removing any one check, or the checks' independence from the plan, must fail a test.

For each check in ``llmparse._checks.CHECKS`` this script writes a copy of the package's ``_checks.py`` without
it, runs the witness and check tests, and restores the file; then it does the same for the independence of
``grounding.text`` (comparing an item's text with what the Layout itself reads in its span). Every line should
say ``caught``: a ``SURVIVED`` line is a check no test depends on.

    python bench/mutation.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ROOT / "llmparse" / "_checks.py"
TESTS = ["tests/test_witness.py", "tests/test_checks.py", "tests/test_letters.py"]


def _without(source: str, name: str) -> str:
    def drop(m: re.Match[str]) -> str:
        kept = [x.strip() for x in m.group(1).replace("\n", " ").split(",") if x.strip() and x.strip() != name]
        return "CHECKS: tuple[Check, ...] = (" + ", ".join(kept) + ",)"

    return re.sub(r"CHECKS: tuple\[Check, \.\.\.\] = \((.*?)\)", drop, source, flags=re.S)


def main() -> int:
    source = CHECKS.read_text(encoding="utf-8")
    names = re.findall(r"^def (check_\w+)\(", source, flags=re.M)
    mutants = {name: _without(source, name) for name in names}
    # the plan-following text compared with itself: the witness reads what the plan says instead of the Layout
    mutants["independence (grounding.text)"] = source.replace("elif layout.cut(s, e) != item.text:", "elif False:")
    survived = 0
    try:
        for name, mutated in mutants.items():
            CHECKS.write_text(mutated, encoding="utf-8")
            run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
                                 capture_output=True, text=True, cwd=ROOT, check=False)
            last = (run.stdout.strip().splitlines() or [""])[-1]
            caught = run.returncode != 0
            survived += not caught
            print(f"{name:32} {'caught' if caught else 'SURVIVED'}   {last}")
    finally:
        CHECKS.write_text(source, encoding="utf-8")
    print(f"mutants {len(mutants)}  survived {survived}")
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main())
