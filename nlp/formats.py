"""Reports in every format they arrive in: text, HTML, Word, Excel, CSV; legacy encodings.

`read_any(path)` picks the reader by suffix and returns the same `Report` as
`read_report`. Tables in HTML, .docx, .xlsx and .csv files are found by their
column headers ("Cá nhân được phân công", "Nội dung …", "Kết quả thực hiện",
"Kế hoạch …") or, failing that, by position. For these formats the report's
`text` is the table as tab-separated lines (one line per table row), and cell
offsets point into it.

`decode(data)` turns bytes into text: UTF-8 with or without BOM, UTF-16,
Windows-1258, and the legacy Vietnamese font encodings TCVN3 (ABC) and VNI,
detected from the content (viparse's conversion tables and scorer), then
composed to NFC.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from nlp.errors import BinaryFileError, EmptyReportError, ReportError, UnknownLayoutError
from nlp.reader import (
    CELLS,
    NOTES,
    Cell,
    Report,
    Row,
    _clean,
    _read_title_block,
    header_columns,
    parse_report,
)

MAX_BYTES = 200 * 1024 * 1024
"""Files larger than this are refused before being read."""

MAX_UNZIPPED = 500 * 1024 * 1024
MAX_RATIO = 200
"""A .docx/.xlsx is refused when its parts would unpack beyond `MAX_UNZIPPED`
bytes or any part is compressed more than `MAX_RATIO` times (a zip bomb)."""


class ReportTooLargeError(ReportError):
    """The file is larger than tiendo reads (`MAX_BYTES`), or unpacks to more."""


def decode(data: bytes, path: str | Path = "<bytes>") -> str:
    """Decode report bytes to Unicode text (NFC); raise `BinaryFileError` if they are not text.

    Tries, in order: a BOM (UTF-8, UTF-16), UTF-16 without BOM, UTF-8; else
    the 8-bit encodings (Windows-1258, TCVN3, VNI), keeping the reading that
    looks most Vietnamese. Text that decodes as UTF-8 but was typed in a
    legacy font ("ViÖt Nam") is converted too.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise BinaryFileError(path, f"broken UTF-16 text ({error.reason})") from None
    elif _looks_utf16(data):
        text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be", errors="replace")
    else:
        if b"\x00" in data[:8192]:
            raise BinaryFileError(path, "binary file, not a text report; export it as text first")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _eight_bit(data, path)
        else:
            text = _legacy(text)
    if _control_ratio(text) > 0.05:
        raise BinaryFileError(path, "binary file, not a text report; export it as text first")
    return unicodedata.normalize("NFC", text)


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even)) or (
        even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd)
    )


def _control_ratio(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    bad = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    return bad / len(sample)


def _charmaps():
    from viparse.normalize.tcvn3 import TCVN3
    from viparse.normalize.vni import VNI

    return {"tcvn3": TCVN3, "vni": VNI}


def _score(text: str) -> float:
    from viparse.normalize.frequency import vietnamese_score

    return vietnamese_score(text[:50000])


def _eight_bit(data: bytes, path) -> str:
    """Read bytes that are not UTF-8: Windows-1258, TCVN3 or VNI, the best-scoring."""
    from viparse.normalize.tables import convert

    surface = data.decode("cp1252", errors="replace")
    candidates = {"cp1258": unicodedata.normalize("NFC", data.decode("cp1258", errors="replace"))}
    for name, charmap in _charmaps().items():
        candidates[name] = convert(surface, charmap)
    best = max(candidates, key=lambda name: _score(candidates[name]))
    if _plain_ratio(candidates[best]) < 0.97:
        raise BinaryFileError(path, "not UTF-8 text, nor a Vietnamese encoding tiendo knows")
    return candidates[best]


_VIETNAMESE = set(
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệfghiìíỉĩịjklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvwxyỳýỷỹỵz"
)


def _plain_ratio(text: str) -> float:
    """The share of characters that Vietnamese text is made of (letters, digits, ASCII)."""
    sample = unicodedata.normalize("NFC", text[:20000]).lower()
    if not sample:
        return 0.0
    good = sum(1 for c in sample if c.isascii() or c in _VIETNAMESE or c in "–—“”‘’…°²³%")
    return good / len(sample)


def _legacy(text: str) -> str:
    """Convert Unicode text typed in a legacy font (TCVN3, VNI); leave good text alone."""
    from viparse.normalize.detector import detect_encoding_by_content
    from viparse.normalize.tables import convert

    if text.isascii():
        return text
    found = detect_encoding_by_content(text[:50000], _charmaps())
    if found.encoding is None:
        return text
    return convert(text, _charmaps()[found.encoding])


def _read_bytes(path: Path) -> bytes:
    if not path.is_file():
        from nlp.errors import ReportNotFoundError

        raise ReportNotFoundError(path, "no such file; check the path")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ReportTooLargeError(
            path, f"{size // 2**20} MB is larger than the {MAX_BYTES // 2**20} MB tiendo reads"
        )
    data = path.read_bytes()
    if not data.strip():
        raise EmptyReportError(path, "the file is empty; export the report again")
    return data


def read_any(path: str | Path, report_id: str | None = None) -> Report:
    """Read a report in any supported format; return its `Report`.

    Takes a .txt/.md (the bundled layout), .html/.htm, .docx, .xlsx or .csv
    file. Raises a `ReportError` subclass with a one-line reason for a file
    that is missing, empty, binary, too large, encrypted, truncated, a zip
    bomb, or holds no table with the four columns.
    """
    path = Path(path)
    report_id = report_id or path.stem
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix in (".docx", ".xlsx"):
        _check_zip(data, path)
        tables = _docx_tables(data, path) if suffix == ".docx" else _xlsx_tables(data, path)
        return from_tables(tables, report_id, str(path))
    text = decode(data, path)
    if suffix in (".html", ".htm") or (
        suffix not in (".txt", ".md", ".csv") and "<table" in text[:5000].lower()
    ):
        return from_tables(_html_tables(text), report_id, str(path), title_lines=_html_title(text))
    if suffix == ".csv":
        return from_tables([_csv_rows(text, path)], report_id, str(path))
    return parse_report(text, report_id, str(path))


def _check_zip(data: bytes, path: Path) -> None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise BinaryFileError(
            path, "password-protected or old binary Office file; save it unprotected as .docx/.xlsx"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BinaryFileError(path, "truncated or damaged Office file; export it again") from None
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED or any(
        info.compress_size and info.file_size / info.compress_size > MAX_RATIO for info in infos
    ):
        raise ReportTooLargeError(path, "unpacks to far more than it holds (a zip bomb?); refused")


def _docx_tables(data: bytes, path: Path) -> list[list[list[str]]]:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as error:
        raise BinaryFileError(path, f"not a readable Word file ({type(error).__name__})") from None
    tables = []
    for table in document.tables:
        rows = []
        for row in table.rows:
            rows.append([cell.text for cell in row.cells])
        tables.append(rows)
    return tables


def _xlsx_tables(data: bytes, path: Path) -> list[list[list[str]]]:
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise BinaryFileError(path, f"not a readable Excel file ({type(error).__name__})") from None
    tables = []
    for sheet in book.worksheets:
        rows = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        tables.append(rows)
    book.close()
    return tables


def _csv_rows(text: str, path: str | Path) -> list[list[str]]:
    # A cell may hold a whole long report section; the default limit is 128 KiB.
    csv.field_size_limit(MAX_BYTES)
    try:
        dialect = csv.Sniffer().sniff(text[:5000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        raise UnknownLayoutError(path, f"malformed CSV ({error})") from None


class _TableParser(HTMLParser):
    """Collect the cells of every <table>; skip <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("br", "p", "li", "div") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _html_tables(text: str) -> list[list[list[str]]]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    return parser.tables


def _html_title(text: str) -> list[str]:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    before = re.split(r"(?i)<table", text, maxsplit=1)[0]
    lines = [
        re.sub(r"<[^>]+>", " ", line) for line in re.split(r"(?i)<br\s*/?>|</p>|</h\d>|\n", before)
    ]
    return [re.sub(r"\s+", " ", line).strip() for line in lines if line.strip()]


def _find_columns(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header row and the column of each cell, by header words, else by position."""
    for index, row in enumerate(rows[:6]):
        columns = header_columns(row)
        if columns:
            return index + 1, columns
    widths = [len([c for c in row if c.strip()]) for row in rows]
    if not rows or max(widths, default=0) < 4:
        return None
    first = 0
    # A leading "STT" column of short numbers is not one of the four.
    if all(re.fullmatch(r"\s*[\dIVXivx.]*\s*", row[0] or "") for row in rows if row):
        first = 1
    if max(len(row) for row in rows) - first < 4:
        return None
    columns = {name: first + i for i, name in enumerate(CELLS)}
    return 0, ({"number": 0, **columns} if first else columns)


def from_tables(
    tables: list[list[list[str]]],
    report_id: str,
    path: str,
    title_lines: list[str] | None = None,
) -> Report:
    """Build a `Report` from tables of cell strings (the first table with the columns).

    Each table row is a row; a row with no task continues the one before it;
    an empty assignee is carried down from the row above.
    """
    for rows in tables:
        rows = [
            [str(c or "") for c in row] for row in rows if any(str(c or "").strip() for c in row)
        ]
        found = _find_columns(rows)
        if found:
            start, columns = found
            return _table_report(rows[start:], columns, report_id, path, title_lines or [])
    raise UnknownLayoutError(
        path,
        "no table with the columns assignee, task, result, plan (by header or position); "
        "check the file holds the progress table",
    )


def _table_report(
    rows: list[list[str]], columns: dict[str, int], report_id: str, path: str, title: list[str]
) -> Report:
    lines = [t.replace("\t", " ").replace("\n", " ") for t in title]
    body: list[Row] = []
    offset = sum(len(line) + 1 for line in lines)
    section = -1
    assignee = ""
    # Columns that are not one of the four (remarks, …) go to the notes; a
    # row number column is dropped.
    width = max(len(row) for row in rows)
    others = [i for i in range(width) if i not in columns.values() or columns.get(NOTES) == i]
    names = (
        (*CELLS, NOTES)
        if any(row[i].strip() for row in rows for i in others if i < len(row))
        else CELLS
    )
    for number, row in enumerate(rows, start=len(lines) + 1):
        values = [
            (row[columns[name]] if name in columns and columns[name] < len(row) else "")
            for name in CELLS
        ]
        if NOTES in names:
            values.append(" ".join(row[i] for i in others if i < len(row) and row[i].strip()))
        values = [re.sub(r"[\t\r\n]+", " ", v) for v in values]
        line = "\t".join(values)
        cells: dict[str, Cell] = {}
        pos = offset
        for name, value in zip(names, values, strict=True):
            cells[name] = _clean(value, pos)
            pos += len(value) + 1
        lines.append(line)
        offset += len(line) + 1
        if not any(c.text for c in cells.values()):
            continue
        notes = cells.pop(NOTES, None)
        if notes is not None and notes.text:
            target = body[-1].cells if not cells["task"].text and body else cells
            target.setdefault(NOTES, Cell()).append(notes)
        if not cells["task"].text and body:
            for name in CELLS:
                body[-1].cells[name].append(cells[name])
            continue
        if cells["assignee"].text and cells["assignee"].text != assignee:
            section += 1
            assignee = cells["assignee"].text
            carried = cells["assignee"]
        else:
            section = max(section, 0)
            carried = (
                Cell(body[-1].cells["assignee"].text, list(body[-1].cells["assignee"].offsets))
                if body
                else Cell()
            )
        cells["assignee"] = carried
        body.append(Row(report_id, len(body), section, number, cells))
    if not body:
        raise UnknownLayoutError(path, "the table has a header but no rows")
    text = "\n".join(lines) + "\n"
    report = Report(
        id=report_id,
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        rows=body,
    )
    if title:
        from nlp.reader import _lines

        _read_title_block(report, list(_lines("\n".join(lines[: len(title)]) + "\n")))
    return report
