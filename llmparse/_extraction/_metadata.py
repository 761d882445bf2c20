"""Metadata rules: askers (vragenstellers), respondents (bewindspersonen), case number, dates, subject.

They read the letter's front matter (everything before the first item: the Aanhangsel header, a ministry's
cover letter and title), the notice text and, for a missing name, the signature. A case number printed
inside an answer, a footnote or a Toelichting belongs to other questions and is ignored.
"""

from __future__ import annotations

import datetime as dt
import re

from .._layout import Layout, Role
from .._models import Person
from .._plan import Metadata
from .._types import MONTHS

__all__ = ["parse_dutch_date", "read_metadata"]

_MONTHS = {m: i for i, m in enumerate(MONTHS, start=1)}
_MONTH = "(" + "|".join(MONTHS) + ")"
_DATE = rf"(\d{{1,2}})\s*{_MONTH}\s*(\d{{4}})"
_SUBMITTED = re.compile(rf"(?:ingezonden|ingediend)\s+(?:op\s+)?{_DATE}", re.IGNORECASE)
_RECEIVED = re.compile(rf"ontvangen\s*(?:\(\s*ontvangen\s*)?(?:op\s+)?{_DATE}", re.IGNORECASE)
_ASKED_ON = re.compile(rf"Op\s+(\d{{1,2}})\s*{_MONTH}\s+(?:jl\.\s+)?(?:heeft|hebben)\b", re.IGNORECASE)
_REFERENCE = re.compile(r"\b(20\d{2}|19\d{2})\s?Z\s?(\d{5})\b")
_PUBLICATION = re.compile(r"\b(?:ah|h)[- ](tk|ek)[- ](\d{8})[- ](\d{1,5})\b")

_TITLE = r"(?:[Mm]inister-[Pp]resident|[Mm]inister|[Ss]taatssecretaris)"
# Members of parliament (lid, leden) and of councils: raadslid, Statenlid, "het lid van de stadsdeelcommissie".
_MEMBER = (
    r"(?:(?:lid|leden|raadslid|raadsleden|[Ss]tatenlid|[Ss]tatenleden|commissielid|commissieleden)\s+"
    r"(?:van\s+de\s+(?:stadsdeelcommissie|deelraad|bestuurscommissie|gemeenteraad|raad|[Pp]rovinciale\s+[Ss]taten)"
    r"(?:\s+[A-Z][\w-]+)?\s+)?)"
)
_ASKERS = re.compile(
    r"(?:(?:[Vv]ragen|[Vv]raag|Kamervragen|[Ss]tatenvragen|[Rr]aadsvragen)\s+"
    rf"(?:van\s+(?:het\s+|de\s+)?{_MEMBER}?|{_MEMBER}"
    # "Vragen gesteld door het lid ...", "Statenvragen ex artikel 45 Reglement van Orde van het Statenlid ..."
    rf"|(?:gesteld\s+door|ex\s+artikel\b[^()]{{0,80}}?\s+van)\s+(?:het\s+|de\s+)?{_MEMBER})"
    # "heeft het lid X", "heeft (het) raadslid X", "hebben de Statenleden A en B"
    rf"|(?:hebben|heeft)\s+(?:het\s+|de\s+)?{_MEMBER})"
    r"(?!der\b)(?P<who>.*?)(?=\s+(?:aan\s+de|aan\s+het|over\s|inzake\s|ter\s+zake|naar\s|schriftelijke)|\(ingezonden|$)",
    re.DOTALL,
)
_ANSWERED_BY = re.compile(
    r"(?:Antwoord|Antwoorden|Mededeling)\s+van\s+(?P<who>.*?)(?=\(ontvangen|\bontvangen\b|\bop\s+vragen\b|"
    r"\bop\s+Kamervragen\b|\bop\s+de\s+vragen\b|Zie ook|$)",
    re.DOTALL,
)
_PERSON_WITH_TITLE = re.compile(
    rf"(?P<title>{_TITLE})\s+(?P<name>(?:[^\W\d_]|['’.\- –])+?)\s*\((?P<dept>[^()]*(?:\([^()]*\))?[^()]*)\)?",
)
# A ministry's name: capitalised words joined by spaces, commas and "en" ("Landbouw, Visserij, Voedselzekerheid en
# Natuur"); it ends at a lowercase word ("op vragen", "mede namens"), a full stop or an initial.
_DEPARTMENT = r"[A-ZÀ-Ý][\w’'-]+(?:(?:\s*,\s*|\s+en\s+|\s+)[A-ZÀ-Ý][\w’'-]+)*"
_ROLE_OF = re.compile(rf"(?P<title>{_TITLE})\s+(?P<prep>van|voor)\s+(?P<dept>{_DEPARTMENT})")
# The subject follows "over" (or "inzake") in the clause that names the questions: the title line, a cover
# sentence, an Onderwerp/Betreft field. It ends at the date or case number in brackets, at the end of the
# sentence, at a paragraph gap or a salutation (Geachte ...), or where the cover sentence goes on ("... worden
# beantwoord zoals ...").
_SUBJECT = re.compile(
    r"\b(?:over|inzake)\s+(?P<s>.+?)(?:\s*(?:\(\s*|,\s*)[Ii]n(?:gezonden|gediend)\b|\s+Geachte\b"
    r"|\s*\(\s*(?:19|20)\d{2}\s?Z\s?\d{5}\s*\)"
    r"|\s+(?:worden|zijn|zullen|kunnen)\s+(?:niet\s+|nog\s+niet\s+)?(?:beantwoord|binnen|hierbij)\b"
    r"|\s+(?:treft\s+u\s+)?hierbij\s+aan\b|\s*,\s*(?:treft|bied|zend|ontvangt)\b"
    r"|\.(?=\s+[A-Z]|\s*$)|\s*Antwoord van|\s*Mededeling van|\n\n|$)",
    re.DOTALL,
)
# What a subject's "over" must follow in its paragraph: the questions (vragen, Kamervragen), or a field label.
_SUBJECT_CONTEXT = re.compile(r"(?i:vragen|vraag|kamervragen|statenvragen|raadsvragen)|Betreft|Onderwerp")
_QUOTED = re.compile(r"(?:het|de)\s+(?:bericht|berichten|artikel|uitzending)\s+[«‘'\"“](.+)[»’'\"”]$")
_SIGN_NAME = re.compile(
    r"(?:[A-Z][a-z]*\.?\s*)+(?:[A-Z]\.\s*)*(?P<last>(?:(?:van|de|der|den|ten|ter)\s+)*[A-Z][\w’'\-]+)"
)


_INITIALS_NAME = re.compile(r"(?:[A-Z]\.\s*)+(?P<last>(?:(?:van|de|der|den|ten|ter)\s+)*[A-Z][\w’'\-]+)")


_LEADING_INITIALS = re.compile(r"^(?:[A-Z]\.\s*)+(?=\S)")
_GLUED = re.compile(r"(?<=[a-zà-ÿ]{3})(?=[A-Z][a-zà-ÿ])")
_MEMBER_WORD = re.compile(r"^(?:lid|leden)\s+")
_ADDRESS = re.compile(r"\b(?:mevrouw|mevr\.|mw\.|de\s+heer|dhr\.)\s+")
_PARTY_GROUP = re.compile(r"(?P<names>[^()]*?)\s*\((?P<party>[^()]*)\)|(?P<tail>[^()]+)$")
_NAME_SEPARATOR = re.compile(r",|\s+en\s+|\s+&\s+")
_SHARED_PARTY = re.compile(r"(?:beiden|allen|beide)\b", re.IGNORECASE)
_SHARED_WORD = re.compile(r"^(?:beiden|allen|beide)\s*", re.IGNORECASE)
_CAPITAL = re.compile(r"[A-Z]")
_TWO_LETTERS = re.compile(r"[A-Za-zÀ-ÿ]{2}")
_MEDE_NAMENS = re.compile(r",?\s*mede\s+namens\b")
_SIGNING_TITLE = re.compile(rf"(?:De|de)\s+{_TITLE}\b.*,?")


# Every publication id holds this, at most one character after its start.
_PUBLICATION_CORE = re.compile(r"h[- ][te]k")


def _publication(text: str) -> re.Match[str] | None:
    """``_PUBLICATION.search(text)``, starting where the first possible id is (most letters print none)."""
    core = _PUBLICATION_CORE.search(text)
    return _PUBLICATION.search(text, max(0, core.start() - 1)) if core else None


def parse_dutch_date(day: str, month: str, year: str) -> dt.date | None:
    """A date from its printed parts ("6", "maart", "2024"), or None when it is no real date."""
    try:
        return dt.date(int(year), _MONTHS[month.lower()], int(day))
    except (KeyError, ValueError):
        return None


def _collapse(s: str) -> str:
    return " ".join(s.split())  # whitespace runs as one space, none at the ends


def _cap(name: str) -> str:
    """Surname prefixes are capitalised when no first name precedes them ("van Weel" -> "Van Weel")."""
    return name[:1].upper() + name[1:] if name else name


def _split_glued(name: str) -> str:
    # PDF text sometimes loses the space between first name and surname ("DaniëlleJansen"); council letters
    # print initials before the surname ("J. Kuiper"), which the name as printed in parliament leaves out.
    name = _LEADING_INITIALS.sub("", name)
    return _GLUED.sub(" ", name)


def _askers(front: str) -> tuple[Person, ...]:
    m = _ASKERS.search(front)
    if not m:
        return ()
    who = _collapse(m.group("who"))
    who = _MEMBER_WORD.sub("", who)
    who = _ADDRESS.sub("", who)  # forms of address
    people: list[Person] = []
    pending: list[str] = []
    # "A (P1), B en C (beiden P2)": a party in brackets closes the names before it.
    for part in _PARTY_GROUP.finditer(who):
        names = part.group("names") if part.group("names") is not None else part.group("tail")
        party = part.group("party")
        split = [n.strip(" ,") for n in _NAME_SEPARATOR.split(names or "") if n.strip(" ,")]
        if party is not None and _SHARED_PARTY.match(party.strip()):
            shared = _SHARED_WORD.sub("", party.strip()) or None
            for n in [*pending, *split]:
                people.append(Person(name=_split_glued(n), party=shared))
            pending = []
            continue
        if party is None:
            pending.extend(split)
            continue
        # "A en B (P)": the party closes the names joined by "en" before it, so both get it
        for n in pending:
            people.append(Person(name=_split_glued(n), party=None))
        pending = []
        people.extend(Person(name=_split_glued(n), party=_collapse(party) or None) for n in split)
    for n in pending:
        if _CAPITAL.search(n):
            people.append(Person(name=_split_glued(n), party=None))
    return tuple(p for p in people if _TWO_LETTERS.search(p.name))


def _role(title: str, dept: str, front: str) -> str:
    title = title[:1].upper() + title[1:]
    if title.lower() == "minister-president":
        return "Minister-President"
    dept = _collapse(dept)
    prep = "van"
    for m in _ROLE_OF.finditer(front):
        if _collapse(m.group("dept")).startswith(dept[:12]):
            prep = m.group("prep")
            break
    return f"{title} {prep} {dept}" if dept else title


def _respondents(front: str, signer: tuple[str | None, str | None]) -> tuple[Person, ...]:
    signature_name, signature_role = signer
    m = _ANSWERED_BY.search(front)
    if not m:
        return (Person(name=signature_name, role=signature_role),) if signature_name else ()
    who = _collapse(m.group("who"))
    who = _MEDE_NAMENS.split(who)[0]
    people: list[Person] = []
    for p in _PERSON_WITH_TITLE.finditer(who):
        name = _collapse(p.group("name")).strip(" ,")
        if not name or name.startswith(("van ", "voor ")):  # "minister van Financiën": an office, no name
            continue
        people.append(Person(name=_cap(name), role=_role(p.group("title"), p.group("dept"), front)))
    if people:
        return tuple(people)
    # "Antwoorden van de minister voor X": no name, so the signing minister's name is the respondent.
    role = _ROLE_OF.search(who)
    if signature_name:
        return (Person(name=signature_name, role=_collapse(role.group(0)) if role else None),)
    return ()


def _signature_name(layout: Layout, front_end: int) -> tuple[str | None, str | None]:
    """The surname in a ministry letter's signature ("Sigrid A. M. Kaag" -> "Kaag") and the office above it
    ("De Minister van Financiën," -> "Minister van Financiën"), or None for what is not printed."""
    lines = [i for i, info in enumerate(layout.lines) if info.role is Role.BODY]
    for k, i in enumerate(lines):
        content = layout.content(i)
        if content[:2] not in ("De", "de") or len(content) > 120 or not _SIGNING_TITLE.fullmatch(content):
            continue
        for j in lines[k + 1 : k + 6]:
            cand = layout.content(j).strip()
            if cand.startswith("[") or cand.endswith(","):
                continue
            cand = _ACADEMIC.sub("", cand)  # "drs. E.M. van Beusekom", "mr. dr. A. Bakker"
            m = _SIGN_NAME.fullmatch(cand)
            if m and len(cand) < 50:
                role = _collapse(content).rstrip(" ,")
                return _cap(m.group("last")), role[3:4].upper() + role[4:]
        break
    # A converted Word letter may keep only the signed name ("D.M. van Weel") above the title.
    for i in lines:
        if layout.lines[i].end > front_end:
            break
        m = _INITIALS_NAME.fullmatch(layout.content(i))
        if m:
            return _cap(m.group("last")), None
    return None, None


# A line that ends on an article, a preposition or a comma runs on, whatever stands between it and the next.
_RUNS_ON = re.compile(r"(?:\b(?:van|de|het|een|en|of|op|over|aan|in|met|voor|door|bij|te|tot|om|naar|uit|inzake)"
                      r"|[,(–-])\s*$")


def _front(layout: Layout, front_end: int) -> str:
    """The body lines before ``front_end``, one per line; furniture between two leaves a gap (an empty line),
    so a field ends where the letterhead's sidebar cuts it off. A blank line leaves one only where it ends a
    paragraph: the line after it opens with no lowercase letter and the line before it does not run on
    (``_RUNS_ON``), for PDF text may break a sentence with a blank line."""
    parts: list[str] = []
    gap = blank = False
    for info in layout.lines:
        if info.end > front_end and info.role is Role.BODY:
            break
        if info.role is not Role.BODY:
            gap = gap or (bool(parts) and info.role is Role.FURNITURE)
            blank = blank or (bool(parts) and info.role is Role.BLANK)
            continue
        if gap or (blank and not layout.document.text[info.start].islower() and not _RUNS_ON.search(parts[-1])):
            parts.append("")
        blank = False
        parts.append(layout.document.text[info.start : info.end])
        gap = False
    return "\n".join(parts)


def _subject(search: str) -> str | None:
    """The first "over ..." clause whose paragraph names the questions before it (not "informeert ... over")."""
    for m in _SUBJECT.finditer(search):
        para_start = max(search.rfind("\n\n", 0, m.start()) + 1, m.start() - 1000)
        if not _SUBJECT_CONTEXT.search(search, para_start, m.start()):
            continue
        subject = _collapse(m.group("s")).rstrip(".")
        if q := _QUOTED.match(subject):
            subject = q.group(1)
        if subject:
            return subject
    return None


# A council's signing official: "de secretaris,", "De burgemeester,", "de wethouder van Sport,", "de voorzitter".
_OFFICE = re.compile(
    r"(?:[Dd]e\s+)?(?P<office>(?:loco-)?[Bb]urgemeester|(?:gemeente)?[Ss]ecretaris|[Vv]oorzitter|[Gg]riffier"
    r"|(?:[Ww]ethouder|[Gg]edeputeerde(?!\s+[Ss]taten)|[Pp]ortefeuillehouder)(?:\s+(?:van|voor)?\s*[^,.;]{2,60})?)\s*,?"
)


_ACADEMIC = re.compile(r"^(?:(?:drs|dr|mr|ir|ing|prof|mw|dhr)\.\s*)+")


# Columns of a signature printed side by side ("de secretaris,        de burgemeester,"): a tab or a run of spaces.
_COLUMNS = re.compile(r"\t+|\s{3,}")
# After initials, the one or two capitalised words that follow are the surname ("A.B. Kleine Deters").
_AFTER_INITIALS = re.compile(r"(?:[A-Z]\.\s*)+(?P<last>(?:(?:van|de|der|den|ten|ter)\s+)*[A-Z][\w’'\-]+"
                             r"(?:\s+[A-Z][\w’'\-]+)?)")


def _signed_name(printed: str) -> str | None:
    """The surname of a signature's name line ("drs. P.J. Ommeren" -> "Ommeren"), or None if it is no name."""
    cand = _ACADEMIC.sub("", printed.strip())
    if len(cand) >= 50:
        return None
    m = _AFTER_INITIALS.fullmatch(cand) or _SIGN_NAME.fullmatch(cand)
    return _cap(m.group("last")) if m else None


def _side_by_side(layout: Layout, body: list[int], k: int) -> list[Person]:
    """Officials signing side by side: offices on line ``body[k]``, their names in the same columns below."""
    offices = [_OFFICE.fullmatch(c) for c in _COLUMNS.split(layout.content(body[k]))]
    if len(offices) < 2 or not all(offices):
        return []
    for j in body[k + 1 : k + 3]:
        names = [_signed_name(c) for c in _COLUMNS.split(layout.content(j))]
        if len(names) == len(offices) and all(names):
            return [Person(name=n, role=_collapse(m.group("office"))) for n, m in zip(names, offices, strict=True)
                    if n and m]
    return []


def _council_signers(layout: Layout) -> tuple[Person, ...]:
    """The officials who sign a council's letter at its end, each with the office printed above the name (one
    below the other or side by side) or after it on the name's line ("mr. A.B. Kleine Deters, voorzitter")."""
    body = [i for i, info in enumerate(layout.lines) if info.role is Role.BODY][-24:]
    people: list[Person] = []
    for k, i in enumerate(body):
        if side := _side_by_side(layout, body, k):
            people.extend(side)
            continue
        m = _OFFICE.fullmatch(layout.content(i))
        if not m:
            printed, _, office = layout.content(i).rpartition(",")
            after = _OFFICE.fullmatch(office.strip())
            name = _signed_name(printed) if after and printed else None
            if after and name:
                people.append(Person(name=name, role=_collapse(after.group("office"))))
            continue
        for j in body[k + 1 : k + 3]:
            if _OFFICE.fullmatch(_ACADEMIC.sub("", layout.content(j))):
                break  # the next office: this one signed without a name
            if name := _signed_name(layout.content(j)):
                people.append(Person(name=name, role=_collapse(m.group("office"))))
                break
    return tuple(people)


def read_metadata(layout: Layout, *, front_end: int, notice: tuple[int, int] | None) -> Metadata:
    """Read the metadata of a letter whose first item starts at offset ``front_end``."""
    text = layout.document.text
    front = _front(layout, front_end)
    notice_text = text[notice[0] : notice[1]] if notice else ""
    search = front + "\n" + notice_text
    pub = _publication(text)
    publication_id = f"ah-{pub.group(1)}-{pub.group(2)}-{pub.group(3)}" if pub else None
    ref = _REFERENCE.search(search)
    reference = f"{ref.group(1)}Z{ref.group(2)}" if ref else None
    submitted = received = None
    if m := _SUBMITTED.search(search):
        submitted = parse_dutch_date(*m.groups())
    if m := _RECEIVED.search(search):
        received = parse_dutch_date(*m.groups())
    if submitted is None and (m := _ASKED_ON.search(search)):
        year = received.year if received else None
        if year is not None:
            submitted = parse_dutch_date(m.group(1), m.group(2), str(year))
            if submitted and received and submitted > received:
                submitted = parse_dutch_date(m.group(1), m.group(2), str(year - 1))
    subject = _subject(search)
    return Metadata(
        publication_id=publication_id,
        reference=reference,
        subject=subject,
        askers=_askers(search),
        respondents=_respondents(search, _signature_name(layout, front_end)) or _council_signers(layout),
        submitted_on=submitted,
        received_on=received,
    )
