"""Tests of BIO tagging, splits and conversions of the gold corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.annotations import read_records, write_records
from nlp.corpus import (
    bio_to_spans,
    from_docbin,
    from_label_studio,
    load_corpus,
    load_splits,
    make_splits,
    section_folds,
    spans_to_bio,
    to_conll,
    to_docbin,
    to_label_studio,
)
from nlp.reader import read_report

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"
GOLD = ROOT / "annotations" / "gold"

# "Giải ngân 993.195/1.240.032 triệu đồng, đạt 80,1 %"
TOKENS = [(0, 9), (10, 27), (28, 33), (34, 38), (38, 39), (40, 43), (44, 50)]


@pytest.mark.parametrize(
    ("spans", "tags"),
    [
        ([], ["O"] * 7),
        (
            [(10, 38, "MONEY"), (44, 50, "PERCENT")],
            ["O", "B-MONEY", "I-MONEY", "I-MONEY", "O", "O", "B-PERCENT"],
        ),
        # A span that starts and ends inside tokens grows to whole tokens.
        ([(13, 30, "MONEY")], ["O", "B-MONEY", "I-MONEY", "O", "O", "O", "O"]),
        # Two spans claiming one token: the earlier keeps it.
        ([(0, 12, "DATE"), (11, 33, "MONEY")], ["B-DATE", "I-DATE", "B-MONEY", "O", "O", "O", "O"]),
        # A span that falls between tokens (on a space) tags nothing.
        ([(9, 10, "DATE")], ["O"] * 7),
    ],
)
def test_spans_to_bio(spans, tags):
    assert spans_to_bio(TOKENS, spans) == tags


def test_bio_round_trip_on_aligned_spans():
    spans = [(10, 38, "MONEY"), (44, 50, "PERCENT")]
    assert bio_to_spans(TOKENS, spans_to_bio(TOKENS, spans)) == spans


def test_stray_inside_tag_starts_a_span():
    assert bio_to_spans(TOKENS[:2], ["I-DATE", "B-DATE"]) == [(0, 9, "DATE"), (10, 27, "DATE")]


def _with_gold(example: dict) -> list[dict]:
    """The example row and every bundled gold row, each row once."""
    gold = [r for f in sorted(GOLD.glob("*.jsonl")) for r in read_records(f)]
    return [
        example,
        *(r for r in gold if (r["report"], r["row"]) != ("bentre-2023-phu-luc-8", 305)),
    ]


def test_label_studio_round_trip_is_lossless(example):
    records = _with_gold(example)
    tasks = json.loads(json.dumps(to_label_studio(records), ensure_ascii=False))
    assert from_label_studio(tasks) == records


def test_label_studio_import_of_a_corrected_task(example):
    task = to_label_studio([example], predictions=True)[0]
    regions = task["predictions"][0]["result"]
    person = next(r for r in regions if r.get("id") == "e1")
    # The annotator narrows the span and changes the label.
    person["value"].update(end=person["value"]["end"] - 5, text="Bùi Văn", labels=["ORG"])
    task["annotations"] = [{"result": regions}]
    record = from_label_studio([task])[0]
    assert record["entities"][0] == {
        "id": "e1",
        "cell": "assignee",
        "start": 9,
        "end": 16,
        "label": "ORG",
        "text": "Bùi Văn",
    }


def test_docbin_round_trip_is_lossless(example, tmp_path):
    from spacy.tokens import DocBin

    records = _with_gold(example)
    path = tmp_path / "gold.spacy"
    to_docbin(records).to_disk(path)
    assert from_docbin(DocBin().from_disk(path)) == records


def test_docbin_entities_cover_the_gold_spans(example):
    docs = list(to_docbin([example]).get_docs(__import__("nlp.tokenize").tokenize.get_nlp().vocab))
    task = next(doc for doc in docs if json.loads(doc.user_data["tiendo"])["cell"] == "task")
    assert [(e.text, e.label_) for e in task.ents] == [
        ("Trung tâm chính trị hành chính huyện Mỏ Cày Nam", "PROJECT")
    ]


def test_conll_has_one_tag_per_token(example):
    blocks = to_conll([example]).strip().split("\n\n")
    assert blocks[0].startswith("# bentre-2023-phu-luc-8\t305\tassignee")
    task = next(b for b in blocks if "\ttask" in b.splitlines()[0]).splitlines()[1:]
    tagged = [line.split("\t") for line in task]
    assert next(t for t, g in tagged if g != "O") == "Trung tâm"
    assert {g for _, g in tagged} == {"O", "B-PROJECT", "I-PROJECT"}


def test_conll_round_trip_keeps_token_aligned_spans():
    from nlp.corpus import from_conll

    report = read_report(REPORT)
    gold = [r for f in sorted(GOLD.glob("*.jsonl")) for r in read_records(f)][:20]
    back = {r["row"]: r for r in from_conll(to_conll(gold), report)}
    kept = total = 0
    for record in gold:
        spans = {(e["cell"], e["start"], e["end"], e["label"]) for e in record["entities"]}
        got = {
            (e["cell"], e["start"], e["end"], e["label"]) for e in back[record["row"]]["entities"]
        }
        kept += len(spans & got)
        total += len(spans)
        # Whatever comes back is text of the report's own cells.
        for e in back[record["row"]]["entities"]:
            assert report.rows[record["row"]].text(e["cell"])[e["start"] : e["end"]] == e["text"]
    # Spans that do not line up with tokens grow to whole tokens: nearly all survive.
    assert kept / total > 0.95


def _fake_records(n_sections: int) -> list[dict]:
    return [
        {
            "report": "r",
            "row": i,
            "section": i // 2,
            "cells": {"task": "x"},
            "entities": [{}] * (i % 5),
            "relations": [],
        }
        for i in range(2 * n_sections)
    ]


def test_splits_are_whole_sections_and_deterministic():
    records = _fake_records(40)
    first, second = make_splits(records), make_splits(list(reversed(records)))
    assert first == second
    seen = [key for name in ("train", "dev", "test") for key in first[name]]
    assert len(seen) == len(set(seen)) == 40
    assert first["test"] and first["dev"] and first["train"]


def test_frozen_splits_keep_old_sections_and_send_new_ones_to_train():
    records = _fake_records(20)
    first = make_splits(records)
    previous = {key: name for name in ("train", "dev", "test") for key in first[name]}
    grown = make_splits(_fake_records(30), previous=previous)
    for name in ("dev", "test"):
        assert grown[name] == first[name]
    assert set(grown["train"]) - set(first["train"]) == {f"r#{i}" for i in range(20, 30)}


def test_load_corpus_gives_a_datasetdict(tmp_path, example):
    gold = tmp_path / "gold"
    gold.mkdir()
    write_records([example], gold / "a.jsonl")
    splits = make_splits([example])
    (tmp_path / "splits.json").write_text(json.dumps(splits), encoding="utf-8")
    corpus = load_corpus(gold)
    assert set(corpus) == {"train", "dev", "test"}
    where = load_splits(tmp_path / "splits.json")["bentre-2023-phu-luc-8#49"]
    rows = corpus[where]
    assert rows.num_rows == 4
    task = rows.filter(lambda ex: ex["cell"] == "task")[0]
    assert task["tokens"][task["tags"].index("B-PROJECT")] == "Trung tâm"


def test_section_folds_hold_out_each_section_once_and_keep_the_order():
    records = [{"report": "r", "section": s, "row": i} for i, s in enumerate([3, 1, 1, 2, 0, 3])]
    dealt = section_folds(records, folds=2)
    held = [[r["row"] for r in h] for _, h in dealt]
    # Sections in name order 0, 1, 2, 3 go to folds 0, 1, 0, 1.
    assert held == [[3, 4], [0, 1, 2, 5]]
    for train, h in dealt:
        assert [r["row"] for r in train] == sorted(set(range(6)) - {r["row"] for r in h})
