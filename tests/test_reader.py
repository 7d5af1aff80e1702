"""Tests of the report reader on real excerpts of the bundled report."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from nlp.errors import BinaryFileError, EmptyReportError, ReportNotFoundError, UnknownLayoutError
from nlp.reader import CELLS, parse_report, read_report

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = Path(__file__).parents[1] / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"


def fixture(name: str):
    return read_report(FIXTURES / f"{name}.txt")


@pytest.fixture(scope="module")
def report():
    return read_report(REPORT)


def test_whole_report_row_count(report):
    # Verified by reading: 62 assignee blocks whose numbered tasks run 1..n
    # without gaps, except two blocks (Võ Văn Hội, Trịnh Minh Châu) where
    # tasks 1 and 2 share one table row in the source: 376 table rows.
    assert len(report.rows) == 376
    assert len(report.sections) == 62
    assert [row.index for row in report.rows] == list(range(376))


def test_title_block_metadata(report):
    assert report.appendix == "PHỤ LỤC 8"
    assert report.number == "525-BC/TU"
    assert report.date == date(2023, 12, 1)
    assert report.issuer == "Ban Thường vụ Tỉnh ủy"
    assert report.title.startswith("BÁO CÁO TỔNG HỢP TIẾN ĐỘ CHỈ ĐẠO, THAM MƯU triển khai")
    assert report.title.endswith("Nghị quyết Tỉnh ủy năm 2023")


def test_schema_example_row_with_continued_assignee():
    """The schema's own example: a page break split the assignee cell."""
    rows = fixture("continued_assignee").rows
    row = next(r for r in rows if r.text("task").startswith("2. Hoàn thành nghiệm thu"))
    assert row.text("assignee") == (
        "Đồng chí Bùi Văn Hiệp, Giám đốc Ban Quản lý dự án đầu tư xây dựng các công trình "
        "dân dụng và công nghiệp"
    )
    assert row.text("task") == (
        "2. Hoàn thành nghiệm thu và bàn giao đưa vào sử dụng Trung tâm chính trị hành chính "
        "huyện Mỏ Cày Nam"
    )
    assert row.text("result") == "Công trình đã hoàn thành bàn giao đưa vào sử dụng ngày 05/5/2023."
    assert row.text("plan") == "Sở Tài chính đang thẩm tra phê duyệt."
    # The offsets of the schema's example entities hold on our cells.
    assert row.text("assignee")[9:21] == "Bùi Văn Hiệp"
    assert row.text("task")[53:100] == "Trung tâm chính trị hành chính huyện Mỏ Cày Nam"
    assert row.text("result")[50:64] == "ngày 05/5/2023"


def test_continued_assignee_reaches_the_row_it_was_split_from():
    rows = fixture("continued_assignee").rows
    first = next(r for r in rows if r.text("assignee").startswith("Đồng chí Bùi Văn Hiệp"))
    assert first.text("task").startswith("1. Phấn đấu giải ngân")
    assert first.text("assignee").endswith("dân dụng và công nghiệp")
    assert first.text("plan") == (
        "Kiểm tra, đôn đốc đẩy nhanh tiến độ thực hiện các dự án để hoàn thành giải ngân 100% "
        "kế hoạch vốn đầu tư công được phân bổ"
    )


def test_assignee_is_carried_down_until_the_next_one():
    rows = fixture("continued_assignee").rows
    assert [r.section for r in rows] == [0] * 7 + [1] * 3
    assert {r.text("assignee") for r in rows[:7]} == {
        "Đồng chí Nguyễn Văn Lớn, Giám đốc Ban Quản lý dự án đầu tư xây dựng các công trình giao "
        "thông"
    }


def test_page_break_continuation_is_joined():
    rows = fixture("page_break").rows
    assert len(rows) == 6
    assert (
        rows[1]
        .text("result")
        .endswith(
            "02 Đề án, 01 đề tài (còn lại 02 Đề án, 01 Quy định chờ hướng dẫn của Trung ương)."
        )
    )
    assert (
        rows[1]
        .text("plan")
        .endswith("hội nghị sơ kết nửa nhiệm kỳ thực hiện Nghị quyết Đại hội Đảng bộ tỉnh.")
    )


def test_header_row_is_not_a_row():
    rows = fixture("page_break").rows
    assert not any("Cá nhân được phân công" in r.text("assignee") for r in rows)


@pytest.mark.parametrize(
    ("task_start", "result_start", "plan_start"),
    [
        # A line with three columns: the assignee column is missing.
        (
            "6. Xử lý giải quyết bãi rác tỉnh.",
            "Tôi cùng tập thể Thường trực UBND",
            "Tôi tiếp tục chỉ đạo các sở",
        ),
        (
            "7. Thực hiện các bước để triển khai dự án",
            "Tôi thường xuyên chỉ đạo Sở Công Thương",
            "Tôi tiếp tục chỉ đạo Sở Công Thương",
        ),
    ],
)
def test_three_column_lines_are_shifted_back(task_start, result_start, plan_start):
    row = next(r for r in fixture("shifted_cells").rows if r.text("task").startswith(task_start))
    assert row.text("result").startswith(result_start)
    assert row.text("plan").startswith(plan_start)
    assert row.text("assignee").startswith("Đồng chí Trần Ngọc Tam")


def test_three_column_continuation_goes_to_the_result():
    row = next(r for r in fixture("shifted_cells").rows if r.text("task").startswith("5."))
    assert "nhà đầu tư thực hiện hồ sơ chấp thuận nhà đầu tư đối với dự án." in row.text("result")


def test_task_in_the_assignee_column_is_moved_back():
    rows = fixture("task_in_assignee_column").rows
    third = next(r for r in rows if r.text("task").startswith("3. Tham mưu, theo dõi, chỉ đạo"))
    assert third.text("assignee").startswith("Đồng chí Cao Văn Dũng")
    assert third.text("result").startswith("Tham mưu ban hành Kế hoạch tuyên truyền")
    assert third.text("plan").startswith("Tham mưu chuẩn bị chu đáo nội dung")


def test_duplicated_result_column_is_kept_once():
    rows = fixture("task_in_assignee_column").rows
    row = next(r for r in rows if r.text("task").startswith("3. Lãnh đạo, chỉ đạo xây dựng"))
    assert row.text("result").count("Chủ trì, phối hợp với các cấp ủy") == 1
    assert row.text("plan").startswith("Tiếp tục theo dõi, đôn đốc các cơ quan tham mưu")


def test_lines_laid_out_one_cell_per_line_are_rebuilt(report):
    # Which cell a loose line continues is read from word pairs of the whole
    # report, so this case is checked in its place in the report.
    rows = report.rows
    row = next(r for r in rows if r.text("task").startswith("2. Tập trung chỉ đạo thi hành án"))
    result, plan = row.text("result"), row.text("plan")
    assert "vượt 6,71% chỉ tiêu về tiền) cụ thể như: Tổng số giải quyết là 22.151 việc" in result
    assert "24 bản án, Cục Thi hành án dân sự cũng đã tham mưu thường xuyên" in result
    assert "Tiếp tục tăng cường vai trò, trách nhiệm của Thủ trưởng các cơ quan" in plan
    assert "để tháo gỡ những khó khăn, vướng mắc, đảm bảo việc thi hành án" in plan
    assert plan.endswith("cần thực hiện đúng quy trình xin hướng dẫn nghiệp vụ.")
    # The page break cut the result mid-sentence and the export put the rest
    # at the head of the next row's result: it comes back to this row.
    nxt = rows[rows.index(row) + 1]
    assert result.endswith(
        "bằng Kết luận nội dung tố cáo là không có cơ sở, tố cáo sai toàn bộ, đạt tỷ lệ 100%."
    )
    assert nxt.text("result").startswith("Sơ kết phong trào thi đua “Đồng Khởi mới” năm 2022")


@pytest.mark.parametrize(
    ("task", "cell", "ends", "next_starts"),
    [
        ("3. Tiếp tục phối hợp nâng cao", "plan", "giữa Ban Dân vận Tỉnh ủy và Ban Cán sự "
         "đảng UBND tỉnh “Về công tác dân vận chính quyền giai đoạn 2021 - 2025”.",
         "Tham mưu việc kiểm tra việc thực hiện quy chế dân chủ"),
        ("5. Tiếp tục đẩy mạnh ứng dụng công nghệ thông tin", "result",
         "Giồng Trôm và Mỏ Cây Nam (chưa hoàn thành việc xác minh lịch sử chính trị).",
         "Về tăng cường kỷ luật tài chính"),
        ("5. Tiếp tục đẩy mạnh ứng dụng công nghệ thông tin", "plan",
         "khóa bồi dưỡng chuyên môn, nghiệp vụ cơ yếu năm 2023.",
         "Tiếp tục chỉ đạo thực hiện tốt"),
    ],
)  # fmt: skip
def test_text_a_page_break_carried_into_the_next_row_comes_back(
    report, task, cell, ends, next_starts
):
    rows = report.rows
    row = next(r for r in rows if r.text("task").startswith(task))
    nxt = rows[rows.index(row) + 1]
    assert row.text(cell).endswith(ends)
    assert nxt.text(cell).startswith(next_starts)
    # Both keep their provenance: the characters at the cut map to their source.
    for piece, k in ((row.cells[cell], -1), (nxt.cells[cell], 0)):
        assert report.text[piece.offsets[k]] == piece.text[k]


def test_footnotes_go_to_the_row_that_cites_them():
    rows = fixture("footnotes").rows
    citing = next(r for r in rows if r.text("task").startswith("2. Triển khai thực hiện tốt"))
    notes = citing.text("notes")
    # Footnote 2 with its four bullet lines, then footnotes 3 and 4.
    assert notes.startswith("Xã Vang Quới Tây, huyện Bình Đại: 326 ha dừa hữu cơ")
    assert "- Xã Tường Đa, huyện Châu Thành" in notes
    assert (
        "Công văn số 603/CCCNTY-QLG ngày 16 tháng 5 năm 2022 của Chi cục Chăn nuôi và Thú y."
        in notes
    )
    assert notes.endswith("Công văn số 586/CCCNTY-QLG ngày 10 tháng 5 năm 2022.")
    assert not any(r.text("notes") for r in rows if r is not citing)
    # The citation mark itself leaves the cell text; a unit exponent stays.
    assert "40 ha (tăng 18 ha" in citing.text("result")
    assert "huyện Giồng Trôm. Hình thành" in citing.text("result")


def test_unit_exponent_is_kept(report):
    texts = [row.text("result") for row in report.rows]
    assert any("358.454,3m2/ 366.718,8m2" in text for text in texts)


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("<p><b>1.</b> Sở GD&amp;ĐT   trình</p>", "1. Sở GD&ĐT trình"),
        ("tỷ lệ giải ngân &gt;90%", "tỷ lệ giải ngân >90%"),
        ("“*Mẫu mực, tiêu biểu*”; Nghị quyết", "“Mẫu mực, tiêu biểu”; Nghị quyết"),
        ("*\\* Công tác theo dõi:*", "* Công tác theo dõi:"),
        ("(chỉ tiêu $\\leq 03\\%$ )", "(chỉ tiêu ≤ 03% )"),
        ("<ul><li>- Đã thành lập</li> <li>- Đã ký</li></ul>", "- Đã thành lập - Đã ký"),
        ("Ho\u0300a Lo\u0323\u0302c", "Hòa Lộc"),
    ],
)
def test_visible_text_rules(raw, visible):
    text = f"Cá nhân được phân công\tNội dung\tKết quả thực hiện\tKế hoạch\n\t1. Việc\t{raw}\tx\n"
    cell = parse_report(text, "t").rows[0].cells["result"]
    assert cell.text == visible
    assert unicodedata.is_normalized("NFC", cell.text)
    assert len(cell.offsets) == len(cell.text)


def test_every_cell_maps_back_to_its_source(report):
    checked = 0
    for row in report.rows:
        for cell in row.cells.values():
            for start, end, src_start, src_end in cell.source_spans():
                assert 0 <= src_start < src_end <= len(report.text)
                assert start < end
            for char, offset in zip(cell.text, cell.offsets, strict=True):
                source = report.text[offset]
                # Decoded entities and LaTeX map to where their markup starts.
                if char != " " and source not in "&\\<$":
                    assert source == char
                    checked += 1
    assert checked > 500_000


def test_record_is_the_schema_format_with_provenance(report):
    record = json.loads(json.dumps(report.rows[305].to_record(), ensure_ascii=False))
    assert record["report"] == "bentre-2023-phu-luc-8"
    assert record["row"] == 305
    assert set(record["cells"]) == set(CELLS)
    assert record["entities"] == [] and record["relations"] == []
    start, end, src_start, src_end = record["source"]["cells"]["result"][0]
    assert report.text[src_start:src_end] == record["cells"]["result"][start:end]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyReportError),
        (b"  \n\n\t \n", EmptyReportError),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", BinaryFileError),
        (b"B\xe1o c\xe1o \xe2\xe2 kh\xf4ng c\xf3 b\xe0ng\n", BinaryFileError),
        ("Báo cáo không có bảng.\nChỉ có văn bản.".encode(), UnknownLayoutError),
    ],
)
def test_bad_files_raise_named_errors(tmp_path, content, error):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(error) as raised:
        read_report(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("name", ["missing.txt", ""])
def test_missing_path(tmp_path, name):
    with pytest.raises(ReportNotFoundError):
        read_report(tmp_path / name)


def test_utf16_report_reads_like_utf8(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes((FIXTURES / "page_break.txt").read_text(encoding="utf-8").encode("utf-16"))
    assert [r.to_record()["cells"] for r in read_report(path).rows] == [
        r.to_record()["cells"] for r in fixture("page_break").rows
    ]


def test_fold_fast_path_equals_the_cluster_loop():
    import random

    from nlp.reader import _fold, _fold_clusters

    rng = random.Random(7)
    alphabet = list("aăbđeêoơuư xyzÀÁẠ.,\t\n\u00a0\u2003\u0300\u0301\u0323\u1100\u1161\u212b")
    texts = ["  Hoà   bình ", "a\u0301 b", "\u0301x", "", " \t ", "Dự án\u00a0A"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(3000)]
    for text in texts:
        offsets = [3 * i + 1 for i in range(len(text))]
        assert _fold(list(text), offsets) == _fold_clusters(list(text), offsets), repr(text)


# The same kind of report laid out with a row-number column first and a
# remarks column last, as other offices export it; the cell texts are real
# excerpts of the bundled report.
NUMBERED = (
    "BÁO CÁO TIẾN ĐỘ\n"
    "\n"
    "STT\tLãnh đạo phụ trách\tNhiệm vụ được giao\tKết quả thực hiện\tKế hoạch tiếp theo\tGhi chú\n"
    "1\tĐồng chí Bùi Văn Hiệp, Giám đốc Ban Quản lý dự án\t"
    "Hoàn thành nghiệm thu và bàn giao đưa vào sử dụng Trung tâm chính trị hành chính "
    "huyện Mỏ Cày Nam\tCông trình đã hoàn thành bàn giao đưa vào sử dụng ngày 05/5/2023.\t"
    "Sở Tài chính đang thẩm tra phê duyệt.\tĐúng tiến độ\n"
    "2\t\tThực hiện dự án Cầu Rạch Miễu 2\tĐã bàn giao mặt bằng với diện tích "
    "358.454,3m2/ 366.718,8m2\tTiếp tục bàn giao\t\n"
    "\t\t\t(539 hộ/545 hộ)\t\t\n"
    "STT\tLãnh đạo phụ trách\tNhiệm vụ được giao\tKết quả thực hiện\tKế hoạch tiếp theo\tGhi chú\n"
    "3\tKhu công nghiệp Phú Thuận\tĐang thi công\tHoàn thành trong Quý I/2024\t\n"
)


def test_columns_are_placed_by_the_header_words():
    report = parse_report(NUMBERED, "numbered")
    assert [row.index for row in report.rows] == [0, 1, 2]
    first, second, third = report.rows
    assert first.text("assignee") == "Đồng chí Bùi Văn Hiệp, Giám đốc Ban Quản lý dự án"
    assert first.text("task").startswith("Hoàn thành nghiệm thu")
    assert first.text("plan") == "Sở Tài chính đang thẩm tra phê duyệt."
    assert first.text("notes") == "Đúng tiến độ"
    # A row starts at its number; a line without one continues the row.
    assert second.text("result") == (
        "Đã bàn giao mặt bằng với diện tích 358.454,3m2/ 366.718,8m2 (539 hộ/545 hộ)"
    )
    assert second.text("assignee") == first.text("assignee")
    assert "notes" not in second.cells
    # A line without the merged assignee cell (one column short) keeps its places.
    assert [third.text(name) for name in CELLS] == [
        first.text("assignee"),
        "Khu công nghiệp Phú Thuận",
        "Đang thi công",
        "Hoàn thành trong Quý I/2024",
    ]
    for row in report.rows:
        for cell in row.cells.values():
            for char, offset in zip(cell.text, cell.offsets, strict=True):
                assert char == " " or NUMBERED[offset] == char


def test_the_plain_four_columns_read_as_before(report):
    # The bundled header names the four columns in their usual places.
    from nlp.reader import _PLAIN, header_columns

    header = [
        "Cá nhân được phân công",
        "Nội dung trực tiếp chỉ đạo, tham mưu thực hiện (nêu trong Thông báo số 321-TB/TU)",
        "Kết quả thực hiện",
        "Kế hoạch triển khai thực hiện tiếp theo",
    ]
    assert header_columns(header) == _PLAIN
    assert header_columns(["1", "Đồng chí A", "Kết quả", "x"]) is None
