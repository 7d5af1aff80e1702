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

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from nlp import MODELS
from nlp.corpus import section_folds
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
            if name not in template:
                raise SystemExit(f"{name} is not in the template")
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


def cross_validate(
    template: tuple[str, ...],
    folds: int = 5,
    params: dict[str, float] | None = None,
    augment_with: tuple[tuple[str, ...], int] = ((), 0),
    dump: str = "",
) -> dict:
    """Held-out strict scores of `template` over `folds` folds of train + dev sections.

    `params` go to crfsuite; `augment_with` is `(labels, copies)` of `augment`;
    `dump` names a file for the held-out predictions (JSONL).
    """
    grouped = load_gold("annotations/gold", "annotations/splits.json")
    gold, predicted = [], []
    for k, (train, held) in enumerate(section_folds(grouped["train"] + grouped["dev"], folds)):
        with tempfile.TemporaryDirectory() as folder:
            sentences = training_sentences(train)
            if augment_with[1]:
                sentences = augment(sentences, *augment_with)
            EntityTagger.train(sentences, Path(folder) / "ner", template=template, params=params)
            shutil.copy(MODELS / "ner" / "status.json", Path(folder) / "ner" / "status.json")
            predicted += predict_records(held, folder)
        gold += held
        print(f"fold {k + 1}/{folds} done", file=sys.stderr, flush=True)
    if dump:
        with open(dump, "w", encoding="utf-8") as out:
            for record in predicted:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return score_entities(gold, predicted)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("changes", nargs="*", help="+FEATURE or -FEATURE of the template")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--params", default="", help="crfsuite settings: c1=0.05,c2=0.05")
    parser.add_argument("--augment", default="", help="LABELS:COPIES, e.g. PROJECT:1")
    parser.add_argument("--dump", default="", help="write the held-out predictions here")
    # "-w.first" reads like an option: take the template changes from what is left.
    args, rest = parser.parse_known_args(argv)
    unknown = [r for r in rest if not r.startswith(("-w", "+w"))]
    if unknown:
        parser.error(f"unrecognised arguments: {' '.join(unknown)}")
    args.changes += rest
    params = {k: float(v) for k, v in (p.split("=") for p in args.params.split(",") if p)}
    labels, _, copies = args.augment.partition(":")
    augment_with = (tuple(labels.split(",")), int(copies or 0)) if labels else ((), 0)
    scores = cross_validate(
        template_from(args.changes), args.folds, params, augment_with, args.dump
    )["strict"]
    by_label = " ".join(
        f"{label} {s['f']:.3f}" for label, s in sorted(scores.items()) if label != "micro"
    )
    setting = f"{' '.join(args.changes) or 'default'} {augment_with} {params}"
    print(f"{setting}: micro {scores['micro']['f']:.4f} | {by_label}")


if __name__ == "__main__":
    main(sys.argv[1:])
