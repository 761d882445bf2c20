"""Batches: many letters through ``parse``, with bounded concurrency, one outcome per letter.

``aparse_many`` runs ``aparse`` on each source with at most ``concurrency`` model requests in flight, paced so
that a ready request never waits behind other letters' checks (``_pacing``), and yields an ``Outcome`` per
letter, in input order or as each completes. A letter that fails becomes an outcome holding its error: it
never stops the batch or loses the other letters' results.
``parse_many`` is the same for synchronous callers (it drives the async batch on a private event loop).

The helpers below serve long runs from the command line: expanding folders and globs into files, and the
JSONL results file that makes a run resumable (one complete line per letter, a torn last line repaired).
"""

from __future__ import annotations

import asyncio
import glob
import json
import logging
import os
import queue
import shutil
import threading
from collections import Counter
from collections.abc import AsyncGenerator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._cache import ResultCache
from ._document import DEFAULT_MAX_CHARS
from ._exceptions import InputError, LLMParseError
from ._models import Result
from ._pacing import PACING, Pacing
from ._pipeline import aparse, model_configured
from ._types import Source, Strategy

if TYPE_CHECKING:
    from ._extraction import LLMExtractor

__all__ = ["Outcome", "Summary", "aparse_many", "done_sources", "expand_inputs", "load_result", "parse_many",
           "resume"]

logger = logging.getLogger("llmparse")

#: File types a folder is searched for.
LETTER_SUFFIXES = (".txt", ".md", ".pdf", ".docx", ".odt", ".xml", ".html", ".xhtml")


@dataclass(frozen=True)
class Outcome:
    """One letter of a batch: its result, or what stopped it.

    Attributes:
        index: the source's position in the input.
        source: the source's name (its path, or ``<text 3>`` for text passed in directly).
        result: the result, or None when the letter failed.
        error_type: the error's class name (``NotALetterError``), or None.
        error: the error's one-line message, or None.
    """

    index: int
    source: str
    result: Result | None = None
    error_type: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the letter has a result."""
        return self.result is not None

    def to_json(self) -> str:
        """One JSONL line: the Result's JSON, or ``{"source", "error": {"type", "message"}}``."""
        if self.result is not None:
            return self.result.model_dump_json()
        return json.dumps({"source": self.source, "error": {"type": self.error_type, "message": self.error}},
                          ensure_ascii=False)


def _name(index: int, source: Source) -> str:
    if isinstance(source, (str, bytes, bytearray, memoryview)):
        return f"<{'text' if isinstance(source, str) else 'bytes'} {index}>"
    return os.fspath(source)


async def _one(index: int, source: Source, options: dict[str, Any], pacing: Pacing) -> Outcome:
    name = _name(index, source)
    PACING.set(pacing)  # in this task's own context
    try:
        async with pacing.working():
            result = await aparse(source, **options)
    except LLMParseError as exc:
        return Outcome(index, name, error_type=type(exc).__name__, error=str(exc))
    except Exception as exc:  # a bug must not cost the rest of the batch its results
        logger.exception("%s: unexpected error", name)
        return Outcome(index, name, error_type=type(exc).__name__, error=f"unexpected error: {exc}")
    if result.provenance.source is None and not name.startswith("<"):
        result = result.model_copy(update={"provenance": result.provenance.model_copy(update={"source": name})})
    return Outcome(index, name, result)


def _refuse_a_file_name(source: Source) -> None:
    """A str is a letter's text; one that names an existing file and holds no line break is a mistake
    (``parse_many(glob.glob(...))``) that would fail every letter as "not a letter"."""
    try:
        named = isinstance(source, str) and "\n" not in source and len(source) < 4096 and os.path.isfile(source)
    except ValueError:  # a NUL byte: text, not a name
        named = False
    if named:
        raise TypeError(f"{source!r} is a str, which is taken as a letter's text, but it names a file: pass "
                        f"pathlib.Path({source!r}) (for a glob: map(pathlib.Path, glob.glob(...)))")


async def aparse_many(
    sources: Iterable[Source],
    *,
    concurrency: int = 8,
    ordered: bool = True,
    strategy: Strategy = "auto",
    llm: LLMExtractor | None = None,
    model: str | None = None,
    base_url: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    cache: ResultCache | None = None,
) -> AsyncGenerator[Outcome, None]:
    """Parse many letters with at most ``concurrency`` model requests in flight; yields one ``Outcome`` per source.

    Args:
        sources: texts, bytes or paths; consumed lazily, so a generator over a huge archive is fine.
        concurrency: model requests in flight at once. Up to four times as many letters are read ahead, so a
            request is ready to go out whenever an answer comes in.
        ordered: yield in input order (True) or as each letter completes (False).
        strategy, llm, model, base_url, max_chars, cache: as for ``parse``.

    Raises:
        TypeError: a source is a str that names an existing file (a str is a letter's text: pass a Path).

    Closing the generator early (``aclose``, or leaving an ``async for`` loop over ``contextlib.aclosing``)
    cancels the letters started ahead, so they make no further model calls.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if llm is None and strategy != "rules" and (strategy == "llm" or model_configured(model)):
        from ._extraction import LLMExtractor  # the model stack, imported only when a model is used

        llm = LLMExtractor.from_env(model=model, base_url=base_url)
    options: dict[str, Any] = {"strategy": strategy, "llm": llm, "max_chars": max_chars, "cache": cache}
    pacing = Pacing(concurrency)
    window = concurrency * 4  # letters started at once (in flight, read ahead, being checked); bounds memory
    pending: set[asyncio.Task[Outcome]] = set()
    ready: dict[int, Outcome] = {}
    next_index = 0
    feed = iter(enumerate(sources))
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(feed, None)
                if item is None:
                    exhausted = True
                    break
                _refuse_a_file_name(item[1])
                pending.add(asyncio.ensure_future(_one(item[0], item[1], options, pacing)))
            if not pending:
                break
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                outcome = task.result()
                if not ordered:
                    yield outcome
                else:
                    ready[outcome.index] = outcome
            while next_index in ready:
                yield ready.pop(next_index)
                next_index += 1
    finally:
        # the consumer stopped early, or the sources raised: the letters started ahead make no more model calls
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def parse_many(
    sources: Iterable[Source],
    *,
    concurrency: int = 8,
    ordered: bool = True,
    strategy: Strategy = "auto",
    llm: LLMExtractor | None = None,
    model: str | None = None,
    base_url: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    cache: ResultCache | None = None,
) -> Iterator[Outcome]:
    """The synchronous face of ``aparse_many``: the same arguments and outcomes, as a plain iterator."""
    outcomes: queue.Queue[Outcome | BaseException | None] = queue.Queue(maxsize=concurrency * 2)
    stop = threading.Event()

    extractor = llm
    if extractor is None and strategy != "rules" and (strategy == "llm" or model_configured(model)):
        from ._extraction import LLMExtractor

        extractor = LLMExtractor.from_env(model=model, base_url=base_url)

    async def pump() -> None:
        try:
            async for outcome in aparse_many(sources, concurrency=concurrency, ordered=ordered, strategy=strategy,
                                             llm=extractor, max_chars=max_chars, cache=cache):
                while not stop.is_set():
                    try:
                        outcomes.put(outcome, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        finally:
            if extractor is not None:
                await extractor.aclose()  # its connections die with this private loop

    def run() -> None:
        try:
            asyncio.run(pump())
        except BaseException as exc:  # handed to the caller's thread
            outcomes.put(exc)
        finally:
            outcomes.put(None)

    worker = threading.Thread(target=run, name="llmparse-batch", daemon=True)
    worker.start()
    try:
        while (item := outcomes.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


# --- long runs from the command line -------------------------------------------------------------------


def expand_inputs(inputs: Iterable[str]) -> tuple[list[Path], list[str]]:
    """Files from paths, folders (searched for letter files) and glob patterns; and the inputs that matched
    nothing."""
    files: list[Path] = []
    missing: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in LETTER_SUFFIXES))
        elif path.exists():
            files.append(path)
        elif glob.has_magic(item):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if found:
                files.extend(found)
            else:
                missing.append(item)
        else:
            missing.append(item)
    unique: dict[str, Path] = {}
    for file in files:  # one file named twice (relative and absolute, or by a link) is parsed once
        unique.setdefault(_identity(file), file)
    return list(unique.values()), missing


def _identity(source: str | Path) -> str:
    """What makes two names of a file the same file: its real path (a relative one taken from the current
    folder)."""
    return os.path.realpath(os.fspath(source))


def done_sources(results: Path) -> set[str]:
    """The sources a JSONL results file already holds a result for; a torn last line is cut off.

    A run killed while writing leaves at most one incomplete line at the end. It is removed, so the resumed
    run appends whole lines only. Error lines do not count as done: a resumed run tries those letters again
    (``resume`` also removes their old error lines).
    """
    if not results.exists():
        return set()
    data = results.read_bytes()
    if data and not data.endswith(b"\n"):
        cut = data.rfind(b"\n") + 1
        try:  # a whole last line that only lacks its newline is kept
            json.loads(data[cut:])
            whole = True
        except ValueError:
            whole = False
        with results.open("r+b") as handle:
            if whole:
                handle.seek(0, os.SEEK_END)
                handle.write(b"\n")
            else:
                handle.truncate(cut)
        data = data + b"\n" if whole else data[:cut]
    done: set[str] = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        source = (record.get("provenance") or {}).get("source") if isinstance(record, dict) else None
        if source:
            done.add(source)
    return done


def _record_source(record: object) -> str:
    """The letter a results line is about: a Result's ``provenance.source``, or an error line's ``source``."""
    if not isinstance(record, dict):
        return ""
    return str(record.get("source") or (record.get("provenance") or {}).get("source") or "")


def _names(record: object, letter: str) -> bool:
    """Whether a results line is about ``letter``: its path as the line spells it, its file name, or any path
    to the same file."""
    source = _record_source(record)
    return letter in (source, Path(source).name) or _identity(source or "?") == _identity(letter)


def load_result(path: Path, *, letter: str | None = None) -> Result:
    """A stored Result: a ``.json`` file (as ``parse --out`` writes one), or one letter's line of a ``.jsonl``
    results file (as ``parse -o``, ``parse_many`` with ``Outcome.to_json`` and ``batch collect -o`` write them).

    Args:
        path: the ``.json`` file, or the results file (its name ends in ``.jsonl``).
        letter: in a results file, the letter to read: its path as the file spells it, its file name, or any
            path to the same file; it may be left out when the file holds one Result. Not used for ``.json``.

    Raises:
        InputError: the results file holds no Result for ``letter`` (saying what the letter failed with, when
            it did), or several and ``letter`` is None; or the JSON is no Result.
        OSError: the file cannot be read.

    Lines that are no JSON object (a torn last line of a killed run) are passed over.
    """
    data = path.read_bytes()
    if path.suffix.lower() == ".jsonl":
        records = []
        for line in data.splitlines():
            try:
                records.append((json.loads(line), line))
            except ValueError:  # a blank or torn line
                continue
        mine = [(record, line) for record, line in records if isinstance(record, dict)
                and (letter is None or _names(record, letter))]
        results = [line for record, line in mine if "error" not in record]
        if len(results) != 1:
            failed = [record["error"] for record, _ in mine if isinstance(record.get("error"), dict)]
            why = f" (it failed: {failed[-1].get('type')}: {failed[-1].get('message')})" if failed else ""
            raise InputError(f"holds {len(results)} results" + (
                ": name one with --letter NAME (letter=: its path or file name)" if letter is None and results else
                f" for {letter}{why}" if letter else ""), source=str(path))
        data = results[0]
    try:
        return Result.model_validate_json(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InputError(f"is no Result JSON (give the letter itself, or a Result as parse writes it): "
                         f"{str(exc).splitlines()[0]}", source=str(path)) from exc


def _error_source(line: bytes) -> str | None:
    """The source of an error line (``{"source", "error"}``), or None for any other line."""
    if b'"error":' not in line:  # a Result has no "error" key (its text's quotes are escaped): not parsed again
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if isinstance(record, dict) and "error" in record and isinstance(record.get("source"), str):
        return str(record["source"])
    return None


def _check_folder(results: Path, named: set[str], sources: list[Path]) -> None:
    """Refuse to resume from another folder than the first run's: the file's relative paths would not name
    the letters, and every letter would be parsed, and written, again."""
    relative = [name for name in named if not os.path.isabs(name)]
    if not relative or any(os.path.exists(name) for name in relative):
        return
    tails: set[str] = set()  # every trailing part of the sources' real paths: "letters/a.txt", "a.txt", ...
    for source in sources:
        parts = Path(_identity(source)).parts
        tails.update(os.path.join(*parts[k:]) for k in range(1, len(parts)))
    # a name from a first run given "../letters/a.txt" is known by what follows its leading ".." parts
    if any(os.path.join(*tail) in tails for name in relative
           if (tail := [part for part in Path(os.path.normpath(name)).parts if part != ".."])):
        raise InputError(f"names its letters by paths relative to another folder ({relative[0]!r} is not "
                         "here): run --resume from the folder the first run ran in", source=str(results))


def resume(results: Path, sources: Iterable[Path]) -> list[Path]:
    """The sources a resumed run still has to parse, with the results file made ready to take their lines.

    Letters are matched by file, not by spelling: ``letters/a.txt`` and ``/data/letters/a.txt`` are the same
    letter when run from ``/data`` (a relative path in the file is taken from the current folder).
    The file keeps one line per letter: a torn last line is cut off (as ``done_sources`` does), and the error
    lines of letters that are tried again, or that have a result already (files from earlier versions), are
    removed, by writing the file anew beside it and renaming it over, so a kill at any moment leaves either the
    old file or the new one. Error lines of letters that are not part of this run stay.

    Raises:
        InputError: the file names these letters by paths relative to another folder than the current one.
    """
    sources = list(sources)
    named = done_sources(results)
    _check_folder(results, named, sources)
    done = {_identity(source) for source in named}
    todo = [source for source in sources if _identity(source) not in done]
    stale = done | {_identity(source) for source in todo}  # with a result, or tried again: no error line needed
    if not results.exists():
        return todo
    lines = results.read_bytes().splitlines(keepends=True)
    failed = [_error_source(line) for line in lines]
    kept = [line for line, source in zip(lines, failed, strict=True)
            if source is None or _identity(source) not in stale]
    if len(kept) < len(lines):
        real = Path(os.path.realpath(results))  # through a link, the file it points to is rewritten
        fresh = real.with_name(f".{real.name}.resume")
        with fresh.open("wb") as handle:
            handle.writelines(kept)
            handle.flush()
            os.fsync(handle.fileno())
        shutil.copymode(real, fresh)
        os.replace(fresh, real)
        logger.info("%s: removed %d stale error line(s)", results, len(lines) - len(kept))
    return todo


def _clock(seconds: float) -> str:
    """Seconds as h:mm:ss."""
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


@dataclass
class Summary:
    """What a run did: letters by kind, error findings, model calls and tokens, cache hits, failures."""

    letters: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    with_errors: int = 0
    findings: int = 0
    llm_calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        self.letters += 1
        if outcome.result is None:
            message = outcome.error or ""  # most messages start with the source already: say it once
            message = message.removeprefix(f"{outcome.source}: ")
            self.failures.append(f"{outcome.source}: {outcome.error_type}: {message}")
            return
        result = outcome.result
        self.kinds[result.letter.kind] += 1
        self.findings += len(result.findings)
        self.with_errors += bool(result.errors)
        if result.provenance.cached:
            self.cache_hits += 1
        else:
            self.llm_calls += result.usage.llm_calls
            self.tokens += result.usage.prompt_tokens + result.usage.completion_tokens

    def progress(self, total: int, elapsed: float = 0.0) -> str:
        """One status line for a progress display: a bar, letters done of ``total``, (given the seconds
        ``elapsed``) rate and time left, failures, letters with error findings, findings, model calls, tokens."""
        share = min(1.0, self.letters / total) if total else 1.0
        bar = "#" * round(20 * share)
        line = f"[{bar:-<20}] {self.letters}/{total} letters"
        if elapsed > 0 and self.letters:  # early in the line: a narrow terminal cuts the end
            rate = self.letters / elapsed
            line += f"  {rate:.1f}/s  {_clock(max(0, total - self.letters) / rate)} left"
        return (f"{line}  {len(self.failures)} failed  {self.with_errors} with errors  {self.findings} findings  "
                f"{self.llm_calls} model calls  {self.tokens:,} tokens")

    def report(self) -> str:
        """The end-of-run summary, a few lines."""
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.kinds.items())) or "none"
        lines = [f"letters {self.letters}: {kinds}; {len(self.failures)} failed",
                 f"letters with error findings {self.with_errors}; findings {self.findings}",
                 f"model calls {self.llm_calls}; tokens {self.tokens:,}; cache hits {self.cache_hits}"]
        lines.extend(f"failed: {f}" for f in self.failures[:20])
        if len(self.failures) > 20:
            lines.append(f"... and {len(self.failures) - 20} more failures")
        return "\n".join(lines)
