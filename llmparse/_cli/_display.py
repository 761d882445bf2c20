"""What a run shows on stderr while it goes: a rich progress bar on a terminal (failures printed above it, a
summary table at the end), plain lines otherwise. rich is imported only when there is a bar to draw."""

from __future__ import annotations

import sys
from typing import Any

import llmparse
from llmparse import batch

from ._shared import say


class Display:
    """Progress and the end-of-run summary of ``total`` letters; counts what it is shown in ``summary``."""

    def __init__(self, total: int) -> None:
        self.summary = batch.Summary()
        self.bar: Any = None
        if sys.stderr.isatty() and total > 1:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
            from rich.table import Column

            counts = Column(no_wrap=True, overflow="ellipsis", ratio=1)  # cut short, never wrapped
            columns = (BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("letters {task.fields[rate]}"),
                       TimeRemainingColumn(), TextColumn("{task.fields[counts]}", table_column=counts))
            self.bar = Progress(*columns, console=Console(stderr=True), expand=True, redirect_stdout=False,
                                redirect_stderr=False)  # stdout is for results only
            self.task = self.bar.add_task("parse", total=total, rate="", counts="")
            self.bar.start()

    def say(self, message: str) -> None:
        """One line on stderr; with a bar, above it (the bar stays at the bottom)."""
        if self.bar is None:
            say(message)
        else:
            self.bar.console.print(f"llmparse: {message}", markup=False, highlight=False, soft_wrap=True)

    def add(self, outcome: llmparse.Outcome) -> None:
        """Count one letter, and move the bar on."""
        self.summary.add(outcome)
        if self.bar is not None:
            s, elapsed = self.summary, self.bar.get_time() - self.bar.tasks[0].start_time
            self.bar.update(self.task, advance=1, rate=f"{s.letters / max(elapsed, 1e-9):.1f}/s", counts=(
                f"{len(s.failures)} failed  {s.with_errors} with errors  {s.findings} findings  "
                f"{s.llm_calls} model calls  {s.tokens:,} tokens"))

    def close(self, report: bool) -> None:
        """Stop the bar; with ``report``, print the summary (a table under the bar, plain lines otherwise)."""
        if self.bar is not None:
            self.bar.stop()
        if report and self.bar is not None:
            from rich.table import Table

            s, table = self.summary, Table.grid(padding=(0, 2))
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(s.kinds.items())) or "none"
            for row in (("letters", f"{s.letters}: {kinds}"), ("failed", len(s.failures)),
                        ("with error findings", s.with_errors), ("findings", s.findings),
                        ("model calls", s.llm_calls), ("tokens", f"{s.tokens:,}"), ("cache hits", s.cache_hits)):
                table.add_row(*map(str, row))
            self.bar.console.print(table)
            for failure in s.failures[:20]:
                self.bar.console.print(f"failed: {failure}", markup=False, highlight=False, soft_wrap=True)
        elif report:
            sys.stderr.write(self.summary.report() + "\n")
