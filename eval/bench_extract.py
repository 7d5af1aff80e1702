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

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


_RUN = """
import json, sys, time
started = time.perf_counter()
from nlp.reader import read_report
report = read_report(sys.argv[1])
read_s = time.perf_counter() - started
from nlp.pipeline import _pipeline, extract
from nlp.tokenize import tokenize
_pipeline(sys.argv[2]); tokenize("Khởi động")
load_s = time.perf_counter() - started - read_s
records = extract(report, sys.argv[2], jobs=int(sys.argv[3]))
tag_s = time.perf_counter() - started - read_s - load_s
print(json.dumps({"read": read_s, "load": load_s, "tag": tag_s, "rows": len(report.rows),
    "chars": len(report.text), "entities": sum(len(r["entities"]) for r in records),
    "relations": sum(len(r["relations"]) for r in records)}))
"""


def _fresh(report_path: str, models: str, jobs: int) -> dict:
    """Time one whole run in a fresh process: nothing cached from another run."""
    out = subprocess.run(
        [sys.executable, "-c", _RUN, report_path, models, str(jobs)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(report_path: str | None = None, models: str | None = None) -> str:
    report_path = report_path or str(ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt")
    models = str(Path(models or ROOT / "models").resolve())
    runs = {jobs: _fresh(report_path, models, jobs) for jobs in (1, 2)}

    from underthesea import ner

    from nlp.reader import read_report

    report = read_report(report_path)
    ner("Khởi động")
    cells = [row.text(c) for row in report.rows for c in ("assignee", "task", "result", "plan")]
    started = time.perf_counter()
    for cell in cells:
        if cell:
            ner(cell)
    underthesea_s = time.perf_counter() - started

    one, two = runs[1], runs[2]
    total = {jobs: r["read"] + r["load"] + r["tag"] for jobs, r in runs.items()}
    lines = [
        "# Extraction benchmark",
        "",
        f"- report: `{Path(report_path).name}`, {one['rows']} rows, {one['chars']:,} characters; "
        f"{one['entities']:,} entities, {one['relations']:,} relations found",
        f"- {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores; made by `python eval/bench_extract.py`; each tiendo run "
        "in a fresh process (no cache carried from another run)",
        "",
        "| step | 1 process | 2 processes |",
        "|---|---:|---:|",
        f"| read the report | {one['read']:.2f} | {two['read']:.2f} |",
        f"| load the models | {one['load']:.2f} | {two['load']:.2f} |",
        f"| tag every row (entities, values, statuses, relations) | {one['tag']:.2f} | "
        f"{two['tag']:.2f} |",
        f"| **whole report, model load included** | **{total[1]:.2f}** | **{total[2]:.2f}** |",
        "",
        f"underthesea.ner over the same cells (PER/LOC/ORG only, model warm): "
        f"{underthesea_s:.2f} s. Ratio underthesea.ner / tiendo tagging (1 process): "
        f"**{underthesea_s / one['tag']:.2f}**; 2 processes over 1 (whole run): "
        f"**{total[1] / total[2]:.2f}×**.",
    ]
    text = "\n".join(lines) + "\n"
    out = ROOT / "eval" / "results" / "bench_extract.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return text


if __name__ == "__main__":
    main(*sys.argv[1:])
