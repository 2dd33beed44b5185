"""The core rule that turns directive fences into tokens, before the parse stage sees them.

It runs right after block parsing, before inline parsing: a directive's Markdown body is
parsed into block tokens that are spliced into the main stream (line maps shifted to the
document's lines), so the core `inline` rule, the attribute rules and the parse stage
see them as if written at top level: a ```` ```{code-cell} ```` inside a `{note}` is
found and run like any other.
"""

from __future__ import annotations

import logging

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType

from .calls import DirectiveCall, directive_call, document_path
from .directives import DIRECTIVES, unknown_directive
from .evaluate import LANGUAGE_KEY
from .inlines import eval_language

log = logging.getLogger("noteflow")

MAX_DEPTH = 20
"""Nesting depth past which bodies are no longer expanded (an include cycle)."""


class Expander:
    """Expands the directives of one token list, and of their bodies, recursively."""

    def __init__(self, md: MarkdownIt, env: EnvType, depth: int = 0) -> None:
        self.md = md
        self.env = env
        self.depth = depth

    def expand(self, tokens: list[Token]) -> list[Token]:
        expanded: list[Token] = []
        for token in tokens:
            call = directive_call(token, self.env)
            expanded.extend([token] if call is None else self.directive(call))
        return expanded

    def directive(self, call: DirectiveCall) -> list[Token]:
        build = DIRECTIVES.get(call.name)
        if build is None:
            self.warn_once(
                f"directive:{call.name}",
                f"unknown directive {call.name} at {call.where}; its body is shown as is",
            )
            return unknown_directive(call, self)
        return build(call, self)

    def body(self, call: DirectiveCall) -> list[Token]:
        """The directive's body as Markdown tokens, at the body's lines."""
        return self.markdown(call.body, call.body_line, call.level + 1)

    def markdown(self, text: str, first_line: int, level: int) -> list[Token]:
        """`text` (starting at 0-based document line `first_line`) parsed and expanded."""
        if self.depth >= MAX_DEPTH:
            log.warning("%s: directives nested too deep; not expanded", document_path(self.env))
            return []
        tokens: list[Token] = []
        self.md.block.parse(text, self.md, self.env, tokens)
        for token in tokens:
            if token.map:
                token.map = [token.map[0] + first_line, token.map[1] + first_line]
            token.level += level
        return Expander(self.md, self.env, self.depth + 1).expand(tokens)

    def warn_once(self, key: str, message: str) -> None:
        """Log `message` once per document for `key` (one warning per unknown name)."""
        warned = self.env.setdefault("nf_myst_warned", set())
        if key not in warned:
            warned.add(key)
            log.warning("%s", message)


def expand_directives(state: StateCore) -> None:
    """Core rule: every directive fence of the document replaced by its tokens."""
    state.env.setdefault(LANGUAGE_KEY, eval_language(state.tokens))
    state.tokens = Expander(state.md, state.env).expand(state.tokens)
