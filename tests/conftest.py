"""Shared fixtures: a tiny model folder trained from a few gold rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
GOLD = ROOT / "annotations" / "gold"
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"
DRAFT = Path(__file__).parent / "fixtures" / "schema_example_draft.jsonl"


@pytest.fixture(scope="session")
def report():
    """The bundled report, read once for the whole session."""
    from nlp.reader import read_report

    return read_report(REPORT)


@pytest.fixture(scope="session")
def example(report):
    """The schema's worked example (row 305), resolved from its draft."""
    from nlp.annotations import read_records, resolve_draft

    return resolve_draft(read_records(DRAFT)[0], report)


def gold_sample(n: int = 12) -> list[dict]:
    """The first `n` gold rows that have relations (the bundled gold)."""
    from nlp.annotations import iter_gold

    out = [r for _, r in iter_gold(GOLD) if r["relations"]]
    return out[:n]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> Path:
    """A models folder (ner, relations, intent) trained in seconds on a few gold rows."""
    from nlp.ask import IntentClassifier
    from nlp.ner import EntityTagger, StatusClassifier, status_examples, training_sentences
    from nlp.relations import DEFAULT_CONFIG, _fit

    records = gold_sample()
    if not records:
        pytest.skip("no gold annotations")
    models = tmp_path_factory.mktemp("models")
    EntityTagger.train(training_sentences(records), models / "ner", params={"max_iterations": 30})
    StatusClassifier.train(status_examples(records)).save(models / "ner" / "status.json")
    relations = _fit(records, DEFAULT_CONFIG)
    (models / "relations").mkdir()
    relations.link.save(models / "relations" / "link.json")
    relations.role.save(models / "relations" / "role.json")
    (models / "relations" / "config.json").write_text(json.dumps(DEFAULT_CONFIG))
    (models / "intent").mkdir()
    IntentClassifier.train(ROOT / "training" / "intents.jsonl").save(
        models / "intent" / "intent.json"
    )
    return models
