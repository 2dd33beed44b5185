"""What an output renderer is given: `RenderContext` and the `FigureSpec` in it.

`RenderContext` carries what renderers need from the rest of noteflow (Markdown and math
renderers, the blob store) and the display options of the block whose outputs they
render; `FigureSpec` is the caption, number and layout of the block's figure or table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What a renderer needs from the rest of noteflow, and the block's figure options."""

    markdown: Callable[[str], str]
    """Renders Markdown from output data to HTML; raw HTML in it must come out escaped."""
    math: Callable[[str, bool], str]
    """Renders LaTeX to HTML; the flag says display (block) math."""
    blob: Callable[[str], bytes | None]
    """The bytes of a stored blob by its sha256 hex digest; None if missing or corrupt."""
    fig_cap: str | None = None
    """Caption: the first image output becomes a `<figure>` with this `<figcaption>`."""
    fig_alt: str | None = None
    """Alternative text for image outputs."""
    document_markdown: Callable[[str], str] | None = None
    """Renders Markdown that belongs to the document, raw HTML kept as in its prose: the
    stdout of an `output: asis` block, and `text/markdown` whose output metadata holds
    `{"noteflow": {"document_markdown": true}}` (the `include` component's). None renders
    those like any other output Markdown."""
    asis: bool = False
    """`output: asis`: stdout text is rendered as Markdown instead of shown escaped."""
    block_id: str = ""
    """The block whose outputs these are, named in warnings."""
    figure: FigureSpec | None = None
    """Caption, number and layout of the block's figure or table (`fig_cap` is the short
    form: an unnumbered caption given as text)."""
    results: str | None = None
    """knitr's `results`: `hide` drops text output (printed text and values; messages,
    warnings, errors and images stay); `asis` renders it as the document's Markdown."""
    comment: str | None = None
    """knitr's `comment`: a prefix for every line of text output (`##`); None or "" for none."""
    out_width: str | None = None
    """Displayed width of images (`50%`, `300px`, `300`), from `out-width`."""
    out_height: str | None = None
    """Displayed height of images, from `out-height`."""
    knitr: bool = False
    """Show values as knitr prints them (R blocks): IRkernel's rich forms of a plain R value
    (its HTML, Markdown and LaTeX bundle) give way to the printed text, and printed text
    that is a Markdown pipe table (`knitr::kable()`) is rendered as a table."""


@dataclass(frozen=True, slots=True)
class FigureSpec:
    """How a block's outputs are captioned and laid out, as Quarto does for figures and tables.

    Captions arrive as HTML (the render stage renders the author's Markdown and the
    number: `<span class="nf-caption-prefix">Figure 1:</span> A <em>wave</em>`).
    """

    caption: str = ""
    """The whole caption as HTML; "" for none."""
    kind: str = "fig"
    """`fig` (captions the first image) or `tbl` (captions all the outputs)."""
    numbered: bool = False
    """A cross-reference target (`fig-x`, `tbl-x`): a float with Quarto's class names."""
    caption_above: bool = False
    """The caption goes above (Quarto's default for tables, `fig-cap-location: top`)."""
    anchor: str = ""
    """The id of the `<figure>`; "" when the block's section carries it."""
    subcaptions: tuple[str, ...] | None = None
    """Sub-figure captions as HTML ("(a) First"); sub-figures past their end are captioned
    with their letter alone. None: the outputs are not sub-figures."""
    subfigure_alts: tuple[str, ...] = ()
    """Alternative text of each sub-figure's image (else `RenderContext.fig_alt`)."""
    subfigure_ids: str = ""
    """Prefix of sub-figure ids (`fig-x` gives `fig-x-1`, `fig-x-2`); "" for none."""
    ncol: int | None = None
    nrow: int | None = None

    @property
    def is_panel(self) -> bool:
        """Several outputs in a grid: sub-captions or a layout were given."""
        return self.subcaptions is not None or bool(self.ncol) or bool(self.nrow)
