"""Sources: reading a document file of any kind into the Markdown text the parse stage reads.

Owns which files are documents (`is_document`, the one place that says so), decoding
(UTF-8, a clear error with the line of a bad byte), line endings, turning notebooks and
scripts into noteflow Markdown (`notebooks.py`), Quarto includes and shortcodes
(`shortcodes.py`), and the line map back to what the user wrote (`lines.py`): an error
or warning the parse stage raises at a line of the assembled text names the file and
line it came from.

Documents: `.md`, `.qmd`, `.Rmd`/`.rmd` and `.ipynb` files; `.py` and `.R` scripts in a
jupytext format (percent `# %%` cells, knitr spin `#'` prose, or a jupytext header; a
script given by name on the command line is read in the light format too). Files whose
name starts with `_` are parts to include, not documents (as in Quarto).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import DocumentError, NoteflowError
from ..model import Document
from ..parse import parse_document
from .children import KNITR_SUFFIXES, knitr_children
from .lines import SourceText
from .notebooks import ipynb_source, jupytext_format, text_notebook_source
from .shortcodes import Includes, Shortcodes, front_matter_of, project_root, read_variables

__all__ = ["DOCUMENT_SUFFIXES", "is_document", "read_document", "read_source"]

MARKDOWN_SUFFIXES = frozenset({".md", ".qmd", ".rmd", ".Rmd", ".markdown"})
SCRIPT_SUFFIXES = {".py": "py", ".R": "R", ".r": "R"}
DOCUMENT_SUFFIXES = MARKDOWN_SUFFIXES | {".ipynb"} | frozenset(SCRIPT_SUFFIXES)
"""Every suffix a document can have (a script must also look like one: `is_document`)."""
SCRIPT_MARKERS = re.compile(r"^(# %%|#' |#'$|#\+ |# ---$)", re.MULTILINE)
"""Lines that make a `.py` or `.R` file a document: a cell mark, spin prose, a header."""

log = logging.getLogger("noteflow")


def is_document(path: Path) -> bool:
    """True for a file noteflow renders as a page (a site build calls this on each file)."""
    if path.name.startswith(("_", ".")) or path.suffix not in DOCUMENT_SUFFIXES:
        return False
    if path.suffix in SCRIPT_SUFFIXES:
        try:
            return SCRIPT_MARKERS.search(path.read_text(encoding="utf-8")) is not None
        except (OSError, UnicodeDecodeError):
            return False
    return True


def read_document(path: Path) -> Document:
    """Read and parse a document file; a missing or unreadable file is a DocumentError.

    Errors and warnings of the parse stage name the file and line the user wrote (an
    included file's, a script's), not the line of the assembled text."""
    path = path.resolve()
    includes = Includes(path, read_text)
    source = read_source(path, includes)
    with _warnings_placed(path, source):
        try:
            document = parse_document(path, source.text())
        except NoteflowError as err:
            raise _placed(err, path, source) from None
    origins = source.origins if source.spans_files(path) else ()
    return dataclasses.replace(document, included=tuple(includes.included), origins=origins)


def read_source(path: Path, includes: Includes | None = None) -> SourceText:
    """The document's text as the parse stage reads it, each line with its origin."""
    path = path.resolve()
    includes = includes or Includes(path, read_text)
    source = _converted(path, read_text(path))
    source = includes.expand(source)
    if path.suffix.lower() in KNITR_SUFFIXES:
        source = knitr_children(source, includes)
    front_matter = front_matter_of(source.lines)
    return Shortcodes(front_matter, read_variables(project_root(path))).substitute(source)


def _converted(path: Path, text: str) -> SourceText:
    """A notebook or script rewritten as Markdown; Markdown as it is."""
    if path.suffix == ".ipynb":
        return ipynb_source(path, text)
    if path.suffix in SCRIPT_SUFFIXES:
        return text_notebook_source(path, text, SCRIPT_SUFFIXES[path.suffix])
    if path.suffix == ".md" and jupytext_format(front_matter_of(text.split("\n"))) == "markdown":
        return text_notebook_source(path, text, "md")
    return SourceText.of_file(path, text)


def read_text(path: Path) -> str:
    """A file's text: UTF-8, newlines as `\\n`, a missing file or bad byte a DocumentError."""
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
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# ----------------------------------------------------------------------------- positions


def _placed(err: NoteflowError, path: Path, source: SourceText) -> NoteflowError:
    """The error with its position moved from the assembled text to the user's file."""
    if err.path == str(path) and err.line and err.line <= len(source.origins):
        origin = source.origins[err.line - 1]
        err.path, err.line = str(origin.path), origin.line or None
    return err


class _PlaceWarnings(logging.Filter):
    """Rewrites `path:line: ...` warnings of one document to the line's origin."""

    def __init__(self, path: Path, source: SourceText) -> None:
        super().__init__()
        self.prefix = re.compile(re.escape(str(path)) + r":(\d+): ")
        self.source = source

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        match = self.prefix.match(message)
        if match is None or not 1 <= int(match[1]) <= len(self.source.origins):
            return True
        origin = self.source.origins[int(match[1]) - 1]
        where = f"{origin.path}:{origin.line}: " if origin.line else f"{origin.path}: "
        record.msg, record.args = where + message[match.end() :], ()
        return True


@contextlib.contextmanager
def _warnings_placed(path: Path, source: SourceText) -> Iterator[None]:
    if not source.spans_files(path):
        yield
        return
    placing = _PlaceWarnings(path, source)
    log.addFilter(placing)
    try:
        yield
    finally:
        log.removeFilter(placing)
