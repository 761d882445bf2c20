"""Plans derived from annotations: where a perfect model would point, for scripted model responses.

``plan_from_gold`` reads an annotation in the corpus gold format (kind, items with numbers and their first
and last words, footnotes with their first words) and finds each item's first and last line in the letter,
in order, returning the JSON a model would send for ``LetterPlan``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from llmparse._document import load_document
from llmparse._layout import Layout, Role, read_layout


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


def gold_plan(path: Path, gold: dict[str, Any]) -> tuple[Layout, dict[str, Any]]:
    """The layout of the letter at ``path`` and the plan that points at its annotated items."""
    layout = read_layout(load_document(path))
    return layout, plan_from_gold(layout, gold)


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


# --- plans corrupted the way real models err (bench/model_noise.py, tests/test_model_noise.py) ---------------

#: What a corrupted answer looks like on the wire: the plan as a tool call, or a reply that is not one.
Form = Literal["plan", "invalid-json", "cut", "prose"]
#: Changes a copy of a letter's correct plan in place; False when the error cannot happen in that letter.
Change = Callable[[Layout, dict[str, Any], random.Random], bool]


@dataclass(frozen=True)
class Corrupted:
    """A model's wrong answer for one letter: the plan it sends and the form it sends it in."""

    plan: dict[str, Any]
    form: Form = "plan"


@dataclass(frozen=True)
class Corruption:
    """One class of model error.

    Attributes:
        name: the class's name in the bench's table.
        touches: the scorer's fields, besides ``perfect``, that this error puts wrong when it gets through.
        change: what the error does to the plan.
        form: the form the plan is sent in.
    """

    name: str
    touches: tuple[str, ...]
    change: Change
    form: Form = "plan"


_MONTH_NAMES = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")
_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s*({'|'.join(_MONTH_NAMES)})\s+(\d{{4}})(?!\d)", re.IGNORECASE)
_CASE = re.compile(r"(?<!\d)(\d{4})\s?Z\s?(\d{5})(?!\d)")
#: Surnames for an invented asker; the first that the letter does not print is used.
_INVENTED = ("Brinkhorst-Veldman", "Oosterwijk", "Van der Straeten", "Haverkamp-Lindeboom")


def _expand(printed: str) -> list[str]:
    """The numbers of a heading as ``printed_numbers`` writes them ("4 t/m 7", "2, 3 en 5")."""
    m = re.fullmatch(r"(\d+) t/m (\d+)", printed)
    if m:
        return [str(n) for n in range(int(m.group(1)), int(m.group(2)) + 1)]
    return [n for n in re.split(r",\s*|\s+en\s+", printed) if n]


def _items(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Questions and answers in document order (the dicts themselves, to change in place)."""
    return sorted([*plan["questions"], *plan["answers"]], key=lambda it: (it["first"], it["last"]))


def _role(plan: dict[str, Any], item: dict[str, Any]) -> str:
    return "questions" if any(item is q for q in plan["questions"]) else "answers"


def _text_lines(layout: Layout, first: int, last: int) -> list[int]:
    """The lines (1-based) among ``first``-``last`` that hold body text."""
    return [n for n in range(max(first, 1), min(last, len(layout.lines)) + 1)
            if layout.lines[n - 1].role is Role.BODY]


def _pick(rng: random.Random, options: list[Any]) -> Any:
    return rng.choice(options) if options else None


def _grow(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """An item runs one or two lines too far, taking in a line of text below it (not only a heading)."""
    def below(it: dict[str, Any]) -> list[int]:
        return [n for n in _text_lines(layout, it["last"] + 1, it["last"] + 2) if layout.lines[n - 1].heading is None]

    it = _pick(rng, [it for it in _items(p) if below(it)])
    if it is not None:
        it["last"] = below(it)[0]
    return it is not None


def _shrink(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """An item stops one or two text lines early."""
    it = _pick(rng, [it for it in _items(p) if len(_text_lines(layout, it["first"], it["last"])) >= 2])
    if it is not None:
        lines = _text_lines(layout, it["first"], it["last"])
        it["last"] = lines[-1 - min(rng.choice((1, 2)), len(lines) - 1)]
    return it is not None


def _jitter(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """An item is shifted by a line: it starts and ends one line early, or one line late."""
    shift = rng.choice((-1, 1))
    it = _pick(rng, [it for it in _items(p) if it["first"] + shift >= 1 and it["last"] + shift <= len(layout.lines)
                     and _text_lines(layout, it["first"] + shift, it["last"] + shift)
                     != _text_lines(layout, it["first"], it["last"])])
    if it is not None:
        it["first"] += shift
        it["last"] += shift
    return it is not None


def _from_zero(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """Every line number counted from 0 instead of 1."""
    for entry in [*p["questions"], *p["answers"], *p["footnotes"]]:
        entry["first"] -= 1
        entry["last"] -= 1
    for cut in p["cuts"]:
        cut["line"] -= 1
    return bool(p["questions"] or p["answers"])


def _first_late(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The letter's first item starts a line or two late."""
    items = _items(p)
    lines = _text_lines(layout, items[0]["first"], items[0]["last"]) if items else []
    if len(lines) >= 2:
        items[0]["first"] = lines[min(2, len(lines) - 1)]
    return len(lines) >= 2


def _last_early(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The letter's last item ends early, about halfway."""
    items = _items(p)
    lines = _text_lines(layout, items[-1]["first"], items[-1]["last"]) if items else []
    if len(lines) >= 2:
        items[-1]["last"] = lines[(len(lines) - 1) // 2]
    return len(lines) >= 2


def _last_to_end(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The letter's last item runs to the end of the letter, taking in the text after it (a closing, a signature)
    and the footnotes below it."""
    items = _items(p)
    if not items or not _text_lines(layout, items[-1]["last"] + 1, len(layout.lines)):
        return False
    items[-1]["last"] = len(layout.lines)
    p["footnotes"] = [fn for fn in p["footnotes"] if fn["last"] < items[-1]["first"]]
    return True


def _merged(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """Two neighbouring items as one, carrying both items' numbers (or, when a question and its answer are the
    neighbours, the answer taken into the question)."""
    pairs = list(itertools.pairwise(_items(p)))
    pair = _pick(rng, [(a, b) for a, b in pairs if _role(p, a) == _role(p, b)]) or _pick(rng, pairs)
    if pair is None:
        return False
    a, b = pair
    if _role(p, a) == _role(p, b):
        a["numbers"] = printed_numbers(list(dict.fromkeys([*_expand(a["numbers"]), *_expand(b["numbers"])])))
    a["last"] = b["last"]
    p[_role(p, b)].remove(b)
    return True


def _dropped(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """One item left out (an answer when the letter has answers)."""
    if len(_items(p)) < 2:
        return False
    role = "answers" if p["answers"] else "questions"
    p[role].remove(rng.choice(p[role]))
    return True


def _collapsed(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """Every grouped heading ("Vraag 4 en 5", "Antwoord vraag 4 t/m 15") read as its first number only."""
    grouped = [it for it in _items(p) if len(_expand(it["numbers"])) > 1]
    for it in grouped:
        it["numbers"] = _expand(it["numbers"])[0]
    return bool(grouped)


def _renumbered(*roles: str) -> Change:
    def change(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
        """The items of ``roles`` numbered 1..n in order, whatever the letter prints."""
        before = json.dumps(p)
        for role in roles:
            for k, it in enumerate(p[role], start=1):
                it["numbers"] = str(k)
        return json.dumps(p) != before
    return change


def _invented_asker(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """An asker the letter does not name."""
    text = layout.document.text.casefold()
    p["askers"].append({"name": next(n for n in _INVENTED if n.casefold() not in text), "party": None, "role": None})
    return True


def _day_off(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """A date a day off (the day after the printed one)."""
    name = _pick(rng, [k for k in ("submitted_on", "received_on") if p[k]])
    if name is not None:
        p[name] = (dt.date.fromisoformat(p[name]) + dt.timedelta(days=1)).isoformat()
    return name is not None


def _swapped(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The submitted and received dates swapped."""
    if not p["submitted_on"] or not p["received_on"] or p["submitted_on"] == p["received_on"]:
        return False
    p["submitted_on"], p["received_on"] = p["received_on"], p["submitted_on"]
    return True


def _printed_dates(text: str) -> list[str]:
    out = []
    for m in _DATE.finditer(text):
        try:
            out.append(dt.date(int(m.group(3)), _MONTH_NAMES.index(m.group(2).lower()) + 1, int(m.group(1))))
        except ValueError:
            continue
    return [d.isoformat() for d in dict.fromkeys(out)]


def _other_date(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """Another date the letter prints, taken as the date it was submitted (or received)."""
    other = _pick(rng, [d for d in _printed_dates(layout.document.text) if d not in (p["submitted_on"],
                                                                                    p["received_on"])])
    if other is not None:
        p["submitted_on" if p["submitted_on"] or not p["received_on"] else "received_on"] = other
    return other is not None


def _other_reference(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """Another case number the letter prints, taken as the letter's own."""
    own = re.sub(r"\s", "", p["reference"] or "")
    printed = dict.fromkeys(m.group(1) + "Z" + m.group(2) for m in _CASE.finditer(layout.document.text))
    other = _pick(rng, [r for r in printed if r != own])
    if other is not None:
        p["reference"] = other
    return other is not None


def _respondent_asker(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The answering minister given as one of the members who asked."""
    asker = _pick(rng, p["askers"])
    if asker is not None:
        p["respondents"] = [{"name": asker["name"], "party": asker["party"], "role": None}]
    return asker is not None


def _footnote_folded(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """A footnote read as part of the item above it: left out of the footnotes, its lines in that item."""
    fn = _pick(rng, [fn for fn in p["footnotes"] if any(it["first"] < fn["first"] for it in _items(p))])
    if fn is None:
        return False
    above = [it for it in _items(p) if it["first"] < fn["first"]][-1]
    above["last"] = max(above["last"], fn["last"])
    p["footnotes"].remove(fn)
    return True


def _footnote_dropped(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """A footnote left out of the plan."""
    fn = _pick(rng, p["footnotes"])
    if fn is not None:
        p["footnotes"].remove(fn)
    return fn is not None


def _footnote_invented(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """A line of an answer's own text taken for a footnote, under a marker the letter prints nowhere."""
    it = _pick(rng, [it for it in p["answers"] if len(_text_lines(layout, it["first"], it["last"])) >= 2])
    if it is None:
        return False
    line = _text_lines(layout, it["first"], it["last"])[-1]
    marker = next((str(n) for n in range(9, 1000) if not re.search(rf"(?<!\d){n}(?!\d)", layout.document.text)),
                  "999")
    p["footnotes"] = sorted([*p["footnotes"], {"marker": marker, "first": line, "last": line}],
                            key=lambda fn: fn["first"])
    return True


def _kind_changed(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The letter's kind misread: answers as questions only, a notice or questions as answers."""
    p["kind"] = {"answers": "questions_only", "notice": "answers", "questions_only": "answers"}[p["kind"]]
    return True


def _as_it_is(layout: Layout, p: dict[str, Any], rng: random.Random) -> bool:
    """The plan unchanged (the control, and the broken forms, which send the correct plan)."""
    return True


_FOOTNOTES = ("footnotes_ok",)
_DATES = ("submitted_on_ok", "received_on_ok")

#: Every class of model error the noisy-model bench plays, in the order of its table. ``none`` is the control:
#: the correct plan, which should come through without a re-ask.
CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in (
    Corruption("none", ("askers_ok", "respondents_ok", "reference_ok", *_DATES), _as_it_is),
    Corruption("grow", (), _grow),
    Corruption("shrink", (), _shrink),
    Corruption("jitter", (), _jitter),
    Corruption("from-zero", (), _from_zero),
    Corruption("first-late", (), _first_late),
    Corruption("last-early", (), _last_early),
    Corruption("last-to-end", _FOOTNOTES, _last_to_end),
    Corruption("merged", (), _merged),
    Corruption("dropped", (), _dropped),
    Corruption("collapsed", (), _collapsed),
    Corruption("renumber-questions", (), _renumbered("questions")),
    Corruption("renumber-answers", (), _renumbered("answers")),
    Corruption("renumber-both", (), _renumbered("questions", "answers")),
    Corruption("invented-asker", ("askers_ok",), _invented_asker),
    Corruption("day-off", _DATES, _day_off),
    Corruption("dates-swapped", _DATES, _swapped),
    Corruption("other-date", _DATES, _other_date),
    Corruption("other-reference", ("reference_ok",), _other_reference),
    Corruption("respondent-asker", ("respondents_ok",), _respondent_asker),
    Corruption("footnote-folded", _FOOTNOTES, _footnote_folded),
    Corruption("footnote-dropped", _FOOTNOTES, _footnote_dropped),
    Corruption("footnote-invented", _FOOTNOTES, _footnote_invented),
    Corruption("invalid-json", (), _as_it_is, "invalid-json"),
    Corruption("cut-at-limit", (), _as_it_is, "cut"),
    Corruption("prose", (), _as_it_is, "prose"),
    Corruption("kind-changed", (), _kind_changed),
)}


def corrupt(layout: Layout, plan: dict[str, Any], name: str, seed: str) -> Corrupted | None:
    """The answer of a model making error ``name`` on the letter of ``layout`` whose correct plan is ``plan``;
    None when that error cannot happen in this letter. ``seed`` (the letter's name) picks the item concerned,
    the same one on every run."""
    corruption = CORRUPTIONS[name]
    copy = json.loads(json.dumps(plan))
    if not corruption.change(layout, copy, random.Random(f"{seed}:{name}")):
        return None
    return Corrupted(copy, corruption.form)


def score_letter(gold: dict[str, Any], pred: dict[str, Any]) -> dict[str, Any]:
    """The shared scorer's verdict on one letter (``perfect``, ``flagged`` and the metadata and footnote fields),
    for when ../shared is absent: items matched by their numbers and bounded by their first and last words,
    footnotes by marker and first words, people by surname. tests/test_model_noise.py holds it to the real one."""
    letter = pred["letter"]

    def matched(part: str) -> bool:
        want, got = gold[part], letter[part]
        key = [sorted(x["numbers"]) for x in got]
        return len(want) == len(got) and all(
            sorted(w["numbers"]) in key and bounded(got[key.index(sorted(w["numbers"]))]["text"], w["start"], w["end"])
            for w in want)

    def surnames(people: list[dict[str, Any]]) -> set[str]:
        return {_folded((p["name"] or "").split()[-1], digits=True)[0] for p in people if p["name"]}

    notes = [(_folded(str(f["marker"]), digits=True)[0], _folded(f["text"], digits=True)[0])
             for f in letter["footnotes"]]
    footnotes = len(notes) == len(gold["footnotes"]) and all(
        any(m == _folded(str(g["marker"]), digits=True)[0] and 0 <= t.find(_folded(g["start"], digits=True)[0]) <= 12
            for m, t in notes) for g in gold["footnotes"])
    out: dict[str, Any] = {
        "perfect": letter["kind"] == gold["kind"] and matched("questions") and matched("answers"),
        "flagged": any(f["severity"] == "error" for f in pred["findings"]),
        "footnotes_ok": footnotes,
        "askers_ok": surnames(letter["askers"]) == surnames(gold["askers"]),
        "respondents_ok": surnames(letter["respondents"]) == surnames(gold["respondents"]),
    }
    for name in ("reference", "submitted_on", "received_on"):
        out[f"{name}_ok"] = (letter[name] or None) == (gold.get(name) or None)
    return out
