"""The results file's library helpers the command line stands on: ``batch.load_result`` reads one stored Result
back, and ``Rerun.to_json`` is a batch re-run's line in the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import llmparse
from llmparse import batch

from .conftest import EXAMPLE
from .test_cli import COMPLETE, RECIPE


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results file as ``parse -o`` writes it: the example, a short letter, and a recipe that failed."""
    letter, recipe = tmp_path / "compleet.txt", tmp_path / "recept.txt"
    letter.write_text(COMPLETE, encoding="utf-8")
    recipe.write_text(RECIPE, encoding="utf-8")
    path = tmp_path / "results.jsonl"
    with path.open("w", encoding="utf-8") as sink:
        for outcome in llmparse.parse_many([EXAMPLE, letter, recipe], strategy="rules"):
            sink.write(outcome.to_json() + "\n")
    return path


def test_a_json_file_is_read_back_as_the_result_it_holds(tmp_path: Path) -> None:
    """A Result written as JSON (``parse --out``) loads back equal to the Result written."""
    result = llmparse.parse(EXAMPLE, strategy="rules")
    stored = tmp_path / "brief.json"
    stored.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    assert batch.load_result(stored) == result


@pytest.mark.parametrize("name", ["compleet.txt", "path-as-written", "another-path"])
def test_one_letter_of_a_results_file_by_name_or_path(results: Path, name: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The letter is found by its file name, by its path as the file spells it, or by another path to the same
    file (here a relative one)."""
    letter = results.parent / "compleet.txt"
    monkeypatch.chdir(results.parent.parent)
    asked = {"compleet.txt": "compleet.txt", "path-as-written": str(letter),
             "another-path": f"{results.parent.name}/compleet.txt"}[name]
    result = batch.load_result(results, letter=asked)
    assert result.provenance.source == str(letter)
    assert result == llmparse.parse(letter, strategy="rules").model_copy(
        update={"provenance": result.provenance})
    assert len(result.letter.questions) == 2


@pytest.mark.parametrize(("letter", "message"), [
    pytest.param(None, "holds 2 results: name one with --letter NAME", id="several-without-a-name"),
    pytest.param("weg.txt", "holds 0 results for weg.txt", id="unknown"),
    pytest.param("recept.txt", "holds 0 results for recept.txt (it failed: NotALetterError: ", id="failed"),
])
def test_no_single_result_is_an_input_error_saying_why(results: Path, letter: str | None, message: str) -> None:
    """Several results and no name, a name the file does not hold, and a letter that failed: an InputError
    naming the file and what it holds."""
    with pytest.raises(llmparse.InputError) as caught:
        batch.load_result(results, letter=letter)
    assert caught.value.source == str(results)
    assert str(caught.value).startswith(f"{results}: {message}")


def test_a_file_of_one_result_needs_no_name_and_a_torn_line_is_passed_over(results: Path, tmp_path: Path) -> None:
    """With one Result in the file the letter may go unnamed; a torn last line (a killed run) is not read."""
    first = results.read_text(encoding="utf-8").splitlines()[0]
    single = tmp_path / "one.jsonl"
    single.write_text(first + "\n" + first[: len(first) // 2], encoding="utf-8")
    assert batch.load_result(single) == llmparse.Result.model_validate_json(first)


def test_json_that_is_no_result_is_an_input_error(tmp_path: Path) -> None:
    """A JSON file that is no Result: an InputError saying so, with pydantic's error as its cause."""
    other = tmp_path / "ander.json"
    other.write_text('{"letter": 1}', encoding="utf-8")
    with pytest.raises(llmparse.InputError, match="is no Result JSON") as caught:
        batch.load_result(other)
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_rerun_line_is_an_error_line_a_resumed_run_parses_again(results: Path) -> None:
    """``Rerun.to_json`` is the error line ``parse -o`` writes for a failed letter: a resume counts the letter as
    not done, parses it again and drops the line, so the file keeps one line per letter."""
    letter = results.parent / "compleet.txt"
    kept = [line for line in results.read_text(encoding="utf-8").splitlines()
            if json.loads(line).get("provenance", {}).get("source") != str(letter)]
    rerun = batch.Rerun(str(letter), "the request failed: HTTP 500")
    line = rerun.to_json()
    assert json.loads(line) == {"source": str(letter), "error": {"type": "NeedsRerun",
                                                                 "message": "the request failed: HTTP 500"}}
    results.write_text("\n".join([*kept, line]) + "\n", encoding="utf-8")
    assert batch.resume(results, [EXAMPLE, letter]) == [letter]
    assert line not in results.read_text(encoding="utf-8")
