"""R Markdown text as knitr reads it, before blocks are made: knitr finds chunks and
inline code by their lines, whatever Markdown makes of the text around them.

Owns the token-level passes of a knitr document: `` `r ''` `` removed everywhere (also in
code blocks), chunk headers holding backticks, chunks written right under raw HTML, and
knitr's display engines (`css`, `verbatim`, `cat`, `embed`), which run nothing and become
page content. Token line maps stay the lines of the file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from .markdown import markdown_parser
from .options import parse_fence_info

log = logging.getLogger("noteflow")

EMPTY_INLINE_R = re.compile(r"`r[ \t]+(?:''|\"\")[ \t]*`")
"""`` `r ''` ``: knitr replaces it with nothing wherever it is, also inside code blocks,
which is how R Markdown documents show a chunk header that is no chunk:
```` ```{r}`r ''` ````."""
KNITR_CHUNK_HEADER = re.compile(r"^[\t >]*(?:`{3,}|~{3,})\s*\{[A-Za-z]")
"""A line knitr reads as the start of a chunk (```` ```{r ...} ````)."""
DISPLAY_ENGINES = frozenset({"css", "verbatim", "cat", "embed"})
"""knitr engines that show their text (and `css` styles the page) and run nothing."""
DISPLAY_ENGINE_FENCE = re.compile(r"\s*\{\s*(css|verbatim|cat|embed)\b", re.IGNORECASE)
HIDDEN_BACKTICK = "\ue000"
"""Stands for a backtick of a chunk header while the Markdown parser reads the text."""


def knitr_tokens(
    path: Path, text: str, env: dict[str, Any], tokens: list[Token]
) -> tuple[str, dict[str, Any], list[Token]]:
    """The text and tokens as knitr sees them: knitr finds chunks and inline code in the
    text, whatever Markdown makes of it. `` `r ''` `` is removed everywhere, and a chunk
    written inside raw HTML (a `<div>` right above its fence) is a chunk, read as if a blank
    line ended the HTML before it; token lines stay the lines of the file."""
    cleaned = EMPTY_INLINE_R.sub("", text)
    protected = _protect_header_backticks(cleaned)
    breaks: list[int] = []
    if protected != text:
        env, tokens = _reparsed(path, protected, breaks)
    while found := [n for n in _chunks_in_html(tokens, breaks) if n not in breaks]:
        breaks = sorted({*breaks, *found})
        env, tokens = _reparsed(path, protected, breaks)
    if protected != cleaned:
        _restore_backticks(tokens)
    return cleaned, env, _with_file_lines(tokens, breaks)


def _protect_header_backticks(text: str) -> str:
    """A chunk header may hold backticks (`fig.cap = 'A plot of `cars`'`), which CommonMark
    does not allow in a backtick fence's info string; they are hidden from the Markdown
    parser and put back in the tokens (`_restore_backticks`)."""
    if "`" not in text:
        return text
    lines = text.split("\n")
    for index, line in enumerate(lines):
        header = KNITR_CHUNK_HEADER.match(line)
        if header and line.lstrip(" \t>").startswith("`"):
            fence_end = header.end() - 1
            lines[index] = line[:fence_end] + line[fence_end:].replace("`", HIDDEN_BACKTICK)
    return "\n".join(lines)


def _restore_backticks(tokens: Sequence[Token]) -> None:
    for token in tokens:
        token.info = token.info.replace(HIDDEN_BACKTICK, "`")
        token.content = token.content.replace(HIDDEN_BACKTICK, "`")
        _restore_backticks(token.children or ())


def _reparsed(path: Path, text: str, breaks: Sequence[int]) -> tuple[dict[str, Any], list[Token]]:
    env: dict[str, Any] = {"nf_document_path": str(path), "nf_document_dir": str(path.parent)}
    return env, markdown_parser().parse(_with_blank_lines(text, breaks), env)


def _chunks_in_html(tokens: Sequence[Token], breaks: Sequence[int]) -> list[int]:
    """File lines (0-based) of knitr chunk headers that Markdown put inside raw HTML."""
    found = []
    for token in tokens:
        if token.type != "html_block" or not token.map:
            continue
        for offset, line in enumerate(token.content.split("\n")):
            if offset and KNITR_CHUNK_HEADER.match(line):
                found.append(_file_line(token.map[0] + offset, breaks))
    return found


def _with_blank_lines(text: str, breaks: Sequence[int]) -> str:
    lines = text.split("\n")
    for line in sorted(breaks, reverse=True):
        lines.insert(line, "")
    return "\n".join(lines)


def _file_line(parsed_line: int, breaks: Sequence[int]) -> int:
    """The file's line of a line of the text with a blank line inserted before each of
    `breaks` (sorted file lines)."""
    inserted = sum(1 for index, line in enumerate(breaks) if line + index < parsed_line)
    return parsed_line - inserted


def _with_file_lines(tokens: list[Token], breaks: Sequence[int]) -> list[Token]:
    for token in tokens:
        if token.map and breaks:
            token.map = [_file_line(token.map[0], breaks), _file_line(token.map[1], breaks)]
    return tokens


def engine_chunks(tokens: list[Token], path: str) -> list[Token]:
    """Chunks of knitr's display engines, which run nothing: `css` (the code is a `<style>`
    element of the page, shown as CSS unless `echo = FALSE`; `eval = FALSE` only shows
    it), `verbatim` and `cat` (the text shown as it is, in the `lang` given) and `embed`
    (a file's text shown, in the language of its extension). `include = FALSE` leaves
    any of them out."""
    result: list[Token] = []
    for token in map(_as_fence, tokens):
        header = None
        if token.type == "fence" and DISPLAY_ENGINE_FENCE.match(token.info):
            line = (token.map[0] if token.map else 0) + 1
            header = parse_fence_info(token.info, path=path, line=line)
        engine = header.name.lower() if header is not None and not header.escaped else ""
        if header is None or engine not in DISPLAY_ENGINES:
            result.append(token)
        elif header.options.get("include") is not False:
            result += _engine_tokens(engine, token, header.options, path)
    return result


def _as_fence(token: Token) -> Token:
    """A fence again, for a knitr engine chunk the MyST syntax took for an unknown
    directive (```` ```{embed} ```` with no options reads as one)."""
    name = str(token.meta.get("name") or "")
    if token.type != "myst_unknown" or name.lower() not in DISPLAY_ENGINES:
        return token
    fence = Token("fence", "code", 0, content=token.content, info=f"{{{name}}}", markup="```")
    fence.map, fence.block = token.map, True
    return fence


def _engine_tokens(engine: str, token: Token, options: Mapping[str, Any], path: str) -> list[Token]:
    shown: list[Token] = []
    if engine == "css" and options.get("eval") is not False:
        style = Token("html_block", "", 0, content=f"<style>\n{token.content}</style>\n")
        style.map, style.block = token.map, True
        shown.append(style)
    if engine == "embed":
        token.info, token.content = _embedded(token, options, path)
    else:
        token.info = "css" if engine == "css" else str(options.get("lang") or "")
    if options.get("echo") is not False and token.content:
        shown.append(token)
    return shown


def _embedded(token: Token, options: Mapping[str, Any], path: str) -> tuple[str, str]:
    """(language, text) of the files an `embed` chunk names (`file = ...` or its lines)."""
    names = options.get("file") or [n.strip().strip("'\"") for n in token.content.split("\n")]
    names = [names] if isinstance(names, str) else [str(n) for n in names if str(n).strip()]
    texts, language = [], ""
    for name in names:
        target = Path(path).parent / name
        try:
            texts.append(target.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            line = (token.map[0] if token.map else 0) + 1
            log.warning("%s:%d: `embed` cannot read %s; left out", path, line, name)
            continue
        language = language or str(options.get("lang") or target.suffix.lstrip(".").lower())
    return language, "".join(texts)
