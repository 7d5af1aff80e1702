"""Named exceptions of tiendo: each says what went wrong and what to do next.

The command line turns any of them into one line on stderr and exit code 2,
so a message must make sense on its own, name the file and suggest a fix.
"""

from __future__ import annotations


class TiendoError(Exception):
    """Base class of every error tiendo raises on purpose."""


class ReportError(TiendoError):
    """A report file cannot be read as a progress report."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ReportNotFoundError(ReportError):
    """The report path does not exist or is not a regular file."""


class EmptyReportError(ReportError):
    """The report file is empty or holds only white space."""


class BinaryFileError(ReportError):
    """The report file is binary or in a text encoding tiendo cannot decode."""


class UnknownLayoutError(ReportError):
    """The report decodes as text but holds no table tiendo recognises."""
