"""Tests of the row-Doc pipeline and `extract`."""

from __future__ import annotations

from pathlib import Path

from nlp.annotations import validate
from nlp.pipeline import (
    Pipeline,
    cell_tokens,
    cells_doc,
    doc_to_record,
    extract,
    split_tokens,
    token_kind,
)
from nlp.reader import read_report

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_row_doc_holds_each_cell_at_its_range():
    cells = {"task": "2. Hoàn thành Cầu Rạch Miễu 2.", "result": "Đã hoàn thành, đạt 100%."}
    doc = cells_doc(cells, "r", 3, 0, default_year=2023)
    for name, (start, end) in doc._.cells.items():
        assert doc.text[start:end] == cells[name]
        for token in cell_tokens(doc, name):
            assert start <= token.idx and token.idx + len(token.text) <= end
    assert doc.text == "\n".join(cells.values())


def test_extract_gives_valid_schema_records(tiny_models):
    report = read_report(FIXTURES / "continued_assignee.txt")
    records = extract(report, tiny_models)
    assert [r["row"] for r in records] == list(range(len(report.rows)))
    assert validate(records, predictions=True) == []
    for record, row in zip(records, report.rows, strict=True):
        for entity in record["entities"]:
            assert row.text(entity["cell"])[entity["start"] : entity["end"]] == entity["text"]


def test_components_run_in_order(tiny_models):
    pipeline = Pipeline.from_models(tiny_models)
    names = [type(c).__name__ for c in pipeline.components]
    assert names == ["EntityRecognizer", "ValueNormalizer", "StatusValues", "RelationTagger"]
    doc = pipeline(
        cells_doc({"result": "Giải ngân đạt 80,1 % kế hoạch năm 2023."}, "r", 0, 0, 2023)
    )
    record = doc_to_record(doc)
    for entity in record["entities"]:
        if entity["label"] == "PERCENT":
            assert entity["value"] == {"amount": 80.1, "unit": "%"}


def test_a_bare_document_number_takes_the_type_before_it():
    from nlp.pipeline import ValueNormalizer

    doc = cells_doc({"result": "Thông tư 39, 40 của Bộ"}, "r", 0, 0, 2023)
    doc.ents = [doc.char_span(0, 11, label="DOC"), doc.char_span(13, 15, label="DOC")]
    ValueNormalizer()(doc)
    assert [e._.value for e in doc.ents] == [
        {"type": "Thông tư", "number": "39"},
        {"type": "Thông tư", "number": "40"},
    ]


def test_split_tokens_cuts_a_word_where_an_entity_starts_inside_it():
    doc = cells_doc({"task": "Tham mưu Ban Thường vụ Tỉnh ủy ban hành"}, "r", 1, 1)
    joined = [t for t in doc if " " in t.text]
    assert joined, "the segmenter joins some syllables"
    token = joined[0]
    cut = token.idx + token.text.index(" ") + 1
    new = split_tokens(doc, {cut})
    assert new.text == doc.text
    assert len(new) == len(doc) + 1
    assert {t.idx for t in new} == {t.idx for t in doc} | {cut}
    assert token_kind(new, token.i) == token_kind(doc, token.i)
    assert new._.cells == doc._.cells and new._.row == 1


def test_kept_text_and_cell_words_equal_what_spacy_gives(report):
    from nlp.pipeline import _cell_words, doc_text, row_doc, token_kind

    for row in report.rows[:60]:
        doc = row_doc(row, report)
        assert doc_text(doc) == doc.text
        for cell in doc._.cells:
            assert _cell_words(doc, cell) == [
                (t.text, t.idx, token_kind(doc, t.i)) for t in cell_tokens(doc, cell)
            ]
    doc = cells_doc({"task": "  Dự án  A ", "result": "\tđạt 80 %\n"})
    assert doc_text(doc) == doc.text
    del doc.user_data["text"], doc.user_data["cell_words"]
    assert doc_text(doc) == doc.text
    assert _cell_words(doc, "task") == [("Dự án", 2, "word"), ("A", 9, "word")]


def test_a_kept_record_is_made_again_once_its_entities_change():
    from nlp.pipeline import ValueNormalizer

    doc = cells_doc({"result": "Thông tư 39, 40 của Bộ"}, "r", 0, 0, 2023)
    doc.ents = [doc.char_span(0, 11, label="DOC"), doc.char_span(13, 15, label="DOC")]
    ValueNormalizer()(doc)
    first = doc_to_record(doc)
    assert [e["id"] for e in first["entities"]] == ["e1", "e2"]
    doc._.relations = [{"head": "e1", "tail": "e2", "label": "X"}]
    again = doc_to_record(doc)
    assert again["entities"] is first["entities"]
    assert again["relations"] == doc._.relations and first["relations"] == []
    doc.ents[1]._.value = {"type": "Nghị định", "number": "40"}
    changed = doc_to_record(doc)
    assert changed["entities"][1]["value"] == {"type": "Nghị định", "number": "40"}
    assert [e["id"] for e in changed["entities"]] == ["e1", "e2"]
