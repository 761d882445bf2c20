"""The official publication forms: the officielebekendmakingen XML, its XHTML page and ODT.

The letters in tests/data/official are written for these tests (one invented letter, as XML and as XHTML;
the ODT is built here from its own content.xml). The corpus tests at the end read the real letter of
../shared/corpus/official in all four forms and skip when the shared folder is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import llmparse
from llmparse import UnreadableFileError, UnsupportedFormatError, UnsupportedSchemaError
from llmparse._document import load_document

from .conftest import ROOT, SHARED, needs_shared

DATA = ROOT / "tests" / "data" / "official"
XML = DATA / "fietsparkeren.xml"
HTML = DATA / "fietsparkeren.html"

_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)
# The same invented letter as an ODT body: plain paragraphs (no item styles), names in bold spans, a frame
# with the publication id, a native footnote, a list, and ODF's whitespace rules (text:s, indentation).
_ODT_BODY = """
<draw:frame><draw:text-box><text:p>ah-tk-20232024-9001</text:p></draw:text-box></draw:frame>
<table:table><table:table-row><table:table-cell><text:p>Tweede Kamer der Staten-Generaal</text:p></table:table-cell>
<table:table-cell><text:p>Vergaderjaar 2023-2024</text:p></table:table-cell></table:table-row></table:table>
<text:p>
   Vragen van de leden <text:span>Bakker</text:span> en <text:span>Anna de Vries</text:span>
   (beiden GroenLinks) aan de Staatssecretaris van Infrastructuur en Waterstaat over
   <text:span>volle fietsenstallingen bij stations</text:span> (ingezonden 5 februari 2024).
</text:p>
<text:p>Antwoord van Staatssecretaris <text:span>Smit</text:span> (Infrastructuur en Waterstaat)
 (ontvangen 1 maart 2024).</text:p>
<text:p>Vraag 1</text:p>
<text:p>Kent u het bericht «Reizigers zoeken een half uur naar een plek voor hun fiets»?<text:note text:id="n1"
 text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body>
 <text:p>Dagblad van het Oosten, 2 februari 2024.</text:p></text:note-body></text:note></text:p>
<text:p>Antwoord 1</text:p>
<text:p>Ja.</text:p>
<text:p>Vraag 2</text:p>
<text:p>Hoeveel stallingen waren in 2023 voller<text:s/>dan negentig procent?</text:p>
<text:p>Vraag 3</text:p>
<text:p>Welke stations krijgen dit jaar extra plekken?</text:p>
<text:p>Antwoord 2 en 3</text:p>
<text:p>Van de stallingen die de spoorbeheerder telt, waren er twaalf vaker dan één dag per week
 vol.<text:note text:id="n2" text:note-class="footnote"><text:note-citation>2</text:note-citation>
 <text:note-body><text:p>Telling van de spoorbeheerder over 2023, bijlage.</text:p></text:note-body></text:note>
 Extra plekken komen er bij:</text:p>
<text:list><text:list-item><text:p>a. het station in de binnenstad;</text:p></text:list-item>
<text:list-item><text:p>b. de twee stations aan de oostkant.</text:p></text:list-item></text:list>
<text:p>De bouw begint na de zomer.</text:p>
"""


def _odt(path: Path, body: str = _ODT_BODY, *, mimetype: str = "application/vnd.oasis.opendocument.text") -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return path


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _same_letter(result: llmparse.Result) -> dict[str, Any]:
    """What must be equal across the forms of one letter: kind, numbers, texts (modulo whitespace),
    headings, footnotes, metadata and subject."""
    letter = result.letter
    return {
        "meta": letter.model_dump(mode="json", exclude={"questions", "answers", "footnotes"}),
        "questions": [(q.numbers, q.heading, _ws(q.text), q.footnotes) for q in letter.questions],
        "answers": [(a.numbers, a.heading, _ws(a.text), a.footnotes) for a in letter.answers],
        "footnotes": [(f.marker, _ws(f.text)) for f in letter.footnotes],
    }


# --- the XML ------------------------------------------------------------------------------------------------


def test_xml_items_come_from_the_markup() -> None:
    """<vraag>/<antwoord> with <nr> and <al> give the items; <naam>, <datum isodatum> and
    <kamervraagonderwerp> the metadata; the party and office come from the printed clause."""
    result = llmparse.parse(XML, strategy="rules")
    letter = result.letter
    assert result.provenance.structure == "markup"
    assert [q.numbers for q in letter.questions] == [["1"], ["2"], ["3"]]
    assert [a.numbers for a in letter.answers] == [["1"], ["2", "3"]]
    assert letter.answers[1].heading == "Antwoord 2 en 3"
    assert letter.answers[1].text.endswith("de twee stations aan de oostkant. De bouw begint na de zomer.")
    assert "a. het station in de binnenstad;" in letter.answers[1].text  # a <li> keeps its <li.nr>
    assert letter.subject == "volle fietsenstallingen bij stations"
    assert [(p.name, p.party) for p in letter.askers] == [("Bakker", "GroenLinks"), ("Anna de Vries", "GroenLinks")]
    assert [(p.name, p.role) for p in letter.respondents] == [
        ("Smit", "Staatssecretaris van Infrastructuur en Waterstaat")]
    assert (str(letter.submitted_on), str(letter.received_on)) == ("2024-02-05", "2024-03-01")
    assert letter.publication_id == "ah-tk-20232024-9001"
    assert letter.reference is None  # not printed in the letter


def test_xml_footnotes_are_cited_where_the_noot_stands() -> None:
    """A <noot> leaves its marker in the item's text and its body on the footnote page."""
    letter = llmparse.parse(XML, strategy="rules").letter
    assert [(f.marker, f.text) for f in letter.footnotes] == [
        ("1", "Dagblad van het Oosten, 2 februari 2024."),
        ("2", "Telling van de spoorbeheerder over 2023, bijlage."),
    ]
    assert letter.questions[0].footnotes == ["1"]
    assert letter.answers[1].footnotes == ["2"]
    assert letter.questions[0].text.endswith("fiets»?1")
    assert all("Dagblad" not in item.text for item in [*letter.questions, *letter.answers])


def test_the_rendered_text_reads_the_same_without_the_markup() -> None:
    """The canonical text a reader renders is enough by itself: the text path reads the same letter."""
    markup = llmparse.parse(XML, strategy="rules")
    text = llmparse.parse(markup.text, strategy="rules")
    assert text.provenance.structure == "text"
    assert _same_letter(text) == _same_letter(markup)
    assert not markup.errors
    assert not text.errors


def test_xml_of_an_unknown_document_type_goes_the_text_path(tmp_path: Path) -> None:
    """An officiele-publicatie without <vraag>/<antwoord> (its Vraag/Antwoord only as paragraphs) is
    rendered as text, and the rules find the items."""
    path = tmp_path / "kamerstuk.xml"
    path.write_text(
        "<officiele-publicatie><kamerstuk><stuk><titel>Antwoorden op vragen over de pont</titel>"
        "<al>Vragen van het lid Jansen (SP) aan de Minister van Financiën over de pont (ingezonden 2 mei 2024).</al>"
        "<al>Vraag 1</al><al>Vaart de pont <nadruk>nog</nadruk> op zondag?</al>"
        "<al>Antwoord 1</al><al>Nee, sinds april niet meer.</al></stuk></kamerstuk></officiele-publicatie>",
        encoding="utf-8")
    result = llmparse.parse(path, strategy="rules")
    assert result.provenance.structure == "text"
    assert [(q.numbers, q.text) for q in result.letter.questions] == [(["1"], "Vaart de pont nog op zondag?")]
    assert [(a.numbers, a.text) for a in result.letter.answers] == [(["1"], "Nee, sinds april niet meer.")]


def test_xml_items_without_numbers_are_numbered_by_place_and_marked_inferred(tmp_path: Path) -> None:
    """A <vraag> without <nr> takes the next number, the <antwoord> after it that number."""
    path = tmp_path / "zonder-nr.xml"
    path.write_text(
        "<officiele-publicatie><kamervragen><kamervraagomschrijving type=\"vraag\">Vragen van het lid "
        "<naam><achternaam>Jansen</achternaam></naam> (SP) aan de Minister van Financiën over "
        "<kamervraagonderwerp>de pont</kamervraagonderwerp>.</kamervraagomschrijving>"
        "<vraag><al>Vaart de pont op zondag?</al></vraag><antwoord><al>Nee.</al></antwoord>"
        "<vraag><al>Waarom niet?</al></vraag><antwoord><al>Er is geen schipper.</al></antwoord>"
        "</kamervragen></officiele-publicatie>", encoding="utf-8")
    document = load_document(path)
    assert document.markup is not None
    result = llmparse.parse(path, strategy="rules")
    assert [(q.numbers, q.heading) for q in result.letter.questions] == [(["1"], None), (["2"], None)]
    assert [(a.numbers, a.text) for a in result.letter.answers] == [(["1"], "Nee."), (["2"], "Er is geen schipper.")]


def test_xml_with_questions_only(tmp_path: Path) -> None:
    """Questions without answers (the questions' own publication) are a questions_only letter."""
    path = tmp_path / "vragen.xml"
    path.write_text(
        "<officiele-publicatie><kamervragen><kamervraagomschrijving type=\"vraag\">Vragen van het lid "
        "<naam><achternaam>Jansen</achternaam></naam> (SP) aan de Minister van Financiën over "
        "<kamervraagonderwerp>de pont</kamervraagonderwerp> (ingezonden <datum isodatum=\"2024-05-02\">2 mei "
        "2024</datum>).</kamervraagomschrijving><vraag><nr>Vraag 1</nr><al>Vaart de pont op zondag?</al></vraag>"
        "</kamervragen></officiele-publicatie>", encoding="utf-8")
    result = llmparse.parse(path, strategy="rules")
    assert result.letter.kind == "questions_only"
    assert result.provenance.structure == "markup"
    assert result.letter.subject == "de pont"
    assert str(result.letter.submitted_on) == "2024-05-02"


def test_xml_of_another_schema_is_a_typed_error(tmp_path: Path) -> None:
    """XML whose root is not <officiele-publicatie> is refused with UnsupportedSchemaError, an InputError."""
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Nieuws</title></channel></rss>',
                    encoding="utf-8")
    with pytest.raises(UnsupportedSchemaError, match=r"root element <rss>") as info:
        llmparse.parse(path, strategy="rules")
    assert isinstance(info.value, UnsupportedFormatError)
    assert isinstance(info.value, llmparse.InputError)


@pytest.mark.parametrize("declaration", [
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE x [<!ENTITY file SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE x SYSTEM "http://example.org/x.dtd">',
], ids=["entity-expansion", "external-entity", "external-dtd"])
def test_xml_with_a_doctype_is_refused(tmp_path: Path, declaration: str) -> None:
    """No DTD is read and no entity declared or expanded: a DOCTYPE is an UnreadableFileError."""
    path = tmp_path / "attack.xml"
    path.write_text(f'<?xml version="1.0"?>{declaration}<officiele-publicatie><al>&b;</al></officiele-publicatie>'
                    if "&a;" in declaration else
                    f'<?xml version="1.0"?>{declaration}<officiele-publicatie><al>x</al></officiele-publicatie>',
                    encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="DOCTYPE"):
        llmparse.parse(path, strategy="rules")


def test_malformed_xml_is_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "kapot.xml"
    path.write_text("<officiele-publicatie><al>open", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="not well-formed XML"):
        llmparse.parse(path, strategy="rules")


# --- the XHTML page -----------------------------------------------------------------------------------------


def test_xhtml_items_come_from_the_divisions() -> None:
    """div.vraag / div.antwoord give the items, a.nootnum the citations, div.voet.noot the bodies; the head's
    script and the note's "X Noot" close button are no text."""
    result = llmparse.parse(HTML, strategy="rules")
    assert result.provenance.structure == "markup"
    assert "Vraag 9" not in result.text
    assert "X Noot" not in result.text
    assert [a.numbers for a in result.letter.answers] == [["1"], ["2", "3"]]
    first = result.letter.footnotes[0]
    assert (first.marker, first.text) == ("1", "Dagblad van het Oosten, 2 februari 2024.")


def test_html_without_divisions_goes_the_text_path(tmp_path: Path) -> None:
    path = tmp_path / "brief.html"
    path.write_text(
        "<html><body><p>Vragen van het lid Jansen (SP) aan de Minister van Financiën over de pont (ingezonden "
        "2 mei 2024).</p><h2>Vraag 1</h2><p>Vaart de pont op zondag?<br/>En op zaterdag?</p>"
        "<h2>Antwoord 1</h2><p>Nee &amp; ook niet op zaterdag.</p></body></html>", encoding="utf-8")
    result = llmparse.parse(path, strategy="rules")
    assert result.provenance.structure == "text"
    assert result.letter.questions[0].text == "Vaart de pont op zondag? En op zaterdag?"
    assert result.letter.answers[0].text == "Nee & ook niet op zaterdag."


# --- ODT ----------------------------------------------------------------------------------------------------


def test_odt_goes_the_text_path_with_its_footnotes(tmp_path: Path) -> None:
    """ODT paragraphs carry no item styles: its text (paragraphs a line, native footnotes on a last page)
    goes the text path; ODF's whitespace rules hold (indentation collapsed, text:s a space)."""
    result = llmparse.parse(_odt(tmp_path / "brief.odt"), strategy="rules")
    assert result.provenance.structure == "text"
    assert result.letter.questions[1].text == "Hoeveel stallingen waren in 2023 voller dan negentig procent?"
    assert [f.marker for f in result.letter.footnotes] == ["1", "2"]
    assert result.letter.questions[0].footnotes == ["1"]


def test_odt_of_another_kind_and_broken_odt_are_typed_errors(tmp_path: Path) -> None:
    sheet = _odt(tmp_path / "blad.odt", mimetype="application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(UnsupportedSchemaError, match="spreadsheet"):
        llmparse.parse(sheet, strategy="rules")
    broken = tmp_path / "kapot.odt"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFileError):
        llmparse.parse(broken, strategy="rules")
    attack = _odt(tmp_path / "aanval.odt", body="<text:p>x</text:p>")
    with zipfile.ZipFile(attack, "w") as zf:
        zf.writestr("content.xml", '<!DOCTYPE x [<!ENTITY a "b">]><office:document-content/>')
    with pytest.raises(UnreadableFileError, match="DOCTYPE"):
        llmparse.parse(attack, strategy="rules")


def test_the_three_forms_of_one_letter_give_the_same_result(tmp_path: Path) -> None:
    """XML, XHTML and ODT of the same letter: the same kind, numbers, texts, footnotes and metadata."""
    results = [llmparse.parse(p, strategy="rules") for p in (XML, HTML, _odt(tmp_path / "brief.odt"))]
    first = _same_letter(results[0])
    for other in results[1:]:
        assert _same_letter(other) == first
    assert [r.provenance.structure for r in results] == ["markup", "markup", "text"]


# --- the real letter in ../shared ------------------------------------------------------------------------

OFFICIAL = SHARED / "corpus" / "official"
OFFICIAL_GOLD = SHARED / "corpus" / "official-gold"
FORMS = ("xml", "html", "odt", "pdf")


def _official(form: str) -> llmparse.Result:
    path = next(OFFICIAL.glob(f"*.{form}"))
    return llmparse.parse(path, strategy="rules")


@pytest.mark.corpus
@needs_shared()
def test_corpus_official_forms_agree() -> None:
    """The four forms of the corpus letter: the same kind, numbers, headings, footnotes, metadata and subject;
    the XML and XHTML read from their markup, the ODT and PDF from their text."""
    results = {form: _official(form) for form in FORMS}
    assert {f: r.provenance.structure for f, r in results.items()} == {
        "xml": "markup", "html": "markup", "odt": "text", "pdf": "text"}
    shapes = {f: _same_letter(r) for f, r in results.items()}
    for form in FORMS[1:]:
        assert shapes[form]["meta"] == shapes["xml"]["meta"], form
        for part in ("questions", "answers"):
            assert [(n, h) for n, h, _, _ in shapes[form][part]] == [(n, h) for n, h, _, _ in shapes["xml"][part]]
        assert shapes[form]["footnotes"] == shapes["xml"]["footnotes"]
    for form in ("html", "odt"):
        assert shapes[form] == shapes["xml"], form


@pytest.mark.corpus
@needs_shared()
def test_corpus_official_pdf_texts_equal_the_markup_texts() -> None:
    """The PDF's item texts equal the XML's modulo whitespace."""
    xml, pdf = _same_letter(_official("xml")), _same_letter(_official("pdf"))
    assert pdf["questions"] == xml["questions"]
    assert pdf["answers"] == xml["answers"]


@pytest.mark.corpus
@needs_shared()
def test_corpus_official_forms_score_perfect_and_complete(tmp_path: Path) -> None:
    """The shared scorer on ../shared/corpus/official: every form perfect and complete, no error finding."""
    from llmparse._cli import main

    files = [str(OFFICIAL / json.loads(g.read_text(encoding="utf-8"))["file"])
             for g in sorted(OFFICIAL_GOLD.glob("*.gold.json"))]
    assert len(files) == 4
    assert main(["parse", *files, "--format", "json", "--out", str(tmp_path)]) == 0
    run = subprocess.run([sys.executable, str(SHARED / "eval" / "score.py"), "--gold", str(OFFICIAL_GOLD),
                          "--pred", str(tmp_path), "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["perfect"] == 1.0
    assert summary["complete"] == 1.0
    assert summary["silent_failures"] == 0
    assert summary["false_alarms"] == 0


@pytest.mark.parametrize(("name", "doc"), [
    ("deep.xml", "<officiele-publicatie>" + "<x>" * 20000 + "a" + "</x>" * 20000 + "</officiele-publicatie>"),
    ("deep.html", "<div>" * 20000 + "a"),
], ids=["xml", "html"])
def test_markup_nested_too_deeply_is_a_typed_error(tmp_path: Path, name: str, doc: str) -> None:
    """Elements nested thousands deep end in UnreadableFileError, not a RecursionError traceback."""
    path = tmp_path / name
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(UnreadableFileError, match="nested too deeply"):
        llmparse.parse(path, strategy="rules")
