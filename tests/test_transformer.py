"""Tests of the optional transformer backend, with a tiny randomly initialised BERT."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from nlp.ner import prepare
from nlp.transformer import TransformerTagger, _repair

CELL = "Cầu Rạch Miễu 2 đã hoàn thành ngày 05/5/2023, đạt 80,1 % kế hoạch."


def _sentences():
    words = prepare(CELL)
    tags = []
    for w in words:
        if w.text == "Cầu":
            tags.append("B-PROJECT")
        elif w.text in ("Rạch Miễu", "2"):
            tags.append("I-PROJECT")
        elif w.text == "80,1 %":
            tags.append("B-PERCENT")
        else:
            tags.append("O")
    return [(words, tags)] * 8


def test_tiny_model_trains_saves_loads_and_tags(tmp_path):
    tagger = TransformerTagger.train(_sentences(), tmp_path / "ner", epochs=30, learning_rate=5e-3)
    words = prepare(CELL)
    tags = tagger.tag_words(words)
    assert len(tags) == len(words)
    assert tags[0] == "B-PROJECT"
    loaded = TransformerTagger.load(tmp_path / "ner")
    assert loaded.tag_words(words) == tags
    assert (tmp_path / "ner" / "model.safetensors").exists()


def test_long_cells_are_tagged_window_by_window(tmp_path):
    tagger = TransformerTagger.train(_sentences(), tmp_path / "ner", epochs=1)
    words = prepare(" ".join([CELL] * 30))
    assert len(tagger.tag_words(words)) == len(words)


def test_repair_turns_stray_inside_tags_into_beginnings():
    assert _repair(["I-DATE", "I-DATE", "O", "I-ORG"]) == ["B-DATE", "I-DATE", "O", "B-ORG"]
