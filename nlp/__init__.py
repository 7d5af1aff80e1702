"""tiendo: information extraction from Vietnamese provincial progress reports.

The flat public API, one function per task:

- `read_report(path)`: a report file becomes a `Report` of rows and cells;
- `tokenize(text)`: Vietnamese tokens with character offsets.
"""

from nlp.errors import (
    BinaryFileError,
    EmptyReportError,
    ReportError,
    ReportNotFoundError,
    TiendoError,
    UnknownLayoutError,
)
from nlp.reader import Cell, Report, Row, read_report

# Heavy parts (underthesea, spaCy, models) load on first use, not on import.
_LAZY = {"tokenize": "nlp.tokenize", "Token": "nlp.tokenize"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlp' has no attribute {name!r}")


__all__ = [
    "BinaryFileError",
    "Cell",
    "EmptyReportError",
    "Report",
    "ReportError",
    "ReportNotFoundError",
    "Row",
    "TiendoError",
    "Token",
    "UnknownLayoutError",
    "read_report",
    "tokenize",
]
