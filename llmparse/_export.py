"""Flat exports for analysts: one row per question number, as dicts, CSV or JSON Lines.

A letter's questions and answers do not pair one to one: a heading ``Vraag 3, 4 en 5`` prints one question with
three numbers, and ``Antwoord vraag 4 t/m 15`` answers twelve numbers at once. ``pairs`` flattens that into one
row per question number, in question order, each with the answer that covers the number (the first one, if
several do). A number no answer covers gets empty answer fields and ``answered`` False; so does every number of
a ``notice`` or ``questions_only`` letter. A number that only an answer carries (no printed question has it) gets
a row too, after the question rows and with empty question fields, so no answer text is lost.

The columns, in order, are ``PAIR_COLUMNS``:

- ``source``: ``Result.provenance.source`` (the input's file name), or empty.
- ``publication_id``, ``reference``, ``kind``: the letter's metadata of that name (empty when not printed).
- ``question_number``: the number this row is about (``"4"``, ``"2a"``).
- ``question_numbers``: every number of the printed question the row's number belongs to, joined with ``","``.
- ``question_text``: that question's text (repeated on each of its rows).
- ``answer_numbers``: every number the covering answer covers, joined with ``","``; empty when unanswered.
- ``answer_text``: the covering answer's text (repeated on each number it covers); empty when unanswered.
- ``grouped``: True when the covering answer covers more than one number.
- ``answered``: False when no answer covers the number.
- ``question_span_start``, ``question_span_end``, ``answer_span_start``, ``answer_span_end``: the items'
  ``[start, end)`` ranges in ``Result.text``; empty when there is no such item.
- ``errors``: how many error findings the letter has (the same on every row of a letter).

In CSV, booleans are written ``true`` / ``false`` and missing values as empty cells; in JSON Lines they are JSON
booleans and ``null``. This module reads a ``Result`` only: it imports nothing from the package at run time.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ._models import Answer, Question, Result

__all__ = ["PAIR_COLUMNS", "pairs", "pairs_csv", "pairs_jsonl"]

PAIR_COLUMNS: tuple[str, ...] = (
    "source",
    "publication_id",
    "reference",
    "kind",
    "question_number",
    "question_numbers",
    "question_text",
    "answer_numbers",
    "answer_text",
    "grouped",
    "answered",
    "question_span_start",
    "question_span_end",
    "answer_span_start",
    "answer_span_end",
    "errors",
)
"""The columns of a pair row, in order; a public contract (snake_case, documented in the module docstring)."""


def _row(result: Result, number: str, question: Question | None, answer: Answer | None) -> dict[str, object]:
    letter = result.letter
    row: dict[str, object] = {
        "source": result.provenance.source,
        "publication_id": letter.publication_id,
        "reference": letter.reference,
        "kind": letter.kind,
        "question_number": number,
        "question_numbers": ",".join(question.numbers) if question is not None else None,
        "question_text": question.text if question is not None else None,
        "answer_numbers": ",".join(answer.numbers) if answer is not None else None,
        "answer_text": answer.text if answer is not None else None,
        "grouped": answer is not None and len(answer.numbers) > 1,
        "answered": answer is not None,
        "question_span_start": question.span[0] if question is not None else None,
        "question_span_end": question.span[1] if question is not None else None,
        "answer_span_start": answer.span[0] if answer is not None else None,
        "answer_span_end": answer.span[1] if answer is not None else None,
        "errors": len(result.errors),
    }
    return row


def pairs(result: Result) -> list[dict[str, object]]:
    """One row per question number of ``result``'s letter, keyed by ``PAIR_COLUMNS`` in that order.

    Rows follow the questions in document order and, within a question, its numbers as printed; each carries
    the first answer whose numbers include the row's number (empty answer fields and ``answered`` False when
    none does). Numbers that only an answer carries follow, in answer order, with empty question fields. A
    question printed without any number gets one row with an empty ``question_number``. Missing values are
    None; spans and ``errors`` are ints; ``grouped`` and ``answered`` are bools.
    """
    letter = result.letter
    covering: dict[str, Answer] = {}
    for answer in letter.answers:
        for number in answer.numbers:
            covering.setdefault(number, answer)
    rows: list[dict[str, object]] = []
    asked: set[str] = set()
    for question in letter.questions:
        if not question.numbers:
            rows.append(_row(result, "", question, None))
        for number in question.numbers:
            asked.add(number)
            rows.append(_row(result, number, question, covering.get(number)))
    for answer in letter.answers:
        for number in answer.numbers:
            if number not in asked and covering[number] is answer:
                asked.add(number)
                rows.append(_row(result, number, None, answer))
    return rows


#: Line breaks ``json.dumps(ensure_ascii=False)`` leaves raw; they can only occur inside JSON strings.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _cell(value: object) -> str:
    """A CSV cell: booleans as ``true`` / ``false``, None as empty, anything else as ``str``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pairs_csv(results: Iterable[Result], out: TextIO, *, header: bool = True) -> None:
    """Write the ``pairs`` of every result to ``out`` as RFC 4180 CSV (comma, double quotes, CRLF rows).

    Texts keep their newlines and quotes (quoted as RFC 4180 says, so ``csv.reader`` reads them back whole);
    booleans are written ``true`` / ``false`` and None as an empty cell. Open a file for it with
    ``newline=""`` so the row endings are not translated. ``header=False`` leaves out the header row, for
    appending to a file that has one.
    """
    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")
    if header:
        writer.writerow(PAIR_COLUMNS)
    for result in results:
        for row in pairs(result):
            writer.writerow([_cell(row[column]) for column in PAIR_COLUMNS])


def pairs_jsonl(results: Iterable[Result], out: TextIO) -> None:
    """Write the ``pairs`` of every result to ``out`` as JSON Lines: one JSON object per row, keys in order.

    Booleans stay JSON booleans and missing values are ``null``; text is written as characters, not ``\\u``
    escapes, except line breaks: those inside texts are escaped (U+0085, U+2028 and U+2029 too, which
    ``str.splitlines`` would split on), so each row is exactly one line by any reader's count.
    """
    for result in results:
        for row in pairs(result):
            out.write(json.dumps(row, ensure_ascii=False).translate(_LINE_BREAKS))
            out.write("\n")
