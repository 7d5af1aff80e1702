"""Benchmark: tiendo's tokenizer against plain underthesea.word_tokenize.

Usage: python eval/bench_tokenize.py [REPORT]

Tokenizes every cell of REPORT (default: the bundled Ben Tre report) once with
`nlp.tokenize.tokenize` and once with `underthesea.word_tokenize`, after
warming both models up on one unrelated sentence, and prints the number of
cells and characters, both throughputs, their ratio, peak memory and how many
domain units (numbers, dates, codes...) each keeps as one token. The table is
also written to eval/results/bench_tokenize.md.

Each tokenizer sees each cell once: there is no cache keyed by text, and the
tiendo pass starts with its n-gram score caches empty. Memory is measured in
a second, separate pass per tokenizer (tracemalloc slows the code it watches,
so it stays out of the timed pass); tiendo's caches are emptied before it.
"""

from __future__ import annotations

import argparse
import gc
import html
import platform
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_REPORT = ROOT / "annotations" / "reports" / "bentre-2023-phu-luc-8.txt"
RESULTS = ROOT / "eval" / "results" / "bench_tokenize.md"
WARM_UP = "Hôm nay trời đẹp, chúng tôi đi dạo quanh hồ."

_BLOCK = re.compile(r"</?(?:p|li|ul|ol|br|div)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def read_cells(path: Path) -> tuple[list[str], str]:
    """Return the non-empty cell texts of the report and how they were read."""
    try:
        from nlp.reader import read_report

        report = read_report(path)
        cells = [cell.text for row in report.rows for cell in row.cells.values() if cell.text]
        if cells:
            return cells, "nlp.reader.read_report"
    except Exception as error:  # the reader is optional here; fall back to plain parsing
        print(f"(reader not used: {type(error).__name__}: {error})", file=sys.stderr)
    cells = []
    for line in path.read_text(encoding="utf-8").splitlines():
        for raw in line.split("\t"):
            text = " ".join(html.unescape(_TAG.sub("", _BLOCK.sub(" ", raw))).split())
            if text:
                cells.append(text)
    return cells, "tab split + tag strip"


def timed(function: Callable[[str], object], cells: list[str]) -> tuple[float, list]:
    gc.collect()
    start = time.perf_counter()
    out = [function(cell) for cell in cells]
    return time.perf_counter() - start, out


def traced_peak(function: Callable[[str], object], cells: list[str]) -> int:
    gc.collect()
    tracemalloc.start()
    for cell in cells:
        function(cell)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def compare(cells: list[str], words: list[list[str]]) -> tuple[int, int, int]:
    """Compare with underthesea's words: cells segmented the same, units, units whole.

    Returns how many cells `segment` splits into exactly underthesea's words,
    how many domain units the cells hold, and how many of those underthesea
    returns as exactly one word.
    """
    from nlp.tokenize import _units, align, segment

    same = total = whole = 0
    for cell, cell_words in zip(cells, words, strict=True):
        spans = align(cell, cell_words)
        same += segment(cell) == spans
        units = _units(cell)
        total += len(units)
        whole += len({(start, end) for start, end, _ in units} & set(spans))
    return same, total, whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, default=DEFAULT_REPORT)
    args = parser.parse_args(argv)

    import underthesea
    from underthesea import word_tokenize

    from nlp.tokenize import KINDS, _segmenter, tokenize

    cells, source = read_cells(args.report)
    chars = sum(map(len, cells))

    # Load both models before timing.
    word_tokenize(WARM_UP)
    tokenize(WARM_UP)
    segmenter = _segmenter()
    caches = getattr(segmenter, "caches", {})

    def clear_caches() -> None:
        for cache in caches.values():
            cache.clear()

    clear_caches()
    t_under, under_words = timed(word_tokenize, cells)
    t_tiendo, tiendo_tokens = timed(tokenize, cells)

    peak_under = traced_peak(word_tokenize, cells)
    clear_caches()
    peak_tiendo = traced_peak(tokenize, cells)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    same, units, under_whole = compare(cells, under_words)
    kinds = {kind: 0 for kind in KINDS}
    for tokens in tiendo_tokens:
        for token in tokens:
            kinds[token.kind] += 1
    tiendo_units = sum(n for kind, n in kinds.items() if kind not in ("word", "punct"))

    def row(name: str, seconds: float, peak: int, count: int, whole: str) -> str:
        return (
            f"| {name} | {seconds:.2f} | {chars / seconds:,.0f} | {len(cells) / seconds:,.1f} "
            f"| {peak / 2**20:.1f} | {count:,} | {whole} |"
        )

    shown = args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report
    lines = [
        "# Tokenizer benchmark",
        "",
        f"- report: `{shown}`",
        f"- cells: {len(cells):,} ({source}); characters: {chars:,}",
        f"- Python {platform.python_version()}, underthesea {underthesea.__version__}, "
        f"{platform.machine()} ({platform.processor() or 'cpu'})",
        "- one timed pass per tokenizer over all cells, each cell seen once, models warmed up",
        "",
        "| tokenizer | seconds | chars/s | cells/s | peak MiB (tracemalloc) | tokens "
        "| domain units whole |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row(
            "underthesea.word_tokenize",
            t_under,
            peak_under,
            sum(map(len, under_words)),
            f"{under_whole:,}/{units:,}",
        ),
        row(
            "tiendo tokenize",
            t_tiendo,
            peak_tiendo,
            sum(map(len, tiendo_tokens)),
            f"{tiendo_units:,}/{units:,}",
        ),
        "",
        f"**ratio (tiendo / underthesea throughput): {t_under / t_tiendo:.2f}**",
        "",
        f"- word segmentation identical to underthesea's (before units are merged) "
        f"in {same:,}/{len(cells):,} cells",
        f"- process peak RSS (both tokenizers, models loaded): {max_rss / 1024:.0f} MiB",
        "- tracemalloc sees Python allocations only, not underthesea_core's (Rust) ones",
        "- tiendo token kinds: " + ", ".join(f"{k} {n:,}" for k, n in kinds.items()),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
