"""A linear classifier over sparse named features, saved as plain JSON arrays.

scikit-learn fits it (`DictVectorizer` + `LogisticRegression`); what is kept
is the feature vocabulary, the weights and the classes, so loading a model
from an untrusted folder reads numbers and strings, never code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from nlp.errors import TiendoError


class ModelError(TiendoError):
    """A model folder or file is missing, unreadable or of another kind."""


def read_model_json(path: str | Path) -> dict:
    """Read a model's JSON file; raise `ModelError` saying what to do if it cannot."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelError(
            f"{path}: cannot read the model ({error}); run `tiendo train` first"
        ) from None


class LinearModel:
    """Multinomial logistic regression over `{feature: value}` dicts."""

    def __init__(self, vocabulary: dict[str, int], coef, intercept, classes: Sequence[str]):
        self.vocabulary = dict(vocabulary)
        self.coef = np.asarray(coef, dtype=float)
        self.intercept = np.asarray(intercept, dtype=float)
        self.classes = list(classes)

    @classmethod
    def fit(
        cls,
        examples: Sequence[tuple[dict[str, float], str]],
        c: float = 1.0,
        class_weight: str | None = None,
    ) -> LinearModel:
        """Fit on `(features, class)` examples; return the model.

        Takes the examples, the inverse regularisation strength `c` and an
        optional scikit-learn `class_weight` ("balanced").
        """
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        vectorizer = DictVectorizer()
        x = vectorizer.fit_transform([f for f, _ in examples])
        y = [label for _, label in examples]
        vocabulary = {k: int(v) for k, v in vectorizer.vocabulary_.items()}
        classes = sorted(set(y))
        if len(classes) == 1:
            return cls(vocabulary, np.zeros((1, x.shape[1])), [0.0], classes)
        model = LogisticRegression(C=c, max_iter=3000, class_weight=class_weight)
        model.fit(x, y)
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:
            # scikit-learn keeps one row for two classes; keep both for one code path.
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        return cls(vocabulary, coef, intercept, [str(k) for k in model.classes_])

    def _scores(self, features: dict[str, float]) -> np.ndarray:
        # Sparse dot product: only the example's own features are looked up.
        scores = self.intercept.copy()
        for name, value in features.items():
            index = self.vocabulary.get(name)
            if index is not None:
                scores += self.coef[:, index] * value
        return scores

    def proba(self, features: dict[str, float]) -> dict[str, float]:
        """Return the probability of each class for one example's features."""
        scores = self._scores(features)
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        return dict(zip(self.classes, scores.tolist(), strict=True))

    def proba_many(self, examples: list[dict[str, float]]) -> np.ndarray:
        """Class probabilities of many examples at once: an (examples × classes) array."""
        from scipy.sparse import csr_matrix

        # Every example's (name, value) items in a row, read in C by `fromiter`;
        # names not in the vocabulary (index -1) are dropped afterwards.
        lengths = np.fromiter(map(len, examples), dtype=np.intp, count=len(examples))
        total = int(lengths.sum())
        cols = np.fromiter(
            map(self.vocabulary.get, chain.from_iterable(examples), repeat(-1)),
            dtype=np.intp,
            count=total,
        )
        values = np.fromiter(
            chain.from_iterable(f.values() for f in examples), dtype=float, count=total
        )
        rows = np.repeat(np.arange(len(examples)), lengths)
        known = cols >= 0
        x = csr_matrix(
            (values[known], (rows[known], cols[known])),
            shape=(len(examples), self.coef.shape[1]),
        )
        scores = np.asarray(x @ self.coef.T) + self.intercept
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)

    def predict(self, features: dict[str, float]) -> str:
        """Return the most likely class for one example's features."""
        return self.classes[int(np.argmax(self._scores(features)))]

    def to_json(self) -> dict:
        """The model as a JSON-ready dict of arrays (zero weights dropped)."""
        kept = np.flatnonzero(np.any(self.coef != 0, axis=0))
        names = sorted(self.vocabulary, key=self.vocabulary.get)
        return {
            "kind": "tiendo.linear",
            "features": [names[i] for i in kept],
            "coef": np.round(self.coef[:, kept], 6).tolist(),
            "intercept": np.round(self.intercept, 6).tolist(),
            "classes": self.classes,
        }

    @classmethod
    def from_json(cls, data: dict) -> LinearModel:
        """Rebuild a model from `to_json` output."""
        if data.get("kind") != "tiendo.linear":
            raise ModelError("not a tiendo linear model")
        vocabulary = {name: i for i, name in enumerate(data["features"])}
        coef = np.asarray(data["coef"], dtype=float).reshape(len(data["classes"]), len(vocabulary))
        return cls(vocabulary, coef, data["intercept"], data["classes"])

    def save(self, path: str | Path) -> None:
        """Write the model to `path` as JSON."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> LinearModel:
        """Read a model written by `save`; raise `ModelError` if it cannot."""
        data = read_model_json(path)
        try:
            return cls.from_json(data)
        except (KeyError, ValueError, ModelError) as error:
            raise ModelError(f"{path}: not a tiendo linear model ({error})") from None
