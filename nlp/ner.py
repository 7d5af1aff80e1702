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
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nlp.corpus import bio_to_spans, spans_to_bio
from nlp.linear import LinearModel, ModelError


@dataclass(frozen=True, slots=True)
class Word:
    """One token of a sentence, with what the features read."""

    text: str
    start: int
    end: int
    kind: str
    pos: str = ""
    lex: str = "O"


# ---------------------------------------------------------------------------
# Features.
# ---------------------------------------------------------------------------

_SHAPE_RE = (
    (re.compile(r"[A-ZĐÀ-Ỹ]"), "X"),
    (re.compile(r"[a-zđà-ỹ]"), "x"),
    (re.compile(r"\d"), "d"),
)


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


def _at(sent: Sequence[Word], i: int) -> Word | None:
    return sent[i] if 0 <= i < len(sent) else None


def _word_feature(offset: int, read: Callable[[Word], object]) -> Callable:
    def feature(sent: Sequence[Word], i: int) -> object:
        word = _at(sent, i + offset)
        if word is None:
            return "BOS" if i + offset < 0 else "EOS"
        return read(word)

    return feature


def _lower(w: Word) -> str:
    return w.text.lower()


FEATURES: dict[str, Callable[[Sequence[Word], int], object]] = {
    "bias": lambda sent, i: 1.0,
    "w.lower": _word_feature(0, _lower),
    "w.shape": _word_feature(0, lambda w: _shape(w.text)),
    "w.kind": _word_feature(0, lambda w: w.kind),
    "w.pos": _word_feature(0, lambda w: w.pos),
    "w.istitle": _word_feature(0, lambda w: all(s[:1].isupper() for s in _syllables(w.text))),
    "w.isupper": _word_feature(0, lambda w: w.text.isupper()),
    "w.syllables": _word_feature(0, lambda w: min(len(_syllables(w.text)), 4)),
    "w.first": _word_feature(0, lambda w: _syllables(w.text)[0].lower() if w.text else ""),
    "w.last": _word_feature(0, lambda w: _syllables(w.text)[-1].lower() if w.text else ""),
    "w.prefix2": _word_feature(0, lambda w: w.text[:2].lower()),
    "w.suffix3": _word_feature(0, lambda w: w.text[-3:].lower()),
    "w.lex": _word_feature(0, lambda w: w.lex),
    "w[-1].lower": _word_feature(-1, _lower),
    "w[-1].kind": _word_feature(-1, lambda w: w.kind),
    "w[-1].pos": _word_feature(-1, lambda w: w.pos),
    "w[-1].istitle": _word_feature(-1, lambda w: w.text[:1].isupper()),
    "w[-1].lex": _word_feature(-1, lambda w: w.lex),
    "w[-2].lower": _word_feature(-2, _lower),
    "w[-2].kind": _word_feature(-2, lambda w: w.kind),
    "w[+1].lower": _word_feature(1, _lower),
    "w[+1].kind": _word_feature(1, lambda w: w.kind),
    "w[+1].pos": _word_feature(1, lambda w: w.pos),
    "w[+1].istitle": _word_feature(1, lambda w: w.text[:1].isupper()),
    "w[+1].lex": _word_feature(1, lambda w: w.lex),
    "w[+2].lower": _word_feature(2, _lower),
    "w[+2].kind": _word_feature(2, lambda w: w.kind),
    "w[-1,0].lower": lambda sent, i: f"{_lower(sent[i - 1]) if i > 0 else 'BOS'}|{_lower(sent[i])}",
    "w[0,+1].lower": lambda sent, i: (
        f"{_lower(sent[i])}|{_lower(sent[i + 1]) if i + 1 < len(sent) else 'EOS'}"
    ),
    "w[-2,-1].lower": lambda sent, i: (
        f"{_lower(sent[i - 2]) if i > 1 else 'BOS'}|{_lower(sent[i - 1]) if i > 0 else 'BOS'}"
    ),
}
"""Every feature tiendo knows: name → pure function `(sentence, i) -> value`."""

TEMPLATE: tuple[str, ...] = tuple(FEATURES)
"""The default template: the features a model uses, saved in its config."""


def word2features(sent: Sequence[Word], i: int, template: Sequence[str] = TEMPLATE) -> dict:
    """Return the features of word `i` of `sent` as a dict for crfsuite.

    Takes a prepared sentence (`Word`s) and a position; returns
    `{feature name: value}` for each name of `template` (strings become
    indicator features, numbers and booleans weights).
    """
    features = {}
    for name in template:
        value = FEATURES[name](sent, i)
        if isinstance(value, bool):
            value = float(value)
        features[name] = value
    return features


def sent2features(sent: Sequence[Word], template: Sequence[str] = TEMPLATE) -> list[dict]:
    """Return `word2features` for every word of `sent`."""
    return [word2features(sent, i, template) for i in range(len(sent))]


# ---------------------------------------------------------------------------
# The lexicon learned from the training annotations.
# ---------------------------------------------------------------------------


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
                key = " ".join(w.text.lower() for w in words[start:end])
                counts[key][label] += 1
                covered.update(range(start, end))
            for i, word in enumerate(words):
                if i not in covered:
                    outside[word.text.lower()] += 1
        mentions = {}
        for key, labels in counts.items():
            label, count = labels.most_common(1)[0]
            if " " not in key and outside[key] > count:
                continue
            mentions[key] = label
        longest = max((len(k.split(" ")) for k in mentions), default=1)
        return cls(mentions, longest)

    def tag(self, words: Sequence[Word]) -> list[str]:
        """Return the lexicon tag of each word (longest match, left to right)."""
        lowered = [w.text.lower() for w in words]
        tags = ["O"] * len(words)
        i = 0
        while i < len(words):
            for n in range(min(self.longest, len(words) - i), 0, -1):
                label = self.mentions.get(" ".join(lowered[i : i + n]))
                if label:
                    tags[i] = f"B-{label}"
                    for j in range(i + 1, i + n):
                        tags[j] = f"I-{label}"
                    i += n
                    break
            else:
                i += 1
        return tags

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


def prepare(text: str, lexicon: Lexicon | None = None) -> list[Word]:
    """Tokenize `text` and return its `Word`s with kind, POS and lexicon tags."""
    from nlp.tokenize import tokenize

    tokens = tokenize(text)
    pos = _pos_tags([t.text for t in tokens])
    words = [Word(t.text, t.start, t.end, t.kind, p) for t, p in zip(tokens, pos, strict=True)]
    if lexicon is not None:
        words = [
            Word(w.text, w.start, w.end, w.kind, w.pos, tag)
            for w, tag in zip(words, lexicon.tag(words), strict=True)
        ]
    return words


def with_lexicon(words: Sequence[Word], lexicon: Lexicon) -> list[Word]:
    """Return `words` with their lexicon tags set from `lexicon`."""
    return [
        Word(w.text, w.start, w.end, w.kind, w.pos, tag)
        for w, tag in zip(words, lexicon.tag(words), strict=True)
    ]


# ---------------------------------------------------------------------------
# The CRF.
# ---------------------------------------------------------------------------

DEFAULT_PARAMS = {
    "c1": 0.05,
    "c2": 0.05,
    "max_iterations": 150,
    "feature.possible_transitions": True,
}


class EntityTagger:
    """A trained CRF entity tagger: predicts labelled spans in a cell's text."""

    def __init__(self, tagger, template: Sequence[str], lexicon: Lexicon, labels: list[str]):
        self._tagger = tagger
        self.template = tuple(template)
        self.lexicon = lexicon
        self.labels = labels

    @classmethod
    def train(
        cls,
        sentences: Sequence[tuple[Sequence[Word], Sequence[str]]],
        folder: str | Path,
        template: Sequence[str] = TEMPLATE,
        params: dict | None = None,
    ) -> EntityTagger:
        """Train on `(words, BIO tags)` sentences and save the model into `folder`.

        The lexicon is learned from the same sentences; each training
        sentence sees the lexicon learned from the *other* sentences' folds,
        so the model does not learn to trust it blindly.
        """
        import pycrfsuite

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        lexicon = Lexicon.learn(sentences)
        trainer = pycrfsuite.Trainer(verbose=False)
        folds = 5
        fold_lexicons = [
            Lexicon.learn(s for j, s in enumerate(sentences) if j % folds != k)
            for k in range(folds)
        ]
        for j, (words, tags) in enumerate(sentences):
            tagged = with_lexicon(words, fold_lexicons[j % folds])
            trainer.append(sent2features(tagged, template), list(tags))
        trainer.set_params({**DEFAULT_PARAMS, **(params or {})})
        trainer.train(str(folder / "model.crfsuite"))
        labels = sorted({t[2:] for _, tags in sentences for t in tags if t != "O"})
        config = {
            "kind": "tiendo.crf-ner",
            "version": 1,
            "template": list(template),
            "labels": labels,
            "params": {**DEFAULT_PARAMS, **(params or {})},
            "lexicon": lexicon.to_json(),
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
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelError(
                f"{folder}: no readable config.json ({error}); run `tiendo train` first"
            ) from None
        if config.get("kind") != "tiendo.crf-ner":
            raise ModelError(f"{folder}: not a tiendo CRF entity model")
        unknown = [name for name in config["template"] if name not in FEATURES]
        if unknown:
            raise ModelError(f"{folder}: unknown features {unknown}; upgrade tiendo")
        tagger = pycrfsuite.Tagger()
        try:
            tagger.open(str(folder / "model.crfsuite"))
        except OSError as error:
            raise ModelError(f"{folder}: cannot open model.crfsuite ({error})") from None
        return cls(
            tagger, config["template"], Lexicon.from_json(config["lexicon"]), config["labels"]
        )

    def tag_words(self, words: Sequence[Word]) -> list[str]:
        """Return the BIO tag of each prepared word."""
        if not words:
            return []
        tagged = with_lexicon(words, self.lexicon)
        return list(self._tagger.tag(sent2features(tagged, self.template)))

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        """Return the `(start, end, label)` character spans found in `text`."""
        words = prepare(text)
        tags = self.tag_words(words)
        return bio_to_spans([(w.start, w.end) for w in words], tags)


def training_sentences(records: Iterable[dict]) -> list[tuple[list[Word], list[str]]]:
    """Turn gold records into `(words, BIO tags)` sentences, one per cell."""
    from nlp.annotations import ALL_CELLS

    out = []
    for record in records:
        for cell in ALL_CELLS:
            text = record["cells"].get(cell)
            if not text:
                continue
            words = prepare(text)
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
