"""Scores of predicted records against gold ones: per span and label, never per token.

Entities are compared as `(report, row, cell, start, end, label)` spans, as
spaCy's `Scorer.score_spans` does: *strict* needs the same offsets and
label; *partial* accepts a prediction that overlaps an unmatched gold span of
the same label in the same cell. Values are checked on strict matches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from nlp.annotations import LABELS


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f, "tp": tp, "fp": fp, "fn": fn, "support": tp + fn}


def _key(record: dict) -> tuple:
    return (record["report"], record["row"])


def _spans(record: dict) -> list[tuple]:
    return [(e["cell"], e["start"], e["end"], e["label"]) for e in record["entities"]]


def score_entities(
    gold: Iterable[dict], predicted: Iterable[dict], labels: Iterable[str] = LABELS
) -> dict:
    """Score predicted entities against gold ones.

    Takes gold and predicted records (matched by report and row; a row
    missing from the predictions counts as predicting nothing). Returns
    `{"strict": {label: prf, "micro": prf}, "partial": {…}, "values": {label:
    {"correct", "total", "accuracy"}}, "errors": {"missed": [...],
    "spurious": [...], "confused": Counter}}`.
    """
    labels = list(labels)
    pred_by_row = {_key(r): r for r in predicted}
    strict: dict[str, Counter] = defaultdict(Counter)
    partial: dict[str, Counter] = defaultdict(Counter)
    values: dict[str, Counter] = defaultdict(Counter)
    missed, spurious, confused = [], [], Counter()
    for g in gold:
        p = pred_by_row.get(_key(g), {"entities": [], "cells": g["cells"]})
        gold_spans = {s: e for s, e in zip(_spans(g), g["entities"], strict=True)}
        pred_spans = {s: e for s, e in zip(_spans(p), p["entities"], strict=True)}
        for span, entity in gold_spans.items():
            label = span[3]
            if span in pred_spans:
                strict[label]["tp"] += 1
                if "value" in entity:
                    values[label]["total"] += 1
                    values[label]["correct"] += _same_value(
                        entity.get("value"), pred_spans[span].get("value")
                    )
            else:
                strict[label]["fn"] += 1
                missed.append((g["row"], span[0], label, entity["text"]))
        for span, entity in pred_spans.items():
            if span not in gold_spans:
                strict[span[3]]["fp"] += 1
                spurious.append((g["row"], span[0], span[3], entity["text"]))
        # Partial: greedy one-to-one matching of overlapping same-label spans.
        used: set = set()
        for span in pred_spans:
            match = next(
                (
                    gs
                    for gs in gold_spans
                    if gs not in used
                    and gs[0] == span[0]
                    and gs[3] == span[3]
                    and gs[1] < span[2]
                    and span[1] < gs[2]
                ),
                None,
            )
            if match is None:
                partial[span[3]]["fp"] += 1
                other = next(
                    (
                        gs
                        for gs in gold_spans
                        if gs[0] == span[0] and gs[1] < span[2] and span[1] < gs[2]
                    ),
                    None,
                )
                if other is not None and other[3] != span[3]:
                    confused[(other[3], span[3])] += 1
            else:
                used.add(match)
                partial[span[3]]["tp"] += 1
        for span in gold_spans:
            if span not in used:
                partial[span[3]]["fn"] += 1
    result = {"strict": {}, "partial": {}}
    for name, table in (("strict", strict), ("partial", partial)):
        for label in labels:
            result[name][label] = _prf(table[label]["tp"], table[label]["fp"], table[label]["fn"])
        totals = Counter()
        for label in labels:
            totals.update(table[label])
        result[name]["micro"] = _prf(totals["tp"], totals["fp"], totals["fn"])
    result["values"] = {
        label: {
            "correct": values[label]["correct"],
            "total": values[label]["total"],
            "accuracy": values[label]["correct"] / values[label]["total"]
            if values[label]["total"]
            else 0.0,
        }
        for label in labels
        if values[label]["total"]
    }
    result["errors"] = {"missed": missed, "spurious": spurious, "confused": confused}
    return result


def _same_value(gold: object, predicted: object) -> bool:
    if isinstance(gold, dict) and isinstance(predicted, dict):
        keys = set(gold) | set(predicted)
        return all(_close(gold.get(k), predicted.get(k)) for k in keys)
    return gold == predicted


def _close(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(a - b) <= 1e-6 * max(1.0, abs(a))
    return a == b


def restrict(records: Iterable[dict], labels: Iterable[str]) -> list[dict]:
    """Return copies of `records` keeping only the entities of `labels`."""
    keep = set(labels)
    return [
        {**r, "entities": [e for e in r["entities"] if e["label"] in keep], "relations": []}
        for r in records
    ]
