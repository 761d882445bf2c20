"""Prompts: the templates in prompts/ (shipped as ``llmparse.prompts``) and the letter as numbered lines.

The templates are plain files; their content hash is ``prompt_version``, recorded in provenance (and in cache
keys), so a result says which prompt produced it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from string import Template

from .._layout import Layout, Role

__all__ = ["load_prompts", "numbered_lines", "prompt_version", "render_messages"]

_FILES = ("system.md", "user.md")


@functools.cache
def load_prompts() -> tuple[str, str]:
    """The system and user templates."""
    folder = importlib.resources.files("llmparse.prompts")
    system, user = (folder.joinpath(name).read_text(encoding="utf-8") for name in _FILES)
    return system, user


def prompt_version() -> str:
    """A short content hash of the prompt templates."""
    digest = hashlib.sha256("\x00".join(load_prompts()).encode("utf-8")).hexdigest()
    return digest[:12]


def numbered_lines(layout: Layout, first: int, last: int) -> str:
    """Lines ``first``-``last`` (1-based) as ``"  12| text"``; furniture lines are marked with ``~``."""
    doc = layout.document
    width = len(str(last))
    out: list[str] = []
    for n in range(first, last + 1):
        info = layout.lines[n - 1]
        line = doc.lines[n - 1]
        mark = "~" if info.role is Role.FURNITURE else "|"
        out.append(f"{n:>{width}}{mark} {doc.text[line.start : line.end].rstrip()}")
    return "\n".join(out)


def render_messages(
    layout: Layout, first: int, last: int, *, part: tuple[int, int] | None = None
) -> list[dict[str, str]]:
    """The chat messages asking for the plan of lines ``first``-``last``."""
    system, user = load_prompts()
    note = ""
    if part is not None:
        note = (f" (part {part[0]} of {part[1]} of a long letter: plan only the items in these lines; give the "
                "metadata only when the header is among them)")
    content = Template(user).substitute(first_line=first, last_line=last, part_note=note,
                                        lines=numbered_lines(layout, first, last))
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]
