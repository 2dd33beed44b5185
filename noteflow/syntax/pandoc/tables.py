"""Table captions (`: Caption {#tbl-x}`, `Table: Caption`) and Pandoc grid tables.

Owns two block rules and a core rule:

- a caption line right before or after a table (a blank line between is allowed)
  becomes the table's `<caption>`; its trailing `{#tbl-x}` gives the table its id and
  declares a `tbl` target (`TargetMark` in the `table_open` token's meta), so the
  caption reads "Table 1: …" once the document is numbered. A caption line with no
  table next to it stays a paragraph.
- grid tables (`+---+---+` borders, `+===+` under the header, `:` for alignment) become
  tables whose cells are parsed as Markdown blocks with the document's parser; a cell
  spans columns where a wall `|` is missing and rows where a border is missing, as in
  Pandoc 3 (`rowspan`, `colspan`).
"""

from __future__ import annotations

import itertools
import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.utils import is_code_block

from ..crossref import TargetMark
from .attributes import Attributes, parse_braced
from .floats import caption_prefix_html

_CAPTION = re.compile(r"^(?::|Table:)[ \t]+(\S.*?)[ \t]*$")
_CAPTION_ATTRIBUTES = re.compile(r"[ \t]*(\{[^{}]*\})$")
_DELIMITER_ROW = re.compile(r"^\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?$")
_GRID_BORDER = re.compile(r"^\+(?:[-=:]+\+)+$")
_GRID_LINE = re.compile(r"^[+|]")
_LINE_OPEN, _LINE_CLOSE = "nf_caption_line_open", "nf_caption_line_close"
"""A caption line before it is attached to its table."""


def plugin(md: MarkdownIt) -> None:
    md.block.ruler.before("table", "nf_grid_table", grid_table)
    md.block.ruler.before("table", "nf_table_caption", table_caption, {"alt": ["blockquote"]})
    md.core.ruler.after("block", "nf_table_captions", attach_captions)
    md.add_render_rule("nf_table_caption_open", render_caption_open)
    md.add_render_rule("nf_table_caption_close", render_caption_close)


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()


# ---------------------------------------------------------------- captions


def table_caption(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if is_code_block(state, start_line):
        return False
    match = _CAPTION.match(_line(state, start_line))
    if match is None:
        return False
    if silent:  # as a terminator: a caption line ends the table above it
        return True
    text, attributes = _split_attributes(match[1])
    opening = state.push(_LINE_OPEN, "caption", 1)
    opening.map = [start_line, start_line + 1]
    opening.meta["nf_caption_attributes"] = attributes
    opening.meta["nf_source"] = _line(state, start_line)
    inline = state.push("inline", "", 0)
    inline.content, inline.map, inline.children = text, [start_line, start_line + 1], []
    state.push(_LINE_CLOSE, "caption", -1)
    state.line = start_line + 1
    return True


def _split_attributes(text: str) -> tuple[str, Attributes]:
    match = _CAPTION_ATTRIBUTES.search(text)
    attributes = parse_braced(match[1]) if match else None
    if match is None or attributes is None:
        return text, Attributes()
    return text[: match.start()], attributes


def attach_captions(state: StateCore) -> None:
    """Move each caption into the table before or after it; else make it a paragraph."""
    tokens = state.tokens
    index = 0
    while index < len(tokens):
        if tokens[index].type == _LINE_OPEN:
            caption = tokens[index : index + 3]
            del tokens[index : index + 3]
            table = _adjacent_table(tokens, index, caption[0].level)
            if table is None:
                tokens[index:index] = _as_paragraph(caption)
            else:
                caption[0].type, caption[2].type = "nf_table_caption_open", "nf_table_caption_close"
                tokens[table + 1 : table + 1] = caption
                _label_table(tokens[table], caption[0].meta["nf_caption_attributes"])
        index += 1


def _adjacent_table(tokens: list[Token], index: int, level: int) -> int | None:
    """The index of the uncaptioned `table_open` just before or after position `index`."""
    before = index - 1
    if before >= 0 and tokens[before].type == "table_close" and tokens[before].level == level:
        table = matching_open(tokens, before)
        if tokens[table + 1].type != "nf_table_caption_open":
            return table
    if index < len(tokens) and tokens[index].type == "table_open" and tokens[index].level == level:
        return index
    return None


def matching_open(tokens: Sequence[Token], close_index: int) -> int:
    """The index of the opening token that the token at `close_index` closes."""
    depth = 0
    for index in range(close_index, -1, -1):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return 0


def _as_paragraph(caption: list[Token]) -> list[Token]:
    opening, inline, closing = caption
    opening.type, opening.tag = "paragraph_open", "p"
    closing.type, closing.tag = "paragraph_close", "p"
    inline.content = opening.meta["nf_source"]
    return caption


def _label_table(table_open: Token, attributes: Attributes) -> None:
    if attributes.id:
        table_open.attrSet("id", attributes.id)
        if attributes.id.startswith("tbl-"):
            table_open.meta["nf_target"] = TargetMark(attributes.id, "tbl")
    for name in attributes.classes:
        table_open.attrJoin("class", f"table-{name}" if name in BOOTSTRAP_TABLE_CLASSES else name)


BOOTSTRAP_TABLE_CLASSES = frozenset(
    (
        *("striped", "hover", "bordered", "borderless", "sm", "responsive", "active"),
        *("primary", "secondary", "success", "danger", "warning", "info", "light", "dark"),
    )
)
"""Classes Quarto turns into Bootstrap's (`{.striped}` gives `table-striped`)."""


def render_caption_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    prefix = caption_prefix_html(env, tokens[idx].meta["nf_caption_attributes"].id)
    if not prefix and not tokens[idx + 1].content.strip():
        return ""  # `: {tbl-colwidths="[75,25]"}`: attributes only
    return f"<caption>{prefix}"


def render_caption_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    attributes: Attributes = tokens[idx - 2].meta["nf_caption_attributes"]
    shown = bool(render_caption_open(self, tokens, idx - 2, options, env))
    return ("</caption>\n" if shown else "") + _colgroup(attributes.get("tbl-colwidths"))


def _colgroup(widths_text: str) -> str:
    """`<colgroup>` for `tbl-colwidths="[75,25]"`: each column's share of the width."""
    try:
        widths = json.loads(widths_text) if widths_text else None
    except ValueError:
        widths = None
    if not isinstance(widths, list) or not all(isinstance(w, (int, float)) for w in widths):
        return ""
    total = sum(widths) or 1
    cols = "".join(f'<col style="width:{100 * w / total:g}%">' for w in widths)
    return f"<colgroup>{cols}</colgroup>\n"


# ------------------------------------------------------------- grid tables


def grid_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if is_code_block(state, start_line) or not _GRID_BORDER.match(_line(state, start_line)):
        return False
    last = start_line
    while last + 1 < end_line and _GRID_LINE.match(_line(state, last + 1)):
        last += 1
    if last == start_line or not _GRID_BORDER.match(_line(state, last)):
        return False
    if not silent:
        lines = [_line(state, n) for n in range(start_line, last + 1)]
        _push_grid(state, lines, start_line)
        state.line = last + 1
    return True


def _push_grid(state: StateBlock, lines: list[str], start_line: int) -> None:
    grid = _Grid.read(lines)
    aligns = _alignments(grid)
    table = state.push("table_open", "table", 1)
    table.map = [start_line, start_line + len(lines)]
    table.meta["nf_grid"] = True
    sections = (("thead", grid.rows[: grid.header_rows]), ("tbody", grid.rows[grid.header_rows :]))
    for section, section_rows in sections:
        if not section_rows:
            continue
        state.push(f"{section}_open", section, 1)
        tag = "th" if section == "thead" else "td"
        for cells in section_rows:
            _push_row(state, cells, tag, aligns, start_line)
        state.push(f"{section}_close", section, -1)
    state.push("table_close", "table", -1)


@dataclass(frozen=True, slots=True)
class GridCell:
    """One cell of a grid table: its text and where it sits on the table's finest grid."""

    text: str
    line: int
    """The cell's first text line, counted from the table's top border."""
    column: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True, slots=True)
class _Grid:
    """A grid table read as Pandoc reads it: the finest grid of column boundaries (`+`
    in any border) and row boundaries (border lines, whole or partial), with cells that
    span where a wall or a border is missing."""

    rows: list[list[GridCell]]
    header_rows: int
    columns: list[int]
    """The x of each column boundary."""
    lines: list[str]

    @classmethod
    def read(cls, raw_lines: list[str]) -> _Grid:
        width = max(len(line) for line in raw_lines)
        lines = [line.ljust(width) for line in raw_lines]
        columns = sorted({x for line in lines for x in _corners(line)})
        borders = [n for n, line in enumerate(lines) if n == 0 or _is_border(line)]
        if borders[-1] != len(lines) - 1:
            borders.append(len(lines) - 1)
        owner = _spans(lines, columns, borders)
        rows = [
            [_cell(lines, columns, borders, owner, band, column) for column in starts]
            for band, starts in enumerate(_cell_starts(owner))
        ]
        header = next((n for n, b in enumerate(borders) if "=" in lines[b]), 0)
        return cls(rows, header, columns, lines)


def _corners(line: str) -> list[int]:
    """The x of each `+` that joins border dashes (not a `+` written in a cell's text)."""
    joins = "-=:"
    return [
        x
        for x, ch in enumerate(line)
        if ch == "+"
        and (x == 0 or line[x - 1] in joins or (x + 1 < len(line) and line[x + 1] in joins))
    ]


def _is_border(line: str) -> bool:
    return bool(_GRID_BORDER.match(line.rstrip())) or bool(_PARTIAL_BORDER.search(line))


_PARTIAL_BORDER = re.compile(r"\+[-=:]+\+")


def _spans(lines: list[str], columns: list[int], borders: list[int]) -> list[list[tuple[int, int]]]:
    """For each finest cell (band, column), the finest cell whose span covers it."""
    bands, width = len(borders) - 1, len(columns) - 1
    owner = [[(band, column) for column in range(width)] for band in range(bands)]
    for band in range(bands):
        for column in range(width):
            top, left = owner[band][column]
            if column + 1 < width and not _wall(lines, borders, band, columns[column + 1]):
                owner[band][column + 1] = (top, left)
            if band + 1 < bands and not _floor(lines[borders[band + 1]], columns, column):
                owner[band + 1][column] = (top, left)
    return owner


def _wall(lines: list[str], borders: list[int], band: int, x: int) -> bool:
    return any(lines[n][x] in "|+" for n in range(borders[band] + 1, borders[band + 1]))


def _floor(line: str, columns: list[int], column: int) -> bool:
    segment = line[columns[column] + 1 : columns[column + 1]]
    return bool(segment) and all(ch in "-=:" for ch in segment)


def _cell_starts(owner: list[list[tuple[int, int]]]) -> list[list[int]]:
    """For each band, the columns where a cell starts (its top-left finest cell)."""
    return [
        [column for column, own in enumerate(row) if own == (band, column)]
        for band, row in enumerate(owner)
    ]


def _cell(
    lines: list[str],
    columns: list[int],
    borders: list[int],
    owner: list[list[tuple[int, int]]],
    band: int,
    column: int,
) -> GridCell:
    covered = [
        (b, c) for b, row in enumerate(owner) for c, own in enumerate(row) if own == (band, column)
    ]
    last_band = max(b for b, _ in covered)
    last_column = max(c for _, c in covered)
    left, right = columns[column] + 1, columns[last_column + 1]
    text_lines = [
        line[left:right].rstrip() for line in lines[borders[band] + 1 : borders[last_band + 1]]
    ]
    text = textwrap.dedent("\n".join(text_lines)).strip("\n")
    return GridCell(text, borders[band] + 1, column, last_band - band + 1, last_column - column + 1)


def _alignments(grid: _Grid) -> list[str]:
    lines = grid.lines
    border = (
        next((line for line in lines if "=" in line), lines[0]) if grid.header_rows else lines[0]
    )
    aligns = []
    for left, right in itertools.pairwise(grid.columns):
        spec = border[left + 1 : right]
        starts, ends = spec.startswith(":"), spec.endswith(":")
        aligns.append(
            "center" if starts and ends else "right" if ends else "left" if starts else ""
        )
    return aligns


def _push_row(
    state: StateBlock, cells: list[GridCell], tag: str, aligns: list[str], table_line: int
) -> None:
    state.push("tr_open", "tr", 1)
    for cell in cells:
        opening = state.push(f"{tag}_open", tag, 1)
        align = aligns[cell.column] if cell.column < len(aligns) else ""
        if cell.rowspan > 1:
            opening.attrSet("rowspan", str(cell.rowspan))
        if cell.colspan > 1:
            opening.attrSet("colspan", str(cell.colspan))
        if align:
            opening.attrSet("style", f"text-align:{align}")
        _push_cell_blocks(state, cell.text, table_line + cell.line)
        state.push(f"{tag}_close", tag, -1)
    state.push("tr_close", "tr", -1)


def _push_cell_blocks(state: StateBlock, text: str, line: int) -> None:
    """The cell's Markdown as block tokens; a lone paragraph is shown without `<p>`."""
    start = len(state.tokens)
    state.md.block.parse(text, state.md, state.env, state.tokens)
    cell_tokens = state.tokens[start:]
    for token in cell_tokens:
        token.level += state.level
        if token.map:
            token.map = [token.map[0] + line, token.map[1] + line]
    paragraphs = [t for t in cell_tokens if t.type == "paragraph_open"]
    if len(paragraphs) == 1 and cell_tokens[0] is paragraphs[0] and len(cell_tokens) == 3:
        cell_tokens[0].hidden = cell_tokens[2].hidden = True
