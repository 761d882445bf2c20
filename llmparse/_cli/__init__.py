"""The command line (click): a thin layer over ``llmparse.parse_many`` and ``llmparse.batch``.

Results go to stdout (or ``--out DIR`` / ``-o FILE``), everything else to stderr: a rich progress bar on a
terminal, plain lines otherwise (``_display``). Exit codes: 0 done, 1 ``check`` found errors or ``batch collect``
lists re-runs, 2 failures and usage errors, 130 interrupted. The model stack and rich are imported only when used.
This module holds the group, ``parse`` and ``check``; ``review``, ``batch`` and ``cache`` live in modules of their
own, and the console script starts in ``_llmparse_entry`` (Ctrl-C while this package is still being imported).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import llmparse
from llmparse import batch

from ._batch import batch_group
from ._cache import cache_command
from ._display import Display
from ._output import Run
from ._review import review_command
from ._shared import FAILED, PATH, STRATEGY, letters, say


def _extractor(strategy: llmparse.Strategy, o: dict[str, Any]) -> tuple[llmparse.Strategy, Any] | None:
    """The strategy to run and the model extractor for it; None after a one-line error (exit 2)."""
    if strategy == "rules":
        return "rules", None
    if not (o["model"] or os.environ.get("LLMPARSE_MODEL")):
        if strategy == "llm":
            say("error: --strategy llm needs --model (or LLMPARSE_MODEL) and an endpoint: --base-url (or "
                "LLMPARSE_BASE_URL), or OPENAI_API_KEY for OpenAI")
            return None
        say("no model endpoint configured; using the rules strategy")
        return "rules", None
    options = {k: o[k] for k in ("mode", "token_budget") if o[k]}
    return strategy, llmparse.LLMExtractor.from_env(model=o["model"], base_url=o["base_url"],
                                                    max_reasks=o["max_reasks"], **options)


def _parse_files(command: str, inputs: tuple[str, ...], o: dict[str, Any]) -> int:
    chosen = _extractor(o["strategy"], o)
    if chosen is None:
        return FAILED
    strategy, llm = chosen
    files, missing = letters(inputs)
    if not files and not missing:
        say(f"error: no letters found in {', '.join(inputs)} ({', '.join(batch.LETTER_SUFFIXES)} files)")
        return FAILED
    results, out_dir = o.get("output"), o.get("out")
    if results is not None and o.get("resume"):
        files = batch.resume(results, files)
    if out_dir is not None:
        same = [name for name, n in Counter(f"{f.name}.json" for f in files).items() if n > 1]
        if same:
            say(f"error: several inputs would be written to {out_dir / same[0]}; name them apart, or use -o FILE "
                "for one JSONL file")
            return FAILED
        out_dir.mkdir(parents=True, exist_ok=True)
    single = len(inputs) == 1 and Path(inputs[0]).is_file()
    fmt = o.get("format") or "json"
    run = Run(command, fmt, out_dir, results, array=command == "parse" and fmt == "json" and not single
              and out_dir is None and results is None, verbose=o["verbose"])
    cache = None if o["no_cache"] or strategy == "rules" else llmparse.ResultCache(o["cache_dir"])
    display = Display(len(files))
    sink = results.open("a", encoding="utf-8") if results is not None else None
    options = {"max_chars": o["max_chars"]} if o["max_chars"] else {}
    try:
        for outcome in llmparse.parse_many(files, concurrency=o["concurrency"], strategy=strategy, llm=llm,
                                           cache=cache, **options):
            if sink is not None:
                sink.write(outcome.to_json() + "\n")
                sink.flush()  # one complete line per letter: a killed run loses nothing finished
            if outcome.result is None:
                display.say(f"{outcome.error_type}: {outcome.error}")
            else:
                run.emit(outcome.result, Path(outcome.source), sys.stdout)
            display.add(outcome)
    finally:
        if sink is not None:
            sink.close()
        display.close(report=len(files) > 1 or results is not None)
        run.close(sys.stdout)
    if display.summary.failures or missing:
        return FAILED
    return 1 if command == "check" and display.summary.with_errors else 0


def _letter_options(f: Callable[..., int]) -> Callable[..., int]:
    """The options ``parse`` and ``check`` share: inputs, strategy, model and run settings."""
    options = [
        click.argument("inputs", nargs=-1, required=True, metavar="INPUTS..."),
        click.option("--strategy", type=STRATEGY, default="auto", show_default=True,
                     help="rules (offline), llm (the model), or auto: the model where the rules find errors"),
        click.option("--model", help="model name [default: $LLMPARSE_MODEL]"),
        click.option("--base-url", help="OpenAI-compatible endpoint [default: $LLMPARSE_BASE_URL]"),
        click.option("--mode", type=click.Choice(["tools", "json_schema", "md_json"]),
                     help="how the model returns the plan [default: $LLMPARSE_MODE or tools]"),
        click.option("--max-reasks", type=click.IntRange(min=0), default=2, show_default=True,
                     help="re-asks for a plan that does not fit"),
        click.option("--token-budget", type=click.IntRange(min=1), help="most tokens one letter may spend"),
        click.option("--max-chars", type=click.IntRange(min=1),
                     help="the largest letter accepted, in characters [default: 5,000,000]"),
        click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
                     help="model requests in flight at once"),
        click.option("--no-cache", is_flag=True, help="neither read nor write the result cache"),
        click.option("--cache-dir", type=PATH, help="the cache folder [default: ~/.cache/llmparse]"),
        click.option("-v", "--verbose", is_flag=True, help="log what happens (check: list info findings too)"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
             no_args_is_help=True)
@click.version_option(llmparse.__version__, prog_name="llmparse", message="%(prog)s %(version)s")
def cli() -> None:
    """Parse Dutch parliamentary answer letters (Kamervragen) into typed, validated data."""


@cli.command("parse")
@_letter_options
@click.option("--format", "format", type=click.Choice(["json", "jsonl", "text", "csv", "pairs"]),
              help="standard output: json (default; an array for several letters), jsonl, text, csv, pairs")
@click.option("--out", type=PATH, metavar="DIR", help="write DIR/<input file name>.json for each input")
@click.option("-o", "--output", type=PATH, metavar="FILE", help="append one JSON line per letter to FILE")
@click.option("--resume", is_flag=True, help="with -o FILE: skip the letters FILE already holds a result for")
def parse_command(inputs: tuple[str, ...], **o: Any) -> int:
    """Parse letters (files, folders, glob patterns) into Result JSON."""
    if o["resume"] and o["output"] is None:
        raise click.UsageError("--resume needs -o FILE (the results file to resume)")
    if o["format"] not in (None, "json", "jsonl") and (o["output"] or o["out"]):
        raise click.UsageError(f"--format {o['format']} is for standard output; -o FILE and --out DIR write JSON")
    return _parse_files("parse", inputs, o)


@cli.command("check")
@_letter_options
def check_command(inputs: tuple[str, ...], **o: Any) -> int:
    """List the findings of letters; exit 1 when any letter has an error finding."""
    return _parse_files("check", inputs, o)


@cli.command("schema")
def schema_command() -> int:
    """Print the JSON Schema of the output."""
    sys.stdout.write(json.dumps(llmparse.result_schema(), indent=2) + "\n")
    return 0


for _command in (review_command, cache_command, batch_group):
    cli.add_command(_command)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="llmparse: %(message)s")
    # the PDF reader warns about fonts and stray bytes it copes with, and instructor logs every failed attempt the
    # retry policy goes on to handle: the one-line error at the end says what matters (-v shows pypdf's warnings)
    logging.getLogger("pypdf").setLevel(logging.WARNING if verbose else logging.ERROR)
    if not verbose:
        logging.getLogger("instructor").setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 done, 1 findings or re-runs to look at, 2 failures and usage
    errors, 130 interrupted)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        _logging("-v" in args or "--verbose" in args)
        with cli.make_context("llmparse", args) as ctx:
            return int(cli.invoke(ctx) or 0)
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:
        sys.stderr.write(exc.format_message() + "\n\n")
        say("error: name a command")
        return FAILED
    except click.UsageError as exc:
        if exc.ctx is not None:
            sys.stderr.write(exc.ctx.get_usage() + f"\nTry '{exc.ctx.command_path} -h' for help.\n")
        say(f"error: {exc.format_message()}")
        return FAILED
    except BrokenPipeError:  # `llmparse parse ... | head`
        return 0
    except UnicodeEncodeError as exc:  # a terminal or pipe in ASCII or Latin-1 cannot take the letter's text
        say(f"error: standard output cannot encode the letter's text ({exc.encoding}); set PYTHONIOENCODING=utf-8, "
            "or write files with -o FILE or --out DIR")
        return FAILED
    except (KeyboardInterrupt, click.Abort):
        sys.stderr.write("\nllmparse: interrupted; what was written to -o FILE is kept (--resume goes on)\n")
        return 130
    except OSError as exc:  # a file or folder the command was asked to read or write
        say(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
        return FAILED
    except llmparse.LLMParseError as exc:
        say(f"{type(exc).__name__}: {exc}")
        return FAILED
