"""Relation tagger: link statuses, amounts, dates, places and agencies to their project.

Every pair (PROJECT, other entity) of a row is a candidate, across cells
too; the tail's label fixes the relation (STATUS → HAS_STATUS, MONEY,
QUANTITY, PERCENT → HAS_AMOUNT, DATE → HAS_DATE, LOC → LOCATED_IN, ORG →
INVOLVES). A logistic regression over pair features decides whether the pair
is linked; decoding ranks the projects of each tail and keeps the best one
when it reaches a threshold, and others only when they score nearly as well
(lists such as "A và B"). A second regression gives HAS_AMOUNT and HAS_DATE
their role. The words and marks that signal a link or a role are not listed
here: the classifiers learn their weights from the training annotations.

A model is a folder: `link.json` and `role.json` (`LinearModel` arrays) and
`config.json` with the regularisation and decoding chosen by cross-validation
over the train and dev sections.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from nlp import MODELS
from nlp.annotations import ALL_CELLS, ROLES
from nlp.linear import LinearModel, read_model_json
from nlp.triggers import ROLE_CUES

TAIL_RELATION = {
    "STATUS": "HAS_STATUS",
    "MONEY": "HAS_AMOUNT",
    "QUANTITY": "HAS_AMOUNT",
    "PERCENT": "HAS_AMOUNT",
    "DATE": "HAS_DATE",
    "LOC": "LOCATED_IN",
    "ORG": "INVOLVES",
}
"""The relation a pair (PROJECT, tail) can have, by the tail's label."""

RELATION_LABELS = ("HAS_STATUS", "HAS_AMOUNT", "HAS_DATE", "LOCATED_IN", "INVOLVES")
_CELL_ORDER = {cell: i for i, cell in enumerate(ALL_CELLS)}
_WORD = re.compile(r"\w+")
_BREAK = re.compile(r"[.;:]\s|\s[-+*]\s|\n")


@dataclass(frozen=True, slots=True)
class Mention:
    """An entity of a row, with its place in reading order across cells."""

    id: str
    cell: str
    start: int
    end: int
    label: str
    text: str
    order: tuple[int, int] = (0, 0)


def mentions(record: dict) -> list[Mention]:
    """Return a record's entities as `Mention`s in reading order."""
    out = [
        Mention(
            e["id"],
            e["cell"],
            e["start"],
            e["end"],
            e["label"],
            e["text"],
            (_CELL_ORDER[e["cell"]], e["start"]),
        )
        for e in record["entities"]
    ]
    return sorted(out, key=lambda m: m.order)


def candidates(record: dict) -> list[tuple[Mention, Mention]]:
    """Return every (PROJECT, tail) pair of a row that could be related."""
    return _pairs(mentions(record))


def _pairs(found: Sequence[Mention]) -> list[tuple[Mention, Mention]]:
    projects = [m for m in found if m.label == "PROJECT"]
    tails = [m for m in found if m.label in TAIL_RELATION]
    return [(head, tail) for head in projects for tail in tails]


def _pairs_with_features(record: dict) -> tuple[list[tuple[Mention, Mention]], list[dict]]:
    """A row's candidate pairs and their features, the row read once for all of them."""
    found = mentions(record)
    pairs = _pairs(found)
    if not pairs:
        return [], []
    row = _row(record, found, None)
    return pairs, [pair_features(record, head, tail, found, row=row) for head, tail in pairs]


@lru_cache(maxsize=1024)
def _bucket(n: int) -> str:
    return str(n) if n < 3 else f"~{2 ** int(math.log2(n))}"


@lru_cache(maxsize=4096)
def _breaks(text: str) -> tuple[int, ...]:
    return tuple(match.start() for match in _BREAK.finditer(text))


_BULLET = re.compile(r"(?:^|\s)([-+*•])\s|\n()")


@lru_cache(maxsize=4096)
def _bullets(text: str) -> dict[str, tuple[int, ...]]:
    """Where each kind of list mark (or line break) opens an item of `text`."""
    out: dict[str, list[int]] = defaultdict(list)
    for match in _BULLET.finditer(text):
        out[match.group(1) or "newline"].append(match.start())
    return {mark: tuple(starts) for mark, starts in out.items()}


def _then(text: str, offset: int) -> str:
    """The first mark after `offset` (within a few characters), or "end"."""
    return text[offset : offset + 4].strip()[:1] or "end"


def _sentence(text: str, offset: int) -> int:
    """The index of the sentence or clause of `text` that holds `offset`."""
    return bisect.bisect_left(_breaks(text), offset)


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    # Cached: a row's contexts repeat for every pair they take part in.
    return tuple(_WORD.findall(text.lower()))


@lru_cache(maxsize=4096)
def _cell_index(text: str) -> tuple[str, list[int], list[int], list[int], list[int]] | None:
    """The lowered text, its word spans and its break spans; None where lowering
    changes the length (the spans would not carry over)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    words = [m.span() for m in _WORD.finditer(lowered)]
    breaks = [m.span() for m in _BREAK.finditer(text)]
    return (
        lowered,
        [s for s, _ in words],
        [e for _, e in words],
        [s for s, _ in breaks],
        [e for _, e in breaks],
    )


_BETWEEN_WORDS = 12
"""The words between head and tail are features up to this many."""


def _gap(text: str, a: int, b: int) -> tuple[int, tuple[str, ...], int]:
    """For `text[a:b]`: its number of words, the words themselves (up to
    `_BETWEEN_WORDS`, else none) and its number of breaks, as `_words` and
    `_BREAK.findall` give them, read from the whole text's spans."""
    if a >= b:
        return 0, (), 0
    index = _cell_index(text)
    if index is not None:
        lowered, word_starts, word_ends, break_starts, break_ends = index
        first, last = bisect.bisect_left(break_starts, a), bisect.bisect_left(break_starts, b)
        # A break across either end may be read differently in the gap alone.
        if not (first and break_ends[first - 1] > a) and not (last and break_ends[last - 1] > b):
            i, j = bisect.bisect_right(word_ends, a), bisect.bisect_left(word_starts, b)
            # A run of word characters in the gap is a word of the text cut to it.
            words = (
                tuple(lowered[max(word_starts[k], a) : min(word_ends[k], b)] for k in range(i, j))
                if j - i <= _BETWEEN_WORDS
                else ()
            )
            return j - i, words, last - first
    gap = text[a:b]
    words = _words(gap)
    return len(words), words if len(words) <= _BETWEEN_WORDS else (), len(_BREAK.findall(gap))


@dataclass(slots=True)
class _Head:
    """What the features of a pair read of its project alone, found once per row."""

    position: int
    sentence: int
    n_in_cell: int
    items: dict[str, tuple[int, bool, bool]]
    """Per list mark of its cell: its item, whether it is the item's first project, and
    whether the item's only one."""
    then: str
    left_keys: tuple[str, ...]
    first_word: str


@dataclass(slots=True)
class _Tail:
    """What the features of a pair read of its tail alone, found once per row.

    `word_keys`, `then_key` and `side_keys` are the names of its features
    that no head changes (its words; the mark after it; the words either side).
    """

    sentence: int
    split: int
    """How many of the row's projects come before it."""
    n_in_cell: int
    n_in_sentence: int
    closest: int
    """The position of its cell's project nearest to it (-1: none)."""
    items: dict[str, int]
    word_keys: tuple[str, ...]
    then_key: str
    side_keys: tuple[str, ...]


@dataclass(slots=True)
class _Row:
    """What `pair_features` reads about a row, found once for all its pairs.

    Projects are told apart by position (`_Head.position`, `_Tail.closest`,
    `_Tail.split`) rather than compared: a row's entity ids are unique.
    """

    cells: dict[str, str]
    projects: list[Mention]
    orders: list[tuple[int, int]]
    by_cell: dict[str, list[int]]
    heads: dict[str, _Head]
    tails: dict[str, _Tail]
    label_orders: dict[str, list[tuple[int, int]]]

    def tail(self, m: Mention) -> _Tail:
        """The tail's findings, made at its first pair."""
        found = self.tails.get(m.id)
        if found is None:
            found = self.tails[m.id] = self._tail(m)
        return found

    def _tail(self, m: Mention) -> _Tail:
        text = self.cells[m.cell]
        kind = m.label
        sentence = _sentence(text, m.start)
        in_cell = self.by_cell.get(m.cell, [])
        projects = self.projects
        heads = [self.heads[projects[i].id] for i in in_cell]
        closest = min(in_cell, key=lambda i: abs(projects[i].start - m.start)) if in_cell else -1
        left = _words(text[max(0, m.start - 30) : m.start])[-3:]
        right = _words(text[m.end : m.end + 20])[:2]
        return _Tail(
            sentence=sentence,
            split=bisect.bisect_left(self.orders, m.order),
            n_in_cell=len(in_cell),
            n_in_sentence=sum(1 for h in heads if h.sentence == sentence),
            closest=closest,
            items={mark: bisect.bisect_left(s, m.start) for mark, s in _bullets(text).items()},
            word_keys=tuple(f"tail_word={word}|{kind}" for word in _words(m.text)[:2]),
            then_key=f"tail_then={_then(text, m.end)}|{kind}",
            side_keys=(
                *(f"tail_left={word}|{kind}" for word in left),
                *(f"tail_right={word}" for word in right),
            ),
        )


def _row(record: dict, found: Sequence[Mention], projects: Sequence[Mention] | None) -> _Row:
    cells = record["cells"]
    if projects is None:
        projects = [m for m in found if m.label == "PROJECT"]
    projects = list(projects)
    by_cell: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(projects):
        by_cell[m.cell].append(i)
    items: list[dict[str, tuple[int, bool, bool]]] = [{} for _ in projects]
    for cell, in_cell in by_cell.items():
        for mark, starts in _bullets(cells[cell]).items():
            members: dict[int, list[int]] = defaultdict(list)
            for i in in_cell:
                members[bisect.bisect_left(starts, projects[i].start)].append(i)
            for seg, positions in members.items():
                for i in positions:
                    items[i][mark] = (seg, positions[0] == i, len(positions) == 1)
    heads = {}
    for i, m in enumerate(projects):
        text = cells[m.cell]
        first_word = _words(m.text)[:1]
        heads[m.id] = _Head(
            position=i,
            sentence=_sentence(text, m.start),
            n_in_cell=len(by_cell[m.cell]),
            items=items[i],
            then=_then(text, m.end),
            left_keys=tuple(
                f"head_left={word}" for word in _words(text[max(0, m.start - 25) : m.start])[-2:]
            ),
            first_word=first_word[0] if first_word else "",
        )
    label_orders: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in found:
        label_orders[m.label].append(m.order)
    for orders in label_orders.values():
        orders.sort()
    return _Row(
        cells, projects, [m.order for m in projects], by_cell, heads, {}, dict(label_orders)
    )


def _between(orders: list[tuple[int, int]], lo: tuple[int, int], hi: tuple[int, int]) -> int:
    """How many of the sorted `orders` lie strictly between `lo` and `hi`."""
    return max(0, bisect.bisect_left(orders, hi) - bisect.bisect_right(orders, lo))


def pair_features(
    record: dict,
    head: Mention,
    tail: Mention,
    found: Sequence[Mention],
    projects: Sequence[Mention] | None = None,
    row: _Row | None = None,
) -> dict:
    """The features of one candidate pair (see the module docstring).

    `head` is one of the row's PROJECT mentions `projects` (in order; found
    in `found`, the row's mentions, when not given), `tail` one of `found`.
    `row` (what `_row` finds of the row) may be passed to save finding it
    again for every pair of a row.
    """
    if row is None:
        row = _row(record, found, projects)
    h = row.heads[head.id]
    t = row.tail(tail)
    position = h.position
    n_projects = len(row.projects)
    kind = tail.label
    f: dict[str, float] = {f"tail={kind}": 1.0, f"cells={head.cell}>{tail.cell}|{kind}": 1.0}
    f[f"projects_in_row={_bucket(n_projects)}|{kind}"] = 1.0
    before = tail.order > head.order
    f[f"head_before={before}|{kind}"] = 1.0
    lo, hi = (head.order, tail.order) if before else (tail.order, head.order)
    # The tail is not a project and the head is at `lo` or `hi`: only the
    # projects strictly between the two count.
    f[f"projects_between={_bucket(_between(row.orders, lo, hi))}|{kind}"] = 1.0
    nearest_before = t.split - 1 == position
    nearest_after = t.split == position
    if nearest_before:
        f[f"nearest_before|{kind}"] = 1.0
    if nearest_after:
        f[f"nearest_after|{kind}"] = 1.0
    if not t.n_in_cell:
        f[f"no_project_in_tail_cell|{head.cell}|{kind}"] = 1.0
        if position == 0:
            f[f"first_project_of_row|{kind}"] = 1.0
    same_cell = head.cell == tail.cell
    if same_cell:
        a, b = (head.end, tail.start) if before else (tail.end, head.start)
        n_words, words, breaks = _gap(row.cells[head.cell], a, b)
        f[f"same_cell|{kind}"] = 1.0
        f[f"breaks={_bucket(breaks)}|{kind}"] = 1.0
        f[f"distance={_bucket(n_words)}|{kind}"] = 1.0
        if breaks == 0:
            f[f"same_sentence|{kind}"] = 1.0
        for word in words:
            f[f"between={word}"] = 1.0
    many = "one" if n_projects == 1 else "many"
    if h.n_in_cell == 1 and not same_cell:
        # A row about the single project named in one cell (the task, mostly).
        sole = f"sole_in_cell={head.cell}>{tail.cell}|row={_bucket(n_projects)}"
        f[sole] = 1.0
        f[f"{sole}|tail_cell={_bucket(t.n_in_cell)}"] = 1.0
        f[f"{sole}|{kind}"] = 1.0
    head_in_sentence = same_cell and h.sentence == t.sentence
    nearest = "before" if nearest_before else "after" if nearest_after else "other"
    where = f"sentences_apart={min(abs(h.sentence - t.sentence), 4)}" if same_cell else "other_cell"
    in_sentence = t.n_in_sentence > 0
    f[f"{where}|{in_sentence}|{nearest}|{kind}"] = 1.0
    f[f"{where}|{in_sentence}|{nearest}"] = 1.0
    f[f"sentence_projects={_bucket(t.n_in_sentence)}|{head_in_sentence}|{kind}"] = 1.0
    f[f"head_in_tail_sentence={head_in_sentence}|{many}|{kind}"] = 1.0
    if same_cell:
        f[f"closest_in_cell={t.closest == position}|{many}|{kind}"] = 1.0
        same_label = _between(row.label_orders.get(kind, []), lo, hi)
        f[f"same_label_between={_bucket(same_label)}|{kind}"] = 1.0
    for key in t.word_keys:
        f[key] = 1.0
    if same_cell:
        tail_items = t.items
        for mark, (head_seg, first, alone) in h.items.items():
            same = head_seg == tail_items[mark]
            f[f"bullet{mark}|same={same}|first={first}|{kind}"] = 1.0
            f[f"bullet{mark}|same={same}|alone={alone}"] = 1.0
    f[t.then_key] = 1.0
    if n_projects > 1:
        rank = "first" if position == 0 else "last" if position == n_projects - 1 else "middle"
        f[f"head_rank={rank}|{head.cell}|{kind}"] = 1.0
    f[f"head_then={h.then}|{nearest}"] = 1.0
    for key in t.side_keys:
        f[key] = 1.0
    for key in h.left_keys:
        f[key] = 1.0
    if h.first_word:
        f[f"head_first={h.first_word}|{kind}"] = 1.0
    return f


def role_features(record: dict, head: Mention, tail: Mention) -> dict:
    """The features that tell the role of an amount or a date."""
    text = record["cells"][tail.cell]
    kind = tail.label
    f: dict[str, float] = {
        f"rel={TAIL_RELATION[kind]}": 1.0,
        f"tail={kind}": 1.0,
        f"cell={tail.cell}|{kind}": 1.0,
        f"shape={'/' in tail.text}|{kind}": 1.0,
    }
    inside = _words(tail.text)
    for word in inside:
        f[f"in={word}"] = 1.0
    if inside:
        f[f"first={inside[0]}|{kind}"] = 1.0
        f[f"last={inside[-1]}|{kind}"] = 1.0
    sentence_start = max((b for b in _breaks(text) if b < tail.start), default=0)
    left = _words(text[max(0, tail.start - 60) : tail.start])
    for i, word in enumerate(reversed(left[-6:])):
        f[f"left={word}"] = 1.0
        f[f"left={word}|{kind}"] = 1.0
        if i < 2:
            f[f"left{i}={word}"] = 1.0
    if len(left) >= 2:
        f[f"left_bigram={left[-2]}_{left[-1]}"] = 1.0
    sentence = _words(text[max(sentence_start, tail.start - 200) : tail.start])
    for word in sentence:
        f[f"sentence_left={word}|{kind}"] = 0.5
    for pair in itertools.pairwise(sentence):
        f[f"sentence_bigram={'_'.join(pair)}"] = 0.5
    # The schema's cue words of each role (`nlp.triggers.ROLE_CUES`) in the
    # sentence before the tail, and the nearest of them: shared by every cue
    # of a role, where the words above are learned one by one.
    left_sentence = text[max(sentence_start, tail.start - 120) : tail.start].lower()
    nearest: tuple[int, str] | None = None
    for role, cues in ROLE_CUES.items():
        at = max(_cue_at(left_sentence, cue) for cue in cues)
        if at >= 0:
            f[f"cue={role}|{kind}"] = 1.0
            if nearest is None or at > nearest[0]:
                nearest = (at, role)
    if nearest:
        f[f"nearest_cue={nearest[1]}|{kind}"] = 1.0
    for word in _words(text[tail.end : tail.end + 30])[:3]:
        f[f"right={word}"] = 1.0
    for word in _words(head.text)[:2]:
        f[f"head={word}"] = 1.0
    return f


@cache
def _cue_pattern(cue: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(cue)}(?!\w)")


def _cue_at(text: str, cue: str) -> int:
    """Where the last whole-word `cue` starts in `text`, or -1."""
    found = -1
    for match in _cue_pattern(cue).finditer(text):
        found = match.start()
    return found


def gold_pairs(record: dict) -> dict[tuple[str, str], dict]:
    """The gold relations of a record, keyed by (head id, tail id)."""
    return {(r["head"], r["tail"]): r for r in record.get("relations", [])}


class RelationTagger:
    """Component: predicts the row's relations from `doc.ents` into `doc._.relations`."""

    def __init__(self, link: LinearModel, role: LinearModel, config: dict) -> None:
        self.link = link
        self.role = role
        self.config = config

    @classmethod
    def load(cls, folder: str | Path) -> RelationTagger:
        """Load a folder written by `train_relations` (JSON arrays only)."""
        # `link_proba` needs scipy.sparse: imported with the model, not at the
        # first row, so that workers forked after loading share it.
        import scipy.sparse  # noqa: F401

        folder = Path(folder)
        config = read_model_json(folder / "config.json")
        return cls(
            LinearModel.load(folder / "link.json"), LinearModel.load(folder / "role.json"), config
        )

    def predict(self, record: dict) -> list[dict]:
        """Return the relations of a record's entities (its own relations are ignored)."""
        pairs, linked = self.link_scores(record)
        return self.decode(record, pairs, linked)

    def link_scores(self, record: dict) -> tuple[list[tuple[Mention, Mention]], list[float]]:
        """Return the row's candidate pairs and each one's probability of being linked."""
        pairs, features = _pairs_with_features(record)
        return pairs, self.link_proba(features) if pairs else []

    def link_proba(self, features: list[dict]) -> list[float]:
        """The probability of "linked" for each pair's features."""
        if "1" not in self.link.classes:
            return [0.0] * len(features)
        proba = self.link.proba_many(features)
        return proba[:, self.link.classes.index("1")].tolist()

    def decode(
        self, record: dict, pairs: Sequence[tuple[Mention, Mention]], linked: Sequence[float]
    ) -> list[dict]:
        """Turn pair probabilities into relations with the config's decoding.

        A pair is kept when its probability reaches `threshold` and, among
        the pairs of the same tail, `ratio` times the best one's (`one_head`:
        only the best).
        """
        threshold = self.config["threshold"]
        ratio = 1.0 if self.config.get("one_head") else self.config.get("ratio", 0.0)
        best: dict[str, float] = {}
        for p, (_, tail) in zip(linked, pairs, strict=True):
            best[tail.id] = max(p, best.get(tail.id, 0.0))
        scored = []
        taken: set[str] = set()
        for p, (head, tail) in sorted(zip(linked, pairs, strict=True), key=lambda x: -x[0]):
            if p < threshold or p < ratio * best[tail.id]:
                continue
            if ratio >= 1.0 and tail.id in taken:
                continue
            taken.add(tail.id)
            scored.append((head, tail))
        relations = []
        for head, tail in sorted(scored, key=lambda x: (x[0].order, x[1].order)):
            label = TAIL_RELATION[tail.label]
            relation = {"head": head.id, "tail": tail.id, "label": label}
            if label in ROLES:
                relation["role"] = self._role(record, head, tail, label)
            relations.append(relation)
        return relations

    def _role(self, record: dict, head: Mention, tail: Mention, label: str) -> str:
        return _allowed_role(self.role, role_features(record, head, tail), label)

    def __call__(self, doc):
        from nlp.pipeline import doc_to_record

        doc._.relations = self.predict(doc_to_record(doc))
        return doc


def _link_examples(records: Iterable[dict]) -> list[tuple[dict, str]]:
    out = []
    for record in records:
        gold = gold_pairs(record)
        pairs, features = _pairs_with_features(record)
        for (head, tail), f in zip(pairs, features, strict=True):
            out.append((f, "1" if (head.id, tail.id) in gold else "0"))
    return out


def _role_examples(records: Iterable[dict]) -> list[tuple[dict, str]]:
    out = []
    for record in records:
        by_id = {m.id: m for m in mentions(record)}
        for relation in record.get("relations", []):
            if relation.get("role"):
                head, tail = by_id[relation["head"]], by_id[relation["tail"]]
                out.append((role_features(record, head, tail), relation["role"]))
    return out


def _fit_link(examples: list[tuple[dict, str]], c: float) -> LinearModel:
    return LinearModel.fit(examples, c=c, class_weight=None)


def _fit_role(records: list[dict], c: float = 4.0) -> LinearModel:
    return LinearModel.fit(_role_examples(records), c=c, class_weight="balanced")


ROLE_C = (4.0, 8.0, 16.0)
"""Regularisation settings of the role classifier tried by `choose_role_c`."""


def _allowed_role(model: LinearModel, features: dict, label: str) -> str:
    proba = model.proba(features)
    allowed = {k: v for k, v in proba.items() if k in ROLES[label]}
    return max(allowed, key=allowed.get) if allowed else "other"


def choose_role_c(records: list[dict], folds: int = 5) -> tuple[float, float]:
    """Pick the role classifier's regularisation by cross-validation over whole sections.

    Every gold HAS_AMOUNT / HAS_DATE relation of a held-out fold is given a
    role; returns the `ROLE_C` value with the best accuracy, and that accuracy.
    """
    from nlp.corpus import section_folds

    dealt = section_folds(records, folds)
    held_examples = [_role_examples(held) for _, held in dealt]
    best: tuple[float, float] | None = None
    for c in ROLE_C:
        correct = total = 0
        for k, (train, _) in enumerate(dealt):
            model = _fit_role(train, c)
            for features, role in held_examples[k]:
                label = next(name[4:] for name in features if name.startswith("rel="))
                correct += _allowed_role(model, features, label) == role
                total += 1
        accuracy = correct / total if total else 0.0
        if best is None or accuracy > best[1]:
            best = (c, accuracy)
    return best


def _fit(records: list[dict], config: dict) -> RelationTagger:
    link = _fit_link(_link_examples(records), config["c"])
    role_c = config.get("role_c", DEFAULT_CONFIG["role_c"])
    return RelationTagger(link, _fit_role(records, role_c), config)


# ---------------------------------------------------------------------------
# Scoring.
# ---------------------------------------------------------------------------


def _span_key(record: dict, entity_id: str) -> tuple | None:
    for e in record["entities"]:
        if e["id"] == entity_id:
            return (e["cell"], e["start"], e["end"], e["label"])
    return None


def _relation_set(record: dict) -> dict[tuple, str | None]:
    out = {}
    for r in record.get("relations", []):
        head, tail = _span_key(record, r["head"]), _span_key(record, r["tail"])
        if head and tail:
            out[(record["report"], record["row"], head, tail, r["label"])] = r.get("role")
    return out


def score_relations(gold: Iterable[dict], predicted: Iterable[dict]) -> dict:
    """Score predicted relations against gold ones, matching both ends' spans exactly.

    Returns per relation label and micro P/R/F, and the role accuracy over
    matched HAS_AMOUNT and HAS_DATE relations.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    roles = Counter()
    pred_by_row = {(r["report"], r["row"]): r for r in predicted}
    for g in gold:
        gs = _relation_set(g)
        p = pred_by_row.get((g["report"], g["row"]))
        ps = _relation_set(p) if p else {}
        for key, role in gs.items():
            if key in ps:
                counts[key[4]]["tp"] += 1
                if role:
                    roles["total"] += 1
                    roles["correct"] += ps[key] == role
            else:
                counts[key[4]]["fn"] += 1
        for key in ps:
            if key not in gs:
                counts[key[4]]["fp"] += 1
    from nlp.scoring import _prf

    out = {
        label: _prf(**{k: counts[label][k] for k in ("tp", "fp", "fn")})
        for label in RELATION_LABELS
    }
    total = Counter()
    for label in RELATION_LABELS:
        total.update(counts[label])
    out["micro"] = _prf(total["tp"], total["fp"], total["fn"])
    out["macro_f"] = sum(out[label]["f"] for label in RELATION_LABELS) / len(RELATION_LABELS)
    out["role_accuracy"] = roles["correct"] / roles["total"] if roles["total"] else 0.0
    out["roles"] = dict(roles)
    return out


def nearest_project_baseline(records: Iterable[dict]) -> list[dict]:
    """Link each tail entity to the nearest preceding PROJECT of its row (the baseline)."""
    out = []
    for record in records:
        found = mentions(record)
        relations, last = [], None
        for m in found:
            if m.label == "PROJECT":
                last = m
            elif m.label in TAIL_RELATION and last is not None:
                relations.append({"head": last.id, "tail": m.id, "label": TAIL_RELATION[m.label]})
        out.append({**record, "relations": relations})
    return out


def _predict_all(tagger: RelationTagger, records: Iterable[dict]) -> list[dict]:
    return [{**r, "relations": tagger.predict(r)} for r in records]


DEFAULT_CONFIG = {"c": 64.0, "threshold": 0.03, "one_head": False, "ratio": 0.95, "role_c": 8.0}

GRID = {
    "c": (16.0, 64.0, 256.0),
    "threshold": (0.01, 0.03, 0.06, 0.1, 0.2, 0.3, 0.5),
    "ratio": (0.0, 0.5, 0.8, 0.95, 1.0),
}
"""Settings tried by `choose_config` (`ratio` 1.0: at most one project per tail)."""


def _settings() -> list[dict]:
    return [
        {"c": c, "threshold": t, "one_head": r >= 1.0, "ratio": r}
        for c in GRID["c"]
        for t in GRID["threshold"]
        for r in GRID["ratio"]
    ]


def choose_config(records: list[dict], folds: int = 5) -> tuple[dict, float]:
    """Pick regularisation and decoding by cross-validation over whole sections.

    The sections of `records` are dealt into `folds` folds; each setting of
    `GRID` is scored by micro-F1 over all held-out folds together. Returns
    the best setting and its score. (The dev split alone holds too few
    relations to choose on.)
    """
    predictions = cross_validate(records, _settings(), folds)
    best: tuple[float, dict] | None = None
    for setting, predicted in zip(_settings(), predictions, strict=True):
        f = score_relations(records, predicted)["micro"]["f"]
        if best is None or f > best[0]:
            best = (f, setting)
    return best[1], best[0]


def cross_validate(records: list[dict], settings: list[dict], folds: int = 5) -> list[list[dict]]:
    """Held-out predictions of each setting over `folds` folds of whole sections.

    Each fold's features are made once; a model is fit once per value of
    `c`, and every decoding setting reuses its probabilities.
    """
    from nlp.corpus import section_folds

    predictions: list[list[dict]] = [[] for _ in settings]
    for train, held in section_folds(records, folds):
        examples = _link_examples(train)
        role = _fit_role(train, settings[0].get("role_c", DEFAULT_CONFIG["role_c"]))
        held_pairs, held_features = [], []
        for record in held:
            pairs, features = _pairs_with_features(record)
            held_pairs.append(pairs)
            held_features.append(features)
        for c in sorted({s["c"] for s in settings}):
            tagger = RelationTagger(_fit_link(examples, c), role, dict(DEFAULT_CONFIG))
            linked = [tagger.link_proba(f) if f else [] for f in held_features]
            for i, setting in enumerate(settings):
                if setting["c"] != c:
                    continue
                tagger.config = setting
                predictions[i].extend(
                    {**r, "relations": tagger.decode(r, pairs, p)}
                    for r, pairs, p in zip(held, held_pairs, linked, strict=True)
                )
    return predictions


def train_relations(
    gold: str | Path = "annotations/gold",
    splits: str | Path = "annotations/splits.json",
    models: str | Path = MODELS,
) -> dict:
    """Train the relation tagger and write `models/relations/` with its card.

    Regularisation and decoding (probability threshold; how close to the
    tail's best project another one must score) are picked by
    cross-validation over the train and dev sections (`choose_config`), the
    role classifier's regularisation too (`choose_role_c`); the final model
    is fit on train + dev and scored on test with gold entities.
    Returns the card.
    """
    from nlp.evaluate import card_header, load_gold, write_card

    grouped = load_gold(gold, splits)
    started = time.perf_counter()
    records = grouped["train"] + grouped["dev"]
    config, dev_f = choose_config(records)
    role_c, role_accuracy = choose_role_c(records)
    config["role_c"] = role_c
    final = _fit(records, config)
    folder = Path(models) / "relations"
    folder.mkdir(parents=True, exist_ok=True)
    final.link.save(folder / "link.json")
    final.role.save(folder / "role.json")
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    scores = score_relations(grouped["test"], _predict_all(final, grouped["test"]))
    card = {
        **card_header(
            "tiendo relation tagger (logistic regression over pair features, ranked per tail)"
            " + role classifier",
            time.perf_counter() - started,
            gold,
            splits,
        ),
        "decoding": {
            **config,
            "chosen_by": "5-fold cross-validation over the train and dev sections",
            "cv_micro_f1": round(dev_f, 4),
            "cv_role_accuracy_gold_pairs": round(role_accuracy, 4),
        },
        "metrics": {
            "test_micro_f1_gold_entities": round(scores["micro"]["f"], 4),
            "test_f1_gold_entities": {k: round(scores[k]["f"], 4) for k in RELATION_LABELS},
            "test_role_accuracy": round(scores["role_accuracy"], 4),
        },
    }
    write_card(folder, card)
    return card


def evaluate_relations(
    gold: str | Path = "annotations/gold",
    splits: str | Path = "annotations/splits.json",
    models: str | Path = MODELS,
    output: str | Path | None = "eval/results/relations.md",
) -> tuple[dict, str]:
    """Score relations on the test split: gold entities, end to end, and the baseline.

    Writes `eval/results/relations.md`; returns the scores and the text.
    """
    from nlp.evaluate import load_gold
    from nlp.pipeline import Pipeline, cells_doc, doc_to_record

    test = load_gold(gold, splits)["test"]
    tagger = RelationTagger.load(Path(models) / "relations")
    with_gold = score_relations(test, _predict_all(tagger, test))
    baseline = score_relations(test, nearest_project_baseline(test))
    pipeline = Pipeline.from_models(models)
    end_to_end_records = [
        doc_to_record(
            pipeline(cells_doc(r["cells"], r["report"], r["row"], r["section"], default_year=2023))
        )
        for r in test
    ]
    end_to_end = score_relations(test, end_to_end_records)
    scores = {"gold_entities": with_gold, "end_to_end": end_to_end, "baseline": baseline}
    lines = [
        "# Relation tagger: test split",
        "",
        f"Test split: {len(test)} rows (whole sections, `annotations/splits.json`). Made by "
        "`tiendo eval`. A relation counts when its label and both ends' spans match exactly.",
        "",
        "| relation | support | P (gold ents) | R | F1 | F1 end to end "
        "| F1 nearest-project baseline |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label in (*RELATION_LABELS, "micro"):
        g, e, b = with_gold[label], end_to_end[label], baseline[label]
        lines.append(
            f"| {label} | {g['support']} | {g['p']:.3f} | {g['r']:.3f} | {g['f']:.3f} | "
            f"{e['f']:.3f} | {b['f']:.3f} |"
        )
    lines += [
        "",
        f"Macro F1 (gold entities): {with_gold['macro_f']:.3f}. Role accuracy on matched "
        f"HAS_AMOUNT / HAS_DATE relations: {with_gold['role_accuracy']:.3f} "
        f"({with_gold['roles'].get('correct', 0)}/{with_gold['roles'].get('total', 0)}); end to "
        f"end {end_to_end['role_accuracy']:.3f}.",
        "",
        "The baseline links every status, amount, date, place and agency to the nearest "
        "preceding project of its row (it gives no roles).",
    ]
    text = "\n".join(lines) + "\n"
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    return scores, text
