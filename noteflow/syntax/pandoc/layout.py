"""Quarto layout divs: `layout-ncol=2`, `layout-nrow=2`, `layout="[[1,1],[1]]"`.

Owns wrapping each direct child block of a layout div in a cell, and the cells in rows,
as Quarto's `quarto-layout-panel` / `-row` / `-cell` markup: a row is a flex box and a
cell's width is its share of the row (`[[70,30]]`), a negative share being empty space
(`[[-10,80,-10]]`). A layout that cannot be read warns and lays the children out in one
column.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from typing import Literal

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .attributes import Attributes
from .divs import child_ranges, matching_close
from .floats import is_caption

logger = logging.getLogger("noteflow")

Row = list[float]
"""The shares of a row's cells (negative: a spacer)."""


def is_layout(attributes: Attributes) -> bool:
    return any(key in attributes.values for key in ("layout", "layout-ncol", "layout-nrow"))


def transform(tokens: list[Token], open_index: int, *, where: str) -> None:
    """Wrap the children of the layout div at `open_index` in rows and cells, in place."""
    attributes: Attributes = tokens[open_index].meta["nf_attributes"]
    tokens[open_index].meta["nf_layout"] = True
    children = [
        child
        for child in child_ranges(tokens, open_index, matching_close(tokens, open_index))
        if not is_caption(tokens[child.start])
    ]
    rows = _rows(attributes, len(children), where=where)
    wrapped: list[Token] = []
    child = 0
    for row in _repeat_to_fit(rows, len(children)):
        wrapped.append(_token("nf_layout_row_open", 1, 0.0))
        for share in _percentages(row):
            wrapped.append(_token("nf_layout_cell_open", 1, abs(share)))
            if share > 0 and child < len(children):
                wrapped.extend(tokens[i] for i in children[child])
                child += 1
            wrapped.append(_token("nf_layout_cell_close", -1, 0.0))
        wrapped.append(_token("nf_layout_row_close", -1, 0.0))
    if children:
        tokens[children[0].start : children[-1].stop] = wrapped


def _rows(attributes: Attributes, count: int, *, where: str) -> list[Row]:
    if attributes.get("layout"):
        rows = _parse_layout(attributes.get("layout"))
        if rows is not None:
            return rows
        logger.warning(
            "%s: layout=%r is not a list of rows like [[1,1],[1]]; one column used",
            where,
            attributes.get("layout"),
        )
        return [[1.0]]
    columns = _int(attributes.get("layout-ncol"))
    if not columns:
        row_count = _int(attributes.get("layout-nrow")) or 1
        columns = max(1, math.ceil(count / row_count))
    return [[1.0] * columns]


def _int(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0


def _parse_layout(text: str) -> list[Row] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        value = [value]
    if not (isinstance(value, list) and value and all(_is_row(row) for row in value)):
        return None
    return [[float(share) for share in row] for row in value]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value != 0


def _is_row(row: object) -> bool:
    return isinstance(row, list) and bool(row) and all(_is_number(v) for v in row)


def _repeat_to_fit(rows: list[Row], count: int) -> list[Row]:
    """The rows, the last one repeated until every child has a cell."""
    result = list(rows)
    cells = sum(1 for row in result for share in row if share > 0)
    while cells < count:
        result.append(rows[-1])
        cells += sum(1 for share in rows[-1] if share > 0)
    return result


def _percentages(row: Row) -> list[float]:
    total = sum(abs(share) for share in row)
    return [round(100 * share / total, 4) for share in row]


def _token(kind: str, nesting: Literal[-1, 0, 1], share: float) -> Token:
    token = Token(kind, "div", nesting, block=True)
    token.meta["nf_share"] = share
    return token


def render_row_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return '<div class="quarto-layout-row nf-layout-row">\n'


def render_cell_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    share = tokens[idx].meta["nf_share"]
    return f'<div class="quarto-layout-cell nf-layout-cell" style="flex-basis:{share:g}%">\n'


def render_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</div>\n"


RENDER_RULES = {
    "nf_layout_row_open": render_row_open,
    "nf_layout_row_close": render_close,
    "nf_layout_cell_open": render_cell_open,
    "nf_layout_cell_close": render_close,
}
