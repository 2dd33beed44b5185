"""Quarto shortcodes: `{{< include >}}` splices files in; `meta`, `var`, `env`, `kbd`,
`placeholder` and `pagebreak` are replaced in the text before parsing.

Quarto's rules, as its documentation states them: an include stands on a line of its own
and is the same as pasting the included file there, so its executable blocks run as part
of the document; relative paths (also those of includes inside included files) resolve
from the main document's folder, and a path starting with `/` from the project root (the
nearest folder above with `_quarto.yml`). `{{{< x >}}}` is the escape: it shows `{{< x >}}`.
Shortcodes inside code (fences, indented code, inline code) and in the front matter are
left alone. A shortcode noteflow does not implement (`video`, `embed`, ...) stays visible
and warns once per document.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import os
import re
import shlex
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import DocumentError
from ..frontmatter import dotted_value
from ..model import Origin
from ..yamlio import load_yaml
from .lines import SourceText

log = logging.getLogger("noteflow")

INCLUDE_LINE = re.compile(r"^\s*\{\{<\s*include\s+(?P<argument>.*?)\s*>\}\}\s*$")
SHORTCODE = re.compile(r"\{\{\{<\s*(?P<escaped>.*?)\s*>\}\}\}|\{\{<\s*(?P<body>.*?)\s*>\}\}")
CODE_SPAN = re.compile(r"(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`)")
PROJECT_FILES = ("_quarto.yml", "_quarto.yaml")
VARIABLES_FILE = "_variables.yml"


def project_root(document: Path) -> Path:
    """The nearest folder holding `_quarto.yml`, else the document's own folder."""
    for folder in (document.parent.resolve(), *document.parent.resolve().parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    return document.parent.resolve()


@functools.cache
def _scanner() -> MarkdownIt:
    return MarkdownIt("commonmark").use(front_matter_plugin)


def code_lines(text: str) -> frozenset[int]:
    """0-based lines inside fenced or indented code, or in the front matter."""
    lines: set[int] = set()
    for token in _scanner().parse(text):
        if token.type in ("fence", "code_block", "front_matter") and token.map:
            lines.update(range(*token.map))
    return frozenset(lines)


# ----------------------------------------------------------------------------- includes


@dataclass
class Includes:
    """Expands include lines for one main document; records the files read."""

    main: Path
    read: Callable[[Path], str]
    """Reads a file's text (decoding errors name that file)."""
    root: Path = field(init=False)
    included: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = project_root(self.main)

    def expand(self, source: SourceText, chain: tuple[Path, ...] = ()) -> SourceText:
        if not any("{{<" in line for line in source.lines):
            return source
        chain = chain or (self.main,)
        skip = code_lines(source.text())
        parts: list[SourceText] = []
        start = 0
        for index, line in enumerate(source.lines):
            match = INCLUDE_LINE.match(line) if index not in skip else None
            if match is None:
                continue
            parts.append(source.slice(start, index))
            parts.append(self._splice(match["argument"], source.origins[index], chain))
            start = index + 1
        parts.append(source.slice(start))
        return SourceText.joined(parts)

    def _splice(self, argument: str, where: Origin, chain: tuple[Path, ...]) -> SourceText:
        target = self._resolve(argument, where)
        if target in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(target) :], target))
            raise DocumentError(
                f"include cycle: {cycle}", path=str(where.path), line=where.line or None
            )
        if target not in self.included:
            self.included.append(target)
        text = self.read(target)
        return self.expand(
            _without_front_matter(SourceText.of_file(target, text)), (*chain, target)
        )

    def _resolve(self, argument: str, where: Origin) -> Path:
        words = _words(argument)
        name = words[0] if words else ""
        if not name:
            raise DocumentError(
                "{{< include >}} needs a file name", path=str(where.path), line=where.line or None
            )
        base = self.root if name.startswith("/") else self.main.parent
        target = (base / name.lstrip("/")).resolve()
        if not target.is_file():
            raise DocumentError(
                f"included file not found: {name}",
                path=str(where.path),
                line=where.line or None,
                hint=f"looked for {target}; relative paths start at the main document's folder "
                "(as in Quarto), `/path` at the project root",
            )
        return target


def _without_front_matter(source: SourceText) -> SourceText:
    """An included file's own front matter is not spliced in (it would show as text)."""
    if not source.lines or source.lines[0].rstrip() != "---":
        return source
    for index, line in enumerate(source.lines[1:], 1):
        if line.rstrip() in ("---", "..."):
            log.warning(
                "%s:1: the front matter of an included file is ignored",
                source.origins[0].path,
            )
            return source.slice(index + 1)
    return source


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


# ----------------------------------------------------------------------------- shortcodes


@dataclass
class Shortcodes:
    """Replaces shortcodes in a document's prose; warns once per unknown name."""

    front_matter: Mapping[str, Any]
    variables: Mapping[str, Any]
    warned: set[str] = field(default_factory=set)

    def substitute(self, source: SourceText) -> SourceText:
        if not any("{{" in line for line in source.lines):
            return source
        skip = code_lines(source.text())
        lines = [
            line if index in skip or "{{" not in line else self._line(line, source.origins[index])
            for index, line in enumerate(source.lines)
        ]
        return source.with_lines(lines)

    def _line(self, line: str, where: Origin) -> str:
        pieces: list[str] = []
        start = 0
        for span in CODE_SPAN.finditer(line):
            pieces.append(self._prose(line[start : span.start()], where))
            pieces.append(span.group(0))
            start = span.end()
        pieces.append(self._prose(line[start:], where))
        return "".join(pieces)

    def _prose(self, text: str, where: Origin) -> str:
        return SHORTCODE.sub(lambda match: self._replace(match, where), text)

    def _replace(self, match: re.Match[str], where: Origin) -> str:
        if match["escaped"] is not None:
            return "{{< " + match["escaped"] + " >}}"
        words = _words(match["body"]) or [""]
        name, arguments = words[0], words[1:]
        if name == "pagebreak":
            return ""
        if name == "kbd":
            return _kbd(arguments)
        if name in ("meta", "var") and arguments:
            return self._value(name, arguments[0], where)
        if name == "env" and arguments:
            return self._environment(arguments, where)
        if name == "placeholder":
            return _placeholder(arguments)
        if name == "video" and arguments:
            return _video(arguments)
        self._warn(name, where, _unsupported(name))
        return match.group(0)

    def _value(self, kind: str, key: str, where: Origin) -> str:
        found = dotted_value(self.front_matter if kind == "meta" else self.variables, key)
        if found is not None:
            return _as_text(found)
        self._warn(f"{kind}:{key}", where, f"{kind} '{key}' is not defined")
        return f"?{kind}:{key}"

    def _environment(self, arguments: list[str], where: Origin) -> str:
        """`{{< env NAME >}}`, or `{{< env NAME fallback >}}` when it is not set."""
        found = os.environ.get(arguments[0])
        # The environment is not the author's text (in CI it can hold a branch name or a
        # pull request's title): its value is shown as text, never as HTML.
        if found is not None:
            return html.escape(found, quote=False)
        if len(arguments) > 1:
            return html.escape(arguments[1], quote=False)
        self._warn(
            f"env:{arguments[0]}", where, f"environment variable '{arguments[0]}' is not set"
        )
        return ""

    def _warn(self, key: str, where: Origin, message: str) -> None:
        if key in self.warned:
            return
        self.warned.add(key)
        log.warning("%s:%d: %s", where.path, where.line, message)


_YOUTUBE = re.compile(
    r"^https?://(?:www\.)?(?:youtube\.com/(?:watch\?v=|embed/)|youtu\.be/)(?P<id>[\w-]+)"
)
_VIMEO = re.compile(r"^https?://(?:www\.)?(?:player\.)?vimeo\.com/(?:video/)?(?P<id>\d+)")


def _video(arguments: list[str]) -> str:
    """`{{< video URL title=… width=… height=… start=… >}}` as Quarto shows it: a YouTube
    or Vimeo player, else a `<video>` element (a local file stays a link beside the page,
    as Quarto leaves it; a remote player needs the network, as in Quarto)."""
    source = arguments[0]
    options = dict(a.split("=", 1) for a in arguments[1:] if "=" in a)
    size = "".join(
        f' {name}="{html.escape(options[name], quote=True)}"'
        for name in ("width", "height")
        if name in options
    )
    title = html.escape(options.get("title", ""), quote=True)
    youtube, vimeo = _YOUTUBE.match(source), _VIMEO.match(source)
    if youtube is not None or vimeo is not None:
        if youtube is not None:
            start = f"?start={int(options['start'])}" if options.get("start", "").isdigit() else ""
            player = f"https://www.youtube.com/embed/{youtube['id']}{start}"
        else:
            assert vimeo is not None
            player = f"https://player.vimeo.com/video/{vimeo['id']}"
        element = (
            f'<iframe src="{html.escape(player, quote=True)}" title="{title}"{size} '
            'frameborder="0" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>'
        )
    else:
        element = f'<video controls src="{html.escape(source, quote=True)}"{size}></video>'
    return f'<span class="quarto-video">{element}</span>'


def _kbd(arguments: list[str]) -> str:
    """`{{< kbd Ctrl-C >}}` (or only per-platform keys, `mac=Cmd-C`: the first is shown)."""
    keys = [a for a in arguments if "=" not in a] or [a.split("=", 1)[1] for a in arguments]
    return f"<kbd>{html.escape(keys[0] if keys else '')}</kbd>"


def _placeholder(arguments: list[str]) -> str:
    """`{{< placeholder 300 200 >}}`: the address of a grey image that size (100 by 100
    by default; the height defaults to the width), as Quarto's placeholder, written as a
    PNG `data:` URI (the one image kind Markdown links accept as data)."""
    sizes = [int(a) for a in arguments if a.isdigit()]
    width = min(sizes[0] if sizes else 100, PLACEHOLDER_MAX) or 1
    height = min(sizes[1] if len(sizes) > 1 else width, PLACEHOLDER_MAX) or 1
    return "data:image/png;base64," + base64.b64encode(_grey_png(width, height)).decode("ascii")


PLACEHOLDER_MAX = 4000


def _grey_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = (b"\x00" + b"\xdd" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _unsupported(name: str) -> str:
    if name == "include":
        return "{{< include >}} must stand on a line of its own; shown as written"
    return f"shortcode {{{{< {name} >}}}} is not supported; shown as written"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    return " ".join(str(value).split("\n")).strip()


def read_variables(root: Path) -> Mapping[str, Any]:
    """The project's `_variables.yml` (empty when there is none or it is not a mapping)."""
    path = root / VARIABLES_FILE
    if not path.is_file():
        return {}
    try:
        return mapping_of(path.read_text(encoding="utf-8"), what=str(path), path=path, line=1)
    except (OSError, UnicodeDecodeError) as err:
        log.warning("%s: cannot read variables: %s", path, err)
        return {}


def front_matter_of(lines: Iterable[str]) -> Mapping[str, Any]:
    """The leading YAML front matter as a mapping (empty when absent or not readable here;
    the parse stage reports what is wrong with it)."""
    iterator = iter(lines)
    if next(iterator, "").rstrip() != "---":
        return {}
    body: list[str] = []
    for line in iterator:
        if line.rstrip() in ("---", "..."):
            return mapping_of("\n".join(body), what="front matter", path=None, line=2)
        body.append(line)
    return {}


def mapping_of(text: str, *, what: str, path: Path | None, line: int) -> Mapping[str, Any]:
    """YAML text's mapping, through noteflow's safe loader; {} if it is not one. A variables
    file that does not load warns; the front matter's problems are the parse stage's."""
    try:
        value = load_yaml(text, what=what, path=str(path) if path else None, line=line).value
    except DocumentError as err:
        if path is not None:
            log.warning("%s", err)
        return {}
    return value if isinstance(value, Mapping) else {}
