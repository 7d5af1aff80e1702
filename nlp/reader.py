"""Read a progress report into rows of cells, keeping a map back to the source.

The bundled layout is a four-column table (assignee, task as assigned, result
so far, next steps) exported from PDF: one table line per text line, cells
separated by tabs, HTML fragments inside the cells, page breaks that split a
row over several lines, footnotes between the lines, and now and then shifted
cells or a row whose cells were laid out one per line. `read_report` rebuilds
the rows as `../shared/annotation-schema.md` defines them.

Every character of a cell keeps the offset of the source character it came
from (offsets into the decoded file text), so any span found later points back
to the exact place in the report.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from nlp.errors import (
    BinaryFileError,
    EmptyReportError,
    ReportNotFoundError,
    UnknownLayoutError,
)
from nlp.text import fold_diacritics

CELLS = ("assignee", "task", "result", "plan")
"""The four table columns, in the order they appear in the report."""

NOTES = "notes"
"""The optional fifth cell: the footnotes a row cites."""

_BLOCK_TAGS = frozenset({"p", "li", "ul", "ol", "br", "div", "tr", "td", "th", "table"})
_MARKUP = re.compile(
    r"<math\b[^>]*>(?P<math>.*?)</math>"
    r"|\$(?P<inline>[^$\n]{1,80}?)\$"
    r"|<sup\b[^>]*>(?P<sup>[^<]*)</sup>"
    r"|<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9]*)\b[^>]*>"
    r"|(?P<entity>&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);)"
    r"|\\(?P<escape>[*_\\%$#`\[\]])",
    re.DOTALL,
)
# Markdown emphasis: a run of one or two stars that opens before a non-space
# and closes after one; a bullet "* item" has a space after its star.
_EMPHASIS = re.compile(r"(?<![\\*\w])(\*{1,2})(?=[^\s*])(.+?)(?<=[^\s\\*])\1(?!\*)")
_LATEX = (
    (re.compile(r"\\text\{([^}]*)\}"), r"\1"),
    (re.compile(r"\^\{?(\w+)\}?"), r"\1"),
    (re.compile(r"\\times"), "×"),
    (re.compile(r"\\geq?"), "≥"),
    (re.compile(r"\\leq?"), "≤"),
    (re.compile(r"\\([%$#&])"), r"\1"),
)
_ORDINAL = re.compile(r"^(\d{1,2})(?:\.\d{1,2})*\.(?!\d)")
_SEPARATOR = re.compile(r"^\s*-{2,}\s*$")
_FOOTNOTE = re.compile(r"^\s*<sup>\s*(\d{1,3})\s*</sup>")
# A length unit right after a number or a space: what follows it in <sup> is
# an exponent (m2, km2, m3), anything else in <sup> cites a footnote.
_EXPONENT_BASE = re.compile(r"(?:^|[\d\s(/])[kcdhKCDH]?[mM]$")
_TERMINAL = '.;:!?)]”"»…'
_SOFT_END = ",;:"
_WORD = re.compile(r"\w+")
HEADERS = {
    "assignee": ("ca nhan", "phan cong", "nguoi phu trach", "lanh dao phu trach", "can bo"),
    "task": ("noi dung", "nhiem vu", "cong viec"),
    "result": ("ket qua",),
    "plan": ("ke hoach", "tiep theo", "giai phap", "de xuat"),
    NOTES: ("ghi chu",),
}
"""Words of a column header (diacritics folded) that name each cell."""
_NUMBER_HEADER = re.compile(r"(?:s|so\s*)?\.?\s*t\.?\s*t\.?|so thu tu|thu tu")
_PLAIN = {"assignee": 0, "task": 1, "result": 2, "plan": 3}
_HEADER_MAX = 600
"""A header row is shorter than this (characters over its cells)."""


def header_columns(header: list[str]) -> dict[str, int] | None:
    """The column of each cell that a table's header row names, or None.

    Takes the header row's cell texts; returns `{cell: column}` for the
    cells named by header words (`HEADERS`), plus `"number"` for a row
    number column ("STT"), or None where fewer than three of the four cells
    are named.
    """
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        folded = fold_diacritics(text).strip()
        if _NUMBER_HEADER.fullmatch(folded):
            found.setdefault("number", index)
            continue
        for name, keys in HEADERS.items():
            if name not in found and any(key in folded for key in keys):
                found[name] = index
                break
    return found if len(found.keys() & set(CELLS)) >= 3 else None


_DOC_NUMBER = re.compile(r"\b(\d+[-/](?:[A-ZĐ][A-Za-zĐđ]*[-/])*[A-ZĐ][A-Za-zĐđ]*)\b")
_DATE_LONG = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_SHORT = re.compile(r"ngày\s+(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", re.IGNORECASE)
_APPENDIX = re.compile(r"^phụ lục\b", re.IGNORECASE)
_ATTACHED = re.compile(r"^\(?\s*(kèm theo|ban hành kèm)", re.IGNORECASE)


@dataclass(slots=True)
class Cell:
    """The visible text of one cell and, per character, its source offset."""

    text: str = ""
    offsets: list[int] = field(default_factory=list)

    def append(self, other: Cell) -> None:
        """Join `other` to the end of this cell with one space between them."""
        if not other.text:
            return
        if self.text:
            self.text += " "
            self.offsets.append(other.offsets[0])
        self.text += other.text
        self.offsets.extend(other.offsets)

    def source_spans(self) -> list[tuple[int, int, int, int]]:
        """Return `(cell_start, cell_end, source_start, source_end)` segments.

        A segment is a stretch of the cell whose characters come, in order,
        from one stretch of the source (markup removed inside it); a cell that
        a page break split has one segment per piece.
        """
        spans: list[tuple[int, int, int, int]] = []
        start = 0
        for i in range(1, len(self.offsets) + 1):
            if i == len(self.offsets) or not (
                0 < self.offsets[i] - self.offsets[i - 1] <= _MAX_GAP
            ):
                spans.append((start, i, self.offsets[start], self.offsets[i - 1] + 1))
                start = i
        return spans

    def source_range(self, start: int, end: int) -> tuple[int, int]:
        """Map the cell range `[start, end)` to the source range it came from."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"range {start}:{end} is outside a cell of {len(self.text)} chars")
        return self.offsets[start], self.offsets[end - 1] + 1


# Markup between two visible characters of one piece is at most a few tags long.
_MAX_GAP = 400


@dataclass(slots=True)
class Row:
    """One table row: the four cells, the optional notes, and where it came from."""

    report: str
    index: int
    section: int
    line: int
    cells: dict[str, Cell]

    def text(self, cell: str) -> str:
        """Return the text of `cell` ("" when the row has no such cell)."""
        found = self.cells.get(cell)
        return found.text if found else ""

    def to_record(self) -> dict:
        """Return the row as the schema's JSON record, entities and relations empty.

        Besides the schema's fields the record has `section` (the index of the
        assignee block the row belongs to) and `source`: the first source line
        and, per cell, the `[cell_start, cell_end, source_start, source_end]`
        segments of `Cell.source_spans`.
        """
        cells = {name: cell.text for name, cell in self.cells.items() if cell.text}
        return {
            "report": self.report,
            "row": self.index,
            "section": self.section,
            "cells": cells,
            "entities": [],
            "relations": [],
            "source": {
                "line": self.line,
                "cells": {
                    name: [list(span) for span in cell.source_spans()]
                    for name, cell in self.cells.items()
                    if cell.text
                },
            },
        }


@dataclass(slots=True)
class Report:
    """A report: metadata from its title block, its rows, and its source text."""

    id: str
    path: str
    text: str
    sha256: str
    rows: list[Row]
    title: str | None = None
    appendix: str | None = None
    number: str | None = None
    date: date | None = None
    issuer: str | None = None

    @property
    def sections(self) -> list[list[Row]]:
        """The rows grouped by assignee block, in report order."""
        groups: dict[int, list[Row]] = {}
        for row in self.rows:
            groups.setdefault(row.section, []).append(row)
        return list(groups.values())

    def metadata(self) -> dict:
        """Return the title-block metadata as a JSON-ready dict."""
        return {
            "report": self.id,
            "path": self.path,
            "sha256": self.sha256,
            "title": self.title,
            "appendix": self.appendix,
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "issuer": self.issuer,
            "rows": len(self.rows),
            "sections": len(self.sections),
        }


def read_report(path: str | Path, report_id: str | None = None) -> Report:
    """Read the report at `path` into a `Report` of rows.

    Takes the path of a report in the bundled layout (tab-separated table
    lines with HTML fragments) and an optional id (default: the file name
    without its suffix). Returns the `Report` with its metadata and rows.
    Raises `ReportNotFoundError`, `EmptyReportError`, `BinaryFileError` or
    `UnknownLayoutError` with a one-line reason.
    """
    path = Path(path)
    if path.is_dir():
        raise ReportNotFoundError(path, "is a folder; give the path of one report file")
    if not path.is_file():
        raise ReportNotFoundError(path, "no such file; check the path")
    data = path.read_bytes()
    text = _decode(data, path)
    return parse_report(text, report_id or path.stem, str(path))


def parse_report(text: str, report_id: str, path: str = "<text>") -> Report:
    """Parse report `text` (already decoded) into a `Report`.

    Takes the decoded text, the report id and the path to record. Returns the
    `Report`; raises `EmptyReportError` or `UnknownLayoutError`.
    """
    if not text.strip():
        raise EmptyReportError(path, "the file is empty; export the report again")
    lines = list(_lines(text))
    first_table = next((i for i, line in enumerate(lines) if line.is_table), None)
    if first_table is None:
        raise UnknownLayoutError(
            path,
            "no table with tab-separated columns found; expected the four columns "
            "assignee, task, result, plan",
        )
    report = Report(
        id=report_id,
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rows=[],
    )
    _read_title_block(report, lines[:first_table])
    report.rows = _Assembler(report_id, lines[first_table:]).rows()
    if not report.rows:
        raise UnknownLayoutError(path, "the table has a header but no rows")
    return report


def _decode(data: bytes, path: Path) -> str:
    if not data.strip():
        raise EmptyReportError(path, "the file is empty; export the report again")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise BinaryFileError(path, f"broken UTF-16 text ({err.reason})") from None
    if b"\x00" in data[:8192]:
        raise BinaryFileError(path, "binary file, not a text report; export it as text first")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BinaryFileError(
            path, "not UTF-8 text; convert the file to UTF-8 and try again"
        ) from None


@dataclass(slots=True)
class _Line:
    number: int
    fields: list[Cell]
    raw: str
    is_blank: bool = False
    is_separator: bool = False
    footnote: int | None = None

    @property
    def is_table(self) -> bool:
        return len(self.fields) >= 3


def _lines(text: str) -> Iterator[_Line]:
    base = 0
    for number, raw in enumerate(text.splitlines(keepends=True), start=1):
        body = raw.rstrip("\r\n")
        line_base = base
        base += len(raw)
        if not body.strip():
            yield _Line(number, [], body, is_blank=True)
            continue
        parts = body.split("\t")
        if all(_SEPARATOR.match(part) for part in parts):
            yield _Line(number, [], body, is_separator=True)
            continue
        footnote = _FOOTNOTE.match(body) if len(parts) == 1 else None
        fields: list[Cell] = []
        offset = line_base
        for part in parts:
            fields.append(_clean(part, offset))
            offset += len(part) + 1
        if footnote:
            fields = [_clean(body[footnote.end() :], line_base + footnote.end())]
        yield _Line(number, fields, body, footnote=int(footnote.group(1)) if footnote else None)


def _clean(raw: str, base: int) -> Cell:
    """Turn one raw field into visible text with per-character source offsets."""
    chars: list[str] = []
    offsets: list[int] = []
    skip = _emphasis_markers(raw)

    def emit(text: str, at: int | list[int]) -> None:
        for i, char in enumerate(text):
            chars.append(char)
            offsets.append(base + (at if isinstance(at, int) else at[i]))

    def emit_plain(start: int, end: int) -> None:
        if not skip:
            chars.extend(raw[start:end])
            offsets.extend(range(base + start, base + end))
            return
        for i in range(start, end):
            if i not in skip:
                chars.append(raw[i])
                offsets.append(base + i)

    pos = 0
    for match in _MARKUP.finditer(raw):
        emit_plain(pos, match.start())
        pos = match.end()
        latex = match.group("math") or match.group("inline")
        if latex is not None:
            emit(" " + _latex_to_text(latex) + " ", match.start())
        elif match.group("sup") is not None:
            body = match.group("sup").strip()
            # Digits after a length unit are an exponent (m2, m3); other digits
            # cite a footnote, whose text goes to the row's notes cell.
            if body and (not body.isdigit() or _EXPONENT_BASE.search("".join(chars[-4:]))):
                emit_plain(match.start("sup"), match.end("sup"))
        elif match.group("tag") is not None:
            if match.group("tag").lower() in _BLOCK_TAGS:
                emit(" ", match.start())
        elif match.group("entity") is not None:
            emit(html.unescape(match.group("entity")), match.start())
        else:
            emit(match.group("escape"), match.start("escape"))
    emit_plain(pos, len(raw))
    return _fold(chars, offsets)


def _emphasis_markers(raw: str) -> set[int]:
    if "*" not in raw:
        return set()
    skip: set[int] = set()
    for match in _EMPHASIS.finditer(raw):
        stars = len(match.group(1))
        skip.update(range(match.start(1), match.start(1) + stars))
        skip.update(range(match.end() - stars, match.end()))
    return skip


def _latex_to_text(latex: str) -> str:
    for pattern, replacement in _LATEX:
        latex = pattern.sub(replacement, latex)
    return latex.replace("{", "").replace("}", "")


_NON_SPACE = re.compile(r"\S+")  # \s is str.isspace's white space


def _fold(chars: list[str], offsets: list[int]) -> Cell:
    """Fold white space to single spaces, strip, and compose to NFC."""
    text = "".join(chars)
    if unicodedata.is_normalized("NFC", text) and not any(map(unicodedata.combining, set(text))):
        # NFC text without combining marks: each character is its own cluster
        # and composes to itself, so only the white space changes (what the
        # loop below does, much faster).
        out_text: list[str] = []
        kept: list[int] = []
        end = None
        for match in _NON_SPACE.finditer(text):
            start = match.start()
            if end is not None:
                out_text.append(" ")
                kept.append(offsets[end])
            end = match.end()
            out_text.append(match.group())
            kept.extend(offsets[start:end])
        return Cell("".join(out_text), kept)
    return _fold_clusters(chars, offsets)


def _fold_clusters(chars: list[str], offsets: list[int]) -> Cell:
    """`_fold`, one character cluster at a time (any text)."""
    out: list[str] = []
    out_offsets: list[int] = []
    i = 0
    n = len(chars)
    while i < n:
        char = chars[i]
        if char.isspace():
            j = i
            while j < n and chars[j].isspace():
                j += 1
            if out:
                out.append(" ")
                out_offsets.append(offsets[i])
            i = j
            continue
        # A base character and its combining marks compose as one cluster.
        j = i + 1
        while j < n and unicodedata.combining(chars[j]):
            j += 1
        cluster = "".join(chars[i:j])
        if j - i > 1 or not cluster.isascii():
            cluster = unicodedata.normalize("NFC", cluster)
        out.extend(cluster)
        out_offsets.extend([offsets[i]] * len(cluster))
        i = j
    if out and out[-1] == " ":
        out.pop()
        out_offsets.pop()
    return Cell("".join(out), out_offsets)


def _read_title_block(report: Report, lines: list[_Line]) -> None:
    texts = [line.fields[0].text for line in lines if line.fields and line.fields[0].text]
    title: list[str] = []
    for text in texts:
        if _APPENDIX.match(text):
            report.appendix = text
        elif _ATTACHED.match(text):
            _read_attached(report, text)
        else:
            title.append(text)
    report.title = " ".join(title) or None


def _read_attached(report: Report, text: str) -> None:
    """Read number, date and issuer from "(Kèm theo 525-BC/TU, ngày … của …)"."""
    number = _DOC_NUMBER.search(text)
    report.number = number.group(1) if number else None
    found = _DATE_LONG.search(text) or _DATE_SHORT.search(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        try:
            report.date = date(year, month, day)
        except ValueError:
            report.date = None
    issuer = re.search(r"\bcủa\s+(.+?)\s*\)?\s*$", text)
    report.issuer = issuer.group(1) if issuer else None


class _Assembler:
    """Join table lines into rows: continuations, shifts, footnotes."""

    def __init__(self, report_id: str, lines: list[_Line]) -> None:
        self.report_id = report_id
        self.lines = lines
        self.bigrams = _boundary_bigrams(lines)
        self.out: list[Row] = []
        self.section = -1
        self.assignee = Cell()
        self.citations: dict[int, Row] = {}
        # The columns the table's first header names, its width, and the
        # layout to place cells by where it is not the plain four columns.
        self.header: dict[str, int] | None = None
        self.width = 4
        self.layout: dict[str, int] | None = None

    def rows(self) -> list[Row]:
        footnotes: list[tuple[int, Row | None, Cell]] = []
        free: list[Cell] = []
        in_footnote = False
        for line in self.lines:
            if line.is_blank or line.is_separator:
                continue
            if not line.is_table and line.footnote is None:
                if in_footnote:
                    footnotes[-1][2].append(line.fields[0])
                else:
                    free.append(line.fields[0])
                continue
            self._place_free_lines(free)
            free = []
            if line.footnote is not None:
                footnotes.append((line.footnote, self._current(), line.fields[0]))
                in_footnote = True
                continue
            in_footnote = False
            if self._header(line):
                continue
            cells = self._columns(line)
            self._table_line(cells, line)
            self._cite(line)
        self._place_free_lines(free)
        for number, fallback, text in footnotes:
            row = self.citations.get(number, fallback)
            if row is not None:
                row.cells.setdefault(NOTES, Cell()).append(text)
        _rejoin_split_cells(self.out)
        # Rows of one assignee block shared its cell while continuations were
        # joined; from here on each row owns its copy.
        for row in self.out:
            shared = row.cells["assignee"]
            row.cells["assignee"] = Cell(shared.text, list(shared.offsets))
        return self.out

    def _current(self) -> Row | None:
        return self.out[-1] if self.out else None

    def _header(self, line: _Line) -> bool:
        """Whether `line` is a header row: short, naming the cells by header words.

        The first header, before any row, names the columns (`header_columns`);
        a layout other than the plain four columns is kept to place the cells
        of every line. A later one (repeated on a new page) is skipped where it
        names the same columns.
        """
        if sum(len(f.text) for f in line.fields) >= _HEADER_MAX:
            return False
        columns = header_columns([f.text for f in line.fields])
        if columns is None:
            return False
        if self.header is None and not self.out:
            self.header, self.width = columns, len(line.fields)
            if columns != _PLAIN or self.width != 4:
                self.layout = columns
            return True
        return columns == (self.header or _PLAIN)

    def _laid_out(self, fields: list[Cell]) -> dict[str, Cell]:
        """Cells of a line by the header's layout; other columns go to the notes."""
        layout = dict(self.layout or {})
        if len(fields) == self.width - 1 and "assignee" in layout:
            # A merged assignee cell: only the block's first line has it.
            fields = [*fields[: layout["assignee"]], Cell(), *fields[layout["assignee"] :]]
        cells = {name: fields[i] if i < len(fields) else Cell() for name, i in layout.items()}
        cells = {name: cells.get(name, Cell()) for name in (*CELLS, NOTES, "number")}
        for i, extra in enumerate(fields):
            if i not in layout.values():
                cells[NOTES].append(extra)
        return cells

    def _columns(self, line: _Line) -> dict[str, Cell]:
        if self.layout is not None:
            return self._laid_out(list(line.fields))
        fields = list(line.fields)
        if len(fields) == 3:
            fields.insert(0, Cell())
        if len(fields) > 4:
            last = fields[3]
            for extra in fields[4:]:
                last.append(extra)
            fields = fields[:4]
        assignee, task, result, plan = fields
        if _ORDINAL.match(assignee.text) and not _ORDINAL.match(task.text):
            # The task slipped into the assignee column; the other cells
            # either kept their places or slid left with it.
            rest = [task, result, plan]
            task = assignee
            assignee = Cell()
            if not rest[0].text:
                result, plan = rest[1], rest[2]
            elif not rest[2].text:
                result, plan = rest[0], rest[1]
            elif rest[0].text == rest[1].text:
                result, plan = rest[0], rest[2]
            else:
                task.append(rest[0])
                result, plan = rest[1], rest[2]
        return {"assignee": assignee, "task": task, "result": result, "plan": plan}

    def _table_line(self, cells: dict[str, Cell], line: _Line) -> None:
        number = cells.get("number")
        starts_row = (
            bool(_ORDINAL.match(cells["task"].text))
            or bool(number and re.search(r"\d", number.text))
            or not self.out
        )
        assignee = cells["assignee"]
        if starts_row:
            if assignee.text:
                self.section += 1
                self.assignee = Cell()
            elif self.section < 0:
                self.section = 0
            self.assignee.append(assignee)
            row_cells = {name: cells[name] for name in CELLS[1:]}
            row_cells = {"assignee": self.assignee, **row_cells}
            if cells.get(NOTES) and cells[NOTES].text:
                row_cells[NOTES] = cells[NOTES]
            self.out.append(
                Row(self.report_id, len(self.out), self.section, line.number, row_cells)
            )
            return
        row = self.out[-1]
        for name in CELLS:
            row.cells[name].append(cells[name])
        if cells.get(NOTES) and cells[NOTES].text:
            row.cells.setdefault(NOTES, Cell()).append(cells[NOTES])

    def _place_free_lines(self, lines: list[Cell]) -> None:
        """Put lines that lost their columns into the cells they continue.

        Each line continues one of the row's task, result and plan cells. A
        lower-case line continues the cell whose last word it pairs with best
        (word pairs the report uses elsewhere), else one left open
        mid-phrase; a capitalised line or a bullet goes on with the cell the
        previous loose line went to, else starts a sentence after a closed
        cell.
        """
        if not self.out:
            return
        row = self.out[-1]
        last: str | None = None
        for line in lines:
            names = [name for name in CELLS[1:] if row.text(name)] or ["result"]
            last = max(names, key=lambda name: self._rank(row.text(name), line.text, name, last))
            row.cells[last].append(line)

    def _rank(self, cell: str, line: str, name: str, last: str | None) -> tuple:
        end = cell[-1:] or "."
        openness = 0 if end in _TERMINAL else (1 if end in _SOFT_END else 2)
        fit = self.bigrams.get((_last_word(cell), _first_word(line)), 0.0)
        if line[:1].islower():
            return (fit, openness, name == last, name == "result")
        return (name == last, -openness, fit, name == "result")

    def _cite(self, line: _Line) -> None:
        for number in re.findall(r"<sup>\s*(\d{1,3})\s*</sup>", line.raw):
            before = line.raw.split(f"<sup>{number}</sup>")[0]
            if _EXPONENT_BASE.search(before[-4:]):
                continue
            self.citations.setdefault(int(number), self.out[-1])


_SENTENCE_END = re.compile(r"[.!?…][”\"»)\]]*(?=\s|$)")


def _rejoin_split_cells(rows: list[Row]) -> None:
    """Give back to a row the text the PDF export carried into the next row.

    Where a page break cut a cell mid-sentence, the export can put the rest of
    the sentence at the head of the same column of the next row ("… giữa Ban
    Dân" | "vận Tỉnh ủy và … 2025”. Tham mưu …"). A result or plan cell that
    starts in lower case after the same cell of the row before was left open
    (no closing mark) gives its words up to the first sentence end back to
    that cell.
    """
    for before, row in itertools.pairwise(rows):
        for name in ("result", "plan"):
            cell, previous = row.cells[name], before.cells[name]
            if not (cell.text[:1].islower() and previous.text) or previous.text[-1] in _TERMINAL:
                continue
            end = _SENTENCE_END.search(cell.text)
            cut = end.end() if end else len(cell.text)
            rest = len(cell.text) - len(cell.text[cut:].lstrip())
            previous.append(Cell(cell.text[:cut], cell.offsets[:cut]))
            row.cells[name] = Cell(cell.text[rest:], cell.offsets[rest:])


def _first_word(text: str) -> str:
    match = _WORD.search(text)
    return match.group(0).lower() if match else ""


def _last_word(text: str) -> str:
    words = _WORD.findall(text[-40:])
    return words[-1].lower() if words else ""


def _boundary_bigrams(lines: list[_Line]) -> dict[tuple[str, str], float]:
    """Count word bigrams in the report, to tell which cell a loose line continues."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in lines:
        for cell in line.fields:
            words = _WORD.findall(cell.text.lower())
            counts.update(itertools.pairwise(words))
    return {pair: math.log1p(count) for pair, count in counts.items()}
