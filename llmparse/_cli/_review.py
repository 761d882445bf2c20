"""``llmparse review``: the HTML page to check a letter parsed now, or a Result stored by an earlier run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import llmparse
from llmparse import batch

from ._shared import PATH, STRATEGY, say


@click.command("review")
@click.argument("file", type=PATH)
@click.option("-o", "--output", type=click.Path(path_type=Path, allow_dash=True), metavar="PAGE",
              help="the page to write; - for standard output [default: <letter name>.html in this folder]")
@click.option("--letter", metavar="NAME", help="with a results .jsonl: the letter to show (its path or name)")
@click.option("--strategy", type=STRATEGY, default="rules", show_default=True, help="for a letter parsed now")
def review_command(file: Path, output: Path | None, letter: str | None, strategy: llmparse.Strategy) -> int:
    """Write a self-contained HTML page to check a letter (parsed now) or a stored Result (.json, .jsonl)."""
    if file.suffix.lower() in (".json", ".jsonl"):
        result = batch.load_result(file, letter=letter)
    else:
        result = llmparse.parse(file, strategy=strategy)
    if output == Path("-"):
        sys.stdout.write(result.to_html())
        return 0
    page = output or Path(Path(result.provenance.source or file.name).name + ".html")
    page.write_text(result.to_html(), encoding="utf-8")
    say(f"wrote {page}")
    return 0
