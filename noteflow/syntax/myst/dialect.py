"""Whether a document is MyST, for the MyST line rules that would change other prose.

MyST-Parser and mystmd read a line starting with `%` as a comment, a `(label)=` line as
a target and a `+++` line as a cell break, in every document they read (for them every
`.md` is MyST). Pandoc, Quarto, R Markdown and CommonMark know none of these: there
`% of the vote went …` or `(a)=` is prose and must be shown. So these three line rules
apply only in a MyST document:

- a `.qmd`, `.Rmd` or `.Rmarkdown` file is never MyST;
- any other document (`.md`, a notebook, a script) is MyST when it shows a MyST sign
  outside its code blocks: front matter naming MyST (`kernelspec:`, `myst:`, `mystnb:`
  at its top level, or jupytext's `format_name: myst`), a directive fence
  (```` ```{note} ````, ```` ```{code-cell} ````, `:::{figure}`), a role
  (`` {ref}`x` ``), a `+++` line or a `(label)=` line. A `%` line alone is no sign.

The answer is worked out once per document from the whole source (the first time a
line rule asks) and kept in the markdown-it env under `nf_myst_document`, so bodies
parsed later (directive bodies, `{include}`d files) follow their document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePath

from markdown_it.rules_block import StateBlock
from markdown_it.utils import EnvType

from .calls import is_directive

NOT_MYST_SUFFIXES = frozenset({".qmd", ".rmd", ".rmarkdown"})
"""Suffixes of documents whose Markdown is Pandoc's, never MyST."""

ENV_KEY = "nf_myst_document"

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_FRONT_MATTER_SIGN = re.compile(
    r"^(?:(?:kernelspec|myst|mystnb)[ \t]*:|[ \t]+format_name:[ \t]*['\"]?myst\b)", re.M
)
_FENCE = re.compile(r"^[ ]{0,3}(?P<marks>`{3,}|~{3,}|:{3,})[ \t]*(?P<info>.*)$")
_BRACED = re.compile(r"^\{(?P<name>[A-Za-z][\w.:+-]*)(?:\s[^{}]*)?\}(?P<argument>.*)$")
_ROLE = re.compile(r"(?<![`\w])\{[A-Za-z][\w.:+-]*\}`[^`\n]")
_LINE_SIGN = re.compile(r"^[ ]{0,3}(?:\+\+\+(?:[ \t].*)?|\([^\s()]+\)=)[ \t]*$")

BlockRule = Callable[[StateBlock, int, int, bool], bool]


def is_myst_document(env: EnvType, source: str) -> bool:
    """The MyST-ness of the document `env` belongs to (worked out once, from `source`)."""
    if ENV_KEY not in env:
        env[ENV_KEY] = _suffix_allows(env) and has_myst_signs(source)
    return bool(env[ENV_KEY])


def is_myst_source(path: PurePath, source: str) -> bool:
    """What `is_myst_document` will say of a document, known before parsing it (the
    parse stage picks the MyST flavour of the parser with it)."""
    return path.suffix.lower() not in NOT_MYST_SUFFIXES and has_myst_signs(source)


def _suffix_allows(env: EnvType) -> bool:
    path = env.get("nf_document_path")
    return not path or PurePath(str(path)).suffix.lower() not in NOT_MYST_SUFFIXES


def has_myst_signs(source: str) -> bool:
    """True when `source` shows MyST outside code blocks (see the module docstring)."""
    front = _FRONT_MATTER.match(source)
    if front is not None and _FRONT_MATTER_SIGN.search(front["yaml"]):
        return True
    body = source[front.end() :] if front is not None else source
    return any(_line_is_sign(line) for line in _prose_lines(body))


def _prose_lines(text: str) -> Iterator[str]:
    """The lines of `text` outside fenced code, fence lines included. (The scan stops at
    the first sign, so a directive fence, itself a sign, never needs its closing line.)"""
    closing = ""
    for line in text.split("\n"):
        if closing:
            stripped = line.strip()
            if stripped.startswith(closing) and not stripped.strip(closing[0]):
                closing = ""
            continue
        yield line
        fence = _FENCE.match(line)
        if fence is not None and fence["marks"][0] != ":":
            closing = fence["marks"]


def _is_directive_info(info: str) -> bool:
    braced = _BRACED.match(info.strip())
    if braced is None:
        return False
    name = braced["name"].lower()
    return name == "code-cell" or is_directive(name, braced["argument"].strip())


def _line_is_sign(line: str) -> bool:
    fence = _FENCE.match(line)
    if fence is not None and _is_directive_info(fence["info"]):
        return True
    return bool(_LINE_SIGN.match(line) or _ROLE.search(line))


def myst_only(rule: BlockRule) -> BlockRule:
    """`rule`, applied only in a MyST document."""

    def gated(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        return is_myst_document(state.env, state.src) and rule(state, start_line, end_line, silent)

    return gated
