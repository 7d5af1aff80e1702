"""Tests for nlp.text: NFC, name keys, diacritic folding."""

import unicodedata

import pytest

from nlp.text import fold_diacritics, name_key, nfc


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Both spellings occur in the report: "Tỉnh uỷ" 9 times, "Tỉnh ủy" 316.
        ("Tỉnh uỷ", "tỉnh ủy"),
        ("Tỉnh ủy", "tỉnh ủy"),
        ("Đảng uỷ", "đảng ủy"),
        ("giữa Toà", "giữa tòa"),
        ("phiên tòa", "phiên tòa"),
        ("Châu Hoà", "châu hòa"),
        ("văn hoá", "văn hóa"),
        ("sức khoẻ", "sức khỏe"),
        ("Đồng chí Hồ Thị Hoàng Yến", "đồng chí hồ thị hoàng yến"),
        # every tone on every pair, upper case too
        ("HOÀ HOÁ HOẢ HOÃ HOẠ", "hòa hóa hỏa hõa họa"),
        ("xoè xoé xoẻ xoẽ xoẹ", "xòe xóe xỏe xõe xọe"),
        ("THUỲ THUÝ THUỶ THUỸ THUỴ", "thùy thúy thủy thũy thụy"),
        # closed syllables and triphthongs are the same in both conventions
        ("Hoàng", "hoàng"),
        ("hoài", "hoài"),
        ("toán", "toán"),
        ("khuya", "khuya"),
        ("thuyết", "thuyết"),
        # after "q" the "u" is part of the consonant
        ("Xuân Quý", "xuân quý"),
        ("quỷ", "quỷ"),
        ("Quỳnh", "quỳnh"),
        # different letters are not unified
        ("quí", "quí"),
        # whitespace folded and stripped
        ("  Nguyễn\tVăn \n\u00a0Hoà  ", "nguyễn văn hòa"),
        ("", ""),
    ],
)
def test_name_key(text: str, expected: str) -> None:
    assert name_key(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tỉnh uỷ", "TỈNH ỦY"),
        ("Châu Hoà", "châu  hòa"),
        (nfd("Thuỷ"), "thủy"),
        (nfd("Hoà Bình"), "Hòa Bình"),
    ],
)
def test_name_key_equal(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("quý", "quí"), ("Hoà", "Hoài"), ("thủy", "thụy")])
def test_name_key_different(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_name_key_does_not_change_its_argument() -> None:
    text = nfd("Tỉnh uỷ")
    copy = str(text)
    name_key(text)
    assert text == copy


def test_name_key_is_idempotent() -> None:
    for text in ("Tỉnh uỷ", "Châu Hoà", "Đảng khoá", "  A  B "):
        assert name_key(name_key(text)) == name_key(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đồng chí Hồ Thị Hoàng Yến", "dong chi ho thi hoang yen"),
        ("Sở KH&CN", "so kh&cn"),
        ("ĐT.DK.07", "dt.dk.07"),
        ("Tỉnh uỷ", "tinh uy"),
        (nfd("Bến Tre"), "ben tre"),
        ("đạt 80,1 %", "dat 80,1 %"),
    ],
)
def test_fold_diacritics(text: str, expected: str) -> None:
    assert fold_diacritics(text) == expected


@pytest.mark.parametrize("text", ["Hoà", "Bến Tre", "Nguyễn Thị Thuỷ", "abc"])
def test_nfc(text: str) -> None:
    assert nfc(nfd(text)) == text
    assert nfc(text) == text
