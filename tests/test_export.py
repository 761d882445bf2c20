"""Flat exports: one row per question number, as dicts, CSV and JSON Lines (llmparse/_export.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

import llmparse
from llmparse._export import PAIR_COLUMNS, pairs, pairs_csv, pairs_jsonl

from .conftest import EXAMPLE, LETTERS

LETTER_FILES = sorted(p for p in LETTERS.iterdir() if p.suffix in (".txt", ".md") and p.name != "README.md")

_HEADER = """Vragen van het lid Jansen (D66) aan de Minister van Onderwijs, Cultuur en Wetenschap over
schoolzwemmen (ingezonden 3 maart 2024).
Antwoord van Minister Pietersen (Onderwijs, Cultuur en Wetenschap) (ontvangen 2 april 2024).
"""

#: A grouped question heading answered by a grouped answer; quotes, commas and a paragraph break in the texts.
GROUPED = _HEADER + """Vraag 1
Bent u bekend met het bericht "Schoolzwemmen verdwijnt", en met de reactie daarop?
Antwoord 1
Ja.

Het bericht klopt, op één punt na: het woord "verdwijnt" is te sterk.
Vraag 2 en 3
Hoeveel scholen bieden nog schoolzwemmen aan?
Welke kosten zijn daaraan verbonden?
Antwoord 2 en 3
Ongeveer een derde van de scholen.
De kosten verschillen per gemeente.
"""

#: A letter cut off after answer 2: question 3 has no answer.
TRUNCATED = _HEADER + """Vraag 1
Bent u bekend met het bericht "Schoolzwemmen verdwijnt"?
Antwoord 1
Ja.
Vraag 2
Hoeveel scholen bieden nog schoolzwemmen aan?
Antwoord 2
Ongeveer een derde.
Vraag 3
Welke kosten zijn daaraan verbonden?
"""


@pytest.fixture(scope="module")
def example() -> llmparse.Result:
    """The example letter parsed by the rules."""
    return llmparse.parse(EXAMPLE, strategy="rules")


def _crafted() -> llmparse.Result:
    """A hand-made result with awkward texts, a numberless question and an answer to a number never asked."""
    text = 'Q "one",\r\nsecond line\rthird\u2028fourth\x85fifth; A: ""quoted"" and , comma\n\nnext'
    letter = llmparse.Letter(
        kind="answers",
        reference="2024Z00001",
        questions=[
            llmparse.Question(numbers=["1"], text=text, span=(0, 10)),
            llmparse.Question(numbers=[], text="A question without a number.", span=(10, 20)),
        ],
        answers=[
            llmparse.Answer(numbers=["1"], text=text[::-1], span=(20, 30)),
            llmparse.Answer(numbers=["7"], text="An answer to a question that was never printed.", span=(30, 40)),
        ],
    )
    provenance = llmparse.Provenance(strategy="rules", llmparse_version="0", source='dir with, comma/"x".txt')
    return llmparse.Result(letter=letter, provenance=provenance, text="x" * 40)


def _as_csv_cells(row: dict[str, object]) -> dict[str, str]:
    """A row as ``pairs_csv`` writes it: booleans true/false, None empty, the rest as str."""
    cells = {}
    for key, value in row.items():
        if isinstance(value, bool):
            cells[key] = "true" if value else "false"
        else:
            cells[key] = "" if value is None else str(value)
    return cells


def test_columns_are_pair_columns(example: llmparse.Result) -> None:
    """Every row's keys are PAIR_COLUMNS in order, and the names are unique snake_case."""
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", name) for name in PAIR_COLUMNS)
    assert len(set(PAIR_COLUMNS)) == len(PAIR_COLUMNS)
    for result in (example, _crafted(), llmparse.parse(GROUPED, strategy="rules")):
        assert all(tuple(row) == PAIR_COLUMNS for row in pairs(result))


def test_example_has_one_row_per_number(example: llmparse.Result) -> None:
    """The example letter gives exactly 15 rows, numbered 1 to 15 in order, with the letter's metadata."""
    rows = pairs(example)
    assert [row["question_number"] for row in rows] == [str(n) for n in range(1, 16)]
    assert all(row["answered"] is True for row in rows)
    assert {row["reference"] for row in rows} == {"2020Z03371"}
    assert {row["kind"] for row in rows} == {"answers"}
    assert example.provenance.source
    assert {row["source"] for row in rows} == {example.provenance.source}
    assert {row["errors"] for row in rows} == {len(example.errors)}


def test_example_single_answers(example: llmparse.Result) -> None:
    """Rows 1 to 3 carry their own answer ('Ja.' for question 1) and are not grouped."""
    rows = pairs(example)
    assert rows[0]["answer_text"] == "Ja."
    assert rows[0]["answer_numbers"] == "1"
    assert rows[0]["question_text"] == example.letter.questions[0].text
    assert all(row["grouped"] is False for row in rows[:3])
    assert (rows[0]["answer_span_start"], rows[0]["answer_span_end"]) == example.letter.answers[0].span
    assert (rows[0]["question_span_start"], rows[0]["question_span_end"]) == example.letter.questions[0].span


def test_example_grouped_answer(example: llmparse.Result) -> None:
    """Rows 4 to 15 share the answer 'vraag 4 t/m 15': same text, all its numbers, grouped True."""
    rows = pairs(example)[3:]
    grouped = example.letter.answers[-1]
    assert len(rows) == 12
    assert {row["answer_text"] for row in rows} == {grouped.text}
    assert {row["answer_numbers"] for row in rows} == {",".join(str(n) for n in range(4, 16))}
    assert all(row["grouped"] is True and row["answered"] is True for row in rows)
    assert len({row["question_text"] for row in rows}) == 12  # each its own question


def test_grouped_question_heading_gives_a_row_per_number() -> None:
    """'Vraag 2 en 3' gives two rows with the same question text, covered by 'Antwoord 2 en 3'."""
    rows = pairs(llmparse.parse(GROUPED, strategy="rules"))
    assert [row["question_number"] for row in rows] == ["1", "2", "3"]
    two, three = rows[1], rows[2]
    assert two["question_text"] == three["question_text"]
    assert str(two["question_text"]).startswith("Hoeveel scholen")
    assert two["question_numbers"] == three["question_numbers"] == "2,3"
    assert two["answer_text"] == three["answer_text"]
    assert two["answer_numbers"] == three["answer_numbers"] == "2,3"
    assert two["grouped"] is three["grouped"] is True
    assert rows[0]["grouped"] is False


def test_unanswered_question_row() -> None:
    """A question the truncated letter never answers gets a row with empty answer fields and answered False."""
    result = llmparse.parse(TRUNCATED, strategy="rules")
    rows = pairs(result)
    assert [row["question_number"] for row in rows] == ["1", "2", "3"]
    last = rows[2]
    assert last["answered"] is False
    assert last["grouped"] is False
    assert last["question_text"] == "Welke kosten zijn daaraan verbonden?"
    for column in ("answer_numbers", "answer_text", "answer_span_start", "answer_span_end"):
        assert last[column] is None, column
    assert all(row["errors"] == len(result.errors) >= 1 for row in rows)
    assert rows[1]["answer_text"] == "Ongeveer een derde."


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("syn15-notice-delay.pdftext.txt", 3),
        ("syn16-notice-no-questions.docxtext.txt", 0),
        ("syn17-notice-answered-elsewhere.pdftotext.txt", 3),
        ("syn18-questions-only.pdftext.txt", 5),
    ],
    ids=["notice-delay", "notice-no-questions", "notice-answered-elsewhere", "questions-only"],
)
def test_letters_without_answers_give_rows_with_empty_answers(name: str, count: int) -> None:
    """Notices and questions-only letters give a row per printed number, none of them answered."""
    result = llmparse.parse(LETTERS / name, strategy="rules")
    rows = pairs(result)
    assert len(rows) == count
    assert {row["kind"] for row in rows} <= {result.letter.kind}
    assert all(row["answered"] is False and row["answer_text"] is None for row in rows)
    assert all(row["question_text"] for row in rows)


def test_numberless_question_and_answer_only_number() -> None:
    """A question without a number gets one row; a number only an answer carries gets a row after the questions."""
    result = _crafted()
    rows = pairs(result)
    assert [row["question_number"] for row in rows] == ["1", "", "7"]
    assert rows[1]["question_text"] == "A question without a number."
    assert rows[1]["answered"] is False
    orphan = rows[2]
    assert orphan["question_text"] is None
    assert orphan["question_numbers"] is None
    assert orphan["question_span_start"] is None
    assert orphan["answer_text"] == "An answer to a question that was never printed."
    assert orphan["answered"] is True
    assert orphan["grouped"] is False


def test_first_covering_answer_wins() -> None:
    """When two answers cover a number, the row takes the first one in document order."""
    letter = llmparse.Letter(
        kind="answers",
        questions=[llmparse.Question(numbers=["1"], text="Q", span=(0, 1))],
        answers=[
            llmparse.Answer(numbers=["1", "2"], text="first", span=(1, 2)),
            llmparse.Answer(numbers=["1"], text="second", span=(2, 3)),
        ],
    )
    result = llmparse.Result(letter=letter, provenance=llmparse.Provenance(strategy="rules", llmparse_version="0"),
                             text="abc")
    rows = pairs(result)
    assert [(row["question_number"], row["answer_text"]) for row in rows] == [("1", "first"), ("2", "first")]


def test_csv_round_trip(example: llmparse.Result) -> None:
    """The CSV reads back through csv.DictReader as the rows in string form; newlines and quotes survive."""
    results = [example, llmparse.parse(GROUPED, strategy="rules"), llmparse.parse(TRUNCATED, strategy="rules"),
               _crafted()]
    out = io.StringIO(newline="")
    pairs_csv(results, out)
    written = out.getvalue()
    assert written.startswith(",".join(PAIR_COLUMNS) + "\r\n")
    reader = csv.DictReader(io.StringIO(written, newline=""))
    assert tuple(reader.fieldnames or ()) == PAIR_COLUMNS
    expected = [_as_csv_cells(row) for result in results for row in pairs(result)]
    got = list(reader)
    assert got == expected
    assert any("\n" in row["answer_text"] and '"' in row["answer_text"] for row in got)  # the GROUPED answer 1
    assert {row["grouped"] for row in got} == {"true", "false"}


def test_csv_without_header() -> None:
    """header=False writes the data rows only, so a second batch can be appended to a file."""
    result = llmparse.parse(GROUPED, strategy="rules")
    out = io.StringIO(newline="")
    pairs_csv([result], out, header=False)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == 3
    assert rows[0][PAIR_COLUMNS.index("question_number")] == "1"


def test_csv_to_a_file(tmp_path: Path, example: llmparse.Result) -> None:
    """Written to a file opened with newline='', the CSV reads back with the same rows."""
    path = tmp_path / "pairs.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        pairs_csv([example, _crafted()], fh)
    with path.open(encoding="utf-8", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert got == [_as_csv_cells(row) for result in (example, _crafted()) for row in pairs(result)]


def test_jsonl_lines_load_back(example: llmparse.Result) -> None:
    """Each JSON Lines line loads back into its row (booleans, ints and nulls kept), one line per row."""
    results = [example, llmparse.parse(GROUPED, strategy="rules"), llmparse.parse(TRUNCATED, strategy="rules"),
               _crafted()]
    out = io.StringIO()
    pairs_jsonl(results, out)
    written = out.getvalue()
    expected = [row for result in results for row in pairs(result)]
    assert written.endswith("\n")
    assert len(written.splitlines()) == len(expected)  # even U+2028 / U+0085 inside texts do not split a line
    loaded = [json.loads(line) for line in written.splitlines()]
    assert loaded == expected
    assert all(list(obj) == list(PAIR_COLUMNS) for obj in loaded)
    assert "één" in written  # written as characters, not escaped


def test_empty_input_writes_nothing_but_the_header() -> None:
    """No results give a header-only CSV and an empty JSON Lines output."""
    csv_out, jsonl_out = io.StringIO(newline=""), io.StringIO()
    pairs_csv([], csv_out)
    pairs_jsonl([], jsonl_out)
    assert csv_out.getvalue() == ",".join(PAIR_COLUMNS) + "\r\n"
    assert jsonl_out.getvalue() == ""


@pytest.mark.parametrize("path", LETTER_FILES, ids=[p.stem for p in LETTER_FILES])
def test_result_json_round_trip(path: Path) -> None:
    """A result's JSON loads back into an equal Result."""
    result = llmparse.parse(path, strategy="rules")
    assert llmparse.Result.model_validate_json(result.model_dump_json()) == result
