"""The README's code blocks, run as a reader would run them: every ``python`` and ``sh`` block either runs here
(offline, in a scratch folder holding the example letter and an ``archive/`` of the team's letters) or is
listed in ``NOT_RUN`` with the reason and the test that covers it instead."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import LETTERS, ROOT

README = ROOT / "README.md"
BIN = Path(sys.executable).parent

#: Blocks that are not run here, by their first line: why, and what covers them.
NOT_RUN = {
    "pip install -e '.[test]' && python -m pytest": "the test suite itself (CI runs it)",
    "llmparse parse INPUTS... [--format json|jsonl|text|csv|pairs] [--out DIR] [-o FILE [--resume]]":
        "a synopsis with placeholders; tests/test_cli.py runs each command",
    "cd ../shared/corpus && ../eval/run.sh": "reads the shared corpus beside the checkout; tests/test_corpus.py "
        "runs the evaluation harness",
    "from pathlib import Path\n\nimport llmparse\n\nllm = llmparse.LLMExtractor(":
        "needs a model server at localhost:11434; the scripted server's block below runs the same path",
}


def _blocks() -> list[tuple[str, str, str]]:
    """(section, language, code) of every fenced block, in order; section is the ``##`` heading above it."""
    text = README.read_text(encoding="utf-8")
    found, section = [], ""
    for m in re.finditer(r"^(## [^\n]*)$|^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        if m.group(1):
            section = m.group(1)[3:]
        elif m.group(2) in ("python", "sh"):
            found.append((section, m.group(2), m.group(3)))
    return found


def _skipped(code: str) -> bool:
    return any(code.startswith(first) for first in NOT_RUN)


def test_every_block_is_run_or_said_why_not() -> None:
    """Each entry of NOT_RUN still names a block, and every other python/sh block is one the tests below run."""
    blocks = _blocks()
    assert all(any(code.startswith(first) for _, _, code in blocks) for first in NOT_RUN)
    ran = {"Set up", "Library", "Many letters", "The model path"}
    assert [(s, code[:60]) for s, _, code in blocks if not _skipped(code) and s not in ran] == []


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding examples/ (the example letter) and archive/ (the team's letters), made current."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "archive").mkdir()
    for path in sorted(LETTERS.glob("*.txt")):
        shutil.copy(path, tmp_path / "archive")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run_python(section: str, namespace: dict[str, Any]) -> None:
    blocks = [code for s, lang, code in _blocks() if s == section and lang == "python" and not _skipped(code)]
    assert blocks, section
    for code in blocks:
        exec(compile(code, f"README.md ({section})", "exec"), namespace)


def test_library(scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The Library section's block runs and prints what its comments say."""
    _run_python("Library", {"__name__": "__readme__"})
    assert capsys.readouterr().out.startswith("answers 2020Z03371 ['Weverling']\n")


LOCAL = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "localhost"])  # a local cluster, a local server


@LOCAL
def test_many_letters(scratch: Path) -> None:
    """The Many letters blocks run over archive/: parse_many stores every letter, the process pool and the Dask
    local cluster give the same Results as parse_many."""
    stored: list[llmparse.Result] = []
    logged: list[tuple[Any, ...]] = []
    namespace: dict[str, Any] = {"__name__": "__readme__", "store": stored.append,
                                 "log": lambda *args: logged.append(args)}
    _run_python("Many letters", namespace)
    paths = namespace["paths"]
    assert len(paths) == len(list(LETTERS.glob("*.txt"))) > 10
    expected = [o.result for o in llmparse.parse_many(paths, strategy="rules")]
    assert logged == []
    assert sorted(r.model_dump_json() for r in stored) == sorted(
        r.model_dump_json() for r in expected if r is not None)
    assert namespace["results"] == expected
    assert [o.result for o in namespace["outcomes"]] == expected
    assert [o.source for o in namespace["outcomes"]] == [str(p) for p in paths]


def _sh_blocks(section: str) -> list[str]:
    return [code for s, lang, code in _blocks() if s == section and lang == "sh" and not _skipped(code)]


def test_set_up_parses_the_example(scratch: Path) -> None:
    """The Set up command's parse of the example prints the example's Result (the install itself is run by
    tests/test_api_edges.py, which checks mypy sees the package after it)."""
    (code,) = _sh_blocks("Set up")
    install, parse = code.strip().split(" && ")
    assert install.startswith("pip install -e .")
    run = subprocess.run([BIN / "llmparse", *parse.split()[1:]], capture_output=True, text=True, timeout=120,
                         check=True, cwd=scratch)
    assert llmparse.Result.model_validate_json(run.stdout).letter.reference == "2020Z03371"


@LOCAL
def test_the_model_path_against_the_scripted_server(scratch: Path) -> None:
    """The model path's shell block: the scripted server started as written, the example parsed through it."""
    (code,) = _sh_blocks("The model path")
    server_line, command = code.strip().split("\n", 1)
    server = server_line.rstrip(" &").split()
    port = int(server[server.index("--port") + 1])
    proc = subprocess.Popen([sys.executable, *server[1:]], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        argv = command.replace("\\\n", " ").split()
        shutil.copytree(ROOT / "examples", scratch / "run" / "examples")
        run = subprocess.run([BIN / "llmparse", *argv[1:]], capture_output=True, text=True, timeout=120,
                             check=False, cwd=scratch / "run")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["provenance"]["strategy"] == "llm"
    assert result["usage"]["llm_calls"] >= 1
