"""The knowledge base: reports, rows, mentions and facts about projects, in SQLite.

`KnowledgeBase` owns one SQLite file (default `tiendo.db`, or `TIENDO_DB`).
Its schema is versioned: `MIGRATIONS` are applied in order on open, each in
its own transaction, and `PRAGMA user_version` records the version reached.

Ingestion is atomic (a report goes in whole or not at all, in one
transaction) and idempotent (the same file twice changes nothing: its sha256
is recorded); a changed version of a report, same name, replaces its rows,
mentions and facts. Every fact keeps its evidence: the mention, its row and
cell, its character range, and the sentence around it.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nlp.errors import TiendoError
from nlp.text import fold_diacritics, name_key

DEFAULT_DB = "tiendo.db"

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            title TEXT, number TEXT, date TEXT, issuer TEXT,
            ingested_at TEXT NOT NULL
        );
        CREATE TABLE rows (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            row INTEGER NOT NULL,
            section INTEGER NOT NULL,
            assignee TEXT, task TEXT, result TEXT, plan TEXT, notes TEXT,
            source TEXT NOT NULL,
            UNIQUE (report_id, row)
        );
        CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE
        );
        CREATE TABLE offices (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id),
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            UNIQUE (person_id, report_id, title)
        );
        CREATE TABLE organizations (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE
        );
        CREATE TABLE projects (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,
            first_seen TEXT,
            last_seen TEXT
        );
        CREATE TABLE aliases (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            UNIQUE (project_id, alias)
        );
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            row_id INTEGER NOT NULL REFERENCES rows(id) ON DELETE CASCADE,
            cell TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
            source_start INTEGER, source_end INTEGER,
            text TEXT NOT NULL, label TEXT NOT NULL, value TEXT,
            project_id INTEGER REFERENCES projects(id),
            person_id INTEGER REFERENCES people(id),
            organization_id INTEGER REFERENCES organizations(id)
        );
        CREATE INDEX mentions_row ON mentions(row_id);
        CREATE INDEX mentions_project ON mentions(project_id);
        CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            relation TEXT NOT NULL, role TEXT,
            value TEXT, text TEXT NOT NULL, label TEXT NOT NULL,
            head_mention_id INTEGER NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
            tail_mention_id INTEGER NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
            evidence TEXT NOT NULL,
            report_date TEXT
        );
        CREATE INDEX facts_project ON facts(project_id);
        CREATE TABLE project_status (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id),
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            as_of TEXT,
            status TEXT NOT NULL,
            delayed INTEGER NOT NULL,
            reason TEXT NOT NULL,
            evidence TEXT NOT NULL,
            fact_id INTEGER REFERENCES facts(id) ON DELETE CASCADE,
            UNIQUE (project_id, report_id)
        );
        """,
    ),
]
"""Schema migrations: (version, SQL), applied in order, each once."""

STATUS_SEVERITY = ("blocked", "delayed", "not_achieved", "not_started", "in_progress", "completed")
"""Status values from the most to the least alarming: a project's status in a
report is the most alarming one its facts state."""

ON_TRACK = ("in_progress", "completed")
"""Stated statuses that rule out lateness inferred from a date: the schema's
`in_progress` is "under way, no sign of lateness", and `completed` is done.
A deadline that passed before the report date makes a project delayed only
where the report states neither of them for it (decision D31)."""

_LEAD_WORDS = re.compile(
    r"^(?:(?:dự án|công trình|gói thầu|tiểu dự án|đầu tư xây dựng|đầu tư|xây dựng|"
    r"cơ sở hạ tầng|hạ tầng|nâng cấp|mở rộng)\s+)+"
)
# Generic Vietnamese abbreviations of facility types, expanded before matching.
_ABBREVIATIONS = {
    "kcn": "khu công nghiệp",
    "ccn": "cụm công nghiệp",
    "kđt": "khu đô thị",
    "kdc": "khu dân cư",
    "ktđc": "khu tái định cư",
    "tđc": "tái định cư",
    "bv": "bệnh viện",
    "đt": "đường tỉnh",
    "ql": "quốc lộ",
}
_NUMBERS = re.compile(r"\d+")


class KnowledgeBaseError(TiendoError):
    """The knowledge base file cannot be opened or is of a newer schema."""


def project_key(name: str) -> str:
    """The matching key of a project name.

    Takes a mention's text; returns its name key (case folded, tone marks
    unified, NFC) with lead words such as "dự án", "đầu tư xây dựng", "cơ
    sở hạ tầng" dropped and facility abbreviations (KCN, CCN, KĐT, KDC …)
    expanded.
    """
    key = name_key(name)
    words = [_ABBREVIATIONS.get(w, w) for w in key.split(" ")]
    key = " ".join(words)
    stripped = _LEAD_WORDS.sub("", key)
    return stripped or key


def same_project(a: str, b: str, threshold: float) -> bool:
    """Whether two project keys name one project.

    Equal keys do; otherwise the diacritic-folded keys must be at least
    `threshold` similar as whole strings (rapidfuzz ratio, 0–1) and hold the
    same numbers, so "Cầu Rạch Miếu 2" matches "Cầu Rạch Miễu 2" while
    "Cầu Ba Lai 6" ≠ "Cầu Ba Lai 8" and "Cầu Rạch Miễu 2" ≠ "Đường gom vào
    Cầu Rạch Miễu 2" (a name that merely contains another is another).
    """
    if a == b:
        return True
    if _NUMBERS.findall(a) != _NUMBERS.findall(b):
        return False
    from rapidfuzz import fuzz

    return fuzz.ratio(fold_diacritics(a), fold_diacritics(b)) / 100 >= threshold


def sentence_around(text: str, start: int, end: int) -> str:
    """Return the sentence of `text` that holds `[start, end)`."""
    left = max(text.rfind(". ", 0, start), text.rfind("; ", 0, start))
    right_candidates = [i for i in (text.find(". ", end), text.find("; ", end)) if i >= 0]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return text[left + 2 if left >= 0 else 0 : right].strip()


@dataclass
class IngestResult:
    """What ingesting one report did."""

    report: str
    status: str  # "ingested", "replaced" or "unchanged"
    rows: int = 0
    mentions: int = 0
    facts: int = 0


class KnowledgeBase:
    """An SQLite knowledge base of reports, projects and facts with evidence.

    `match_threshold` is the fuzzy-match similarity above which two project
    names are one project; 0.88 had the best pairwise F1 of merges on the
    gold (`eval/results/kb.md`).
    """

    def __init__(self, path: str | Path | None = None, match_threshold: float = 0.88) -> None:
        self.path = Path(path or os.environ.get("TIENDO_DB") or DEFAULT_DB)
        self.match_threshold = match_threshold
        try:
            self.db = sqlite3.connect(self.path)
        except sqlite3.Error as error:
            raise KnowledgeBaseError(f"{self.path}: cannot open ({error})") from None
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        self.migrate()

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        """The schema version of the open database."""
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> int:
        """Apply the migrations the database lacks; return the version reached."""
        latest = MIGRATIONS[-1][0]
        try:
            current = self.version
        except sqlite3.DatabaseError as error:
            raise KnowledgeBaseError(f"{self.path}: not an SQLite database ({error})") from None
        if current > latest:
            raise KnowledgeBaseError(
                f"{self.path}: schema version {current} is newer than this tiendo ({latest}); "
                "upgrade tiendo"
            )
        for version, sql in MIGRATIONS:
            if version > current:
                with self._transaction():
                    self.db.executescript(f"BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;")
        return self.version

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            if self.db.in_transaction:
                self.db.rollback()
            raise

    # ------------------------------------------------------------------
    # get-or-create (sqlite-utils' Table.lookup)
    # ------------------------------------------------------------------

    def _lookup(self, table: str, key: str, name: str) -> int:
        row = self.db.execute(f"SELECT id FROM {table} WHERE key = ?", (key,)).fetchone()
        if row:
            return row[0]
        return self.db.execute(
            f"INSERT INTO {table} (name, key) VALUES (?, ?)", (name, key)
        ).lastrowid

    def project(self, name: str, seen: str | None = None) -> int:
        """Get or create the project `name` names; return its id.

        A mention joins an existing project whose key it matches (see
        `same_project`); the mention's text is recorded as an alias.
        """
        key = project_key(name)
        row = self.db.execute("SELECT id FROM projects WHERE key = ?", (key,)).fetchone()
        project_id = row[0] if row else None
        if project_id is None:
            for other in self.db.execute("SELECT id, key FROM projects"):
                if same_project(key, other["key"], self.match_threshold):
                    project_id = other["id"]
                    break
        if project_id is None:
            project_id = self.db.execute(
                "INSERT INTO projects (name, key, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                (name, key, seen, seen),
            ).lastrowid
        elif seen:
            self.db.execute(
                "UPDATE projects SET first_seen = min(coalesce(first_seen, ?), ?), "
                "last_seen = max(coalesce(last_seen, ?), ?) WHERE id = ?",
                (seen, seen, seen, seen, project_id),
            )
        self.db.execute(
            "INSERT OR IGNORE INTO aliases (project_id, alias) VALUES (?, ?)", (project_id, name)
        )
        return project_id

    # ------------------------------------------------------------------
    # ingestion
    # ------------------------------------------------------------------

    def ingest(self, report, records: list[dict]) -> IngestResult:
        """Store a report and its extracted records, atomically and idempotently.

        Takes the `Report` and its records (schema records with entities and
        relations, as `extract` returns them). The same report (same name and
        sha256) is left as it is; a changed one replaces the old version.
        Returns an `IngestResult`.
        """
        old = self.db.execute(
            "SELECT id, sha256 FROM reports WHERE name = ?", (report.id,)
        ).fetchone()
        if old and old["sha256"] == report.sha256:
            return IngestResult(report.id, "unchanged")
        result = IngestResult(report.id, "replaced" if old else "ingested")
        as_of = report.date.isoformat() if report.date else None
        try:
            self.db.execute("BEGIN")
            if old:
                self.db.execute("DELETE FROM reports WHERE id = ?", (old["id"],))
            report_id = self.db.execute(
                "INSERT INTO reports (name, path, sha256, title, number, date, issuer, "
                "ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report.id,
                    report.path,
                    report.sha256,
                    report.title,
                    report.number,
                    as_of,
                    report.issuer,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            ).lastrowid
            rows = {row.index: row for row in report.rows}
            for record in records:
                self._ingest_row(report_id, rows[record["row"]], record, as_of, result)
            self._derive_status(report_id, as_of)
            self._prune()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.rollback()
            raise
        return result

    def _ingest_row(self, report_id: int, row, record: dict, as_of: str | None, result) -> None:
        cells = {name: row.text(name) for name in ("assignee", "task", "result", "plan", "notes")}
        source = json.dumps(row.to_record()["source"])
        row_id = self.db.execute(
            "INSERT INTO rows (report_id, row, section, assignee, task, result, plan, notes, "
            "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (report_id, row.index, row.section, *cells.values(), source),
        ).lastrowid
        result.rows += 1
        mention_ids: dict[str, int] = {}
        project_of: dict[str, int] = {}
        for entity in record["entities"]:
            project_id = person_id = org_id = None
            if entity["label"] == "PROJECT":
                project_id = self.project(entity["text"], as_of)
                project_of[entity["id"]] = project_id
            elif entity["label"] == "PERSON":
                person_id = self._lookup("people", name_key(entity["text"]), entity["text"])
                if entity["cell"] == "assignee":
                    self.db.execute(
                        "INSERT OR IGNORE INTO offices (person_id, report_id, title) "
                        "VALUES (?, ?, ?)",
                        (person_id, report_id, row.text("assignee")),
                    )
            elif entity["label"] == "ORG":
                org_id = self._lookup("organizations", name_key(entity["text"]), entity["text"])
            cell = row.cells[entity["cell"]]
            src_start, src_end = cell.source_range(entity["start"], entity["end"])
            value = entity.get("value")
            mention_ids[entity["id"]] = self.db.execute(
                "INSERT INTO mentions (report_id, row_id, cell, start, end, source_start, "
                "source_end, text, label, value, project_id, person_id, organization_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report_id,
                    row_id,
                    entity["cell"],
                    entity["start"],
                    entity["end"],
                    src_start,
                    src_end,
                    entity["text"],
                    entity["label"],
                    json.dumps(value, ensure_ascii=False) if value is not None else None,
                    project_id,
                    person_id,
                    org_id,
                ),
            ).lastrowid
            result.mentions += 1
        by_id = {e["id"]: e for e in record["entities"]}
        for relation in record.get("relations", []):
            head, tail = by_id.get(relation["head"]), by_id.get(relation["tail"])
            if head is None or tail is None or relation["head"] not in project_of:
                continue
            text = row.text(tail["cell"])
            self.db.execute(
                "INSERT INTO facts (project_id, report_id, relation, role, value, text, label, "
                "head_mention_id, tail_mention_id, evidence, report_date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_of[relation["head"]],
                    report_id,
                    relation["label"],
                    relation.get("role"),
                    json.dumps(tail.get("value"), ensure_ascii=False),
                    tail["text"],
                    tail["label"],
                    mention_ids[relation["head"]],
                    mention_ids[relation["tail"]],
                    sentence_around(text, tail["start"], tail["end"]),
                    as_of,
                ),
            )
            result.facts += 1

    def _derive_status(self, report_id: int, as_of: str | None) -> None:
        """Set each project's status as of this report, with its evidence.

        The status is the most alarming one the report states for the project
        (`STATUS_SEVERITY`); it is delayed where that is `delayed` or
        `blocked`, or where a deadline passed before the report date and the
        report states the project neither in progress nor completed
        (`ON_TRACK`).
        """
        projects = [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT project_id FROM mentions WHERE report_id = ? AND "
                "project_id IS NOT NULL",
                (report_id,),
            )
        ]
        for project_id in projects:
            facts = self.db.execute(
                "SELECT id, relation, role, value, evidence FROM facts WHERE project_id = ? "
                "AND report_id = ? ORDER BY id",
                (project_id, report_id),
            ).fetchall()
            statuses = [(json.loads(f["value"]), f) for f in facts if f["relation"] == "HAS_STATUS"]
            statuses = [(v, f) for v, f in statuses if v in STATUS_SEVERITY]
            status, fact, reason = None, None, ""
            if statuses:
                status, fact = min(statuses, key=lambda vf: STATUS_SEVERITY.index(vf[0]))
                reason = "stated in the report"
            on_track = any(v in ON_TRACK for v, _ in statuses)
            overdue = None
            if as_of and not on_track:
                for f in facts:
                    if f["relation"] == "HAS_DATE" and f["role"] == "deadline":
                        value = json.loads(f["value"]) if f["value"] else None
                        if value and value.get("end", "9999") < as_of:
                            overdue = f
                            break
            delayed = status in ("delayed", "blocked")
            if overdue is not None and not delayed:
                delayed = True
                status = status or "delayed"
                fact = overdue
                reason = f"deadline {json.loads(overdue['value'])['end']} passed before {as_of}"
            if status is None:
                continue
            self.db.execute(
                "INSERT INTO project_status (project_id, report_id, as_of, status, delayed, "
                "reason, evidence, fact_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    report_id,
                    as_of,
                    status,
                    int(delayed),
                    reason,
                    fact["evidence"],
                    fact["id"],
                ),
            )

    def _prune(self) -> None:
        """Drop projects no mention points to any more (after a report was replaced)."""
        self.db.execute(
            "DELETE FROM projects WHERE id NOT IN "
            "(SELECT project_id FROM mentions WHERE project_id IS NOT NULL)"
        )

    # ------------------------------------------------------------------
    # queries
    # ------------------------------------------------------------------

    def projects(self, status: str | None = None, delayed: bool | None = None) -> list[dict]:
        """List projects with their latest status, aliases, evidence and source.

        Takes an optional status value to keep, or `delayed=True` for the
        projects the latest report says are late or held up (status delayed
        or blocked, or a passed deadline of a project not stated in progress
        or completed). Returns dicts with `name`, `aliases`, `status`,
        `delayed`, `as_of`, `reason`, `evidence`, `source` (report, row,
        cell, character range).
        """
        out = []
        for project in self.db.execute("SELECT * FROM projects ORDER BY name"):
            latest = self.db.execute(
                "SELECT ps.*, r.name AS report FROM project_status ps JOIN reports r ON "
                "r.id = ps.report_id WHERE ps.project_id = ? ORDER BY coalesce(ps.as_of, '') "
                "DESC, ps.id DESC LIMIT 1",
                (project["id"],),
            ).fetchone()
            entry = self._project_entry(project, latest)
            if status and entry["status"] != status:
                continue
            if delayed is not None and entry["delayed"] != delayed:
                continue
            out.append(entry)
        return out

    def _project_entry(self, project, latest) -> dict:
        aliases = [
            r[0]
            for r in self.db.execute(
                "SELECT alias FROM aliases WHERE project_id = ? ORDER BY alias", (project["id"],)
            )
        ]
        entry = {
            "name": project["name"],
            "aliases": aliases,
            "status": latest["status"] if latest else None,
            "delayed": bool(latest["delayed"]) if latest else False,
            "as_of": latest["as_of"] if latest else None,
            "reason": latest["reason"] if latest else None,
            "evidence": latest["evidence"] if latest else None,
            "source": self._source(latest["fact_id"]) if latest and latest["fact_id"] else None,
            "first_seen": project["first_seen"],
            "last_seen": project["last_seen"],
        }
        return entry

    def _source(self, fact_id: int) -> dict | None:
        row = self.db.execute(
            "SELECT r.name AS report, rw.row, m.cell, m.start, m.end, m.source_start, "
            "m.source_end FROM facts f JOIN mentions m ON m.id = f.tail_mention_id "
            "JOIN rows rw ON rw.id = m.row_id JOIN reports r ON r.id = f.report_id "
            "WHERE f.id = ?",
            (fact_id,),
        ).fetchone()
        return dict(row) if row else None

    def find_projects(self, name: str, limit: int = 5) -> list[dict]:
        """Find the projects whose names or aliases best match `name` (fuzzy, folded)."""
        from rapidfuzz import fuzz, process

        key = fold_diacritics(project_key(name))
        choices = {}
        for row in self.db.execute(
            "SELECT p.id, a.alias FROM aliases a JOIN projects p ON p.id = a.project_id"
        ):
            choices[(row["id"], row["alias"])] = fold_diacritics(project_key(row["alias"]))
        found = process.extract(key, choices, scorer=fuzz.WRatio, limit=limit * 3)
        seen, out = set(), []
        for _, score, (project_id, _) in found:
            if project_id in seen or score < 60:
                continue
            seen.add(project_id)
            project = self.db.execute(
                "SELECT * FROM projects WHERE id = ?", (project_id,)
            ).fetchone()
            out.append({"id": project_id, "name": project["name"], "score": score})
        return out[:limit]

    def facts(self, project_id: int, relation: str | None = None, role: str | None = None):
        """All facts of a project (optionally one relation/role), with evidence and source."""
        sql = (
            "SELECT f.*, r.name AS report, rw.row, m.cell, m.start, m.end FROM facts f "
            "JOIN reports r ON r.id = f.report_id JOIN mentions m ON m.id = f.tail_mention_id "
            "JOIN rows rw ON rw.id = m.row_id WHERE f.project_id = ?"
        )
        args: list = [project_id]
        if relation:
            sql += " AND f.relation = ?"
            args.append(relation)
        if role:
            sql += " AND f.role = ?"
            args.append(role)
        rows = self.db.execute(sql + " ORDER BY f.report_date, f.id", args).fetchall()
        return [
            {
                "relation": r["relation"],
                "role": r["role"],
                "text": r["text"],
                "label": r["label"],
                "value": json.loads(r["value"]) if r["value"] else None,
                "evidence": r["evidence"],
                "source": {
                    "report": r["report"],
                    "row": r["row"],
                    "cell": r["cell"],
                    "start": r["start"],
                    "end": r["end"],
                },
            }
            for r in rows
        ]

    def project_by_id(self, project_id: int) -> dict:
        """The `projects` entry of one project id."""
        project = self.db.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
        latest = self.db.execute(
            "SELECT * FROM project_status WHERE project_id = ? ORDER BY coalesce(as_of, '') "
            "DESC, id DESC LIMIT 1",
            (project_id,),
        ).fetchone()
        return {"id": project_id, **self._project_entry(project, latest)}

    def projects_of_person(self, name: str) -> tuple[str | None, list[dict]]:
        """The projects named in the rows assigned to the person best matching `name`."""
        from rapidfuzz import fuzz, process

        people = {
            r["id"]: fold_diacritics(r["name"]) for r in self.db.execute("SELECT * FROM people")
        }
        if not people:
            return None, []
        match = process.extractOne(fold_diacritics(name), people, scorer=fuzz.WRatio)
        if not match or match[1] < 70:
            return None, []
        person_id = match[2]
        person = self.db.execute("SELECT name FROM people WHERE id = ?", (person_id,)).fetchone()
        rows = self.db.execute(
            "SELECT DISTINCT m2.project_id FROM mentions m JOIN rows rw ON rw.id = m.row_id "
            "JOIN rows rw2 ON rw2.report_id = rw.report_id AND rw2.section = rw.section "
            "JOIN mentions m2 ON m2.row_id = rw2.id AND m2.project_id IS NOT NULL "
            "WHERE m.person_id = ? AND m.cell = 'assignee'",
            (person_id,),
        ).fetchall()
        return person["name"], [self.project_by_id(r[0]) for r in rows]

    def projects_in(self, place: str) -> list[dict]:
        """Projects located in (or named with) the place best matching `place`."""
        key = fold_diacritics(name_key(place))
        key = re.sub(r"^(huyen|xa|tinh|thanh pho|thi tran|phuong)\s+", "", key)
        ids = set()
        for row in self.db.execute(
            "SELECT f.project_id, m.text FROM facts f JOIN mentions m ON m.id = f.tail_mention_id "
            "WHERE f.relation = 'LOCATED_IN'"
        ):
            if key and key in fold_diacritics(name_key(row["text"])):
                ids.add(row["project_id"])
        for row in self.db.execute("SELECT project_id, alias FROM aliases"):
            if key and key in fold_diacritics(name_key(row["alias"])):
                ids.add(row["project_id"])
        return [self.project_by_id(i) for i in sorted(ids)]

    def export_rows(self) -> Iterable[dict]:
        """Every fact joined with its project, for export."""
        for row in self.db.execute(
            "SELECT p.name AS project, f.relation, f.role, f.label, f.text, f.value, f.evidence, "
            "r.name AS report, rw.row, m.cell, m.start, m.end FROM facts f "
            "JOIN projects p ON p.id = f.project_id JOIN reports r ON r.id = f.report_id "
            "JOIN mentions m ON m.id = f.tail_mention_id JOIN rows rw ON rw.id = m.row_id "
            "ORDER BY p.name, f.id"
        ):
            yield dict(row)

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (for tests and summaries)."""
        return {
            table: self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "reports",
                "rows",
                "mentions",
                "projects",
                "aliases",
                "facts",
                "project_status",
                "people",
                "organizations",
            )
        }

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table except timestamps: to compare contents in tests."""
        out = {}
        for table in self.counts():
            rows = self.db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            out[table] = [
                tuple(v for k, v in zip(r.keys(), tuple(r), strict=True) if k != "ingested_at")
                for r in rows
            ]
        return out


def ingest_file(path: str | Path, kb: KnowledgeBase, models: str | Path | None = None):
    """Read, extract and store one report file; return the `IngestResult`."""
    from nlp.pipeline import MODELS, extract
    from nlp.reader import read_report

    report = read_report(path)
    old = kb.db.execute("SELECT sha256 FROM reports WHERE name = ?", (report.id,)).fetchone()
    if old and old["sha256"] == report.sha256:
        return IngestResult(report.id, "unchanged")
    records = extract(report, models or MODELS)
    return kb.ingest(report, records)
