"""Review page: the HTML a reader checks a parse with, read as markup and shown in a real headless browser.

The structural tests parse the page with the standard library's ``html.parser``. The browser tests drive
Debian's Chromium (``/usr/bin/chromium``) over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
NUL-separated JSON on file descriptors 3 and 4), so they need no websocket client, no network socket and no
new dependency; they are skipped with a reason when Chromium is absent (CI installs it).
"""

from __future__ import annotations

import base64
import fcntl
import functools
import json
import os
import re
import select
import signal
import time
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import llmparse
from llmparse._models import Answer, Finding, Footnote, Letter, Person, Provenance, Question, Result, Severity
from llmparse._review import render_html

from .conftest import CORPUS, EXAMPLE, ROOT, needs_shared

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no headless browser at {CHROMIUM}: install it with `apt-get install -y chromium` (CI does)",
)

# Invented letters: fictional member, party and subject.
TRUNCATED = """Vragen van het lid Jansen (VVD) aan de Minister van Financiën over de begroting \
(ingezonden 1 maart 2024).

Vraag 1
Kunt u bevestigen dat de begroting klopt?

Vraag 2
Waarom is de begroting te laat?

Vraag 3
Wat kost de vertraging?
\f
Vraag 4
Wanneer komt de brief?

Antwoord vraag 1
Ja, dat kan ik bevestigen.

Antwoord vraag 2
Door drukte.
"""

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'

INJECTION = f"""Vragen van het lid Jansen (VVD) aan de Minister van Financiën over {SCRIPT} \
(ingezonden 1 maart 2024).

Vraag 1
Wat doet {SCRIPT} in een brief?

Vraag 2
En wat doet {ATTRIBUTE} hier?

Antwoord vraag 1
Niets: {SCRIPT} is tekst.

Antwoord vraag 2
Ook {ATTRIBUTE} is tekst.
"""


@functools.cache
def _example() -> Result:
    return llmparse.parse(EXAMPLE, strategy="rules")


@functools.cache
def _truncated() -> Result:
    return llmparse.parse(TRUNCATED, strategy="rules")


@functools.cache
def _injection() -> Result:
    """The injection letter parsed, then every free-text field of the result set to a payload as well."""
    parsed = llmparse.parse(INJECTION, strategy="rules")
    letter = parsed.letter.model_copy(update={
        "reference": SCRIPT, "publication_id": ATTRIBUTE, "subject": SCRIPT + ATTRIBUTE,
        "askers": [Person(name=SCRIPT, party=ATTRIBUTE)], "respondents": [Person(name=ATTRIBUTE, role=SCRIPT)],
        "questions": [q.model_copy(update={"heading": ATTRIBUTE}) for q in parsed.letter.questions]
        + [Question(numbers=[ATTRIBUTE, SCRIPT], heading=SCRIPT, text="x", span=(0, 5), footnotes=[ATTRIBUTE])],
        "footnotes": [Footnote(marker=ATTRIBUTE, text=SCRIPT, span=(6, 9))],
    })
    finding = Finding(code=SCRIPT, severity=Severity.ERROR, message=ATTRIBUTE, numbers=[SCRIPT], span=(0, 3))
    provenance = parsed.provenance.model_copy(update={"source": ATTRIBUTE, "model": SCRIPT})
    return parsed.model_copy(update={"letter": letter, "findings": [*parsed.findings, finding],
                                     "provenance": provenance})


def _result(text: str, questions: list[Question], answers: list[Answer],
            footnotes: list[Footnote] | None = None, findings: list[Finding] | None = None) -> Result:
    letter = Letter(kind="answers", questions=questions, answers=answers, footnotes=footnotes or [])
    return Result(letter=letter, findings=findings or [], text=text,
                  provenance=Provenance(strategy="rules", llmparse_version="test"))


def _many(n: int) -> str:
    """A letter with ``n`` questions: the first ``n - 10`` answered one by one, the last ten in one answer."""
    parts = ["Vragen van het lid Jansen (VVD) aan de Minister van Financiën over de begroting "
             "(ingezonden 1 maart 2024).", ""]
    for k in range(1, n + 1):
        parts += [f"Vraag {k}", f"Is punt {k} van de begroting juist berekend?", ""]
    for k in range(1, n - 9):
        parts += [f"Antwoord vraag {k}", f"Ja, punt {k} klopt.", ""]
    parts += [f"Antwoord vraag {n - 9} t/m {n}", "Deze punten worden nog berekend.", ""]
    return "\n".join(parts)


# --- reading the page without a browser ------------------------------------------------------------------


class _Page(HTMLParser):
    """What the page is made of: every element, the ids, the links, and the letter's text as drawn."""

    VOID = frozenset({"meta", "br", "img", "link", "input", "hr", "source", "area", "base", "col", "embed", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.ids: Counter[str] = Counter()
        self.letter_text: list[str] = []  # the letter's characters, labels left out
        self.item_text: dict[str, list[str]] = {}  # first part of each item (by id) -> its characters
        self.label_links: dict[str, list[str]] = {}  # item id -> the links in its label
        self.cover: list[frozenset[str]] = []  # for each character of the letter: the items it is drawn inside
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.feed(html)
        self.close()
        assert self.stack == [], f"unclosed elements: {[t for t, _ in self.stack]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if "id" in a:
            self.ids[a["id"]] += 1
        if tag == "a" and any("tag" in b.get("class", "").split() for _, b in self.stack):
            owner = next(b["id"] for _, b in reversed(self.stack) if "data-item" in b)
            self.label_links.setdefault(owner, []).append(a.get("href", ""))
        if tag not in self.VOID:
            self.stack.append((tag, a))
        if tag == "span" and "pb" in a.get("class", "").split() and self._in_letter():
            # a form feed is drawn as a newline and a separator
            for chunks in [self.letter_text, *(self.item_text[b["id"]] for _, b in self.stack if "data-item" in b)]:
                assert chunks[-1].endswith("\n"), "a page separator follows a newline"
                chunks[-1] = chunks[-1][:-1] + "\f"

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1][0] == tag, f"</{tag}> closes <{self.stack[-1][0]}>"
        self.stack.pop()

    def _in_letter(self) -> bool:
        return any(a.get("id") == "letter" for _, a in self.stack)

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] == "script":
            self.scripts.append(data)
        elif self.stack and self.stack[-1][0] == "style":
            self.styles.append(data)
        if not self._in_letter() or any("tag" in a.get("class", "").split() for _, a in self.stack):
            return
        self.letter_text.append(data)
        owners = frozenset(a.get("id") or a.get("data-cont", "") for _, a in self.stack
                           if "data-item" in a or a.get("data-cont", "").startswith(("q-", "a-", "fn-")))
        self.cover.extend([owners] * len(data))
        for _, a in self.stack:
            if "data-item" in a:
                self.item_text.setdefault(a["id"], []).append(data)

    def items(self, kind: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if a.get("data-item") == kind]

    def hrefs(self) -> list[str]:
        return [a["href"] for t, a in self.elements if t == "a" and "href" in a]

    def finding_links(self) -> list[list[str]]:
        """The line links of each finding, in list order."""
        out: list[list[str]] = []
        inside = False
        for tag, a in self.elements:
            if tag == "ul" and "findings" in a.get("class", ""):
                inside = True
            elif tag == "li" and inside:
                out.append([])
            elif tag == "a" and inside and out and a.get("href", "").startswith("#L"):
                out[-1].append(a["href"])
            elif tag in ("section", "div") and inside:
                inside = False
        return out


def _line_of(text: str, offset: int) -> int:
    """The 1-based number of the line holding ``offset`` (form feeds end lines as newlines do)."""
    return len(re.findall(r"[\n\f]", text[:offset])) + 1


CASES = {"example": _example, "truncated": _truncated}


class TestStructure:
    @pytest.mark.parametrize("case", CASES, ids=list(CASES))
    def test_one_highlight_per_item(self, case: str) -> None:
        """Each question, answer and footnote is highlighted by exactly one element carrying its id."""
        result = CASES[case]()
        page = _Page(render_html(result))
        assert len(page.items("question")) == len(result.letter.questions)
        assert len(page.items("answer")) == len(result.letter.answers)
        assert len(page.items("footnote")) == len(result.letter.footnotes)
        assert all(a.get("id") for kind in ("question", "answer", "footnote") for a in page.items(kind))

    def test_truncated_letter_has_error_findings(self) -> None:
        """The truncated letter (answers 1 and 2 of 4) reports coverage.unanswered, and the page lists it."""
        result = _truncated()
        assert "coverage.unanswered" in {f.code for f in result.errors}
        html = render_html(result)
        assert "coverage.unanswered" in html
        page = _Page(html)
        assert sum("unanswered" in a.get("class", "") for a in page.items("question")) == 2
        assert Counter(a.get("class") for t, a in page.elements if t == "span" and "badge" in a.get("class", "")) == \
            Counter(f"badge sev-{f.severity.value}" for f in result.findings)

    @pytest.mark.parametrize("case", CASES, ids=list(CASES))
    def test_letter_text_is_drawn_whole_and_each_item_in_place(self, case: str) -> None:
        """The page shows the letter's own text, character for character, and each highlight holds its span."""
        result = CASES[case]()
        page = _Page(render_html(result))
        assert "".join(page.letter_text) == result.text
        items: list[Question | Answer | Footnote] = [*result.letter.questions, *result.letter.answers,
                                                     *result.letter.footnotes]
        ids = [a["id"] for kind in ("question", "answer", "footnote") for a in page.items(kind)]
        for item, element_id in zip(items, ids, strict=True):
            assert "".join(page.item_text.get(element_id, [])) == result.text[item.span[0] : item.span[1]]
        for pos in range(len(result.text)):  # and every character is drawn inside exactly the items holding it
            inside = {i for item, i in zip(items, ids, strict=True) if item.span[0] <= pos < item.span[1]}
            assert page.cover[pos] == inside, pos

    @pytest.mark.parametrize("case", CASES, ids=list(CASES))
    def test_findings_link_to_the_line_of_their_span(self, case: str) -> None:
        """A finding with a span links to the line holding its start; one without a span to the line of the first
        item carrying one of its numbers; one about the whole letter says so instead of linking."""
        result = CASES[case]()
        html = render_html(result)
        page = _Page(html)
        links = page.finding_links()
        assert len(links) == len(result.findings)
        items = [*result.letter.questions, *result.letter.answers]
        for finding, hrefs in zip(result.findings, links, strict=True):
            item = next((i for i in items if set(i.numbers) & set(finding.numbers)), None)
            start = finding.span[0] if finding.span else item.span[0] if item else None
            assert hrefs == ([] if start is None else [f"#L{_line_of(result.text, start)}"]), finding
            assert all(page.ids[href[1:]] == 1 for href in hrefs)
        wide = sum(f.span is None and not any(set(i.numbers) & set(f.numbers) for i in items) for f in result.findings)
        assert html.count('<span class="wide">letter-wide</span>') == wide

    def test_the_unanswered_error_links_to_its_question(self) -> None:
        """The truncated letter's coverage.unanswered error (no span of its own) links to question 3's line."""
        result = CASES["truncated"]()
        (index,) = [k for k, f in enumerate(result.findings) if f.code == "coverage.unanswered"]
        assert result.findings[index].span is None
        question = next(q for q in result.letter.questions if q.numbers == [result.findings[index].numbers[0]])
        assert _Page(render_html(result)).finding_links()[index] == [f"#L{_line_of(result.text, question.span[0])}"]

    def test_highlights_have_no_underline(self) -> None:
        """Items are marked by a background and a left rule on every line they cover, never by an underline."""
        css = render_html(CASES["truncated"]()).split("<style>", 1)[1].split("</style>", 1)[0]
        marks: list[str] = re.findall(r"mark[^{]*\{[^}]*\}", css)
        assert marks
        assert not [rule for rule in marks if re.search(r"inset 0 -\d|underline|border-bottom", rule)]
        assert re.search(r"mark\.q \{[^}]*background: var\(--q\); box-shadow: inset 3px 0 0", css)
        assert "box-decoration-break: clone" in css

    @pytest.mark.parametrize("case", CASES, ids=list(CASES))
    def test_every_link_lands_and_ids_are_unique(self, case: str) -> None:
        """Every in-page link targets an id that exists once; every line has its id."""
        result = CASES[case]()
        page = _Page(render_html(result))
        assert [i for i, k in page.ids.items() if k > 1] == []
        assert all(href.startswith("#") and href[1:] in page.ids for href in page.hrefs())
        lines = len(re.findall(r"[\n\f]", result.text)) + 1
        assert all(f"L{k}" in page.ids for k in range(1, lines + 1))

    def test_grouped_answer_links_its_questions_and_they_link_back(self) -> None:
        """Answer 4–15 lists questions 4 … 15 as links, and each of those questions links back to it."""
        result = _example()
        html = render_html(result)
        grouped = next(a for a in result.letter.answers if len(a.numbers) > 1)
        assert "A 4–15" in html
        page = _Page(html)
        assert [h for h in page.label_links["a-4"] if h.startswith("#q-")] == [f"#q-{n}" for n in grouped.numbers]
        for n in grouped.numbers:
            assert [h for h in page.label_links[f"q-{n}"] if h.startswith("#a-")] == ["#a-4"]
        assert page.label_links["q-1"][0] == "#a-1"  # and an answer of its own is linked the same way

    def test_contents_of_a_long_letter(self) -> None:
        """A 112-question letter gets a contents list linking all 112 questions and every answer."""
        result = llmparse.parse(_many(112), strategy="rules")
        assert len(result.letter.questions) == 112
        page = _Page(render_html(result))
        toc = page.hrefs()
        assert all(f"#q-{k}" in toc for k in range(1, 113))
        assert all(f"#a-{k}" in toc for k in range(1, 104))
        assert len(page.items("question")) == 112
        assert len(page.items("answer")) == len(result.letter.answers) == 103

    def test_self_contained(self) -> None:
        """No external script, stylesheet, image, font or URL: the page loads nothing."""
        html = render_html(_example())
        page = _Page(html)
        assert "<script src" not in html.lower()
        assert not any(t == "link" for t, _ in page.elements)
        assert [t for t, a in page.elements if t == "script"] == ["script"]
        for tag, attrs in page.elements:
            assert "src" not in attrs, tag
            assert not attrs.get("href", "#").startswith(("http:", "https:", "//")), attrs
        for code in page.styles + page.scripts:
            assert not re.search(r"https?:|url\(|@import|@font-face|fetch\(|XMLHttpRequest", code)
        assert "default-src 'none'" in html

    def test_injection_stays_text(self) -> None:
        """A letter (and a result) full of markup shows it as text: no element, attribute or script gets in."""
        result = _injection()
        html = render_html(result)
        assert SCRIPT not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
        page = _Page(html)
        assert not any(t == "img" for t, _ in page.elements)
        assert [t for t, _ in page.elements if t == "script"] == ["script"]
        assert all("alert" not in s for s in page.scripts)
        assert not any(k.startswith("on") for _, attrs in page.elements for k in attrs)
        assert "".join(page.letter_text) == result.text
        assert all(href[1:] in page.ids for href in page.hrefs())

    def test_deterministic(self) -> None:
        """The same result renders to the same page, and so does the same letter parsed again."""
        assert render_html(_example()) == render_html(_example())
        assert render_html(_example()) == render_html(llmparse.parse(EXAMPLE, strategy="rules"))

    def test_spans_across_lines_pages_and_each_other(self) -> None:
        """Spans over line and page breaks, crossing spans and empty spans still give one labelled item each."""
        text = "Vraag 1\nEerste regel\nTweede regel\fDerde regel\nAntwoord 1\nJa.\n"
        q_end = text.index("Derde") + 5
        a_start = text.index("Derde") + 2
        questions = [Question(numbers=["1"], text="t", span=(8, q_end), footnotes=["1"])]
        answers = [Answer(numbers=["1"], text="t", span=(a_start, len(text) - 1)),  # crosses the question's end
                   Answer(numbers=["2"], text="", span=(len(text), len(text)))]  # empty, at the very end
        footnotes = [Footnote(marker="1", text="t", span=(text.index("Tweede"), text.index("Derde") + 2))]
        result = _result(text, questions, answers, footnotes, [Finding(code="x", severity=Severity.WARNING,
                                                                       message="m", span=(text.index("Derde"), 30))])
        html = render_html(result)
        page = _Page(html)
        assert "".join(page.letter_text) == text
        assert [len(page.items(k)) for k in ("question", "answer", "footnote")] == [1, 2, 1]
        assert [a["data-cont"] for _, a in page.elements if "data-cont" in a] == ["a-1"]  # crossed: goes on
        assert html.count('class="pb"') == 1
        assert page.finding_links() == [["#L4"]]

    def test_text_that_is_not_normalised(self) -> None:
        """A hand-made result with control characters and carriage returns renders without the layout stage."""
        text = "Vraag 1\r\nWat?\x00\x07\nAntwoord 1\nJa."
        result = _result(text, [Question(numbers=["1"], text="Wat?", span=(9, 13))],
                         [Answer(numbers=["1"], text="Ja.", span=(len(text) - 3, len(text)))])
        page = _Page(render_html(result))
        assert [len(page.items(k)) for k in ("question", "answer")] == [1, 1]
        assert "".join(page.letter_text) == re.sub(r"[\x00\x07\r]", "\ufffd", text)

    @settings(max_examples=150, deadline=None)
    @given(text=st.text(alphabet="ab \n\f<>&\"'\r\x00é", max_size=40),
           spans=st.lists(st.tuples(st.integers(-3, 45), st.integers(-3, 45), st.sampled_from("qaf")), max_size=6))
    def test_any_spans_give_a_well_formed_page(self, text: str, spans: list[tuple[int, int, str]]) -> None:
        """Whatever the spans (nested, crossing, empty, reversed, out of range), the markup stays balanced, each
        item gets one labelled highlight that starts its span, and the letter's text is drawn whole."""
        questions = [Question(numbers=[str(k)], text="", span=(s, e)) for k, (s, e, kind) in enumerate(spans)
                     if kind == "q"]
        answers = [Answer(numbers=[str(k)], text="", span=(s, e)) for k, (s, e, kind) in enumerate(spans)
                   if kind == "a"]
        footnotes = [Footnote(marker=str(k), text="", span=(s, e)) for k, (s, e, kind) in enumerate(spans)
                     if kind == "f"]
        findings = [Finding(code="c", severity=Severity.INFO, message="m", span=(s, e)) for s, e, _ in spans]
        result = _result(text, questions, answers, footnotes, findings)
        page = _Page(render_html(result))  # asserts every element is closed in order
        shown = re.sub(r"[\x00\r]", "\ufffd", text)
        assert "".join(page.letter_text) == shown
        assert [len(page.items(k)) for k in ("question", "answer", "footnote")] == [
            len(questions), len(answers), len(footnotes)]
        ids = [f"q-{q.numbers[0]}" for q in questions] + [f"a-{a.numbers[0]}" for a in answers] + [
            f"fn-{k + 1}" for k in range(len(footnotes))]
        clamped = [_clamp(span, len(text)) for span in [x.span for x in questions] + [x.span for x in answers]
                   + [x.span for x in footnotes]]
        for (start, end), element_id in zip(clamped, ids, strict=True):
            assert page.ids[element_id] == 1
            assert shown[start:end].startswith("".join(page.item_text.get(element_id, [])))
        for pos in range(len(text)):
            inside = {element_id for element_id, (s, e) in zip(ids, clamped, strict=True) if s <= pos < e}
            assert page.cover[pos] == inside, f"character {pos} is drawn inside {set(page.cover[pos])}"
        assert [i for i, k in page.ids.items() if k > 1] == []
        assert all(href[1:] in page.ids for href in page.hrefs())


@pytest.mark.corpus
@needs_shared()
def test_every_corpus_letter_renders() -> None:
    """Every real letter in ../shared gives a page that draws its whole text with one highlight per item."""
    letters = sorted(p for p in (CORPUS / "letters").iterdir() if p.suffix in (".txt", ".md"))
    assert letters
    for path in letters:
        result = llmparse.parse(path, strategy="rules")
        page = _Page(render_html(result))
        assert "".join(page.letter_text) == result.text, path.name
        assert [len(page.items(k)) for k in ("question", "answer", "footnote")] == [
            len(result.letter.questions), len(result.letter.answers), len(result.letter.footnotes)], path.name
        assert [i for i, k in page.ids.items() if k > 1] == [], path.name
        assert all(href[1:] in page.ids for href in page.hrefs()), path.name


def _clamp(span: tuple[int, int], n: int) -> tuple[int, int]:
    start = min(max(span[0], 0), n)
    return start, min(max(span[1], start), n)


# --- a real browser ---------------------------------------------------------------------------------------


class _Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (fd 3: commands in, fd 4: replies out)."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 900, timeout: float = 15.0) -> None:
        self.deadline = time.monotonic() + timeout
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium's ends above fd 4, so the two dup2 actions below cannot overwrite each other.
        theirs = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_chrome_r, from_chrome_w)]
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        profile.mkdir(parents=True, exist_ok=True)
        self.log = profile / "chromium.log"
        argv = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                f"--user-data-dir={profile}", f"--window-size={width},{height}", "--remote-debugging-pipe",
                "about:blank"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(profile), "LANG": "C.UTF-8"}
        try:
            self.pid = os.posix_spawn(str(CHROMIUM), argv, env, setsid=True, file_actions=[
                (os.POSIX_SPAWN_DUP2, theirs[0], 3), (os.POSIX_SPAWN_DUP2, theirs[1], 4),
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(self.log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                (os.POSIX_SPAWN_OPEN, 2, str(self.log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)])
        finally:
            for fd in theirs:
                os.close(fd)
        self.session = ""
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            self.send("Page.enable")
            self.send("Runtime.enable")
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Ask the browser to quit, then make sure its process group (only the processes it started) is gone."""
        try:
            if time.monotonic() < self.deadline:
                self.session = ""
                self.deadline = min(self.deadline, time.monotonic() + 3)
                self.send("Browser.close")
        except (OSError, TimeoutError, RuntimeError):
            pass
        for _ in range(30):
            if os.waitpid(self.pid, os.WNOHANG) != (0, 0):
                break
            time.sleep(0.1)
        else:
            os.killpg(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.to_chrome)
        os.close(self.from_chrome)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            ready, _, _ = select.select([self.from_chrome], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"Chromium did not answer in time; its log: {self.log}")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe; its log:\n{self.log.read_text(errors='replace')}")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str) -> dict[str, Any]:
        while True:
            found = next((e for e in self.events if e["method"] == event), None)
            if found is not None:
                self.events.remove(found)
                return found
            message = self._read()
            if "method" in message:
                self.events.append(message)

    def open(self, path: Path) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": path.as_uri()})
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        """Press and release one key, as a keyboard does."""
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": key_code}
        if text:
            down["text"] = text
        self.send("Input.dispatchKeyEvent", down)
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                             "windowsVirtualKeyCode": key_code})

    def settled(self) -> Any:
        """Wait two frames, so a scroll caused by the last key has happened."""
        return self.js("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page, not just the window."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    """A fresh headless Chromium with its own profile in tmp_path, closed after the test."""
    chromium = _Chromium(tmp_path / "chromium-profile")
    try:
        yield chromium
    finally:
        chromium.close()


def _write(tmp_path: Path, name: str, result: Result) -> Path:
    page = tmp_path / name
    page.write_text(render_html(result), encoding="utf-8")
    return page


COUNT = """(() => {
  const visible = el => el.getClientRects().length > 0 && el.getBoundingClientRect().width > 0;
  const out = {};
  for (const kind of ["question", "answer", "footnote"]) {
    const els = [...document.querySelectorAll(`[data-item="${kind}"]`)];
    out[kind] = {count: els.length, visible: els.filter(visible).length,
                 colours: [...new Set(els.map(e => getComputedStyle(e).backgroundColor))]};
  }
  out.script = document.body.hasAttribute("data-target");
  return out;
})()"""


@needs_chromium
class TestInBrowser:
    def test_highlights_a_reader_sees(self, browser: _Chromium, tmp_path: Path) -> None:
        """In the rendered example every item is a visible highlight, one colour per kind; a screenshot is kept."""
        result = _example()
        browser.open(_write(tmp_path, "review-2020Z03371.html", result))
        seen = browser.js(COUNT)
        assert seen["script"], "the page's script did not run (blocked by its own Content Security Policy?)"
        expected = {"question": len(result.letter.questions), "answer": len(result.letter.answers),
                    "footnote": len(result.letter.footnotes)}
        assert {k: seen[k]["count"] for k in expected} == expected
        assert {k: seen[k]["visible"] for k in expected} == expected
        colours = [seen[k]["colours"] for k in expected]
        assert all(len(c) == 1 for c in colours)
        assert len({c[0] for c in colours}) == 3, colours
        assert "rgba(0, 0, 0, 0)" not in {c[0] for c in colours}
        # LLMPARSE_UPDATE_DOCS=1 writes the README's screenshot (docs/) instead of a test artifact
        shot = (ROOT / "docs" if os.environ.get("LLMPARSE_UPDATE_DOCS") else ARTIFACTS) / "review-2020Z03371.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 10_000

    def test_the_letter_uses_the_window_and_nothing_is_underlined(self, browser: _Chromium, tmp_path: Path) -> None:
        """At 1280 px the letter's text box takes over 90% of the window's width; no highlight draws a line under
        its text (no text decoration, no bottom border or shadow), each has a left rule."""
        browser.open(_write(tmp_path, "page.html", _example()))
        seen = browser.js("""(() => {
            const box = document.getElementById("letter").getBoundingClientRect();
            const marks = [...document.querySelectorAll("mark")].map(m => getComputedStyle(m));
            return {share: box.width / innerWidth, marks: marks.length,
                    underlined: marks.filter(c => c.textDecorationLine !== "none" || c.borderBottomStyle !== "none"
                                             || / 0px -\\d+px 0px 0px inset/.test(c.boxShadow)).length,
                    ruled: marks.filter(c => /inset 3px 0px 0px/.test(c.boxShadow)
                                             || / 3px 0px 0px 0px inset/.test(c.boxShadow)).length}; })()""")
        assert seen["share"] > 0.9, seen
        assert seen["marks"] > 20
        assert seen["underlined"] == 0
        assert seen["ruled"] == seen["marks"], seen

    def test_following_a_finding_scrolls_to_its_line(self, browser: _Chromium, tmp_path: Path) -> None:
        """Focusing the last finding's link and pressing Enter brings its line into view, below the top of the page."""
        result = _example()
        finding = [f for f in result.findings if f.span is not None][-1]
        assert finding.span is not None
        line = f"L{_line_of(result.text, finding.span[0])}"
        browser.open(_write(tmp_path, "page.html", result))
        assert browser.js("window.scrollY") == 0
        assert browser.js(f"""(() => {{ const a = [...document.querySelectorAll('#findings a[href="#{line}"]')];
            a[a.length - 1].focus(); return document.activeElement.getAttribute("href"); }})()""") == f"#{line}"
        browser.press("Enter", "Enter", 13, "\r")
        browser.settled()
        where = browser.js(f"""(() => {{ const r = document.getElementById("{line}").getBoundingClientRect();
            return {{hash: location.hash, y: window.scrollY, top: r.top, height: innerHeight,
                     target: document.body.dataset.target}}; }})()""")
        assert where["hash"] == f"#{line}"
        assert where["y"] > 500
        assert 0 <= where["top"] < where["height"] - 30  # in view (near the end the page cannot scroll it higher)
        assert where["target"] == line

    def test_keyboard(self, browser: _Chromium, tmp_path: Path) -> None:
        """Tab reaches the skip link first, Enter jumps to the findings, and n walks to the next item."""
        browser.open(_write(tmp_path, "page.html", _example()))
        browser.press("Tab", "Tab", 9)
        focused = browser.js("""(() => { const a = document.activeElement; const r = a.getBoundingClientRect();
            return {href: a.getAttribute("href"), top: r.top, outline: getComputedStyle(a).outlineStyle}; })()""")
        assert focused["href"] == "#findings"
        assert focused["top"] >= 0  # the skip link shows itself when focused
        assert focused["outline"] != "none"
        browser.press("Enter", "Enter", 13, "\r")
        browser.settled()
        assert browser.js("location.hash") == "#findings"
        assert browser.js("document.getElementById('findings').getBoundingClientRect().top") < 100
        browser.js("document.activeElement.blur()")
        browser.press("n", "KeyN", 78, "n")
        browser.settled()
        first = browser.js("location.hash")
        browser.press("n", "KeyN", 78, "n")
        browser.settled()
        assert (first, browser.js("location.hash")) == ("#q-1", "#a-1")
        browser.press("p", "KeyP", 80, "p")
        browser.settled()
        assert browser.js("location.hash") == "#q-1"

    def test_injection_runs_nothing(self, browser: _Chromium, tmp_path: Path) -> None:
        """The injection page opens no dialog and has no image; the payloads are on screen as text."""
        browser.open(_write(tmp_path, "page.html", _injection()))
        browser.settled()
        assert not any(e["method"] == "Page.javascriptDialogOpening" for e in browser.events)
        assert browser.js("document.images.length") == 0
        assert browser.js("document.scripts.length") == 1
        text = browser.js("document.getElementById('letter').textContent")
        assert SCRIPT in text
        assert ATTRIBUTE in text
