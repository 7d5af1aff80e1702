"""The extraction pipeline: one spaCy `Doc` per row flows through small components.

report → rows → `Doc` (the row's cells, tokens with offsets) → entities →
values → relations. Each component is a callable `(doc) -> doc`, as in
spaCy's `Language.__call__`. The `Doc` of a row holds its cells one after the
other, separated by a newline; `doc._.cells` maps each cell name to its
character range, so every entity converts back to (cell, start, end).
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from nlp import MODELS
from nlp.annotations import ALL_CELLS
from nlp.reader import Report, Row, read_report
from nlp.values import UnparsedValueWarning, normalize

Component = Callable[["Doc"], "Doc"]  # noqa: F821 - spaCy's Doc, imported lazily


_DOC_EXTENSIONS = ("report", "row", "section", "cells", "relations", "default_year")


def _register() -> None:
    from spacy.tokens import Doc, Span

    for name in _DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    for name in ("value", "id"):
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


def row_doc(row: Row, report: Report | None = None):
    """Make the `Doc` of a table row: its cells joined by newlines, tokenized.

    Takes a `Row` (and its `Report`, for the default year of dates). Returns
    a `Doc` with `doc._.cells` (cell → (start, end)), `doc._.report`,
    `doc._.row`, `doc._.section` and an empty `doc._.relations`.
    """
    return cells_doc(
        {name: row.text(name) for name in ALL_CELLS if row.text(name)},
        report=row.report,
        row=row.index,
        section=row.section,
        default_year=report.date.year if report and report.date else None,
    )


def cells_doc(
    cells: dict[str, str],
    report: str | None = None,
    row: int | None = None,
    section: int | None = None,
    default_year: int | None = None,
):
    """Make a row `Doc` from a dict of cell texts (see `row_doc`)."""
    from spacy.tokens import Doc

    from nlp.tokenize import get_nlp, tokenize

    _register()
    # Each cell is tokenized on its own, as in training, so no token can
    # cross from one cell into the next.
    words: list[str] = []
    spaces: list[bool] = []
    kinds: list[str] = []
    ranges: dict[str, tuple[int, int]] = {}
    pos = 0
    for name in ALL_CELLS:
        text = cells.get(name)
        if not text:
            continue
        if words:
            spaces[-1] = False
            words.append("\n")
            spaces.append(False)
            kinds.append("space")
            pos += 1
        ranges[name] = (pos, pos + len(text))
        last = 0
        for token in tokenize(text):
            gap = text[last : token.start]
            if (
                gap
                and words
                and kinds[-1] != "space"
                and gap == " "
                and ranges[name][0] < pos + last
            ):
                spaces[-1] = True
            elif gap:
                words.append(gap)
                spaces.append(False)
                kinds.append("space")
            words.append(token.text)
            spaces.append(False)
            kinds.append(token.kind)
            last = token.end
        if last < len(text):
            words.append(text[last:])
            spaces.append(False)
            kinds.append("space")
        pos += len(text)
    doc = Doc(get_nlp().vocab, words=words, spaces=spaces)
    # Token kinds live in one list: setting an extension per token is slow.
    doc.user_data["kinds"] = kinds
    # What the components read of the tokens, kept with the token count they
    # belong to (see `doc_text`, `_cell_words`): spaCy rebuilds `doc.text`
    # from Token objects on every access.
    with_ws = [w + " " if space else w for w, space in zip(words, spaces, strict=True)]
    doc.user_data["text"] = (len(words), "".join(with_ws))
    starts = list(itertools.accumulate(map(len, with_ws), initial=0))
    doc.user_data["cell_words"] = (
        len(words),
        {
            name: [
                (w, at, kind)
                for w, at, kind in zip(words, starts, kinds, strict=False)
                if first <= at < last and kind != "space" and not w.isspace()
            ]
            for name, (first, last) in ranges.items()
        },
    )
    doc._.cells = ranges
    doc._.report = report
    doc._.row = row
    doc._.section = section
    doc._.relations = []
    doc._.default_year = default_year
    return doc


def doc_text(doc) -> str:
    """`doc.text`, read from what `cells_doc` kept where it can (it is much faster)."""
    kept = doc.user_data.get("text")
    return kept[1] if kept is not None and kept[0] == len(doc) else doc.text


def _cell_words(doc, cell: str) -> list[tuple[str, int, str]]:
    """(text, start, kind) of each token `cell_tokens` returns, from what `cells_doc` kept."""
    kept = doc.user_data.get("cell_words")
    if kept is not None and kept[0] == len(doc) and cell in kept[1]:
        return kept[1][cell]
    return [(t.text, t.idx, token_kind(doc, t.i)) for t in cell_tokens(doc, cell)]


def token_kind(doc, i: int) -> str:
    """The tokenizer's kind of token `i` of a row `Doc`."""
    kinds = doc.user_data.get("kinds")
    return kinds[i] if kinds else (doc[i]._.kind or "word")


def _cell_of(doc, char: int) -> int:
    """The index of the cell of `doc` that holds character `char`."""
    for i, (start, end) in enumerate(doc._.cells.values()):
        if start <= char < end:
            return i
    return -1


def cell_tokens(doc, cell: str) -> list:
    """Return the non-space tokens of `doc` inside `cell`."""
    start, end = doc._.cells[cell]
    first = doc.char_span(start, end, alignment_mode="expand")
    tokens = first if first is not None else doc
    return [t for t in tokens if token_kind(doc, t.i) != "space" and not t.is_space]


class EntityRecognizer:
    """Component: tags each cell with the CRF and sets `doc.ents`."""

    def __init__(self, tagger) -> None:
        self.tagger = tagger

    def __call__(self, doc):
        from spacy.util import filter_spans

        from nlp.ner import Word, _pos_tags, needs_pos, with_rules

        spans = []
        text = doc_text(doc)
        with_pos = needs_pos(self.tagger.template)
        for cell in doc._.cells:
            tokens = _cell_words(doc, cell)
            pos = _pos_tags([t[0] for t in tokens]) if with_pos else [""] * len(tokens)
            words = [
                Word(t, start, start + len(t), kind, p, cell=cell)
                for (t, start, kind), p in zip(tokens, pos, strict=True)
            ]
            start, end = doc._.cells[cell]
            words = with_rules(words, text[start:end], start)
            spans.extend(self.tagger.spans(words))
        bounds = {t.idx for t in doc} | {t.idx + len(t.text) for t in doc}
        cuts = {i for s, e, _ in spans for i in (s, e)} - bounds
        if cuts:
            doc = split_tokens(doc, cuts)
        ents = [doc.char_span(s, e, label=label, alignment_mode="expand") for s, e, label in spans]
        doc.ents = filter_spans([span for span in ents if span is not None])
        return doc


def split_tokens(doc, cuts: set[int]):
    """Return a copy of a row `Doc` whose tokens are cut at the character offsets `cuts`.

    An entity of a syllable tagger may start or end inside a word the
    segmenter made ("Trưởng Đoàn"); the word is split there (at a space, so
    the text is unchanged) and each piece keeps the word's kind. The copy
    keeps the row's extensions; it is made before any entity is set.
    """
    from spacy.tokens import Doc

    words, spaces, kinds = [], [], []
    for token in doc:
        kind = token_kind(doc, token.i)
        text = token.text
        inner = sorted(
            k
            for k in (i - token.idx for i in cuts)
            if 1 < k < len(text) and text[k - 1] == " " and text[k - 2] != " " and text[k] != " "
        )
        last = 0
        for k in inner:
            words.append(text[last : k - 1])
            spaces.append(True)
            kinds.append(kind)
            last = k
        words.append(text[last:])
        spaces.append(bool(token.whitespace_))
        kinds.append(kind)
    new = Doc(doc.vocab, words=words, spaces=spaces)
    new.user_data["kinds"] = kinds
    for name in _DOC_EXTENSIONS:
        setattr(new._, name, getattr(doc._, name))
    return new


class ValueNormalizer:
    """Component: gives MONEY, QUANTITY, PERCENT, DATE and DOC entities their value."""

    def __call__(self, doc):
        import warnings

        last_doc_type: tuple[int, str] | None = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnparsedValueWarning)
            for span in doc.ents:
                if span.label_ not in ("MONEY", "QUANTITY", "PERCENT", "DATE", "DOC"):
                    continue
                value = normalize(span.label_, span.text, doc._.default_year)
                cell = _cell_of(doc, span.start_char)
                if span.label_ == "DOC":
                    # "Thông tư 39, 40, 41": a bare number takes the type of the
                    # reference before it in its cell.
                    bare = value is None and span.text[:1].isdigit()
                    if bare and last_doc_type and last_doc_type[0] == cell:
                        value = {"type": last_doc_type[1], "number": span.text}
                    if value is not None:
                        last_doc_type = (cell, value["type"])
                span._.value = value
        return doc


class StatusValues:
    """Component: gives each STATUS entity one of the six status values."""

    def __init__(self, classifier) -> None:
        self.classifier = classifier

    def __call__(self, doc):
        from nlp.ner import status_features

        text = doc_text(doc)
        for span in doc.ents:
            if span.label_ == "STATUS":
                left = text[max(0, span.start_char - 40) : span.start_char]
                right = text[span.end_char : span.end_char + 40]
                span._.value = self.classifier.predict(status_features(span.text, left, right))
        return doc


class Pipeline:
    """A list of components run in order over row `Doc`s."""

    def __init__(self, components: Iterable[Component]) -> None:
        self.components = list(components)

    def __call__(self, doc):
        """Run every component on `doc`; return it."""
        for component in self.components:
            doc = component(doc)
        return doc

    def pipe(self, docs: Iterable) -> Iterator:
        """Run the pipeline over `docs`, yielding each processed `Doc`."""
        for doc in docs:
            yield self(doc)

    @classmethod
    def from_models(cls, models: str | Path = MODELS) -> Pipeline:
        """Build the pipeline from a models folder (`ner/`, later `relations/`)."""
        from nlp.ner import EntityTagger, StatusClassifier

        models = Path(models)
        if (models / "ner" / "tiendo.json").exists():
            from nlp.transformer import TransformerTagger

            tagger = TransformerTagger.load(models / "ner")
        else:
            tagger = EntityTagger.load(models / "ner")
        components: list[Component] = [EntityRecognizer(tagger), ValueNormalizer()]
        status = models / "ner" / "status.json"
        if status.exists():
            components.append(StatusValues(StatusClassifier.load(status)))
        relations = models / "relations"
        if (relations / "config.json").exists():
            from nlp.relations import RelationTagger

            components.append(RelationTagger.load(relations))
        return cls(components)


@lru_cache(maxsize=4)
def _pipeline(models: str) -> Pipeline:
    pipeline = Pipeline.from_models(models)
    # The tokenizer's segmentation model and spaCy's vocabulary load here too,
    # once, rather than at the first row (and again in each forked worker).
    from nlp.tokenize import _segmenter, get_nlp

    _segmenter()
    get_nlp()
    _register()
    return pipeline


def doc_to_record(doc) -> dict:
    """Convert a processed row `Doc` to the schema's record."""
    kept = doc.user_data.get("record")
    if kept is not None and kept[0] == _ents_key(doc):
        # Made already (by the relation tagger) from these very entities.
        return {**kept[1], "relations": list(doc._.relations or [])}
    text = doc_text(doc)  # spaCy rebuilds doc.text from the tokens on each access
    ranges = doc._.cells
    cells = {name: text[s:e] for name, (s, e) in ranges.items()}
    entities = []
    key = []
    for n, span in enumerate(doc.ents, start=1):
        start, end, label = span.start_char, span.end_char, span.label_
        cell, base = next((name, s) for name, (s, e) in ranges.items() if s <= start < e)
        ext = span._  # each `span._` makes a new accessor
        entity_id = ext.id or f"e{n}"
        ext.id = entity_id
        entity = {
            "id": entity_id,
            "cell": cell,
            "start": start - base,
            "end": end - base,
            "label": label,
            "text": text[start:end],
        }
        value = ext.value
        if label not in ("PROJECT", "ORG", "PERSON", "LOC"):
            entity["value"] = value
        entities.append(entity)
        key.append((start, end, label, entity_id, value))
    record = {
        "report": doc._.report,
        "row": doc._.row,
        "section": doc._.section,
        "cells": cells,
        "entities": entities,
        "relations": list(doc._.relations or []),
    }
    doc.user_data["record"] = (tuple(key), record)
    return record


def _ents_key(doc) -> tuple:
    """What `doc_to_record` read of each entity: a record it kept holds while this is equal."""
    key = []
    for span in doc.ents:
        ext = span._
        key.append((span.start_char, span.end_char, span.label_, ext.id, ext.value))
    return tuple(key)


def extract(
    source: str | Path | Report,
    models: str | Path = MODELS,
    progress: Callable | None = None,
    jobs: int = 1,
) -> list[dict]:
    """Extract entities, values and relations from every row of a report.

    Takes a report path (or a `Report`), the models folder and the number of
    processes to share the rows among (rows are independent; the workers are
    forked after the models are loaded, so they load nothing again). Returns
    one schema record per row, in row order, with predicted entities (and
    their values) and relations. The models load once per process, lazily.
    """
    with _gc_paused():
        report = source if isinstance(source, Report) else read_report(source)
        pipeline = _pipeline(str(Path(models).resolve()))
        return _extract(report, pipeline, progress, jobs)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector: tagging makes millions of short-lived
    objects but almost no cycles (a few thousand for the bundled report), so
    its passes over the loaded models only cost time (about a tenth)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extract(
    report: Report, pipeline: Pipeline, progress: Callable | None, jobs: int
) -> list[dict]:
    rows = report.rows
    if jobs > 1 and len(rows) >= 2 * _MIN_ROWS_PER_JOB and "fork" in mp.get_all_start_methods():
        global _FORKED
        _FORKED = (pipeline, report)
        # More chunks than workers, handed out as workers free up: rows cost
        # unevenly (relations grow with the square of a row's entities).
        chunks = _chunks(rows, jobs * _CHUNKS_PER_JOB)
        with mp.get_context("fork").Pool(min(jobs, len(chunks))) as pool:
            parts = pool.map(
                _extract_rows, [[row.index for row in chunk] for chunk in chunks], chunksize=1
            )
        _FORKED = None
        records = [record for part in parts for record in part]
        if progress:
            for _ in records:
                progress()
        return records
    records = []
    for row in rows:
        records.append(doc_to_record(pipeline(row_doc(row, report))))
        if progress:
            progress()
    return records


_MIN_ROWS_PER_JOB = 20
_CHUNKS_PER_JOB = 4
_FORKED: tuple | None = None


def _chunks(rows: list[Row], n: int) -> list[list[Row]]:
    """`n` contiguous runs of rows (fewer if rows are few), about as much text in each."""
    sizes = [sum(len(c.text) for c in row.cells.values()) for row in rows]
    share = sum(sizes) / n
    chunks: list[list[Row]] = [[]]
    filled = 0.0
    for row, size in zip(rows, sizes, strict=True):
        if filled >= share * len(chunks) and len(chunks) < n:
            chunks.append([])
        chunks[-1].append(row)
        filled += size
    return [chunk for chunk in chunks if chunk]


def _extract_rows(indexes: list[int]) -> list[dict]:
    pipeline, report = _FORKED
    return [doc_to_record(pipeline(row_doc(report.rows[i], report))) for i in indexes]
