"""Notebooks and scripts as noteflow Markdown: `.ipynb` files, jupytext Markdown, and
jupytext scripts (`.py` percent and light, `.R` percent and knitr spin).

jupytext reads the text formats and nbformat the notebooks; both give a notebook, which
is written out as Markdown: Markdown cells as they are, code cells as executable fences
in the kernel's language (tags and a chunk name kept as options), raw cells kept (HTML
or Markdown raw cells as written, others shown as plain text), a leading raw `---` cell
as the front matter. A code cell tagged `parameters` (papermill) whose statements assign
literals becomes the front matter's `params` and is shown, not run, so `-P` overrides it.
Each line remembers the line of the file it came from, so messages name the user's line.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..adapters import adapter_for_fence
from ..errors import DocumentError
from ..model import Origin
from ..yamlio import load_yaml
from .lines import SourceText, generated
from .shortcodes import front_matter_of

Locator = Callable[[int, Sequence[str]], list[Origin]]
"""(cell index, the cell's source lines) -> where each of those lines was written."""

JSON_SOURCE_KEY = re.compile(r'^\s*"source":\s*(?P<list>\[)?\s*(?P<empty>\])?')
MARKDOWN_RAW_FORMATS = {"text/markdown", "markdown", "text/x-markdown", "text/html", "html"}
LANGUAGE_MAGICS = frozenset(
    {"bash", "sh", "script", "html", "javascript", "js", "latex", "markdown", "perl", "ruby",
     "svg", "sql", "r", "julia", "python2", "python3", "pypy", "typescript"}
)  # fmt: skip
"""Cell magics named after a language: jupytext reads a fence in that language as one."""
SEARCH_WINDOW = 40
"""How many lines ahead of the last located line a cell line is looked for."""


def jupytext_format(front_matter: Mapping[str, Any]) -> str | None:
    """`markdown` or `myst` when the front matter is jupytext's: a `jupyter:` mapping with
    `jupytext:` (its format) or a `kernelspec:` (jupytext's header with its own metadata
    filtered out); None otherwise (Quarto's `jupyter: python3` names a kernel)."""
    jupyter = front_matter.get("jupyter")
    if not isinstance(jupyter, Mapping) or not {"jupytext", "kernelspec"} & set(jupyter):
        return None
    jupytext = jupyter.get("jupytext")
    representation = jupytext.get("text_representation") if isinstance(jupytext, Mapping) else None
    name = representation.get("format_name") if isinstance(representation, Mapping) else None
    return str(name) if name else "markdown"


def text_notebook_source(path: Path, text: str, extension: str) -> SourceText:
    """A jupytext text file (`md`, `py`, `R`, ...) as noteflow Markdown."""
    import jupytext  # slow to import; only documents of these kinds need it

    try:
        notebook = jupytext.reads(text, fmt=extension)
    except Exception as err:  # jupytext raises many kinds; each is the file's fault here
        raise DocumentError(f"jupytext cannot read this file: {err}", path=str(path)) from None
    locate = _TextLocator(path, text.split("\n"))
    return notebook_markdown(notebook, path, locate, fences_as_magics=extension == "md")


def ipynb_source(path: Path, text: str) -> SourceText:
    """A Jupyter notebook file as noteflow Markdown (its stored outputs are not used)."""
    import nbformat  # slow to import (its JSON schema); only notebooks need it

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises JSON, validation and version errors
        raise DocumentError(
            f"not a Jupyter notebook: {err}", path=str(path), hint="is the file valid JSON?"
        ) from None
    return notebook_markdown(notebook, path, _json_locator(path, text, len(notebook.cells)))


def notebook_language(notebook: Any) -> str:
    metadata = notebook.get("metadata", {})
    for candidate in (
        metadata.get("kernelspec", {}).get("language"),
        metadata.get("language_info", {}).get("name"),
        metadata.get("jupytext", {}).get("main_language"),
    ):
        if candidate:
            return str(candidate).lower()
    return "python"


def notebook_markdown(
    notebook: Any, path: Path, locate: Locator, *, fences_as_magics: bool = False
) -> SourceText:
    """The notebook's cells as Markdown, a blank line after each."""
    cells = _Cells(notebook_language(notebook), fences_as_magics)
    front: SourceText | None = None
    parts: list[SourceText] = []
    for index, cell in enumerate(notebook.cells):
        lines = cell.source.split("\n")
        source = SourceText(tuple(lines), tuple(locate(index, lines)))
        if index == 0 and _is_front_matter(cell):
            front = source
            continue
        written = cells.markdown(cell, source)
        if written.lines:
            parts += [written, generated("", source.origins[-1])]
    header = _front_matter(front, notebook.metadata, cells.params, Origin(path, 1))
    return SourceText.joined([header, *parts])


class _Cells:
    """Writes cells as Markdown; collects the values of a `parameters` cell on the way.

    `fences_as_magics`: jupytext Markdown, where jupytext reads a fence in another language
    (```` ```bash ````) as a `%%bash` cell; it is shown as that fence, not run: only the
    kernel's language runs, as the document reads."""

    def __init__(self, language: str, fences_as_magics: bool) -> None:
        self.language = language
        self.fences_as_magics = fences_as_magics
        self.params: dict[str, Any] = {}

    def markdown(self, cell: Any, source: SourceText) -> SourceText:
        if not cell.source.strip():
            return SourceText((), ())
        magic = _magic_language(cell, self.language) if self.fences_as_magics else None
        found = _parameters(cell, self.language)
        if magic is not None:
            return _shown_code(source.slice(1), magic)
        if found is not None:
            self.params.update(found)
            return _shown_code(source, self.language)
        if cell.cell_type == "code":
            return _code_cell(source, cell.metadata, self.language)
        if cell.cell_type == "raw":
            return _raw_cell(source, cell.metadata)
        return source


# ----------------------------------------------------------------------------- cells


def _is_front_matter(cell: Any) -> bool:
    """A first raw cell holding a YAML mapping between `---` lines (Quarto's and jupytext's
    way to keep a document's front matter in a notebook); any other raw cell stays a cell."""
    lines = cell.source.strip().split("\n")
    if cell.cell_type != "raw" or len(lines) < 2 or lines[0].rstrip() != "---":
        return False
    if lines[-1].rstrip() not in ("---", "..."):
        return False
    try:
        value = load_yaml("\n".join(lines[1:-1]), what="a raw cell", path=None, line=1).value
    except DocumentError:
        return False
    return value is None or isinstance(value, Mapping)


def _fence(lines: Sequence[str]) -> str:
    longest = max((len(m.group(0)) for line in lines for m in re.finditer(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _code_cell(source: SourceText, metadata: Mapping[str, Any], language: str) -> SourceText:
    """An executable fence; cell metadata (tags, a name) goes into a MyST `{code-cell}` with
    an options block, which also takes the cell's own `#|` option lines."""
    if not "".join(source.lines).strip():
        return SourceText((), ())
    fence = _fence(source.lines)
    first, last = _around(source)
    options = _cell_options(metadata)
    if not options:
        opening = generated(f"{fence}{{{language}}}", first)
        return SourceText.joined([opening, source, generated(fence, last)])
    adapter = adapter_for_fence(language)
    written, code = _option_lines(source, adapter.comment_prefixes if adapter else ())
    given = "\n".join(written.lines)
    added = [
        f"{k}: {json.dumps(v)}"
        for k, v in options.items()
        if not re.search(rf"^{k}\s*:", given, re.M)
    ]
    return SourceText.joined(
        [
            generated(f"{fence}{{code-cell}} {language}\n---", first),
            written,
            generated("\n".join([*added, "---"]), first),
            code,
            generated(fence, last),
        ]
    )


def _option_lines(source: SourceText, prefixes: Sequence[str]) -> tuple[SourceText, SourceText]:
    """The leading `#| key: value` lines as YAML lines, and the code after them."""
    count = 0
    for line in source.lines:
        if not any(line.lstrip().startswith(prefix) for prefix in prefixes):
            break
        count += 1
    texts = [_after_prefix(line, prefixes) for line in source.lines[:count]]
    yaml_lines = textwrap.dedent("\n".join(texts)).split("\n") if texts else []
    return SourceText(tuple(yaml_lines), source.origins[:count]), source.slice(count)


def _after_prefix(line: str, prefixes: Sequence[str]) -> str:
    stripped = line.lstrip()
    prefix = next(p for p in prefixes if stripped.startswith(p))
    return stripped[len(prefix) :]


def _cell_options(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Cell metadata noteflow reads: tags (jupytext's `remove_input` spelled as MyST's
    `remove-input`) and a chunk name (knitr spin's `#+ name`) as the label."""
    options: dict[str, Any] = {}
    tags = [str(t) for t in metadata.get("tags") or ()]
    if tags:
        options["tags"] = [re.sub(r"^(remove|hide)_", r"\1-", t) for t in tags]
    label = metadata.get("name") or metadata.get("label")
    if isinstance(label, str) and label:
        options["label"] = label
    return options


def _raw_cell(source: SourceText, metadata: Mapping[str, Any]) -> SourceText:
    kind = str(metadata.get("format") or metadata.get("raw_mimetype") or "").lower()
    if kind in MARKDOWN_RAW_FORMATS:
        return source
    return _shown_code(source, "")


def _shown_code(source: SourceText, language: str) -> SourceText:
    """A fence that shows the text and never runs (plain, unbraced)."""
    fence = _fence(source.lines)
    first, last = _around(source)
    return SourceText.joined(
        [generated(f"{fence}{language}", first), source, generated(fence, last)]
    )


def _around(source: SourceText) -> tuple[Origin, Origin]:
    """Where a fence opening and closing a cell are placed: the lines before and after it."""
    first, last = source.origins[0], source.origins[-1]
    return Origin(first.path, max(first.line - 1, 0) if first.line else 0), Origin(
        last.path, last.line + 1 if last.line else 0
    )


def _magic_language(cell: Any, language: str) -> str | None:
    """`bash` for a code cell that starts with `%%bash` (another language than the kernel's)."""
    match = re.match(r"%%([A-Za-z][\w+-]*)[ \t]*(?:\n|$)", cell.source)
    if cell.cell_type != "code" or match is None or match[1].lower() == language:
        return None
    if match[1].lower() not in LANGUAGE_MAGICS:
        return None
    return match[1]


def _parameters(cell: Any, language: str) -> dict[str, Any] | None:
    """The values a papermill `parameters` cell assigns, if it only assigns literals."""
    if cell.cell_type != "code" or "parameters" not in (cell.metadata.get("tags") or ()):
        return None
    if language != "python":
        return None
    try:
        tree = ast.parse(cell.source)
        values = {}
        for statement in tree.body:
            if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
                return None
            target = statement.targets[0]
            if not isinstance(target, ast.Name):
                return None
            values[target.id] = ast.literal_eval(statement.value)
    except (SyntaxError, ValueError, TypeError):
        return None
    return values


def _front_matter(
    front: SourceText | None, metadata: Mapping[str, Any], params: Mapping[str, Any], at: Origin
) -> SourceText:
    """The front matter cell, plus `title` (notebook metadata) and `params` (a parameters
    cell) unless it gives them itself."""
    given = front_matter_of(front.lines) if front is not None else {}
    extra: dict[str, Any] = {}
    if metadata.get("title") and "title" not in given:
        extra["title"] = str(metadata["title"])
    if params and "params" not in given:
        extra["params"] = params
    added = yaml.safe_dump(extra, sort_keys=False, allow_unicode=True).rstrip("\n") if extra else ""
    if front is None:
        if not added:
            return SourceText((), ())
        return SourceText.joined([generated(f"---\n{added}\n---", at), generated("", at)])
    if added:
        front = SourceText.joined([front.slice(0, -1), generated(added, at), front.slice(-1)])
    return SourceText.joined([front, generated("", front.origins[-1])])


# ----------------------------------------------------------------------------- locating lines


class _TextLocator:
    """Finds each cell line in the text file, reading forward: cells come in file order and
    their lines appear as written, maybe behind a comment mark (`# ` in a script)."""

    def __init__(self, path: Path, original: Sequence[str]) -> None:
        self.path = path
        self.original = [line.strip() for line in original]
        self.cursor = 0

    def __call__(self, index: int, lines: Sequence[str]) -> list[Origin]:
        return [self._locate(line.strip()) for line in lines]

    def _locate(self, wanted: str) -> Origin:
        stop = min(len(self.original), self.cursor + SEARCH_WINDOW)
        for position in range(self.cursor, stop):
            text = self.original[position]
            if (wanted and text.endswith(wanted)) or (not wanted and text in ("", "#", "#'")):
                self.cursor = position + 1
                return Origin(self.path, position + 1)
        return Origin(self.path, min(self.cursor + 1, len(self.original)))


def _json_locator(path: Path, text: str, cells: int) -> Locator:
    """Cell lines in a notebook's JSON: nbformat writes each cell's source as a list with
    one line per element, so line k of cell i is k lines after its `"source": [` key."""
    keys = [
        (number, bool(match["list"]) and not match["empty"])
        for number, line in enumerate(text.split("\n"), 1)
        if (match := JSON_SOURCE_KEY.match(line))
    ]

    def locate(index: int, lines: Sequence[str]) -> list[Origin]:
        if len(keys) != cells:
            return [Origin(path, 0)] * len(lines)
        number, listed = keys[index]
        return [Origin(path, number + 1 + k if listed else number) for k in range(len(lines))]

    return locate
