"""A block's outputs laid out as its options ask: captions, figures, tables, sub-figure grids.

Owns `render_outputs`: the outputs the page shows (`selection.py`), each rendered
(`dispatch.py`), and the block's `FigureSpec` applied as Quarto does: a figure caption on
the first image, a table caption over all the outputs, several outputs in a grid of
sub-figures "(a)", "(b)".
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .context import FigureSpec, RenderContext
from .dispatch import render_output
from .fragments import attr
from .selection import is_display, is_image, shown_outputs


def render_outputs(outputs: Sequence[Mapping[str, Any]], ctx: RenderContext) -> str:
    """A block's outputs as HTML: streams merged, the caption and layout of `ctx.figure`
    (or `ctx.fig_cap`) applied.

    A figure caption wraps the first image output in a `<figure>`, or the whole group when
    there is no image (as Quarto does for tables); a panel lays several outputs out in a
    grid of sub-figures.
    """
    shown = shown_outputs(outputs, ctx)
    figure = ctx.figure
    if figure is None and ctx.fig_cap:
        figure = FigureSpec(caption=html.escape(ctx.fig_cap))
    if figure is None:
        return "".join(render_output(output, ctx) for output in shown)
    if figure.is_panel:
        return _panel(shown, figure, ctx)
    return _captioned(shown, figure, ctx)


def _figure(inner: str, figure: FigureSpec, extra_class: str = "") -> str:
    # A numbered float carries Quarto's class names too, so CSS written for Quarto applies.
    quarto = f"quarto-float-{figure.kind}" if figure.numbered else ""
    caption_class = f' class="quarto-float-caption {quarto}"' if quarto else ""
    caption = f"<figcaption{caption_class}>{figure.caption}</figcaption>" if figure.caption else ""
    anchor = f' id="{attr(figure.anchor)}"' if figure.anchor else ""
    table = " nf-table-figure" if figure.kind == "tbl" else ""
    floats = f" quarto-float {quarto}" if quarto else ""
    body = f"{caption}{inner}" if figure.caption_above else f"{inner}{caption}"
    return f'<figure class="nf-figure{table}{floats}{extra_class}"{anchor}>{body}</figure>'


def letter(index: int) -> str:
    """The sub-figure letter of the 0-based `index`: (a), (b), ... (z), (aa), ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return f"({letters})"


def _subfigure(
    output: Mapping[str, Any], index: int, figure: FigureSpec, ctx: RenderContext
) -> str:
    if figure.subcaptions is None:
        return f'<div class="nf-subfigure">{render_output(output, ctx)}</div>'
    given = figure.subcaptions
    caption = given[index] if index < len(given) else html.escape(letter(index))
    alts = figure.subfigure_alts
    alt = alts[index] if index < len(alts) and alts[index] else ctx.fig_alt
    inner = render_output(output, replace(ctx, fig_alt=alt))
    anchor = f' id="{attr(figure.subfigure_ids)}-{index + 1}"' if figure.subfigure_ids else ""
    return (
        f'<figure class="nf-subfigure"{anchor}>{inner}<figcaption>{caption}</figcaption></figure>'
    )


def _grid_style(figure: FigureSpec, count: int) -> str:
    columns = figure.ncol or (-(-count // figure.nrow) if figure.nrow else 1)
    return f"grid-template-columns:repeat({max(1, int(columns))},minmax(0,1fr))"


def _panel(shown: list[Mapping[str, Any]], figure: FigureSpec, ctx: RenderContext) -> str:
    """Several outputs in a grid, each a sub-figure "(a) ..."; the caption under the grid."""
    laid_out = is_image if figure.kind == "fig" and any(map(is_image, shown)) else is_display
    items = [output for output in shown if laid_out(output)]
    before = "".join(render_output(output, ctx) for output in shown if not laid_out(output))
    if not items:
        return before
    cells = "".join(_subfigure(output, i, figure, ctx) for i, output in enumerate(items))
    grid = f'<div class="nf-layout" style="{_grid_style(figure, len(items))}">{cells}</div>'
    if not figure.caption:
        return before + grid
    return before + _figure(grid, figure, " nf-panel")


def _captioned(shown: list[Mapping[str, Any]], figure: FigureSpec, ctx: RenderContext) -> str:
    """A figure caption on the first image (else on all outputs); a table caption over all."""
    figure_at = next((i for i, output in enumerate(shown) if is_image(output)), None)
    parts = [render_output(output, ctx) for output in shown]
    if figure.kind == "fig" and figure_at is not None:
        parts[figure_at] = _figure(parts[figure_at], figure)
        return "".join(parts)
    inner = "".join(parts)
    return _figure(inner, figure) if inner else ""
