"""MyST-NB's `{eval}` and `{eval:figure}` directives: a variable's value shown as a block.

`{eval} myplot` becomes a hidden-code executable block whose only line is the
expression, in the language `{eval}` roles use (the front matter's kernelspec, else
Python): the parse stage runs and caches it like any block, reading the variable from
the block that defined it, and the render stage shows its output without the code.
`{eval:figure}` puts that output in a `<figure>` with the body as its numbered caption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown_it.token import Token

from .calls import DirectiveCall
from .tokens import figure_of

if TYPE_CHECKING:
    from .expand import Expander

LANGUAGE_KEY = "nf_myst_eval_language"
"""The env key holding the fence name `{eval}` runs in (set by the expansion rule)."""


def eval_block(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{eval} expr`: the expression as a block that shows its value, not its code."""
    language = str(expander.env.get(LANGUAGE_KEY) or "python")
    token = Token("fence", "code", 0, map=call.map, level=call.level, block=True)
    token.info, token.markup = f"{{{language}}}", "```"
    token.content = f"#| echo: false\n{call.argument.strip()}\n"
    return [token]


def eval_figure(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{eval:figure} expr`: the value in a `<figure>`; body = caption, `:name:` = target."""
    align = f"align-{call.text_option('align')}" if call.option("align") else ""
    classes = [align, call.text_option("figclass")]
    return figure_of(call, expander, lambda: eval_block(call, expander), classes)
