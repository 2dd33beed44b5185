"""Local images in prose: inlined as data URIs, so a rendered page is self-contained.

Owns Markdown images (`![alt](fig.png)`) and simple raw `<img src="fig.png">` tags whose
source is a relative path. At parse time each is resolved against the document's folder
(`env["nf_document_dir"]`, set by the parse stage); the files found are listed in
`env["nf_assets"]` (the page depends on them: watch and build track them), a missing one
warns with the document's file and line and keeps its link. At render time a found file
is read and written into the page as a `data:` URI. Remote URLs are left as they are.

An image alone in its paragraph (or as the only content of a link) with a caption (its
alt text) or an id is a figure, as in Pandoc and Quarto: `![Caption](x.png){#fig-x
width=50%}` gives Quarto's `div#fig-x > figure.quarto-float-fig` with the caption under
it, numbered "Figure 1: …" when its id starts with `fig-` ("Table 1: …" for `tbl-`; the
target is declared for the cross-reference stage). An image written without an
extension is the `.png` of that name, as Quarto's HTML default.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from .crossref import TargetMark, caption_html, caption_prefix
from .myst.dialect import is_myst_document
from .pandoc.attributes import Attributes, html_attributes, parse_braced
from .pandoc.floats import FLOAT_CLOSE, FLOAT_OPEN
from .pandoc.tables import matching_open

logger = logging.getLogger("noteflow")

_HTML_IMG_SRC = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)([\"'])([^\"'<>]*)\2", re.IGNORECASE)
_NOT_IMG_ATTRIBUTES = frozenset(("src", "alt", "fig-alt", "fig-align"))
DEFAULT_IMAGE_EXTENSION = ".png"
"""What Quarto adds to an image written without an extension, for HTML."""
_EXTRA_TYPES = {".svg": "image/svg+xml", ".webp": "image/webp", ".avif": "image/avif"}


def plugin(md: MarkdownIt) -> None:
    """Resolve local images after inline parsing; render them inlined."""
    if "attr" in md.inline.ruler.get_all_rules():  # before the generic attribute syntax
        md.inline.ruler.before("attr", "nf_image_attributes", image_attributes)
    else:
        md.inline.ruler.push("nf_image_attributes", image_attributes)
    md.core.ruler.push("nf_images", resolve_images)
    md.add_render_rule("image", render_image)
    md.add_render_rule("nf_figure_open", render_figure_open)
    md.add_render_rule("nf_figure_close", render_figure_close)
    for name in ("html_block", "html_inline"):
        _wrap_html_rule(md, name)


# ------------------------------------------------------------------ parse time


def image_attributes(state: StateInline, silent: bool) -> bool:
    """`{#fig-x width=50%}` right after an image, read as Pandoc reads it (a bare value
    may hold `%`, which the generic attribute syntax takes for a comment)."""
    if state.src[state.pos] != "{" or state.pending or not state.tokens:
        return False
    image = state.tokens[-1]
    end = state.src.find("}", state.pos)
    if image.type != "image" or end < 0:
        return False
    attributes = parse_braced(state.src[state.pos : end + 1])
    if attributes is None:
        return False
    if not silent:
        if attributes.id:
            image.attrSet("id", attributes.id)
        if attributes.classes:
            image.attrSet("class", " ".join(attributes.classes))
        for key, value in attributes.values.items():
            image.attrSet(key, value)  # as written: the renderer decides what HTML gets
    state.pos = end + 1
    return True


def local_path(src: str, env: Mapping[str, Any]) -> Path | None:
    """The file a relative image source names, or None for a URL or an absolute path."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith(("/", "#")):
        return None
    folder = Path(str(env["nf_document_dir"]))
    return (folder / unquote(parts.path)).resolve()


def resolve_images(state: StateCore) -> None:
    """Find each local image's file (when the Markdown is a document's) and make figures."""
    reads_files = "nf_document_dir" in state.env  # Markdown with no document reads none
    # MyST makes no implicit figures: a lone `![alt](x)` there is just an image.
    implicit_figures = not is_myst_document(state.env, state.src)
    floats: list[list[Any]] = []  # the figure divs open here: [id, sub-figures so far]
    for index, token in enumerate(state.tokens):
        line = (token.map[0] if token.map else 0) + 1
        if token.type == FLOAT_OPEN:
            floats.append([token.meta["nf_attributes"].id, 0])
        elif token.type == FLOAT_CLOSE:
            floats.pop()
        elif token.type == "html_block" and reads_files:
            _resolve_html(token, line, state.env)
        elif token.type == "inline":
            if reads_files:
                _resolve_inline(token, line, state.env)
            parent = floats[-1] if floats and floats[-1][0].startswith("fig-") else None
            if implicit_figures or parent is not None:
                _make_figure(state.tokens, index, parent)


def _resolve_inline(inline: Token, line: int, env: EnvType) -> None:
    for child in inline.children or ():
        if child.type == "image":
            _resolve(child, str(child.attrGet("src") or ""), line, env)
        elif child.type == "html_inline":
            _resolve_html(child, line, env)


def _resolve(token: Token, src: str, line: int, env: EnvType) -> None:
    path = local_path(src, env)
    if path is None:
        return
    if not path.suffix and not path.is_file():
        path = path.with_suffix(DEFAULT_IMAGE_EXTENSION)  # `![](elephant)`, as Quarto
    if path.is_file():
        token.meta.setdefault("nf_images", {})[src] = str(path)
        assets = env.setdefault("nf_assets", [])
        if str(path) not in assets:
            assets.append(str(path))
        return
    document = env.get("nf_document_path") or env.get("nf_document_dir") or "document"
    logger.warning(
        "%s:%d: image %s not found (looked for %s); its link is kept", document, line, src, path
    )


def _resolve_html(token: Token, line: int, env: EnvType) -> None:
    for match in _HTML_IMG_SRC.finditer(token.content):
        _resolve(token, match[3], line, env)


# --------------------------------------------------------------------- figures


def _make_figure(tokens: list[Token], inline_index: int, parent: list[Any] | None) -> None:
    """A paragraph holding only an image (perhaps inside a link) with alt text or an id
    becomes a figure; in a figure div (`parent`), a sub-figure, labelled `<div id>-<n>`
    unless it has an id. An id starting `fig-` or `tbl-` declares a numbered target."""
    if inline_index == 0 or inline_index + 1 >= len(tokens):
        return
    opening, inline, closing = tokens[inline_index - 1 : inline_index + 2]
    image = _lone_image(inline) if opening.type == "paragraph_open" else None
    if image is None:
        return
    label = str(image.attrGet("id") or "")
    if not image.children and not label:
        return
    if parent is not None and not label:
        parent[1] += 1
        label = f"{parent[0]}-{parent[1]}"
    opening.type, closing.type = "nf_figure_open", "nf_figure_close"
    opening.tag = closing.tag = "figure"
    opening.meta["nf_image"] = closing.meta["nf_image"] = image
    kind = label.split("-", 1)[0] if label.startswith(_FLOAT_PREFIXES) else ""
    opening.meta["nf_float_kind"] = closing.meta["nf_float_kind"] = kind or "fig"
    opening.meta["nf_sub"] = closing.meta["nf_sub"] = parent is not None
    if label:
        image.attrs.pop("id", None)
        opening.attrSet("id", label)
        if kind:
            opening.meta["nf_target"] = TargetMark(label, kind)


_FLOAT_PREFIXES = ("fig-", "tbl-")


def _lone_image(inline: Token) -> Token | None:
    """The image that is all of a paragraph's content, alone or as a link's only content."""
    children = [
        c for c in inline.children or () if not (c.type == "text" and not c.content.strip())
    ]
    if len(children) == 3 and (children[0].type, children[2].type) == ("link_open", "link_close"):
        children = children[1:2]
    if len(children) != 1 or children[0].type != "image":
        return None
    return children[0]


def _figure_classes(image: Token, kind: str, *, sub: bool, numbered: bool) -> tuple[str, str]:
    """Quarto's classes for a figure's outer `div` and inner `figure`: `quarto-float` and
    `quarto-float-fig` when numbered, `quarto-subfloat-fig` for a sub-figure, the
    alignment always, and noteflow's own."""
    align = str(image.attrGet("fig-align") or "") or "center"
    own = f"quarto-figure-{align} nf-figure-image"
    if sub:
        return f"quarto-subfloat-{kind} {own}", f"quarto-subfloat-{kind}"
    if numbered:
        return f"quarto-float quarto-figure {own}", f"quarto-float quarto-float-{kind}"
    return f"quarto-figure {own}", "figure"


# ------------------------------------------------------------------- rendering


def data_uri(path: str) -> str | None:
    """The file as a `data:` URI; None if it cannot be read any more."""
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        logger.warning("image %s could not be read (%s); its link is kept", path, error)
        return None
    suffix = Path(path).suffix.lower()
    mime = _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def _inlined(token: Token, src: str) -> str:
    path = token.meta.get("nf_images", {}).get(src)
    return (data_uri(path) if path else None) or src


def render_image(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = str(
        token.attrGet("fig-alt") or self.renderInlineAsText(token.children or [], options, env)
    )
    values = {k: str(v) for k, v in token.attrs.items() if k not in _NOT_IMG_ATTRIBUTES}
    ident, classes = values.pop("id", ""), values.pop("class", "")
    style = "".join(
        f"{key}:{values.pop(key)};"
        for key in ("width", "height")
        if values.get(key, "")[-1:] == "%"
    )
    if style:
        values["style"] = style + values.get("style", "")
    attrs = html_attributes(Attributes(ident, tuple(classes.split()), values))
    extra = "".join(f' {escapeHtml(k)}="{escapeHtml(str(v))}"' for k, v in attrs.items())
    return f'<img src="{escapeHtml(_inlined(token, src))}" alt="{escapeHtml(alt)}"{extra}>'


def render_figure_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Quarto's figure markup: a `div` with the id around a `figure`."""
    token = tokens[idx]
    label = str(token.attrGet("id") or "")
    kind, sub = token.meta["nf_float_kind"], token.meta["nf_sub"]
    outer, inner = _figure_classes(token.meta["nf_image"], kind, sub=sub, numbered=bool(label))
    ident = f' id="{escapeHtml(label)}"' if label else ""
    return f'<div{ident} class="{outer}">\n<figure class="{inner}">\n'


def render_figure_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    image: Token = tokens[idx].meta["nf_image"]
    caption = self.renderInline(image.children or [], options, env)
    label = str(tokens[matching_open(tokens, idx)].attrGet("id") or "")
    xrefs = env.get("nf_xrefs")
    target = xrefs.lookup(label) if xrefs is not None and label else None
    if target is not None and caption_prefix(target):
        caption = caption_html(target, caption)
    if not caption:
        return "\n</figure>\n</div>\n"
    caption_class = _caption_class(tokens[idx], label)
    return f"\n<figcaption{caption_class}>{caption}</figcaption>\n</figure>\n</div>\n"


def _caption_class(closing: Token, label: str) -> str:
    """Quarto's caption classes for a numbered figure or a sub-figure; none otherwise."""
    kind = closing.meta["nf_float_kind"]
    if closing.meta["nf_sub"]:
        return f' class="quarto-subfloat-caption quarto-subfloat-{kind}"'
    return f' class="quarto-float-caption quarto-float-{kind}"' if label else ""


def _wrap_html_rule(md: MarkdownIt, name: str) -> None:
    """Raw HTML renders as before, with its local `<img src>` inlined."""
    renderer: Any = md.renderer
    previous = renderer.rules.get(name)

    def rule(
        self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        html = previous(tokens, idx, options, env) if previous else tokens[idx].content
        if "nf_images" not in tokens[idx].meta:
            return str(html)
        return _HTML_IMG_SRC.sub(
            lambda m: f"{m[1]}{m[2]}{_inlined(tokens[idx], m[3])}{m[2]}", str(html)
        )

    md.add_render_rule(name, rule)
