"""Tests of the entity tagger: features, lexicon, model folders, the committed model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.linear import ModelError
from nlp.ner import (
    TEMPLATE,
    EntityTagger,
    Lexicon,
    StatusClassifier,
    Word,
    prepare,
    sent2features,
    sent2items,
    status_features,
    to_syllables,
    training_sentences,
    word2features,
)

ROOT = Path(__file__).parents[1]
CELL = (
    "Giải ngân kế hoạch vốn năm 2023 từ đầu năm đến nay: 993.195/1.240.032 triệu đồng, "
    "đạt 80,1 % so với kế hoạch."
)


def test_prepare_keeps_offsets_and_kinds():
    words = prepare(CELL)
    for word in words:
        assert CELL[word.start : word.end] == word.text
    kinds = {w.text: w.kind for w in words}
    assert kinds["993.195/1.240.032"] == "number"
    assert kinds["80,1 %"] == "percent"


def test_word2features_reads_the_template():
    words = prepare(CELL)
    features = word2features(words, 0)
    assert set(features) == set(TEMPLATE)
    assert features["w.lower"] == "giải ngân"
    assert features["w[-1].lower"] == "BOS"
    assert features["w[-1,0].lower"] == "BOS|giải ngân"
    # Title case means every syllable capitalised, as in names ("Rạch Miễu").
    assert features["w.istitle"] == 0.0
    assert features["w.first"] == "giải"
    assert features["bias"] == 1.0


def test_sent2features_equals_word2features():
    words = prepare(CELL)
    fast = sent2features(words)
    assert fast == [word2features(words, i) for i in range(len(words))]


def test_to_syllables_splits_words_and_keeps_the_word():
    # Row 18's assignee: the segmenter joins "Trưởng Đoàn", which the gold
    # ORG "Đoàn Đại biểu Quốc hội tỉnh" starts inside.
    text = "Trưởng Đoàn Đại biểu Quốc hội tỉnh"
    words = [Word("Trưởng Đoàn", 0, 11, "word", rule="B-DATE"), Word("Đại biểu", 12, 20, "word")]
    syllables = to_syllables(words)
    assert [(w.text, w.start, w.end, w.word, w.part, w.rule) for w in syllables] == [
        ("Trưởng", 0, 6, "Trưởng Đoàn", "B", "B-DATE"),
        ("Đoàn", 7, 11, "Trưởng Đoàn", "I", "I-DATE"),
        ("Đại", 12, 15, "Đại biểu", "B", "O"),
        ("biểu", 16, 20, "Đại biểu", "I", "O"),
    ]
    for w in syllables:
        assert text[w.start : w.end] == w.text


@pytest.mark.parametrize(
    ("word", "kept"),
    [(Word("993.195/1.240.032", 0, 17, "number"), True), (Word("Tre", 0, 3, "word"), True)],
)
def test_to_syllables_keeps_numbers_and_single_syllables(word, kept):
    assert to_syllables([word]) == [word]


@pytest.mark.parametrize(("unit", "split"), [("syllable", True), ("word", False)])
def test_training_sentences_tag_the_chosen_unit(unit, split):
    record = {
        "cells": {"assignee": "Trưởng Đoàn Đại biểu Quốc hội tỉnh"},
        "entities": [
            {"cell": "assignee", "start": 7, "end": 34, "label": "ORG", "text": "x", "id": "e1"}
        ],
    }
    [(words, tags)] = training_sentences([record], unit=unit)
    spans = {(w.start, t) for w, t in zip(words, tags, strict=True)}
    assert ((7, "B-ORG") in spans) == split


def test_words_know_their_cell_in_training_and_in_the_pipeline():
    # "hoàn thành" sets a goal in the task cell and states a result in the
    # result cell: the tagger must see the same cell feature at training and
    # at tagging time.
    from nlp.pipeline import EntityRecognizer, cells_doc

    cells = {"task": "Hoàn thành dự án", "result": "Đã hoàn thành."}
    trained = {
        words[0].cell: [(w.text, w.cell) for w in words]
        for words, _ in training_sentences([{"cells": cells, "entities": []}], unit="word")
    }
    assert word2features(prepare("Hoàn thành", cell="task"), 0)["w.cell_lower"] == (
        "task:hoàn thành"
    )

    class Spy:
        template = TEMPLATE

        def __init__(self):
            self.seen = {}

        def spans(self, words):
            self.seen[words[0].cell] = [(w.text, w.cell) for w in words]
            return []

    spy = Spy()
    EntityRecognizer(spy)(cells_doc(cells, "r", 0, 0))
    assert spy.seen == trained
    assert set(trained) == {"task", "result"}


def _as_crfsuite(features: dict) -> list[tuple[bytes, float]]:
    """What python-crfsuite makes of a feature dict (its `to_item`), in order."""
    out = []
    for name, value in features.items():
        if isinstance(value, str):
            out.append((f"{name}:{value}".encode(), 1.0))
        else:
            out.append((name.encode(), float(value)))
    return out


def _pairs(item: list | dict) -> list[tuple[bytes, float]]:
    """An item of `sent2items` as (attribute, weight) pairs, in order."""
    return list(item.items()) if isinstance(item, dict) else [(key, 1.0) for key in item]


def _real_sentences(report, rows: int = 40) -> list[list[Word]]:
    from nlp.ner import Lexicon, with_lexicon

    lexicon = Lexicon({"ủy ban nhân dân": "ORG", "bến tre": "LOC"}, 1)
    out = []
    for row in report.rows[:rows]:
        for name, cell in row.cells.items():
            if cell.text:
                out.append(with_lexicon(prepare(cell.text, cell=name), lexicon))
    return out


def test_sent2items_equals_word2features_on_real_sentences(report):
    import pycrfsuite

    template = (*TEMPLATE, "w[-1,0,+1].kind", "w[+3].shape", "w[-4].syllables", "w[0].isupper")
    sentences = [*_real_sentences(report), prepare("Bến Tre"), prepare("a"), []]
    for words in sentences:
        for tmpl in (TEMPLATE, template):
            # Attributes of weight 0 add nothing to a score: the fast items leave them out.
            reference = [
                [(k, w) for k, w in _as_crfsuite(word2features(words, i, tmpl)) if w]
                for i in range(len(words))
            ]
            fast = sent2items(words, tmpl)
            assert [_pairs(item) for item in fast] == reference
            # And crfsuite reads both the same way.
            assert [list(d.items()) for d in pycrfsuite.ItemSequence(fast).items()] == [
                [(k, w) for k, w in d.items() if w]
                for d in pycrfsuite.ItemSequence(sent2features(words, tmpl)).items()
            ]


def test_word_attributes_ignore_position(report):
    # sent2items shares a word's attributes between its occurrences.
    from dataclasses import replace

    from nlp.ner import ATTRIBUTES

    for words in _real_sentences(report, rows=5):
        for word in words:
            moved = replace(word, start=word.start + 7, end=word.end + 7)
            assert {n: f(word) for n, f in ATTRIBUTES.items()} == {
                n: f(moved) for n, f in ATTRIBUTES.items()
            }


@pytest.mark.parametrize(
    ("name", "ok"),
    [("w[-2,-1].lower", True), ("w[+1].kind", True), ("w.colour", False), ("x.lower", False)],
)
def test_template_names(tmp_path, name, ok):
    from nlp.ner import _known

    assert _known(name) is ok


def _words(text: str) -> list[Word]:
    return [Word(t, i, i + 1, "word") for i, t in enumerate(text.split("|"))]


def test_lexicon_learns_mentions_and_tags_the_longest():
    sentences = [
        (
            _words("Cầu|Rạch Miễu|2|đang|thi công"),
            ["B-PROJECT", "I-PROJECT", "I-PROJECT", "O", "O"],
        ),
        (_words("Sở|Tài chính|thẩm định"), ["B-ORG", "I-ORG", "O"]),
        (_words("đạt|2|lần"), ["O", "O", "O"]),
    ]
    lexicon = Lexicon.learn(sentences)
    assert lexicon.tag(_words("khởi công|Cầu|Rạch Miễu|2|và|Sở|Tài chính")) == [
        "O",
        "B-PROJECT",
        "I-PROJECT",
        "I-PROJECT",
        "O",
        "B-ORG",
        "I-ORG",
    ]
    assert Lexicon.from_json(json.loads(json.dumps(lexicon.to_json()))).mentions == lexicon.mentions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a run of syllables, the longest trigger first
        (
            "nhà|máy|điện|gió|An|Thủy",
            ["B-FACILITY", "I-FACILITY", "I-FACILITY", "I-FACILITY", "O", "O"],
        ),
        # one token of a word model, and case does not matter
        ("Nhà máy|An Thủy", ["B-FACILITY", "O"]),
        ("huyện|Ba|Tri|;|Sở|Tài|chính", ["B-PLACE", "O", "O", "O", "B-BODY", "O", "O"]),
        ("cảng|cá|Bình|Đại", ["B-FACILITY", "I-FACILITY", "O", "O"]),
    ],
)
def test_trigger_words_are_tagged_by_kind(text, expected):
    from nlp.ner import trigger_lexicon
    from nlp.triggers import TRIGGERS

    assert trigger_lexicon(TRIGGERS).tag(_words(text)) == expected


def test_a_model_keeps_the_triggers_it_was_trained_with(tiny_models, tmp_path):
    import shutil

    from nlp.triggers import TRIGGERS

    config = json.loads((tiny_models / "ner" / "config.json").read_text(encoding="utf-8"))
    assert config["triggers"] == {kind: list(words) for kind, words in TRIGGERS.items()}
    tagger = EntityTagger.load(tiny_models / "ner")
    [trig] = {w.trig for w in tagger._with_features(prepare("cảng", cell="result"))}
    assert trig == "B-FACILITY"
    # A model saved before triggers existed tags them all "O", as it was trained.
    old = tmp_path / "old"
    shutil.copytree(tiny_models / "ner", old)
    del config["triggers"]
    (old / "config.json").write_text(json.dumps(config), encoding="utf-8")
    [trig] = {w.trig for w in EntityTagger.load(old)._with_features(prepare("cảng"))}
    assert trig == "O"


def test_model_folder_round_trip(tmp_path, tiny_models):
    tagger = EntityTagger.load(tiny_models / "ner")
    config = json.loads((tiny_models / "ner" / "config.json").read_text(encoding="utf-8"))
    assert config["template"] == list(TEMPLATE)
    assert config["unit"] == "syllable"
    assert sorted((tiny_models / "ner").iterdir()) == sorted(
        tiny_models / "ner" / n for n in ("config.json", "model.crfsuite", "status.json")
    )
    spans = tagger(CELL)
    for start, end, label in spans:
        assert 0 <= start < end <= len(CELL)
        assert label in tagger.labels


def test_loading_a_bad_folder_is_a_named_error(tmp_path):
    with pytest.raises(ModelError, match="run `tiendo train`"):
        EntityTagger.load(tmp_path)
    (tmp_path / "config.json").write_text('{"kind": "something else"}')
    with pytest.raises(ModelError, match="not a tiendo CRF"):
        EntityTagger.load(tmp_path)


def test_status_classifier_round_trip(tmp_path):
    examples = [
        (status_features("đã hoàn thành", "", ""), "completed"),
        (status_features("Hoàn thành", "", ""), "completed"),
        (status_features("chậm tiến độ", "", ""), "delayed"),
        (status_features("còn chậm", "", ""), "delayed"),
        (status_features("đang thi công", "", ""), "in_progress"),
        (status_features("đang triển khai", "", ""), "in_progress"),
    ]
    model = StatusClassifier.train(examples)
    model.save(tmp_path / "status.json")
    loaded = StatusClassifier.load(tmp_path / "status.json")
    for features, value in examples:
        assert loaded.predict(features) == model.predict(features) == value
    assert loaded.predict(status_features("đang thi công xây dựng", "", "")) == "in_progress"


def test_committed_model_still_scores_what_its_card_says():
    """CI guard: the committed model's test micro-F1 may not fall 0.02 below its card."""
    folder = ROOT / "models" / "ner"
    if not (folder / "card.json").exists():
        pytest.skip("no committed model")
    from nlp.evaluate import load_gold, predict_records
    from nlp.scoring import score_entities

    card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    test = load_gold(ROOT / "annotations" / "gold", ROOT / card["splits"])["test"]
    scores = score_entities(test, predict_records(test, ROOT / "models"))
    assert scores["strict"]["micro"]["f"] >= card["metrics"]["test_micro_f1_strict"] - 0.02
