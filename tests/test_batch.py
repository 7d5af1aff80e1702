"""Tests of batch ingestion: globs, folders, bad files that never cost data, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.batch import expand, ingest_paths
from nlp.cli import app
from nlp.kb import KnowledgeBase

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def kb(tmp_path):
    with KnowledgeBase(tmp_path / "kb.db") as base:
        yield base


def _bad_files(folder: Path) -> dict[str, str]:
    """A bad file of each kind, and a word its one-line reason holds."""
    folder.mkdir(exist_ok=True)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "truncated.docx").write_bytes(b"PK\x03\x04broken")
    (folder / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (folder / "nocolumns.html").write_text("<script>x()</script><table><tr><td>a</td></tr></table>")
    return {
        "empty.txt": "empty",
        "binary.txt": "binary",
        "truncated.docx": "truncated",
        "locked.xlsx": "password",
        "nocolumns.html": "no table",
    }


def test_expand_files_folders_globs(tmp_path):
    for name in ("a.txt", "b.md", "c.docx", "notes.pdf"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.csv").write_text("x")
    files, missing = expand(
        [
            tmp_path / "a.txt",
            str(tmp_path / "*.md"),
            tmp_path / "sub",
            tmp_path / "a.txt",
            tmp_path / "nothing.txt",
            str(tmp_path / "*.zzz"),
        ]
    )
    assert [f.name for f in files] == ["a.txt", "b.md", "d.csv"]
    assert [reason for _, reason in missing] == [
        "no such file or folder",
        "pattern matches no file",
    ]


def test_a_batch_goes_on_past_bad_files_and_keeps_the_kb(tmp_path, kb, tiny_models):
    good = FIXTURES / "continued_assignee.txt"
    first = ingest_paths([good], kb, tiny_models, jobs=1, progress=False)
    assert first.ingested == ["continued_assignee"] and not first.failed
    before = kb.dump()
    reasons = _bad_files(tmp_path / "bad")
    summary = ingest_paths([tmp_path / "bad", good], kb, tiny_models, jobs=1, progress=False)
    assert summary.unchanged == ["continued_assignee"]
    failed = dict((Path(p).name, why) for p, why in summary.failed)
    assert set(failed) == set(reasons)
    for name, word in reasons.items():
        assert word in failed[name]
        assert "\n" not in failed[name]
    assert kb.dump() == before


def test_two_jobs_store_the_same_as_one(tmp_path, tiny_models):
    files = [
        FIXTURES / "continued_assignee.txt",
        FIXTURES / "page_break.txt",
        FIXTURES / "shifted_cells.txt",
    ]
    with KnowledgeBase(tmp_path / "one.db") as one, KnowledgeBase(tmp_path / "two.db") as two:
        ingest_paths(files, one, tiny_models, jobs=1, progress=False)
        ingest_paths(files, two, tiny_models, jobs=2, progress=False)
        assert sorted(one.counts().items()) == sorted(two.counts().items())
        assert {p["name"] for p in one.projects()} == {p["name"] for p in two.projects()}


def test_cli_ingest_exit_codes_and_summary(tmp_path, tiny_models):
    runner = CliRunner()
    db = tmp_path / "kb.db"
    good = FIXTURES / "continued_assignee.txt"
    result = runner.invoke(
        app, ["ingest", str(good), "--db", str(db), "--models", str(tiny_models), "-j", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "1 ingested, 0 replaced, 0 unchanged, 0 failed" in result.output
    again = runner.invoke(
        app, ["ingest", str(good), "--db", str(db), "--models", str(tiny_models), "-j", "1"]
    )
    assert "0 ingested, 0 replaced, 1 unchanged, 0 failed" in again.output
    _bad_files(tmp_path / "bad")
    bad = runner.invoke(
        app,
        [
            "ingest",
            str(tmp_path / "bad" / "empty.txt"),
            "--db",
            str(db),
            "--models",
            str(tiny_models),
            "-j",
            "1",
        ],
    )
    assert bad.exit_code == 1
    assert "failed: " in bad.output and "empty" in bad.output
