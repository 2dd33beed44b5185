"""Terminal text to HTML: ANSI SGR colours and styles become `<span class="ansi-...">`.

Owns what a terminal would show of a stream or a traceback: carriage returns overwrite
the line (`collapse_carriage_returns`), SGR escapes set colours and styles
(`ansi_to_html`), every other escape (cursor moves, erases, titles) is dropped;
`strip_ansi` gives the plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

_ESCAPE_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours (SGR, ending in m), cursor moves, erases
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]?"  # other two-byte escapes, or a stray ESC
)
_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m\Z")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

COLOUR_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
_CUBE_LEVELS = (0, 95, 135, 175, 215, 255)


@dataclass(slots=True)
class _Style:
    """The current SGR state. A colour is a CSS class (`ansi-red`) or `#rrggbb`."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False

    def reset(self) -> None:
        self.fg = self.bg = None
        self.bold = self.italic = self.underline = False

    def open_tag(self) -> str:
        """The `<span>` that shows this style, or "" for the default style."""
        classes = [c for c in (self.fg, self.bg) if c and not c.startswith("#")]
        classes += [
            f"ansi-{name}"
            for name, on in (
                ("bold", self.bold),
                ("italic", self.italic),
                ("underline", self.underline),
            )
            if on
        ]
        styles = [
            f"{prop}:{colour}"
            for prop, colour in (("color", self.fg), ("background-color", self.bg))
            if colour and colour.startswith("#")
        ]
        attrs = f' class="{" ".join(classes)}"' if classes else ""
        attrs += f' style="{";".join(styles)}"' if styles else ""
        return f"<span{attrs}>" if attrs else ""


def _palette_class(index: int, background: bool) -> str:
    prefix = "ansi-bg-" if background else "ansi-"
    bright = "bright-" if index >= 8 else ""
    return f"{prefix}{bright}{COLOUR_NAMES[index % 8]}"


def _colour_256(n: int, background: bool) -> str:
    """xterm 256-colour index → a palette class (0-15) or `#rrggbb`."""
    if n < 16:
        return _palette_class(n, background)
    if n < 232:
        n -= 16
        r, g, b = (_CUBE_LEVELS[n // 36], _CUBE_LEVELS[(n // 6) % 6], _CUBE_LEVELS[n % 6])
    else:
        r = g = b = 8 + 10 * (n - 232)
    return f"#{r:02x}{g:02x}{b:02x}"


def _extended_colour(params: list[int], i: int) -> tuple[str | None, int]:
    """Parse `38;5;n` / `38;2;r;g;b` starting at `params[i]`; the colour and next index."""
    mode = params[i + 1] if i + 1 < len(params) else None
    if mode == 5 and i + 2 < len(params):
        return _colour_256(min(params[i + 2], 255), params[i] == 48), i + 3
    if mode == 2 and i + 4 < len(params):
        r, g, b = (min(v, 255) for v in params[i + 2 : i + 5])
        return f"#{r:02x}{g:02x}{b:02x}", i + 5
    return None, len(params)


def _apply_sgr(style: _Style, params: list[int]) -> None:
    """Update `style` by one SGR sequence's parameters."""
    i = 0
    while i < len(params):
        code = params[i]
        if code in (38, 48):
            colour, i = _extended_colour(params, i)
            if colour is not None:
                if code == 38:
                    style.fg = colour
                else:
                    style.bg = colour
            continue
        _apply_simple_sgr(style, code)
        i += 1


def _apply_simple_sgr(style: _Style, code: int) -> None:
    if code == 0:
        style.reset()
    elif code in (1, 22):
        style.bold = code == 1
    elif code in (3, 23):
        style.italic = code == 3
    elif code in (4, 24):
        style.underline = code == 4
    elif 30 <= code <= 37 or 90 <= code <= 97:
        style.fg = _palette_class(code % 10 + (8 if code >= 90 else 0), False)
    elif 40 <= code <= 47 or 100 <= code <= 107:
        style.bg = _palette_class(code % 10 + (8 if code >= 100 else 0), True)
    elif code == 39:
        style.fg = None
    elif code == 49:
        style.bg = None


def _sgr_params(escape: str) -> list[int] | None:
    """The parameters of an SGR escape (`ESC[...m`), or None for any other escape."""
    match = _SGR_RE.match(escape)
    if match is None:
        return None
    return [int(p) if p else 0 for p in re.split("[;:]", match.group(1))]


def collapse_carriage_returns(text: str) -> str:
    """Keep, per line, only the text after the last `\\r`, as a terminal shows it.

    Escapes in the overwritten parts are kept, so colours set there still apply; a
    trailing `\\r` (as in `\\r\\n`) overwrites nothing.
    """
    return "\n".join(_collapse_line(line) for line in text.split("\n"))


def _collapse_line(line: str) -> str:
    segments = line.split("\r")
    shown = max((i for i, seg in enumerate(segments) if seg), default=0)
    hidden = "".join("".join(_ESCAPE_RE.findall(seg)) for seg in segments[:shown])
    return hidden + segments[shown]


def _tokens(text: str) -> Iterator[tuple[str, str | None]]:
    """Split into `(text, None)` and `("", escape)` pieces."""
    position = 0
    for match in _ESCAPE_RE.finditer(text):
        if match.start() > position:
            yield text[position : match.start()], None
        yield "", match.group()
        position = match.end()
    if position < len(text):
        yield text[position:], None


def ansi_to_html(text: str) -> str:
    """Escape terminal text for HTML; SGR colours and styles become `<span>`s.

    Each run of text gets its own span (closed before the style changes), so spans never
    nest. Escapes other than SGR (cursor moves, erases, titles) are dropped.
    """
    style = _Style()
    parts: list[str] = []
    for chunk, escape in _tokens(collapse_carriage_returns(text)):
        if escape is not None:
            params = _sgr_params(escape)
            if params is not None:
                _apply_sgr(style, params)
            continue
        chunk = html.escape(_CONTROL_RE.sub("", chunk), quote=False)
        if not chunk:
            continue
        tag = style.open_tag()
        parts.append(f"{tag}{chunk}</span>" if tag else chunk)
    return "".join(parts)


def strip_ansi(text: str) -> str:
    """Terminal text as plain text: carriage returns applied, escapes removed."""
    return _CONTROL_RE.sub("", _ESCAPE_RE.sub("", collapse_carriage_returns(text)))
