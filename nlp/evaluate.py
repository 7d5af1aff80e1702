"""Training and evaluation of the entity tagger, with the two baselines.

`train_ner` fits the CRF and the STATUS classifier on the training sections
(train + dev of `annotations/splits.json`), scores them on the test sections
and writes the model folder with its card. `evaluate_ner` scores a model and
the baselines on the test split and writes `eval/results/ner.md`.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from nlp import MODELS
from nlp.annotations import iter_gold
from nlp.corpus import load_splits, split_records
from nlp.scoring import restrict, score_entities
from nlp.values import UnparsedValueWarning, find_values

VALUE_LABELS = ("MONEY", "QUANTITY", "PERCENT", "DATE", "DOC")
UNDERTHESEA_LABELS = {"PER": "PERSON", "LOC": "LOC", "ORG": "ORG"}


def load_gold(gold: str | Path, splits: str | Path) -> dict[str, list[dict]]:
    """Read the gold records and group them by split."""
    records = [record for _, record in iter_gold(gold)]
    return split_records(records, load_splits(splits))


def gold_hash(gold: str | Path) -> str:
    """A sha256 over the gold files' bytes, in name order: what a model was trained on."""
    digest = hashlib.sha256()
    for file in sorted(Path(gold).rglob("*.jsonl")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def card_header(model: str, seconds: float, gold: str | Path, splits: str | Path) -> dict:
    """The fields every model card starts with: what, when, how long, on which data."""
    return {
        "model": model,
        "trained": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(seconds, 1),
        "gold_sha256": gold_hash(gold),
        "splits": str(splits),
    }


def write_card(folder: str | Path, card: dict) -> None:
    """Write a model's `card.json` (what it was trained on, how, and how it scored)."""
    text = json.dumps(card, ensure_ascii=False, indent=1)
    (Path(folder) / "card.json").write_text(text, encoding="utf-8")


def predict_records(records: list[dict], models: str | Path) -> list[dict]:
    """Run the pipeline's entity components over the cells of `records`."""
    from nlp.pipeline import Pipeline, cells_doc, doc_to_record

    pipeline = Pipeline.from_models(models)
    # Relations are scored on their own; entity scores need entities only.
    pipeline.components = [c for c in pipeline.components if type(c).__name__ != "RelationTagger"]
    out = []
    for record in records:
        doc = cells_doc(
            record["cells"],
            record["report"],
            record["row"],
            record["section"],
            default_year=2023,
        )
        out.append(doc_to_record(pipeline(doc)))
    return out


def rule_baseline(records: list[dict], default_year: int | None = 2023) -> list[dict]:
    """Predict MONEY, QUANTITY, PERCENT, DATE and DOC with the regular expressions alone."""
    out = []
    for record in records:
        entities = []
        for cell, text in record["cells"].items():
            for found in find_values(text, default_year):
                entities.append(
                    {
                        "id": f"e{len(entities) + 1}",
                        "cell": cell,
                        "start": found.start,
                        "end": found.end,
                        "label": found.label,
                        "text": found.text,
                        "value": found.value,
                    }
                )
        out.append({**record, "entities": entities, "relations": []})
    return out


def underthesea_baseline(records: list[dict]) -> list[dict]:
    """Predict PERSON, LOC and ORG with `underthesea.ner` (PER/LOC/ORG mapped)."""
    from underthesea import ner

    from nlp.corpus import bio_to_spans
    from nlp.tokenize import align

    out = []
    for record in records:
        entities = []
        for cell, text in record["cells"].items():
            tagged = ner(text)
            words = [t[0] for t in tagged]
            tags = []
            for t in tagged:
                kind, _, label = t[3].partition("-")
                mapped = UNDERTHESEA_LABELS.get(label)
                tags.append(f"{kind}-{mapped}" if mapped else "O")
            offsets = align(text, words)
            for start, end, label in bio_to_spans(offsets, tags):
                entities.append(
                    {
                        "id": f"e{len(entities) + 1}",
                        "cell": cell,
                        "start": start,
                        "end": end,
                        "label": label,
                        "text": text[start:end],
                    }
                )
        out.append({**record, "entities": entities, "relations": []})
    return out


def train_ner(
    gold: str | Path = "annotations/gold",
    splits: str | Path = "annotations/splits.json",
    models: str | Path = MODELS,
    params: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Train the entity tagger and the STATUS classifier; write `models/ner/`.

    Trains on the train and dev sections, scores on the test sections, and
    writes `model.crfsuite`, `config.json`, `status.json` and `card.json`.
    Returns the card.
    """
    from nlp.ner import (
        TEMPLATE,
        EntityTagger,
        StatusClassifier,
        needs_pos,
        status_examples,
        training_sentences,
    )

    say = progress or (lambda _: None)
    grouped = load_gold(gold, splits)
    train = grouped["train"] + grouped["dev"]
    folder = Path(models) / "ner"
    started = time.perf_counter()
    say(f"preparing {len(train)} training rows")
    sentences = training_sentences(train, pos=needs_pos(TEMPLATE))
    say(f"training the CRF on {len(sentences)} cells")
    EntityTagger.train(sentences, folder, params=params)
    StatusClassifier.train(status_examples(train)).save(folder / "status.json")
    seconds = time.perf_counter() - started
    say("scoring on the test sections")
    predicted = predict_records(grouped["test"], models)
    scores = score_entities(grouped["test"], predicted)
    card = {
        **card_header("tiendo CRF entity tagger + STATUS value classifier", seconds, gold, splits),
        "train_sections": "train + dev",
        "rows": {name: len(rows) for name, rows in grouped.items()},
        "params": json.loads((folder / "config.json").read_text(encoding="utf-8"))["params"],
        "metrics": {
            "test_micro_f1_strict": round(scores["strict"]["micro"]["f"], 4),
            "test_micro_f1_partial": round(scores["partial"]["micro"]["f"], 4),
            "test_f1_strict": {
                label: round(prf["f"], 4)
                for label, prf in scores["strict"].items()
                if label != "micro"
            },
            "value_accuracy": {k: round(v["accuracy"], 4) for k, v in scores["values"].items()},
        },
    }
    write_card(folder, card)
    return card


def train_transformer(
    gold: str | Path = "annotations/gold",
    splits: str | Path = "annotations/splits.json",
    models: str | Path = MODELS,
    base_model: str | Path | None = None,
    epochs: int = 3,
) -> dict:
    """Fine-tune the transformer backend on train + dev; score on test; write its card.

    Writes `models/ner/` (safetensors weights, tokenizer, `tiendo.json`) and
    keeps the STATUS classifier beside it. Returns the card.
    """
    from nlp.ner import StatusClassifier, status_examples, training_sentences
    from nlp.transformer import TransformerTagger

    grouped = load_gold(gold, splits)
    train = grouped["train"] + grouped["dev"]
    folder = Path(models) / "ner"
    started = time.perf_counter()
    TransformerTagger.train(training_sentences(train), folder, base_model, epochs=epochs)
    StatusClassifier.train(status_examples(train)).save(folder / "status.json")
    seconds = time.perf_counter() - started
    scores = score_entities(grouped["test"], predict_records(grouped["test"], models))
    model = f"tiendo transformer entity tagger fine-tuned from {base_model or 'a tiny random BERT'}"
    card = {
        **card_header(model, seconds, gold, splits),
        "epochs": epochs,
        "metrics": {
            "test_micro_f1_strict": round(scores["strict"]["micro"]["f"], 4),
            "test_micro_f1_partial": round(scores["partial"]["micro"]["f"], 4),
        },
    }
    write_card(folder, card)
    return card


def evaluate_ner(
    gold: str | Path = "annotations/gold",
    splits: str | Path = "annotations/splits.json",
    models: str | Path = MODELS,
    output: str | Path | None = "eval/results/ner.md",
    baselines: bool = True,
) -> tuple[dict, str]:
    """Score the model and the baselines on the test split; write the report.

    Returns the scores (`{"model": …, "rules": …, "underthesea": …}`) and the
    Markdown text written to `output`.
    """
    grouped = load_gold(gold, splits)
    test = grouped["test"]
    started = time.perf_counter()
    predicted = predict_records(test, models)
    seconds = time.perf_counter() - started
    scores = {"model": score_entities(test, predicted)}
    if baselines:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnparsedValueWarning)
            scores["rules"] = score_entities(
                restrict(test, VALUE_LABELS), rule_baseline(test), VALUE_LABELS
            )
        people = tuple(UNDERTHESEA_LABELS.values())
        scores["underthesea"] = score_entities(
            restrict(test, people), underthesea_baseline(test), people
        )
    text = _markdown(scores, test, seconds)
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    return scores, text


def _markdown(scores: dict, test: list[dict], seconds: float) -> str:
    from nlp.annotations import LABELS

    model = scores["model"]
    lines = [
        "# Entity tagger: test split",
        "",
        f"Test split: {len(test)} rows of {len({(r['report'], r['section']) for r in test})} "
        f"whole sections (`annotations/splits.json`); tagging took {seconds:.1f} s.",
        "Made by `tiendo eval`. Spans are scored per span and label: *strict* needs the "
        "exact offsets, *partial* an overlap with a gold span of the same label.",
        "",
        "| label | support | P | R | F1 strict | F1 partial | rules F1 | underthesea F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in (*LABELS, "micro"):
        s, p = model["strict"][label], model["partial"][label]
        rules = scores.get("rules", {}).get("strict", {}).get(label)
        und = scores.get("underthesea", {}).get("strict", {}).get(label)
        lines.append(
            f"| {label} | {s['support']} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} | "
            f"{p['f']:.3f} | {rules['f']:.3f} | {und['f']:.3f} |".replace("| None |", "| – |")
            if rules and und
            else f"| {label} | {s['support']} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} | "
            f"{p['f']:.3f} | {rules['f']:.3f} | – |"
            if rules
            else f"| {label} | {s['support']} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} | "
            f"{p['f']:.3f} | – | {und['f']:.3f} |"
            if und
            else f"| {label} | {s['support']} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} | "
            f"{p['f']:.3f} | – | – |"
        )
    lines += [
        "",
        "The baselines are scored on the labels they cover only (their micro row too): "
        "*rules* are the regular expressions of `nlp/values.py` on raw cell text (MONEY, "
        "QUANTITY, PERCENT, DATE, DOC); *underthesea* is `underthesea.ner` with PER/LOC/ORG "
        "mapped to PERSON/LOC/ORG.",
        "",
        "## Values (on strict matches)",
        "",
        "| label | correct / total | accuracy | rules accuracy |",
        "|---|---:|---:|---:|",
    ]
    for label, v in model["values"].items():
        rules = scores.get("rules", {}).get("values", {}).get(label)
        rule_text = f"{rules['accuracy']:.3f}" if rules else "–"
        lines.append(
            f"| {label} | {v['correct']} / {v['total']} | {v['accuracy']:.3f} | {rule_text} |"
        )
    errors = model["errors"]
    lines += [
        "",
        "## Worst errors",
        "",
        "Label confusions (gold → predicted, overlapping spans):",
        "",
    ]
    for (g, p), n in errors["confused"].most_common(8):
        lines.append(f"- {g} → {p}: {n}")
    lines += ["", "Longest missed spans:", ""]
    for row, cell, label, text in sorted(errors["missed"], key=lambda e: -len(e[3]))[:10]:
        lines.append(f"- row {row} {cell} {label}: “{text}”")
    lines += ["", "Longest spurious spans:", ""]
    for row, cell, label, text in sorted(errors["spurious"], key=lambda e: -len(e[3]))[:10]:
        lines.append(f"- row {row} {cell} {label}: “{text}”")
    return "\n".join(lines) + "\n"
