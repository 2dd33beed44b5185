"""Sources: reading a document file of any kind into the Markdown text the parse stage reads.

Owns which files are documents (`.md`, `.qmd`, `.Rmd`, and the kinds added here), decoding
(UTF-8, a clear error with the line of a bad byte), line endings, and turning other kinds of
source into noteflow Markdown before parsing.
"""

from __future__ import annotations

from pathlib import Path

from .errors import DocumentError
from .model import Document
from .parse import parse_document


def read_document(path: Path) -> Document:
    """Read and parse a document file; a missing or unreadable file is a DocumentError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError("document not found", path=str(path)) from None
    except OSError as err:
        raise DocumentError(
            f"cannot read document: {err.strerror or err}", path=str(path)
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DocumentError(
            f"byte {data[err.start]:#04x} is not UTF-8",
            path=str(path),
            line=data.count(b"\n", 0, err.start) + 1,
            hint="save the document as UTF-8",
        ) from None
    return parse_document(path, text.replace("\r\n", "\n").replace("\r", "\n"))
