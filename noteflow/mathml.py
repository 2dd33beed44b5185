"""LaTeX math to MathML, so pages show formulas with no script and no network.

Browsers render MathML Core natively. A formula latex2mathml cannot convert is shown as
its escaped source in a `<code class="nf-math-error">`, never dropped. Math can come from
a block's output (`text/latex`, `$…$` in `text/markdown`), so the markup is serialised
here with text escaped and link attributes (`\\href`) dropped: latex2mathml's own
`convert` unescapes its output, which would let `\\text{<script>…}` into the page.

MathML is drawn with a math font (one with an OpenType MATH table). So that a formula
looks the same on every machine, a page with math carries its own: `math_font_style`
gives the `<style>` with Latin Modern Math (GUST Font License, bundled in
`themes/default/fonts/`) inlined as a data URI, subset with fontTools to the characters
the page's math uses (about 15-30 kB rather than 730 kB); a page without math gets none.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import logging
import re
from pathlib import Path
from xml.etree.ElementTree import Element, tostring

logger = logging.getLogger("noteflow")

_LINK_ATTRIBUTES = ("href", "xlink:href")
MATH_FONT_FAMILY = "noteflow math"
_MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ITALIC_RANGES = (
    (ord("A"), ord("Z"), 0x1D434),
    (ord("a"), ord("z"), 0x1D44E),
    (0x391, 0x3A9, 0x1D6E2),
    (0x3B1, 0x3C9, 0x1D6FC),
)


@functools.lru_cache(maxsize=4096)
def latex_to_html(latex: str, *, display: bool) -> str:
    from latex2mathml.converter import convert_to_element

    try:
        tree = convert_to_element(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types for unsupported input
        return f'<code class="nf-math-error" title="could not render">{html.escape(latex)}</code>'
    return _serialise(tree)


def _serialise(tree: Element) -> str:
    """The MathML markup: text escaped, latex2mathml's character references kept as such
    (it stores them as text, `&#x0003C;`), no link attributes."""
    for element in tree.iter():
        for name in _LINK_ATTRIBUTES:
            element.attrib.pop(name, None)
    return tostring(tree, encoding="unicode").replace("&amp;#x", "&#x")


def math_font_style(page_html: str) -> str:
    """A `<style>` that gives the page's `<math>` a bundled math font; "" without math."""
    texts = [_TAG.sub("", m) for m in _MATH_ELEMENT.findall(page_html)]
    if not texts:
        return ""
    characters = _with_italics(frozenset(html.unescape("".join(texts))))
    if "<msqrt" in page_html or "<mroot" in page_html:
        characters |= {"\u221a"}  # the radical sign is drawn from the font, not the text
    font = _font_data_uri(characters)
    if font is None:
        return ""
    return (
        f'<style>@font-face{{font-family:"{MATH_FONT_FAMILY}";src:url({font});}}'
        f'math{{font-family:"{MATH_FONT_FAMILY}",math;}}</style>'
    )


def _with_italics(characters: frozenset[str]) -> frozenset[str]:
    """The characters, and the MATHEMATICAL ITALIC form of each Latin and Greek letter
    among them: browsers draw a one-letter `<mi>` in that form, which no page text holds."""
    italics = set()
    for character in characters:
        code = ord(character)
        for first, last, italic_first in _ITALIC_RANGES:
            if first <= code <= last:
                italics.add(chr(italic_first + code - first))
    if "h" in characters:
        italics.add("\u210e")  # the italic h is PLANCK CONSTANT
    return characters | italics


def math_font_path() -> Path:
    from .theme import themes_root

    return themes_root() / "default" / "fonts" / "latinmodern-math.otf"


@functools.lru_cache(maxsize=64)
def _font_data_uri(characters: frozenset[str]) -> str | None:
    path = math_font_path()
    try:
        font = path.read_bytes()
    except OSError as error:
        logger.warning(
            "the math font %s could not be read (%s): math uses the reader's fonts", path, error
        )
        return None
    try:
        data, mime = _subset(font, "".join(sorted(characters))), "font/woff"
    except ImportError:  # fontTools missing: the whole font, larger but the same
        data, mime = font, "font/otf"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _subset(font: bytes, text: str) -> bytes:
    """The font cut down to `text`'s glyphs (and, through the MATH table, their larger
    sizes and the parts of stretched delimiters), as WOFF."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["ssty", "flac", "dtls"]
    options.notdef_outline = True
    options.drop_tables = [*options.drop_tables, "FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    loaded = TTFont(io.BytesIO(font))
    subsetter.subset(loaded)
    out = io.BytesIO()
    loaded.save(out)
    return out.getvalue()
