"""Gold annotation records: load, resolve drafts, validate, count.

A record is one table row in the format of the annotation schema
(`annotations/GUIDELINES.md`): the row's cells, its entities with character
offsets into a cell, and relations from a PROJECT to another entity.

Annotators may write a *draft*: entities given by their text only, in reading
order per cell. `resolve_draft` finds each text in its cell (after the end of
the previous entity of that cell) and fills `start`, `end` and the row's
cells from the project's reader, so gold offsets always match the reader.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from nlp.errors import TiendoError
from nlp.reader import CELLS, NOTES, Report

LABELS = (
    "PROJECT",
    "ORG",
    "PERSON",
    "LOC",
    "MONEY",
    "QUANTITY",
    "PERCENT",
    "DATE",
    "DOC",
    "STATUS",
)
"""The ten entity labels of the schema."""

STATUS_VALUES = ("completed", "in_progress", "delayed", "blocked", "not_started", "not_achieved")
"""The values a STATUS entity takes."""

RELATIONS: dict[str, tuple[str, ...]] = {
    "HAS_STATUS": ("STATUS",),
    "HAS_AMOUNT": ("MONEY", "QUANTITY", "PERCENT"),
    "HAS_DATE": ("DATE",),
    "LOCATED_IN": ("LOC",),
    "INVOLVES": ("ORG",),
}
"""Relation label → the labels its tail may have (the head is a PROJECT)."""

ROLES: dict[str, tuple[str, ...]] = {
    "HAS_AMOUNT": ("cost", "disbursed", "progress", "cleared", "size", "other"),
    "HAS_DATE": ("start", "completion", "deadline", "approval", "submission", "other"),
}
"""Relation label → its roles; a relation not listed here takes no role."""

ALL_CELLS = (*CELLS, NOTES)


class AnnotationError(TiendoError):
    """An annotation file cannot be read or a draft cannot be resolved."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation failure: where it is and what is wrong."""

    file: str
    row: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:row {self.row}" if self.row is not None else self.file
        return f"{where}: {self.reason}"


def read_records(path: str | Path) -> list[dict]:
    """Read a JSONL file of records; return them as dicts, in file order.

    Raises `AnnotationError` naming the line of a record that is not JSON.
    """
    path = Path(path)
    records = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise AnnotationError(f"{path}: cannot read ({error})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise AnnotationError(f"{path}:{number}: not JSON ({error.msg})") from None
    return records


def write_records(records: Iterable[dict], path: str | Path) -> None:
    """Write `records` to `path` as JSONL, one record a line, UTF-8."""
    with Path(path).open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def gold_files(path: str | Path) -> list[Path]:
    """Return the `.jsonl` files under `path` (itself if it is one), sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise AnnotationError(f"{path}: no such file or folder")
    return sorted(path.rglob("*.jsonl"))


def iter_gold(path: str | Path) -> Iterator[tuple[Path, dict]]:
    """Yield `(file, record)` for every record under `path`."""
    for file in gold_files(path):
        for record in read_records(file):
            yield file, record


def resolve_draft(draft: dict, report: Report) -> dict:
    """Turn a draft row (entity texts, no offsets) into a gold record.

    Takes a draft `{"row": n, "entities": [{"id", "cell", "text", "label",
    "value"?, "start"?}], "relations": [...], "reviewed"?}` and the `Report`
    its row comes from. Entities of one cell are found in reading order: each
    text is searched from the end of the previous entity of its cell (an
    explicit `start` wins). Returns the schema record with the row's cells.
    Raises `AnnotationError` when a text is not in its cell.
    """
    index = draft["row"]
    if not 0 <= index < len(report.rows):
        raise AnnotationError(f"row {index}: the report has {len(report.rows)} rows")
    row = report.rows[index]
    cells = {name: row.text(name) for name in ALL_CELLS if row.text(name)}
    cursor: dict[str, int] = {}
    entities = []
    for entity in draft.get("entities", []):
        cell = entity.get("cell")
        text = entity.get("text", "")
        if cell not in cells:
            raise AnnotationError(f"row {index}: {entity.get('id')}: no cell {cell!r} in this row")
        if "start" in entity:
            start = entity["start"]
        else:
            start = cells[cell].find(text, cursor.get(cell, 0))
            if start < 0:
                start = cells[cell].find(text)
        if start < 0 or not text or cells[cell][start : start + len(text)] != text:
            raise AnnotationError(
                f"row {index}: {entity.get('id')}: {text!r} is not in the {cell} cell"
            )
        end = start + len(text)
        cursor[cell] = end
        resolved = {
            "id": entity["id"],
            "cell": cell,
            "start": start,
            "end": end,
            "label": entity["label"],
            "text": text,
        }
        if "value" in entity:
            resolved["value"] = entity["value"]
        entities.append(resolved)
    # Gold keeps entities in reading order, whatever order the draft listed them in.
    order = {cell: i for i, cell in enumerate(ALL_CELLS)}
    entities.sort(key=lambda e: (order[e["cell"]], e["start"]))
    record = {
        "report": report.id,
        "row": index,
        "section": row.section,
        "cells": cells,
        "entities": entities,
        "relations": draft.get("relations", []),
    }
    if draft.get("reviewed"):
        record["reviewed"] = True
    return record


def validate(
    records: Iterable[dict], file: str = "<records>", predictions: bool = False
) -> list[Problem]:
    """Check records against the schema; return every problem found.

    With `predictions=True` a value may be null or absent: a predicted
    mention whose text the normalizers could not read has no value rather
    than a wrong one, and CoNLL imports carry none.

    Checks: entity text equals the cell slice, spans inside their cell and
    not overlapping, known labels, values present and parseable for the
    labels that carry one, unique ids, relation ends that exist with the
    labels the relation takes, and roles exactly where the relation has them.
    """
    problems: list[Problem] = []
    seen_rows: set[tuple[str, int]] = set()
    for record in records:
        row = record.get("row")

        def fail(reason: str, row: int | None = row) -> None:
            problems.append(Problem(file, row, reason))

        key = (record.get("report"), row)
        if key in seen_rows:
            fail("the row appears twice")
        seen_rows.add(key)
        cells = record.get("cells", {})
        by_id: dict[str, dict] = {}
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for entity in record.get("entities", []):
            eid = entity.get("id")
            if eid in by_id:
                fail(f"{eid}: duplicate entity id")
            by_id[eid] = entity
            label = entity.get("label")
            if label not in LABELS:
                fail(f"{eid}: unknown label {label!r}")
            cell = entity.get("cell")
            if cell not in cells:
                fail(f"{eid}: no cell {cell!r}")
                continue
            start, end = entity.get("start"), entity.get("end")
            if not (isinstance(start, int) and isinstance(end, int)) or not (
                0 <= start < end <= len(cells[cell])
            ):
                fail(f"{eid}: bad offsets {start}:{end}")
                continue
            if cells[cell][start:end] != entity.get("text"):
                fail(f"{eid}: text {entity.get('text')!r} != cell slice {cells[cell][start:end]!r}")
            spans.setdefault(cell, []).append((start, end, eid))
            value = entity.get("value", _MISSING)
            unvalued = value is None or value is _MISSING
            reason = None if predictions and unvalued else _value_problem(label, value)
            if reason:
                fail(f"{eid} ({label}): {reason}")
        for cell_spans in spans.values():
            cell_spans.sort()
            for (_, end, a), (start, _, b) in itertools.pairwise(cell_spans):
                if start < end:
                    fail(f"{a} and {b} overlap")
        for relation in record.get("relations", []):
            _check_relation(relation, by_id, fail)
    return problems


_MISSING = object()


def _value_problem(label: str, value: object) -> str | None:
    if label in ("PROJECT", "ORG", "PERSON", "LOC"):
        return None if value is _MISSING or value is None else "takes no value"
    if value is _MISSING or value is None:
        return "value missing"
    if label == "STATUS":
        return None if value in STATUS_VALUES else f"status value {value!r} not in {STATUS_VALUES}"
    if not isinstance(value, dict):
        return f"value {value!r} is not an object"
    if label in ("MONEY", "QUANTITY", "PERCENT"):
        if not _is_number(value.get("amount")):
            return "amount is not a number"
        if "total" in value and not _is_number(value["total"]):
            return "total is not a number"
        unit = value.get("unit")
        if not isinstance(unit, str) or not unit:
            return "unit missing"
        if label == "MONEY" and not (len(unit) == 3 and unit.isupper()):
            return f"money unit {unit!r} is not a currency code such as VND"
        if label == "PERCENT" and unit != "%":
            return f"percent unit {unit!r} is not %"
        return None
    if label == "DATE":
        try:
            start = date.fromisoformat(value["start"])
            end = date.fromisoformat(value["end"])
        except (KeyError, TypeError, ValueError):
            return "start and end must be ISO dates"
        return None if start <= end else "start is after end"
    if label == "DOC":
        if not (isinstance(value.get("type"), str) and isinstance(value.get("number"), str)):
            return "type and number must be strings"
        return None
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_relation(relation: dict, by_id: dict[str, dict], fail) -> None:
    label = relation.get("label")
    head, tail = by_id.get(relation.get("head")), by_id.get(relation.get("tail"))
    name = f"{relation.get('head')}→{relation.get('tail')} {label}"
    if label not in RELATIONS:
        fail(f"{name}: unknown relation")
        return
    if head is None or tail is None:
        fail(f"{name}: an end is not an entity of this row")
        return
    if head.get("label") != "PROJECT":
        fail(f"{name}: head is {head.get('label')}, not PROJECT")
    if tail.get("label") not in RELATIONS[label]:
        fail(f"{name}: tail is {tail.get('label')}, expected one of {RELATIONS[label]}")
    role = relation.get("role")
    if label in ROLES:
        if role not in ROLES[label]:
            fail(f"{name}: role {role!r} not in {ROLES[label]}")
    elif role is not None:
        fail(f"{name}: takes no role")


def stats(records: Iterable[dict]) -> dict[str, Counter]:
    """Count labels, relations, roles, status values, sections and rows.

    Returns a dict of `Counter`s keyed "labels", "relations", "roles",
    "status", "sections" and "totals".
    """
    out = {key: Counter() for key in ("labels", "relations", "roles", "status", "sections")}
    totals: Counter = Counter()
    for record in records:
        totals["rows"] += 1
        totals["reviewed"] += bool(record.get("reviewed"))
        out["sections"][f"{record.get('report')}#{record.get('section')}"] += 1
        for entity in record.get("entities", []):
            totals["entities"] += 1
            out["labels"][entity["label"]] += 1
            if entity["label"] == "STATUS":
                out["status"][str(entity.get("value"))] += 1
        for relation in record.get("relations", []):
            totals["relations"] += 1
            out["relations"][relation["label"]] += 1
            if relation.get("role"):
                out["roles"][f"{relation['label']}:{relation['role']}"] += 1
    out["totals"] = totals
    return out
