"""Render rules of this package's own token types: highlighted code, numbered equations,
caption numbers, target anchors, unknown directives, and the MyST lines that show nothing
(`+++` cell breaks, `%` comments).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from ...mathml import latex_to_html
from . import refs

_EQUATION_SEPARATOR = re.compile(r"\n\s*\n")


def render_code(token: Token, env: EnvType) -> str:
    """A `{code-block}`: Pygments HTML in noteflow's code box, with its caption."""
    meta = token.meta
    formatter = HtmlFormatter(
        cssclass="highlight",
        wrapcode=True,
        linenos="inline" if meta.get("linenos") else False,
        linenostart=int(meta["start"]) if str(meta.get("start", "")).isdigit() else 1,
        hl_lines=_line_numbers(str(meta.get("emphasize", ""))),
    )
    code = highlight(token.content, _lexer(str(meta.get("language", ""))), formatter)
    classes = html.escape(" ".join(["nf-code", "nf-display", *meta.get("classes", ())]))
    label = str(meta.get("label", ""))
    ident = f' id="{html.escape(refs.anchor(env, label))}"' if label else ""
    caption = str(meta.get("caption", ""))
    if not caption:
        return f'<div class="{classes}"{ident}>{code}</div>\n'
    number = refs.caption_number(env, label)
    return (
        f'<figure class="nf-listing"{ident}><figcaption class="nf-listing-caption">'
        f"{number}{html.escape(caption)}</figcaption>\n"
        f'<div class="{classes}">{code}</div></figure>\n'
    )


def _lexer(name: str) -> Any:
    try:
        return get_lexer_by_name(name.lower(), stripnl=False) if name else TextLexer()
    except ClassNotFound:
        return TextLexer()


def _line_numbers(spec: str) -> list[int]:
    """`1,3-5` -> [1, 3, 4, 5]."""
    numbers: list[int] = []
    for part in spec.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            numbers += range(int(low), int(high or low) + 1)
    return numbers


def equation_html(latex: str, label: str, env: EnvType) -> str:
    """Display math (one equation per blank-line-separated part), numbered if labelled."""
    parts = [p for p in _EQUATION_SEPARATOR.split(latex.strip()) if p.strip()]
    maths = "".join(latex_to_html(part, display=True) for part in parts)
    number = refs.number(env, label)
    eqno = f'<span class="nf-equation-number">({html.escape(number)})</span>' if number else ""
    ident = f' id="{html.escape(refs.anchor(env, label))}"' if label else ""
    return f'<div class="math nf-equation"{ident}>{maths}{eqno}</div>\n'


def render_unknown(token: Token) -> str:
    name = html.escape(str(token.meta.get("name", "")))
    argument = html.escape(str(token.meta.get("argument", "")))
    body = f"<pre>{html.escape(token.content)}</pre>" if token.content.strip() else ""
    return (
        f'<div class="nf-directive nf-unknown" data-directive="{name}">'
        f'<div class="nf-directive-label">{{{name}}} {argument}</div>{body}</div>\n'
    )


def _rule(function: Any) -> Any:
    """A markdown-it render rule from `function(token, env) -> str`."""

    def rule(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        return str(function(tokens[idx], env))

    return rule


def _target_anchor(token: Token, env: EnvType) -> str:
    """A `(label)=` line whose element could not carry the id: an empty anchor."""
    if not token.meta.get("nf_anchor"):
        return ""
    return f'<span class="nf-target" id="{html.escape(refs.anchor(env, token.content))}"></span>\n'


def install(md: MarkdownIt) -> None:
    """Add the render rules of the leaf token types."""
    md.add_render_rule("myst_code", _rule(render_code))
    md.add_render_rule(
        "myst_math", _rule(lambda t, env: equation_html(t.content, t.meta.get("label", ""), env))
    )
    md.add_render_rule(
        "myst_number", _rule(lambda t, env: refs.caption_number(env, t.meta["label"]))
    )
    md.add_render_rule("myst_unknown", _rule(lambda t, env: render_unknown(t)))
    md.add_render_rule(
        "myst_missing",
        _rule(
            lambda t, env: f'<div class="nf-directive nf-missing">{html.escape(t.content)}</div>\n'
        ),
    )
    md.add_render_rule("myst_target", _rule(_target_anchor))
    md.add_render_rule("myst_block_break", _rule(lambda t, env: ""))
    md.add_render_rule("myst_line_comment", _rule(lambda t, env: ""))
