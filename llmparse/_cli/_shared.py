"""What the commands share: the one-line message on stderr, the exit code of a failure, argument types, and
turning INPUTS (files, folders, glob patterns) into letter files."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from llmparse import batch

#: The exit code of failures and usage errors (click's own for the latter).
FAILED = 2
PATH = click.Path(path_type=Path)
STRATEGY = click.Choice(["rules", "llm", "auto"])


def say(message: str) -> None:
    """One line on stderr, prefixed ``llmparse:``."""
    sys.stderr.write(f"llmparse: {message}\n")


def letters(inputs: Iterable[str]) -> tuple[list[Path], list[str]]:
    """The letter files INPUTS name, and the inputs that name nothing (each said on stderr)."""
    files, missing = batch.expand_inputs(inputs)
    for item in missing:
        say(f"InputError: {item}: no such file, folder or matching pattern")
    return files, missing
