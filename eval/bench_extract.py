"""Benchmark: tag the whole bundled report, model load included, against underthesea.ner.

Usage: python eval/bench_extract.py [REPORT] [MODELS]

Times, in one run: reading the report, loading the models, and tagging every
row (entities, values, statuses, relations) with 1 and with 2 processes; and,
as the alternative a user would otherwise reach for, `underthesea.ner` over
the same cells. Prints the times and their ratio and writes
`eval/results/bench_extract.md`. Goal (issue 4): under 10 s for the whole
report, model load included.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(report_path: str | None = None, models: str | None = None) -> str:
    from nlp.pipeline import _pipeline, extract
    from nlp.reader import read_report

    report_path = report_path or str(ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt")
    models = str(Path(models or ROOT / "models").resolve())

    started = time.perf_counter()
    report = read_report(report_path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    _pipeline(models)
    from nlp.tokenize import tokenize

    tokenize("Khởi động")  # the segmenter's weights load on first use
    load_s = time.perf_counter() - started
    timings = {}
    for jobs in (1, 2):
        started = time.perf_counter()
        records = extract(report, models, jobs=jobs)
        timings[jobs] = time.perf_counter() - started
    entities = sum(len(r["entities"]) for r in records)
    relations = sum(len(r["relations"]) for r in records)

    from underthesea import ner

    ner("Khởi động")
    cells = [row.text(c) for row in report.rows for c in ("assignee", "task", "result", "plan")]
    started = time.perf_counter()
    for cell in cells:
        if cell:
            ner(cell)
    underthesea_s = time.perf_counter() - started

    total_1 = read_s + load_s + timings[1]
    total_2 = read_s + load_s + timings[2]
    lines = [
        "# Extraction benchmark",
        "",
        f"- report: `{Path(report_path).name}`, {len(report.rows)} rows, "
        f"{len(report.text):,} characters; {entities:,} entities, {relations:,} relations found",
        f"- {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores; made by `python eval/bench_extract.py`",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| read the report | {read_s:.2f} |",
        f"| load the models | {load_s:.2f} |",
        f"| tag every row, 1 process (entities, values, statuses, relations) | {timings[1]:.2f} |",
        f"| tag every row, 2 processes | {timings[2]:.2f} |",
        f"| **whole report, model load included, 1 process** | **{total_1:.2f}** |",
        f"| **whole report, model load included, 2 processes** | **{total_2:.2f}** |",
        f"| underthesea.ner over the same cells (PER/LOC/ORG only) | {underthesea_s:.2f} |",
        "",
        f"Ratio, underthesea.ner time / tiendo tagging time (1 process): "
        f"**{underthesea_s / timings[1]:.2f}**; 2 processes over 1: "
        f"**{timings[1] / timings[2]:.2f}×**.",
    ]
    text = "\n".join(lines) + "\n"
    out = ROOT / "eval" / "results" / "bench_extract.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return text


if __name__ == "__main__":
    main(*sys.argv[1:])
