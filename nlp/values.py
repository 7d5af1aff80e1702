"""Normalized values of MONEY, QUANTITY, PERCENT, DATE and DOC mentions.

Each `parse_*` function takes the text of one mention (as the schema spans
it) and returns the schema's value, or `None` with an `UnparsedValueWarning`
when the text cannot be read: never a wrong number. `find_values` scans raw
text for the same surface forms with regular expressions alone; it is the
rule baseline the trained tagger is compared with.

Vietnamese numbers use "." to group thousands and "," as the decimal mark:
"1.240.032" is 1240032, "358.454,3" is 358454.3.
"""

from __future__ import annotations

import calendar
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from unidecode import unidecode


class UnparsedValueWarning(UserWarning):
    """A mention's text could not be turned into a value; its value is None."""


_NUMBER = r"\d+(?:[.,]\d+)*"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$")
_SCALES = {"nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
_CURRENCIES = {
    "đồng": "VND",
    "đ": "VND",
    "vnđ": "VND",
    "vnd": "VND",
    "usd": "USD",
    "đô la mỹ": "USD",
    "đô la": "USD",
    "euro": "EUR",
    "eur": "EUR",
}
_UNITS = {
    "m²": "m2",
    "m2": "m2",
    "km²": "km2",
    "km2": "km2",
    "m³": "m3",
    "m3": "m3",
    "ha": "ha",
    "km": "km",
    "m": "m",
    "cm": "cm",
    "mm": "mm",
    "kv": "kV",
    "mw": "MW",
    "kw": "kW",
    "mwp": "MWp",
    "kwh": "kWh",
    "tấn": "tấn",
    "kg": "kg",
    "lít": "lít",
}
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _warn(kind: str, text: str) -> None:
    warnings.warn(f"cannot read {kind} from {text!r}", UnparsedValueWarning, stacklevel=3)


def parse_number(text: str) -> int | float | None:
    """Read a number written the Vietnamese way; return int or float, or None.

    "1.240.032" → 1240032; "358.454,3" → 358454.3; "80,1" → 80.1. A single
    "." followed by exactly three digits groups thousands ("5.560" → 5560);
    followed by other digit counts it is a decimal point ("3.5" → 3.5), as
    some reports write it.
    """
    text = text.strip()
    if not _NUMBER_RE.match(text):
        return None
    if "," in text:
        if text.count(",") > 1 or "." in text.split(",", 1)[1]:
            return None
        whole, frac = text.split(",")
        if whole.count(".") and not all(len(g) == 3 for g in whole.split(".")[1:]):
            return None
        whole = whole.replace(".", "")
        return _tidy(float(f"{whole}.{frac}"))
    groups = text.split(".")
    if len(groups) == 1:
        return int(text)
    if all(len(g) == 3 for g in groups[1:]):
        return int("".join(groups))
    if len(groups) == 2:
        return _tidy(float(text))
    return None


def _tidy(value: float) -> int | float:
    rounded = round(value, 9)
    return int(rounded) if rounded.is_integer() else rounded


_SCALE_WORDS = "|".join(sorted(_SCALES, key=len, reverse=True))
_CURRENCY_WORDS = "|".join(sorted((re.escape(c) for c in _CURRENCIES), key=len, reverse=True))
_AMOUNT = re.compile(rf"({_NUMBER})\s*({_SCALE_WORDS})?", re.IGNORECASE)


def parse_money(text: str) -> dict | None:
    """Read an amount of money: `{"amount", "unit"}` (+ `"total"` for a fraction).

    Handles scale words (nghìn/ngàn, triệu, tỷ), compound amounts ("3.353 tỷ
    473 triệu 510 nghìn đồng"), fractions ("993.195/1.240.032 triệu đồng",
    the scale applying to both sides; "1.971,35 tỷ đồng/1.971,35 tỷ đồng")
    and ranges ("6.000 - 7.000 tỷ đồng" gives the lower bound). The unit is
    an ISO code.
    """
    lowered = text.lower()
    currency_re = re.compile(rf"(?<!\w)({_CURRENCY_WORDS})(?!\w)")
    currency = currency_re.search(lowered)
    if currency is None:
        _warn("money", text)
        return None
    unit = _CURRENCIES[currency.group(1)]
    body = currency_re.sub(" ", lowered)
    # A range keeps its lower bound; the scale written after the upper one
    # applies to both ("6.000 - 7.000 tỷ").
    bounds = re.split(r"\s*(?:[-–]|đến)\s*", body.strip())
    if len(bounds) == 2 and all(re.search(r"\d", b) for b in bounds):
        body = (
            bounds[0]
            if _has_scale(bounds[0]) or not _has_scale(bounds[1])
            else (f"{bounds[0]} {_last_scale(bounds[1])}")
        )
    parts = [p for p in re.split(r"\s*/\s*", body) if p.strip()]
    values = [_sum_amount(part) for part in parts]
    if not values or any(v is None for v in values) or len(values) > 2:
        _warn("money", text)
        return None
    # "993.195/1.240.032 triệu": a scale written once applies to both sides.
    if len(values) == 2 and not _has_scale(parts[0]) and _has_scale(parts[1]):
        values[0] = _sum_amount(parts[0] + " " + _last_scale(parts[1]))
    value: dict = {"amount": values[0], "unit": unit}
    if len(values) == 2:
        value["total"] = values[1]
    return value


def _has_scale(text: str) -> bool:
    return bool(re.search(rf"(?<!\w)({_SCALE_WORDS})(?!\w)", text))


def _last_scale(text: str) -> str:
    return re.findall(rf"(?<!\w)({_SCALE_WORDS})(?!\w)", text)[-1]


def _sum_amount(text: str) -> int | float | None:
    total = 0.0
    found = False
    rest = text
    for match in _AMOUNT.finditer(text):
        number = parse_number(match.group(1))
        if number is None:
            return None
        scale = _SCALES.get((match.group(2) or "").lower(), 1)
        total += number * scale
        found = True
        rest = rest.replace(match.group(0), " ", 1)
    if not found or re.search(r"\d", rest):
        return None
    return _tidy(total)


_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$", re.DOTALL)


def parse_quantity(text: str) -> dict | None:
    """Read a quantity: `{"amount", "unit"}` (+ `"total"` for a fraction).

    The unit is a measure in canonical form (m2, m3, ha, km, MW, kV, tấn …)
    or the counted noun as written ("hộ", "chỉ tiêu").
    """
    sides = [s for s in re.split(r"\s*/\s*(?=\d)", text.strip()) if s]
    parsed = []
    for side in sides:
        match = _QUANTITY.match(side)
        if not match:
            _warn("quantity", text)
            return None
        number = parse_number(match.group(1))
        if number is None:
            _warn("quantity", text)
            return None
        parsed.append((number, _unit(match.group(2))))
    if not parsed or len(parsed) > 2:
        _warn("quantity", text)
        return None
    units = [unit for _, unit in parsed if unit]
    if not units:
        _warn("quantity", text)
        return None
    value: dict = {"amount": parsed[0][0], "unit": units[0]}
    if len(parsed) == 2:
        value["total"] = parsed[1][0]
    return value


def _unit(text: str) -> str:
    text = text.strip().rstrip(".,;:)")
    if not text:
        return ""
    canonical = _UNITS.get(text.lower())
    if canonical:
        return canonical
    head = text.split("/")[0].strip()
    return _UNITS.get(head.lower(), text)


_PERCENT = re.compile(rf"({_NUMBER})\s*%")


def parse_percent(text: str) -> dict | None:
    """Read a percentage: `{"amount", "unit": "%"}` (+ `"total"` for "a%/b%")."""
    found = _PERCENT.findall(text)
    numbers = [parse_number(n) for n in found]
    if not numbers or None in numbers or len(numbers) > 2:
        _warn("percent", text)
        return None
    value: dict = {"amount": numbers[0], "unit": "%"}
    if len(numbers) == 2:
        value["total"] = numbers[1]
    return value


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _span(start: date | None, end: date | None) -> dict | None:
    if start is None or end is None or start > end:
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}


_Y = r"((?:19|20)\d{2})"
_DATE_RULES: list[tuple[re.Pattern, str]] = [
    # 6-8/12/2023: a run of days in one month
    (re.compile(rf"(\d{{1,2}})\s*-\s*(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*{_Y}"), "days"),
    (re.compile(rf"(\d{{1,2}})\s*[/.-]\s*(\d{{1,2}})\s*[/.-]\s*{_Y}"), "dmy"),
    (re.compile(rf"ngay\s+(\d{{1,2}})\s+thang\s+(\d{{1,2}})\s+nam\s+{_Y}"), "dmy"),
    (re.compile(r"ngay\s+(\d{1,2})\s*/\s*(\d{1,2})(?!\s*/?\s*\d)"), "dm"),
    (re.compile(r"(\d{1,2})\s+thang\s+(dau|cuoi)\s+nam(?:\s+" + _Y + ")?"), "months"),
    (re.compile(rf"quy\s+([ivx]+|\d)\s*(?:/|nam)?\s*{_Y}?"), "quarter"),
    (re.compile(rf"thang\s+(\d{{1,2}})\s*(?:/|nam)\s*{_Y}"), "my"),
    (re.compile(r"thang\s+(\d{1,2})(?!\s*\d)"), "m"),
    (re.compile(rf"^\s*(\d{{1,2}})\s*/\s*{_Y}\s*$"), "my"),
    (re.compile(rf"{_Y}\s*[-–]\s*{_Y}"), "years"),
    (re.compile(_Y), "year"),
]


def parse_date(text: str, default_year: int | None = None) -> dict | None:
    """Read a date, month, quarter, year or period: `{"start", "end"}` ISO dates.

    "07/9/2023" → that day; "tháng 4/2023" → the month; "Quý I/2024" → the
    quarter; "năm 2023" → the year; "6 tháng đầu năm 2023" → 2023-01-01 ..
    2023-06-30; "giai đoạn 2021-2025" → 2021-01-01 .. 2025-12-31. A missing
    year is `default_year` (the report's year); without one the text is
    unparsed and gives None.
    """
    folded = unidecode(text).lower()
    for pattern, kind in _DATE_RULES:
        match = pattern.search(folded)
        if match:
            # The most specific pattern that matches decides: an impossible
            # day must not fall back to the bare year.
            value = _date_value(kind, match.groups(), default_year)
            if value is None:
                break
            return value
    _warn("date", text)
    return None


def _date_value(kind: str, groups: tuple, default_year: int | None) -> dict | None:
    if kind == "days":
        first, last, month, year = (int(g) for g in groups)
        return _span(_day(year, month, first), _day(year, month, last))
    if kind == "dmy":
        day, month, year = (int(g) for g in groups)
        return _span(_day(year, month, day), _day(year, month, day))
    if kind == "dm":
        if default_year is None:
            return None
        day, month = (int(g) for g in groups)
        return _span(_day(default_year, month, day), _day(default_year, month, day))
    if kind == "months":
        count, side, year = int(groups[0]), groups[1], groups[2]
        year = int(year) if year else default_year
        if year is None or not 1 <= count <= 12:
            return None
        if side == "dau":
            return _span(date(year, 1, 1), _month_end(year, count))
        return _span(date(year, 13 - count, 1), date(year, 12, 31))
    if kind == "quarter":
        quarter = _ROMAN.get(groups[0].upper()) or (int(groups[0]) if groups[0].isdigit() else 0)
        year = int(groups[1]) if groups[1] else default_year
        if not 1 <= quarter <= 4 or year is None:
            return None
        return _span(date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    if kind in ("my", "m"):
        month = int(groups[0])
        year = int(groups[1]) if kind == "my" else default_year
        if year is None or not 1 <= month <= 12:
            return None
        return _span(date(year, month, 1), _month_end(year, month))
    if kind == "years":
        first, last = int(groups[0]), int(groups[1])
        return _span(date(first, 1, 1), date(last, 12, 31))
    year = int(groups[0])
    return _span(date(year, 1, 1), date(year, 12, 31))


def parse_doc(text: str) -> dict | None:
    """Read a document reference: `{"type", "number"}`.

    "Quyết định số 890/QĐ-UBND" → type "Quyết định", number "890/QĐ-UBND".
    The type is the words before "số" or before the first digit, with a
    capital first letter; the number is the rest of the mention as written
    ("Nghị quyết số 18, 19-NQ/TW" → "18, 19-NQ/TW"; "TCVN 7396:2004" →
    "7396:2004").
    """
    first = re.search(r"\d", text)
    if not first:
        _warn("document reference", text)
        return None
    kind = re.sub(r"\s+số$", "", text[: first.start()].strip(), flags=re.IGNORECASE)
    kind = kind.strip(" ,:")
    if not kind:
        _warn("document reference", text)
        return None
    number = re.sub(r"\s+", " ", text[first.start() :]).strip().rstrip(".,;")
    return {"type": kind[:1].upper() + kind[1:], "number": number}


PARSERS = {
    "MONEY": parse_money,
    "QUANTITY": parse_quantity,
    "PERCENT": parse_percent,
    "DOC": parse_doc,
}


def normalize(label: str, text: str, default_year: int | None = None) -> object:
    """Return the schema value of a `label` mention with `text`, or None.

    DATE uses `default_year` for a missing year; labels without values
    (PROJECT, ORG, PERSON, LOC) and STATUS (classified, not parsed) give None.
    """
    if label == "DATE":
        return parse_date(text, default_year)
    parser = PARSERS.get(label)
    return parser(text) if parser else None


# Surface forms for the rule baseline: what a regular expression alone finds.
_DOC_TYPES = (
    r"Quyết định|Nghị quyết|Kế hoạch|Thông báo|Tờ trình|Công văn|Báo cáo|Chỉ thị|"
    r"Chương trình|Thông tư|Nghị định|Hướng dẫn|Kết luận|Quy định|Đề án|Chỉ lệnh|Luật"
)
_FIND: list[tuple[str, re.Pattern]] = [
    (
        "DOC",
        re.compile(
            rf"(?:{_DOC_TYPES})(?:\s+số)?\s+\d+[\w.]*(?:\s*[/-]\s*[\w.&Đđ]+)+", re.IGNORECASE
        ),
    ),
    (
        "DATE",
        re.compile(
            rf"(?:ngày\s+)?\d{{1,2}}\s*/\s*\d{{1,2}}\s*/\s*{_Y}"
            rf"|ngày\s+\d{{1,2}}\s+tháng\s+\d{{1,2}}\s+năm\s+{_Y}"
            rf"|(?:quý|Quý)\s+(?:[IV]+|\d)\s*/\s*{_Y}"
            rf"|\d{{1,2}}\s+tháng\s+(?:đầu|cuối)\s+năm(?:\s+{_Y})?"
            rf"|tháng\s+\d{{1,2}}\s*/\s*{_Y}"
            rf"|(?:giai đoạn|thời kỳ|nhiệm kỳ)\s+{_Y}\s*[-–]\s*{_Y}"
            rf"|năm\s+{_Y}",
            re.IGNORECASE,
        ),
    ),
    ("PERCENT", re.compile(rf"{_NUMBER}\s*%(?:\s*/\s*{_NUMBER}\s*%)?")),
    (
        "MONEY",
        re.compile(
            rf"{_NUMBER}(?:\s*(?:{_SCALE_WORDS}))?"
            rf"(?:\s*/\s*{_NUMBER}(?:\s*(?:{_SCALE_WORDS}))?)?"
            rf"(?:\s+{_NUMBER}\s*(?:{_SCALE_WORDS}))*"
            rf"\s*(?:đồng|USD|VNĐ|VND)(?!\w)",
            re.IGNORECASE,
        ),
    ),
    (
        "QUANTITY",
        re.compile(
            rf"{_NUMBER}\s*(?:m2|m²|m3|m³|km2|ha|km|kV|MW|MWp|kW|tấn|m)(?!\w)"
            rf"(?:\s*/\s*{_NUMBER}\s*(?:m2|m²|m3|m³|km2|ha|km|kV|MW|MWp|kW|tấn|m)(?!\w))?"
        ),
    ),
]


@dataclass(frozen=True, slots=True)
class Found:
    """A mention found by the rule baseline: offsets, label, text, value."""

    start: int
    end: int
    label: str
    text: str
    value: object


def find_values(text: str, default_year: int | None = None) -> Iterator[Found]:
    """Find MONEY, QUANTITY, PERCENT, DATE and DOC mentions with rules alone.

    Takes raw cell text; yields non-overlapping `Found` mentions in text
    order (the earlier pattern in the list wins a conflict: DOC, DATE,
    PERCENT, MONEY, QUANTITY), each with its normalized value.
    """
    taken: list[tuple[int, int]] = []
    found: list[Found] = []
    for label, pattern in _FIND:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnparsedValueWarning)
                value = normalize(label, match.group(0), default_year)
            found.append(Found(start, end, label, match.group(0), value))
    yield from sorted(found, key=lambda f: f.start)
