"""``llmparse cache``: the result cache's folder, and clearing it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import llmparse

from ._shared import PATH


@click.command("cache")
@click.argument("action", type=click.Choice(["clear", "path"]))
@click.option("--cache-dir", type=PATH, help="the cache folder [default: ~/.cache/llmparse]")
def cache_command(action: str, cache_dir: Path | None) -> int:
    """Manage the result cache: clear removes the entries, path prints the folder."""
    store = llmparse.ResultCache(cache_dir)
    sys.stdout.write(f"{store.folder}\n" if action == "path" else f"removed {store.clear()} entries\n")
    return 0
