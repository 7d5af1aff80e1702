"""Cross-validate entity-tagger templates over whole sections of train + dev.

Usage: python -m training.cv_ner [+FEATURE | -FEATURE ...] [--folds N]
       [--augment LABELS:COPIES] [--dump PREDICTIONS.jsonl] [--params c1=X,c2=Y]

Each argument adds (`+w.cell`) or drops (`-w.first`) a named feature of
`nlp.ner.TEMPLATE`. The sections of train + dev (never test) are dealt into
folds as `nlp.relations.cross_validate` deals them; each fold's CRF is
trained on the other folds with `EntityTagger.train` and tags the held-out
rows with the pipeline's entity components. Prints strict micro-F1 and F1
per label over all held-out rows together: the figures in training/README.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from nlp import MODELS
from nlp.corpus import section_key
from nlp.evaluate import load_gold, predict_records
from nlp.ner import TEMPLATE, EntityTagger, training_sentences
from nlp.scoring import score_entities


def template_from(changes: list[str]) -> tuple[str, ...]:
    """Apply `+name` / `-name` changes to the default template."""
    template = list(TEMPLATE)
    for change in changes:
        name = change[1:]
        if change.startswith("+") and name not in template:
            template.append(name)
        elif change.startswith("-"):
            template.remove(name)
    return tuple(template)


def augment(sentences, labels: tuple[str, ...], copies: int, seed: int = 0) -> list:
    """Mention replacement: copies of the sentences holding `labels` mentions, each
    mention swapped for a random training mention of its label."""
    import dataclasses
    import random
    from collections import defaultdict

    from nlp.corpus import bio_to_spans

    rng = random.Random(seed)
    pool = defaultdict(list)
    spans_of = []
    for words, tags in sentences:
        spans = [
            s for s in bio_to_spans([(i, i + 1) for i in range(len(words))], tags) if s[2] in labels
        ]
        spans_of.append(spans)
        for start, end, label in spans:
            pool[label].append(words[start:end])
    out = list(sentences)
    for _ in range(copies):
        for (words, tags), spans in zip(sentences, spans_of, strict=True):
            if not spans:
                continue
            new_words, new_tags, i = [], [], 0
            for start, end, label in spans:
                new_words += words[i:start]
                new_tags += tags[i:start]
                cell = words[start].cell
                at = words[start].start
                for n, w in enumerate(rng.choice(pool[label])):
                    new_words.append(
                        dataclasses.replace(w, start=at, end=at + len(w.text), cell=cell)
                    )
                    new_tags.append(("B-" if n == 0 else "I-") + label)
                    at += len(w.text) + 1
                i = end
            new_words += words[i:]
            new_tags += tags[i:]
            out.append((new_words, new_tags))
    return out


AUGMENT: tuple[tuple[str, ...], int] = ((), 0)
DUMP = ""
PARAMS: dict[str, float] = {}


def cross_validate(template: tuple[str, ...], folds: int = 5) -> dict:
    """Held-out strict scores of `template` over `folds` folds of train + dev sections."""
    grouped = load_gold("annotations/gold", "annotations/splits.json")
    records = grouped["train"] + grouped["dev"]
    sections = sorted({section_key(r) for r in records})
    fold_of = {key: i % folds for i, key in enumerate(sections)}
    gold, predicted = [], []
    for k in range(folds):
        train = [r for r in records if fold_of[section_key(r)] != k]
        held = [r for r in records if fold_of[section_key(r)] == k]
        with tempfile.TemporaryDirectory() as folder:
            sentences = training_sentences(train)
            if AUGMENT[1]:
                sentences = augment(sentences, *AUGMENT)
            EntityTagger.train(sentences, Path(folder) / "ner", template=template, params=PARAMS)
            shutil.copy(MODELS / "ner" / "status.json", Path(folder) / "ner" / "status.json")
            predicted += predict_records(held, folder)
        gold += held
        print(f"fold {k + 1}/{folds} done", file=sys.stderr, flush=True)
    if DUMP:
        with open(DUMP, "w", encoding="utf-8") as out:
            for record in predicted:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return score_entities(gold, predicted)


def main(argv: list[str]) -> None:
    folds = 5
    if "--folds" in argv:
        at = argv.index("--folds")
        folds = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    global AUGMENT, DUMP
    if "--params" in argv:
        at = argv.index("--params")
        for pair in argv[at + 1].split(","):
            key, value = pair.split("=")
            PARAMS[key] = float(value)
        argv = argv[:at] + argv[at + 2 :]
    if "--dump" in argv:
        at = argv.index("--dump")
        DUMP = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    if "--augment" in argv:
        at = argv.index("--augment")
        labels, copies = argv[at + 1].split(":")
        AUGMENT = (tuple(labels.split(",")), int(copies))
        argv = argv[:at] + argv[at + 2 :]
    scores = cross_validate(template_from(argv), folds)["strict"]
    labels = " ".join(
        f"{label} {s['f']:.3f}" for label, s in sorted(scores.items()) if label != "micro"
    )
    setting = f"{' '.join(argv) or 'default'} {AUGMENT} {PARAMS}"
    print(f"{setting}: micro {scores['micro']['f']:.4f} | {labels}")


if __name__ == "__main__":
    main(sys.argv[1:])
