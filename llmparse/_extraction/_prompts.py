"""Prompts: the templates in prompts/ (shipped as ``llmparse.prompts``) and the letter as numbered lines.

The templates are plain files; their content hash is ``prompt_version``, recorded in provenance (and in cache
keys), so a result says which prompt produced it.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib
import importlib.resources
import importlib.util
import logging
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any, NamedTuple

from .._layout import Layout, Role

__all__ = ["Tokenizer", "count_tokens", "load_prompts", "numbered_lines", "prompt_version", "render_messages",
           "tokenizer"]

logger = logging.getLogger("llmparse")

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
    """Lines ``first``-``last`` (1-based) as ``"12|text"``, furniture as ``"12~text"``, as few tokens as a model
    can still cite: no padding, runs of spaces made one, and a blank line left empty (its number unused), so the
    paragraphs still show."""
    doc = layout.document
    out: list[str] = []
    for n in range(first, last + 1):
        line = doc.lines[n - 1]
        text = " ".join(doc.text[line.start : line.end].split())
        if not text:
            out.append("")
            continue
        mark = "~" if layout.lines[n - 1].role is Role.FURNITURE else "|"
        out.append(f"{n}{mark}{text}")
    return "\n".join(out)


def render_messages(
    layout: Layout, first: int, last: int, *, part: tuple[int, int] | None = None
) -> list[dict[str, str]]:
    """The chat messages asking for the plan of lines ``first``-``last``.

    Everything that is the same for every letter (the system prompt, and the tool schema the caller adds) comes
    first and the letter last, so that an endpoint's prompt cache serves the shared part; what differs per call
    (which part of a long letter this is) follows the letter.
    """
    system, user = load_prompts()
    note = ""
    if part is not None:
        note = (f"Part {part[0]} of {part[1]} of a long letter (lines {first}-{last}): plan only the items in these "
                "lines; give the metadata only when the header is among them.")
    content = Template(user).substitute(part_note=note, lines=numbered_lines(layout, first, last)).rstrip("\n")
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


# --- counting tokens ----------------------------------------------------------------------------------------

#: OpenAI's encodings as tiktoken_ext.openai_public defines them: the sha256 of the published file, the split
#: pattern and the special tokens. A copy of a file that differs from the published one is not used.
_ENCODINGS: dict[str, tuple[str, str, dict[str, int]]] = {
    "o200k_base": (
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "|".join([
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]),
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": (
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$"""
        r"""|\s*[\r\n]|\s+(?!\S)|\s""",
        {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259, "<|fim_suffix|>": 100260,
         "<|endofprompt|>": 100276},
    ),
}


class Tokenizer(NamedTuple):
    """How tokens are counted.

    Attributes:
        name: the encoding (``o200k_base``, the one of OpenAI's current models), or ``chars/4``.
        exact: True for a real encoding (exact for the models that use it), False for the chars/4 estimate.
        count: the number of tokens of a text.
    """

    name: str
    exact: bool
    count: Callable[[str], int]


def _estimate(text: str) -> int:
    return (len(text) + 3) // 4


@functools.cache
def tokenizer() -> Tokenizer:
    """tiktoken with an encoding file that is installed, never downloaded (``pip install 'llmparse[tokens]'``:
    tiktoken fetches its files from the network at first use, so the files come from the ``bpe-openai`` wheel,
    checked against OpenAI's published hashes); without them, the chars/4 estimate."""
    # bpe_openai is found, not imported: importing it loads its own tokenizers (seconds, and warnings)
    spec = importlib.util.find_spec("bpe_openai")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    try:
        tiktoken: Any = importlib.import_module("tiktoken")
    except ImportError:
        return Tokenizer("chars/4", False, _estimate)
    for name, (digest, pattern, special) in _ENCODINGS.items():
        try:
            data = gzip.decompress((Path(folders[0]) / "data" / f"{name}.tiktoken.gz").read_bytes())
        except (IndexError, OSError) as exc:
            logger.debug("no %s file: %s", name, exc)
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            logger.warning("the installed %s file differs from OpenAI's; not used", name)
            continue
        ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in data.splitlines()
                                                                        if line)}
        encoding = tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens=special)

        def count(text: str, encoding: Any = encoding) -> int:
            return len(encoding.encode(text, disallowed_special=()))

        return Tokenizer(name, True, count)
    return Tokenizer("chars/4", False, _estimate)


def count_tokens(text: str) -> int:
    """The tokens of ``text``: counted with tiktoken when ``tokenizer()`` has an encoding, else estimated."""
    return tokenizer().count(text)
