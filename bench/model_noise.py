"""How the model path fares when the model errs: a scripted model answers every letter with its correct plan,
corrupted the way real models err, and each outcome is scored against the gold.

The model is the test suite's scripted server (``tests/model_server.py``) on a free port, playing
``NoisePlayer``: for each letter it sends the plan derived from the letter's gold annotation
(``tests.plans.plan_from_gold``), corrupted by one class of error (``tests.plans.CORRUPTIONS``: boundaries off
by a line or two, items merged or dropped, numbers collapsed or renumbered, wrong metadata, footnotes folded
into items, broken output, the wrong kind). Two policies: ``first`` corrupts only the first attempt (a re-ask
gets the correct plan), ``every`` corrupts every attempt. Each (letter, error, policy) goes through the public
API, ``llmparse.parse(path, strategy="llm", llm=llmparse.LLMExtractor(...))``, and its outcome is one of

- absorbed: the result is right without a re-ask;
- repaired: the result is right after a re-ask;
- caught: a typed ``llmparse.LLMParseError``, or a result with at least one error finding;
- silent: the result is wrong and has no error finding;

where right means the shared scorer (``eval/score.py``, ``score_letter``) calls the letter perfect and gets
right every field the error touches (the dates for a date error, the footnotes for a footnote error, ...).
``none`` is the control: the correct plan, sent as is. An error that cannot happen in a letter (no footnotes,
no grouped heading, no second date) is counted as not applicable (n/a) for it.

    python bench/model_noise.py                      # every corpus letter, every error, both policies
    python bench/model_noise.py --letters 10 --corruption merged --policy every
    python bench/model_noise.py --team               # the team's letters in tests/data/letters (no corpus)

It prints one table per policy and, as its last line,
``letters N  corruptions K  right-after-first-only P%  calls-per-letter C  silent S``: P is the share of
applicable (letter, error) pairs that come out right when only the first attempt is corrupted, C the model
calls per letter under that policy, S the silent outcomes under both policies (the control left out of all
three). The shared folder is ``$LLMPARSE_SHARED``, or ``../shared`` next to the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.plans and tests.model_server

import llmparse  # noqa: E402
from tests.model_server import ModelServer, NoiseCase, NoisePlayer  # noqa: E402
from tests.plans import CORRUPTIONS, corrupt, gold_plan, score_letter  # noqa: E402

POLICIES = ("first", "every")
OUTCOMES = ("absorbed", "repaired", "caught", "silent")
CONTROL = "none"

Scorer = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Letter:
    """A letter and its annotation in the corpus gold format."""

    path: Path
    gold: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What became of one letter under one error and one policy.

    Attributes:
        letter: the letter's file name.
        corruption: the error's name.
        policy: ``first`` or ``every``.
        outcome: ``n/a``, or one of ``OUTCOMES``.
        calls: model calls spent on the letter.
        tokens: prompt and completion tokens spent on the letter.
        alarm: the result is right and still carries an error finding.
        detail: the error's class name, or the first error finding's code.
    """

    letter: str
    corruption: str
    policy: str
    outcome: str
    calls: int = 0
    tokens: int = 0
    alarm: bool = False
    detail: str = ""


def shared_dir() -> Path:
    """The shared folder: ``$LLMPARSE_SHARED``, or ``<repo>/../shared``."""
    return Path(os.environ.get("LLMPARSE_SHARED", REPO.parent / "shared"))


def corpus_letters(shared: Path) -> list[Letter]:
    """Every letter a gold file of the corpus names, in the scorer's order."""
    out = []
    for gpath in sorted((shared / "corpus" / "gold").glob("*.gold.json")):
        gold = json.loads(gpath.read_text(encoding="utf-8"))
        out.append(Letter(shared / "corpus" / "letters" / gold["file"], gold))
    return out


def team_letters() -> list[Letter]:
    """The team's own letters (tests/data/letters) with their expectations, written in the gold format."""
    folder = REPO / "tests" / "data" / "letters"
    out = []
    for path in sorted(folder.iterdir()):
        expected = folder / f"{path.stem}.expected.json"
        if path.suffix in (".txt", ".md") and expected.is_file():
            out.append(Letter(path, json.loads(expected.read_text(encoding="utf-8"))))
    return out


def sample(letters: list[Letter], n: int | None) -> list[Letter]:
    """``n`` letters spread evenly over ``letters`` (all of them when ``n`` is None or not smaller)."""
    if n is None or not 0 < n < len(letters):
        return letters
    return [letters[k * len(letters) // n] for k in range(n)]


def shared_scorer(shared: Path) -> Scorer | None:
    """``score_letter`` of the shared scorer, or None when ../shared is absent."""
    path = shared / "eval" / "score.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("llmparse_shared_score", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scorer: Scorer = module.score_letter
    return scorer


def classify(gold: dict[str, Any], corruption: str, result: llmparse.Result, reasked: bool,
             scorer: Scorer) -> tuple[str, bool]:
    """The outcome of a result (absorbed, repaired, caught or silent) and whether it is right with an error
    finding. ``reasked``: the server got a re-ask (a long letter takes a call per part, so the call count does
    not tell)."""
    verdict = scorer(gold, json.loads(result.model_dump_json()))
    right = bool(verdict["perfect"]) and all(verdict[k] for k in CORRUPTIONS[corruption].touches)
    flagged = bool(result.errors)
    if right:
        return ("repaired" if reasked else "absorbed"), flagged
    return ("caught" if flagged else "silent"), False


class Bench:
    """One scripted server and the letters' runs against it (one per process)."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.player = NoisePlayer()
        self.server = ModelServer(0, player=self.player, record=False).start()
        self.runs = 0

    def close(self) -> None:
        """Stop the server."""
        self.server.stop()

    def letter(self, letter: Letter, corruptions: Iterable[str], policies: Iterable[str]) -> list[Outcome]:
        """Every outcome of one letter."""
        layout, plan = gold_plan(letter.path, letter.gold)
        out = []
        for name in corruptions:
            corrupted = corrupt(layout, plan, name, letter.path.name)
            for policy in policies:
                if corrupted is None:
                    out.append(Outcome(letter.path.name, name, policy, "n/a"))
                    continue
                self.runs += 1
                model = f"noise-{os.getpid()}-{self.runs}"
                self.player.cases[model] = NoiseCase(plan, corrupted, policy, len(layout.lines))
                try:
                    out.append(self._run(letter, name, policy, model))
                finally:
                    del self.player.cases[model]
                    self.player.reasks.pop(model, None)
        return out

    def _run(self, letter: Letter, name: str, policy: str, model: str) -> Outcome:
        retry = llmparse.RetryPolicy(max_attempts=1)
        with llmparse.LLMExtractor(model, base_url=self.server.base_url, api_key="noise", retry=retry) as llm:
            try:
                result = llmparse.parse(letter.path, strategy="llm", llm=llm)
            except llmparse.LLMParseError as exc:
                usage = getattr(exc, "usage", None) or llmparse.Usage()
                return Outcome(letter.path.name, name, policy, "caught", usage.llm_calls,
                               usage.prompt_tokens + usage.completion_tokens, detail=type(exc).__name__)
        outcome, alarm = classify(letter.gold, name, result, self.player.reasks[model] > 0, self.scorer)
        return Outcome(letter.path.name, name, policy, outcome, result.usage.llm_calls,
                       result.usage.prompt_tokens + result.usage.completion_tokens, alarm,
                       result.errors[0].code if result.errors else "")


_WORKER: Bench | None = None


def _start_worker(shared: str | None) -> None:
    global _WORKER
    _quiet()
    _WORKER = Bench(_scorer(Path(shared) if shared else None))


def _work(job: tuple[Letter, tuple[str, ...], tuple[str, ...]]) -> list[Outcome]:
    assert _WORKER is not None
    return _WORKER.letter(*job)


Work = list[tuple[Letter, tuple[str, ...]]]


def _scorer(shared: Path | None) -> Scorer:
    found = shared_scorer(shared) if shared is not None else None
    return found or score_letter


def run(letters: list[Letter], corruptions: Iterable[str], policies: Iterable[str], *, jobs: int = 1,
        shared: Path | None = None) -> list[Outcome]:
    """Every outcome of ``letters`` under ``corruptions`` and ``policies`` (see ``run_work``)."""
    return run_work([(letter, tuple(corruptions)) for letter in letters], policies, jobs=jobs, shared=shared)


def run_work(letters: Work, policies: Iterable[str], *, jobs: int = 1, shared: Path | None = None) -> list[Outcome]:
    """Every outcome of each letter under its errors and ``policies``, each letter's runs in one of ``jobs``
    processes (or in this one), scored by the shared scorer in ``shared`` (else ``tests.plans.score_letter``)."""
    work = [(letter, names, tuple(policies)) for letter, names in letters]
    if jobs <= 1:
        bench = Bench(_scorer(shared))
        try:
            return [o for job in work for o in bench.letter(*job)]
        finally:
            bench.close()
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(str(shared) if shared else None,)) as pool:
        return [o for outcomes in pool.map(_work, work, chunksize=1) for o in outcomes]


def _row(label: str, outcomes: list[Outcome]) -> str:
    done = [o for o in outcomes if o.outcome != "n/a"]
    counts = [sum(o.outcome == k for o in done) for k in OUTCOMES]
    calls = sum(o.calls for o in done) / len(done) if done else 0.0
    tokens = sum(o.tokens for o in done) / len(done) if done else 0.0
    alarms = sum(o.alarm for o in done)
    return (f"{label:<20}{len(done):>8}{len(outcomes) - len(done):>6}" + "".join(f"{c:>10}" for c in counts)
            + f"{alarms:>8}{calls:>8.2f}{tokens:>10,.0f}")


def table(outcomes: list[Outcome]) -> list[str]:
    """The table's lines: per policy, one row per error (the control first), then the totals line."""
    names = list(dict.fromkeys(o.corruption for o in outcomes))
    policies = [p for p in POLICIES if any(o.policy == p for o in outcomes)]
    lines: list[str] = []
    about = {"first": "only the first attempt corrupted (a re-ask gets the correct plan)",
             "every": "every attempt corrupted"}
    for policy in policies:
        mine = [o for o in outcomes if o.policy == policy]
        lines += ["", f"policy {policy}: {about[policy]}",
                  f"{'corruption':<20}{'letters':>8}{'n/a':>6}" + "".join(f"{k:>10}" for k in OUTCOMES)
                  + f"{'alarms':>8}{'calls':>8}{'tokens':>10}"]
        for name in names:
            label = f"{name} (control)" if name == CONTROL else name
            lines.append(_row(label, [o for o in mine if o.corruption == name]))
        lines.append(_row("all errors", [o for o in mine if o.corruption != CONTROL]))
    errors = [o for o in outcomes if o.corruption != CONTROL and o.outcome != "n/a"]
    first = [o for o in errors if o.policy == "first"]
    right = sum(o.outcome in ("absorbed", "repaired") for o in first)
    share = 100 * right / len(first) if first else 0.0
    calls = sum(o.calls for o in first) / len(first) if first else 0.0
    letters = len({o.letter for o in outcomes})
    kinds = len({o.corruption for o in errors})
    silent = sum(o.outcome == "silent" for o in errors)
    lines += ["", "letters: runs that apply; n/a: letters the error cannot happen in; alarms: right, yet with an "
              "error finding; calls, tokens: per letter", "",
              f"letters {letters}  corruptions {kinds}  right-after-first-only {share:.1f}%  "
              f"calls-per-letter {calls:.2f}  silent {silent}"]
    return lines


def _quiet() -> None:
    """instructor logs every exhausted re-ask as an error; the table counts them."""
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--letters", type=int, default=None, help="a sample of N letters, spread over the corpus")
    parser.add_argument("--corruption", action="append", choices=list(CORRUPTIONS), default=None,
                        help="only this error (repeatable; the control always runs)")
    parser.add_argument("--policy", choices=[*POLICIES, "both"], default="both")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    parser.add_argument("--team", action="store_true", help="the team's letters in tests/data/letters instead")
    parser.add_argument("--silent", action="store_true", help="list every silent outcome on stderr")
    args = parser.parse_args(argv)
    _quiet()
    shared = shared_dir()
    if args.team:
        letters = team_letters()
    elif (shared / "corpus" / "gold").is_dir():
        letters = corpus_letters(shared)
    else:
        print(f"model_noise.py: no corpus at {shared} (set LLMPARSE_SHARED, or use --team)", file=sys.stderr)
        return 2
    letters = sample(letters, args.letters)
    corruptions = [CONTROL, *(c for c in args.corruption or CORRUPTIONS if c != CONTROL)]
    policies = POLICIES if args.policy == "both" else (args.policy,)
    outcomes = run(letters, corruptions, policies, jobs=args.jobs, shared=shared)
    if args.silent:
        for o in outcomes:
            if o.outcome == "silent":
                print(f"silent: {o.corruption} {o.policy} {o.letter}", file=sys.stderr)
    print(f"{len(letters)} letters from {letters[0].path.parent if letters else '-'}; scorer: "
          f"{'shared eval/score.py' if shared_scorer(shared) else 'tests.plans.score_letter'}")
    print("\n".join(table(outcomes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
