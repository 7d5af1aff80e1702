"""Inter-annotator agreement: the gold against an independent second annotation.

Usage: python eval/agreement.py [SECOND.jsonl] [GOLD_DIR]

Scores one annotation against the other with the same span scorer as the
models (entities per span and label, strict and partial; relations with both
ends' spans exact), over the rows both annotated. F1 is symmetric, so which
side is "gold" does not matter. Prints a Markdown table.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nlp.annotations import LABELS, iter_gold, read_records
from nlp.relations import RELATION_LABELS, score_relations
from nlp.scoring import score_entities


def agreement(second_path: Path, gold_dir: Path) -> str:
    """Return the agreement report as Markdown."""
    second = {(r["report"], r["row"]): r for r in read_records(second_path)}
    first = {(r["report"], r["row"]): r for _, r in iter_gold(gold_dir)}
    both = sorted(set(first) & set(second))
    a = [first[k] for k in both]
    b = [second[k] for k in both]
    entities = score_entities(a, b)
    relations = score_relations(a, b)
    # Relations whose two ends both annotators marked identically: agreement
    # on linking alone, not compounded with span disagreements.
    linking = score_relations(_shared_ends(a, b), _shared_ends(b, a))
    lines = [
        f"Rows annotated twice: {len(both)} ({sum(len(r['entities']) for r in a)} and "
        f"{sum(len(r['entities']) for r in b)} entities; {sum(len(r['relations']) for r in a)} and "
        f"{sum(len(r['relations']) for r in b)} relations).",
        "",
        "| entities | F1 strict | F1 partial |",
        "|---|---:|---:|",
    ]
    for label in (*LABELS, "micro"):
        s, p = entities["strict"][label], entities["partial"][label]
        lines.append(f"| {label} | {s['f']:.3f} | {p['f']:.3f} |")
    lines += ["", "| relations | F1 | F1 on shared ends |", "|---|---:|---:|"]
    for label in (*RELATION_LABELS, "micro"):
        lines.append(f"| {label} | {relations[label]['f']:.3f} | {linking[label]['f']:.3f} |")
    lines += [
        "",
        f"Role agreement on relations both made: {relations['role_accuracy']:.3f} "
        f"({relations['roles'].get('correct', 0)}/{relations['roles'].get('total', 0)}).",
    ]
    return "\n".join(lines) + "\n"


def _span(entity: dict) -> tuple:
    return (entity["cell"], entity["start"], entity["end"], entity["label"])


def _shared_ends(records: list[dict], others: list[dict]) -> list[dict]:
    """Keep the relations whose head and tail spans the other annotation also has."""
    out = []
    for record, other in zip(records, others, strict=True):
        keep = {_span(e) for e in other["entities"]}
        ids = {e["id"] for e in record["entities"] if _span(e) in keep}
        relations = [r for r in record["relations"] if r["head"] in ids and r["tail"] in ids]
        out.append({**record, "relations": relations})
    return out


def main(argv: list[str]) -> None:
    second = Path(argv[1]) if len(argv) > 1 else Path("annotations/agreement/second.jsonl")
    gold = Path(argv[2]) if len(argv) > 2 else Path("annotations/gold")
    print(agreement(second, gold))


if __name__ == "__main__":
    main(sys.argv)
