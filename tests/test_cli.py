"""Tests of the `tiendo` command line: every command has --help, errors are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nlp.cli import app

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"
runner = CliRunner()


def _commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_the_command_list_is_complete():
    assert ("read",) in COMMANDS
    assert ("annotations", "validate") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tiendo")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert len(result.output.strip().splitlines()) > 3


def test_read_jsonl_emits_one_record_per_row_with_provenance():
    result = runner.invoke(app, ["read", str(REPORT), "--format", "jsonl"])
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 376
    assert [r["row"] for r in records] == list(range(376))
    text = REPORT.read_text(encoding="utf-8")
    for record in records:
        assert record["entities"] == [] and record["relations"] == []
        for cell, segments in record["source"]["cells"].items():
            start, end, src_start, _ = segments[0]
            piece = record["cells"][cell][start:end]
            assert piece[:1] == text[src_start] or piece[:1] in "&<$"


def test_read_table_shows_the_rows():
    result = runner.invoke(app, ["read", str(REPORT), "--width", "40"])
    assert result.exit_code == 0
    assert "376 rows" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary\x00", "binary file"),
        ("Chỉ có văn bản, không có bảng.".encode(), "no table"),
    ],
)
def test_read_bad_input_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["read", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_extract_finds_the_models_from_any_folder(tmp_path, monkeypatch):
    # The default models are tiendo's own, not a "models" folder where the user stands.
    report = tmp_path / "report.csv"
    report.write_text(
        "Cá nhân được phân công,Nội dung nhiệm vụ,Kết quả thực hiện,Kế hoạch tiếp theo\n"
        '"Đồng chí Trần Ngọc Tam, Chủ tịch UBND tỉnh","Thực hiện dự án Cầu Rạch Miễu 2",'
        '"Đã giải ngân 812.898 tỷ đồng, đạt 96,8%.","Hoàn thành trong Quý I/2024"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["extract", str(report), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"MONEY", "PERCENT", "DATE"} <= {e["label"] for e in record["entities"]}


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_export_writes_the_format_its_file_name_says(tmp_path, report, example, suffix):
    from nlp.kb import KnowledgeBase

    records = [
        {"report": report.id, "row": r.index, "entities": [], "relations": []} for r in report.rows
    ]
    records[305] = example
    with KnowledgeBase(tmp_path / "kb.db") as kb:
        kb.ingest(report, records)
    output = tmp_path / f"facts.{suffix}"
    result = runner.invoke(app, ["export", str(output), "--db", str(tmp_path / "kb.db")])
    assert result.exit_code == 0, result.output
    if suffix == "json":
        facts = json.loads(output.read_text(encoding="utf-8"))["facts"]
        header = list(facts[0])
    elif suffix == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(output).worksheets[0]
        header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    else:
        header = output.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:3] == ["project", "relation", "role"]
