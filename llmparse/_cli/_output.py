"""Where a ``parse`` or ``check`` run writes its results, and what it has written so far: the run's state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import llmparse


def text_report(result: llmparse.Result, name: str) -> str:
    """``--format text``: a line of counts, a line per question and answer, a line per finding."""
    letter = result.letter
    lines = [f"{name}: {letter.kind}, {len(letter.questions)} questions, {len(letter.answers)} answers, "
             f"{len(letter.footnotes)} footnotes, {len(result.errors)} errors"]
    lines += [f"  {tag} {','.join(i.numbers):>8}  {i.text[:70]!r}" for tag, items in
              (("Q", letter.questions), ("A", letter.answers)) for i in items]
    lines += [f"  {f.severity.value:7} {f.code}: {f.message}" for f in result.findings]
    return "\n".join(lines)


@dataclass
class Run:
    """One ``parse`` or ``check`` run: where its results go and what it has written so far."""

    command: str
    fmt: str
    out_dir: Path | None
    results: Path | None
    array: bool  # json to stdout for several letters: one JSON array
    verbose: bool
    emitted: int = 0

    def emit(self, result: llmparse.Result, path: Path, out: TextIO) -> None:
        """Write one result as the command and format ask (``-o FILE`` lines are the caller's)."""
        if self.command == "check":
            out.writelines(f"{path}: {f.severity.value}: {f.code}: {f.message}\n" for f in result.findings
                           if f.severity is not llmparse.Severity.INFO or self.verbose)
        elif self.out_dir is not None:
            (self.out_dir / f"{path.name}.json").write_text(result.model_dump_json(indent=2) + "\n", "utf-8")
        elif self.results is None:
            if self.fmt == "text":
                out.write(text_report(result, str(path)) + "\n")
            elif self.fmt == "csv":  # one row per question number; the header once per run
                llmparse.pairs_csv([result], out, header=not self.emitted)
            elif self.fmt == "pairs":
                llmparse.pairs_jsonl([result], out)
            elif self.fmt == "jsonl":
                out.write(result.model_dump_json() + "\n")
            elif self.array:
                out.write(("[\n" if not self.emitted else ",\n") + result.model_dump_json(indent=2))
            else:
                out.write(result.model_dump_json(indent=2) + "\n")
            self.emitted += 1

    def close(self, out: TextIO) -> None:
        """End the JSON array, if the run writes one (an empty array when no letter got through)."""
        if self.array:
            out.write("[]\n" if not self.emitted else "\n]\n")
