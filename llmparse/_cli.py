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
from collections.abc import Sequence
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
        out_dir.mkdir(parents=True, exist_ok=True)
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
    if len(files) > 1 or results is not None:
        err.write(summary.report() + "\n")
    if summary.failures or missing:
        return _FAILED
    return 1 if args.command == "check" and summary.with_errors else 0


def _batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``batch prepare`` and ``batch collect``."""
    if args.batch_command == "prepare":
        if not args.model:
            err.write("llmparse: error: batch prepare needs --model (or LLMPARSE_MODEL)\n")
            return _FAILED
        files, missing = batch.expand_inputs(args.files)
        with args.output.open("w", encoding="utf-8") as sink:
            for request in batch.prepare_requests(files, model=args.model):
                sink.write(json.dumps(request, ensure_ascii=False) + "\n")
        err.write(f"llmparse: wrote {len(files)} request(s) to {args.output}\n")
        return _FAILED if missing else 0
    reruns = 0
    sink = args.output.open("w", encoding="utf-8") if args.output else out
    with args.batch_output.open(encoding="utf-8") as lines:
        for kind, item in batch.collect_outputs(lines, root=args.root):
            if kind == "result":
                sink.write(item.model_dump_json() + "\n")
            else:
                reruns += 1
                err.write(f"llmparse: needs a live re-run: {item.source}: {item.reason}\n")
    if sink is not out:
        sink.close()
    return 1 if reruns else 0


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
        else:
            out.write(result.model_dump_json(indent=2 if args.format == "json" else None) + "\n")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llmparse", description="Parse Dutch answer letters (Kamervragen).")
    p.add_argument("--version", action="version", version=f"llmparse {llmparse.__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for cmd, helptext in (("parse", "parse letters into JSON"), ("check", "list the findings of letters")):
        sp = sub.add_parser(cmd, help=helptext)
        sp.add_argument("files", nargs="+", metavar="FILES")
        sp.add_argument("--strategy", choices=["rules", "llm", "auto"], default="auto")
        sp.add_argument("--model", default=None, help="model name (default: $LLMPARSE_MODEL)")
        sp.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint (default: $LLMPARSE_BASE_URL)")
        sp.add_argument("--mode", choices=["tools", "json_schema", "md_json"], default=None,
                        help="how the model returns the plan (default: $LLMPARSE_MODE or tools)")
        sp.add_argument("--max-reasks", type=int, default=2, help="re-asks for a plan that does not fit (2)")
        sp.add_argument("--token-budget", type=int, default=None, help="most tokens one letter may spend")
        sp.add_argument("-v", "--verbose", action="store_true", help="also show info findings and log messages")
        sp.add_argument("--concurrency", type=int, default=8, help="model requests in flight at once (8)")
        sp.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
        sp.add_argument("--cache-dir", type=Path, default=None, help="the cache folder (~/.cache/llmparse)")
        if cmd == "parse":
            sp.add_argument("--format", choices=["json", "jsonl", "text", "csv", "pairs"], default="json",
                            help="json, jsonl (a Result per line), text, csv or pairs (JSONL): one row per "
                            "question number")
            sp.add_argument("--out", type=Path, default=None, metavar="DIR",
                            help="write DIR/<input file name>.json for each input")
            sp.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                            help="append one JSON line per letter to FILE (results and errors)")
            sp.add_argument("--resume", action="store_true", help="with --output: skip letters FILE already holds")
    sub.add_parser("schema", help="print the JSON Schema of the output")
    rv = sub.add_parser("review", help="write a self-contained HTML page to check a parsed letter")
    rv.add_argument("file", type=Path, metavar="FILE")
    rv.add_argument("-o", "--output", type=Path, default=None, metavar="PAGE", help="default: FILE.html")
    rv.add_argument("--strategy", choices=["rules", "llm", "auto"], default="rules")
    cache = sub.add_parser("cache", help="manage the result cache")
    cache.add_argument("action", choices=["clear", "path"])
    cache.add_argument("--cache-dir", type=Path, default=None)
    bt = sub.add_parser("batch", help="the OpenAI Batch API: prepare requests, collect outputs")
    bsub = bt.add_subparsers(dest="batch_command", required=True)
    prep = bsub.add_parser("prepare", help="write /v1/chat/completions batch lines for letters")
    prep.add_argument("files", nargs="+", metavar="INPUTS")
    prep.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    prep.add_argument("--model", default=os.environ.get("LLMPARSE_MODEL"))
    coll = bsub.add_parser("collect", help="validate, assemble and check a batch output file")
    coll.add_argument("batch_output", type=Path, metavar="OUTPUT")
    coll.add_argument("-o", "--output", type=Path, default=None, metavar="FILE", help="results JSONL (stdout)")
    coll.add_argument("--root", type=Path, default=None, help="folder the letters' paths are relative to")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="llmparse: %(message)s")
    if not verbose:  # the PDF reader warns about fonts and stray bytes it copes with; say nothing of it
        logging.getLogger("pypdf").setLevel(logging.ERROR)
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
            result = llmparse.parse(args.file, strategy=args.strategy)
        except llmparse.LLMParseError as exc:
            sys.stderr.write(f"llmparse: {type(exc).__name__}: {exc}\n")
            return _FAILED
        page = args.output or args.file.with_name(args.file.name + ".html")
        page.write_text(result.to_html(), encoding="utf-8")
        sys.stderr.write(f"llmparse: wrote {page}\n")
        return 0
    args.any_error = False
    args.header_written = False
    try:
        return _parse_files(args, sys.stdout, sys.stderr)
    except BrokenPipeError:  # `llmparse parse ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
