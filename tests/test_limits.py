"""Limits: the configurable input size, and pathological letters that must parse in linear, bounded time.

tests/test_inputs.py already covers ``max_chars`` at and one past the limit for plain ASCII str, bytes and files,
and the default limit for 20 MB inputs. Here: the limit counts characters after decoding (not bytes) for every
kind of source, files are refused from their size alone before they are read, and a batch reports an
oversized letter as its own outcome. Then letters of pathological shape: each must give a Result (no error)
well inside a time bound that a loaded CI machine cannot miss (a parse takes a few seconds at most here).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import llmparse
from llmparse import InputTooLargeError, Result

from .test_fuzz import check_result

#: Generous: every pathological letter below parses in under 3 s on the 2-core development machine.
TIME_BOUND = 20.0

HEAD = (
    "Antwoorden van de Minister van Infrastructuur en Waterstaat op vragen van het lid Van Amstel (Fietsbelang) "
    "over gladde fietspaden op dijken (ingezonden 12 januari 2024).\n\n"
)


@contextmanager
def within(seconds: float = TIME_BOUND) -> Iterator[None]:
    """Fail when the block takes longer than ``seconds``."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound {seconds:.0f} s)"


def _parse(text: str, max_chars: int | None = None) -> Result:
    with within():
        if max_chars is None:
            result = llmparse.parse(text, strategy="rules")
        else:
            result = llmparse.parse(text, strategy="rules", max_chars=max_chars)
    check_result(result)
    return result


# --- the size limit ----------------------------------------------------------------------------------------

# Two- and four-byte characters in UTF-8 (and a surrogate pair in UTF-16): bytes and characters differ.
WIDE = (
    HEAD
    + "Vraag 1\nKent u het bericht ‘Fietsers 🚲 glijden uit op dijkpaden’ uit Zeeuws-Vlaanderen?\n\n"
    + "Antwoord 1\nJa, dat bericht ken ik. De provincie heeft 12 km² dijkpad gestrooid. 🚲🚲🚲 é è ë ï ø ß\n"
)


def _source(kind: str, text: str, tmp_path: Path) -> tuple[llmparse.Source, str]:
    if kind == "str":
        return text, "<str>"
    if kind == "bytes":
        return text.encode("utf-8"), "<bytes>"
    if kind == "bytearray":
        return bytearray(text.encode("utf-8")), "<bytes>"
    if kind == "memoryview":
        return memoryview(text.encode("utf-8")), "<bytes>"
    path = tmp_path / f"{kind}.txt"
    path.write_bytes(text.encode("utf-8") if kind == "utf8-file" else text.encode("utf-16"))
    return path, str(path)


@pytest.mark.parametrize("kind", ["str", "bytes", "bytearray", "memoryview", "utf8-file", "utf16-file"])
def test_limit_counts_characters_after_decoding(tmp_path: Path, kind: str) -> None:
    """A letter of exactly max_chars characters (but more bytes) parses; with the limit one character lower it
    raises InputTooLargeError naming the source and the limit, whatever kind of source it is."""
    n = len(WIDE)
    assert len(WIDE.encode("utf-8")) > n + 20
    source, name = _source(kind, WIDE, tmp_path)
    assert llmparse.parse(source, strategy="rules", max_chars=n).letter.kind == "answers"
    with pytest.raises(InputTooLargeError) as info:
        llmparse.parse(source, strategy="rules", max_chars=n - 1)
    assert info.value.source == name
    assert str(info.value).startswith(f"{name}: ")
    assert f"{n - 1:,}" in str(info.value)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".pdf", ".docx"])
def test_huge_file_is_refused_unread(tmp_path: Path, suffix: str) -> None:
    """A 1 GB file (sparse: it takes no disk) is refused from its size at once, before any reader opens it."""
    path = tmp_path / f"enorm{suffix}"
    with path.open("wb") as f:
        f.truncate(1024**3)
    with within(5.0), pytest.raises(InputTooLargeError) as info:
        llmparse.parse(path, strategy="rules")
    assert info.value.source == str(path)
    assert "bytes is over the limit" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_stream_path_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    """A FIFO fed 64 MB is refused with an InputError after reading little more than the limit allows.

    A FIFO or a device (/dev/stdin, /dev/zero) reports size 0, so only a bounded read keeps it from being read
    to the end (parse(Path('/dev/zero')) used to read until MemoryError).
    """
    fifo = tmp_path / "stroom.txt"
    os.mkfifo(fifo)
    chunk = b"Vraag 1\nWaarom?\n" * 4096
    sent = 0

    def feed() -> None:
        nonlocal sent
        try:
            with fifo.open("wb") as f:
                while sent < 64 * 1024 * 1024:
                    f.write(chunk)
                    sent += len(chunk)
        except BrokenPipeError:  # the reader stopped reading: what a bounded read does
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with within(), pytest.raises(llmparse.InputError):
            llmparse.parse(fifo, strategy="rules", max_chars=1_000)
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets a writer still waiting to open go on, and fail
        os.close(fd)
        writer.join(10)
    assert sent <= 4 * 1_000 + 2 * len(chunk), f"read {sent:,} bytes for a limit of 1,000 characters"


def test_limit_in_a_batch_fails_only_the_large_letter() -> None:
    """parse_many(max_chars=...) reports the oversized letter as an InputTooLargeError outcome; the rest parse."""
    small = HEAD + "Vraag 1\nWaarom?\n\nAntwoord 1\nDaarom.\n"
    large = small + "Toelichting: " + "lang " * 2_000
    outcomes = list(llmparse.parse_many([small, large, small.encode()], strategy="rules", max_chars=5_000))
    assert [o.error_type for o in outcomes] == [None, "InputTooLargeError", None]
    assert outcomes[1].source == "<text 1>"


# --- pathological letters ----------------------------------------------------------------------------------


def test_hundred_thousand_short_lines() -> None:
    """An answer of 100,000 short lines is one answer holding them all."""
    lines = ["ja", "nee", "x", "Ok.", "wel", "—"]
    body = "\n".join(lines[k % len(lines)] for k in range(100_000))
    result = _parse(HEAD + "Vraag 1\nHoe vaak?\n\nAntwoord 1\n" + body + "\n")
    assert [a.numbers for a in result.letter.answers] == [["1"]]
    assert result.letter.answers[0].text.count("nee") == 100_000 // len(lines) + (100_000 % len(lines) > 1)


def test_one_five_megabyte_line() -> None:
    """One 5 MB line (over the default limit, so with a raised max_chars) is one answer's text."""
    line = "Dit is een heel lang antwoord zonder einde, " * (5 * 1024 * 1024 // 44 + 1)
    result = _parse(HEAD + "Vraag 1\nWaarom?\n\nAntwoord 1\n" + line + "\n", max_chars=6_000_000)
    assert [a.numbers for a in result.letter.answers] == [["1"]]
    assert len(result.letter.answers[0].text) == len(line.strip())


def _headings(count: int) -> str:
    return HEAD + "".join(
        f"Vraag {n}\nHoeveel bomen zijn er in gemeente {n} gekapt?\n\nAntwoord {n}\nHonderd.\n\n"
        for n in range(1, count + 1)
    )


def test_ten_thousand_headed_questions() -> None:
    """10,000 Vraag N / Antwoord N pairs: all 10,000 questions and answers are found, with no coverage error.

    (Until five-digit numbers were allowed, Vraag 10000 was silently swallowed by answer 9,999.)
    """
    result = _parse(_headings(10_000))
    expected = [[str(n)] for n in range(1, 10_001)]
    assert [q.numbers for q in result.letter.questions] == expected
    assert [a.numbers for a in result.letter.answers] == expected
    assert not [f for f in result.errors if f.code.startswith("coverage.")]


DIGIT_LINES: list[tuple[str, Callable[[int], str]]] = [
    ("rising", lambda n: str(n)),
    ("all-ones", lambda n: "1"),
    ("cycling-to-99", lambda n: str(n % 100)),
    ("marker-and-link", lambda n: f"{n % 100} https://example.org/{n}"),
    ("bracketed", lambda n: f"[{n % 1000}]"),
    ("paren", lambda n: f"{n % 1000})"),
]


@pytest.mark.parametrize("shape", [pytest.param(f, id=i) for i, f in DIGIT_LINES])
@pytest.mark.parametrize("vraag", [True, False], ids=["vraag-headings", "bare-numbers"])
def test_ten_thousand_footnote_marker_lines(shape: Callable[[int], str], vraag: bool) -> None:
    """10,000 lines that are only footnote-marker-like digits, after an answer (or, without Vraag headings,
    where bare numbers may be questions) parse without error."""
    lines = "\n".join(shape(n) for n in range(1, 10_001))
    opening = "Vraag 1\nHoe?\n\nAntwoord 1\nZo.\n" if vraag else ""
    result = _parse(HEAD + opening + lines + "\n")
    if vraag:
        assert [q.numbers for q in result.letter.questions] == [["1"]]


NUMBERED: list[tuple[str, str]] = [
    ("ten-thousand-question-lines", "1. Kunt u aangeven hoeveel kilometer fietspad er is?\n" * 10_000),
    ("hundred-thousand-bare", "1. \n" * 100_000),
    ("one-line", "1. " * 100_000 + "\n"),
    ("nested", "".join("   " * (k % 20) + "1. " * (k % 20 + 1) + "punt\n" for k in range(20_000))),
]


@pytest.mark.parametrize("body", [pytest.param(b, id=i) for i, b in NUMBERED])
@pytest.mark.parametrize("vraag", [True, False], ids=["in-an-answer", "as-questions"])
def test_deeply_repeated_numbered_lines(body: str, vraag: bool) -> None:
    """"1. " repeated on many lines, or many times on one line, parses without error: inside an answer, or in
    a letter without Vraag headings where "1. " paragraphs may be its questions."""
    opening = "Vraag 1\nHoe?\n\nAntwoord 1\n" if vraag else ""
    result = _parse(HEAD + opening + body)
    if vraag:
        assert [a.numbers for a in result.letter.answers] == [["1"]]
