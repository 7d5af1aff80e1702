"""Questions in Vietnamese, with or without diacritics, answered from the knowledge base.

A small trained intent classifier (`IntentClassifier`, a `LinearModel` over
diacritic-folded character n-grams and words, trained on
`training/intents.jsonl`) says what is asked; the entity tagger finds the
slots (the project, person or place asked about), and names the tagger
misses — a question typed without diacritics, say — are linked to the
knowledge base by folded containment and fuzzy matching. No whole sentence is
matched against a list.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp import MODELS
from nlp.linear import LinearModel
from nlp.text import fold_diacritics

INTENTS = {
    "delayed": "dự án nào chậm tiến độ",
    "completed": "dự án nào đã hoàn thành",
    "in_progress": "dự án nào đang thi công",
    "cost": "tổng mức đầu tư của X",
    "progress": "tiến độ của X",
    "start_date": "ngày khởi công của X",
    "person": "đồng chí Y phụ trách những dự án nào",
    "location": "các dự án ở huyện Z",
}
"""What `ask` can answer: intent → an example question."""

HELP = "Tôi trả lời được các câu hỏi như: " + "; ".join(f"“{q}”" for q in INTENTS.values()) + "."


def question_features(text: str) -> dict[str, float]:
    """Features of a question: folded words, word pairs and character 3–5-grams."""
    folded = re.sub(r"\s+", " ", fold_diacritics(text)).strip()
    words = re.findall(r"\w+", folded)
    features: dict[str, float] = {f"w={w}": 1.0 for w in words}
    for a, b in itertools.pairwise(words):
        features[f"ww={a}_{b}"] = 1.0
    padded = f" {folded} "
    for n in (3, 4, 5):
        for i in range(len(padded) - n + 1):
            features[f"c{n}={padded[i : i + n]}"] = 0.5
    return features


class IntentClassifier:
    """Says which of `INTENTS` (or "other") a question asks."""

    def __init__(self, model: LinearModel, threshold: float = 0.4) -> None:
        self.model = model
        self.threshold = threshold

    @classmethod
    def train(cls, examples_path: str | Path) -> IntentClassifier:
        """Train on a JSONL file of `{"intent", "text"}` examples.

        Each example is also learned without its diacritics, since users type
        both ways.
        """
        examples = []
        for line in Path(examples_path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                examples.append((question_features(item["text"]), item["intent"]))
                examples.append((question_features(fold_diacritics(item["text"])), item["intent"]))
        return cls(LinearModel.fit(examples, c=10.0))

    def __call__(self, question: str) -> tuple[str, float]:
        """Return `(intent, probability)`; "other" below the confidence threshold."""
        proba = self.model.proba(question_features(question))
        intent = max(proba, key=proba.get)
        if proba[intent] < self.threshold:
            return "other", proba[intent]
        return intent, proba[intent]

    def save(self, path: str | Path) -> None:
        """Write the classifier as JSON arrays."""
        self.model.save(path)

    @classmethod
    def load(cls, path: str | Path) -> IntentClassifier:
        """Read a classifier written by `save`."""
        return cls(LinearModel.load(path))


@lru_cache(maxsize=4)
def _classifier(path: str) -> IntentClassifier:
    return IntentClassifier.load(path)


@dataclass
class Answer:
    """An answer: its intent, a short text, and the items with evidence and source."""

    intent: str
    text: str
    items: list[dict] = field(default_factory=list)


def _slot(question: str, labels: tuple[str, ...], models: Path) -> str | None:
    """The first span of `labels` the entity tagger finds in the question."""

    folder = models / "ner"
    if not (folder / "config.json").exists():
        return None
    for start, end, label in _tagger(str(folder))(question):
        if label in labels:
            return question[start:end]
    return None


@lru_cache(maxsize=4)
def _tagger(folder: str):
    from nlp.ner import EntityTagger

    return EntityTagger.load(folder)


def _link_project(kb, question: str, slot: str | None) -> dict | None:
    """The project the question names: tagger slot first, else the longest alias in it."""
    if slot:
        found = kb.find_projects(slot, limit=1)
        if found and found[0]["score"] >= 85:
            return kb.project_by_id(found[0]["id"])
    folded = " " + re.sub(r"\W+", " ", fold_diacritics(question)) + " "
    best = None
    for row in kb.db.execute("SELECT project_id, alias FROM aliases"):
        alias = re.sub(r"\W+", " ", fold_diacritics(row["alias"])).strip()
        if len(alias) >= 4 and f" {alias} " in folded and (best is None or len(alias) > best[1]):
            best = (row["project_id"], len(alias))
    if best:
        return kb.project_by_id(best[0])
    found = kb.find_projects(question, limit=1)
    if found and found[0]["score"] >= 90:
        return kb.project_by_id(found[0]["id"])
    return None


def _place(question: str, slot: str | None) -> str | None:
    if slot:
        return slot
    match = re.search(
        r"\b(huyen|xa|thanh pho|thi tran|tinh|phuong)\s+([a-z0-9 ]+?)(?:\s+(?:co|nao|gi)\b|\?|$)",
        fold_diacritics(question),
    )
    if not match:
        return None
    # Name the place as the question wrote it ("huyen Binh Dai"), not folded.
    wanted = f"{match.group(1)} {match.group(2)}".split()
    words = question.split()
    folded = [fold_diacritics(w).strip("?,.!") for w in words]
    for i in range(len(words) - len(wanted) + 1):
        if folded[i : i + len(wanted)] == wanted:
            return " ".join(words[i : i + len(wanted)]).strip("?,.!")
    return " ".join(wanted)


def _person(question: str, slot: str | None) -> str:
    if slot:
        return slot
    text = re.sub(r"(?i)\b(đồng chí|dong chi|đ/c|ông|ong|bà|ba)\b", " ", question)
    text = re.split(
        r"(?i)\b(phụ trách|phu trach|chỉ đạo|chi dao|được giao|duoc giao|theo dõi)", text
    )[0]
    return text.strip(" ?")


def _facts_answer(intent: str, project: dict, facts: list[dict]) -> Answer:
    if not facts:
        return Answer(
            intent,
            f"Chưa có thông tin về {INTENTS[intent].split(' của')[0]} của {project['name']}.",
            [project],
        )
    lines = [f"{project['name']}:"]
    for fact in facts:
        src = fact["source"]
        lines.append(
            f"- {fact['text']} ({fact['relation']}{'/' + fact['role'] if fact['role'] else ''}) — "
            f"“{fact['evidence']}” [{src['report']}, dòng {src['row']}, ô {src['cell']}, "
            f"{src['start']}–{src['end']}]"
        )
    return Answer(intent, "\n".join(lines), facts)


def _projects_answer(intent: str, projects: list[dict], title: str) -> Answer:
    if not projects:
        return Answer(intent, f"{title}: không có dự án nào.", [])
    lines = [f"{title}: {len(projects)} dự án."]
    for p in projects:
        src = p.get("source") or {}
        where = f" [{src.get('report')}, dòng {src.get('row')}, ô {src.get('cell')}]" if src else ""
        evidence = f" — “{p['evidence']}”" if p.get("evidence") else ""
        lines.append(f"- {p['name']} ({p.get('status') or 'chưa rõ'}){evidence}{where}")
    return Answer(intent, "\n".join(lines), projects)


def answer(question: str, kb, models: str | Path = MODELS) -> Answer:
    """Answer a Vietnamese question from the knowledge base `kb`.

    Takes the question (diacritics optional), a `KnowledgeBase` and the
    models folder (for `intent/intent.json` and the entity tagger). Returns an
    `Answer` whose items carry evidence and source; a question it cannot
    answer gets the list of what it can.
    """
    models = Path(models)
    intent, _ = _classifier(str(models / "intent" / "intent.json"))(question)
    if intent == "other":
        return Answer("other", HELP)
    if intent == "delayed":
        return _projects_answer(
            intent, kb.projects(delayed=True), "Dự án chậm tiến độ hoặc vướng mắc"
        )
    if intent == "completed":
        return _projects_answer(intent, kb.projects(status="completed"), "Dự án đã hoàn thành")
    if intent == "in_progress":
        return _projects_answer(intent, kb.projects(status="in_progress"), "Dự án đang thực hiện")
    if intent == "person":
        name = _person(question, _slot(question, ("PERSON",), models))
        person, projects = kb.projects_of_person(name)
        if person is None:
            return Answer(intent, f"Không tìm thấy người tên “{name}”. {HELP}")
        return _projects_answer(intent, projects, f"Dự án đồng chí {person} phụ trách")
    if intent == "location":
        place = _place(question, _slot(question, ("LOC",), models))
        if not place:
            return Answer(intent, f"Không rõ địa bàn nào. {HELP}")
        return _projects_answer(intent, kb.projects_in(place), f"Dự án ở {place}")
    project = _link_project(kb, question, _slot(question, ("PROJECT",), models))
    if project is None:
        return Answer(intent, f"Không tìm thấy dự án được hỏi trong cơ sở dữ liệu. {HELP}")
    if intent == "cost":
        facts = kb.facts(project["id"], "HAS_AMOUNT", "cost") + kb.facts(
            project["id"], "HAS_AMOUNT", "disbursed"
        )
    elif intent == "progress":
        facts = [
            f
            for f in kb.facts(project["id"])
            if f["relation"] == "HAS_STATUS"
            or (f["relation"] == "HAS_AMOUNT" and f["role"] in ("progress", "cleared", "disbursed"))
        ]
    else:
        facts = kb.facts(project["id"], "HAS_DATE", "start")
    return _facts_answer(intent, project, facts)
