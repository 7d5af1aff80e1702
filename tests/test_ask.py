"""Tests of `ask`: the question forms of the issue, with and without diacritics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.annotations import iter_gold
from nlp.ask import HELP, IntentClassifier, answer
from nlp.kb import KnowledgeBase
from nlp.reader import read_report

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """A knowledge base of the bundled report with its gold entities and relations."""
    report = read_report(REPORT)
    gold = {r["row"]: r for _, r in iter_gold(ROOT / "annotations" / "gold")}
    records = [
        gold.get(i, {"report": report.id, "row": i, "entities": [], "relations": []})
        for i in range(len(report.rows))
    ]
    base = KnowledgeBase(tmp_path_factory.mktemp("kb") / "kb.db")
    base.ingest(report, records)
    yield base
    base.close()


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Dự án nào chậm tiến độ?", "delayed"),
        ("du an nao cham tien do", "delayed"),
        ("Những dự án nào đã hoàn thành?", "completed"),
        ("du an nao da hoan thanh", "completed"),
        ("Dự án nào đang thi công?", "in_progress"),
        ("Tổng mức đầu tư của Cầu Rạch Miễu 2 là bao nhiêu?", "cost"),
        ("tong muc dau tu cua cau rach mieu 2", "cost"),
        ("Tiến độ của Khu công nghiệp Phú Thuận?", "progress"),
        ("Ngày khởi công của Khu công nghiệp Phú Thuận?", "start_date"),
        ("Đồng chí Bùi Văn Hiệp phụ trách những dự án nào?", "person"),
        ("Các dự án ở huyện Bình Đại", "location"),
        ("Hôm nay trời có mưa không?", "other"),
    ],
)
def test_intents(tiny_models, question, intent):
    classifier = IntentClassifier.load(tiny_models / "intent" / "intent.json")
    assert classifier(question)[0] == intent


def test_delayed_projects_with_evidence(kb, tiny_models):
    reply = answer("dự án nào chậm tiến độ", kb, tiny_models)
    assert reply.intent == "delayed"
    names = {p["name"] for p in reply.items}
    assert "Cầu Rạch Miễu 2" in names
    for project in reply.items:
        assert project["delayed"] and project["evidence"] and project["source"]


def test_completed_without_diacritics(kb, tiny_models):
    reply = answer("du an nao da hoan thanh", kb, tiny_models)
    assert "Trung tâm chính trị hành chính huyện Mỏ Cày Nam" in {p["name"] for p in reply.items}
    assert all(p["status"] == "completed" for p in reply.items)


def test_in_progress(kb, tiny_models):
    reply = answer("Những dự án nào đang thi công?", kb, tiny_models)
    assert reply.items and all(p["status"] == "in_progress" for p in reply.items)


@pytest.mark.parametrize(
    "question",
    ["Tổng mức đầu tư của Cầu Rạch Miễu 2 là bao nhiêu?", "tong muc dau tu cau rach mieu 2"],
)
def test_cost_of_a_project_with_its_source(kb, tiny_models, question):
    reply = answer(question, kb, tiny_models)
    assert reply.intent == "cost"
    assert "812.898 tỷ đồng" in [f["text"] for f in reply.items]
    assert "Cầu Rạch Miễu 2:" in reply.text and "dòng" in reply.text


def test_start_date(kb, tiny_models):
    reply = answer("Khu công nghiệp Phú Thuận khởi công khi nào?", kb, tiny_models)
    assert reply.intent == "start_date"
    assert "Ngày 02/8/2023" in [f["text"] for f in reply.items]


def test_progress(kb, tiny_models):
    reply = answer("tiến độ của Khu công nghiệp Phú Thuận", kb, tiny_models)
    assert reply.intent == "progress" and reply.items


def test_projects_of_a_person(kb, tiny_models):
    reply = answer("Đồng chí Bùi Văn Hiệp phụ trách những dự án nào?", kb, tiny_models)
    assert "Trung tâm chính trị hành chính huyện Mỏ Cày Nam" in {p["name"] for p in reply.items}


def test_projects_in_a_district(kb, tiny_models):
    reply = answer("cac du an o huyen Binh Dai", kb, tiny_models)
    assert reply.intent == "location" and reply.items
    # The place is named as the question wrote it.
    assert "huyen Binh Dai" in reply.text


def test_a_question_it_cannot_answer_lists_what_it_can(kb, tiny_models):
    reply = answer("Giá vàng hôm nay bao nhiêu?", kb, tiny_models)
    assert reply.intent == "other" and reply.text == HELP
