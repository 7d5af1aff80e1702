"""Tests of the knowledge base: migrations, ingestion, resolution, status, queries."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest

from nlp.kb import MIGRATIONS, KnowledgeBase, KnowledgeBaseError, project_key, same_project
from nlp.reader import parse_report

ROOT = Path(__file__).parents[1]


def _row_record(report, index: int, entities: list[tuple], relations: list[tuple]) -> dict:
    """A record of row `index` with entities given as (id, cell, text, label, value)."""
    row = report.rows[index]
    out = []
    for eid, cell, text, label, value in entities:
        start = row.text(cell).index(text)
        entity = {
            "id": eid,
            "cell": cell,
            "start": start,
            "end": start + len(text),
            "label": label,
            "text": text,
        }
        if value is not None:
            entity["value"] = value
        out.append(entity)
    rels = [
        {"head": h, "tail": t, "label": lab, **({"role": role} if role else {})}
        for h, t, lab, role in relations
    ]
    return {
        "report": report.id,
        "row": index,
        "section": row.section,
        "cells": {},
        "entities": out,
        "relations": rels,
    }


def _empty_records(report) -> list[dict]:
    return [
        {"report": report.id, "row": r.index, "entities": [], "relations": []} for r in report.rows
    ]


@pytest.fixture
def records(report, example):
    out = _empty_records(report)
    out[305] = example
    # Row 300 (a real row): the bridge's site clearance is held up.
    row = report.rows[300]
    text = row.text("result")
    assert "cầu Rạch Miễu 2" in text
    out[300] = _row_record(
        report,
        300,
        [
            ("e1", "result", "cầu Rạch Miễu 2", "PROJECT", None),
            ("e2", "result", "98%", "PERCENT", {"amount": 98, "unit": "%"}),
        ],
        [("e1", "e2", "HAS_AMOUNT", "cleared")],
    )
    return out


@pytest.fixture
def kb(tmp_path):
    with KnowledgeBase(tmp_path / "kb.db") as base:
        yield base


def test_a_new_database_is_migrated_to_the_latest_version(kb):
    assert kb.version == MIGRATIONS[-1][0]
    tables = {r[0] for r in kb.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "reports",
        "rows",
        "projects",
        "aliases",
        "mentions",
        "facts",
        "project_status",
        "people",
        "offices",
        "organizations",
    } <= tables


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 999").connection.commit()
    with pytest.raises(KnowledgeBaseError, match="newer than this tiendo"):
        KnowledgeBase(path)


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(KnowledgeBaseError):
        KnowledgeBase(path)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dự án Cầu Rạch Miễu 2", "cầu rạch miễu 2"),
        ("Dự án đầu tư xây dựng cơ sở hạ tầng KCN Phú Thuận", "khu công nghiệp phú thuận"),
        ("CCN Phong Nẫm", "cụm công nghiệp phong nẫm"),
        ("Khu đô thị mới Tây Bắc", "khu đô thị mới tây bắc"),
        ("Bệnh viện đa khoa tỉnh Bến Tre", "bệnh viện đa khoa tỉnh bến tre"),
    ],
)
def test_project_key(name, key):
    assert project_key(name) == key


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Cầu Rạch Miễu 2", "Cầu rạch Miếu 2", True),
        ("Cầu Rạch Miễu 2", "Dự án Cầu Rạch Miễu 2", True),
        ("KCN Phú Thuận", "Khu công nghiệp Phú Thuận", True),
        ("Cầu Rạch Miễu 2", "Đường gom vào Cầu Rạch Miễu 2", False),
        ("Cầu Ba Lai 8", "Cầu Ba Lai 6", False),
        ("Khu công nghiệp Phú Thuận", "Khu tái định cư phục vụ khu công nghiệp Phú Thuận", False),
    ],
)
def test_same_project(a, b, same):
    assert same_project(project_key(a), project_key(b), threshold=0.9) is same


def test_ingest_stores_rows_mentions_facts_with_evidence(kb, report, records):
    result = kb.ingest(report, records)
    assert (result.status, result.rows, result.mentions, result.facts) == ("ingested", 376, 8, 4)
    facts = kb.facts(kb.find_projects("Trung tâm chính trị hành chính huyện Mỏ Cày Nam")[0]["id"])
    completion = next(f for f in facts if f["relation"] == "HAS_DATE")
    assert completion["role"] == "completion"
    assert completion["value"] == {"start": "2023-05-05", "end": "2023-05-05"}
    assert (
        completion["evidence"]
        == "Công trình đã hoàn thành bàn giao đưa vào sử dụng ngày 05/5/2023."
    )
    assert completion["source"] == {
        "report": report.id,
        "row": 305,
        "cell": "result",
        "start": 50,
        "end": 64,
    }
    start, end = kb.db.execute(
        "SELECT source_start, source_end FROM mentions WHERE text = 'ngày 05/5/2023'"
    ).fetchone()
    assert report.text[start:end] == "ngày 05/5/2023"


def test_second_ingestion_is_a_no_op(kb, report, records):
    kb.ingest(report, records)
    before = kb.dump()
    assert kb.ingest(report, records).status == "unchanged"
    assert kb.dump() == before


def test_a_changed_report_replaces_its_facts(kb, report, records):
    kb.ingest(report, records)
    changed = parse_report(
        report.text.replace("đã hoàn thành bàn giao", "đã hoàn thành và bàn giao"),
        report.id,
        report.path,
    )
    row = changed.rows[305]
    new = copy.deepcopy(records)
    new[305] = _row_record(
        changed,
        305,
        [
            ("e1", "task", "Trung tâm chính trị hành chính huyện Mỏ Cày Nam", "PROJECT", None),
            ("e2", "result", "đã hoàn thành và bàn giao", "STATUS", "completed"),
        ],
        [("e1", "e2", "HAS_STATUS", None)],
    )
    assert row.text("result").startswith("Công trình đã hoàn thành và bàn giao")
    assert kb.ingest(changed, new).status == "replaced"
    assert kb.counts()["reports"] == 1
    assert kb.counts()["facts"] == 2
    texts = {r[0] for r in kb.db.execute("SELECT text FROM facts")}
    assert texts == {"đã hoàn thành và bàn giao", "98%"}


def test_ingestion_is_atomic(kb, report, records):
    kb.ingest(report, records)
    before = kb.dump()
    broken = parse_report(report.text + "\n", report.id, report.path)
    bad = copy.deepcopy(records)
    bad[10]["entities"] = [
        {"id": "e1", "cell": "nowhere", "start": 0, "end": 3, "label": "ORG", "text": "abc"}
    ]
    with pytest.raises(KeyError):
        kb.ingest(broken, bad)
    assert kb.dump() == before


def test_status_as_of_the_report_with_evidence(kb, report, records):
    kb.ingest(report, records)
    completed = kb.projects(status="completed")
    assert [p["name"] for p in completed] == ["Trung tâm chính trị hành chính huyện Mỏ Cày Nam"]
    assert completed[0]["as_of"] == "2023-12-01"
    assert completed[0]["evidence"].startswith("Công trình đã hoàn thành")
    assert kb.projects(delayed=True) == []


# Row 7 of the report with a project and a deadline of 30/6/2023, a date
# before the report's date, 1/12/2023.
_DEADLINE_ROW = (
    ("e1", "task", "dự án Cầu rạch Miếu 2", "PROJECT", None),
    (
        "e2",
        "task",
        "đúng tiến độ theo kế hoạch",
        "DATE",
        {"start": "2023-06-30", "end": "2023-06-30"},
    ),
)


def test_a_passed_deadline_without_completion_is_delayed(kb, report):
    records = _empty_records(report)
    records[7] = _row_record(
        report,
        7,
        list(_DEADLINE_ROW),
        [("e1", "e2", "HAS_DATE", "deadline")],
    )
    kb.ingest(report, records)
    delayed = kb.projects(delayed=True)
    assert [p["name"] for p in delayed] == ["dự án Cầu rạch Miếu 2"]
    assert delayed[0]["reason"] == "deadline 2023-06-30 passed before 2023-12-01"


@pytest.mark.parametrize(
    ("status", "delayed"),
    [("in_progress", False), ("completed", False), ("not_started", True), (None, True)],
)
def test_a_passed_deadline_of_a_project_stated_on_track_is_not_delayed(kb, report, status, delayed):
    # D31: a stated "in progress" (no sign of lateness) or "completed" wins
    # over lateness inferred from a passed deadline; "not started" does not.
    row = report.rows[7]
    state = "Đang triển khai thi công"
    assert state in row.text("result")
    entities = list(_DEADLINE_ROW)
    relations = [("e1", "e2", "HAS_DATE", "deadline")]
    if status:
        entities.append(("e3", "result", state, "STATUS", status))
        relations.append(("e1", "e3", "HAS_STATUS", None))
    records = _empty_records(report)
    records[7] = _row_record(report, 7, entities, relations)
    kb.ingest(report, records)
    (project,) = kb.projects()
    assert project["delayed"] is delayed
    assert project["status"] == (status or "delayed")
    if delayed:
        assert project["reason"] == "deadline 2023-06-30 passed before 2023-12-01"
    else:
        assert project["reason"] == "stated in the report"
        assert project["evidence"].startswith(state)


def test_mentions_of_one_project_become_one_project(kb, report, records):
    # Row 7 writes the typo "Miếu" with another case: one project all the same.
    records[7] = _row_record(
        report,
        7,
        [("e1", "result", "Cầu Rạch Miếu 2", "PROJECT", None)],
        [],
    )
    kb.ingest(report, records)
    names = [p["name"] for p in kb.projects()]
    assert sum("Rạch Miễu 2" in n or "Rạch Miếu 2" in n for n in names) == 1
