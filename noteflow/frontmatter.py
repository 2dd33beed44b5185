"""Front matter: the YAML header of a document, read and checked key by key.

Owns the keys DESIGN §2 gives a meaning: `title`, `subtitle`, `author`, `date`,
`abstract`, `theme`, `params`, `kernels`, `execute`, `environment`. Each has a shape, and
a value of the wrong shape is a `DocumentError` at the line of its key, so no later stage
meets a surprise. Other keys are kept as written, for themes.

Default block options come, as in Quarto, from execution options at the top level
(`echo: false`), then `execute:`, then the HTML format (`format: html: {code-fold: true}`;
R Markdown's `output: html_document: {fig_width: 6}`), each overriding the one before.
Page options (`toc`, `toc-depth`, `number-sections`, `code-tools`, ...) given under the
HTML format are lifted to the top level of the front matter, where the render stage reads
them (`document.front_matter["toc"]`). R Markdown parameters with `value:` sub-keys
(`params: {n: {value: 10, label: ...}}`) are read as their defaults (`params: {n: 10}`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import Any

from markdown_it.token import Token

from .errors import DocumentError
from .options import is_possible_path, normalise_written, valid_kernel_name
from .yamlio import LoadedYaml, load_yaml, plain_data_problem

PER_BLOCK_OPTIONS = frozenset({"label", "uses", "exports", "files"})
"""Options that make no sense as a default for every block; `execute:` ignores them."""

FORMAT_BLOCK_OPTIONS = frozenset(
    {
        "echo", "eval", "warning", "message", "error", "include", "output", "cache",
        "code-fold", "code-summary", "code-overflow", "code-line-numbers", "code-copy",
        "fig-width", "fig-height", "fig-dpi", "fig-format", "fig-align", "fig-asp",
        "fig-responsive",
    }
)  # fmt: skip
"""Block options Quarto also reads at the top level and under `format: html:`."""

PAGE_OPTIONS = frozenset(
    {
        "toc", "toc-depth", "toc-title", "toc-location", "toc-expand", "number-sections",
        "number-depth", "number-offset", "code-tools", "code-fold", "code-summary",
        "fig-cap-location", "tbl-cap-location", "df-print", "anchor-sections", "smooth-scroll",
        "html-math-method",
    }
)  # fmt: skip
"""Page options read from `format: html:` (and R Markdown's `html_document:`) into the top
level of the front matter; `code-fold` and `code-summary` are both (the page's default)."""

PANDOC_SUFFIXES = (".rmd", ".rmarkdown", ".qmd")
"""Documents Pandoc reads, where `%` lines at the top are a title block."""

_RMARKDOWN_HTML = re.compile(r"(\w+::)?html_(document2?|notebook|vignette)")
_RMARKDOWN_FIGURE = {"fig-width": 7, "fig-height": 5}
"""rmarkdown's HTML formats draw figures 7 by 5 inches unless told otherwise."""
_RMARKDOWN_FIGURES = {"vignette": {"fig-width": 3, "fig-height": 3}}
"""Formats with other figure sizes (`rmarkdown::html_vignette`: 3 by 3)."""
_CODE_FOLDING = {"hide": True, "show": "show", "none": False}
"""R Markdown's `code_folding:` as Quarto's `code-fold:`."""

_TEXT = (str, int, float, date)


def read_front_matter(tokens: list[Token], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(front matter, default block options from its `execute:`); both empty without one.
    An R Markdown or Quarto document that opens with a Pandoc title block (`% title`,
    `% author`, `% date` lines) instead has those as its front matter, and the lines leave
    the page (in MyST, `%` starts a comment)."""
    if tokens and tokens[0].type == "paragraph_open":
        pandoc = path.lower().endswith(PANDOC_SUFFIXES)
        return (_title_block(tokens) if pandoc else {}), {}
    if not tokens or tokens[0].type != "front_matter":
        return {}, {}
    first_line = (tokens[0].map[0] if tokens[0].map else 0) + 2
    loaded = load_yaml(tokens[0].content, what="front matter", path=path, line=first_line)
    if loaded.value is None:
        return {}, {}
    if not isinstance(loaded.value, dict):
        raise DocumentError(
            "front matter must be a YAML mapping (key: value lines)", path=path, line=first_line
        )
    for key, check in _CHECKS.items():
        if loaded.value.get(key) is not None:
            check(loaded.value[key], _Where(loaded, key, path))
    front = dict(loaded.value)
    if isinstance(front.get("params"), dict):
        front["params"] = _param_defaults(front["params"])
    html = _html_format(loaded)
    front.update({key: html[key] for key in PAGE_OPTIONS if key in html})
    return front, _block_defaults(loaded, html, path)


class _Where:
    """Where one front matter key was written, to raise an error at its line."""

    def __init__(self, loaded: LoadedYaml, key: str, path: str) -> None:
        self.loaded, self.key, self.path = loaded, key, path

    def error(self, message: str, *inner: str, hint: str | None = None) -> DocumentError:
        line = self.loaded.line_of(self.key, *inner)
        return DocumentError(
            f"front matter `{self.key}` {message}", path=self.path, line=line, hint=hint
        )


def _check_text(value: Any, where: _Where) -> None:
    if not isinstance(value, _TEXT):
        raise where.error("must be text", hint=f"e.g. `{where.key}: My report`")


def _check_author(value: Any, where: _Where) -> None:
    authors = value if isinstance(value, list) else [value]
    for author in authors:
        if not isinstance(author, _TEXT) and not (isinstance(author, Mapping) and "name" in author):
            raise where.error(
                "must be a name, or a list of names (or of mappings with a `name`)",
                hint="e.g. `author: [Ada Lovelace, Charles Babbage]`",
            )


def _check_theme(value: Any, where: _Where) -> None:
    if not isinstance(value, str) or not value.strip() or not is_possible_path(value):
        raise where.error("must be a theme name or the path of a theme folder")


def _check_params(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of name: default", hint="e.g. `params: {region: all, n: 10}`"
        )
    for name, default in value.items():
        if not isinstance(name, str) or not name:
            raise where.error(f"has a parameter whose name {name!r} is not a word")
        problem = plain_data_problem(default)
        if problem:
            raise where.error(f"parameter {name!r} {problem}", name)


def _check_kernels(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of language: kernelspec", hint="e.g. `kernels: {python: python3}`"
        )
    for language, kernel in value.items():
        if not isinstance(language, str) or not valid_kernel_name(kernel):
            raise where.error(
                f"must map a language to a kernelspec name, got {language!r}: {kernel!r}",
                str(language),
                hint="e.g. `kernels: {python: python3}`; `jupyter kernelspec list` shows names",
            )


def _check_environment(value: Any, where: _Where) -> None:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(
        isinstance(name, str) and name and is_possible_path(name) for name in names
    ):
        raise where.error(
            "must be the path of a lock file, or a list of them",
            hint="e.g. `environment: [requirements.txt]`",
        )


def _check_execute(value: Any, where: _Where) -> None:
    if not isinstance(value, dict):
        raise where.error(
            "must be a mapping of block options", hint="e.g. `execute: {echo: false}`"
        )


_CHECKS: dict[str, Callable[[Any, _Where], None]] = {
    "title": _check_text,
    "subtitle": _check_text,
    "date": _check_text,
    "abstract": _check_text,
    "author": _check_author,
    "theme": _check_theme,
    "params": _check_params,
    "kernels": _check_kernels,
    "environment": _check_environment,
    "execute": _check_execute,
}


def _title_block(tokens: list[Token]) -> dict[str, Any]:
    """Pandoc's title block: up to three `%` lines at the very top (title, authors separated
    by `;`, date; an empty `%` line skips one); removed from `tokens`."""
    inline = tokens[1] if len(tokens) > 2 else None
    lines = inline.content.split("\n") if inline is not None else []
    if tokens[0].map != [0, len(lines)] or not 0 < len(lines) <= 3:
        return {}
    if not all(line.startswith("%") for line in lines):
        return {}
    values = [line[1:].strip() for line in lines]
    front: dict[str, Any] = {}
    for key, value in zip(("title", "author", "date"), values, strict=False):
        if value:
            front[key] = [a.strip() for a in value.split(";")] if key == "author" else value
    if isinstance(front.get("author"), list) and len(front["author"]) == 1:
        front["author"] = front["author"][0]
    del tokens[:3]
    return front


def _param_defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    """R Markdown's `n: {value: 10, label: ..., input: slider}` is the default 10."""
    return {
        name: spec["value"] if isinstance(spec, dict) and "value" in spec else spec
        for name, spec in params.items()
    }


def _html_format(loaded: LoadedYaml) -> dict[str, Any]:
    """Options of the HTML format: Quarto's `format: html:`, else R Markdown's
    `output: html_document:` (underscores as dashes, `code_folding` as `code-fold`, and
    the format's figure size unless it gives one)."""
    quarto = loaded.value.get("format")
    if isinstance(quarto, dict) and isinstance(quarto.get("html"), dict):
        return {str(key): value for key, value in quarto["html"].items()}
    output = loaded.value.get("output")
    formats = {output: None} if isinstance(output, str) else output
    if not isinstance(formats, dict):
        return {}
    for name, options in formats.items():
        found = _RMARKDOWN_HTML.fullmatch(name) if isinstance(name, str) else None
        if found is not None:
            given = _rmarkdown_options(options) if isinstance(options, dict) else {}
            return {**_RMARKDOWN_FIGURES.get(found.group(2), _RMARKDOWN_FIGURE), **given}
    return {}


def _rmarkdown_options(options: Mapping[Any, Any]) -> dict[str, Any]:
    found = {str(key).replace("_", "-"): value for key, value in options.items()}
    folding = found.pop("code-folding", None)
    if folding in _CODE_FOLDING:
        found["code-fold"] = _CODE_FOLDING[folding]
    return found


def _block_defaults(loaded: LoadedYaml, html: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Default options of every code block: top-level execution options, then `execute:`,
    then the HTML format's, each overriding the one before (as Quarto merges them)."""
    top = {k: v for k, v in loaded.value.items() if k in FORMAT_BLOCK_OPTIONS - {"output"}}
    html_options = {k: v for k, v in html.items() if k in FORMAT_BLOCK_OPTIONS}
    html_keys = ("format", "html") if isinstance(loaded.value.get("format"), dict) else ()
    options = {
        **_written(top, lambda key: loaded.line_of(key), path),
        **_written(loaded.value.get("execute") or {}, lambda k: loaded.line_of("execute", k), path),
        **_written(html_options, lambda key: loaded.line_of(*html_keys, key), path),
    }
    return {k: v for k, v in options.items() if k not in PER_BLOCK_OPTIONS}


def _written(
    options: Mapping[Any, Any], line_of: Callable[[str], int], path: str
) -> dict[str, Any]:
    lines = {key: line_of(str(key)) for key in options}
    return normalise_written(options, lines, path=path)


def front_matter_of(tokens: Sequence[Token]) -> Mapping[str, Any]:
    """The front matter of parsed tokens as a mapping, for the syntax plugins that read a
    setting from it; empty when there is none or it is not valid (the parse stage reports
    bad front matter with its line). Each text is read once, however many plugins ask."""
    if not tokens or tokens[0].type != "front_matter":
        return {}
    return _front_matter_text(tokens[0].content)


@functools.lru_cache(maxsize=32)
def _front_matter_text(text: str) -> Mapping[str, Any]:
    try:
        value = load_yaml(text, what="front matter", path=None, line=1).value
    except DocumentError:
        return MappingProxyType({})
    return MappingProxyType(value) if isinstance(value, dict) else MappingProxyType({})


def dotted_value(values: Mapping[str, Any], dotted: str) -> Any:
    """The value at `a.b.c` in nested mappings (Quarto's `meta` keys); None when a part is
    missing."""
    found: Any = values
    for key in dotted.split("."):
        if not isinstance(found, Mapping) or key not in found:
            return None
        found = found[key]
    return found
