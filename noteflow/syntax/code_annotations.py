"""(stub, being written)"""

from __future__ import annotations

from markdown_it import MarkdownIt


def plugin(md: MarkdownIt) -> None:
    """Add this module's rules to `md`."""
