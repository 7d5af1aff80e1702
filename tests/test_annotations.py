"""Tests of gold-record tools: resolving drafts, validation, counts, CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.annotations import (
    AnnotationError,
    read_records,
    resolve_draft,
    stats,
    validate,
    write_records,
)
from nlp.cli import app

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"
DRAFT = Path(__file__).parent / "fixtures" / "schema_example_draft.jsonl"


def test_resolving_the_schema_example_gives_the_schema_offsets(example):
    spans = [(e["id"], e["cell"], e["start"], e["end"]) for e in example["entities"]]
    assert spans == [
        ("e1", "assignee", 9, 21),
        ("e2", "assignee", 32, 104),
        ("e3", "task", 53, 100),
        ("e4", "result", 11, 49),
        ("e5", "result", 50, 64),
        ("e6", "plan", 0, 12),
    ]
    assert example["reviewed"] is True
    assert validate([example]) == []


def test_resolve_finds_repeated_text_in_reading_order(report):
    row = report.rows[1]
    draft = {
        "row": 1,
        "entities": [
            {"id": "e1", "cell": "result", "text": "Ban Thường vụ Tỉnh ủy", "label": "ORG"},
            {"id": "e2", "cell": "result", "text": "Ban Thường vụ Tỉnh ủy", "label": "ORG"},
        ],
    }
    first, second = resolve_draft(draft, report)["entities"]
    text = row.text("result")
    assert first["start"] == text.find("Ban Thường vụ Tỉnh ủy")
    assert second["start"] == text.find("Ban Thường vụ Tỉnh ủy", first["end"])


def test_resolve_refuses_text_not_in_its_cell(report):
    draft = {
        "row": 0,
        "entities": [{"id": "e1", "cell": "task", "text": "Cầu Mỹ Thuận", "label": "PROJECT"}],
    }
    with pytest.raises(AnnotationError, match="not in the task cell"):
        resolve_draft(draft, report)


def _broken(example, change):
    record = copy.deepcopy(example)
    change(record)
    return [p.reason for p in validate([record])]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r["entities"][0].update(text="Bùi Văn"), "!= cell slice"),
        (lambda r: r["entities"][0].update(label="PEOPLE"), "unknown label"),
        (lambda r: r["entities"][1].update(start=15), "overlap"),
        (lambda r: r["entities"][3].update(value="done"), "status value"),
        (lambda r: r["entities"][4].update(value={"start": "2023-05-05"}), "ISO dates"),
        (lambda r: r["entities"][4].pop("value"), "value missing"),
        (lambda r: r["entities"][2].update(value="x"), "takes no value"),
        (lambda r: r["relations"][1].pop("role"), "role None"),
        (lambda r: r["relations"][0].update(role="cost"), "takes no role"),
        (lambda r: r["relations"][0].update(head="e1"), "head is PERSON"),
        (lambda r: r["relations"][2].update(tail="e5"), "tail is DATE"),
        (lambda r: r["relations"][2].update(tail="e9"), "not an entity"),
        (lambda r: r["entities"][5].update(end=99), "bad offsets"),
    ],
)
def test_validate_catches(example, change, reason):
    reasons = _broken(example, change)
    assert any(reason in r for r in reasons), reasons


def test_validate_checks_money_and_quantity_values(example):
    record = copy.deepcopy(example)
    record["cells"]["result"] = "Giải ngân 993.195/1.240.032 triệu đồng, đạt 80,1 %."
    record["entities"] = [
        {
            "id": "m",
            "cell": "result",
            "start": 10,
            "end": 38,
            "label": "MONEY",
            "text": "993.195/1.240.032 triệu đồng",
            "value": {"amount": 993195000000, "total": 1240032000000, "unit": "VND"},
        },
        {
            "id": "p",
            "cell": "result",
            "start": 44,
            "end": 50,
            "label": "PERCENT",
            "text": "80,1 %",
            "value": {"amount": "80,1", "unit": "%"},
        },
    ]
    record["relations"] = []
    assert [p.reason for p in validate([record])] == ["p (PERCENT): amount is not a number"]


def test_stats_counts(example):
    counts = stats([example])
    assert counts["totals"] == {"rows": 1, "reviewed": 1, "entities": 6, "relations": 3}
    assert counts["labels"] == {"ORG": 2, "PERSON": 1, "PROJECT": 1, "STATUS": 1, "DATE": 1}
    assert counts["status"] == {"completed": 1}
    assert counts["roles"] == {"HAS_DATE:completion": 1}


def test_records_round_trip_through_jsonl(tmp_path, example):
    write_records([example], tmp_path / "gold.jsonl")
    assert read_records(tmp_path / "gold.jsonl") == [example]


def test_cli_validate_exit_codes(tmp_path, example):
    runner = CliRunner()
    good = tmp_path / "good.jsonl"
    write_records([example], good)
    assert runner.invoke(app, ["annotations", "validate", str(good)]).exit_code == 0
    bad = copy.deepcopy(example)
    bad["entities"][0]["text"] = "Bùi"
    write_records([bad], tmp_path / "bad.jsonl")
    result = runner.invoke(app, ["annotations", "validate", str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 1
    assert "row 305: e1: text 'Bùi'" in result.output


def test_cli_resolve_writes_gold(tmp_path):
    out = tmp_path / "gold.jsonl"
    result = CliRunner().invoke(
        app, ["annotations", "resolve", str(DRAFT), "--report", str(REPORT), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["entities"][2]["start"] == 53


def test_bundled_gold_is_valid():
    gold = ROOT / "annotations" / "gold"
    files = sorted(gold.glob("*.jsonl"))
    if not files:
        pytest.skip("no gold annotations yet")
    problems = [p for f in files for p in validate(read_records(f), str(f))]
    assert problems == []
