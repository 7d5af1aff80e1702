"""Text normalisation helpers: Unicode NFC, matching keys for names, diacritic folding.

None of these functions change the text they are given; each returns a new
string. Offsets into the original text are therefore never affected.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

__all__ = ["fold_diacritics", "name_key", "nfc"]

# Combining tone marks: grave (huyền), acute (sắc), hook above (hỏi), tilde (ngã),
# dot below (nặng).
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")

# The vowel pairs whose tone mark two spelling conventions place differently
# in an open syllable: old style "hoà, khoẻ, thuỷ", new style "hòa, khỏe, thủy".
_PAIRS = ("oa", "oe", "uy")


def _compose(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


# old-style spelling -> new-style spelling, e.g. "oà" -> "òa", "uỷ" -> "ủy".
_NEW_STYLE = {
    first + _compose(second, tone): _compose(first, tone) + second
    for first, second in _PAIRS
    for tone in _TONES
}
# Only an open syllable differs between the conventions: "hoàng", "hoài" and
# "toán" put the mark on the same vowel in both. After "q" the "u" belongs to
# the consonant ("quỷ", "quỳnh"), so that "uy" is not the pair above.
_OLD_STYLE = re.compile(
    "(?<!q)(" + "|".join(sorted(_NEW_STYLE)) + r")(?![^\W\d_])",
)
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return `text` in Unicode normal form C (decomposed letters composed)."""
    return unicodedata.normalize("NFC", text)


def name_key(text: str) -> str:
    """Return a key under which spellings of the same name compare equal.

    Takes any text (a person, place or organisation name, usually). Returns it
    in NFC, case folded, with the old tone-mark placement on the open
    syllables "oa", "oe", "uy" rewritten to the new one ("Thuỷ" and "thủy" give
    "thủy", "Hoà" and "hòa" give "hòa"), runs of whitespace folded to one
    space and the ends stripped. Different letters (quý/quí) stay different.
    """
    key = nfc(text).casefold()
    key = _OLD_STYLE.sub(lambda m: _NEW_STYLE[m.group(1)], key)
    return _SPACES.sub(" ", key).strip()


@lru_cache(maxsize=65536)
def fold_diacritics(text: str) -> str:
    """Return `text` without diacritics and lower-cased, for accent-blind matching.

    Takes any text; returns its ASCII transliteration (by unidecode, so "đ"
    and "Đ" become "d") in lower case: "Đồng Khởi" gives "dong khoi". The
    result may be longer or shorter than `text`, so offsets do not carry over.
    Cached: the knowledge base folds the same project keys once per comparison.
    """
    return unidecode(nfc(text)).lower()
