"""Folded parts of a block: `<details>` toggles for code, outputs or the whole cell.

Owns Quarto's `code-fold` / `code-summary` and MyST-NB's cell tags (`remove-*`, and the
`hide-*` tags folded behind MyST-NB's "Show code cell …" toggles).
"""

from __future__ import annotations

import html
from typing import Any

from ..model import Block

DEFAULT_CODE_SUMMARY = "Code"
"""What a folded block's toggle says (Quarto's default `code-summary`)."""
MYST_TOGGLE_TYPES = {"hide-input": "source", "hide-output": "outputs", "hide-cell": "content"}
MYST_TOGGLE = "Show code cell {type}"
"""MyST-NB's toggle text for its `hide-*` tags (a cell's `mystnb: code_prompt_show`)."""


def myst_toggle(block: Block, tag: str) -> str:
    template = str(block.option("code-prompt-show") or MYST_TOGGLE)
    return template.replace("{type}", MYST_TOGGLE_TYPES[tag])


def block_tags(block: Block) -> frozenset[str]:
    """The block's MyST-NB `tags`."""
    tags = block.option("tags") or ()
    return frozenset([tags] if isinstance(tags, str) else map(str, tags))


def details(classes: str, summary: str, inner: str, *, opened: bool = False) -> str:
    """`inner` behind a `<details>` toggle that says `summary`."""
    state = " open" if opened else ""
    return (
        f'<details class="{classes}"{state}><summary>{html.escape(summary)}</summary>'
        f"{inner}</details>\n"
    )


def fold_code(block: Block, code: str, fold: Any, summary: Any) -> str:
    """The code box, folded under `hide-input` or `code-fold` (`fold`, with `summary`)."""
    tags = block_tags(block)
    if "hide-input" in tags and "hide-cell" not in tags:
        return details("nf-fold nf-fold-code", myst_toggle(block, "hide-input"), code)
    if fold not in (True, "true", "show"):
        return code
    summary_text = str(summary or DEFAULT_CODE_SUMMARY)
    return details("nf-fold nf-fold-code", summary_text, code, opened=fold == "show")


def fold_outputs(block: Block, shown: str) -> str:
    """The outputs, folded under `hide-output`."""
    tags = block_tags(block)
    if "hide-output" in tags and "hide-cell" not in tags:
        return details("nf-fold nf-fold-output", myst_toggle(block, "hide-output"), shown)
    return shown


def fold_cell(block: Block, inner: str) -> str:
    """The code and outputs together, folded under `hide-cell`."""
    if "hide-cell" in block_tags(block) and inner:
        return details("nf-fold nf-fold-cell", myst_toggle(block, "hide-cell"), inner)
    return inner
