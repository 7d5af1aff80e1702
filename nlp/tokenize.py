"""Vietnamese tokenizer with character offsets, domain units kept whole.

Words are underthesea's: the text is split into syllables by underthesea's
own pre-tokenizer pattern and the syllables are grouped into words by
underthesea's word-segmentation CRF model (``ws_crf_vlsp2013``), so every
ordinary word boundary is the model's decision, the same one
``underthesea.word_tokenize`` makes. What differs is how the model is run:
the weights are read once from the model file and each syllable, syllable
pair and triple is scored with plain dictionary look-ups, instead of building
43 feature strings per syllable and handing them to the tagger. That is what
makes `tokenize` faster than ``word_tokenize`` (see ``eval/bench_tokenize.py``).
Where two segmentations score within float rounding of each other, the
sequence is tagged by underthesea's own tagger, so ties break as they do
there. If the model files or underthesea internals are not what this module
expects, it falls back to calling ``underthesea.word_tokenize`` and `align`-ing
its words back to the text.

On top of the words, one regular expression finds the domain units of the
reports, and each unit becomes exactly one token (words that straddle a unit
are cut at its edges; whatever is left of them stays a token of its own).

Token kinds (`Token.kind`):

- ``word``: an underthesea word, one or more syllables ("kế hoạch", "Tre");
- ``number``: a number in Vietnamese notation ("1.240.032", "358.454,3"), a
  ratio of two numbers ("993.195/1.240.032", "17/24") or a range ("15-18");
- ``percent``: a number with its percent sign, space allowed ("80,1 %");
- ``quantity``: a number with a unit glued to it ("358.454,3m2", "9,12km",
  "110kV"), or a ratio of quantities ("539 hộ/545 hộ", "489 ha/500ha"); a
  unit after a space stays a word of its own ("4.500" "m3");
- ``date``: a full date ("07/9/2023"), a month ("4/2023"; the word "tháng"
  before it stays a word), a day after "ngày" ("ngày 25/5"), a quarter with
  its word ("Quý I/2024": the Roman numeral alone is no date) and a range of
  years ("2021-2030", "2023 - 2028": one token);
- ``code``: a document number ("321-TB/TU", "30/2022/NQ-HĐND", "200- KH/TU");
- ``abbrev``: an acronym ("UBND", "NN&PTNT", "ĐT.DK.07"): upper case, and
  either joined by "&", "." or "-", or not a Vietnamese syllable (so the
  upper-case words of a heading, "BÁO CÁO", stay words);
- ``punct``: punctuation and symbols (an underthesea word without a letter
  or digit: ",", "(", "...", "%" on its own).

Token texts are always slices of the input: ``text[t.start:t.end] == t.text``.
Matching runs on the NFC form of the text; offsets are mapped back to the
input, so decomposed input gets offsets into the decomposed string.
"""

from __future__ import annotations

import itertools
import logging
import operator
import re
import struct
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

__all__ = [
    "KINDS",
    "Token",
    "VietnameseTokenizer",
    "align",
    "get_nlp",
    "segment",
    "to_doc",
    "tokenize",
]

log = logging.getLogger(__name__)

KINDS = ("word", "number", "percent", "quantity", "date", "code", "abbrev", "punct")
"""The values `Token.kind` takes (spaCy whitespace tokens get ``"space"``)."""


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its text, its `[start, end)` character offsets and its kind."""

    text: str
    start: int
    end: int
    kind: str


# ---------------------------------------------------------------------------
# Domain units: one regular expression, one named group per unit shape.
# ---------------------------------------------------------------------------


def _letters(predicate) -> str:
    # Latin letters Vietnamese uses: Basic Latin, Latin-1, Extended-A/B and the
    # Extended Additional block where the toned vowels live.
    ranges = ((0x41, 0x7A), (0xC0, 0x24F), (0x1E00, 0x1EFF))
    return "".join(
        ch
        for lo, hi in ranges
        for ch in map(chr, range(lo, hi + 1))
        if ch.isalpha() and predicate(ch)
    )


_UP = _letters(str.isupper)
_LOW = _letters(str.islower)
_VOWEL_UP = _letters(lambda ch: ch.isupper() and unicodedata.normalize("NFD", ch)[0] in "AEIOUY")

_NUM = r"\d+(?:[.,]\d+)*"
# An upper-case syllable (initial consonant, vowel nucleus, final consonant):
# such a word is spelled out, not an acronym.
_SYLLABLE_UP = (
    r"(?:NGH|NG|NH|CH|GH|GI|KH|PH|QU|TH|TR|[BCDĐGHKLMNPQRSTVX])?"
    r"[{VUP}]{1,3}(?:NG|NH|CH|[CMNPT])?(?!\w)"
)
# A segment of a document code: "TB", "NQ", "HĐND", "TTr", "QĐi", "TTg".
_SEG = r"[{UP}][{UP}\d]*(?:[a-zđ]{1,2}[{UP}\d]*)?"
_UNIT = r"(?:[kKMGT]?(?:[Ww][Hh]?|[Vv][Aa]?|Hz)|[{LOW}]{1,4})[23²³]?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:1[89]|20)\d{2}"

_UNITS_PATTERN = r"""
(?<!\w)(?<!\w-)
(?:
    (?P<quarter>(?i:qu[ýí])[ ]+(?:IV|I{1,3}|[1-4])[ ]?/[ ]?\d{4})(?!\w)
  | (?P<code>\d+(?:/\d+)*(?:[/-]SEG(?:[-/&]SEG)*|-[ ]SEG(?:[-/&]SEG)+))(?!\w)
  | (?P<date>DAY(?P<sep>[/.-])MONTH(?P=sep)\d{4})(?!\w)
  | (?P<years>YEAR[ ]?[-–][ ]?YEAR)(?!\w)
  | (?P<month>MONTH/YEAR)(?!\w|/\d)
  | (?<=[Nn]gày[ ])(?P<day>DAY/MONTH)(?!\w|/\d)
  | (?P<qratio>NUM[ ]?(?P<unit>[{LOW}]{1,6}[23²³]?)/[ ]?NUM[ ]?(?P=unit))(?!\w)
  | (?P<percent>NUM[ ]?%)
  | (?P<quantity>NUM UNIT)(?!\w)
  | (?P<range>NUM[-–]NUM)(?!\w)
  | (?P<ratio>NUM/[ ]?NUM)(?!\w|/\d)
  | (?P<number>NUM)(?!\w)
  | (?P<joined>[{UP}][{UP}\d]*(?:[&.-][{UP}\d]+)+)(?!\w)
  | (?![IVX]+(?!\w))(?!SYLLABLE)(?P<acronym>[{UP}][{UP}\d]+)(?!\w)
)
"""
for _name, _value in (
    ("SYLLABLE", _SYLLABLE_UP),
    ("SEG", _SEG),
    ("UNIT", _UNIT),
    ("NUM", _NUM),
    ("DAY", _DAY),
    ("MONTH", _MONTH),
    ("YEAR", _YEAR),
):
    _UNITS_PATTERN = _UNITS_PATTERN.replace(_name, _value)
_UNITS_PATTERN = (
    _UNITS_PATTERN.replace("{UP}", _UP).replace("{LOW}", _LOW).replace("{VUP}", _VOWEL_UP)
)
_UNITS = re.compile(_UNITS_PATTERN, re.VERBOSE)
_UNIT_KIND = {
    "quarter": "date",
    "code": "code",
    "date": "date",
    "years": "date",
    "month": "date",
    "day": "date",
    "qratio": "quantity",
    "percent": "percent",
    "quantity": "quantity",
    "range": "number",
    "ratio": "number",
    "number": "number",
    "joined": "abbrev",
    "acronym": "abbrev",
}

# Combining marks (for mapping NFC text back to decomposed input).
_CLUSTER = re.compile(r"(?s).[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*")
_WORDISH = re.compile(r"\w")


def _units(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), _UNIT_KIND[m.lastgroup]) for m in _UNITS.finditer(text)]


# ---------------------------------------------------------------------------
# underthesea's word segmentation, run from the model's weights.
# ---------------------------------------------------------------------------

_MODEL_NAME = "ws_crf_vlsp2013_20230727"
# The feature templates this scorer implements; a model with other templates
# is run through underthesea itself.
_TEMPLATES = [
    *(f"T[{i}]" for i in (-2, -1, 0, 1, 2)),
    *(f"T[{i},{i + 1}]" for i in (-2, -1, 0, 1)),
    *(f"T[{i},{i + 2}]" for i in (-2, -1, 0)),
    *(f"T[{i}].lower" for i in (-2, -1, 0, 1, 2)),
    *(f"T[{i},{i + 1}].lower" for i in (-2, -1, 0, 1)),
    *(f"T[{i}].isdigit" for i in (-1, 0, 1)),
    *(f"T[{i}].istitle" for i in (-2, -1, 0, 1, 2)),
    "T[0,1].istitle",
    "T[0,2].istitle",
    *(f"T[{i}].is_in_dict" for i in (-2, -1, 0, 1, 2)),
    *(f"T[{i},{i + 1}].is_in_dict" for i in (-2, -1, 0, 1)),
    *(f"T[{i},{i + 2}].is_in_dict" for i in (-2, -1, 0)),
]
_TEMPLATE = re.compile(r"T\[(-?\d+)(?:,(-?\d+))?\](?:\.(\w+))?\Z")
# The n-gram offsets those templates use, by n-gram size.
_OFFSETS = {1: (-2, -1, 0, 1, 2), 2: (-2, -1, 0, 1), 3: (-2, -1, 0)}
_CACHE_LIMIT = 100_000  # entries per n-gram size, about 14 MB each when full
# A shortcut tried before underthesea's syllable pattern: a run of Latin
# letters followed by a character that none of that pattern's special cases
# (abbreviations, URLs, e-mails, "v.v", hyphenated words) can continue with.
# There the pattern's first match is its plain word, `\w+`, over the same run.
_FAST_WORD = r"[{LETTER}]+(?![\w.\-:@'’&+])"
_INT32 = re.compile(r"[+-]?[0-9]+\Z")


def _read_crfsuite(path: Path) -> tuple[list[str], list[str], list[tuple[int, int, int, float]]]:
    """Read a CRFsuite model file: labels, attributes and (type, src, dst, weight) features."""
    data = path.read_bytes()
    (magic, _, kind, _, _, _, _, off_features, off_labels, off_attrs) = struct.unpack_from(
        "<4sI4sIIIIIII", data, 0
    )
    if magic != b"lCRF" or kind != b"FOMC":
        raise ValueError(f"{path} is not a CRFsuite CRF1d model")
    chunk, _, count = struct.unpack_from("<4sII", data, off_features)
    if chunk != b"FEAT":
        raise ValueError(f"{path}: no feature chunk")
    features = list(
        struct.iter_unpack("<IIId", data[off_features + 12 : off_features + 12 + 20 * count])
    )

    def strings(base: int) -> list[str]:
        # A CQDB string table; its backward array lists the records by id.
        chunk, _, _, _, bwd_size, bwd_offset = struct.unpack_from("<4sIIIII", data, base)
        if chunk != b"CQDB":
            raise ValueError(f"{path}: no string table at {base}")
        out = [""] * bwd_size
        for (offset,) in struct.iter_unpack(
            "<I", data[base + bwd_offset : base + bwd_offset + 4 * bwd_size]
        ):
            if offset:
                value, size = struct.unpack_from("<II", data, base + offset)
                out[value] = data[base + offset + 8 : base + offset + 8 + size - 1].decode("utf-8")
        return out

    return strings(off_labels), strings(off_attrs), features


def _isdigit(text: str) -> bool:
    # underthesea_core: the text parses as a 32-bit integer (Rust `parse::<i32>`,
    # which takes a sign and any number of leading zeros).
    if not _INT32.match(text):
        return False
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 10:
        return False
    value = int(digits)
    return value < 2**31 or (text[0] == "-" and value == 2**31)


def _istitle(text: str) -> bool:
    # underthesea_core: every space-separated part starts with a character
    # that upper-casing leaves unchanged (so digits and capitals count).
    return all(part[:1] == part[:1].upper() for part in text.split(" "))


class _CRFSegmenter:
    """underthesea's syllable pattern and word-segmentation CRF, scored from its weights."""

    def __init__(self) -> None:
        import joblib
        import underthesea.pipeline.word_tokenize as ws
        from underthesea.pipeline.text_normalize.text_normalizer import character_map, token_map
        from underthesea.pipeline.word_tokenize import regex_tokenize

        model_dir = Path(ws.__file__).parent / "models" / _MODEL_NAME
        templates = joblib.load(model_dir / "features.bin")
        if sorted(templates) != sorted(_TEMPLATES):
            raise ValueError(f"unexpected feature templates in {model_dir}")
        self.model_dir = model_dir
        self.exact = None  # underthesea's tagger, loaded on the first near-tie
        self.dictionary: set[str] = joblib.load(model_dir / "dictionary.bin")
        labels, attrs, features = _read_crfsuite(model_dir / "models.bin")
        if labels != ["B-W", "I-W"]:
            raise ValueError(f"unexpected labels {labels} in {model_dir}")

        # Viterbi only compares paths, so adding one number to both labels'
        # scores at a position changes nothing: keep score(B-W) - score(I-W).
        weights: dict[str, dict[str, float]] = {t: {} for t in templates}
        self.transitions = [[0.0, 0.0], [0.0, 0.0]]
        for kind, src, dst, weight in features:
            if kind == 0:
                template, _, value = attrs[src].partition("=")
                if template in weights:
                    table = weights[template]
                    table[value] = table.get(value, 0.0) + (weight if dst == 0 else -weight)
            elif kind == 1:
                self.transitions[src][dst] = weight

        parsed = []
        for template in templates:
            first, last, function = _TEMPLATE.match(template).groups()
            size = int(last) - int(first) + 1 if last else 1
            parsed.append((size, int(first), function or "", weights[template]))
        # Per n-gram size: value tables merged over the templates of one
        # function, as tuples with one score per offset in _OFFSETS[size].
        self.tables: dict[int, tuple[dict, dict, dict]] = {}
        for size, offsets in _OFFSETS.items():
            raw: dict[str, list[float]] = {}
            lower: dict[str, list[float]] = {}
            flags: dict[tuple[bool, bool, bool], list[float]] = {
                key: [0.0] * len(offsets) for key in itertools.product((False, True), repeat=3)
            }
            for s, first, function, table in parsed:
                if s != size:
                    continue
                slot = offsets.index(first)
                if function in ("", "lower"):
                    merged = raw if function == "" else lower
                    for value, diff in table.items():
                        merged.setdefault(value, [0.0] * len(offsets))[slot] += diff
                else:
                    which = ("isdigit", "istitle", "is_in_dict").index(function)
                    for key, scores in flags.items():
                        scores[slot] += table.get(str(key[which]), 0.0)
            self.tables[size] = (
                {k: tuple(v) for k, v in raw.items()},
                {k: tuple(v) for k, v in lower.items()},
                {k: tuple(v) for k, v in flags.items()},
            )
        self.caches: dict[int, dict[str, tuple[float, ...]]] = {size: {} for size in _OFFSETS}
        # BOS/EOS features of a position 0, 1 (or more) syllables from each end.
        self.edges: dict[tuple[int, int], float] = {}
        for left, right in itertools.product(range(3), repeat=2):
            diff = 0.0
            for size, first, _, table in parsed:
                if first < -left:
                    diff += table.get("BOS", 0.0)
                elif first + size - 1 > right:
                    diff += table.get("EOS", 0.0)
            self.edges[left, right] = diff

        self.syllables = re.compile(
            _FAST_WORD.replace("{LETTER}", _UP + _LOW)
            + "|("
            + "|".join(regex_tokenize.regex_patterns)
            + ")",
            re.VERBOSE | re.UNICODE,
        )
        self.char_table = {
            ord(k): v for k, v in character_map.items() if len(k) == 1 and len(v) == 1
        }
        # underthesea normalises tokens of at most 6 characters; its table has
        # no longer keys, so a plain look-up does the same.
        self.token_map: dict[str, str] = token_map

    def _gram_scores(self, size: int, gram: str) -> tuple[float, ...]:
        """Score differences the n-gram `gram` adds, one per offset in _OFFSETS[size]."""
        raw, lower_table, flags = self.tables[size]
        lower = gram.lower()
        scores = flags[size == 1 and _isdigit(gram), _istitle(gram), lower in self.dictionary]
        for found in (raw.get(gram), lower_table.get(lower)):
            if found:
                scores = tuple(map(operator.add, scores, found))
        return scores

    def _grams(self, size: int, forms: Sequence[str]) -> list[tuple[float, ...]]:
        cache = self.caches[size]
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        if size > 1:
            forms = [" ".join(forms[j : j + size]) for j in range(len(forms) - size + 1)]
        out = []
        for gram in forms:
            found = cache.get(gram)
            if found is None:
                found = cache[gram] = self._gram_scores(size, gram)
            out.append(found)
        return out

    def tags(self, forms: Sequence[str]) -> list[bool]:
        """Return, per syllable, whether the model tags it I-W (inside a word)."""
        n = len(forms)
        if n == 0:
            return []
        # Pad so that position i finds the n-gram starting at i + offset
        # (zeros where that n-gram would leave the sequence).
        zero = (0.0,) * 5
        one = [zero, zero, *self._grams(1, forms), zero, zero]
        two = [zero, zero, *self._grams(2, forms)]
        two += [zero] * (n + 3 - len(two))
        three = [zero, zero, *self._grams(3, forms)]
        three += [zero] * (n + 2 - len(three))
        diff = [
            a[0] + b[1] + c[2] + d[3] + e[4] + f[0] + g[1] + h[2] + k[3] + p[0] + q[1] + r[2]
            for a, b, c, d, e, f, g, h, k, p, q, r in zip(
                one, one[1:], one[2:], one[3:], one[4:],
                two, two[1:], two[2:], two[3:],
                three, three[1:], three[2:],
                strict=False,
            )
        ]  # fmt: skip
        for pos in {0, 1, n - 2, n - 1}:
            if 0 <= pos < n:
                diff[pos] += self.edges[min(pos, 2), min(n - 1 - pos, 2)]

        # Viterbi over B-W (id 0) and I-W (id 1). Where two paths score within
        # rounding error of each other, the winner depends on the order of the
        # float additions, so such a sequence goes to underthesea's own tagger;
        # `tolerance` bounds the rounding error of sums this size.
        (bb, bi), (ib, ii) = self.transitions
        bound = sum(map(abs, diff)) + n * (abs(bb) + abs(bi) + abs(ib) + abs(ii)) + 1.0
        tolerance = 1e-13 * n * bound
        close = False
        score_b, score_i = diff[0], 0.0
        back: list[tuple[bool, bool]] = []
        for t in range(1, n):
            from_b, from_i = score_b + bb, score_i + ib
            margin = from_i - from_b
            b_from_i = margin > 0
            close = close or -tolerance < margin < tolerance
            to_b = from_i if b_from_i else from_b
            from_b, from_i = score_b + bi, score_i + ii
            margin = from_i - from_b
            i_from_i = margin > 0
            close = close or -tolerance < margin < tolerance
            score_i = from_i if i_from_i else from_b
            score_b = to_b + diff[t]
            back.append((b_from_i, i_from_i))
        if close or -tolerance < score_i - score_b < tolerance:
            return self._exact_tags(forms)
        label = score_i > score_b
        labels = [label]
        for b_from_i, i_from_i in reversed(back):
            label = i_from_i if label else b_from_i
            labels.append(label)
        labels.reverse()
        return labels

    def _exact_tags(self, forms: Sequence[str]) -> list[bool]:
        """Tag with underthesea's own featurizer and tagger (slow, for near-ties)."""
        if self.exact is None:
            from underthesea.models.fast_crf_sequence_tagger import FastCRFSequenceTagger

            self.exact = FastCRFSequenceTagger()
            self.exact.load(str(self.model_dir))
        return [tag == "I-W" for tag in self.exact.predict([[form] for form in forms])]

    def normalize(self, text: str) -> str:
        """Apply underthesea's character normalisation (its length-preserving part)."""
        return text.translate(self.char_table)

    def words(self, norm: str) -> list[tuple[int, int]]:
        """Return the word spans of the NFC text `norm`, as underthesea segments it."""
        matches = list(self.syllables.finditer(norm))
        get = self.token_map.get
        forms = [get(f, f) for f in (m.group() for m in matches)]
        spans: list[tuple[int, int]] = []
        for m, joined in zip(matches, self.tags(forms), strict=True):
            if joined and spans:
                spans[-1] = (spans[-1][0], m.end())
            else:
                spans.append(m.span())
        return spans


class _ReferenceSegmenter:
    """``underthesea.word_tokenize`` itself, its words aligned back to the text."""

    def normalize(self, text: str) -> str:
        return text

    def words(self, norm: str) -> list[tuple[int, int]]:
        from underthesea import word_tokenize

        return align(norm, word_tokenize(norm))


@lru_cache(maxsize=1)
def _segmenter() -> _CRFSegmenter | _ReferenceSegmenter:
    try:
        return _CRFSegmenter()
    except (ImportError, OSError, ValueError, AttributeError, struct.error) as error:
        log.warning("underthesea model not usable directly (%s); using word_tokenize", error)
        return _ReferenceSegmenter()


@lru_cache(maxsize=1)
def _underthesea_form():
    from underthesea.pipeline.text_normalize import token_normalize
    from underthesea.pipeline.text_normalize.character_normalize import (
        normalize_characters_in_text,
    )

    # What word_tokenize does to a syllable: characters, then token spelling.
    return lambda text: token_normalize(normalize_characters_in_text(text))


def align(text: str, words: Sequence[str]) -> list[tuple[int, int]]:
    """Find underthesea's words in the text they came from.

    Takes `text` and the list of words ``underthesea.word_tokenize(text)``
    returned (syllables joined by single spaces, characters normalised).
    Returns one `(start, end)` span of `text` per word, in order. Whitespace
    between and inside words may differ from the text; a syllable that
    underthesea normalised ("hoà" for a decomposed "hoà", say) is matched by
    normalising candidate stretches of the text the same way.
    """
    spans: list[tuple[int, int]] = []
    pos, n = 0, len(text)
    for word in words:
        start = None
        for syllable in word.split():
            while pos < n and text[pos].isspace():
                pos += 1
            if start is None:
                start = pos
            if text.startswith(syllable, pos):
                pos += len(syllable)
                continue
            normalize = _underthesea_form()
            limit = min(n, pos + 3 * len(syllable) + 2)
            end = next(
                (e for e in range(pos + 1, limit + 1) if normalize(text[pos:e]) == syllable),
                None,
            )
            if end is None:  # unexplained change: take the stretch up to the next space
                end = pos + 1
                while end < n and not text[end].isspace():
                    end += 1
            pos = end
        if start is not None and pos > start:
            spans.append((start, pos))
    return spans


# ---------------------------------------------------------------------------
# Public functions.
# ---------------------------------------------------------------------------


def _nfc_view(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Return the NFC form of `text` and, if it differs, per-character source bounds."""
    if unicodedata.is_normalized("NFC", text):
        return text, None, None
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _CLUSTER.finditer(text):
        piece = unicodedata.normalize("NFC", m.group())
        pieces.append(piece)
        starts.extend([m.start()] * len(piece))
        ends.extend([m.end()] * len(piece))
    return "".join(pieces), starts, ends


def segment(text: str, *, reference: bool = False) -> list[tuple[int, int]]:
    """Segment `text` into words as underthesea does, without the domain units.

    Takes any text. Returns the `(start, end)` span of each underthesea word
    (one or more syllables) in order; `reference=True` runs
    ``underthesea.word_tokenize`` and `align` instead of the faster scorer,
    for comparison.
    """
    norm, starts, ends = _nfc_view(text)
    segmenter = _ReferenceSegmenter() if reference else _segmenter()
    spans = segmenter.words(segmenter.normalize(norm))
    return list(_to_source(spans, starts, ends))


def _to_source(
    spans: Sequence[tuple[int, int]], starts: list[int] | None, ends: list[int] | None
) -> Iterator[tuple[int, int]]:
    if starts is None or ends is None:
        yield from spans
        return
    last = 0
    for s, e in spans:
        s, e = max(starts[s], last), ends[e - 1]
        if e > s:
            yield s, e
            last = e


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _merge(
    text: str, words: list[tuple[int, int]], units: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Cut `words` so that each unit span is exactly one token."""
    out: list[tuple[int, int, str]] = []

    def piece(start: int, end: int) -> None:
        start, end = _trim(text, start, end)
        if end > start:
            kind = "word" if _WORDISH.search(text, start, end) else "punct"
            out.append((start, end, kind))

    u = 0
    emitted = -1  # index of the last unit already output
    for start, end in words:
        cursor = start
        while u < len(units) and units[u][0] < end:
            u_start, u_end, kind = units[u]
            if u_end <= cursor:
                u += 1
                continue
            if u_start > cursor:
                piece(cursor, u_start)
            if emitted < u:
                out.append((u_start, u_end, kind))
                emitted = u
            cursor = max(cursor, u_end)
            if u_end > end:
                break
            u += 1
        if cursor < end:
            piece(cursor, end)
    return out


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens: underthesea's words, domain units kept whole.

    Takes any text. Returns the tokens in order, none overlapping, each with
    ``text[token.start:token.end] == token.text``; whitespace is never part
    of a token's ends. See the module docstring for the kinds.
    """
    norm, starts, ends = _nfc_view(text)
    segmenter = _segmenter()
    norm = segmenter.normalize(norm)
    merged = _merge(norm, segmenter.words(norm), _units(norm))
    if starts is None or ends is None:
        return [Token(text[s:e], s, e, kind) for s, e, kind in merged]
    tokens: list[Token] = []
    for s, e, kind in merged:
        # A mark composed onto white space maps back to that space: trim it.
        s, e = _trim(text, starts[s], ends[e - 1])
        if tokens and s < tokens[-1].end:
            # Two tokens came from one decomposed letter: keep them as one.
            s = tokens.pop().start
        if e > s:
            tokens.append(Token(text[s:e], s, e, kind))
    return tokens


# ---------------------------------------------------------------------------
# spaCy.
# ---------------------------------------------------------------------------


class VietnameseTokenizer:
    """A spaCy tokenizer that builds a `Doc` from `tokenize`.

    `doc.text` equals the input exactly and each token's `idx` is its start
    offset. Whitespace beyond the one space a token may carry becomes a
    whitespace token of its own (kind ``"space"``). The token kind is stored
    in the extension ``Token._.kind``.
    """

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        _register_extensions()

    def __call__(self, text: str) -> Doc:
        """Return the `Doc` of `text`."""
        from spacy.tokens import Doc

        words: list[str] = []
        spaces: list[bool] = []
        kinds: list[str] = []

        def whitespace(gap: str) -> None:
            if not gap:
                return
            if words and gap[0] == " " and not spaces[-1] and kinds[-1] != "space":
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
                kinds.append("space")

        last = 0
        for token in tokenize(text):
            whitespace(text[last : token.start])
            words.append(token.text)
            spaces.append(False)
            kinds.append(token.kind)
            last = token.end
        whitespace(text[last:])
        doc = Doc(self.vocab, words=words, spaces=spaces)
        for spacy_token, kind in zip(doc, kinds, strict=True):
            spacy_token._.kind = kind
        return doc

    def pipe(self, texts, batch_size: int = 1000):
        """Yield the `Doc` of each text in `texts`."""
        for text in texts:
            yield self(text)

    # The tokenizer has no state to save; spaCy calls these when it serialises.
    def to_bytes(self, **_: object) -> bytes:
        return b""

    def from_bytes(self, _data: bytes, **_: object) -> VietnameseTokenizer:
        return self

    def to_disk(self, _path: object, **_: object) -> None:
        return None

    def from_disk(self, _path: object, **_: object) -> VietnameseTokenizer:
        return self


def _register_extensions() -> None:
    from spacy.tokens import Token as SpacyToken

    if not SpacyToken.has_extension("kind"):
        SpacyToken.set_extension("kind", default=None)


def _create_tokenizer():
    def create(nlp: Language) -> VietnameseTokenizer:
        return VietnameseTokenizer(nlp.vocab)

    return create


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """Return the shared blank Vietnamese spaCy pipeline with `VietnameseTokenizer`.

    Takes nothing. Returns a `spacy.Language` (language "vi", spaCy's
    Vietnamese stop words and lexical attributes, no pyvi) whose tokenizer is
    `VietnameseTokenizer`; it is built once and cached.
    """
    import spacy

    if "tiendo.VietnameseTokenizer.v1" not in spacy.registry.tokenizers:
        spacy.registry.tokenizers.register("tiendo.VietnameseTokenizer.v1", func=_create_tokenizer)
    config = {"nlp": {"tokenizer": {"@tokenizers": "tiendo.VietnameseTokenizer.v1"}}}
    return spacy.blank("vi", config=config)


def to_doc(text: str) -> Doc:
    """Return the spaCy `Doc` of `text` made by `get_nlp`'s tokenizer."""
    return get_nlp().make_doc(text)
