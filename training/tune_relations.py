"""Cross-validate the relation tagger over the train and dev sections (never test).

Usage: python -m training.tune_relations [GOLD] [SPLITS]

Scores every setting of `GRID` by 5-fold cross-validation over whole
sections (as `choose_config` does) and prints the best one's held-out
micro-F1, F1 per label and role accuracy.
"""

from __future__ import annotations

import sys
import time

from nlp.evaluate import load_gold
from nlp.relations import RELATION_LABELS, _settings, cross_validate, score_relations


def main(gold: str = "annotations/gold", splits: str = "annotations/splits.json") -> None:
    """Print the best setting's cross-validated scores."""
    grouped = load_gold(gold, splits)
    records = grouped["train"] + grouped["dev"]
    started = time.perf_counter()
    settings = _settings()
    scored = [
        (score_relations(records, predicted), setting)
        for setting, predicted in zip(settings, cross_validate(records, settings), strict=True)
    ]
    scored.sort(key=lambda x: -x[0]["micro"]["f"])
    for other, setting in scored[1:6]:
        print(f"  runner-up {setting}: {other['micro']['f']:.4f}")
    scores, config = scored[0]
    per_label = " ".join(f"{k} {scores[k]['f']:.3f}" for k in RELATION_LABELS)
    micro = scores["micro"]
    print(f"config {config}")
    print(
        f"CV micro-F1 {micro['f']:.4f} (P {micro['p']:.3f} R {micro['r']:.3f}) | {per_label} | "
        f"role acc {scores['role_accuracy']:.4f} {scores['roles']} | "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
