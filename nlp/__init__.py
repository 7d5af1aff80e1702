"""tiendo: information extraction from Vietnamese provincial progress reports.

The flat public API, one function per task:

- `read_report(path)`: a report file becomes a `Report` of rows and cells
  (`read_any` for HTML, Word, Excel, CSV and legacy encodings);
- `tokenize(text)`: Vietnamese tokens with character offsets;
- `extract(report)`: the schema's records with entities, values, relations;
- `KnowledgeBase(path)`: the SQLite knowledge base of projects and facts.
"""

from pathlib import Path

from nlp.errors import (
    BinaryFileError,
    EmptyReportError,
    ReportError,
    ReportNotFoundError,
    TiendoError,
    UnknownLayoutError,
)
from nlp.reader import Cell, Report, Row, read_report

MODELS = Path(__file__).resolve().parents[1] / "models"
"""The trained models that come with tiendo (the checkout's `models/`): the
default of every command and function that reads or writes models."""

# Heavy parts (underthesea, spaCy, models) load on first use, not on import.
_LAZY = {
    "tokenize": "nlp.tokenize",
    "Token": "nlp.tokenize",
    "extract": "nlp.pipeline",
    "KnowledgeBase": "nlp.kb",
    "read_any": "nlp.formats",
    "answer": "nlp.ask",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")


__all__ = [
    "BinaryFileError",
    "Cell",
    "EmptyReportError",
    "KnowledgeBase",
    "Report",
    "ReportError",
    "ReportNotFoundError",
    "Row",
    "TiendoError",
    "Token",
    "UnknownLayoutError",
    "answer",
    "extract",
    "read_any",
    "read_report",
    "tokenize",
]
