"""Tests for nlp.tokenize on excerpts of the bundled report and on generated text."""

import dataclasses
import html
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nlp.tokenize import (
    KINDS,
    Token,
    align,
    get_nlp,
    segment,
    to_doc,
    tokenize,
)

REPORT = Path(__file__).resolve().parents[1] / "annotations/reports/bentre-2023-phu-luc-8.txt"
_BLOCK = re.compile(r"</?(?:p|li|ul|ol|br|div)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


@cache
def report_cells(fold: bool = True) -> tuple[str, ...]:
    """The report's cells: tab-separated, tags stripped, entities unescaped.

    With `fold`, whitespace runs become one space; without, the cell keeps
    the runs of spaces the PDF export left.
    """
    cells = []
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        for raw in line.split("\t"):
            text = html.unescape(_TAG.sub("", _BLOCK.sub(" ", raw)))
            text = " ".join(text.split()) if fold else text
            if text.strip():
                cells.append(text)
    return tuple(cells)


@cache
def report_tokens(fold: bool = True) -> tuple[list[Token], ...]:
    return tuple(tokenize(cell) for cell in report_cells(fold))


def pairs(text: str) -> list[tuple[str, str]]:
    return [(t.text, t.kind) for t in tokenize(text)]


def check_tokens(text: str, tokens: list[Token]) -> None:
    """Offsets match, tokens in order, no overlap, trimmed, every non-space covered."""
    covered = [False] * len(text)
    last = 0
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert last <= token.start < token.end
        assert not token.text[0].isspace() and not token.text[-1].isspace()
        assert token.kind in KINDS
        covered[token.start : token.end] = [True] * (token.end - token.start)
        last = token.end
    assert all(c or ch.isspace() for c, ch in zip(covered, text, strict=True))


def test_report_excerpts_are_real() -> None:
    joined = "\n".join(report_cells())
    for excerpt, *_ in REAL_UNITS:
        assert excerpt in joined, excerpt
    assert SENTENCE in joined


SENTENCE = (
    "Giải ngân kế hoạch vốn năm 2023 từ đầu năm đến nay: 993.195/1.240.032 triệu đồng, "
    "đạt 80,1 % so với kế hoạch."
)


def test_sentence_exactly() -> None:
    assert pairs(SENTENCE) == [
        ("Giải ngân", "word"),
        ("kế hoạch", "word"),
        ("vốn", "word"),
        ("năm", "word"),
        ("2023", "number"),
        ("từ", "word"),
        ("đầu", "word"),
        ("năm", "word"),
        ("đến", "word"),
        ("nay", "word"),
        (":", "punct"),
        ("993.195/1.240.032", "number"),
        ("triệu", "word"),
        ("đồng", "word"),
        (",", "punct"),
        ("đạt", "word"),
        ("80,1 %", "percent"),
        ("so", "word"),
        ("với", "word"),
        ("kế hoạch", "word"),
        (".", "punct"),
    ]
    token = tokenize(SENTENCE)[11]
    assert (token.start, token.end) == (52, 69)
    assert SENTENCE[52:69] == "993.195/1.240.032"


# (excerpt of the report, token it must contain, kind)
REAL_UNITS = [
    # numbers, ratios, percent
    ("là 12.682,860 tỷ đồng", "12.682,860", "number"),
    ("có 17/24 chỉ tiêu đạt", "17/24", "number"),
    ("11 xã đạt 15-18 tiêu chí", "15-18", "number"),
    ("khoảng 9,12km/9,42km (đạt 96,8%)", "96,8%", "percent"),
    # quantities
    ("diện tích 358.454,3m2/ 366.718,8m2 (539 hộ/545 hộ)", "358.454,3m2/ 366.718,8m2", "quantity"),
    ("diện tích 358.454,3m2/ 366.718,8m2 (539 hộ/545 hộ)", "539 hộ/545 hộ", "quantity"),
    ("khoảng 9,12km/9,42km (đạt 96,8%)", "9,12km/9,42km", "quantity"),
    ("Đường dây và trạm biến áp 110kV", "110kV", "quantity"),
    ("Ba Tri (800MW), Nhà máy điện gió An Thủy (49,5MW)", "800MW", "quantity"),
    ("Ba Tri (800MW), Nhà máy điện gió An Thủy (49,5MW)", "49,5MW", "quantity"),
    ("đã phát triển mới 489 ha/500ha, đạt 97,8%", "489 ha/500ha", "quantity"),
    ("nước thải 4.500 m3/ngày.đêm", "4.500", "number"),
    ("nước thải 4.500 m3/ngày.đêm", "m3", "word"),
    # dates
    ("giải ngân đến quý IV/2023 đạt khoảng 60%", "quý IV/2023", "date"),
    ("trong quý 2/2024", "quý 2/2024", "date"),
    ("tổng kết vào đầu tháng 4/2023.", "4/2023", "date"),
    ("tổng kết vào đầu tháng 4/2023.", "tháng", "word"),
    ("tỉnh Bến Tre thời kỳ 2021-2030, tầm nhìn", "2021-2030", "date"),
    ("nhiệm kỳ 2023 - 2028 vào ngày 05/3/2023", "2023 - 2028", "date"),
    ("nhiệm kỳ 2023 - 2028 vào ngày 05/3/2023", "05/3/2023", "date"),
    ("Theo đó, ngày 07/9/2023, Hội đồng", "07/9/2023", "date"),
    ("Kế hoạch số 162-KH/ĐU ngày 09/02/2023", "09/02/2023", "date"),
    ("đưa vào sử dụng ngày 05/5/2023.", "05/5/2023", "date"),
    ("Thông báo số 321-TB/TU ngày 14/3/2023", "14/3/2023", "date"),
    ("số 8473/KL-UBND ngày 29/12//2022 của", "29/12", "date"),
    # document codes
    ("Thông báo số 321-TB/TU ngày 14/3/2023", "321-TB/TU", "code"),
    ("tại Tờ trình số 5780/TTr-UBND.", "5780/TTr-UBND", "code"),
    ("ban hành Nghị quyết số 15/NQ-HĐND", "15/NQ-HĐND", "code"),
    ("Nghị quyết số 30/2022/NQ-HĐND ngày 08/12/2022", "30/2022/NQ-HĐND", "code"),
    ("thực hiện Nghị quyết 03-NQ/TU về xây dựng Đảng", "03-NQ/TU", "code"),
    ("Kế hoạch số 200- KH/TU", "200- KH/TU", "code"),
    ("bãi bỏ Quyết định số 39/2017/QĐ-UBND.", "39/2017/QĐ-UBND", "code"),
    ("Kế hoạch số 162-KH/ĐU ngày 09/02/2023", "162-KH/ĐU", "code"),
    # abbreviations
    ("Chủ tịch UBND tỉnh", "UBND", "abbrev"),
    ("Đối với KCN Phú Thuận", "KCN", "abbrev"),
    ("giải phóng mặt bằng (GPMB)", "GPMB", "abbrev"),
    ("Ban QLDA Xây dựng", "QLDA", "abbrev"),
    ("Sở KH&CN đang phối hợp", "KH&CN", "abbrev"),
    ("Sở GD&ĐT, Phòng GD&ĐT", "GD&ĐT", "abbrev"),
    ("Sở TN&MT đã hoàn thành", "TN&MT", "abbrev"),
    ("Khu công nghiệp Phú Thuận (ĐT.DK.07)", "ĐT.DK.07", "abbrev"),
    ("Chủ tịch HĐND tỉnh", "HĐND", "abbrev"),
    # upper-case words of a heading stay words
    ("BÁO CÁO TỔNG HỢP TIẾN ĐỘ CHỈ ĐẠO, THAM MƯU", "BÁO CÁO", "word"),
    ("BÁO CÁO TỔNG HỢP TIẾN ĐỘ CHỈ ĐẠO, THAM MƯU", "THAM MƯU", "word"),
    ("Covid-19", "Covid-19", "word"),
]

# Shapes the issue names that the report spells differently.
OTHER_UNITS = [
    ("báo cáo Quý I/2024", "Quý I/2024", "date"),
    ("ký ngày 9/02/2023", "9/02/2023", "date"),
    ("Sở NN&PTNT tỉnh", "NN&PTNT", "abbrev"),
    ("Ban BQLDA tỉnh", "BQLDA", "abbrev"),
    ("số 1.240.032 đồng", "1.240.032", "number"),
    ("tổng 358.454,3 m", "358.454,3", "number"),
    ("Giai đoạn 2021 – 2025", "2021 – 2025", "date"),
    ("Nghị định 15/2021/NĐ-CP", "15/2021/NĐ-CP", "code"),
]


@pytest.mark.parametrize(("excerpt", "unit", "kind"), REAL_UNITS + OTHER_UNITS)
def test_unit_is_one_token(excerpt: str, unit: str, kind: str) -> None:
    assert (unit, kind) in pairs(excerpt)


@pytest.mark.parametrize(
    ("excerpt", "expected"),
    [
        (
            "Thời gian thực hiện trong Quý II năm 2023.",
            ["Thời gian", "thực hiện", "trong", "Quý", "II", "năm", "2023", "."],
        ),
        ("Kế hoạch số 200- KH/TU", ["Kế hoạch", "số", "200- KH/TU"]),
        (
            "nước thải 4.500 m3/ngày.đêm",
            ["nước thải", "4.500", "m3", "/", "ngày", ".", "đêm"],
        ),
        (
            "số 8473/KL-UBND ngày 29/12//2022 của",
            ["số", "8473/KL-UBND", "ngày", "29/12", "/", "/", "2022", "của"],
        ),
        ("Sở KH&CN đang phối hợp", ["Sở", "KH&CN", "đang", "phối hợp"]),
        ("", []),
        ("  \n\t ", []),
    ],
)
def test_token_texts(excerpt: str, expected: list[str]) -> None:
    assert [t.text for t in tokenize(excerpt)] == expected


def test_token_is_frozen_with_slots() -> None:
    token = tokenize("UBND tỉnh")[0]
    assert token == Token("UBND", 0, 4, "abbrev")
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.text = "x"  # type: ignore[misc]
    assert not hasattr(token, "__dict__")


@pytest.mark.parametrize("fold", [True, False], ids=["folded", "raw-spaces"])
def test_offsets_over_every_cell(fold: bool) -> None:
    for cell, tokens in zip(report_cells(fold), report_tokens(fold), strict=True):
        check_tokens(cell, tokens)


def test_words_are_underthesea_words_outside_units() -> None:
    """Outside the units, tokens are underthesea's words; inside a word a unit cuts, pieces."""
    for cell, tokens in zip(report_cells(), report_tokens(), strict=True):
        words = segment(cell)
        units = [(t.start, t.end) for t in tokens if t.kind not in ("word", "punct")]
        spans = {(t.start, t.end) for t in tokens}
        for start, end in words:
            cut = [(s, e) for s, e in units if s < end and start < e]
            if not cut:
                assert (start, end) in spans, (cell, cell[start:end])
                continue
            # the word's text outside the units it overlaps is left as tokens
            rest = [t for t in tokens if t.kind in ("word", "punct") and start <= t.start < end]
            assert all(t.end <= end for t in rest), (cell, cell[start:end])
            outside = "".join(
                ch
                for i, ch in enumerate(cell[start:end], start)
                if not any(s <= i < e for s, e in cut)
            )
            assert "".join(t.text for t in rest).replace(" ", "") == outside.replace(" ", "")


def test_segmentation_equals_underthesea_on_report_cells() -> None:
    # every fourth cell, for time; eval/bench_tokenize.py checks them all
    for cell in report_cells()[::4]:
        assert segment(cell) == segment(cell, reference=True), cell


@pytest.mark.parametrize(
    ("text", "words", "spans"),
    [
        ("Giải  ngân\nkế hoạch", ["Giải ngân", "kế hoạch"], [(0, 10), (11, 19)]),
        ("  80,1 %", ["80,1", "%"], [(2, 6), (7, 8)]),
        # underthesea returns composed, normalised syllables
        (unicodedata.normalize("NFD", "Hoà Bình"), ["Hòa Bình"], [(0, 10)]),
        ("ðường", ["đường"], [(0, 5)]),
    ],
)
def test_align(text: str, words: list[str], spans: list[tuple[int, int]]) -> None:
    assert align(text, words) == spans


def test_decomposed_input_keeps_offsets() -> None:
    text = "Sở Tài chính đang thẩm tra phê duyệt, đạt 97,8% so với kế hoạch."
    decomposed = unicodedata.normalize("NFD", text)
    tokens = tokenize(decomposed)
    check_tokens(decomposed, tokens)
    assert [(unicodedata.normalize("NFC", t.text), t.kind) for t in tokens] == pairs(text)


def test_crf_feature_functions_match_underthesea_core() -> None:
    from underthesea_core import CRFFeaturizer

    from nlp.tokenize import _isdigit, _istitle

    samples = ["2023", "+5", "-0", "2147483648", "0002023", "1.240", "²", "½", "ABC", "xA"]
    samples += ["ß", "ǅ", "Đ", "đ", "-", "'", "Hà", "(", "1" * 30]
    featurizer = CRFFeaturizer(["T[0].isdigit", "T[0].istitle"], set())
    features = featurizer.process([[[s] for s in samples]])[0]
    for sample, (digit, title) in zip(samples, features, strict=True):
        assert digit == f"T[0].isdigit={_isdigit(sample)}", sample
        assert title == f"T[0].istitle={_istitle(sample)}", sample


_CHARS = "aăâeêioôơuưyAĐđHNQTUBKCMGDóòỏõọấầẩẫậ0123456789.,/-–%&:@'’+()"
_PIECES = st.sampled_from(
    [
        *_CHARS,
        *(" ", "  ", "\n", "\t", "\u0301", "\u0323", "ð"),
        *("Quý", "ngày ", "UBND", "hộ", "ha", "m2", "kV", "NQ", "TU", "kế hoạch", "Tỉnh uỷ"),
        *("http://a.vn/", "v.v", "e-mail", "x@y.com", "Tp.", "..."),
    ]
)
_VIETNAMESE_LIKE = st.lists(_PIECES, max_size=30).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), _VIETNAMESE_LIKE))
# A mark on a space that NFC changes (U+2000 → U+2002): found by hypothesis.
@example("\u2000\u0300À")
def test_any_text_gives_valid_tokens(text: str) -> None:
    check_tokens(text, tokenize(text))


@settings(max_examples=150, deadline=None)
@given(_VIETNAMESE_LIKE)
def test_segmentation_equals_underthesea_on_generated_text(text: str) -> None:
    assert segment(text) == segment(text, reference=True)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), _VIETNAMESE_LIKE))
def test_syllable_pattern_equals_underthesea(text: str) -> None:
    from underthesea.pipeline.word_tokenize.regex_tokenize import tokenize as syllables

    from nlp.tokenize import _segmenter

    text = unicodedata.normalize("NFC", text)
    ours = [m.group() for m in _segmenter().syllables.finditer(text)]
    assert ours == syllables(text, use_character_normalize=False, use_token_normalize=False)


# -- spaCy ------------------------------------------------------------------

DOC_TEXTS = [
    SENTENCE,
    "Công trình cầu Rạch Miễu 2: Đã bàn giao 100% mặt bằng cho đơn vị thi công vào "
    "tháng 4/2023.          Công trình Khu TĐC",
    "  Sở GD&ĐT,\n\nPhòng GD&ĐT \t",
    "\n",
    "",
]


def check_doc(text: str) -> None:
    doc = to_doc(text)
    assert doc.text == text
    tokens = tokenize(text)
    real = [t for t in doc if t._.kind != "space"]
    assert [(t.idx, t.text, t._.kind) for t in real] == [(t.start, t.text, t.kind) for t in tokens]
    assert all(t.is_space for t in doc if t._.kind == "space")


@pytest.mark.parametrize("text", DOC_TEXTS)
def test_doc_round_trip(text: str) -> None:
    check_doc(text)


def test_doc_over_every_cell() -> None:
    for cell in report_cells(fold=False)[:300]:
        check_doc(cell)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=40), _VIETNAMESE_LIKE))
def test_doc_round_trip_any_text(text: str) -> None:
    check_doc(text)


def test_get_nlp() -> None:
    nlp = get_nlp()
    assert nlp is get_nlp()
    assert nlp.lang == "vi"
    doc = nlp("Sở KH&CN đang phối hợp")
    assert [(t.text, t._.kind) for t in doc] == [
        ("Sở", "word"),
        ("KH&CN", "abbrev"),
        ("đang", "word"),
        ("phối hợp", "word"),
    ]
