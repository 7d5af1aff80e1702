"""Tests of the relation tagger: candidates, features, decoding, scoring, the baseline."""

from __future__ import annotations

import json
from pathlib import Path

from nlp.annotations import validate
from nlp.relations import (
    RelationTagger,
    candidates,
    mentions,
    nearest_project_baseline,
    pair_features,
    score_relations,
)

ROOT = Path(__file__).parents[1]


def test_candidates_pair_each_project_with_every_tail_across_cells(example):
    pairs = [(h.id, t.id) for h, t in candidates(example)]
    # e1 PERSON is never a tail; e2 ORG (assignee), e4 STATUS, e5 DATE, e6 ORG (plan) are.
    assert pairs == [("e3", "e2"), ("e3", "e4"), ("e3", "e5"), ("e3", "e6")]


def test_pair_features_across_cells(example):
    found = mentions(example)
    by_id = {m.id: m for m in found}
    features = pair_features(example, by_id["e3"], by_id["e5"], found)
    assert features["tail=DATE"] == 1.0
    assert features["cells=task>result|DATE"] == 1.0
    assert features["no_project_in_tail_cell|task|DATE"] == 1.0
    assert features["nearest_before|DATE"] == 1.0
    assert "same_cell|DATE" not in features


def test_nearest_project_baseline(example):
    linked = nearest_project_baseline([example])[0]["relations"]
    # The assignee ORG comes before the project: the baseline leaves it out.
    assert [(r["head"], r["tail"], r["label"]) for r in linked] == [
        ("e3", "e4", "HAS_STATUS"),
        ("e3", "e5", "HAS_DATE"),
        ("e3", "e6", "INVOLVES"),
    ]


def test_score_relations_needs_both_ends_and_the_label(example):
    perfect = score_relations([example], [example])
    assert perfect["micro"]["f"] == 1.0 and perfect["role_accuracy"] == 1.0
    wrong_role = json.loads(json.dumps(example))
    wrong_role["relations"][1]["role"] = "start"
    scores = score_relations([example], [wrong_role])
    assert scores["micro"]["f"] == 1.0 and scores["role_accuracy"] == 0.0
    baseline = score_relations([example], nearest_project_baseline([example]))
    assert baseline["micro"]["tp"] == 3 and baseline["micro"]["fp"] == 0


def test_trained_tagger_gives_valid_relations(tiny_models, example):
    tagger = RelationTagger.load(tiny_models / "relations")
    relations = tagger.predict(example)
    record = {**example, "relations": relations}
    assert validate([record]) == []
    for relation in relations:
        if relation["label"] in ("HAS_AMOUNT", "HAS_DATE"):
            assert relation["role"]
