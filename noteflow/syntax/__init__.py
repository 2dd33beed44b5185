"""Markdown syntax that other tools' documents use, as markdown-it plugins.

Each module here owns one family of syntax and exposes `plugin(md) -> None`, which adds
its rules (block, inline, core) and the render rules of the token types it owns:

- `pandoc`: Pandoc and Quarto prose syntax (fenced divs `:::` with attributes, callouts,
  tabsets, columns, heading attributes, bracketed spans, grid tables, table captions);
- `myst`: MyST directives (```` ```{note} ````, `:::{figure}`), roles, targets, `+++`;
- `images`: local images inlined as data URIs, so a page is self-contained;
- `code_annotations`: Quarto code annotations (`# <1>` in code, the list after the block);
- `crossref`: equation labels and reference syntax (`@fig-x`); its `number_document`
  numbers targets once the parse stage knows the document's blocks.

"""

from __future__ import annotations

from markdown_it import MarkdownIt


def install(md: MarkdownIt) -> None:
    """Add every syntax plugin to the document parser, in the order their rules need."""
    from . import code_annotations, crossref, images, myst, pandoc

    pandoc.plugin(md)
    myst.plugin(md)
    code_annotations.plugin(md)
    images.plugin(md)
    crossref.plugin(md)
