"""The code box: a block's or a fence's code highlighted by Pygments.

Owns highlighting (`highlight_code`), the lexer a block's language asks for, and the
extra lines a code box can carry (`code_box`): the fence around the code under
`echo: fenced` (its `#| echo: fenced` line left out), code-annotation markers at line
ends (`syntax/code_annotations.py` finds them), and text output joined to the code under
knitr's `collapse: true`.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from markdown_it.token import Token
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

from ..adapters import load_adapters
from ..knitr import shown_code as knitr_shown_code
from ..model import Block
from ..outputs import ansi_to_html
from ..syntax.code_annotations import Annotations, shown_code

_ECHO_FENCED_LINE = re.compile(r"\s*\S*\|\s*echo:\s*[\"']?fenced[\"']?\s*")


def block_code_box(token: Token, block: Block, *, fenced: bool, collapsed: Sequence[str]) -> str:
    """An executable block's code box: its code, or under `echo: fenced` the whole fence."""
    adapter = load_adapters().get(block.language)
    fallback = block.language if block.kind == "code" else "yaml"  # a component's YAML
    lexer = adapter.pygments_lexer if adapter else fallback
    annotations = token.meta.get("nf_annotations")
    if fenced:
        body = "".join(
            line
            for line in token.content.splitlines(keepends=True)
            if not _ECHO_FENCED_LINE.fullmatch(line)
        )
        opening, closing = f"{token.markup}{token.info.strip()}", token.markup
        return code_box(body, lexer, annotations, before=[opening], after=[closing])
    shown = knitr_shown_code(block.language, block.code, block.options)  # echo, prompt
    return code_box(shown, lexer, annotations, collapsed=collapsed)


@functools.cache
def _formatter() -> HtmlFormatter:
    return HtmlFormatter(cssclass="highlight", wrapcode=True)


@functools.cache
def _lexer(name: str) -> Lexer:
    try:
        return get_lexer_by_name(name, stripnl=False, ensurenl=True) if name else TextLexer()
    except ClassNotFound:
        return TextLexer()


def highlight_code(code: str, language: str) -> str:
    """`code` highlighted as `language` (plain text when Pygments does not know it)."""
    return highlight(code, _lexer(language.lower()), _formatter())


class _CodeFormatter(HtmlFormatter):
    """Pygments HTML with extra lines: a fence before and after the code (`echo:
    fenced`), annotation markers at line ends, collapsed text output after the code."""

    def __init__(
        self,
        markers: Mapping[int, Sequence[str]],
        before: Sequence[str],
        after: Sequence[str],
    ) -> None:
        super().__init__(cssclass="highlight", wrapcode=True)
        self.markers, self.before, self.after = markers, before, after

    def wrap(self, source: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        return super().wrap(self._lines(source))

    def _lines(self, source: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
        yield from ((1, f"{line}\n") for line in self.before)
        number = 0
        for is_line, text in source:
            if is_line and number in self.markers:
                text = f"{text.removesuffix(chr(10))} {''.join(self.markers[number])}\n"
            number += is_line
            yield is_line, text
        yield from ((1, f"{line}\n") for line in self.after)


def code_box(
    code: str,
    language: str,
    annotations: Annotations | None = None,
    *,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    collapsed: Sequence[str] = (),
) -> str:
    """Highlighted code, annotation markers in place of `# <n>`; `before` and `after` are
    plain lines (escaped here), `collapsed` text output shown after the code."""
    shown, markers = shown_code(code, annotations)
    if not markers and not before and not after and not collapsed:
        return highlight_code(shown, language)
    extra = [html.escape(line) for line in after]
    extra += [
        f'<span class="nf-collapsed-output">{ansi_to_html(text.removesuffix(chr(10)))}</span>'
        for text in collapsed
    ]
    formatter = _CodeFormatter(markers, [html.escape(line) for line in before], extra)
    return highlight(shown, _lexer(language.lower()), formatter)
