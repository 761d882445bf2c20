"""The ``llmparse`` console script: Ctrl-C gives one line and exit 130 from the script's first moment.

Importing the command line takes about a fifth of a second (pydantic, the result models, click), and a SIGINT
in that time would print a KeyboardInterrupt traceback. So this module, which imports nothing but ``os`` and
``sys`` (loaded with the interpreter) and ``signal`` (a thin layer over the built-in ``_signal``), installs a
handler for those moments as it is imported; ``main`` then imports the command line and hands SIGINT back to
Python's own handler, whose KeyboardInterrupt the command line turns into its own line ("what was written to
-o FILE is kept").

It sits outside the ``llmparse`` package because importing any module inside it runs the package's
``__init__`` first, and a library must not change signal handling on import. ``python -m llmparse`` imports
the package before any of its code runs, so it cannot do the same. What no program can answer is a SIGINT
in the interpreter's own start, before the script's first line (``site`` and its ``.pth`` files: about
0.02 s)."""

from __future__ import annotations

import os
import signal
import sys

#: The exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C while the command line is being imported: one line, exit 130, at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C adds nothing
    sys.stderr.write("llmparse: interrupted\n")
    sys.stderr.flush()
    os._exit(INTERRUPTED)  # mid-import: no half-imported module's clean-up runs; nothing is written yet


# Installed when the script imports this module, so it also covers the lines of the script pip writes; only where
# Ctrl-C is Python's to handle (a shell starts a background job with SIGINT ignored, and so it stays).
_OWN = signal.getsignal(signal.SIGINT) is signal.default_int_handler
if _OWN:
    signal.signal(signal.SIGINT, _interrupted)


def _version() -> str | None:
    """The installed version, read without importing the package (``llmparse --version`` answers at once)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmparse")
    except PackageNotFoundError:  # a checkout that was never installed: the command line says what it can
        return None


def main() -> int:
    """Run the ``llmparse`` command line with Ctrl-C answered by one line and exit 130 at any moment."""
    if sys.argv[1:] == ["--version"] and (installed := _version()) is not None:
        sys.stdout.write(f"llmparse {installed}\n")
        return 0
    from llmparse._cli import main as run

    try:
        if _OWN:
            signal.signal(signal.SIGINT, signal.default_int_handler)  # the command line's KeyboardInterrupt
        return run()
    except KeyboardInterrupt:  # after the handler went, before the command line's own took over
        sys.stderr.write("llmparse: interrupted\n")
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
