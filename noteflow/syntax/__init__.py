"""Markdown syntax that other tools' documents use, as markdown-it plugins.

Each module here owns one family of syntax and exposes `plugin(md) -> None`, which adds
its rules (block, inline, core) and the render rules of the token types it owns:

- `pandoc`: Pandoc and Quarto prose syntax (fenced divs `:::` with attributes, callouts,
  tabsets, columns, heading attributes, bracketed spans, grid tables, table captions);
- `myst`: MyST directives (```` ```{note} ````, `:::{figure}`), roles, targets, `+++`;
- `images`: local images inlined as data URIs, so a page is self-contained.

`crossref` is not a plugin: it numbers targets and resolves references once the parse
stage knows the document's blocks (see `crossref.number_document`).
"""

from __future__ import annotations

from markdown_it import MarkdownIt


def install(md: MarkdownIt) -> None:
    """Add every syntax plugin to the document parser, in the order their rules need."""
    from . import images, myst, pandoc

    pandoc.plugin(md)
    myst.plugin(md)
    images.plugin(md)
