"""The gold corpus as training data: BIO tags, splits, conversions.

- `spans_to_bio`: gold character spans → one BIO tag per token (the single
  place where that happens), including spans that do not line up with tokens.
- `make_splits` / `load_splits`: train/dev/test of whole report sections,
  deterministic, recorded in `annotations/splits.json`.
- `load_corpus`: a Hugging Face `DatasetDict`, one example per cell.
- Conversions to and from CoNLL BIO, spaCy `DocBin` and Label Studio JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from nlp.annotations import ALL_CELLS, iter_gold

SPLITS = ("train", "dev", "test")


def spans_to_bio(
    tokens: Sequence[tuple[int, int]], spans: Iterable[tuple[int, int, str]]
) -> list[str]:
    """Give each token a BIO tag from character spans.

    Takes token `(start, end)` offsets and entity `(start, end, label)`
    character spans of the same text. Returns one tag per token: `B-LABEL`
    on the first token a span touches, `I-LABEL` on the others, `O` outside.
    A span that does not line up with token boundaries takes every token it
    overlaps (it grows to whole tokens), as spaCy's `alignment_mode="expand"`
    does; where two spans would claim one token, the earlier span keeps it.
    """
    tags = ["O"] * len(tokens)
    for start, end, label in sorted(spans):
        inside = [
            i
            for i, (t_start, t_end) in enumerate(tokens)
            if t_start < end and start < t_end and tags[i] == "O"
        ]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + label
    return tags


def bio_to_spans(
    tokens: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[int, int, str]]:
    """Read character spans `(start, end, label)` back from token BIO tags.

    An `I-` tag that does not continue a span of its label starts one.
    """
    spans: list[tuple[int, int, str]] = []
    current: list | None = None
    for (start, end), tag in zip(tokens, tags, strict=True):
        kind, _, label = tag.partition("-")
        if kind == "I" and current is not None and current[2] == label:
            current[1] = end
            continue
        if current is not None:
            spans.append(tuple(current))
            current = None
        if kind in ("B", "I"):
            current = [start, end, label]
    if current is not None:
        spans.append(tuple(current))
    return spans


def section_key(record: dict) -> str:
    """Return the section a record belongs to, as "report#section"."""
    return f"{record['report']}#{record['section']}"


def section_folds(records: list[dict], folds: int = 5) -> list[tuple[list[dict], list[dict]]]:
    """Deal whole sections into `folds` folds for cross-validation.

    Takes records; returns, per fold, `(train, held)`: the records of the
    other folds and of this one, each in the order given. Sections are dealt
    in name order, one to each fold in turn.
    """
    sections = sorted({section_key(r) for r in records})
    fold_of = {key: i % folds for i, key in enumerate(sections)}
    return [
        (
            [r for r in records if fold_of[section_key(r)] != k],
            [r for r in records if fold_of[section_key(r)] == k],
        )
        for k in range(folds)
    ]


def make_splits(
    records: Iterable[dict],
    dev: float = 0.15,
    test: float = 0.15,
    previous: dict[str, str] | None = None,
) -> dict:
    """Split whole sections into train, dev and test; return the splits.json content.

    Sections are ordered by a hash of their key (deterministic, no seed to
    tune) and dealt to test, then dev, until each holds its share of the
    entities; the rest is train. A section is never in two splits. With
    `previous` (section → split, from `load_splits`), sections already split
    keep their split and new ones go to train, so a test split once made
    stays the same while the corpus grows.
    """
    weight: Counter[str] = Counter()
    for record in records:
        weight[section_key(record)] += max(1, len(record.get("entities", [])))
    total = sum(weight.values())
    order = sorted(weight, key=lambda key: hashlib.sha256(key.encode()).hexdigest())
    assigned: dict[str, list[str]] = {name: [] for name in SPLITS}
    filled = Counter()
    for key in order:
        if previous is not None:
            split = previous.get(key, "train")
        elif filled["test"] < test * total:
            split = "test"
        elif filled["dev"] < dev * total:
            split = "dev"
        else:
            split = "train"
        assigned[split].append(key)
        filled[split] += weight[key]
    return {
        "method": "sections ordered by sha256 of 'report#section', dealt to test then dev "
        f"until each holds {test:.0%} / {dev:.0%} of the entities; the rest is train",
        "entities": {name: filled[name] for name in SPLITS},
        **{name: sorted(keys) for name, keys in assigned.items()},
    }


def load_splits(path: str | Path) -> dict[str, str]:
    """Read `splits.json`; return section key → split name."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {key: name for name in SPLITS for key in data.get(name, [])}


def split_records(records: Iterable[dict], splits: dict[str, str]) -> dict[str, list[dict]]:
    """Group records by split; sections missing from `splits` go to train."""
    out: dict[str, list[dict]] = {name: [] for name in SPLITS}
    for record in records:
        out[splits.get(section_key(record), "train")].append(record)
    return out


def cell_examples(record: dict) -> list[dict]:
    """Return one token-classification example per non-empty cell of a record."""
    from nlp.tokenize import tokenize

    examples = []
    for cell in ALL_CELLS:
        text = record["cells"].get(cell)
        if not text:
            continue
        tokens = tokenize(text)
        offsets = [(t.start, t.end) for t in tokens]
        spans = [
            (e["start"], e["end"], e["label"]) for e in record["entities"] if e["cell"] == cell
        ]
        examples.append(
            {
                "report": record["report"],
                "row": record["row"],
                "section": record["section"],
                "cell": cell,
                "text": text,
                "tokens": [t.text for t in tokens],
                "starts": [s for s, _ in offsets],
                "ends": [e for _, e in offsets],
                "tags": spans_to_bio(offsets, spans),
            }
        )
    return examples


def load_corpus(gold: str | Path = "annotations/gold", splits: str | Path | None = None):
    """Load the gold corpus as a `datasets.DatasetDict` with train, dev and test.

    Takes the gold folder and the splits file (default `splits.json` beside
    the gold folder). Each example is one cell: its text, tokens with
    offsets and BIO tags, and where it comes from.
    """
    from datasets import Dataset, DatasetDict

    gold = Path(gold)
    splits = Path(splits) if splits else gold.parent / "splits.json"
    records = [record for _, record in iter_gold(gold)]
    grouped = split_records(records, load_splits(splits))
    return DatasetDict(
        {
            name: Dataset.from_list([ex for record in rows for ex in cell_examples(record)])
            for name, rows in grouped.items()
        }
    )


def to_conll(records: Iterable[dict]) -> str:
    """Write records as CoNLL BIO: a `# cell` comment, one "token\\tTAG" a line."""
    blocks = []
    for record in records:
        for example in cell_examples(record):
            lines = [f"# {example['report']}\t{example['row']}\t{example['cell']}"]
            lines += [f"{t}\t{g}" for t, g in zip(example["tokens"], example["tags"], strict=True)]
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def from_conll(text: str, report) -> list[dict]:
    """Read CoNLL BIO written by `to_conll` back into records of `report`.

    Takes the CoNLL text and the `Report` its rows come from (CoNLL keeps
    tokens, not white space, so the cell texts come from the report and the
    tokens are aligned back onto them). Returns one record per row, with the
    entities in reading order; CoNLL holds no values and no relations.
    """
    from nlp.tokenize import align

    records: dict[int, dict] = {}
    for block in text.strip().split("\n\n"):
        lines = block.strip().splitlines()
        if not lines or not lines[0].startswith("# "):
            continue
        _, row_text, cell = lines[0][2:].split("\t")
        row = report.rows[int(row_text)]
        pairs = [line.rsplit("\t", 1) for line in lines[1:]]
        cell_text = row.text(cell)
        offsets = align(cell_text, [token for token, _ in pairs])
        record = records.setdefault(
            row.index,
            {
                "report": report.id,
                "row": row.index,
                "section": row.section,
                "cells": {n: row.text(n) for n in ALL_CELLS if row.text(n)},
                "entities": [],
                "relations": [],
            },
        )
        for start, end, label in bio_to_spans(offsets, [tag for _, tag in pairs]):
            record["entities"].append(
                {
                    "cell": cell,
                    "start": start,
                    "end": end,
                    "label": label,
                    "text": cell_text[start:end],
                }
            )
    order = {cell: i for i, cell in enumerate(ALL_CELLS)}
    out = []
    for record in records.values():
        record["entities"].sort(key=lambda e: (order[e["cell"]], e["start"]))
        for n, entity in enumerate(record["entities"], start=1):
            entity["id"] = f"e{n}"
        out.append(record)
    return out


def to_docbin(records: Iterable[dict]):
    """Convert records to a spaCy `DocBin`, one `Doc` per cell.

    `doc.ents` hold the entities grown to whole tokens; the exact character
    offsets, ids, values and the row's relations travel in `doc.user_data`,
    so `from_docbin` gives the records back unchanged.
    """
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    from nlp.tokenize import get_nlp

    nlp = get_nlp()
    docbin = DocBin(store_user_data=True)
    for record in records:
        meta = {k: v for k, v in record.items() if k not in ("cells", "entities")}
        for cell, text in record["cells"].items():
            doc = nlp.make_doc(text)
            entities = [e for e in record["entities"] if e["cell"] == cell]
            spans = [
                doc.char_span(e["start"], e["end"], label=e["label"], alignment_mode="expand")
                for e in entities
            ]
            # Where a word straddles two gold spans, growing both to whole words
            # makes them overlap: doc.ents keeps the longer one, user_data keeps all.
            doc.ents = filter_spans([s for s in spans if s is not None])
            # JSON, not msgpack's lists-as-tuples, keeps the round trip exact.
            doc.user_data["tiendo"] = json.dumps(
                {"cell": cell, "record": meta, "entities": entities}, ensure_ascii=False
            )
            docbin.add(doc)
    return docbin


def from_docbin(docbin) -> list[dict]:
    """Rebuild the records of `to_docbin` from a `DocBin`."""
    from nlp.tokenize import get_nlp

    records: dict[tuple, dict] = {}
    for doc in docbin.get_docs(get_nlp().vocab):
        data = json.loads(doc.user_data["tiendo"])
        meta = data["record"]
        key = (meta["report"], meta["row"])
        record = records.setdefault(key, {**meta, "cells": {}, "entities": []})
        record["cells"][data["cell"]] = doc.text
        record["entities"].extend(data["entities"])
    out = []
    for record in records.values():
        order = {cell: i for i, cell in enumerate(ALL_CELLS)}
        record["cells"] = dict(sorted(record["cells"].items(), key=lambda kv: order[kv[0]]))
        record["entities"].sort(key=lambda e: (order[e["cell"]], e["start"]))
        out.append(_ordered(record))
    return out


_KEY_ORDER = ("report", "row", "section", "cells", "entities", "relations", "reviewed")


def _ordered(record: dict) -> dict:
    keys = [k for k in _KEY_ORDER if k in record] + [k for k in record if k not in _KEY_ORDER]
    return {k: record[k] for k in keys}


_LS_GAP = "\n\n"


def to_label_studio(records: Iterable[dict], predictions: bool = False) -> list[dict]:
    """Convert records to Label Studio tasks, one task per row.

    The task text is the row's cells, each after a `[cell]` heading line, so
    relations across cells can be drawn in one view. Entity values travel in
    the region's `meta`; a relation's role is its second label. With
    `predictions=True` the regions are model predictions to correct, else
    annotations.
    """
    tasks = []
    for record in records:
        text, starts = _ls_text(record["cells"])
        result = []
        for entity in record["entities"]:
            base = starts[entity["cell"]]
            region = {
                "id": entity["id"],
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": base + entity["start"],
                    "end": base + entity["end"],
                    "text": entity["text"],
                    "labels": [entity["label"]],
                },
            }
            if "value" in entity:
                region["meta"] = {"text": [json.dumps(entity["value"], ensure_ascii=False)]}
            result.append(region)
        for relation in record.get("relations", []):
            labels = [relation["label"]] + ([relation["role"]] if relation.get("role") else [])
            result.append(
                {
                    "type": "relation",
                    "from_id": relation["head"],
                    "to_id": relation["tail"],
                    "direction": "right",
                    "labels": labels,
                }
            )
        meta = {k: v for k, v in record.items() if k not in ("cells", "entities", "relations")}
        task = {"data": {"text": text, "tiendo": {**meta, "cells": record["cells"]}}}
        task["predictions" if predictions else "annotations"] = [{"result": result}]
        tasks.append(task)
    return tasks


def _ls_text(cells: dict[str, str]) -> tuple[str, dict[str, int]]:
    parts, starts, pos = [], {}, 0
    for cell, text in cells.items():
        heading = f"[{cell}]\n"
        starts[cell] = pos + len(heading)
        parts.append(heading + text)
        pos += len(heading) + len(text) + len(_LS_GAP)
    return _LS_GAP.join(parts), starts


def from_label_studio(tasks: Iterable[dict]) -> list[dict]:
    """Read corrected Label Studio tasks back into gold records.

    Uses the task's last annotation (else its prediction). Offsets are
    mapped back into their cells; a region that crosses a cell boundary is
    an error. Values come from region `meta`, roles from second labels.
    """
    records = []
    for task in tasks:
        data = task["data"]
        meta = dict(data["tiendo"])
        cells = meta.pop("cells")
        _, starts = _ls_text(cells)
        results = (task.get("annotations") or task.get("predictions") or [{"result": []}])[-1]
        entities, relations = [], []
        for item in results["result"]:
            if item.get("type") == "relation":
                relation = {
                    "head": item["from_id"],
                    "tail": item["to_id"],
                    "label": item["labels"][0],
                }
                if len(item["labels"]) > 1:
                    relation["role"] = item["labels"][1]
                relations.append(relation)
                continue
            value = item["value"]
            cell = _cell_at(starts, cells, value["start"], value["end"])
            entity = {
                "id": item["id"],
                "cell": cell,
                "start": value["start"] - starts[cell],
                "end": value["end"] - starts[cell],
                "label": value["labels"][0],
                "text": value["text"],
            }
            if item.get("meta", {}).get("text"):
                entity["value"] = json.loads(item["meta"]["text"][0])
            entities.append(entity)
        order = {cell: i for i, cell in enumerate(ALL_CELLS)}
        entities.sort(key=lambda e: (order[e["cell"]], e["start"]))
        records.append(
            _ordered({**meta, "cells": cells, "entities": entities, "relations": relations})
        )
    return records


def _cell_at(starts: dict[str, int], cells: dict[str, str], start: int, end: int) -> str:
    for cell, base in starts.items():
        if base <= start and end <= base + len(cells[cell]):
            return cell
    raise ValueError(f"region {start}:{end} is not inside one cell")


LABEL_STUDIO_CONFIG = """<View>
  <Relations>
    <Relation value="HAS_STATUS"/><Relation value="HAS_AMOUNT"/><Relation value="HAS_DATE"/>
    <Relation value="LOCATED_IN"/><Relation value="INVOLVES"/>
    <Relation value="cost"/><Relation value="disbursed"/><Relation value="progress"/>
    <Relation value="cleared"/><Relation value="size"/><Relation value="start"/>
    <Relation value="completion"/><Relation value="deadline"/><Relation value="approval"/>
    <Relation value="submission"/><Relation value="other"/>
  </Relations>
  <Labels name="label" toName="text">
    <Label value="PROJECT"/><Label value="ORG"/><Label value="PERSON"/><Label value="LOC"/>
    <Label value="MONEY"/><Label value="QUANTITY"/><Label value="PERCENT"/>
    <Label value="DATE"/><Label value="DOC"/><Label value="STATUS"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>
"""
"""The Label Studio labeling config matching `to_label_studio`'s tasks."""
