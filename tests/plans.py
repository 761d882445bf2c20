"""Plans derived from annotations: where a perfect model would point, for scripted model responses.

``plan_from_gold`` reads an annotation in the corpus gold format (kind, items with numbers and their first
and last words, footnotes with their first words) and finds each item's first and last line in the letter,
in order, returning the JSON a model would send for ``LetterPlan``.
"""

from __future__ import annotations

import bisect
import unicodedata
from typing import Any

from llmparse._layout import Layout


def _folded(text: str, *, digits: bool) -> tuple[str, list[int]]:
    """The text folded as the scorer folds it (lowercase letters and digits only), with each char's offset."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if c.isalnum() and (digits or not c.isdigit()):
                out.append(c)
                where.append(i)
    return "".join(out), where


class _Finder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.views = [_folded(text, digits=True), _folded(text, digits=False)]

    def _bounded(self, start: int, end: int, edge: str) -> bool:
        """PDF text glues words together, so only the edge that matters is checked: a start must begin a
        word ("Ja" is not inside "Vergaderjaar"), an end must end one."""
        if edge == "start":
            return start == 0 or not self.text[start - 1].isalpha()
        return end >= len(self.text) or not self.text[end].isalpha()

    def find(self, words: str, after: int, edge: str = "start") -> tuple[int, int] | None:
        """The ``[start, end)`` offsets of ``words`` at or after offset ``after``, on a word edge if possible."""
        for strict in (True, False):
            for digits, (folded, where) in zip((True, False), self.views, strict=True):
                needle = _folded(words, digits=digits)[0]
                if not needle:
                    continue
                pos = folded.find(needle, bisect.bisect_left(where, after))
                while pos >= 0:
                    start, end = where[pos], where[pos + len(needle) - 1] + 1
                    if not strict or self._bounded(start, end, edge):
                        return start, end
                    pos = folded.find(needle, pos + 1)
        return None


def printed_numbers(numbers: list[str]) -> str:
    """Numbers as a heading prints them: a run of three or more as "4 t/m 15", others as "2, 3 en 5"."""
    if len(numbers) >= 3 and all(n.isdigit() for n in numbers):
        values = [int(n) for n in numbers]
        if values == list(range(values[0], values[0] + len(values))):
            return f"{values[0]} t/m {values[-1]}"
    return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} en {numbers[-1]}"


def _anchor_words(layout: Layout, offset: int, words: str, *, at_end: bool) -> str | None:
    """The annotated words as an anchor when the item starts or ends inside its line, else None."""
    doc = layout.document
    i = doc.line_at(offset - 1 if at_end else offset)
    info = layout.lines[i]
    heading_end = info.heading.end if info.heading is not None else info.start
    rest = doc.text[offset : info.end] if at_end else doc.text[heading_end:offset]
    if not any(ch.isalpha() for ch in rest):
        return None  # the item fills the line (bar markers, punctuation or its heading)
    found = doc.text[max(info.start, offset - len(words) - 20) : offset] if at_end else doc.text[offset : info.end]
    tokens = found.split()
    return " ".join(tokens[-4:] if at_end else tokens[:4]) or None


def plan_from_gold(layout: Layout, gold: dict[str, Any]) -> dict[str, Any]:
    """The ``LetterPlan`` JSON that points at the annotated items of ``layout``'s letter."""
    doc = layout.document
    finder = _Finder(doc.text)
    # each role is annotated in text order; find each in turn, then interleave them by where they start
    starts: list[tuple[int, int, str, dict[str, Any]]] = []
    asked_end: dict[str, int] = {}  # where the question carrying each number ends
    for role, entries in (("question", gold["questions"]), ("answer", gold["answers"])):
        pos = 0
        for entry in entries:
            if role == "answer":  # an answer comes after the question(s) it answers
                pos = max([pos, *(asked_end[n] for n in entry["numbers"] if n in asked_end)])
            found = finder.find(entry["start"], pos)
            if found is None:
                raise LookupError(f"start of {role} {entry['numbers']} not found: {entry['start']!r}")
            end = finder.find(entry["end"], found[0], "end")
            if end is None:
                raise LookupError(f"end of {role} {entry['numbers']} not found: {entry['end']!r}")
            starts.append((found[0], end[1], role, entry))
            pos = end[1]
            if role == "question":
                asked_end.update(dict.fromkeys(entry["numbers"], end[1]))
    questions: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    cuts: list[dict[str, Any]] = []
    for begin, stop, role, entry in sorted(starts, key=lambda s: s[0]):
        first, last = doc.line_at(begin) + 1, doc.line_at(stop - 1) + 1
        (questions if role == "question" else answers).append(
            {"numbers": printed_numbers(entry["numbers"]), "first": first, "last": last})
        for line, side, words in ((first, "start", _anchor_words(layout, begin, entry["start"], at_end=False)),
                                  (last, "end", _anchor_words(layout, stop, entry["end"], at_end=True))):
            if words is not None:
                cuts.append({"line": line, "side": side, "words": words})
    # footnotes: the layout's block that starts with the annotated words, else the words' line
    footnotes = []
    unused = list(layout.footnotes)
    pos = 0
    for fn in gold.get("footnotes", []):
        want = _folded(fn["start"], digits=True)[0]
        block = next((b for b in unused if _folded(doc.text[b.start : b.end], digits=True)[0].startswith(want)),
                     None)
        if block is not None:
            unused.remove(block)
            opening = doc.text[layout.lines[block.first_line].start : block.start]
            if any(ch.isalpha() for ch in opening):
                continue  # it starts inside a line of text: a plan of whole lines cannot point at it
            footnotes.append({"marker": fn["marker"], "first": block.first_line + 1, "last": block.last_line + 1})
            continue
        found = finder.find(fn["start"], pos)
        if found is None:
            continue
        pos = found[1]
        info = layout.lines[doc.line_at(found[0])]
        if any(ch.isalpha() for ch in doc.text[info.start : found[0]]):
            continue  # printed inside a line of text: a plan of whole lines cannot point at it
        line = doc.line_at(found[0]) + 1
        footnotes.append({"marker": fn["marker"], "first": line, "last": line})
    return {
        "kind": gold["kind"],
        "questions": questions,
        "answers": answers,
        "footnotes": footnotes,
        "cuts": cuts,
        "reference": gold.get("reference"),
        "subject": None,
        "askers": [{"name": p["name"], "party": p.get("party"), "role": None} for p in gold.get("askers", [])],
        "respondents": [{"name": p["name"], "party": None, "role": p.get("role")}
                        for p in gold.get("respondents", [])],
        "submitted_on": gold.get("submitted_on"),
        "received_on": gold.get("received_on"),
    }


def bounded(text: str, start: str, end: str, slack: int = 12) -> bool:
    """True when ``text`` starts with ``start`` and ends with ``end``, compared as the shared scorer does:
    folded to letters and digits, with a little slack for footnote markers, and again without digits."""
    for digits in (True, False):
        t, s, e = (_folded(x, digits=digits)[0] for x in (text, start, end))
        i, j = t.find(s), t.rfind(e)
        if s and e and 0 <= i <= slack and j >= 0 and len(t) - (j + len(e)) <= slack:
            return True
    return False
