"""``llmparse batch``: the OpenAI Batch API's offline halves, ``prepare`` (request lines) and ``collect``
(results from the output lines), over ``llmparse.batch.prepare_requests`` and ``collect_outputs``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

import llmparse
from llmparse import batch

from ._shared import FAILED, PATH, letters, say


@click.group("batch")
def batch_group() -> None:
    """The OpenAI Batch API: prepare request lines, collect and check the outputs."""


@batch_group.command("prepare")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUTS...")
@click.option("-o", "--output", type=PATH, required=True, metavar="FILE", help="the requests file (JSONL)")
@click.option("--model", envvar="LLMPARSE_MODEL", help="the model to ask (required) [default: $LLMPARSE_MODEL]")
def prepare_command(inputs: tuple[str, ...], output: Path, model: str | None) -> int:
    """Write a /v1/chat/completions request line per letter; a letter that cannot be read is left out."""
    if not model:
        say("error: batch prepare needs --model (or LLMPARSE_MODEL)")
        return FAILED
    files, missing = letters(inputs)
    written = failed = 0
    with output.open("w", encoding="utf-8") as sink:
        for path in files:
            try:
                (request,) = batch.prepare_requests([path], model=model)
            except llmparse.LLMParseError as exc:
                say(f"{type(exc).__name__}: {exc}")
                failed += 1
                continue
            sink.write(json.dumps(request, ensure_ascii=False) + "\n")
            written += 1
    say(f"wrote {written} request(s) to {output}{f'; {failed} input(s) left out' if failed else ''}")
    return FAILED if missing or failed else 0


def _lines(paths: Iterable[Path]) -> Iterator[str]:
    """The lines of several files, one after the other, each file opened only when it is reached."""
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            yield from handle


def _request_ids(requests: Path) -> list[str] | None:
    """The ``custom_id`` of every line of a requests file; None after a one-line error."""
    ids = []
    for number, line in enumerate(_lines([requests]), start=1):
        try:
            if line.strip():
                ids.append(str(json.loads(line)["custom_id"]))
        except (ValueError, KeyError, TypeError):
            say(f"error: {requests} line {number}: not a batch request line")
            return None
    return ids


@batch_group.command("collect")
@click.argument("outputs", nargs=-1, required=True, type=PATH, metavar="OUTPUT [ERRORS]")
@click.option("-o", "--output", type=PATH, metavar="FILE", help="the results JSONL (replaced) [default: stdout]")
@click.option("--requests", type=PATH, metavar="FILE", help="the requests file: letters without output re-run too")
@click.option("--root", type=PATH, help="the folder the letters' relative paths start from")
def collect_command(outputs: tuple[Path, ...], output: Path | None, requests: Path | None, root: Path | None) -> int:
    """Validate, assemble and check batch outputs; exit 1 when letters need a live re-run."""
    if output is not None and any(p and os.path.realpath(p) == os.path.realpath(output) for p in (*outputs, requests)):
        say(f"error: -o {output} is one of the inputs; name another results file")
        return FAILED
    expected = None if requests is None else _request_ids(requests)
    if requests is not None and expected is None:
        return FAILED
    reruns = 0
    # the results go to a new file beside -o, renamed over it at the end: a run that fails leaves -o as it was
    fresh = output.with_name(f".{output.name}.collect") if output else None
    sink = fresh.open("w", encoding="utf-8") if fresh else sys.stdout
    try:
        for kind, item in batch.collect_outputs(_lines(outputs), root=root, expected=expected):
            if kind == "result":
                sink.write(item.model_dump_json() + "\n")
                continue
            reruns += 1
            say(f"needs a live re-run: {item.source}: {item.reason}")
            if fresh is not None:  # the results file records every letter, as parse -o does
                sink.write(item.to_json() + "\n")
    except BaseException as exc:
        if fresh is not None:
            sink.close()
            fresh.unlink(missing_ok=True)
        if not isinstance(exc, UnicodeDecodeError):
            raise
        say(f"error: a batch output file is not UTF-8 text ({exc.reason})")
        return FAILED
    if fresh is not None and output is not None:
        sink.close()
        os.replace(fresh, output)
    return 1 if reruns else 0
