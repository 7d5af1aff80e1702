"""Tests of reading every report format and encoding, built as real small files."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.errors import BinaryFileError, EmptyReportError, ReportError, UnknownLayoutError
from nlp.formats import ReportTooLargeError, decode, read_any

ROOT = Path(__file__).parents[1]
REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"

HEADER = [
    "STT",
    "Cá nhân được phân công",
    "Nội dung trực tiếp chỉ đạo, tham mưu thực hiện",
    "Kết quả thực hiện",
    "Kế hoạch triển khai thực hiện tiếp theo",
]
# Real cells of the bundled report (row 305 and the row after it).
ROWS = [
    [
        "1",
        "Đồng chí Bùi Văn Hiệp, Giám đốc Ban Quản lý dự án đầu tư xây dựng các công trình dân "
        "dụng và công nghiệp",
        "2. Hoàn thành nghiệm thu và bàn giao đưa vào sử dụng Trung tâm chính trị hành chính "
        "huyện Mỏ Cày Nam",
        "Công trình đã hoàn thành bàn giao đưa vào sử dụng ngày 05/5/2023.",
        "Sở Tài chính đang thẩm tra phê duyệt.",
    ],
    [
        "2",
        "",
        "3. Hoàn thành công tác đấu thầu gói thầu và triển khai thi công xây dựng gói thầu xây "
        "lắp Bệnh viện đa khoa tỉnh Bến Tre",
        "Công tác đấu thầu gói thầu thi công xây dựng công trình Bệnh viện đa khoa tỉnh Bến Tre",
        "Gói thầu xây dựng: Tiếp tục theo dõi ý kiến Ngân hàng Keximbank",
    ],
]


def _docx(path: Path, rows) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("BÁO CÁO TỔNG HỢP TIẾN ĐỘ")
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    document.save(path)
    return path


def _xlsx(path: Path, rows) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _csv(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _html(path: Path, rows) -> Path:
    cells = "".join("<tr>" + "".join(f"<td><p>{c}</p></td>" for c in r) + "</tr>" for r in rows)
    path.write_text(
        "<html><head><script>document.write('<table><tr><td>x</td></tr></table>')</script>"
        f"</head><body><p><b>BÁO CÁO</b></p><table>{cells}</table></body></html>",
        encoding="utf-8",
    )
    return path


MAKERS = {"docx": _docx, "xlsx": _xlsx, "csv": _csv, "html": _html}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_tables_by_header(tmp_path, kind):
    path = MAKERS[kind](tmp_path / f"report.{kind}", [HEADER, *ROWS])
    report = read_any(path)
    assert len(report.rows) == 2
    first, second = report.rows
    assert first.text("task") == ROWS[0][2]
    assert first.text("result") == ROWS[0][3]
    assert first.text("plan") == ROWS[0][4]
    # The empty assignee is carried down; the STT column is not a cell.
    assert second.text("assignee") == ROWS[0][1]
    for row in report.rows:
        for cell in row.cells.values():
            for char, offset in zip(cell.text, cell.offsets, strict=True):
                assert char == " " or report.text[offset] == char


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_remarks_column_goes_to_the_notes(tmp_path, kind):
    rows = [[*HEADER, "Ghi chú"], [*ROWS[0], "Đúng tiến độ"], [*ROWS[1], ""]]
    report = read_any(MAKERS[kind](tmp_path / f"report.{kind}", rows))
    first, second = report.rows
    assert first.text("plan") == ROWS[0][4]
    assert first.text("notes") == "Đúng tiến độ"
    assert "notes" not in second.cells
    assert "1" not in first.text("notes")
    for cell in first.cells.values():
        for char, offset in zip(cell.text, cell.offsets, strict=True):
            assert char == " " or report.text[offset] == char


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_tables_by_position(tmp_path, kind):
    rows = [[r[0], *r[1:]] for r in ROWS]
    report = read_any(MAKERS[kind](tmp_path / f"report.{kind}", rows))
    assert [r.text("plan") for r in report.rows] == [ROWS[0][4], ROWS[1][4]]


def test_html_scripts_are_ignored(tmp_path):
    report = read_any(_html(tmp_path / "r.html", [HEADER, *ROWS]))
    assert all("document.write" not in r.text("task") for r in report.rows)
    assert report.title == "BÁO CÁO"


@pytest.mark.parametrize(
    ("encode", "text"),
    [
        (lambda s: s.encode("utf-8"), "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        (lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        (lambda s: s.encode("utf-16"), "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        (lambda s: s.encode("utf-16-le"), "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        (
            lambda s: unicodedata.normalize("NFD", s).encode("utf-8"),
            "Cộng hòa xã hội chủ nghĩa Việt Nam",
        ),
    ],
)
def test_unicode_encodings(encode, text):
    assert decode(encode(text)) == text


def _cp1258(text: str) -> bytes:
    """Windows-1258 keeps â ê ô ơ ư ă đ whole and writes tone marks as combining ones."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            keep = [m for m in marks if m in "\u0302\u0306\u031b"]
            tone = [m for m in marks if m not in keep]
            out += unicodedata.normalize("NFC", base + "".join(keep)).encode("cp1258")
            out += "".join(tone).encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        # The well-known renderings of this line in the legacy fonts.
        (
            "Céng hoµ x· héi chñ nghÜa ViÖt Nam".encode("cp1252"),
            "Cộng hoà xã hội chủ nghĩa Việt Nam",
        ),
        (
            "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam".encode("cp1252"),
            "Cộng hòa xã hội chủ nghĩa Việt Nam",
        ),
        # A TCVN3 document that was saved as UTF-8 text.
        ("Céng hoµ x· héi chñ nghÜa ViÖt Nam".encode(), "Cộng hoà xã hội chủ nghĩa Việt Nam"),
        (
            _cp1258("Cộng hòa xã hội chủ nghĩa Việt Nam, dự án Cầu"),
            "Cộng hòa xã hội chủ nghĩa Việt Nam, dự án Cầu",
        ),
    ],
)
def test_legacy_encodings(data, text):
    assert decode(data) == text


def _encodable(text: str) -> str:
    """`text` with the few characters Windows-1258 lacks (≤, ×) replaced by "?"."""
    out = []
    for char in text:
        try:
            _cp1258(char)
        except UnicodeEncodeError:
            char = "?"
        out.append(char)
    return "".join(out)


def test_the_bundled_report_in_windows_1258_reads_the_same(tmp_path):
    """The whole report, saved in Windows-1258, gives the same rows as in UTF-8."""
    text = _encodable(REPORT.read_text(encoding="utf-8"))
    (tmp_path / "utf8.txt").write_text(text, encoding="utf-8")
    (tmp_path / "cp1258.txt").write_bytes(_cp1258(text))
    want = read_any(tmp_path / "utf8.txt")
    got = read_any(tmp_path / "cp1258.txt")
    assert len(got.rows) == 376
    assert [r.to_record()["cells"] for r in got.rows] == [r.to_record()["cells"] for r in want.rows]


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("empty.txt", b"", EmptyReportError, "empty"),
        ("blank.csv", b"\n\n  \n", EmptyReportError, "empty"),
        ("binary.txt", bytes(range(256)) * 40, BinaryFileError, "binary"),
        ("truncated.docx", b"PK\x03\x04\x14\x00\x00\x00broken", BinaryFileError, "truncated"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            BinaryFileError,
            "password",
        ),
        ("prose.txt", "Chỉ có văn bản, không có bảng.".encode(), UnknownLayoutError, "no table"),
        ("prose.csv", "một,hai\nba,bốn\n".encode(), UnknownLayoutError, "no table"),
        (
            "noheader.html",
            b"<table><tr><td>a</td><td>b</td></tr></table>",
            UnknownLayoutError,
            "no table",
        ),
    ],
)
def test_bad_files_get_one_line(tmp_path, name, content, error, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as raised:
        read_any(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_zip_bomb_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\x00" * (50 * 2**20))
    path = tmp_path / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ReportTooLargeError, match="zip bomb"):
        read_any(path)


def test_too_large_file_is_refused_before_reading(tmp_path, monkeypatch):
    import nlp.formats

    monkeypatch.setattr(nlp.formats, "MAX_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(ReportTooLargeError, match="larger than"):
        read_any(path)


def test_a_one_megabyte_cell_is_read(tmp_path):
    big = "Đang thi công. " * 70_000
    report = read_any(
        _csv(tmp_path / "big.csv", [HEADER, [ROWS[0][0], ROWS[0][1], ROWS[0][2], big, "x"]])
    )
    assert len(report.rows[0].text("result")) > 1_000_000


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_decode_never_crashes(data):
    try:
        text = decode(data)
    except ReportError:
        return
    assert unicodedata.is_normalized("NFC", text)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_reader_never_crashes_on_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "r.txt"
    path.write_text(text, encoding="utf-8")
    try:
        report = read_any(path)
    except ReportError:
        return
    for row in report.rows:
        for cell in row.cells.values():
            assert len(cell.offsets) == len(cell.text)
