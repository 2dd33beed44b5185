"""knitr and R Markdown semantics read statically from R code, at parse time.

Owns a small R tokenizer (strings, raw strings, backticked names, comments, brackets,
operators) and what the parse and graph stages read with it: the top-level expressions of
an R block (for `eval = c(1, 3)`, which runs only those and shows the others commented out
with `## `, as knitr does; for `echo = c(1, 3)`, which shows only those; and for `prompt`),
the arguments of `knitr::opts_chunk$set(...)` calls (chunk option defaults for the blocks
after it), the `params$name` a block reads, and noweb `<<label>>` lines (replaced by the
named block's code, as knitr's `parse_chunk` does).

Nothing here runs R; where the code cannot be read (an unclosed string), the functions
say so by returning None and the caller falls back to running the block whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOWEB_LINE = re.compile(r"^(?P<indent>\s*)<<(?P<label>.+)>>\s*$")
"""knitr's `ref.chunk` pattern for Markdown: a line that is only `<<label>>`."""

ENGINE_LANGUAGES: dict[str, str] = {
    "r": "r",
    "rscript": "r",
    "bash": "bash",
    "sh": "bash",
    "python": "python",
    "python3": "python",
    "js": "javascript",
    "node": "javascript",
    "javascript": "javascript",
}
"""knitr engine names whose language noteflow has an adapter for (other engines keep
their own name, a language without a kernel here)."""

_RAW_STRING = re.compile(r"[rR](['\"])(-*)([(\[{])")
_NAME = re.compile(r"[A-Za-z.][A-Za-z0-9._]*|[A-Za-z0-9._]+")
_SPACE = re.compile(r"[ \t\f\r]+")
_OPERATORS = sorted(
    [
        "<<-", "->>", "|>", "<-", "->", "<=", ">=", "==", "!=", "&&", "||", "::", ":::",
        "[[", "\\", "+", "-", "*", "/", "^", "<", ">", "!", "&", "|", "~", "?", ":", "=",
        "$", "@", ",",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
_CONTINUING_KEYWORDS = frozenset({"else", "function", "repeat"})
_HEADER_KEYWORDS = frozenset({"if", "for", "while", "function"})
_CLOSERS = {"(": ")", "[": "]", "{": "}", "[[": "]]"}


@dataclass(frozen=True, slots=True)
class RToken:
    """One token of R source."""

    kind: str
    """`name`, `string`, `number`, `op`, `open`, `close`, `comment`, `newline` or `;`."""
    text: str
    line: int
    """0-based line of the token's first character."""
    start: int
    """Offset of the token's first character in the code."""


class RSyntaxError(ValueError):
    """The code cannot be tokenized (an unclosed string or bracket)."""


def tokenize(code: str) -> list[RToken]:
    """The tokens of `code` (spaces dropped); raises RSyntaxError for an unclosed string."""
    tokens: list[RToken] = []
    index, line = 0, 0
    while index < len(code):
        token, end = _next_token(code, index, line)
        if token is not None:
            tokens.append(token)
        line += code.count("\n", index, end)
        index = end
    return tokens


def _next_token(code: str, index: int, line: int) -> tuple[RToken | None, int]:
    char = code[index]
    space = _SPACE.match(code, index)
    if space:
        return None, space.end()
    if char == "\n":
        return RToken("newline", char, line, index), index + 1
    if char == "#":
        end = code.find("\n", index)
        end = len(code) if end < 0 else end
        return RToken("comment", code[index:end], line, index), end
    raw = _RAW_STRING.match(code, index)
    if raw:
        end = _raw_string_end(code, raw)
        return RToken("string", code[index:end], line, index), end
    if char in "'\"`":
        end = _quoted_end(code, index)
        kind = "name" if char == "`" else "string"
        return RToken(kind, code[index:end], line, index), end
    return _word_or_symbol(code, index, line)


def _word_or_symbol(code: str, index: int, line: int) -> tuple[RToken, int]:
    char = code[index]
    if char == "%":
        end = code.find("%", index + 1)
        if end < 0 or "\n" in code[index:end]:
            raise RSyntaxError("unclosed %operator%")
        return RToken("op", code[index : end + 1], line, index), end + 1
    if char in "([{":
        text = "[[" if code.startswith("[[", index) else char
        return RToken("open", text, line, index), index + len(text)
    if char in ")]}":
        return RToken("close", char, line, index), index + 1
    if char == ";":
        return RToken(";", char, line, index), index + 1
    name = _NAME.match(code, index)
    if name:
        kind = "number" if name.group()[0].isdigit() else "name"
        return RToken(kind, name.group(), line, index), name.end()
    for operator in _OPERATORS:
        if code.startswith(operator, index):
            return RToken("op", operator, line, index), index + len(operator)
    return RToken("op", char, line, index), index + 1


def _quoted_end(code: str, index: int) -> int:
    quote, position = code[index], index + 1
    while position < len(code):
        if code[position] == "\\":
            position += 2
        elif code[position] == quote:
            return position + 1
        else:
            position += 1
    raise RSyntaxError(f"unclosed {quote} quote")


def _raw_string_end(code: str, raw: re.Match[str]) -> int:
    quote, dashes, opener = raw.group(1), raw.group(2), raw.group(3)
    closer = {"(": ")", "[": "]", "{": "}"}[opener] + dashes + quote
    end = code.find(closer, raw.end())
    if end < 0:
        raise RSyntaxError("unclosed raw string")
    return end + len(closer)


# --------------------------------------------------------------------------- expressions


def top_level_expressions(code: str) -> list[tuple[int, int]] | None:
    """(first line, last line), 0-based, of each top-level expression, as R's `parse()`
    counts them; None when the code cannot be split by lines (two expressions on one line,
    an unclosed string or bracket)."""
    try:
        tokens = tokenize(code)
    except RSyntaxError:
        return None
    spans: list[tuple[int, int]] = []
    splitter = _Splitter()
    for token in tokens:
        ended = splitter.feed(token)
        if ended is not None:
            spans.append(ended)
    if splitter.depth:
        return None
    if splitter.start is not None:
        spans.append((splitter.start, splitter.last))
    shared_line = any(spans[i][0] <= spans[i - 1][1] for i in range(1, len(spans)))
    return None if shared_line or splitter.semicolon else spans


class _Splitter:
    """Walks tokens and says where each top-level expression ends."""

    def __init__(self) -> None:
        self.depth = 0
        self.start: int | None = None
        self.last = 0
        self.continuing = False
        self.previous: RToken | None = None
        self.headers: list[bool] = []
        """Per open bracket: whether it follows `if`, `for`, `while` or `function`."""
        self.semicolon = False

    def feed(self, token: RToken) -> tuple[int, int] | None:
        if token.kind == "comment":
            return None
        if token.kind in ("newline", ";") and not self.depth:
            self.semicolon |= token.kind == ";" and self.start is not None
            return self._end()
        if token.kind == "newline":
            return None
        if self.start is None:
            self.start = token.line
        self.last = token.line + token.text.count("\n")
        self._track(token)
        return None

    def _track(self, token: RToken) -> None:
        follows_header = (
            self.previous is not None
            and self.previous.kind == "name"
            and self.previous.text in _HEADER_KEYWORDS
        )
        self.continuing = False
        if token.kind == "open":
            self.depth += 1
            self.headers.append(token.text == "(" and follows_header)
        elif token.kind == "close" and self.depth:
            self.depth -= 1
            self.continuing = self.headers.pop() and not self.depth
        else:
            keyword = token.kind == "name" and token.text in _CONTINUING_KEYWORDS
            self.continuing = token.kind == "op" or keyword
        self.previous = token

    def _end(self) -> tuple[int, int] | None:
        if self.start is None or self.continuing:
            return None
        span = (self.start, self.last)
        self.start, self.previous = None, None
        return span


def select_expressions(code: str, selection: Sequence[int]) -> str | None:
    """`code` with the top-level expressions `selection` does not pick commented out with
    `## ` (knitr's `eval = c(1, 3)`; negative numbers leave those out); None when the code
    cannot be split into expressions or the selection mixes signs."""
    spans = top_level_expressions(code)
    if spans is None or (any(n > 0 for n in selection) and any(n < 0 for n in selection)):
        return None
    numbers = range(1, len(spans) + 1)
    if any(n < 0 for n in selection):
        kept = {n for n in numbers if -n not in selection}
    else:
        kept = {n for n in numbers if n in selection}
    lines = code.split("\n")
    for number, (first, last) in enumerate(spans, start=1):
        if number not in kept:
            for index in range(first, last + 1):
                lines[index] = "## " + lines[index]
    return "\n".join(lines)


def echo_code(code: str, selection: Sequence[int]) -> str | None:
    """The code knitr shows for `echo = c(1, 3)` (or `echo = -2`): only the selected
    top-level expressions, each with the comment lines just above it; None when the code
    cannot be split into expressions or the selection mixes signs."""
    spans = top_level_expressions(code)
    if spans is None or (any(n > 0 for n in selection) and any(n < 0 for n in selection)):
        return None
    lines = code.split("\n")
    kept: list[str] = []
    previous_end = 0
    for number, (first, last) in enumerate(spans, start=1):
        shown = -number not in selection if any(n < 0 for n in selection) else number in selection
        if shown:
            kept.extend(line for line in lines[previous_end:first] if line.strip())
            kept.extend(lines[first : last + 1])
        previous_end = last + 1
    return "\n".join(kept) + "\n" if kept else ""


def shown_code(language: str, code: str, options: Mapping[str, Any]) -> str:
    """The code an R block shows under knitr's display options: `echo = c(1, 3)` keeps the
    selected expressions, `prompt = TRUE` starts each expression's lines with `> ` and
    its continuation lines with `+ `. Other languages, and code that cannot be split into
    expressions, are shown as written."""
    if language != "r":
        return code
    echo = options.get("echo")
    if isinstance(echo, list):
        selected = echo_code(code, [n for n in echo if isinstance(n, int)])
        code = code if selected is None else selected
    if options.get("prompt") is True:
        code = with_prompts(code) or code
    return code


def with_prompts(code: str) -> str | None:
    """`code` as R's console shows it: `> ` before each line, `+ ` before the lines that go
    on with an expression; None when the code cannot be split into expressions."""
    spans = top_level_expressions(code)
    if spans is None:
        return None
    continuing = {line for first, last in spans for line in range(first + 1, last + 1)}
    ending = "\n" if code.endswith("\n") else ""
    lines = code.removesuffix("\n").split("\n")
    prompted = [("+ " if n in continuing else "> ") + line for n, line in enumerate(lines)]
    return "\n".join(prompted) + ending


def r_int_vector(text: str) -> list[int] | None:
    """The integers an R expression of literals stands for: `2`, `-2`, `c(1, 3)`, `1:3`,
    `-c(1, 2)`, `-(1:2)`, `c(1:2, 5)`; None for anything else."""
    text = text.strip().replace(" ", "")
    negate = text.startswith("-") and text[1:2] in ("c", "(")
    if negate:
        text = text[1:]
    if text.startswith("c(") and text.endswith(")"):
        parts = [r_int_vector(part) for part in text[2:-1].split(",")]
        numbers = None if any(p is None for p in parts) else [n for p in parts for n in p or ()]
    elif text.startswith("(") and text.endswith(")"):
        numbers = r_int_vector(text[1:-1])
    else:
        numbers = _int_range(text)
    if numbers is None:
        return None
    return [-n for n in numbers] if negate else numbers


MAX_RANGE = 100_000
"""The longest `a:b` selection read (knitr selects a chunk's expressions; more is no chunk)."""


def _int_range(text: str) -> list[int] | None:
    """`3`, `-3`, `3L` or `a:b` (R's `:` binds looser than unary minus)."""
    match = re.fullmatch(r"(-?\d{1,9})L?(?::(-?\d{1,9})L?)?", text)
    if match is None:
        return None  # not a number, or one no chunk has that many expressions
    first = int(match.group(1))
    if match.group(2) is None:
        return [first]
    last = int(match.group(2))
    if abs(last - first) > MAX_RANGE:
        return None
    step = 1 if last >= first else -1
    return list(range(first, last + step, step))


# --------------------------------------------------------------------------- calls


def opts_chunk_arguments(code: str, setting: str = "opts_chunk") -> list[str]:
    """The argument text of each `knitr::opts_chunk$set(...)` (or `opts_chunk$set(...)`)
    call in `code`, comments removed, in order; [] when there is none or the code
    cannot be read. `setting = "opts_template"` finds `opts_template$set(...)` calls."""
    try:
        tokens = [t for t in tokenize(code) if t.kind not in ("comment", "newline")]
    except RSyntaxError:
        return []
    found = []
    for index in range(len(tokens)):
        if _is_opts_set(tokens, index, setting):
            arguments = _call_arguments(code, tokens, index + 4)
            if arguments is not None:
                found.append(arguments)
    return found


def _is_opts_set(tokens: list[RToken], index: int, setting: str) -> bool:
    texts = [t.text for t in tokens[index : index + 4]]
    if texts != [setting, "$", "set", "("]:
        return False
    before = [t.text for t in tokens[max(0, index - 2) : index]]
    if before[-1:] in (["::"], [":::"]):
        return before[0] == "knitr"
    return before[-1:] not in (["$"], ["@"])


def _call_arguments(code: str, tokens: list[RToken], start: int) -> str | None:
    """The source text between the parenthesis at `tokens[start - 1]` and its match, on
    one line (comments were dropped from `tokens`, so they are left out)."""
    depth = 1
    pieces: list[str] = []
    for token in tokens[start:]:
        if token.kind == "open":
            depth += 1
        elif token.kind == "close":
            depth -= 1
            if not depth:
                return " ".join(pieces)
        if pieces and _adjacent(code, tokens, token):
            pieces[-1] += token.text
        else:
            pieces.append(token.text)
    return None


def _adjacent(code: str, tokens: list[RToken], token: RToken) -> bool:
    """True when no space separates `token` from the token before it in the code."""
    return token.start > 0 and not code[token.start - 1].isspace()


def params_read(code: str) -> list[str]:
    """Names read as `params$name` or `params[["name"]]`, in order of first use."""
    try:
        tokens = [t for t in tokenize(code) if t.kind not in ("comment", "newline")]
    except RSyntaxError:
        return []
    names: dict[str, None] = {}
    for index, token in enumerate(tokens):
        if token.kind != "name" or token.text != "params":
            continue
        if index and tokens[index - 1].text in ("$", "@", "::"):
            continue
        name = _member(tokens[index + 1 : index + 4])
        if name:
            names[name] = None
    return list(names)


def _member(after: list[RToken]) -> str | None:
    """`name` from the tokens after `params`: `$ name` or `[[ "name" ]]`."""
    if len(after) >= 2 and after[0].text == "$" and after[1].kind in ("name", "string"):
        return after[1].text.strip("`'\"")
    if len(after) >= 3 and after[0].text == "[[" and after[1].kind == "string":
        return after[1].text[1:-1]
    return None


# --------------------------------------------------------------------------- noweb


def expand_noweb(
    code: str,
    code_of: Callable[[str], str | None],
    *,
    seen: tuple[str, ...] = (),
    on_missing: Callable[[str], None] | None = None,
) -> str:
    """`code` with each `<<label>>` line replaced by `code_of(label)`, indented like the
    reference and itself expanded; a label `code_of` does not know stays as written (and
    `on_missing` is told), and a label already being expanded raises NowebCycle."""
    if "<<" not in code:
        return code
    lines: list[str] = []
    for text in code.split("\n"):
        match = NOWEB_LINE.match(text)
        if match is None:
            lines.append(text)
            continue
        label = match["label"].strip()
        body = code_of(label)
        if body is None:
            if on_missing is not None:
                on_missing(label)
            lines.append(text)
            continue
        if label in seen:
            raise NowebCycle([*seen, label])
        expanded = expand_noweb(body, code_of, seen=(*seen, label), on_missing=on_missing)
        lines.extend(match["indent"] + part for part in expanded.rstrip("\n").split("\n"))
    return "\n".join(lines)


class NowebCycle(ValueError):
    """`<<a>>` in `a` (directly or through other blocks)."""

    def __init__(self, labels: Sequence[str]) -> None:
        super().__init__(" -> ".join(labels))
        self.labels = tuple(labels)


def noweb_labels(code: str) -> Iterator[str]:
    """Labels referenced by `<<label>>` lines."""
    for text in code.split("\n"):
        match = NOWEB_LINE.match(text)
        if match:
            yield match["label"].strip()


def engine_language(engine: str) -> str:
    """The language a knitr `engine` runs in here: its adapter's, else its own name."""
    lowered = engine.lower()
    return ENGINE_LANGUAGES.get(lowered, lowered)
