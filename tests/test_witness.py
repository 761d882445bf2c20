"""The checks as an independent witness: a plan that is wrong in any one way never passes without an error.

One letter written for these tests, its right plan (which must pass clean), and one corruption per class of
mistake a model (or the rules) makes, each with the error codes the checks must report. Every plan goes
through the public step ``llmparse.parse_plan``, so these tests see what a user sees. Removing any one check,
or letting a plan rewrite the Layout the checks read, makes one of them fail.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

import llmparse

LETTER = """Vragen van het lid Bakker (GroenLinks) aan de minister van Infrastructuur en Waterstaat over fietspaden
in de polder (ingezonden 3 februari 2025).
2025Z01234

Antwoord van minister Smit (Infrastructuur en Waterstaat) (ontvangen 24 februari 2025).

Vraag 1
Kent u het bericht over de slechte staat van de fietspaden in de polder?1

Antwoord 1
Ja.

Vraag 2 en 3
Hoeveel kilometer fietspad is in slechte staat? Wanneer worden deze fietspaden
hersteld?

Antwoord 2 en 3
Ongeveer twaalf kilometer is in slechte staat. Het herstel begint dit voorjaar
en is naar verwachting in de zomer gereed.

Vraag 4
Bent u bereid de Kamer te informeren over de voortgang?2

Antwoord 4
Ja, ik zal de Kamer voor het einde van het jaar informeren over de voortgang van
de werkzaamheden aan de fietspaden in de polder, zodra de aannemer zijn planning
heeft gedeeld met de provincie en de gemeenten.

De Minister van Infrastructuur en Waterstaat,
J. Smit

1 Dagblad van de Polder, 1 februari 2025 (eerder gevraagd onder 2024Z05555).
2 Kamerstuk 36 600 A, nr. 12.
"""

NOTICE = """Vragen van het lid Bakker (GroenLinks) aan de minister van Infrastructuur en Waterstaat over fietspaden
(ingezonden 3 februari 2025).

Vraag 1
Kent u het bericht over de fietspaden?

Vraag 2
Gaat u ze herstellen?

Mededeling van minister Smit (Infrastructuur en Waterstaat) (ontvangen 24 februari 2025).
Mededeling
De vragen van het lid Bakker kunnen niet binnen de gebruikelijke termijn worden beantwoord.
"""


def _line(text: str, start: str) -> int:
    """The 1-based number of the line of ``text`` that starts with ``start``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(start))


def _item(text: str, numbers: str, first: str, last: str) -> dict[str, Any]:
    return {"numbers": numbers, "first": _line(text, first), "last": _line(text, last)}


def _right_plan() -> dict[str, Any]:
    t = LETTER
    return {
        "kind": "answers",
        "questions": [_item(t, "1", "Kent u", "Kent u"), _item(t, "2 en 3", "Hoeveel", "hersteld?"),
                      _item(t, "4", "Bent u", "Bent u")],
        "answers": [_item(t, "1", "Ja.", "Ja."), _item(t, "2 en 3", "Ongeveer", "en is naar"),
                    _item(t, "4", "Ja, ik zal", "heeft gedeeld")],
        "footnotes": [{"marker": "1", "first": _line(t, "1 Dagblad"), "last": _line(t, "1 Dagblad")},
                      {"marker": "2", "first": _line(t, "2 Kamerstuk"), "last": _line(t, "2 Kamerstuk")}],
        "cuts": [],
        "reference": "2025Z01234",
        "subject": "fietspaden in de polder",
        "askers": [{"name": "Bakker", "party": "GroenLinks", "role": None}],
        "respondents": [{"name": "Smit", "party": None, "role": "minister van Infrastructuur en Waterstaat"}],
        "submitted_on": "2025-02-03",
        "received_on": "2025-02-24",
    }


Change = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Change:
    def change(plan: dict[str, Any]) -> None:
        plan[key] = value
    return change


def _renumber(plan: dict[str, Any]) -> None:
    for side in ("questions", "answers"):
        for k, item in enumerate(plan[side], start=1):
            item["numbers"] = str(k)


def _twice(plan: dict[str, Any]) -> None:
    plan["questions"][-1]["numbers"] = "1"


def _collapse_groups(plan: dict[str, Any]) -> None:
    for side in ("questions", "answers"):
        for item in plan[side]:
            item["numbers"] = item["numbers"].split(" en ")[0]


def _last_ends_early(plan: dict[str, Any]) -> None:
    plan["answers"][-1]["last"] -= 2


def _first_starts_late(plan: dict[str, Any]) -> None:
    plan["questions"][1]["first"] += 1


def _drop_answer(plan: dict[str, Any]) -> None:
    del plan["answers"][0]


def _merge_neighbours(plan: dict[str, Any]) -> None:
    plan["questions"][0]["last"] = plan["answers"][0]["last"]
    del plan["answers"][0]


def _footnote_on_body(plan: dict[str, Any]) -> None:
    line = _line(LETTER, "de werkzaamheden")
    plan["footnotes"].append({"marker": "9", "first": line, "last": line})
    plan["footnotes"].sort(key=lambda fn: fn["first"])


def _drop_footnote(plan: dict[str, Any]) -> None:
    del plan["footnotes"][1]


def _fold_footnotes(plan: dict[str, Any]) -> None:
    plan["answers"][-1]["last"] = _line(LETTER, "2 Kamerstuk")
    plan["footnotes"] = []


def _run_to_end(plan: dict[str, Any]) -> None:
    plan["answers"][-1]["last"] = _line(LETTER, "J. Smit")


def _swap_dates(plan: dict[str, Any]) -> None:
    plan["submitted_on"], plan["received_on"] = plan["received_on"], plan["submitted_on"]


def _no_answers(plan: dict[str, Any]) -> None:
    plan["kind"] = "questions_only"
    plan["answers"] = []


CASES: list[tuple[str, Change, set[str]]] = [
    ("questions and answers renumbered 1..n", _renumber, {"headings.numbers"}),
    ("a question number given twice", _twice, {"numbering.duplicate", "headings.numbers"}),
    ("grouped numbers collapsed to the first", _collapse_groups, {"headings.numbers"}),
    ("the last answer ends early", _last_ends_early, {"completeness.trailing"}),
    ("the last answer runs into the signature", _run_to_end, {"completeness.closing_in_text"}),
    ("a question starts a line late", _first_starts_late, {"headings.unprinted", "completeness.unassigned"}),
    ("an answer dropped", _drop_answer, {"headings.orphan"}),
    ("a question swallows its answer", _merge_neighbours, {"completeness.heading_in_text"}),
    ("answer text called a footnote", _footnote_on_body, {"footnotes.unknown", "grounding.text"}),
    ("a footnote dropped", _drop_footnote, {"footnotes.missing", "footnotes.cited_missing"}),
    ("footnotes folded into the last answer", _fold_footnotes, {"footnotes.missing"}),
    ("a case number from a footnote", _set("reference", "2024Z05555"), {"metadata.reference_anchor"}),
    ("another printed date as submitted_on", _set("submitted_on", "2025-02-01"), {"metadata.dates_anchor"}),
    ("dates swapped", _swap_dates, {"metadata.dates", "metadata.dates_anchor"}),
    ("a date off by a day", _set("received_on", "2025-02-25"), {"grounding.metadata"}),
    ("an invented asker", _set("askers", [{"name": "Jansen", "party": None, "role": None}]),
     {"grounding.metadata"}),
    ("the respondent as asker", _set("askers", [{"name": "Smit", "party": None, "role": None}]),
     {"metadata.askers_anchor", "metadata.respondent_is_asker"}),
    ("the respondent set to the asker", _set("respondents", [{"name": "Bakker", "party": None, "role": None}]),
     {"metadata.respondent_is_asker"}),
    ("answers read as questions only", _no_answers, {"kind.answers", "headings.orphan"}),
    ("answers read as a notice", _set("kind", "notice"), {"coverage.notice_answers"}),
]


def test_the_right_plan_passes_clean() -> None:
    """The right plan of the test letter assembles into a letter with no error and no warning."""
    result = llmparse.parse_plan(LETTER, _right_plan())
    assert [(f.code, f.message) for f in result.findings if f.severity is not llmparse.Severity.INFO] == []
    assert [a.numbers for a in result.letter.answers] == [["1"], ["2", "3"], ["4"]]
    assert [fn.marker for fn in result.letter.footnotes] == ["1", "2"]


def test_the_rules_agree_with_the_right_plan() -> None:
    """The rules read the test letter as the right plan does, with no error finding."""
    rules = llmparse.parse(LETTER, strategy="rules")
    planned = llmparse.parse_plan(LETTER, _right_plan())
    assert rules.errors == []
    assert [(q.numbers, q.text) for q in rules.letter.questions] == \
        [(q.numbers, q.text) for q in planned.letter.questions]
    assert [(a.numbers, a.text) for a in rules.letter.answers] == [(a.numbers, a.text) for a in planned.letter.answers]


@pytest.mark.parametrize(("change", "codes"), [(c, k) for _, c, k in CASES], ids=[n for n, _, _ in CASES])
def test_a_wrong_plan_is_caught(change: Change, codes: set[str]) -> None:
    """The corrupted plan's result carries the error findings of the checks that re-derive what it got wrong."""
    plan = copy.deepcopy(_right_plan())
    change(plan)
    result = llmparse.parse_plan(LETTER, plan)
    found = {f.code for f in result.errors}
    assert codes <= found, [(f.code, f.message) for f in result.findings]


def test_a_notice_read_as_answers_is_caught() -> None:
    """A letter printing a Mededeling, read as answers, is kind.notice."""
    t = NOTICE
    plan = {"kind": "answers", "questions": [_item(t, "1", "Kent u", "Kent u"), _item(t, "2", "Gaat u", "Gaat u")],
            "answers": [], "footnotes": [], "cuts": [], "reference": None, "subject": None,
            "askers": [{"name": "Bakker", "party": "GroenLinks", "role": None}], "respondents": [],
            "submitted_on": "2025-02-03", "received_on": "2025-02-24"}
    assert "kind.notice" in {f.code for f in llmparse.parse_plan(t, plan).errors}
    plan["kind"] = "notice"
    assert {f.code for f in llmparse.parse_plan(t, plan).errors} == set()


def test_the_layout_is_not_rewritten_by_a_plan() -> None:
    """A plan calling a line of answer 4 a footnote does not make it one: the checks still read it as answer
    text (the Layout a plan could rewrite would hide the loss)."""
    plan = _right_plan()
    _footnote_on_body(plan)
    result = llmparse.parse_plan(LETTER, plan)
    answer = result.letter.answers[-1]
    assert "de werkzaamheden" not in answer.text  # assembly followed the plan ...
    text_finding = next(f for f in result.errors if f.code == "grounding.text")  # ... the witness did not
    assert text_finding.numbers == ["4"]


def test_overlapping_items_are_clipped_and_reported() -> None:
    """A plan whose items overlap gives a result (the later item clipped) with a grounding.order error."""
    plan = _right_plan()
    plan["answers"][0]["first"] = plan["questions"][0]["first"]
    result = llmparse.parse_plan(LETTER, plan)
    spans = sorted(it.span for it in [*result.letter.questions, *result.letter.answers])
    assert all(a[1] <= b[0] for a, b in pairwise(spans))
    assert "grounding.order" in {f.code for f in result.errors}


def test_a_plan_that_is_no_plan_is_a_typed_error() -> None:
    """parse_plan refuses text that is not a plan of the schema with ModelOutputError."""
    with pytest.raises(llmparse.ModelOutputError):
        llmparse.parse_plan(LETTER, '{"kind": "answers", "questions": [')
    with pytest.raises(llmparse.ModelOutputError):
        llmparse.parse_plan(LETTER, {"kind": "answers"})
