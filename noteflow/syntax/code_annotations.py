"""Quarto code annotations: `# <1>` markers at line ends, explained by the list after the block.

A code line that ends in a comment holding only `<n>` (`# <1>` in Python or R, `// <1>` in
JavaScript, `-- <1>` in SQL, `/* <1> */` in C) is annotated; the ordered list right after
the fence (nothing between them) holds the annotations, item `n` explaining marker `n`.
As in Quarto (`code-annotations: below`, the default), the shown code loses its marker
comments and gets a numbered marker instead, and the list becomes a definition list under
the code, each number linking to its marker and back.

This module owns finding the markers (`strip_markers`), a core rule that replaces the list's
tokens by one `code_annotations` token (so the list never renders twice) and records it in
the fence's `meta["nf_annotations"]`, and the HTML of the list and of the markers. The
render stage shows the markers in the highlighted code and places the list (between an
executed block's code and its outputs). The code keeps its markers everywhere else: it runs
with them, as in Quarto, so they are part of the block's cache key.

`code-annotations` in the front matter (top level or under `format: html:`): `false` turns
all this off (markers shown as written, the list rendered as a list); `none` strips the
markers and drops the list; `below`, `hover` and `select` show the list below the code.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML, RendererProtocol
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ..frontmatter import front_matter_of

log = logging.getLogger("noteflow")

COMMENT_DELIMITERS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(
        ("python", "r", "julia", "bash", "sh", "shell", "zsh", "perl", "ruby", "yaml",
         "powershell", "stan", "octave", "awk", "sed", "coffee", "elm", "toml"),
        ("#", ""),
    ),
    **dict.fromkeys(
        ("javascript", "typescript", "scala", "csharp", "fsharp", "cpp", "c++", "java",
         "groovy", "go", "rust", "kotlin", "swift", "sass", "scss", "dot", "json", "ojs"),
        ("//", ""),
    ),
    **dict.fromkeys(("sql", "mysql", "psql", "lua", "haskell", "vhdl"), ("--", "")),
    **dict.fromkeys(("matlab", "tikz", "latex", "tex"), ("%", "")),
    **dict.fromkeys(("c", "css"), ("/*", "*/")),
    "html": ("<!--", "-->"),
    "mermaid": ("%%", ""),
    "fortran": ("!", ""),
}  # fmt: skip
"""Language → (comment start, comment end) of its annotation markers, as Quarto reads them."""

_FENCE_NAME = re.compile(r"\{?\s*([A-Za-z][\w+-]*)")
_PANDOC_CLASS = re.compile(r"(?:^\{|\s)\.([A-Za-z][\w+-]*)")
_STYLES = ("below", "hover", "select", "none")


@dataclass(frozen=True, slots=True)
class Annotations:
    """What the core rule records on an annotated fence (`meta["nf_annotations"]`)."""

    cell: str
    """Prefix of the ids of this block's markers and list items (`nf-annotated-cell-1`)."""
    language: str
    """The language whose comment delimiters the markers use."""
    items: tuple[tuple[int, tuple[Token, ...]], ...] = ()
    """The list after the block: (annotation number, the item's content tokens)."""
    style: str = "below"
    """`below` (the list is shown) or `none` (markers stripped, list dropped)."""

    @property
    def numbers(self) -> frozenset[int]:
        return frozenset(number for number, _ in self.items)


# ----------------------------------------------------------------------------- markers


def marker_pattern(language: str) -> re.Pattern[str] | None:
    """The regex of an annotated line's end in `language`, or None for an unknown language."""
    delimiters = COMMENT_DELIMITERS.get(language.lower())
    if delimiters is None:
        return None
    start, end = (re.escape(part) for part in delimiters)
    closing = rf"\s*{end}" if end else ""
    return re.compile(rf"[ \t]*{start}[ \t]*<(\d+)>{closing}[ \t]*$")


def strip_markers(code: str, language: str) -> tuple[str, dict[int, int]]:
    """`code` without its annotation markers, and {0-based line index: annotation number}."""
    pattern = marker_pattern(language)
    if pattern is None:
        return code, {}
    lines = code.split("\n")
    marked: dict[int, int] = {}
    for index, line in enumerate(lines):
        found = pattern.search(line)
        if found is not None:
            marked[index] = int(found.group(1))
            lines[index] = line[: found.start()]
    return "\n".join(lines), marked


def fence_language(info: str) -> str:
    """The language a fence's info string names: `{python}`, `python`, `{code-cell} ipython3`,
    `{r setup, echo=FALSE}`, `{.python}`, `{#lst-x .sql}` all work; "" when it names none."""
    text = info.strip()
    if text.startswith("{{"):
        return ""  # an escaped fence is shown verbatim, markers and all
    if text.startswith("{code-cell}"):
        text = text.removeprefix("{code-cell}").strip() or "python"
    if text.startswith(("{.", "{#")):  # Pandoc attributes: the first class names it
        found = _PANDOC_CLASS.search(text)
    else:
        found = _FENCE_NAME.match(text.lstrip("{"))
    if found is None:
        return ""
    name = found.group(1).lower()
    from ..adapters import adapter_for_fence  # the adapters are only needed for fence names

    adapter = adapter_for_fence(name)
    return adapter.language if adapter is not None else name


# -------------------------------------------------------------------------------- HTML


def marker_html(cell: str, number: int, first: bool) -> str:
    """The marker that replaces `# <n>` in shown code; the first of a number carries its id."""
    anchor = f' id="{html.escape(cell)}-marker-{number}"' if first else ""
    return (
        f'<a class="nf-annotation-marker"{anchor} href="#{html.escape(cell)}-annote-{number}" '
        f'aria-label="annotation {number}">{number}</a>'
    )


def annotation_list_html(
    annotations: Annotations, renderer: RendererProtocol, options: OptionsDict, env: EnvType
) -> str:
    """The annotations as a definition list, each number linking back to its first marker."""
    if annotations.style == "none" or not annotations.items:
        return ""
    cell = html.escape(annotations.cell)
    rows = []
    for number, tokens in annotations.items:
        text = renderer.render(list(tokens), options, env).strip()
        rows.append(
            f'<dt id="{cell}-annote-{number}"><a class="nf-annotation-number" '
            f'href="#{cell}-marker-{number}">{number}</a></dt>\n<dd>{text}</dd>\n'
        )
    return f'<dl class="nf-annotations">\n{"".join(rows)}</dl>\n'


def _render_annotations(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """A list whose block the render stage did not show in place: shown where it was."""
    annotations: Annotations = tokens[idx].meta["annotations"]
    fence: Token = tokens[idx].meta["fence"]
    if env.get("nf") is not None and "nf_block" in fence.meta:
        return ""  # the block's renderer placed it between the code and the outputs
    return annotation_list_html(annotations, self, options, env)


# --------------------------------------------------------------------------- core rule


def _front_matter_style(tokens: Sequence[Token]) -> str | bool:
    """`code-annotations` from the front matter (top level or `format: html:`)."""
    front = front_matter_of(tokens)
    fmt = front.get("format")
    html_format = fmt.get("html") if isinstance(fmt, Mapping) else None
    value = front.get("code-annotations", "below")
    if isinstance(html_format, Mapping):
        value = html_format.get("code-annotations", value)
    if value is True or value not in (*_STYLES, False):
        return "below"
    return value if isinstance(value, str) else False


def _closing(tokens: Sequence[Token], start: int, close_type: str) -> int:
    """Index of the token closing `tokens[start]` (same level, `close_type`)."""
    level = tokens[start].level
    for index in range(start + 1, len(tokens)):
        if tokens[index].type == close_type and tokens[index].level == level:
            return index
    return len(tokens) - 1


def _list_items(
    tokens: Sequence[Token], start: int, end: int
) -> list[tuple[int, tuple[Token, ...]]]:
    """(number, content tokens) of each item of the ordered list `tokens[start:end+1]`."""
    first = int(tokens[start].attrGet("start") or 1)
    items: list[tuple[int, tuple[Token, ...]]] = []
    index = start + 1
    while index < end:
        if tokens[index].type == "list_item_open":
            close = _closing(tokens, index, "list_item_close")
            items.append((first + len(items), tuple(tokens[index + 1 : close])))
            index = close
        index += 1
    return items


def _annotation_token(fence: Token, annotations: Annotations, list_open: Token) -> Token:
    token = Token("code_annotations", "dl", 0, map=list_open.map, level=fence.level, block=True)
    token.meta = {"annotations": annotations, "fence": fence}
    return token


def _warn_unmatched(marked: Mapping[int, int], numbers: frozenset[int], fence: Token) -> None:
    line = (fence.map[0] if fence.map else 0) + 1
    for number in sorted(numbers - set(marked.values())):
        log.warning("line %d: annotation %d has no `<%d>` marker in the code", line, number, number)


def _take_list(
    tokens: list[Token], index: int, fence: Token, annotations: Annotations
) -> Annotations:
    """The annotations with the ordered list at `tokens[index]` (if that is one, at the
    fence's level) moved into them; the list's tokens become one `code_annotations` token."""
    following = tokens[index] if index < len(tokens) else None
    if following is None or following.type != "ordered_list_open":
        return annotations
    if following.level != fence.level:
        return annotations
    end = _closing(tokens, index, "ordered_list_close")
    items = tuple(_list_items(tokens, index, end))
    taken = Annotations(annotations.cell, annotations.language, items, annotations.style)
    tokens[index : end + 1] = [_annotation_token(fence, taken, following)]
    return taken


def _annotate(state: StateCore) -> None:
    style = _front_matter_style(state.tokens)
    if style is False:
        return
    tokens = state.tokens
    count = 0
    for index, fence in enumerate(tokens):
        if fence.type != "fence":
            continue
        language = fence_language(fence.info)
        _, marked = strip_markers(fence.content, language)
        if not marked:
            continue
        count += 1
        annotations = Annotations(f"nf-annotated-cell-{count}", language, style=str(style))
        annotations = _take_list(tokens, index + 1, fence, annotations)
        _warn_unmatched(marked, annotations.numbers, fence)
        fence.meta["nf_annotations"] = annotations


def plugin(md: MarkdownIt) -> None:
    """Add the annotation core rule (after inline parsing) and the list's render rule."""
    md.core.ruler.push("code_annotations", _annotate)
    md.add_render_rule("code_annotations", _render_annotations)


def shown_code(code: str, annotations: Annotations | None) -> tuple[str, dict[int, list[str]]]:
    """Code as shown (markers removed) and, per 0-based line, the marker HTML to append."""
    if annotations is None:
        return code, {}
    stripped, marked = strip_markers(code, annotations.language)
    if annotations.style == "none":
        return stripped, {}
    extra: dict[int, list[str]] = {}
    seen: set[int] = set()
    for line, number in sorted(marked.items()):
        if number in annotations.numbers:
            extra.setdefault(line, []).append(
                marker_html(annotations.cell, number, number not in seen)
            )
            seen.add(number)
    return stripped, extra
