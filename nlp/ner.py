"""Entity tagger: a CRF over tiendo's tokens, and the STATUS value classifier.

Features are pure functions of a prepared sentence and a position, named and
driven by a template (`TEMPLATE`), as in sklearn-crfsuite's CoNLL 2002
tutorial and underthesea's CRF taggers; the template is saved with the
model. A sentence is one cell: a list of `Word`s carrying what the features
read (text, token kind, underthesea POS, the lexicon tag).

What is specific to a report (names of projects, agencies, places; the words
that announce them) is never written here: `Lexicon.learn` collects it from
the training annotations and it is saved with the model.

A model is a folder: `model.crfsuite` (crfsuite's own file), `config.json`
(template, labels, lexicon, hyper-parameters), `status.json` (the STATUS
classifier as plain arrays) and `card.json`. Nothing is pickled.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from nlp.corpus import bio_to_spans, spans_to_bio
from nlp.linear import LinearModel, ModelError, read_model_json


@dataclass(frozen=True, slots=True)
class Word:
    """One token of a sentence, with what the features read."""

    text: str
    start: int
    end: int
    kind: str
    pos: str = ""
    lex: str = "O"
    rule: str = "O"
    word: str = ""
    part: str = "S"
    cell: str = ""
    trig: str = "O"


# ---------------------------------------------------------------------------
# Features.
# ---------------------------------------------------------------------------


def _shape(text: str) -> str:
    shape = []
    for char in text:
        if char.isupper():
            code = "X"
        elif char.islower():
            code = "x"
        elif char.isdigit():
            code = "d"
        elif char.isspace():
            code = "_"
        else:
            code = char
        if not shape or shape[-1] != code:
            shape.append(code)
    return "".join(shape)[:8]


def _syllables(text: str) -> list[str]:
    return text.split()


ATTRIBUTES: dict[str, Callable[[Word], object]] = {
    "lower": lambda w: w.text.lower(),
    "shape": lambda w: _shape(w.text),
    "kind": lambda w: w.kind,
    "pos": lambda w: w.pos,
    "istitle": lambda w: all(s[:1].isupper() for s in _syllables(w.text)),
    "isupper": lambda w: w.text.isupper(),
    "syllables": lambda w: min(len(_syllables(w.text)), 4),
    "first": lambda w: _syllables(w.text)[0].lower() if w.text.strip() else "",
    "last": lambda w: _syllables(w.text)[-1].lower() if w.text.strip() else "",
    "prefix2": lambda w: w.text[:2].lower(),
    "suffix3": lambda w: w.text[-3:].lower(),
    "lex": lambda w: w.lex,
    "rule": lambda w: w.rule,
    "word": lambda w: (w.word or w.text).lower(),
    "part": lambda w: w.part,
    "cell": lambda w: w.cell,
    "cell_lower": lambda w: f"{w.cell}:{w.text.lower()}",
    "trig": lambda w: w.trig,
}
"""What a feature can read of one word: name → pure function of the `Word`."""


def _parse(name: str) -> tuple[tuple[int, ...], str]:
    """ "w[-1,0].lower" → ((-1, 0), "lower"); "w.kind" → ((0,), "kind")."""
    match = re.fullmatch(r"w(?:\[([-+\d,]+)\])?\.(\w+)", name)
    if not match or match.group(2) not in ATTRIBUTES:
        raise KeyError(name)
    offsets = tuple(int(o) for o in match.group(1).split(",")) if match.group(1) else (0,)
    return offsets, match.group(2)


TEMPLATE: tuple[str, ...] = (
    "bias",
    "w.lower",
    "w.shape",
    "w.kind",
    "w.istitle",
    "w.isupper",
    "w.syllables",
    "w.first",
    "w.last",
    "w.prefix2",
    "w.suffix3",
    "w.lex",
    "w.rule",
    "w[-1].rule",
    "w[+1].rule",
    "w[-1].lower",
    "w[-1].kind",
    "w[-1].istitle",
    "w[-1].lex",
    "w[-2].lower",
    "w[-2].kind",
    "w[+1].lower",
    "w[+1].kind",
    "w[+1].istitle",
    "w[+1].lex",
    "w[+2].lower",
    "w[+2].kind",
    "w[-1,0].lower",
    "w[0,+1].lower",
    "w[-2,-1].lower",
    "w.word",
    "w.part",
    "w[-1].word",
    "w[+1].word",
    "w.cell",
    "w.cell_lower",
    "w.trig",
    "w[-1].trig",
    "w[-2].trig",
)
"""The default template: named features `w[OFFSETS].ATTRIBUTE` (plus "bias"),
saved in the model's config. The unit tagged is a syllable (`UNIT`); `word`
and `part` read the segmenter's word around it (dev micro-F1 0.848 for word
units, 0.862 for syllables, 0.869 with the word features). `cell` and
`cell_lower` read which cell the syllable is in, alone and with the
syllable: "hoàn thành" states a result in the result cell and sets a goal in
the task cell (cross-validation, training/README.md: STATUS 0.511 → 0.556,
PROJECT 0.386 → 0.397, micro flat). `trig` reads the kind of trigger word
(`nlp.triggers`: the nouns that open a works, a body or a place) over the
syllable and the two before it (CV micro 0.871 → 0.874, PROJECT 0.397 →
0.419, LOC 0.809 → 0.821). Available but not
in the default: `w.pos` and its neighbours (underthesea POS; costly, and it
added little in published Vietnamese NER work)."""


@lru_cache(maxsize=200_000)
def _word_attrs(word: Word) -> dict[str, object]:
    return {name: read(word) for name, read in ATTRIBUTES.items()}


def _value(sent: Sequence[Word], i: int, attribute: str) -> object:
    if i < 0:
        return "BOS"
    if i >= len(sent):
        return "EOS"
    return _word_attrs(sent[i])[attribute]


def word2features(sent: Sequence[Word], i: int, template: Sequence[str] = TEMPLATE) -> dict:
    """Return the features of word `i` of `sent` as a dict for crfsuite.

    Takes a prepared sentence (`Word`s), a position and a template of named
    features; returns `{feature name: value}` (strings become indicator
    features, numbers weights). A feature that reads several positions joins
    their values with "|"; positions outside the sentence read BOS / EOS.
    """
    features: dict[str, object] = {}
    for name in template:
        if name == "bias":
            features[name] = 1.0
            continue
        offsets, attribute = _parse_cached(name)
        if len(offsets) == 1:
            value = _value(sent, i + offsets[0], attribute)
            features[name] = float(value) if isinstance(value, bool) else value
        else:
            features[name] = "|".join(str(_value(sent, i + o, attribute)) for o in offsets)
    return features


_parse_cached = lru_cache(maxsize=None)(_parse)


def _known(name: str) -> bool:
    if name == "bias":
        return True
    try:
        _parse_cached(name)
    except KeyError:
        return False
    return True


def needs_pos(template: Sequence[str]) -> bool:
    """Whether a template reads underthesea POS tags."""
    return any(name.endswith(".pos") for name in template)


def sent2features(sent: Sequence[Word], template: Sequence[str] = TEMPLATE) -> list[dict]:
    """Return `word2features` for every word of `sent` (the same dicts, computed faster).

    Each word's attributes are read once and shared by the features of its
    neighbours; `tests/test_ner.py` checks the result equals `word2features`.
    """
    n = len(sent)
    attrs = [_word_attrs(w) for w in sent]
    plan = [(name, *_parse_cached(name)) if name != "bias" else (name, (), "") for name in template]
    out = []
    for i in range(n):
        features: dict[str, object] = {}
        for name, offsets, attribute in plan:
            if not offsets:
                features[name] = 1.0
            elif len(offsets) == 1:
                j = i + offsets[0]
                value = attrs[j][attribute] if 0 <= j < n else ("BOS" if j < 0 else "EOS")
                features[name] = float(value) if isinstance(value, bool) else value
            else:
                features[name] = "|".join(
                    str(attrs[i + o][attribute])
                    if 0 <= i + o < n
                    else ("BOS" if i + o < 0 else "EOS")
                    for o in offsets
                )
        out.append(features)
    return out


# The tagger's fast path: crfsuite items built from per-word pieces. A word's
# attributes depend on what it is, not where it is, so they are computed once
# per distinct word (its fields but `start` and `end`) and shared by every
# occurrence; each template feature becomes the key crfsuite would make of it
# ("name:value" for strings, the name with a weight for numbers), as bytes.
_WORD_KEY = operator.attrgetter(*(f.name for f in fields(Word) if f.name not in ("start", "end")))
_PIECES_LIMIT = 200_000


def _item_plan(template: Sequence[str]) -> tuple:
    """Per template feature: (name, offsets, attribute), "bias" with no offsets."""
    return tuple(
        (name, (), "") if name == "bias" else (name, *_parse_cached(name)) for name in template
    )


def _crf_key(name: str, value: object) -> tuple[bytes, float] | None:
    """The (attribute, weight) crfsuite makes of the feature `name: value`; None if unusual."""
    if isinstance(value, str):
        return f"{name}:{value}".encode(), 1.0
    if isinstance(value, (bool, int, float)):
        return name.encode(), float(value)
    return None


def _entry(key: tuple[bytes, float] | None) -> bytes | tuple[bytes, float] | None:
    """How an item holds an (attribute, weight): the bare attribute for weight
    1, nothing for weight 0 (it adds nothing to a score), else the pair."""
    if key is None or key[1] not in (0.0, 1.0):
        return key
    return key[0] if key[1] else None


class _ItemMaker:
    """Builds crfsuite items for one template; see `sent2items`."""

    def __init__(self, template: Sequence[str]) -> None:
        self.plan = _item_plan(template)
        self.pieces: dict[tuple, tuple | None] = {}
        # Entries of the features of a position outside the sentence.
        self.edge = [
            (_entry(_crf_key(name, "BOS")), _entry(_crf_key(name, "EOS")))
            if len(offsets) == 1
            else (None, None)
            for name, offsets, _ in self.plan
        ]

    def _pieces(self, word: Word) -> tuple | None:
        """Per feature: its item entry if `word` is the one it reads, or `str(value)`;
        then whether an entry is an (attribute, weight) pair."""
        attrs = _word_attrs(word)
        out = []
        for name, offsets, attribute in self.plan:
            if not offsets:
                out.append(None)
            elif len(offsets) == 1:
                key = _crf_key(name, attrs[attribute])
                if key is None:
                    return None
                out.append(_entry(key))
            else:
                out.append(str(attrs[attribute]))
        return tuple(out), any(isinstance(entry, tuple) for entry in out)

    def __call__(self, sent: Sequence[Word]) -> list[list | dict] | None:
        n = len(sent)
        cache = self.pieces
        if len(cache) > _PIECES_LIMIT:
            cache.clear()
        rows = []
        weighted = False
        for word in sent:
            key = _WORD_KEY(word)
            found = cache.get(key, False)
            if found is False:
                found = cache[key] = self._pieces(word)
            if found is None:
                return None
            rows.append(found[0])
            weighted = weighted or found[1]
        if not n:
            return []
        # One column per feature, over the sentence: the words' pieces shifted
        # by the feature's offset, BOS / EOS past the ends.
        by_feature = list(zip(*rows, strict=True))
        columns = []
        for k, (name, offsets, _) in enumerate(self.plan):
            if not offsets:
                columns.append([name.encode()] * n)
            elif len(offsets) == 1:
                columns.append(_shifted(by_feature[k], offsets[0], *self.edge[k]))
            else:
                prefix = name + ":"
                joined = zip(
                    *(_shifted(by_feature[k], o, "BOS", "EOS") for o in offsets), strict=True
                )
                columns.append([(prefix + "|".join(v)).encode() for v in joined])
        if not columns:
            return [[] for _ in range(n)]
        positions = zip(*columns, strict=True)
        if not weighted:
            # Attributes of weight 1 only: crfsuite reads a list of them (faster
            # to hand over than a dict).
            return [list(filter(None, entries)) for entries in positions]
        return [
            dict((e, 1.0) if isinstance(e, bytes) else e for e in entries if e is not None)
            for entries in positions
        ]


def _shifted(column: tuple, offset: int, before: object, after: object) -> list:
    """`column` read at each position + `offset`: `before` / `after` outside it."""
    n = len(column)
    if offset <= -n:
        return [before] * n
    if offset >= n:
        return [after] * n
    if offset < 0:
        return [before] * -offset + list(column[: n + offset])
    return list(column[offset:]) + [after] * offset


@lru_cache(maxsize=8)
def _item_maker(template: tuple[str, ...]) -> _ItemMaker:
    return _ItemMaker(template)


def sent2items(sent: Sequence[Word], template: Sequence[str] = TEMPLATE) -> list[list | dict]:
    """Return the crfsuite items of `sent`: `sent2features` as crfsuite reads it, made faster.

    Each item holds crfsuite's attribute keys (bytes: "name:value" for a
    string feature, the name for a number), in template order: a list of
    them where every weight is 1, else a dict of their weights. It is what
    python-crfsuite makes of `word2features`' dicts less the attributes of
    weight 0, which add nothing to a score; `tests/test_ner.py` checks it.
    Falls back to `sent2features` for a value that is neither a string nor a
    number.
    """
    items = _item_maker(tuple(template))(sent)
    return items if items is not None else sent2features(sent, template)


# ---------------------------------------------------------------------------
# The lexicon learned from the training annotations.
# ---------------------------------------------------------------------------


_SEP = "\x1f"  # joins the tokens of a mention key; tokens themselves hold spaces


@dataclass
class Lexicon:
    """Mentions seen in training, as lower-cased token sequences per label.

    Tags a sentence with the longest known mention at each position
    (`B-LABEL`/`I-LABEL`, else `O`), a gazetteer feature learned from data.
    """

    mentions: dict[str, str] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def learn(cls, sentences: Iterable[tuple[Sequence[Word], Sequence[str]]]) -> Lexicon:
        """Collect the mentions of tagged training sentences.

        A sequence that training tagged with two labels keeps its most
        frequent one; single-token mentions of generic words seen mostly
        outside entities are dropped.
        """
        counts: dict[str, Counter] = defaultdict(Counter)
        outside: Counter[str] = Counter()
        for words, tags in sentences:
            spans = bio_to_spans([(i, i + 1) for i in range(len(words))], tags)
            covered = set()
            for start, end, label in spans:
                key = _SEP.join(w.text.lower() for w in words[start:end])
                counts[key][label] += 1
                covered.update(range(start, end))
            for i, word in enumerate(words):
                if i not in covered:
                    outside[word.text.lower()] += 1
        mentions = {}
        for key, labels in counts.items():
            label, count = labels.most_common(1)[0]
            if _SEP not in key and outside[key] > count:
                continue
            mentions[key] = label
        longest = max((len(k.split(_SEP)) for k in mentions), default=1)
        return cls(mentions, longest)

    def tag(self, words: Sequence[Word]) -> list[str]:
        """Return the lexicon tag of each word (longest match, left to right)."""
        lowered = [w.text.lower() for w in words]
        tags = ["O"] * len(words)
        index = self._index()
        i = 0
        while i < len(words):
            for n, label in index.get(lowered[i], ()):
                if i + n <= len(words) and _SEP.join(lowered[i : i + n]) in self._keys[label]:
                    tags[i] = f"B-{label}"
                    for j in range(i + 1, i + n):
                        tags[j] = f"I-{label}"
                    i += n
                    break
            else:
                i += 1
        return tags

    def _index(self) -> dict[str, list[tuple[int, str]]]:
        # First word → (length, label) of the mentions starting with it, longest first.
        if getattr(self, "_first", None) is None:
            first: dict[str, set[tuple[int, str]]] = defaultdict(set)
            keys: dict[str, set[str]] = defaultdict(set)
            for key, label in self.mentions.items():
                parts = key.split(_SEP)
                first[parts[0]].add((len(parts), label))
                keys[label].add(key)
            self._first = {w: sorted(v, reverse=True) for w, v in first.items()}
            self._keys = keys
        return self._first

    def to_json(self) -> dict:
        return {"mentions": self.mentions, "longest": self.longest}

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        return cls(dict(data["mentions"]), int(data["longest"]))


# ---------------------------------------------------------------------------
# Sentences from text.
# ---------------------------------------------------------------------------


def _pos_tags(texts: list[str]) -> list[str]:
    """underthesea's POS tags for our tokens (its CRF run on our segmentation)."""
    if not texts:
        return []
    try:
        from underthesea.pipeline.pos_tag.model_crf import CRFPOSTagPredictor

        return [tag for _, tag in CRFPOSTagPredictor.Instance().predict(texts, None)]
    except Exception:
        return [""] * len(texts)


def prepare(text: str, pos: bool = False, cell: str = "") -> list[Word]:
    """Tokenize `text` and return its `Word`s (with underthesea POS if `pos`).

    Each word also carries the BIO tag of the rule finder's mention over it
    (`nlp.values.find_values`: MONEY, QUANTITY, PERCENT, DATE, DOC by regular
    expression), a feature the CRF learns how far to trust.
    """
    from nlp.tokenize import tokenize

    tokens = tokenize(text)
    tags = _pos_tags([t.text for t in tokens]) if pos else [""] * len(tokens)
    words = [
        Word(t.text, t.start, t.end, t.kind, p, cell=cell)
        for t, p in zip(tokens, tags, strict=True)
    ]
    return with_rules(words, text)


def with_rules(words: Sequence[Word], text: str, offset: int = 0) -> list[Word]:
    """Return `words` with their rule tags set from the regular expressions of `nlp.values`.

    `text` is the text the words come from; `offset` is added to its
    character positions (a cell inside a row `Doc`).
    """
    import warnings

    from nlp.values import UnparsedValueWarning, find_values

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnparsedValueWarning)
        spans = [(f.start + offset, f.end + offset, f.label) for f in find_values(text)]
    tags = spans_to_bio([(w.start, w.end) for w in words], spans)
    return [
        Word(w.text, w.start, w.end, w.kind, w.pos, w.lex, tag, w.word, w.part, w.cell, w.trig)
        for w, tag in zip(words, tags, strict=True)
    ]


_SYLLABLE = re.compile(r"\S+")


def to_syllables(words: Sequence[Word]) -> list[Word]:
    """Split the multi-syllable words of a sentence into their syllables.

    Takes prepared `Word`s; returns one `Word` per syllable of each `word`
    token (other kinds stay whole), carrying the word it came from (`word`)
    and its place in it (`part`: B, I, or S for a word of one syllable).
    Tagging syllables lets an entity start or end inside a word the
    segmenter joined wrongly ("Trưởng Đoàn" | "Đại biểu"), while the word
    stays a feature.
    """
    out: list[Word] = []
    for w in words:
        if w.kind != "word" or " " not in w.text:
            out.append(w)
            continue
        for n, m in enumerate(_SYLLABLE.finditer(w.text)):
            out.append(
                Word(
                    m.group(),
                    w.start + m.start(),
                    w.start + m.end(),
                    w.kind,
                    w.pos,
                    w.lex,
                    "I" + w.rule[1:] if n and w.rule != "O" else w.rule,
                    w.text,
                    "B" if n == 0 else "I",
                    w.cell,
                    w.trig,
                )
            )
    return out


def with_lexicon(
    words: Sequence[Word], lexicon: Lexicon, triggers: Lexicon | None = None
) -> list[Word]:
    """Return `words` with their lexicon tags set from `lexicon` and, where
    `triggers` is given, their trigger tags (`trigger_lexicon`)."""
    trigs = triggers.tag(words) if triggers is not None else [w.trig for w in words]
    return [
        Word(w.text, w.start, w.end, w.kind, w.pos, tag, w.rule, w.word, w.part, w.cell, trig)
        for w, tag, trig in zip(words, lexicon.tag(words), trigs, strict=True)
    ]


def trigger_lexicon(triggers: dict[str, Sequence[str]]) -> Lexicon:
    """A `Lexicon` that tags trigger words (`nlp.triggers`) by kind.

    Takes `{kind: [lower-case words]}`; each word is matched as a run of
    syllables and as one token, so syllable and word models both see it.
    """
    mentions = {}
    for kind, words in triggers.items():
        for word in words:
            mentions[_SEP.join(word.split())] = kind
            mentions[word] = kind
    return Lexicon(mentions, max(len(k.split(_SEP)) for k in mentions))


# ---------------------------------------------------------------------------
# The CRF.
# ---------------------------------------------------------------------------

UNITS = ("syllable", "word")
UNIT = "syllable"
"""What the CRF tags: syllables (the default) or the tokenizer's words."""

DEFAULT_PARAMS = {
    "c1": 0.05,
    "c2": 0.05,
    "max_iterations": 150,
    "feature.possible_transitions": True,
}


class EntityTagger:
    """A trained CRF entity tagger: predicts labelled spans in a cell's text."""

    def __init__(
        self,
        tagger,
        template: Sequence[str],
        lexicon: Lexicon,
        labels: list[str],
        unit: str = "word",
        triggers: dict[str, list[str]] | None = None,
    ):
        self._tagger = tagger
        self.template = tuple(template)
        self.lexicon = lexicon
        self.labels = labels
        self.unit = unit
        # Models saved before trigger words existed have none: their words tag "O".
        self._triggers = trigger_lexicon(triggers) if triggers else None

    @classmethod
    def train(
        cls,
        sentences: Sequence[tuple[Sequence[Word], Sequence[str]]],
        folder: str | Path,
        template: Sequence[str] = TEMPLATE,
        params: dict | None = None,
        unit: str = UNIT,
    ) -> EntityTagger:
        """Train on `(words, BIO tags)` sentences and save the model into `folder`.

        The sentences must be made of the model's `unit` ("syllable" or
        "word"), as `training_sentences(records, unit=unit)` gives them.

        The lexicon is learned from the same sentences; each training
        sentence sees the lexicon learned from the *other* sentences' folds,
        so the model does not learn to trust it blindly.
        """
        import pycrfsuite

        from nlp.triggers import TRIGGERS

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        lexicon = Lexicon.learn(sentences)
        triggers = trigger_lexicon(TRIGGERS)
        trainer = pycrfsuite.Trainer(verbose=False)
        folds = 5
        fold_lexicons = [
            Lexicon.learn(s for j, s in enumerate(sentences) if j % folds != k)
            for k in range(folds)
        ]
        for j, (words, tags) in enumerate(sentences):
            tagged = with_lexicon(words, fold_lexicons[j % folds], triggers)
            trainer.append(sent2features(tagged, template), list(tags))
        trainer.set_params({**DEFAULT_PARAMS, **(params or {})})
        trainer.train(str(folder / "model.crfsuite"))
        labels = sorted({t[2:] for _, tags in sentences for t in tags if t != "O"})
        config = {
            "kind": "tiendo.crf-ner",
            "version": 1,
            "template": list(template),
            "unit": unit,
            "labels": labels,
            "params": {**DEFAULT_PARAMS, **(params or {})},
            "lexicon": lexicon.to_json(),
            "triggers": {kind: list(words) for kind, words in TRIGGERS.items()},
        }
        (folder / "config.json").write_text(
            json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return cls.load(folder)

    @classmethod
    def load(cls, folder: str | Path) -> EntityTagger:
        """Load a model folder written by `train` (crfsuite file + JSON, no pickle)."""
        import pycrfsuite

        folder = Path(folder)
        config = read_model_json(folder / "config.json")
        if config.get("kind") != "tiendo.crf-ner":
            raise ModelError(f"{folder}: not a tiendo CRF entity model")
        unknown = [name for name in config["template"] if not _known(name)]
        if unknown:
            raise ModelError(f"{folder}: unknown features {unknown}; upgrade tiendo")
        tagger = pycrfsuite.Tagger()
        try:
            tagger.open(str(folder / "model.crfsuite"))
        except OSError as error:
            raise ModelError(f"{folder}: cannot open model.crfsuite ({error})") from None
        unit = config.get("unit", "word")
        if unit not in UNITS:
            raise ModelError(f"{folder}: unknown unit {unit!r}; upgrade tiendo")
        return cls(
            tagger,
            config["template"],
            Lexicon.from_json(config["lexicon"]),
            config["labels"],
            unit,
            config.get("triggers"),
        )

    def tag_words(self, words: Sequence[Word]) -> list[str]:
        """Return the BIO tag of each prepared word."""
        if not words:
            return []
        tagged = self._with_features(words)
        return list(self._tagger.tag(sent2items(tagged, self.template)))

    def _with_features(self, words: Sequence[Word]) -> list[Word]:
        return with_lexicon(words, self.lexicon, self._triggers)

    def spans(self, words: Sequence[Word]) -> list[tuple[int, int, str]]:
        """Return the `(start, end, label)` character spans found in prepared words.

        Takes the tokenizer's words (with rule tags); a syllable model splits
        them into syllables first, so a span may start or end inside a word.
        """
        units = to_syllables(words) if self.unit == "syllable" else list(words)
        return bio_to_spans([(w.start, w.end) for w in units], self.tag_words(units))

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        """Return the `(start, end, label)` character spans found in `text`."""
        return self.spans(prepare(text, pos=needs_pos(self.template)))


def training_sentences(
    records: Iterable[dict], pos: bool = False, unit: str = UNIT
) -> list[tuple[list[Word], list[str]]]:
    """Turn gold records into `(units, BIO tags)` sentences, one per cell.

    `unit` is "syllable" (multi-syllable words split, see `to_syllables`) or
    "word" (the tokenizer's words).
    """
    from nlp.annotations import ALL_CELLS

    out = []
    for record in records:
        for cell in ALL_CELLS:
            text = record["cells"].get(cell)
            if not text:
                continue
            words = prepare(text, pos=pos, cell=cell)
            if unit == "syllable":
                words = to_syllables(words)
            spans = [
                (e["start"], e["end"], e["label"]) for e in record["entities"] if e["cell"] == cell
            ]
            out.append((words, spans_to_bio([(w.start, w.end) for w in words], spans)))
    return out


# ---------------------------------------------------------------------------
# STATUS values.
# ---------------------------------------------------------------------------


def status_features(text: str, left: str, right: str) -> dict[str, float]:
    """Features of a STATUS span: its words and character n-grams, and context words."""
    features: dict[str, float] = {}
    lowered = text.lower()
    words = re.findall(r"\w+", lowered)
    for word in words:
        features[f"w={word}"] = 1.0
    for a, b in itertools.pairwise(words):
        features[f"ww={a}_{b}"] = 1.0
    padded = f" {lowered} "
    for n in (3, 4):
        for k in range(len(padded) - n + 1):
            features[f"c{n}={padded[k : k + n]}"] = 1.0
    for word in re.findall(r"\w+", left.lower())[-3:]:
        features[f"left={word}"] = 1.0
    for word in re.findall(r"\w+", right.lower())[:3]:
        features[f"right={word}"] = 1.0
    return features


class StatusClassifier:
    """Gives a STATUS span one of the six status values (a `LinearModel`)."""

    def __init__(self, model: LinearModel) -> None:
        self.model = model

    @classmethod
    def train(cls, examples: Sequence[tuple[dict[str, float], str]], c: float = 4.0):
        """Fit on `(features, value)` examples; return the classifier."""
        return cls(LinearModel.fit(examples, c=c))

    def predict(self, features: dict[str, float]) -> str:
        """Return the most likely status value for one span's features."""
        return self.model.predict(features)

    def save(self, path: str | Path) -> None:
        """Write the classifier as plain JSON arrays."""
        self.model.save(path)

    @classmethod
    def load(cls, path: str | Path) -> StatusClassifier:
        """Read a classifier written by `save`."""
        return cls(LinearModel.load(path))


def status_examples(records: Iterable[dict]) -> list[tuple[dict[str, float], str]]:
    """Return `(features, value)` for every gold STATUS span."""
    out = []
    for record in records:
        for entity in record["entities"]:
            if entity["label"] == "STATUS" and entity.get("value"):
                cell = record["cells"][entity["cell"]]
                feats = status_features(
                    entity["text"],
                    cell[max(0, entity["start"] - 40) : entity["start"]],
                    cell[entity["end"] : entity["end"] + 40],
                )
                out.append((feats, entity["value"]))
    return out
