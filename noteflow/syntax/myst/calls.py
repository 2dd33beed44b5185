"""What a MyST directive fence says: its name, argument, options and body.

A braced fence (```` ```{note} ````, ```` :::{figure} path ````) is a directive when its
name is not an executable language, an adapter's fence or a component. The options are
`:key: value` lines at the top of the body (values are text; a bare `:flag:` is true)
or a YAML block between `---` lines, as MyST-Parser reads them.
"""

from __future__ import annotations

import logging
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it.token import Token
from markdown_it.utils import EnvType
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ...adapters import adapter_for_fence
from ...components import registry
from ...languages import is_language
from ...yamlio import load_yaml

log = logging.getLogger("noteflow")

FENCE_TYPES = frozenset({"fence", "colon_fence"})
"""Token types that may hold a directive: backtick/tilde fences, and colon fences
(`:::{note}`, a `fence` token with `markup=":::"`, or mdit-py-plugins' `colon_fence`)."""

_DIRECTIVE_INFO = re.compile(
    r"^\{(?P<name>[A-Za-z][\w.:+-]*)(?P<inline>\s[^{}]*)?\}(?P<argument>.*)$", re.DOTALL
)
_INLINE_OPTION = re.compile(r"""(?P<key>[.#]?[\w.:-]+)(?:=(?P<value>"[^"]*"|'[^']*'|\S+))?""")
_CONTINUATION = re.compile(r"^\s*:\s")
_OPTION_LINE = re.compile(r"^\s*:(?P<key>[\w.-]+):(?:\s+(?P<value>.*?))?\s*$")
MYST_SPELLED_COMPONENTS = frozenset({"include"})
"""Components that are also MyST directives: with an argument after the brace
(```` ```{include} chapter.md ````) they are the directive, else the component."""


@dataclass(frozen=True, slots=True)
class DirectiveCall:
    """One directive as written in the document."""

    name: str
    """Lower-cased directive name: `note`, `figure`, `glue:figure`."""
    argument: str
    """Text after the closing brace on the fence line (`figure` path, admonition title)."""
    options: dict[str, Any]
    """`:key: value` options (text values, `True` for a bare flag) or the YAML block's."""
    body: str
    """The body without its option lines."""
    body_line: int
    """0-based document line of the body's first line."""
    map: list[int]
    """The fence token's line map, given to the tokens the directive becomes."""
    level: int
    """The fence token's nesting level."""
    path: str
    """The document, for messages."""
    markup: str = field(default="```")

    @property
    def line(self) -> int:
        """1-based line of the fence, for messages."""
        return self.map[0] + 1

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def option(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    def text_option(self, key: str, default: str = "") -> str:
        value = self.options.get(key)
        return default if value is None or value is True else str(value)

    @property
    def classes(self) -> list[str]:
        value = self.options.get("class")
        if isinstance(value, list):
            return [str(v) for v in value]
        return str(value).split() if value and value is not True else []

    @property
    def label(self) -> str:
        """The directive's target label: `:name:` (or `:label:`, which `math` uses)."""
        return self.text_option("name") or self.text_option("label")


def document_path(env: EnvType) -> str:
    """The document's path for messages, as the parse stage records it in the env."""
    return str(env.get("nf_document_path") or "document")


def document_dir(env: EnvType) -> Path:
    """The folder relative paths (`{include}`, `{literalinclude}`) start from."""
    folder = env.get("nf_document_dir")
    if folder:
        return Path(str(folder))
    path = env.get("nf_document_path")
    return Path(str(path)).parent if path else Path(".")


def directive_call(token: Token, env: EnvType) -> DirectiveCall | None:
    """The directive `token` is, or None for any other token."""
    if token.type not in FENCE_TYPES:
        return None
    match = _DIRECTIVE_INFO.match(token.info.strip())
    if match is None:
        return None
    name, argument = match["name"], match["argument"].strip()
    if not is_directive(name, argument) or _is_pandoc_code(name, env):
        return None
    start = token.map[0] if token.map else 0
    path = document_path(env)
    options, body, skipped = split_options(token.content, path=path, line=start + 2)
    options = {**inline_options(match["inline"] or ""), **options}
    return DirectiveCall(
        name=name.lower(),
        argument=argument,
        options=options,
        body=body,
        body_line=start + 1 + skipped,
        map=list(token.map) if token.map else [0, 1],
        level=token.level,
        path=path,
        markup=token.markup,
    )


def inline_options(text: str) -> dict[str, Any]:
    """mystmd's inline options, `{warning .simple #label icon=false open=true}`: `.cls`
    adds a class, `#id` names the target, `key=value` sets an option (`true` / `false`
    are flags; quotes are removed)."""
    options: dict[str, Any] = {}
    classes: list[str] = []
    for match in _INLINE_OPTION.finditer(text):
        key, value = match["key"], match["value"]
        if key.startswith("."):
            classes.append(key[1:])
        elif key.startswith("#"):
            options["name"] = key[1:]
        elif value is None or value.lower() == "true":
            options[key.lower()] = True
        elif value.lower() != "false":
            options[key.lower()] = value.strip("\"'")
    if classes:
        options["class"] = " ".join(classes)
    return options


KNITR_TEXT_ENGINES = frozenset({"verbatim", "embed", "cat", "css", "asis", "comment"})
"""knitr engines whose chunks show or use text (not MyST directives in an R Markdown file)."""


def _is_pandoc_code(name: str, env: EnvType) -> bool:
    """```` ```{markdown} ```` in a Quarto or R Markdown document: code shown in that
    language (Pandoc has no directives), when Pygments knows the name."""
    path = str(env.get("nf_document_path") or "").lower()
    if not path.endswith((".qmd", ".rmd", ".rmarkdown")):
        return False
    if path.endswith((".rmd", ".rmarkdown")) and name.lower() in KNITR_TEXT_ENGINES:
        return True
    try:
        get_lexer_by_name(name.lower())
    except ClassNotFound:
        return False
    return True


def is_directive(name: str, argument: str) -> bool:
    """A braced fence name that is no language, adapter fence or component."""
    lowered = name.lower()
    if lowered == "code-cell" or adapter_for_fence(lowered) is not None or is_language(lowered):
        return False
    if lowered in registry():
        return lowered in MYST_SPELLED_COMPONENTS and bool(argument)
    return True


def split_options(body: str, *, path: str, line: int) -> tuple[dict[str, Any], str, int]:
    """(options, body without them, number of lines they took). `line`: the body's first
    line (1-based), for YAML errors."""
    lines = body.split("\n")
    if lines and lines[0].strip() == "---":
        return _yaml_block(lines, path=path, line=line)
    written: list[tuple[str, str | None, list[str]]] = []
    taken = 0
    for text in lines:
        match = _OPTION_LINE.match(text)
        if match is not None:
            written.append((match["key"].lower(), match["value"], []))
        elif written and _CONTINUATION.match(text):
            written[-1][2].append(text.lstrip()[1:])
        else:
            break
        taken += 1
    if taken and taken < len(lines) and not lines[taken].strip():
        taken += 1  # the blank line that often separates options from the body
    options = {key: _continued(first, more) for key, first, more in written}
    return options, "\n".join(lines[taken:]), taken


def _continued(first: str | None, more: list[str]) -> Any:
    """An option written over several `:`-prefixed lines: a folded (`>`) or literal (`|`)
    text, a nested mapping (`:mystnb:` then `:  key: value`), or words run on."""
    if not more:
        return _option_value(first)
    text = textwrap.dedent("\n".join(more))
    if first in (">", ">-", "|", "|-"):
        return " ".join(text.split()) if first.startswith(">") else text
    if not first:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text
    return " ".join([first, *text.split()])


def _option_value(text: str | None) -> Any:
    """An option's text; a bare `:flag:` is true; a quoted value loses its quotes."""
    if not text:
        return True
    if len(text) > 1 and text[0] in "'\"" and text[-1] == text[0]:
        try:
            return str(yaml.safe_load(text))
        except yaml.YAMLError:
            return text  # not one quoted value: `"Name", "Score"`
    return text


def _yaml_block(lines: list[str], *, path: str, line: int) -> tuple[dict[str, Any], str, int]:
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return {}, "\n".join(lines), 0
    text = "\n".join(lines[1:end])
    value = load_yaml(text, what="directive options", path=path, line=line + 1).value
    options = {str(k).lower(): v for k, v in value.items()} if isinstance(value, dict) else {}
    return options, "\n".join(lines[end + 1 :]), end + 1
