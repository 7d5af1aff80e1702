"""Choose the CRF's regularisation on the dev split (never on test).

Usage: python training/tune_ner.py [GOLD] [SPLITS]

Trains on the train sections for each setting of a small grid and prints the
dev micro-F1 (strict) of each; the chosen setting goes into `DEFAULT_PARAMS`
of `nlp/ner.py` by hand, with the figure, so the choice is on record.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from nlp.evaluate import load_gold, predict_records
from nlp.ner import EntityTagger, training_sentences
from nlp.scoring import score_entities

GRID = [
    {"c1": 0.05, "c2": 0.05},
    {"c1": 0.1, "c2": 0.01},
    {"c1": 0.2, "c2": 0.05},
    {"c1": 0.02, "c2": 0.2},
]


def main(gold: str = "annotations/gold", splits: str = "annotations/splits.json") -> None:
    grouped = load_gold(gold, splits)
    sentences = training_sentences(grouped["train"])
    print(f"train rows {len(grouped['train'])}, dev rows {len(grouped['dev'])}")
    for params in GRID:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            EntityTagger.train(sentences, Path(folder) / "ner", params=params)
            seconds = time.perf_counter() - started
            scores = score_entities(grouped["dev"], predict_records(grouped["dev"], folder))
        micro = scores["strict"]["micro"]
        print(
            f"{params}: dev micro-F1 strict {micro['f']:.4f} (P {micro['p']:.3f} R "
            f"{micro['r']:.3f}), trained in {seconds:.0f} s"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
