"""The command line (click): a thin layer over ``llmparse.parse_many`` and ``llmparse.batch``.

Results go to stdout (or ``--out DIR`` / ``-o FILE``), everything else to stderr: a rich progress bar on a
terminal, plain lines otherwise. Exit codes: 0 done, 1 ``check`` found errors or ``batch collect`` lists re-runs,
2 failures and usage errors, 130 interrupted. The model stack and rich are imported only when used.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

import llmparse
from llmparse import batch

_FAILED = 2
_PATH = click.Path(path_type=Path)
_STRATEGY = click.Choice(["rules", "llm", "auto"])


def _say(message: str) -> None:
    sys.stderr.write(f"llmparse: {message}\n")


def _text_report(result: llmparse.Result, name: str) -> str:
    letter = result.letter
    lines = [f"{name}: {letter.kind}, {len(letter.questions)} questions, {len(letter.answers)} answers, "
             f"{len(letter.footnotes)} footnotes, {len(result.errors)} errors"]
    lines += [f"  {tag} {','.join(i.numbers):>8}  {i.text[:70]!r}" for tag, items in
              (("Q", letter.questions), ("A", letter.answers)) for i in items]
    lines += [f"  {f.severity.value:7} {f.code}: {f.message}" for f in result.findings]
    return "\n".join(lines)


@dataclass
class _Run:
    """One ``parse`` or ``check`` run: where its results go and what it has written so far."""

    command: str
    fmt: str
    out_dir: Path | None
    results: Path | None
    array: bool  # json to stdout for several letters: one JSON array
    verbose: bool
    emitted: int = 0

    def emit(self, result: llmparse.Result, path: Path, out: TextIO) -> None:
        """Write one result as the command and format ask."""
        if self.command == "check":
            out.writelines(f"{path}: {f.severity.value}: {f.code}: {f.message}\n" for f in result.findings
                           if f.severity is not llmparse.Severity.INFO or self.verbose)
        elif self.out_dir is not None:
            (self.out_dir / f"{path.name}.json").write_text(result.model_dump_json(indent=2) + "\n", "utf-8")
        elif self.results is None:
            if self.fmt == "text":
                out.write(_text_report(result, str(path)) + "\n")
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
        if self.array:
            out.write("[]\n" if not self.emitted else "\n]\n")


class _Display:
    """Progress and the end-of-run summary on stderr: rich on a terminal, plain lines otherwise."""

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
        if self.bar is None:
            _say(message)
        else:  # above the bar, which stays at the bottom
            self.bar.console.print(f"llmparse: {message}", markup=False, highlight=False, soft_wrap=True)

    def add(self, outcome: llmparse.Outcome) -> None:
        self.summary.add(outcome)
        if self.bar is not None:
            s, elapsed = self.summary, self.bar.get_time() - self.bar.tasks[0].start_time
            self.bar.update(self.task, advance=1, rate=f"{s.letters / max(elapsed, 1e-9):.1f}/s", counts=(
                f"{len(s.failures)} failed  {s.with_errors} with errors  {s.findings} findings  "
                f"{s.llm_calls} model calls  {s.tokens:,} tokens"))

    def close(self, report: bool) -> None:
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


def _extractor(strategy: llmparse.Strategy, o: dict[str, Any]) -> tuple[llmparse.Strategy, Any] | None:
    """The strategy to run and the model extractor for it; None after a one-line error (exit 2)."""
    if strategy == "rules":
        return "rules", None
    if not (o["model"] or os.environ.get("LLMPARSE_MODEL")):
        if strategy == "llm":
            _say("error: --strategy llm needs --model (or LLMPARSE_MODEL) and an endpoint: --base-url (or "
                 "LLMPARSE_BASE_URL), or OPENAI_API_KEY for OpenAI")
            return None
        _say("no model endpoint configured; using the rules strategy")
        return "rules", None
    options = {k: o[k] for k in ("mode", "token_budget") if o[k]}
    return strategy, llmparse.LLMExtractor.from_env(model=o["model"], base_url=o["base_url"],
                                                    max_reasks=o["max_reasks"], **options)


def _letters(inputs: Iterable[str]) -> tuple[list[Path], list[str]]:
    files, missing = batch.expand_inputs(inputs)
    for item in missing:
        _say(f"InputError: {item}: no such file, folder or matching pattern")
    return files, missing


def _parse_files(command: str, inputs: tuple[str, ...], o: dict[str, Any]) -> int:
    chosen = _extractor(o["strategy"], o)
    if chosen is None:
        return _FAILED
    strategy, llm = chosen
    files, missing = _letters(inputs)
    if not files and not missing:
        _say(f"error: no letters found in {', '.join(inputs)} ({', '.join(batch.LETTER_SUFFIXES)} files)")
        return _FAILED
    results, out_dir = o.get("output"), o.get("out")
    if results is not None and o.get("resume"):
        files = batch.resume(results, files)
    if out_dir is not None:
        same = [name for name, n in Counter(f"{f.name}.json" for f in files).items() if n > 1]
        if same:
            _say(f"error: several inputs would be written to {out_dir / same[0]}; name them apart, or use -o FILE "
                 "for one JSONL file")
            return _FAILED
        out_dir.mkdir(parents=True, exist_ok=True)
    single = len(inputs) == 1 and Path(inputs[0]).is_file()
    fmt = o.get("format") or "json"
    run = _Run(command, fmt, out_dir, results, array=command == "parse" and fmt == "json" and not single
               and out_dir is None and results is None, verbose=o["verbose"])
    cache = None if o["no_cache"] or strategy == "rules" else llmparse.ResultCache(o["cache_dir"])
    display = _Display(len(files))
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
        return _FAILED
    return 1 if command == "check" and display.summary.with_errors else 0


def _letter_options(f: Callable[..., int]) -> Callable[..., int]:
    """The options ``parse`` and ``check`` share: inputs, strategy, model and run settings."""
    options = [
        click.argument("inputs", nargs=-1, required=True, metavar="INPUTS..."),
        click.option("--strategy", type=_STRATEGY, default="auto", show_default=True,
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
        click.option("--cache-dir", type=_PATH, help="the cache folder [default: ~/.cache/llmparse]"),
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
@click.option("--out", type=_PATH, metavar="DIR", help="write DIR/<input file name>.json for each input")
@click.option("-o", "--output", type=_PATH, metavar="FILE", help="append one JSON line per letter to FILE")
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


def _source(record: object) -> str:
    """The letter a results line is about: a Result's ``provenance.source``, or an error line's ``source``."""
    if not isinstance(record, dict):
        return ""
    return str(record.get("source") or (record.get("provenance") or {}).get("source") or "")


def _stored(path: Path, letter: str | None) -> llmparse.Result:
    """A stored Result: a ``.json`` file, or the line of a ``.jsonl`` results file for ``letter`` (its path or
    file name; it may be left out when the file holds one result)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".jsonl":
        records = [(json.loads(line), line) for line in data.splitlines() if line.strip()]
        mine = [(record, line) for record, line in records if letter is None or letter in (
            _source(record), Path(_source(record)).name) or os.path.realpath(_source(record) or "?") ==
            os.path.realpath(letter)]
        results = [line for record, line in mine if "error" not in record]
        if len(results) != 1:
            failed = [record["error"] for record, _ in mine if "error" in record]
            why = f" (it failed: {failed[-1].get('type')}: {failed[-1].get('message')})" if failed else ""
            raise llmparse.InputError(f"holds {len(results)} results" + (
                ": name one with --letter NAME (its path or file name)" if letter is None and results else
                f" for {letter}{why}" if letter else ""), source=str(path))
        data = results[0]
    try:
        return llmparse.Result.model_validate_json(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise llmparse.InputError(f"is no Result JSON (give the letter itself, or a Result as parse writes it): "
                                  f"{str(exc).splitlines()[0]}", source=str(path)) from exc


@cli.command("review")
@click.argument("file", type=_PATH)
@click.option("-o", "--output", type=click.Path(path_type=Path, allow_dash=True), metavar="PAGE",
              help="the page to write; - for standard output [default: <letter name>.html in this folder]")
@click.option("--letter", metavar="NAME", help="with a results .jsonl: the letter to show (its path or name)")
@click.option("--strategy", type=_STRATEGY, default="rules", show_default=True, help="for a letter parsed now")
def review_command(file: Path, output: Path | None, letter: str | None, strategy: llmparse.Strategy) -> int:
    """Write a self-contained HTML page to check a letter (parsed now) or a stored Result (.json, .jsonl)."""
    if file.suffix.lower() in (".json", ".jsonl"):
        result = _stored(file, letter)
    else:
        result = llmparse.parse(file, strategy=strategy)
    if output == Path("-"):
        sys.stdout.write(result.to_html())
        return 0
    page = output or Path(Path(result.provenance.source or file.name).name + ".html")
    page.write_text(result.to_html(), encoding="utf-8")
    _say(f"wrote {page}")
    return 0


@cli.command("cache")
@click.argument("action", type=click.Choice(["clear", "path"]))
@click.option("--cache-dir", type=_PATH, help="the cache folder [default: ~/.cache/llmparse]")
def cache_command(action: str, cache_dir: Path | None) -> int:
    """Manage the result cache: clear removes the entries, path prints the folder."""
    store = llmparse.ResultCache(cache_dir)
    sys.stdout.write(f"{store.folder}\n" if action == "path" else f"removed {store.clear()} entries\n")
    return 0


@cli.group("batch")
def batch_group() -> None:
    """The OpenAI Batch API: prepare request lines, collect and check the outputs."""


@batch_group.command("prepare")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUTS...")
@click.option("-o", "--output", type=_PATH, required=True, metavar="FILE", help="the requests file (JSONL)")
@click.option("--model", envvar="LLMPARSE_MODEL", help="the model to ask (required) [default: $LLMPARSE_MODEL]")
def prepare_command(inputs: tuple[str, ...], output: Path, model: str | None) -> int:
    """Write a /v1/chat/completions request line per letter; a letter that cannot be read is left out."""
    if not model:
        _say("error: batch prepare needs --model (or LLMPARSE_MODEL)")
        return _FAILED
    files, missing = _letters(inputs)
    written = failed = 0
    with output.open("w", encoding="utf-8") as sink:
        for path in files:
            try:
                (request,) = batch.prepare_requests([path], model=model)
            except llmparse.LLMParseError as exc:
                _say(f"{type(exc).__name__}: {exc}")
                failed += 1
                continue
            sink.write(json.dumps(request, ensure_ascii=False) + "\n")
            written += 1
    _say(f"wrote {written} request(s) to {output}{f'; {failed} input(s) left out' if failed else ''}")
    return _FAILED if missing or failed else 0


def _lines(paths: Iterable[Path]) -> Iterator[str]:
    """The lines of several files, one after the other, each file opened only when it is reached."""
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            yield from handle


@batch_group.command("collect")
@click.argument("outputs", nargs=-1, required=True, type=_PATH, metavar="OUTPUT [ERRORS]")
@click.option("-o", "--output", type=_PATH, metavar="FILE", help="the results JSONL (replaced) [default: stdout]")
@click.option("--requests", type=_PATH, metavar="FILE", help="the requests file: letters without output re-run too")
@click.option("--root", type=_PATH, help="the folder the letters' relative paths start from")
def collect_command(outputs: tuple[Path, ...], output: Path | None, requests: Path | None, root: Path | None) -> int:
    """Validate, assemble and check batch outputs; exit 1 when letters need a live re-run."""
    if output is not None and any(p and os.path.realpath(p) == os.path.realpath(output) for p in (*outputs, requests)):
        _say(f"error: -o {output} is one of the inputs; name another results file")
        return _FAILED
    expected: list[str] | None = None if requests is None else []
    for number, line in enumerate(_lines([requests] if requests else []), start=1):
        try:
            if line.strip():
                expected.append(str(json.loads(line)["custom_id"]))  # type: ignore[union-attr]  # set with requests
        except (ValueError, KeyError, TypeError):
            _say(f"error: {requests} line {number}: not a batch request line")
            return _FAILED
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
            _say(f"needs a live re-run: {item.source}: {item.reason}")
            if fresh is not None:  # the results file records every letter, as parse -o does
                sink.write(json.dumps({"source": item.source, "error": {"type": "NeedsRerun",
                                                                         "message": item.reason}},
                                      ensure_ascii=False) + "\n")
    except BaseException as exc:
        if fresh is not None:
            sink.close()
            fresh.unlink(missing_ok=True)
        if not isinstance(exc, UnicodeDecodeError):
            raise
        _say(f"error: a batch output file is not UTF-8 text ({exc.reason})")
        return _FAILED
    if fresh is not None and output is not None:
        sink.close()
        os.replace(fresh, output)
    return 1 if reruns else 0


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
        _say("error: name a command")
        return _FAILED
    except click.UsageError as exc:
        if exc.ctx is not None:
            sys.stderr.write(exc.ctx.get_usage() + f"\nTry '{exc.ctx.command_path} -h' for help.\n")
        _say(f"error: {exc.format_message()}")
        return _FAILED
    except BrokenPipeError:  # `llmparse parse ... | head`
        return 0
    except UnicodeEncodeError as exc:  # a terminal or pipe in ASCII or Latin-1 cannot take the letter's text
        _say(f"error: standard output cannot encode the letter's text ({exc.encoding}); set PYTHONIOENCODING=utf-8, "
             "or write files with -o FILE or --out DIR")
        return _FAILED
    except (KeyboardInterrupt, click.Abort):
        sys.stderr.write("\nllmparse: interrupted; what was written to -o FILE is kept (--resume goes on)\n")
        return 130
    except OSError as exc:  # a file or folder the command was asked to read or write
        _say(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
        return _FAILED
    except llmparse.LLMParseError as exc:
        _say(f"{type(exc).__name__}: {exc}")
        return _FAILED
