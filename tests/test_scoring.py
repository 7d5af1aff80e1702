"""Tests of the span scorer (strict and partial, per label, values)."""

from __future__ import annotations

import pytest

from nlp.scoring import score_entities


def _record(*entities):
    return {
        "report": "r",
        "row": 0,
        "cells": {"result": "Cầu Rạch Miễu 2 đã hoàn thành ngày 05/5/2023"},
        "entities": [
            {
                "id": f"e{i}",
                "cell": "result",
                "start": s,
                "end": e,
                "label": lab,
                "text": "",
                **({"value": v} if v is not None else {}),
            }
            for i, (s, e, lab, v) in enumerate(entities)
        ],
        "relations": [],
    }


GOLD = _record(
    (0, 15, "PROJECT", None),
    (16, 29, "STATUS", "completed"),
    (30, 44, "DATE", {"start": "2023-05-05", "end": "2023-05-05"}),
)


@pytest.mark.parametrize(
    ("predicted", "strict_f", "partial_f"),
    [
        (GOLD, 1.0, 1.0),
        (_record((0, 15, "PROJECT", None)), 0.5, 0.5),
        # Boundaries off by a word: wrong strictly, right partially.
        (
            _record(
                (0, 10, "PROJECT", None), (16, 29, "STATUS", "completed"), (35, 44, "DATE", None)
            ),
            1 / 3,
            1.0,
        ),
        (_record((0, 15, "ORG", None)), 0.0, 0.0),
    ],
)
def test_micro_f1(predicted, strict_f, partial_f):
    scores = score_entities([GOLD], [predicted])
    assert scores["strict"]["micro"]["f"] == pytest.approx(strict_f)
    assert scores["partial"]["micro"]["f"] == pytest.approx(partial_f)


def test_values_are_checked_on_strict_matches():
    wrong = _record(
        (16, 29, "STATUS", "delayed"),
        (30, 44, "DATE", {"start": "2023-05-05", "end": "2023-05-05"}),
    )
    values = score_entities([GOLD], [wrong])["values"]
    assert values["STATUS"] == {"correct": 0, "total": 1, "accuracy": 0.0}
    assert values["DATE"] == {"correct": 1, "total": 1, "accuracy": 1.0}


def test_confusions_are_counted():
    errors = score_entities([GOLD], [_record((0, 15, "ORG", None))])["errors"]
    assert errors["confused"][("PROJECT", "ORG")] == 1
    assert ("0", "result") not in errors["missed"]
