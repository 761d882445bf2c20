"""The command line, driven through ``llmparse._cli.main(argv)`` and once through ``python -m llmparse``."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import llmparse
from llmparse import batch
from llmparse._cli import main

from .conftest import EXAMPLE, LETTERS, ROOT

ENDPOINT_NOTICE = "no model endpoint configured"

# Invented letters: fictional member, party and subject.
TRUNCATED = """Antwoorden van de Minister van Onderwijs, Cultuur en Wetenschap op vragen van het lid Kramer-Oost \
(Lerarenpartij) over lege lokalen in basisscholen (ingezonden 8 februari 2024).

Vraag 1
Bent u bekend met het bericht dat een op de vijf basisscholen lokalen leeg laat staan?

Vraag 2
Hoeveel scholen hebben daardoor hogere energiekosten?

Vraag 3
Bent u bereid gemeenten te helpen deze lokalen een andere bestemming te geven?

Antwoord 1
Ja.

Antwoord 2
Dat is niet precies bekend. Uit een eerste rondgang langs de schoolbesturen blijkt dat
"""

COMPLETE = """Antwoorden van de Minister van Onderwijs, Cultuur en Wetenschap op vragen van het lid Kramer-Oost \
(Lerarenpartij) over lege lokalen in basisscholen (ingezonden 8 februari 2024).

Vraag 1
Bent u bekend met het bericht dat een op de vijf basisscholen lokalen leeg laat staan?

Antwoord 1
Ja.

Vraag 2
Hoeveel scholen hebben daardoor hogere energiekosten?

Antwoord 2
Dat is niet precies bekend; ik laat dit onderzoeken.
"""


@pytest.fixture
def truncated(tmp_path: Path) -> Path:
    """A letter that stops in the middle of answer 2, leaving question 3 unanswered."""
    path = tmp_path / "afgebroken.txt"
    path.write_text(TRUNCATED, encoding="utf-8")
    return path


@pytest.fixture
def complete(tmp_path: Path) -> Path:
    """A short letter in which every question is answered."""
    path = tmp_path / "compleet.txt"
    path.write_text(COMPLETE, encoding="utf-8")
    return path


def _example_ok(result: llmparse.Result) -> None:
    assert len(result.letter.questions) == 15
    assert len(result.letter.answers) == 4


# --- parse -------------------------------------------------------------------------------------------------


def test_parse_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`parse EXAMPLE --format json` prints one Result JSON and says once on stderr that no endpoint is set."""
    assert main(["parse", str(EXAMPLE), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    result = llmparse.Result.model_validate_json(out)
    _example_ok(result)
    assert result.provenance.strategy == "rules"
    assert result.provenance.source == str(EXAMPLE)
    assert err.count(ENDPOINT_NOTICE) == 1


def test_json_is_the_default_format(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --format the output is the same Result JSON."""
    assert main(["parse", str(EXAMPLE)]) == 0
    _example_ok(llmparse.Result.model_validate_json(capsys.readouterr().out))


def test_endpoint_notice_is_printed_once_for_many_files(
    capsys: pytest.CaptureFixture[str], complete: Path
) -> None:
    """The missing-endpoint notice is printed once per run, not once per file."""
    assert main(["parse", str(EXAMPLE), str(complete), str(EXAMPLE)]) == 0
    assert capsys.readouterr().err.count(ENDPOINT_NOTICE) == 1


def test_rules_strategy_prints_no_endpoint_notice(capsys: pytest.CaptureFixture[str]) -> None:
    """With --strategy rules the endpoint is not needed, so nothing is said about it."""
    assert main(["parse", str(EXAMPLE), "--strategy", "rules"]) == 0
    out, err = capsys.readouterr()
    assert ENDPOINT_NOTICE not in err
    _example_ok(llmparse.Result.model_validate_json(out))


def test_parse_jsonl(capsys: pytest.CaptureFixture[str], complete: Path) -> None:
    """`--format jsonl` prints one compact Result JSON line per input file, in order."""
    assert main(["parse", str(EXAMPLE), str(complete), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (llmparse.Result.model_validate_json(line) for line in lines)
    _example_ok(first)
    assert first.provenance.source == str(EXAMPLE)
    assert second.provenance.source == str(complete)
    assert len(second.letter.questions) == 2


def test_parse_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format text` prints a readable report that names the file and counts questions and answers."""
    assert main(["parse", str(EXAMPLE), "--format", "text"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(str(EXAMPLE))
    assert "15 questions" in first
    assert "4 answers" in first
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_parse_out_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path, complete: Path) -> None:
    """`--out DIR` writes DIR/<input file name>.json for each input (creating DIR) and nothing to stdout."""
    out_dir = tmp_path / "uit" / "json"
    assert main(["parse", str(EXAMPLE), str(complete), "--out", str(out_dir)]) == 0
    assert capsys.readouterr().out == ""
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([f"{EXAMPLE.name}.json", "compleet.txt.json"])
    example = llmparse.Result.model_validate_json((out_dir / f"{EXAMPLE.name}.json").read_text(encoding="utf-8"))
    _example_ok(example)
    other = llmparse.Result.model_validate_json((out_dir / "compleet.txt.json").read_text(encoding="utf-8"))
    assert other.provenance.source == str(complete)


@pytest.mark.parametrize("missing_first", [True, False], ids=["missing-first", "missing-last"])
def test_missing_file_among_good_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, missing_first: bool
) -> None:
    """A missing file gets one line on stderr and exit code 2, and the good file's output is still printed (as
    the one Result in the JSON array that two named files make)."""
    missing = tmp_path / "bestaat-niet.txt"
    files = [str(missing), str(EXAMPLE)] if missing_first else [str(EXAMPLE), str(missing)]
    assert main(["parse", *files, "--strategy", "rules"]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [line for line in err.splitlines() if str(missing) in line]
    assert len(err.splitlines()) == 1
    assert err.endswith("\n")
    (result,) = json.loads(out)
    _example_ok(llmparse.Result.model_validate(result))


def test_missing_file_with_out_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """With --out, a missing file still fails the run while the good file's JSON is written."""
    missing = tmp_path / "weg.txt"
    out_dir = tmp_path / "uit"
    assert main(["parse", str(missing), str(EXAMPLE), "--strategy", "rules", "--out", str(out_dir)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert [p.name for p in out_dir.iterdir()] == [f"{EXAMPLE.name}.json"]


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        pytest.param("brief.pdf", b"%PDF-1.7", "UnreadableFileError", id="truncated-pdf"),
        pytest.param("brief.pages", b"PK\x03\x04", "UnsupportedFormatError", id="pages"),
        pytest.param("leeg.txt", b"", "EmptyInputError", id="empty"),
        pytest.param("recept.txt", b"Pannenkoeken\n\nMeng bloem, melk en eieren.\n", "NotALetterError",
                     id="not-a-letter"),
    ],
)
def test_unreadable_file_gets_one_stderr_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, data: bytes, error: str
) -> None:
    """Any input error becomes one stderr line naming the error class and the file, with exit code 2."""
    path = tmp_path / name
    path.write_bytes(data)
    assert main(["parse", str(path), "--strategy", "rules"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert error in err
    assert str(path) in err


def test_llm_strategy_without_endpoint_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """--strategy llm without a configured endpoint exits 2 with a message and parses nothing."""
    assert main(["parse", str(EXAMPLE), "--strategy", "llm"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "--strategy llm" in err


# --- check -------------------------------------------------------------------------------------------------

def test_check_exits_1_on_error_finding(capsys: pytest.CaptureFixture[str], truncated: Path) -> None:
    """`check` exits 1 and lists coverage.unanswered when a letter has an error finding."""
    assert main(["check", str(truncated)]) == 1
    out = capsys.readouterr().out
    assert "coverage.unanswered" in out
    assert str(truncated) in out


@pytest.mark.parametrize("which", ["example", "complete"])
def test_check_exits_0_without_error_findings(
    capsys: pytest.CaptureFixture[str], complete: Path, which: str
) -> None:
    """`check` exits 0 when no letter has an error finding."""
    path = EXAMPLE if which == "example" else complete
    assert main(["check", str(path)]) == 0
    assert ": error:" not in capsys.readouterr().out


def test_check_exits_1_if_any_letter_has_an_error(
    capsys: pytest.CaptureFixture[str], truncated: Path, complete: Path
) -> None:
    """With several letters, `check` exits 1 as soon as one of them has an error finding."""
    assert main(["check", str(complete), str(truncated)]) == 1
    capsys.readouterr()


# --- schema and usage --------------------------------------------------------------------------------------


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema` prints the Result JSON Schema as valid JSON with "properties"."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "properties" in schema
    assert {"letter", "findings", "text"} <= set(schema["properties"])
    assert schema == llmparse.result_schema()


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-args"),
        pytest.param(["parse"], id="parse-without-files"),
        pytest.param(["parse", str(EXAMPLE), "--format", "xml"], id="unknown-format"),
        pytest.param(["parse", str(EXAMPLE), "--strategy", "magic"], id="unknown-strategy"),
        pytest.param(["ontleed", str(EXAMPLE)], id="unknown-command"),
        pytest.param(["parse", str(EXAMPLE), "--bogus"], id="unknown-option"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Usage errors exit with code 2, the usage and a one-line error on stderr, nothing on stdout."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Usage: llmparse")
    assert re.search(r"^llmparse: error: ", err, re.MULTILINE), err
    assert "Traceback" not in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the library version and exits 0."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"llmparse {llmparse.__version__}\n"


# --- a real process ----------------------------------------------------------------------------------------


def test_python_m_llmparse() -> None:
    """`python -m llmparse parse EXAMPLE` runs as a process, prints the Result JSON and exits 0."""
    proc = subprocess.run(
        [sys.executable, "-m", "llmparse", "parse", str(EXAMPLE)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    _example_ok(llmparse.Result.model_validate_json(proc.stdout))
    assert proc.stderr.count(ENDPOINT_NOTICE) == 1


def test_review_writes_a_self_contained_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`llmparse review FILE -o PAGE` writes the HTML page of the parsed letter and says where."""
    page = tmp_path / "page.html"
    assert main(["review", str(EXAMPLE), "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "2020Z03371" in html
    assert f"wrote {page}" in capsys.readouterr().err


def test_review_shows_a_stored_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A Result stored as JSON (say from the model path or a batch) is reviewed as it is, not parsed again: the
    page equals the one made from the same Result in memory; a JSON file that is no Result is a one-line error."""
    result = llmparse.parse(EXAMPLE, strategy="rules")
    stored = tmp_path / "brief.json"
    stored.write_text(result.model_dump_json(), encoding="utf-8")
    page = tmp_path / "page.html"
    assert main(["review", str(stored), "-o", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == result.to_html()
    other = tmp_path / "ander.json"
    other.write_text('{"letter": 1}', encoding="utf-8")
    assert main(["review", str(other)]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith(f"llmparse: InputError: {other}: is no Result JSON")


def test_csv_format_writes_one_header_and_a_row_per_question_number(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format csv` over two letters writes the header once and one row per question number."""
    import csv
    import io

    letters = Path(__file__).parent / "data" / "letters"
    code = main(["parse", str(EXAMPLE), str(letters / "syn04-grouped-headings.pdftext.txt"), "--format", "csv",
                 "--strategy", "rules"])
    out = capsys.readouterr().out
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(llmparse.PAIR_COLUMNS)
    assert [r["question_number"] for r in rows[:15]] == [str(n) for n in range(1, 16)]
    assert out.count("source,publication_id") == 1


# --- usage mistakes and files the command cannot write: one line on stderr, never a traceback -------------------


@pytest.mark.parametrize("argv", [
    ["parse", "x.txt", "--concurrency", "0"],
    ["parse", "x.txt", "--max-reasks", "-1"],
    ["parse", "x.txt", "--token-budget", "many"],
    ["parse", "x.txt", "--resume"],
    ["parse", "x.txt", "--format", "csv", "-o", "out.jsonl"],
    ["parse", "x.txt", "--format", "text", "--out", "results"],
    ["parse", "x.txt", "--format", "pairs", "-o", "out.jsonl"],
], ids=["concurrency-0", "negative-reasks", "budget-not-a-number", "resume-without-output", "format-with-output",
        "format-with-out-dir", "pairs-with-output"])
def test_usage_mistakes_exit_2_with_a_usage_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Values and flag combinations that cannot work are refused before anything is parsed."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"^llmparse: error: ", err, re.MULTILINE), err
    assert "Traceback" not in err


def _one_line_failure(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_json_formats_go_with_out_dir_and_output_file(tmp_path: Path) -> None:
    """`--format json --out DIR` (as the evaluation harness calls it) and `--format jsonl -o FILE` are what
    --out and -o write anyway: accepted."""
    out_dir, out = tmp_path / "pred", tmp_path / "out.jsonl"
    assert main(["parse", str(EXAMPLE), "--format", "json", "--out", str(out_dir), "--strategy", "rules"]) == 0
    _example_ok(llmparse.Result.model_validate_json((out_dir / f"{EXAMPLE.name}.json").read_bytes()))
    assert main(["parse", str(EXAMPLE), "--format", "jsonl", "-o", str(out), "--strategy", "rules"]) == 0
    _example_ok(llmparse.Result.model_validate_json(out.read_bytes()))


def test_unwritable_places_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A results file in a missing folder or over a folder, an --out that is a file, a review page in a missing
    folder, a batch file that does not exist: exit 2 and one line naming the place."""
    missing = tmp_path / "nergens" / "r.jsonl"
    err = _one_line_failure(["parse", str(EXAMPLE), "--strategy", "rules", "-o", str(missing)], capsys)
    assert err.startswith("llmparse: error: No such file or directory")
    assert str(missing) in err
    err = _one_line_failure(["parse", str(EXAMPLE), "--strategy", "rules", "-o", str(tmp_path)], capsys)
    assert err.startswith("llmparse: error: Is a directory")
    assert str(tmp_path) in err
    a_file = tmp_path / "bestand.txt"
    a_file.write_text("x", encoding="utf-8")
    err = _one_line_failure(["parse", str(EXAMPLE), "--strategy", "rules", "--out", str(a_file)], capsys)
    assert err.startswith("llmparse: error: File exists")
    assert str(a_file) in err
    page = tmp_path / "nergens" / "p.html"
    err = _one_line_failure(["review", str(EXAMPLE), "-o", str(page)], capsys)
    assert str(page) in err
    err = _one_line_failure(["batch", "collect", str(tmp_path / "output.jsonl")], capsys)
    assert str(tmp_path / "output.jsonl") in err
    assert len(err.splitlines()) == 1


def test_interrupt_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C in the middle of a run: exit 130, and a line saying the results file is kept for --resume."""

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(llmparse, "parse_many", interrupted)
    assert main(["parse", str(EXAMPLE), str(EXAMPLE), "--strategy", "rules"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "llmparse: interrupted; what was written to -o FILE is kept (--resume goes on)"


def test_out_dir_refuses_inputs_that_would_overwrite_each_other(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Two letters named alike in different folders would be one file in --out DIR: refused, nothing written."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "brief.txt").write_text(COMPLETE, encoding="utf-8")
    out_dir = tmp_path / "out"
    assert main(["parse", str(tmp_path / "a"), str(tmp_path / "b"), "--strategy", "rules", "--out",
                 str(out_dir)]) == 2
    assert "several inputs would be written to" in capsys.readouterr().err
    assert not out_dir.exists()


def test_json_for_several_letters_is_one_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` (the default) prints one Result for one file named, and one JSON array otherwise, so
    the output always loads with json.loads."""
    (tmp_path / "brief.txt").write_text(COMPLETE, encoding="utf-8")
    assert main(["parse", str(EXAMPLE), "--strategy", "rules"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), dict)
    assert main(["parse", str(EXAMPLE), str(tmp_path / "brief.txt"), "--strategy", "rules"]) == 0
    results = [llmparse.Result.model_validate(r) for r in json.loads(capsys.readouterr().out)]
    assert [r.provenance.source for r in results] == [str(EXAMPLE), str(tmp_path / "brief.txt")]
    assert main(["parse", str(tmp_path), "--strategy", "rules"]) == 0  # a folder of one letter: still an array
    assert len(json.loads(capsys.readouterr().out)) == 1
    empty = tmp_path / "leeg"
    empty.mkdir()
    (empty / "recept.txt").write_text("Appeltaart: bloem, boter, appels.", encoding="utf-8")
    assert main(["parse", str(empty), "--strategy", "rules"]) == 2
    assert json.loads(capsys.readouterr().out) == []


def test_batch_prepare_leaves_out_unreadable_letters_and_names_missing_inputs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty and a binary file among letters, and an input that does not exist: the letters are prepared,
    each of the others gets one line, and the exit code is 2."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "brief.txt").write_text(COMPLETE, encoding="utf-8")
    (folder / "leeg.txt").write_text("", encoding="utf-8")
    (folder / "blob.txt").write_bytes(bytes(range(256)))
    requests = tmp_path / "requests.jsonl"
    assert main(["batch", "prepare", str(folder), str(tmp_path / "weg.txt"), "--model", "m", "-o",
                 str(requests)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [json.loads(line)["custom_id"] for line in requests.read_text(encoding="utf-8").splitlines()] == [
        str(folder / "brief.txt")]
    assert f"{tmp_path / 'weg.txt'}: no such file" in err
    assert "EmptyInputError" in err
    assert "BinaryInputError" in err
    assert err.splitlines()[-1] == f"llmparse: wrote 1 request(s) to {requests}; 2 input(s) left out"


def test_an_ascii_standard_output_is_a_one_line_error(tmp_path: Path) -> None:
    """Standard output that cannot encode the letter's accents (PYTHONIOENCODING=ascii): exit 2 and one line
    naming the fix, never a traceback or silently mangled JSON."""
    letter = tmp_path / "brief.txt"
    letter.write_text(COMPLETE.replace("Kramer-Oost", "Kramer-Öst"), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "llmparse", "parse", str(letter), "--strategy", "rules"],
                         capture_output=True, cwd=ROOT, timeout=60, check=False,
                         env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert run.returncode == 2
    err = run.stderr.decode()
    assert "Traceback" not in err
    assert "standard output cannot encode the letter's text (ascii); set PYTHONIOENCODING=utf-8" in err


def test_verbose_shows_the_pdf_readers_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """-v lets pypdf's warnings through; without it they stay out of the way."""
    pypdf_log = logging.getLogger("pypdf")
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: None)  # leave the test's logging alone
    before = pypdf_log.level
    try:
        main(["parse", str(EXAMPLE), "--strategy", "rules", "-v", "--format", "jsonl"])
        assert pypdf_log.level == logging.WARNING
        main(["parse", str(EXAMPLE), "--strategy", "rules", "--format", "jsonl"])
        assert pypdf_log.level == logging.ERROR
    finally:
        pypdf_log.setLevel(before)


# --- progress and summary -------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


RECIPE = "Appeltaart\n\nMeng bloem, boter en appels.\n"


def _folder_with_a_failure(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in sorted(LETTERS.glob("*.txt"))[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "recept.txt").write_text(RECIPE, encoding="utf-8")
    return folder


def test_a_terminal_gets_a_progress_bar_and_stdout_only_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """On a terminal stderr shows a bar that ends at 4/4 letters with the rate, time left and counts, the failure
    above it, and a summary table; stdout holds the three results and nothing else."""
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["parse", str(_folder_with_a_failure(tmp_path)), "--strategy", "rules", "--format", "jsonl"]) == 2
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())  # without colours and cursor moves
    final = shown.split("\r")[-1]
    assert re.search(r"━{20} 4/4 letters \d+(\.\d)?/s +0:00:00 +1 failed", final), final
    assert re.search(r"(^|\r)llmparse: NotALetterError: .*recept\.txt", shown, re.MULTILINE)  # a line of its own
    assert re.search(r"^letters +4: answers 3$", final, re.MULTILINE)
    assert re.search(r"^failed +1 *$", final, re.MULTILINE)
    assert [llmparse.Result.model_validate_json(line).letter.kind for line in capsys.readouterr().out.splitlines()
            ] == ["answers"] * 3


def test_a_pipe_gets_plain_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Piped, stderr holds the failure and the plain summary: no bar, no control characters."""
    assert main(["parse", str(_folder_with_a_failure(tmp_path)), "--strategy", "rules", "--format", "jsonl"]) == 2
    err = capsys.readouterr().err
    assert "\r" not in err
    assert "\x1b" not in err
    assert err.splitlines()[1:4] == ["letters 4: answers 3; 1 failed", "letters with error findings 0; findings 0",
                                     "model calls 0; tokens 0; cache hits 0"]


# --- the rough edges a new user hits ---------------------------------------------------------------------------


def test_resume_of_a_run_given_dotdot_paths_from_another_folder_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A first run from run/ given ../brieven/*.txt, resumed from the parent given brieven/: refused with the
    reason, the results file untouched (it used to parse every letter again and double the file)."""
    folder, run = tmp_path / "brieven", tmp_path / "run"
    folder.mkdir()
    run.mkdir()
    for path in sorted(LETTERS.glob("*.txt"))[:3]:
        (folder / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "out.jsonl"
    monkeypatch.chdir(run)
    assert main(["parse", *(f"../brieven/{p.name}" for p in sorted(folder.iterdir())), "--strategy", "rules",
                 "-o", str(out)]) == 0
    before = out.read_bytes()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["parse", "brieven", "--strategy", "rules", "-o", str(out), "--resume"]) == 2
    assert "run --resume from the folder the first run ran in" in capsys.readouterr().err
    assert out.read_bytes() == before
    monkeypatch.chdir(run)  # from the first run's folder it resumes, with nothing left to do
    assert main(["parse", "../brieven", "--strategy", "rules", "-o", str(out), "--resume"]) == 0
    assert out.read_bytes() == before


@pytest.mark.parametrize("command", ["parse", "check"])
def test_an_empty_input_set_says_no_letters_found(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  command: str) -> None:
    """A folder without letter files is not an empty success: "no letters found", exit 2, nothing on stdout."""
    (tmp_path / "notities.csv").write_text("a,b\n", encoding="utf-8")
    assert main([command, str(tmp_path), "--strategy", "rules"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"llmparse: error: no letters found in {tmp_path} ({', '.join(batch.LETTER_SUFFIXES)} files)\n"


def test_review_without_o_writes_to_the_current_folder_never_beside_the_letter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`review FILE` names the page after the letter in the current folder (the letter's folder may be read-only
    or someone else's archive); `-o -` writes the page to stdout."""
    archive, here = tmp_path / "archief", tmp_path / "hier"
    archive.mkdir()
    here.mkdir()
    letter = archive / "compleet.txt"
    letter.write_text(COMPLETE, encoding="utf-8")
    monkeypatch.chdir(here)
    assert main(["review", str(letter)]) == 0
    assert capsys.readouterr().err == "llmparse: wrote compleet.txt.html\n"
    assert [p.name for p in here.iterdir()] == ["compleet.txt.html"]
    assert [p.name for p in archive.iterdir()] == ["compleet.txt"]
    assert main(["review", str(letter), "-o", "-"]) == 0
    assert capsys.readouterr().out == llmparse.parse(letter, strategy="rules").to_html()


def test_review_shows_one_letter_of_a_results_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], complete: Path) -> None:
    """`review results.jsonl --letter NAME` shows that letter's stored Result (named by file name or path); a
    file of several results without --letter, an unknown name and a letter that failed are one-line errors."""
    recipe = tmp_path / "recept.txt"
    recipe.write_text(RECIPE, encoding="utf-8")
    results = tmp_path / "results.jsonl"
    assert main(["parse", str(EXAMPLE), str(complete), str(recipe), "--strategy", "rules", "-o", str(results)]) == 2
    stored = [llmparse.Result.model_validate(record) for record in map(json.loads, results.read_text("utf-8")
              .splitlines()) if "error" not in record]
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    for name, result in [("compleet.txt", stored[1]), (str(EXAMPLE), stored[0])]:
        assert main(["review", str(results), "--letter", name, "-o", "page.html"]) == 0
        assert (tmp_path / "page.html").read_text(encoding="utf-8") == result.to_html()
    assert main(["review", str(results), "--letter", "compleet.txt"]) == 0
    assert (tmp_path / "compleet.txt.html").exists()
    capsys.readouterr()
    for argv, message in [([], "holds 2 results: name one with --letter NAME"),
                          (["--letter", "weg.txt"], "holds 0 results for weg.txt"),
                          (["--letter", "recept.txt"], "holds 0 results for recept.txt (it failed: NotALetterError")]:
        assert main(["review", str(results), *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"llmparse: InputError: {results}: {message}"), err
        assert len(err.splitlines()) == 1


def test_max_chars_refuses_a_longer_letter(capsys: pytest.CaptureFixture[str], complete: Path) -> None:
    """`--max-chars N` makes a longer letter an InputTooLargeError line (exit 2) and lets a shorter one through."""
    assert main(["parse", str(complete), "--strategy", "rules", "--max-chars", "200"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("llmparse: InputTooLargeError: ")
    assert main(["parse", str(complete), "--strategy", "rules", "--max-chars", str(len(COMPLETE) + 10)]) == 0
    assert len(llmparse.Result.model_validate_json(capsys.readouterr().out).letter.questions) == 2


def test_ctrl_c_in_a_running_process_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """SIGINT to a real `llmparse parse -o FILE` run in the middle of its letters: exit 130, no traceback, the
    interrupted line last on stderr, and FILE holds the finished letters' lines (a torn last one --resume cuts)."""
    import signal
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(60):
        for path in sorted(LETTERS.glob("*.txt")):
            (folder / f"{k}-{path.name}").write_bytes(path.read_bytes())
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "llmparse", "parse", str(folder), "--strategy", "rules", "-o",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "llmparse: interrupted; what was written to -o FILE is kept (--resume goes on)"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert 0 < len(lines) < 60 * len(list(LETTERS.glob("*.txt")))
    assert all(isinstance(json.loads(line), dict) for line in lines[:-1])
