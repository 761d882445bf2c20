"""The console script's entry module (``_llmparse_entry``): Ctrl-C from the script's first moment is one line and
exit 130, while ``import llmparse`` leaves signal handling alone."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from .conftest import LETTERS, ROOT

posix_signals = pytest.mark.skipif(sys.platform == "win32" or not hasattr(signal, "SIGINT"),
                                   reason="needs POSIX signals (SIGINT sent to a process)")

#: The console script as pip writes it: import the entry module, call its main.
SCRIPT = "import sys, _llmparse_entry; sys.exit(_llmparse_entry.main())"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of a few hundred short letters: a rules parse of it outlasts the moments the test interrupts."""
    folder = tmp_path_factory.mktemp("letters")
    for k in range(5):
        for path in sorted(LETTERS.glob("*.txt")):
            (folder / f"{k}-{path.name}").write_bytes(path.read_bytes())
    return folder


def test_the_console_script_starts_in_the_entry_module() -> None:
    """The installed ``llmparse`` script runs ``_llmparse_entry:main``, a module outside the llmparse package."""
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "llmparse"]
    assert script.value == "_llmparse_entry:main"


@posix_signals
@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.1, 0.2], ids=lambda d: f"{d}s")
def test_ctrl_c_while_starting_is_one_line_and_exit_130(folder: Path, tmp_path: Path, delay: float) -> None:
    """SIGINT ``delay`` seconds after the script's first line, while llmparse is still being imported or its run
    has just begun: exit 130, no traceback, and the last line on stderr says it was interrupted (the early
    handler's line while the command line is still being imported)."""
    # -X importtime names each module on stderr once it has run: the entry module's line is the script's first
    # moment (before it, only the interpreter's own start runs: site and its .pth files, nobody's to answer)
    proc = subprocess.Popen([sys.executable, "-X", "importtime", "-c", SCRIPT, "parse", str(folder), "--strategy",
                             "rules", "-o", str(tmp_path / "out.jsonl")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.rstrip().endswith("| _llmparse_entry"):
            break
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=60)[1]
    said = [line for line in (*seen, *rest.splitlines()) if not line.startswith("import time:")]
    assert proc.returncode == 130, said
    assert "Traceback" not in "".join(said)
    assert said[-1].strip().startswith("llmparse: interrupted")
    if delay <= 0.02:  # importing llmparse alone takes longer than that: the entry module's handler answered
        assert said[-1].strip() == "llmparse: interrupted"


@pytest.mark.parametrize("code", [
    pytest.param("import llmparse, llmparse.batch, llmparse._cli", id="import-llmparse"),
    pytest.param("from llmparse._cli import main\nmain(['--version'])", id="run-the-command-line"),
])
def test_the_library_leaves_signal_handling_alone(code: str) -> None:
    """Importing llmparse (its command line included) and running a command leave Python's SIGINT handler in
    place: only the console script's entry module installs its own."""
    probe = f"{code}\nimport signal\nprint(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=True)
    assert run.stdout.splitlines()[-1] == "True"


@posix_signals
def test_an_ignored_sigint_stays_ignored() -> None:
    """Started with SIGINT ignored (a shell's background job), the script leaves it so: Ctrl-C at the terminal is
    not meant for it."""
    probe = "import signal, _llmparse_entry\nprint(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert run.stdout.splitlines()[-1] == "True"


def test_the_entry_module_imports_nothing_heavy() -> None:
    """Importing the entry module loads ``signal`` at most (a thin layer over the built-in ``_signal``) and
    nothing of llmparse, so its handler is in place at once."""
    probe = ("import sys\nbefore = set(sys.modules)\nimport _llmparse_entry\n"
             "print(' '.join(sorted(set(sys.modules) - before - {'_llmparse_entry'})))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         check=True)
    assert set(run.stdout.split()) <= {"signal"}
