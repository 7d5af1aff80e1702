"""Tests of the value normalizers, on mentions taken from the bundled report."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp.values import (
    UnparsedValueWarning,
    find_values,
    normalize,
    parse_date,
    parse_money,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1.240.032", 1240032),
        ("358.454,3", 358454.3),
        ("12.682,860", 12682.86),
        ("80,1", 80.1),
        ("5.560", 5560),
        ("3.5", 3.5),
        ("02", 2),
        ("2023", 2023),
    ],
)
def test_parse_number(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "1.2.3", "1,234.5", "12.34,5"])
def test_parse_number_refuses_what_it_cannot_read(text):
    assert parse_number(text) is None


def _vietnamese(value: Decimal) -> str:
    whole, _, frac = f"{value:f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ".".join([whole, *groups])
    frac = frac.rstrip("0")
    return f"{text},{frac}" if frac else text


@given(st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False, allow_infinity=False))
def test_parse_number_reads_what_vietnamese_writes(value):
    parsed = parse_number(_vietnamese(value))
    assert parsed is not None
    assert Decimal(str(parsed)) == value.normalize() or abs(float(value) - parsed) < 1e-6


@given(st.text(max_size=30))
def test_parse_number_never_raises(text):
    result = parse_number(text)
    assert result is None or isinstance(result, int | float)


@pytest.mark.parametrize(
    ("label", "text", "value"),
    [
        ("MONEY", "812.898 tỷ đồng", {"amount": 812898000000000, "unit": "VND"}),
        ("MONEY", "484.529.023 đồng", {"amount": 484529023, "unit": "VND"}),
        (
            "MONEY",
            "993.195/1.240.032 triệu đồng",
            {"amount": 993195000000, "unit": "VND", "total": 1240032000000},
        ),
        ("MONEY", "3.353 tỷ 473 triệu 510 nghìn đồng", {"amount": 3353473510000, "unit": "VND"}),
        ("MONEY", "1,62 tỷ USD", {"amount": 1620000000, "unit": "USD"}),
        ("MONEY", "12.682,860 tỷ đồng", {"amount": 12682860000000, "unit": "VND"}),
        (
            "MONEY",
            "1.971,35 tỷ đồng/1.971,35 tỷ đồng",
            {"amount": 1971350000000, "unit": "VND", "total": 1971350000000},
        ),
        ("MONEY", "6.000 - 7.000 tỷ đồng", {"amount": 6000000000000, "unit": "VND"}),
        (
            "QUANTITY",
            "358.454,3m2/ 366.718,8m2",
            {"amount": 358454.3, "unit": "m2", "total": 366718.8},
        ),
        ("QUANTITY", "9,12km/9,42km", {"amount": 9.12, "unit": "km", "total": 9.42}),
        ("QUANTITY", "216,2ha", {"amount": 216.2, "unit": "ha"}),
        ("QUANTITY", "800MW", {"amount": 800, "unit": "MW"}),
        ("QUANTITY", "110kV", {"amount": 110, "unit": "kV"}),
        ("QUANTITY", "539 hộ/545 hộ", {"amount": 539, "unit": "hộ", "total": 545}),
        ("QUANTITY", "17/24 chỉ tiêu", {"amount": 17, "unit": "chỉ tiêu", "total": 24}),
        ("QUANTITY", "02/02 gói thầu", {"amount": 2, "unit": "gói thầu", "total": 2}),
        ("QUANTITY", "489 ha/500ha", {"amount": 489, "unit": "ha", "total": 500}),
        ("PERCENT", "96,8%", {"amount": 96.8, "unit": "%"}),
        ("PERCENT", "80,1 %", {"amount": 80.1, "unit": "%"}),
        ("PERCENT", "83,90%/82,8%", {"amount": 83.9, "unit": "%", "total": 82.8}),
        ("DATE", "ngày 07/9/2023", {"start": "2023-09-07", "end": "2023-09-07"}),
        ("DATE", "9/02/2023", {"start": "2023-02-09", "end": "2023-02-09"}),
        ("DATE", "ngày 01 tháng 12 năm 2023", {"start": "2023-12-01", "end": "2023-12-01"}),
        ("DATE", "tháng 4/2023", {"start": "2023-04-01", "end": "2023-04-30"}),
        ("DATE", "đầu tháng 4/2023", {"start": "2023-04-01", "end": "2023-04-30"}),
        ("DATE", "Quý I/2024", {"start": "2024-01-01", "end": "2024-03-31"}),
        ("DATE", "quý IV/2023", {"start": "2023-10-01", "end": "2023-12-31"}),
        ("DATE", "năm 2023", {"start": "2023-01-01", "end": "2023-12-31"}),
        ("DATE", "6 tháng đầu năm 2023", {"start": "2023-01-01", "end": "2023-06-30"}),
        ("DATE", "giai đoạn 2021-2025", {"start": "2021-01-01", "end": "2025-12-31"}),
        ("DATE", "nhiệm kỳ 2023 - 2028", {"start": "2023-01-01", "end": "2028-12-31"}),
        ("DATE", "6-8/12/2023", {"start": "2023-12-06", "end": "2023-12-08"}),
        ("DATE", "ngày 23/8", {"start": "2023-08-23", "end": "2023-08-23"}),
        ("DATE", "9 tháng đầu năm", {"start": "2023-01-01", "end": "2023-09-30"}),
        ("DOC", "Thông báo số 321-TB/TU", {"type": "Thông báo", "number": "321-TB/TU"}),
        ("DOC", "Tờ trình số 5780/TTr-UBND", {"type": "Tờ trình", "number": "5780/TTr-UBND"}),
        ("DOC", "Quyết định 890/QĐ-UBND", {"type": "Quyết định", "number": "890/QĐ-UBND"}),
        (
            "DOC",
            "Nghị quyết số 30/2022/NQ-HĐND",
            {"type": "Nghị quyết", "number": "30/2022/NQ-HĐND"},
        ),
        ("DOC", "Quyết định 290", {"type": "Quyết định", "number": "290"}),
        ("DOC", "Nghị quyết số 18, 19-NQ/TW", {"type": "Nghị quyết", "number": "18, 19-NQ/TW"}),
        ("DOC", "kế hoạch 163-KH/TU", {"type": "Kế hoạch", "number": "163-KH/TU"}),
        ("DOC", "TCVN 7396:2004", {"type": "TCVN", "number": "7396:2004"}),
    ],
)
def test_normalize(label, text, value):
    assert normalize(label, text, default_year=2023) == value


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("MONEY", "nhiều tỷ đồng"),
        ("MONEY", "812.898 tỷ"),
        ("DATE", "ngày 23/8"),
        ("DATE", "ngày 31/02/2023"),
        ("PERCENT", "khoảng một nửa"),
        ("QUANTITY", "nhiều hộ"),
        ("DOC", "Nghị quyết Tỉnh ủy"),
    ],
)
def test_unreadable_gives_none_and_a_warning(label, text):
    with pytest.warns(UnparsedValueWarning):
        assert normalize(label, text) is None


@given(st.text(max_size=40))
def test_normalizers_never_raise(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedValueWarning)
        for label in ("MONEY", "QUANTITY", "PERCENT", "DATE", "DOC"):
            normalize(label, text, default_year=2023)
        assert parse_money(text) is None or parse_money(text)["unit"]
        assert parse_date(text) is None or parse_date(text)["start"] <= parse_date(text)["end"]


def test_find_values_on_a_real_cell():
    cell = (
        "Giải ngân kế hoạch vốn năm 2023 từ đầu năm đến nay: 993.195/1.240.032 triệu đồng, "
        "đạt 80,1 % so với kế hoạch."
    )
    found = [(f.label, f.text) for f in find_values(cell, default_year=2023)]
    assert found == [
        ("DATE", "năm 2023"),
        ("MONEY", "993.195/1.240.032 triệu đồng"),
        ("PERCENT", "80,1 %"),
    ]
    for mention in find_values(cell):
        assert cell[mention.start : mention.end] == mention.text
