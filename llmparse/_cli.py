"""The command line: a thin layer over ``llmparse.parse``.

``llmparse parse FILES...``, ``llmparse check FILES...`` and ``llmparse schema``. Results go to stdout (or
``--out DIR``), diagnostics to stderr. A file that cannot be parsed gets one line on stderr and the others
are still parsed; the exit code is 2 when any file failed, as for usage errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

import llmparse
from llmparse import batch

_FAILED = 2


def _text_report(result: llmparse.Result, name: str) -> str:
    letter = result.letter
    lines = [f"{name}: {letter.kind}, {len(letter.questions)} questions, {len(letter.answers)} answers, "
             f"{len(letter.footnotes)} footnotes, {len(result.errors)} errors"]
    for q in letter.questions:
        lines.append(f"  Q {','.join(q.numbers):>8}  {q.text[:70]!r}")
    for a in letter.answers:
        lines.append(f"  A {','.join(a.numbers):>8}  {a.text[:70]!r}")
    lines.extend(f"  {f.severity.value:7} {f.code}: {f.message}" for f in result.findings)
    return "\n".join(lines)


def _model(args: argparse.Namespace, err: TextIO) -> tuple[llmparse.Strategy, llmparse.LLMExtractor | None] | None:
    """The strategy to run and the extractor for it; None after a one-line error (exit 2)."""
    if args.strategy == "rules":
        return "rules", None
    if not (args.model or os.environ.get("LLMPARSE_MODEL")):
        if args.strategy == "llm":
            err.write("llmparse: error: --strategy llm needs --model (or LLMPARSE_MODEL) and an endpoint: "
                      "--base-url (or LLMPARSE_BASE_URL), or OPENAI_API_KEY for OpenAI\n")
            return None
        err.write("llmparse: no model endpoint configured; using the rules strategy\n")
        return "rules", None
    options: dict[str, object] = {"max_reasks": args.max_reasks}
    if args.mode:
        options["mode"] = args.mode
    if args.token_budget:
        options["token_budget"] = args.token_budget
    try:
        llm = llmparse.LLMExtractor.from_env(model=args.model, base_url=args.base_url, **options)
    except llmparse.ModelConfigError as exc:
        err.write(f"llmparse: error: {exc}\n")
        return None
    return args.strategy, llm


class _Progress:
    """The progress line on a terminal: redrawn in place at most ten times a second, never wider than the
    terminal (a wrapped line could not be redrawn), cleared for a message and left standing at the end."""

    def __init__(self, err: TextIO, total: int) -> None:
        self.err = err
        self.total = total
        self.start = time.monotonic()
        self.drawn = 0.0
        self.width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)

    def show(self, summary: batch.Summary, *, now: bool = False) -> None:
        moment = time.monotonic()
        if not now and moment - self.drawn < 0.1 and summary.letters < self.total:
            return
        self.drawn = moment
        line = summary.progress(self.total, moment - self.start)[: self.width]
        self.err.write("\r" + line.ljust(self.width))
        self.err.flush()

    def clear(self) -> None:
        self.err.write("\r" + " " * self.width + "\r")

    def close(self, summary: batch.Summary) -> None:
        self.show(summary, now=True)
        self.err.write("\n")


def _parse_files(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    chosen = _model(args, err)
    if chosen is None:
        return _FAILED
    strategy, llm = chosen
    files, missing = batch.expand_inputs(args.files)
    for item in missing:
        err.write(f"llmparse: InputError: {item}: no such file, folder or matching pattern\n")
    results: Path | None = getattr(args, "output", None)
    if results is not None and getattr(args, "resume", False):
        files = batch.resume(results, files)
    out_dir: Path | None = getattr(args, "out", None)
    if out_dir:
        same = [name for name, n in Counter(f"{f.name}.json" for f in files).items() if n > 1]
        if same:
            err.write(f"llmparse: error: several inputs would be written to {out_dir / same[0]}; name them apart, "
                      "or use -o FILE for one JSONL file\n")
            return _FAILED
        out_dir.mkdir(parents=True, exist_ok=True)
    # json to standard output is one JSON document: a Result for one file named, else an array of Results
    single = len(args.files) == 1 and Path(args.files[0]).is_file()
    args.array = args.command == "parse" and not out_dir and results is None and (args.format or "json") == "json" \
        and not single
    args.emitted = 0
    cache = None if args.no_cache or strategy == "rules" else llmparse.ResultCache(args.cache_dir)
    summary = batch.Summary()
    progress = _Progress(err, len(files)) if err.isatty() and len(files) > 1 else None
    sink = results.open("a", encoding="utf-8") if results is not None else None
    try:
        for outcome in llmparse.parse_many(files, concurrency=args.concurrency, strategy=strategy, llm=llm,
                                           cache=cache):
            summary.add(outcome)
            if sink is not None:
                sink.write(outcome.to_json() + "\n")
                sink.flush()  # one complete line per letter: a killed run loses nothing finished
            if outcome.result is None:
                if progress is not None:
                    progress.clear()
                err.write(f"llmparse: {outcome.error_type}: {outcome.error}\n")
            else:
                _emit(args, outcome.result, Path(outcome.source), out_dir, out)
            if progress is not None:
                progress.show(summary)
    finally:
        if sink is not None:
            sink.close()
        if progress is not None:
            progress.close(summary)
        if args.array:
            out.write("[]\n" if not args.emitted else "\n]\n")
    if len(files) > 1 or results is not None:
        err.write(summary.report() + "\n")
    if summary.failures or missing:
        return _FAILED
    return 1 if args.command == "check" and summary.with_errors else 0


def _batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``batch prepare`` and ``batch collect``."""
    return _prepare(args, err) if args.batch_command == "prepare" else _collect(args, out, err)


def _prepare(args: argparse.Namespace, err: TextIO) -> int:
    """``batch prepare``: a request line per letter; a letter that cannot be read is left out with a message."""
    if not args.model:
        err.write("llmparse: error: batch prepare needs --model (or LLMPARSE_MODEL)\n")
        return _FAILED
    files, missing = batch.expand_inputs(args.files)
    for item in missing:
        err.write(f"llmparse: InputError: {item}: no such file, folder or matching pattern\n")
    written = failed = 0
    with args.output.open("w", encoding="utf-8") as sink:
        for path in files:
            try:
                (request,) = batch.prepare_requests([path], model=args.model)
            except llmparse.LLMParseError as exc:
                err.write(f"llmparse: {type(exc).__name__}: {exc}\n")
                failed += 1
                continue
            sink.write(json.dumps(request, ensure_ascii=False) + "\n")
            written += 1
    err.write(f"llmparse: wrote {written} request(s) to {args.output}"
              f"{f'; {failed} input(s) left out' if failed else ''}\n")
    return _FAILED if missing or failed else 0


def _collect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``batch collect``: checked results, and the letters that need a live re-run (exit 1 when there are any)."""
    if args.output is not None and any(_same(args.output, path) for path in [*args.batch_outputs, args.requests]):
        err.write(f"llmparse: error: -o {args.output} is one of the inputs; name another results file\n")
        return _FAILED
    expected = None
    if args.requests is not None:
        expected = []
        for number, line in enumerate(_lines([args.requests]), start=1):
            try:
                if line.strip():
                    expected.append(str(json.loads(line)["custom_id"]))
            except (ValueError, KeyError, TypeError):
                err.write(f"llmparse: error: {args.requests} line {number}: not a batch request line\n")
                return _FAILED
    reruns = 0
    # the results go to a new file beside -o, renamed over it at the end: a run that fails leaves -o as it was
    fresh = args.output.with_name(f".{args.output.name}.collect") if args.output else None
    sink = fresh.open("w", encoding="utf-8") if fresh else out
    done = False
    try:
        for kind, item in batch.collect_outputs(_lines(args.batch_outputs), root=args.root, expected=expected):
            if kind == "result":
                sink.write(item.model_dump_json() + "\n")
            else:
                reruns += 1
                err.write(f"llmparse: needs a live re-run: {item.source}: {item.reason}\n")
                if sink is not out:  # the results file records every letter, as parse -o does
                    sink.write(json.dumps({"source": item.source, "error": {"type": "NeedsRerun",
                                                                             "message": item.reason}},
                                          ensure_ascii=False) + "\n")
        done = True
    except UnicodeDecodeError as exc:
        err.write(f"llmparse: error: a batch output file is not UTF-8 text ({exc.reason})\n")
        return _FAILED
    finally:
        if fresh is not None and args.output is not None:
            sink.close()
            if done:
                os.replace(fresh, args.output)
            else:
                fresh.unlink(missing_ok=True)
    return 1 if reruns else 0


def _same(a: Path, b: Path | None) -> bool:
    return b is not None and os.path.realpath(a) == os.path.realpath(b)


def _lines(paths: Sequence[Path]) -> Iterator[str]:
    """The lines of several files, one after the other, each file opened only when it is reached."""
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            yield from handle


def _emit(args: argparse.Namespace, result: llmparse.Result, path: Path, out_dir: Path | None, out: TextIO) -> None:
    """Write one result as the command and format ask."""
    if args.command == "check":
        for f in result.findings:
            if f.severity is not llmparse.Severity.INFO or args.verbose:
                out.write(f"{path}: {f.severity.value}: {f.code}: {f.message}\n")
        return
    if out_dir:
        (out_dir / f"{path.name}.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    elif getattr(args, "output", None) is None:
        if args.format == "text":
            out.write(_text_report(result, str(path)) + "\n")
        elif args.format == "csv":  # one row per question number; the header once per run
            llmparse.pairs_csv([result], out, header=not args.header_written)
            args.header_written = True
        elif args.format == "pairs":
            llmparse.pairs_jsonl([result], out)
        elif args.format == "jsonl":
            out.write(result.model_dump_json() + "\n")
        elif args.array:
            out.write(("[\n" if not args.emitted else ",\n") + result.model_dump_json(indent=2))
            args.emitted += 1
        else:
            out.write(result.model_dump_json(indent=2) + "\n")


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``least``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llmparse", description="Parse Dutch answer letters (Kamervragen).")
    p.add_argument("--version", action="version", version=f"llmparse {llmparse.__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for cmd, helptext in (("parse", "parse letters into JSON"), ("check", "list the findings of letters")):
        sp = sub.add_parser(cmd, help=helptext)
        sp.add_argument("files", nargs="+", metavar="FILES",
                        help="letters: .txt, .md, .pdf or .docx files, folders of them, or quoted glob patterns")
        sp.add_argument("--strategy", choices=["rules", "llm", "auto"], default="auto",
                        help="rules (offline), llm (the model), or auto: the rules, and the model when they "
                        "report an error and a model is configured (default: auto)")
        sp.add_argument("--model", default=None, help="model name (default: $LLMPARSE_MODEL)")
        sp.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint (default: $LLMPARSE_BASE_URL)")
        sp.add_argument("--mode", choices=["tools", "json_schema", "md_json"], default=None,
                        help="how the model returns the plan (default: $LLMPARSE_MODE or tools)")
        sp.add_argument("--max-reasks", type=_count(0), default=2, help="re-asks for a plan that does not fit (2)")
        sp.add_argument("--token-budget", type=_count(1), default=None, help="most tokens one letter may spend")
        sp.add_argument("-v", "--verbose", action="store_true",
                        help="log what happens (and, for check, list info findings too)")
        sp.add_argument("--concurrency", type=_count(1), default=8, help="model requests in flight at once (8)")
        sp.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
        sp.add_argument("--cache-dir", type=Path, default=None, help="the cache folder (~/.cache/llmparse)")
        if cmd == "parse":
            sp.add_argument("--format", choices=["json", "jsonl", "text", "csv", "pairs"], default=None,
                            help="what goes to standard output: json (default; a JSON array for several "
                            "letters), jsonl (a Result per line), text, csv or pairs (JSONL): one row per "
                            "question number")
            sp.add_argument("--out", type=Path, default=None, metavar="DIR",
                            help="write DIR/<input file name>.json for each input")
            sp.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                            help="append one JSON line per letter to FILE (results and errors)")
            sp.add_argument("--resume", action="store_true", help="with --output: skip letters FILE already holds")
    sub.add_parser("schema", help="print the JSON Schema of the output")
    rv = sub.add_parser("review", help="write a self-contained HTML page to check a parsed letter")
    rv.add_argument("file", type=Path, metavar="FILE",
                    help="a letter (parsed now with --strategy) or a stored Result (.json, as parse writes it)")
    rv.add_argument("-o", "--output", type=Path, default=None, metavar="PAGE", help="default: FILE.html")
    rv.add_argument("--strategy", choices=["rules", "llm", "auto"], default="rules")
    cache = sub.add_parser("cache", help="manage the result cache")
    cache.add_argument("action", choices=["clear", "path"], help="clear: remove the entries; path: print the folder")
    cache.add_argument("--cache-dir", type=Path, default=None, help="the cache folder (~/.cache/llmparse)")
    bt = sub.add_parser("batch", help="the OpenAI Batch API: prepare requests, collect outputs")
    bsub = bt.add_subparsers(dest="batch_command", required=True)
    prep = bsub.add_parser("prepare", help="write /v1/chat/completions batch lines for letters")
    prep.add_argument("files", nargs="+", metavar="INPUTS", help="letters, folders of them, or glob patterns")
    prep.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="the requests file (JSONL)")
    prep.add_argument("--model", default=os.environ.get("LLMPARSE_MODEL"),
                      help="the model to ask (required; default: $LLMPARSE_MODEL)")
    coll = bsub.add_parser("collect", help="validate, assemble and check batch output files")
    coll.add_argument("batch_outputs", type=Path, nargs="+", metavar="OUTPUT",
                      help="the batch's output file, and its error file if it has one")
    coll.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                      help="write the results JSONL here (default: standard output); the file is replaced")
    coll.add_argument("--requests", type=Path, default=None, metavar="FILE",
                      help="the requests file: letters with no output line are listed for a re-run too")
    coll.add_argument("--root", type=Path, default=None, help="folder the letters' paths are relative to")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 done, 1 findings or re-runs to look at, 2 failures,
    130 interrupted)."""
    try:
        return _main(argv)
    except BrokenPipeError:  # `llmparse parse ... | head`
        return 0
    except UnicodeEncodeError as exc:  # a terminal or pipe in ASCII or Latin-1 cannot take the letter's text
        sys.stderr.write(f"llmparse: error: standard output cannot encode the letter's text ({exc.encoding}); set "
                         "PYTHONIOENCODING=utf-8, or write files with -o FILE or --out DIR\n")
        return _FAILED
    except KeyboardInterrupt:
        sys.stderr.write("\nllmparse: interrupted; what was written to -o FILE is kept (--resume goes on)\n")
        return 130
    except OSError as exc:  # a file or folder the command was asked to read or write
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"llmparse: error: {exc.strerror or exc}{where}\n")
        return _FAILED
    except llmparse.LLMParseError as exc:
        sys.stderr.write(f"llmparse: {type(exc).__name__}: {exc}\n")
        return _FAILED


def _review_source(path: Path, strategy: llmparse.Strategy) -> llmparse.Result:
    """The result to review: a stored Result (``.json``, as ``parse`` and ``batch collect`` write them; it holds
    its letter's text), or a letter parsed now."""
    if path.suffix.lower() != ".json":
        return llmparse.parse(path, strategy=strategy)
    try:
        return llmparse.Result.model_validate_json(path.read_bytes())
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise llmparse.InputError(f"is no Result JSON (give the letter itself, or a Result as parse writes it): "
                                  f"{str(exc).splitlines()[0]}", source=str(path)) from exc


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "resume", False) and args.output is None:
        parser.error("--resume needs -o FILE (the results file to resume)")
    to_files = getattr(args, "output", None) is not None or getattr(args, "out", None) is not None
    if getattr(args, "format", None) not in (None, "json", "jsonl") and to_files:
        parser.error(f"--format {args.format} is for standard output; -o FILE and --out DIR write Result JSON")
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="llmparse: %(message)s")
    if verbose:  # -v shows everything, the PDF reader's warnings too (the library keeps them quiet otherwise)
        logging.getLogger("pypdf").setLevel(logging.WARNING)
    else:
        # the PDF reader warns about fonts and stray bytes it copes with, and instructor logs every failed attempt
        # that the retry policy goes on to handle: the one-line error at the end says what matters
        logging.getLogger("pypdf").setLevel(logging.ERROR)
        logging.getLogger("instructor").setLevel(logging.CRITICAL)
    if args.command == "schema":
        sys.stdout.write(json.dumps(llmparse.result_schema(), indent=2) + "\n")
        return 0
    if args.command == "cache":
        store = llmparse.ResultCache(args.cache_dir)
        sys.stdout.write(f"{store.folder}\n" if args.action == "path" else f"removed {store.clear()} entries\n")
        return 0
    if args.command == "batch":
        return _batch(args, sys.stdout, sys.stderr)
    if args.command == "review":
        try:
            result = _review_source(args.file, args.strategy)
        except llmparse.LLMParseError as exc:
            sys.stderr.write(f"llmparse: {type(exc).__name__}: {exc}\n")
            return _FAILED
        page = args.output or args.file.with_name(args.file.name + ".html")
        page.write_text(result.to_html(), encoding="utf-8")
        sys.stderr.write(f"llmparse: wrote {page}\n")
        return 0
    args.any_error = False
    args.header_written = False
    return _parse_files(args, sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
