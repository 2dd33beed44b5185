"""knitr child documents: a chunk with `child = 'part.Rmd'` is replaced by that file's text.

knitr knits the child in the chunk's place and runs none of the chunk's own code; the child
file is read from the main document's folder, its chunks run as part of the document, and
it may have children of its own. `eval = FALSE` leaves the child out. Each spliced line
remembers its file, so a message about it names the child's line.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ..errors import DocumentError, NoteflowError
from ..model import Origin
from ..options import parse_fence_info
from .lines import SourceText
from .shortcodes import Includes

KNITR_SUFFIXES = frozenset({".rmd", ".rmarkdown"})
"""Documents knitr reads, where a `child` chunk option splices in another file."""
CHILD_HEADER = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})\s*\{[rR][ ,].*\bchild\s*=")

log = logging.getLogger("noteflow")


def knitr_children(
    source: SourceText, includes: Includes, chain: tuple[Path, ...] = ()
) -> SourceText:
    """`source` with each `child` chunk replaced by its children's text."""
    if not any("child" in line for line in source.lines):
        return source
    chain = chain or (includes.main,)
    parts: list[SourceText] = []
    start = index = 0
    while index < len(source.lines):
        header = CHILD_HEADER.match(source.lines[index])
        if header is None:
            index += 1
            continue
        end = _closing_fence(source.lines, index, header["fence"])
        parts.append(source.slice(start, index))
        parts.append(_children(source, index, end, includes, chain))
        start = index = end + 1
    parts.append(source.slice(start))
    return SourceText.joined(parts)


def _closing_fence(lines: tuple[str, ...], opening: int, fence: str) -> int:
    closing = re.compile(rf"^[ \t]*{fence[0]}{{{len(fence)},}}[ \t]*$")
    for index in range(opening + 1, len(lines)):
        if closing.match(lines[index]):
            return index
    return len(lines) - 1


def _children(
    source: SourceText, opening: int, closing: int, includes: Includes, chain: tuple[Path, ...]
) -> SourceText:
    where = source.origins[opening]
    info = source.lines[opening].strip().lstrip("`")
    try:
        header = parse_fence_info(info, path=str(where.path), line=where.line)
    except NoteflowError:
        return source.slice(opening, closing + 1)  # the parse stage reports the header
    options = header.options if header is not None else {}
    names = options.get("child")
    names = [names] if isinstance(names, str) else names
    if options.get("eval") is False or not isinstance(names, list):
        return SourceText((), ())
    if any(line.strip() for line in source.lines[opening + 1 : closing]):
        log.warning(
            "%s:%d: a chunk with `child` runs the child document, not its own code (as knitr)",
            where.path,
            where.line,
        )
    return SourceText.joined(
        _child(str(name), where, includes, chain) for name in names if isinstance(name, str)
    )


def _child(name: str, where: Origin, includes: Includes, chain: tuple[Path, ...]) -> SourceText:
    target = (where.path.parent / name).resolve()
    if target in chain:
        cycle = " -> ".join(p.name for p in (*chain[chain.index(target) :], target))
        raise DocumentError(f"child cycle: {cycle}", path=str(where.path), line=where.line)
    if not target.is_file():
        log.warning("%s:%d: child document %s not found; left out", where.path, where.line, name)
        return SourceText((), ())
    if target not in includes.included:
        includes.included.append(target)
    text = SourceText.of_file(target, includes.read(target))
    child = includes.expand(_without_front_matter(text))
    blank = SourceText(("",), (where,))
    return SourceText.joined([blank, knitr_children(child, includes, (*chain, target)), blank])


def _without_front_matter(source: SourceText) -> SourceText:
    """A child's YAML header is not part of the page (knitr drops it too)."""
    if not source.lines or source.lines[0].rstrip() != "---":
        return source
    for index, line in enumerate(source.lines[1:], 1):
        if line.rstrip() in ("---", "..."):
            return source.slice(index + 1)
    return source
