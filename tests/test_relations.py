"""Tests of the relation tagger: candidates, features, decoding, scoring, the baseline."""

from __future__ import annotations

import bisect
import json
from pathlib import Path

import pytest

from nlp.annotations import validate
from nlp.relations import (
    _BREAK,
    ROLE_C,
    TAIL_RELATION,
    RelationTagger,
    _between,
    _bullets,
    _gap,
    _row,
    _sentence,
    _words,
    candidates,
    choose_role_c,
    mentions,
    nearest_project_baseline,
    pair_features,
    score_relations,
)

ROOT = Path(__file__).parents[1]


def test_candidates_pair_each_project_with_every_tail_across_cells(example):
    pairs = [(h.id, t.id) for h, t in candidates(example)]
    # e1 PERSON is never a tail; e2 ORG (assignee), e4 STATUS, e5 DATE, e6 ORG (plan) are.
    assert pairs == [("e3", "e2"), ("e3", "e4"), ("e3", "e5"), ("e3", "e6")]


def _pair(record: dict, head: str, tail: str) -> dict:
    """`pair_features` of the entities `head` and `tail` (ids) of `record`."""
    found = mentions(record)
    by_id = {m.id: m for m in found}
    return pair_features(record, by_id[head], by_id[tail], found)


def test_pair_features_across_cells(example):
    features = _pair(example, "e3", "e5")
    assert features["tail=DATE"] == 1.0
    assert features["cells=task>result|DATE"] == 1.0
    assert features["no_project_in_tail_cell|task|DATE"] == 1.0
    assert features["nearest_before|DATE"] == 1.0
    assert "same_cell|DATE" not in features


_CELL = (
    "Cầu Rạch Miễu 2: đã khởi công ngày 9/02/2023; - đạt 96,8% khối lượng.\n"
    "+ Đường gom vào Cầu Rạch Miễu 2 (ĐT.DK.08): chậm tiến độ. - Quý I/2024"
)


@pytest.mark.parametrize(
    "text",
    [_CELL, "x. - y", "x.\n- y", "A;  B:\n-\nC", "İx. y"],
)
def test_gap_reads_the_whole_text_as_the_gap_alone_would(text):
    # Every (a, b), the ends inside words and across breaks ("x. - y":
    # ". " then " - " only when the gap starts at the space) included.
    for a in range(len(text) + 1):
        for b in range(len(text) + 1):
            gap = text[a:b] if a <= b else ""
            words = _words(gap)
            expected = (len(words), words if len(words) <= 12 else (), len(_BREAK.findall(gap)))
            assert _gap(text, a, b) == expected, (a, b)


def test_nearest_project_baseline(example):
    linked = nearest_project_baseline([example])[0]["relations"]
    # The assignee ORG comes before the project: the baseline leaves it out.
    assert [(r["head"], r["tail"], r["label"]) for r in linked] == [
        ("e3", "e4", "HAS_STATUS"),
        ("e3", "e5", "HAS_DATE"),
        ("e3", "e6", "INVOLVES"),
    ]


def test_score_relations_needs_both_ends_and_the_label(example):
    perfect = score_relations([example], [example])
    assert perfect["micro"]["f"] == 1.0 and perfect["role_accuracy"] == 1.0
    wrong_role = json.loads(json.dumps(example))
    wrong_role["relations"][1]["role"] = "start"
    scores = score_relations([example], [wrong_role])
    assert scores["micro"]["f"] == 1.0 and scores["role_accuracy"] == 0.0
    baseline = score_relations([example], nearest_project_baseline([example]))
    assert baseline["micro"]["tp"] == 3 and baseline["micro"]["fp"] == 0


def test_trained_tagger_gives_valid_relations(tiny_models, example):
    tagger = RelationTagger.load(tiny_models / "relations")
    relations = tagger.predict(example)
    record = {**example, "relations": relations}
    assert validate([record]) == []
    for relation in relations:
        if relation["label"] in ("HAS_AMOUNT", "HAS_DATE"):
            assert relation["role"]


def _two_project_row() -> dict:
    """A made-up row: two projects listed in the task, an amount and a date in the result."""
    task = "Dự án A: làm đường. Dự án B và Dự án C"
    result = "Vốn 10 tỷ đồng; xong ngày 01/01/2024"
    entities = [
        ("e1", "task", task.index("Dự án A"), "PROJECT"),
        ("e2", "task", task.index("Dự án B"), "PROJECT"),
        ("e3", "task", task.index("Dự án C"), "PROJECT"),
        ("e4", "result", result.index("10 tỷ đồng"), "MONEY", 10),
        ("e5", "result", result.index("ngày 01/01/2024"), "DATE", 15),
    ]
    cells = {"assignee": "", "task": task, "result": result, "plan": "", "notes": ""}
    out = []
    for entity_id, cell, start, label, *length in entities:
        end = start + (length[0] if length else 7)
        out.append(
            {
                "id": entity_id,
                "cell": cell,
                "start": start,
                "end": end,
                "label": label,
                "text": cells[cell][start:end],
            }
        )
    return {"report": "r", "row": 1, "section": "s", "cells": cells, "entities": out}


def test_decode_keeps_the_best_head_and_close_runners_up(tiny_models):
    tagger = RelationTagger.load(tiny_models / "relations")
    record = _two_project_row()
    pairs = candidates(record)
    by_pair = {("e1", "e4"): 0.9, ("e2", "e4"): 0.88, ("e3", "e4"): 0.2, ("e1", "e5"): 0.3}
    linked = [by_pair.get((h.id, t.id), 0.01) for h, t in pairs]

    def decoded(**config) -> set[tuple[str, str]]:
        tagger.config = {**tagger.config, **config}
        relations = tagger.decode(record, pairs, linked)
        assert all(r["role"] for r in relations)
        return {(r["head"], r["tail"]) for r in relations}

    assert decoded(threshold=0.25, ratio=0.95, one_head=False) == {
        ("e1", "e4"),
        ("e2", "e4"),
        ("e1", "e5"),
    }
    assert decoded(threshold=0.5, ratio=0.95, one_head=False) == {("e1", "e4"), ("e2", "e4")}
    assert decoded(threshold=0.25, ratio=0.0, one_head=True) == {("e1", "e4"), ("e1", "e5")}
    assert decoded(threshold=0.1, ratio=0.0, one_head=False) == {
        ("e1", "e4"),
        ("e2", "e4"),
        ("e3", "e4"),
        ("e1", "e5"),
    }


def test_pair_features_see_marks_sentences_and_a_sole_project():
    record = _two_project_row()
    features = _pair(record, "e1", "e4")
    # "Dự án A:" is followed by a colon and is the first of three projects.
    assert features["head_then=:|other"] == 1.0
    assert features["head_rank=first|task|MONEY"] == 1.0
    assert features["tail_then=;|MONEY"] == 1.0
    assert features["other_cell|False|other"] == 1.0
    single = {**record, "entities": [e for e in record["entities"] if e["id"] not in ("e2", "e3")]}
    features = _pair(single, "e1", "e5")
    assert features["sole_in_cell=task>result|row=1|DATE"] == 1.0


def _list_row() -> dict:
    """A row whose task cell lists projects under marks, across sentences (from `_CELL`)."""
    task = _CELL
    spans = [
        ("e1", task.index("Cầu Rạch Miễu 2"), 15, "PROJECT"),
        ("e2", task.index("9/02/2023"), 9, "DATE"),
        ("e3", task.index("96,8%"), 5, "PERCENT"),
        ("e4", task.index("Đường gom"), 29, "PROJECT"),
        ("e5", task.index("chậm tiến độ"), 12, "STATUS"),
        ("e6", task.index("Quý I/2024"), 10, "DATE"),
    ]
    cells = {"assignee": "", "task": task, "result": "", "plan": "", "notes": ""}
    entities = [
        {"id": i, "cell": "task", "start": s, "end": s + n, "label": label, "text": task[s : s + n]}
        for i, s, n, label in spans
    ]
    return {"report": "r", "row": 2, "section": "s", "cells": cells, "entities": entities}


def _rows_with_many_projects() -> list[dict]:
    from nlp.annotations import iter_gold

    many = [
        r
        for _, r in iter_gold(ROOT / "annotations" / "gold")
        if sum(e["label"] == "PROJECT" for e in r["entities"]) > 2
    ]
    return [_list_row(), _two_project_row(), *many[:15]]


def test_row_findings_equal_the_naive_reading():
    # What `_row` finds once per row, against each pair's own reading of it.
    for record in _rows_with_many_projects():
        cells = record["cells"]
        found = mentions(record)
        projects = [m for m in found if m.label == "PROJECT"]
        row = _row(record, found, None)
        for i, head in enumerate(projects):
            h = row.heads[head.id]
            assert h.position == i
            assert h.sentence == _sentence(cells[head.cell], head.start)
            assert h.n_in_cell == sum(m.cell == head.cell for m in projects)
            marks = _bullets(cells[head.cell])
            assert list(h.items) == list(marks)
            for mark, starts in marks.items():
                seg = bisect.bisect_left(starts, head.start)
                others = [
                    m
                    for m in projects
                    if m.cell == head.cell
                    and m != head
                    and bisect.bisect_left(starts, m.start) == seg
                ]
                first = not any(m.order < head.order for m in others)
                assert h.items[mark] == (seg, first, not others)
        for tail in (m for m in found if m.label in TAIL_RELATION):
            t = row.tail(tail)
            in_cell = [m for m in projects if m.cell == tail.cell]
            sentence = _sentence(cells[tail.cell], tail.start)
            assert t.sentence == sentence
            assert t.split == sum(m.order < tail.order for m in projects)
            assert t.n_in_cell == len(in_cell)
            assert t.n_in_sentence == sum(
                _sentence(cells[m.cell], m.start) == sentence for m in in_cell
            )
            closest = min(in_cell, key=lambda m: abs(m.start - tail.start), default=None)
            assert t.closest == (projects.index(closest) if closest else -1)
            for mark, starts in _bullets(cells[tail.cell]).items():
                assert t.items[mark] == bisect.bisect_left(starts, tail.start)
        orders = sorted(m.order for m in found)
        for lo in orders:
            for hi in orders:
                assert _between(orders, lo, hi) == sum(lo < o < hi for o in orders)


def test_pair_features_read_list_items_and_sentences():
    record = _list_row()
    features = _pair(record, "e1", "e2")
    assert features["breaks=1|DATE"] == 1.0  # "Cầu Rạch Miễu 2: đã khởi công ngày …"
    assert features["between=khởi"] == 1.0
    assert features["closest_in_cell=True|many|DATE"] == 1.0
    assert features["bullet+|same=True|first=True|DATE"] == 1.0
    assert features["nearest_before|DATE"] == 1.0
    features = _pair(record, "e1", "e5")
    # "+ Đường gom vào …" opens the item that holds the status, not Cầu Rạch Miễu 2's.
    assert features["bullet+|same=False|alone=True"] == 1.0
    assert features["projects_between=1|STATUS"] == 1.0
    assert features["closest_in_cell=False|many|STATUS"] == 1.0
    assert "nearest_before|STATUS" not in features
    features = _pair(record, "e4", "e5")
    assert features["nearest_before|STATUS"] == 1.0
    assert features["head_rank=last|task|STATUS"] == 1.0
    assert _pair(record, "e1", "e6")["same_label_between=1|DATE"] == 1.0


def test_link_proba_matches_one_example_at_a_time(tiny_models, example):
    tagger = RelationTagger.load(tiny_models / "relations")
    found = mentions(example)
    features = [pair_features(example, h, t, found) for h, t in candidates(example)]
    features += [{}, {"not a feature": 1.0, "tail=DATE": 0.5}]
    many = tagger.link_proba(features)
    assert many == pytest.approx([tagger.link.proba(f)["1"] for f in features], abs=1e-12)


def test_choose_role_c_returns_a_grid_value_and_an_accuracy():
    from tests.conftest import gold_sample

    records = gold_sample(20)
    if not records:
        return
    c, accuracy = choose_role_c(records, folds=2)
    assert c in ROLE_C and 0.0 <= accuracy <= 1.0


@pytest.mark.parametrize(
    ("text", "tail", "nearest", "absent"),
    [
        # row 7 of the bundled report
        (
            "chấp thuận phương án tổng thể với kinh phí là 812.898 tỷ đồng.",
            "812.898 tỷ đồng",
            "cost",
            "submission",
        ),
        ("Gói thầu số 01 đã khởi công ngày 9/02/2023.", "ngày 9/02/2023", "start", "approval"),
        # the nearest cue wins over earlier ones
        ("Giải ngân vốn đạt 96,8%", "96,8%", "progress", "submission"),
        ("Các hộ đã nhận tiền, giá trị giải ngân 96,8%", "96,8%", "disbursed", "cost"),
        (
            "Đã trình UBND tỉnh. Dự kiến hoàn thành Quý I/2024",
            "Quý I/2024",
            "completion",
            "submission",
        ),
    ],
)
def test_role_features_read_the_schema_cues_of_the_sentence(text, tail, nearest, absent):
    from nlp.relations import Mention, role_features

    start = text.index(tail)
    label = "DATE" if "/" in tail and "tỷ" not in tail else "MONEY"
    if tail.endswith("%"):
        label = "PERCENT"
    record = {"cells": {"result": text}}
    head = Mention("e1", "task", 0, 5, "PROJECT", "Cầu X")
    features = role_features(record, head, Mention("e2", "result", start, len(text), label, tail))
    assert f"nearest_cue={nearest}|{label}" in features
    assert not any(name.startswith(f"cue={absent}|") for name in features)
