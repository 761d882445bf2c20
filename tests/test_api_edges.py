"""Rough edges of the library a new user hits: the strict error's Result, the schema's descriptions, a file
name passed to ``parse_many`` as a str, and the package's types as mypy sees them after the README's install."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest

import llmparse

from .conftest import LETTERS, ROOT

# An invented letter that stops before answering question 2.
TRUNCATED = """Vragen van het lid Jansen (VVD) aan de Minister van Financiën over de begroting \
(ingezonden 1 maart 2024).

Vraag 1
Klopt de begroting?

Vraag 2
Waarom is zij te laat?

Antwoord vraag 1
Ja.
"""


def test_checks_failed_error_carries_the_result() -> None:
    """strict=True raises ChecksFailedError whose ``result`` is the Result parse would have returned."""
    with pytest.raises(llmparse.ChecksFailedError) as info:
        llmparse.parse(TRUNCATED, strategy="rules", strict=True)
    assert info.value.result == llmparse.parse(TRUNCATED, strategy="rules")
    assert info.value.findings == info.value.result.errors


def _properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property of the schema and of its definitions, as ``Model.field``."""
    models = {"Result": schema, **schema["$defs"]}
    return {f"{name}.{field}": spec for name, model in models.items() for field, spec in
            model.get("properties", {}).items()}


def test_the_schema_describes_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    """`llmparse schema` gives every field of every public model a description, taken from the models' docs."""
    properties = _properties(llmparse.result_schema())
    assert len(properties) > 30
    assert [name for name, spec in properties.items() if not spec.get("description")] == []
    assert "ranges expanded" in properties["Answer.numbers"]["description"]
    assert "every span indexes it" in properties["Result.text"]["description"]
    assert "``" not in str(properties)  # the docstrings' markup stays out


def test_parse_many_refuses_a_file_name_given_as_str(tmp_path: Path) -> None:
    """`parse_many(glob.glob(...))` is a clear TypeError naming pathlib.Path, not a batch of failed letters; a
    str of letter text (line breaks) and a one-line str that names no file are still texts."""
    for path in sorted(LETTERS.glob("*.txt"))[:2]:
        shutil.copy(path, tmp_path)
    with pytest.raises(TypeError, match=r"pass pathlib\.Path\("):
        list(llmparse.parse_many(sorted(glob.glob(str(tmp_path / "*.txt"))), strategy="rules"))
    outcomes = list(llmparse.parse_many([TRUNCATED, "geen bestand"], strategy="rules"))
    assert [o.ok for o in outcomes] == [True, False]
    assert outcomes[1].error_type == "NotALetterError"


def _setup_install_command() -> list[str]:
    """The editable install the README's "Set up" section gives (its first ``pip install -e`` command)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"^pip install -e (.*?)(?: &&|$)", section, re.MULTILINE)
    assert command is not None, "the Set up section has no `pip install -e` command"
    return ["install", "-e", *command.group(1).split()]


USER_CODE = """\
from pathlib import Path

import llmparse

result: llmparse.Result = llmparse.parse(Path("brief.txt"), strategy="rules")
kind: str = result.letter.kind
reveal_type(result.letter.answers[0].numbers)
llmparse.parse(Path("brief.txt"), strategy="magic")
"""


@pytest.mark.skipif(shutil.which("mypy") is None and not (Path(sys.executable).parent / "mypy").exists(),
                    reason="mypy is not installed (the dev extra has it)")
def test_mypy_sees_the_typed_package_after_the_readme_install(tmp_path: Path) -> None:
    """After the README's editable install (in a fresh environment, from a copy of the project), mypy run on
    a user's file finds llmparse's types: it knows the fields, and rejects a strategy that does not exist."""
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", "build", ".git", "*cache*", "test-*"))
    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    deps = Path(sysconfig.get_paths()["purelib"])  # this environment's packages, but not its own llmparse
    (Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True,
                         capture_output=True, check=True).stdout.strip()) / "deps.pth").write_text(f"{deps}\n")
    subprocess.run([python, "-m", "pip", "--quiet", *_setup_install_command(), "--no-deps"], cwd=project,
                   check=True, timeout=300, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    user = tmp_path / "user"
    user.mkdir()
    (user / "use.py").write_text(USER_CODE, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable",
                          str(python), "use.py"], cwd=user, capture_output=True, text=True, timeout=300, check=False)
    assert re.search(r'use\.py:7: note: Revealed type is "(builtins\.)?list\[(builtins\.)?str\]"', run.stdout), \
        run.stdout
    assert re.search(r'use\.py:8: error: Argument "strategy" to "parse" has incompatible type', run.stdout)
    assert "import-not-found" not in run.stdout
