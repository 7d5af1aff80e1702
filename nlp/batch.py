"""Batch ingestion: many report files, in worker processes, safe against bad input.

Workers read and tag reports (the slow part) and send back the `Report` and
its records; the parent process alone writes to the knowledge base, one
transaction per report, so a file that fails — or a worker that dies —
leaves the knowledge base as it was. Nothing a bad file does stops the batch.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from nlp.errors import TiendoError

SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".xlsx", ".csv")
"""File suffixes a folder is searched for."""


@dataclass
class Summary:
    """What a batch did: per outcome, the report names; failures with their reason."""

    ingested: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    rows: int = 0

    def lines(self) -> list[str]:
        """One line per failure, then the totals."""
        out = [f"failed: {path}: {reason}" for path, reason in self.failed]
        out.append(
            f"{len(self.ingested)} ingested, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed; {self.rows} rows stored"
        )
        return out


def expand(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Turn files, folders and glob patterns into report files.

    Returns the files (each once, in order) and `(path, reason)` for each
    argument that names nothing.
    """
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for item in paths:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            if not found:
                missing.append((text, "folder holds no report files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif any(c in text for c in "*?["):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not found:
                missing.append((text, "pattern matches no file"))
            files.extend(found)
        else:
            missing.append((text, "no such file or folder"))
    seen: set[Path] = set()
    unique = []
    for file in files:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique, missing


def _work(path: str, models: str, known: dict[str, str], jobs: int = 1):
    """Worker: read and tag one file. Returns (path, report, records, error).

    `jobs` > 1 shares the report's rows among forked processes (used when
    the batch is a single file, so both cores work on it).
    """
    try:
        from nlp.formats import read_any
        from nlp.pipeline import extract

        report = read_any(path)
        if known.get(report.id) == report.sha256:
            return path, report, None, None
        return path, report, extract(report, models, jobs=jobs), None
    except TiendoError as error:
        return path, None, None, str(error).removeprefix(f"{path}: ")
    except MemoryError:
        return path, None, None, "too large to process in memory"
    except Exception as error:
        return path, None, None, f"unexpected error ({type(error).__name__}: {error})"


def ingest_paths(
    paths: Iterable[str | Path],
    kb,
    models: str | Path,
    jobs: int | None = None,
    progress: bool = True,
) -> Summary:
    """Ingest every report named by `paths` into `kb`; return the `Summary`.

    Takes files, folders and globs, the `KnowledgeBase`, the models folder
    and the number of worker processes (default: CPU cores; 1 works in this
    process). Shows a progress bar with file and row counts when `progress`.
    """
    files, missing = expand(paths)
    summary = Summary(failed=list(missing))
    known = {r["name"]: r["sha256"] for r in kb.db.execute("SELECT name, sha256 FROM reports")}
    wanted = max(1, jobs or os.cpu_count() or 1)
    jobs = min(wanted, len(files) or 1)
    models = str(Path(models).resolve())

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]} rows"),
        console=Console(stderr=True),
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=len(files), rows=0)

        def store(result) -> None:
            path, report, records, error = result
            if error is not None:
                summary.failed.append((path, error))
            elif records is None:
                summary.unchanged.append(report.id)
            else:
                try:
                    outcome = kb.ingest(report, records)
                except Exception as exc:
                    summary.failed.append((path, f"could not store ({exc})"))
                else:
                    getattr(summary, outcome.status).append(report.id)
                    summary.rows += outcome.rows
                    known[report.id] = report.sha256
            bar.update(task, advance=1, rows=summary.rows)

        if jobs == 1:
            for file in files:
                store(_work(str(file), models, known, jobs=wanted if len(files) == 1 else 1))
        else:
            # Results are stored in input order, whatever order workers finish
            # in, so the knowledge base is the same for any number of jobs.
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {
                    pool.submit(_work, str(f), models, dict(known)): i for i, f in enumerate(files)
                }
                done: dict[int, tuple] = {}
                next_index = 0
                for future in as_completed(futures):
                    index = futures[future]
                    try:
                        done[index] = future.result()
                    except Exception as error:
                        done[index] = (str(files[index]), None, None, f"worker failed ({error})")
                    while next_index in done:
                        store(done.pop(next_index))
                        next_index += 1
    return summary
