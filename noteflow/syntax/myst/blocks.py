"""Directives that are one element of the page: figure, image, math, code, include,
toctree and glossary.

Images become markdown-it `image` tokens (so the images plugin inlines local files like
any `![](fig.png)`); math and code become `myst_math` / `myst_code` tokens rendered with
their numbers once the document is numbered (`leaves.py`).
"""

from __future__ import annotations

import logging
import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from markdown_it.token import Token

from .calls import DirectiveCall, document_dir
from .tokens import close_tag, first_inline, inline, leaf, mark_target, open_tag, text_inline, wrap

if TYPE_CHECKING:
    from .expand import Expander

log = logging.getLogger("noteflow")

_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]])")
_TOC_ENTRY = re.compile(r"^(?P<title>.*?)\s*<(?P<path>[^<>]+)>$")
_SLUG_SEPARATORS = re.compile(r"[^\w]+")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\s*$", re.DOTALL | re.MULTILINE)
_IMAGE_LINE = re.compile(r"^!\[(?P<alt>[^\]]*)\]\([^)]*\)(?:\{[^}]*\})?$")
_FIRST_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def figure(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`<figure>`: the image, then the body as caption (its first paragraph numbered).
    Without an image argument (mystmd), the body's leading paragraphs of images are
    sub-figures, lettered (a), (b) and labelled `<label>-a`, `<label>-b`."""
    body = expander.body(call)
    pictures: list[Token] = [image_token(call)]
    if not call.argument.strip():
        pictures, body = _subfigures(call, body)
    caption = first_inline(body)
    if caption is not None and call.label:
        caption.meta["myst_number"] = call.label
    classes = ["nf-figure", "myst-figure", _align(call), *call.classes]
    width = call.text_option("figwidth")
    attrs = {"style": f"width: {_length(width)}"} if width else {}
    start = open_tag(call, "figure", classes=classes, ident=call.label, attrs=attrs)
    mark_target(start, call.label, "fig", caption.content if caption else "")
    tokens = [start, *pictures]
    if body:
        tokens += wrap(call, "figcaption", body)
    return [*tokens, close_tag(call, "figure")]


def _subfigures(call: DirectiveCall, body: list[Token]) -> tuple[list[Token], list[Token]]:
    """(sub-figure tokens, the rest of the body) from the body's leading image lines."""
    images: list[tuple[str, str]] = []  # (image Markdown, its own `(label)=` or "")
    at, own = 0, ""
    while at + 2 < len(body):
        if body[at].type == "myst_target":
            own, at = body[at].content.strip(), at + 1
            continue
        lines = body[at + 1].content.split("\n") if body[at].type == "paragraph_open" else []
        if not lines or not all(_IMAGE_LINE.match(line.strip()) for line in lines):
            break
        images += [(line.strip(), own if not n else "") for n, line in enumerate(lines)]
        at, own = at + 3, ""
    pictures: list[Token] = []
    for number, (text, own_label) in enumerate(images):
        letter = chr(ord("a") + number)
        label = own_label or (f"{call.label}-{letter}" if call.label else "")
        alt = _IMAGE_LINE.match(text)["alt"]  # type: ignore[index]
        start = open_tag(call, "figure", classes=["nf-subfigure"], ident=label)
        mark_target(start, label, "fig", alt)
        caption = inline(call, alt, myst_number=label) if alt or label else None
        captioned = wrap(call, "figcaption", [caption]) if caption is not None else []
        pictures += [start, inline(call, text), *captioned, close_tag(call, "figure")]
    return pictures, body[at:]


def figure_md(call: DirectiveCall, expander: Expander) -> list[Token]:
    """MyST-Parser's `{figure-md} name`: the body's first paragraph holds the image (as
    Markdown), the rest is the caption; the argument or `:name:` is the target."""
    label = call.label or call.argument.strip()
    body = expander.body(call)
    image_end = next((i for i, t in enumerate(body) if t.type == "paragraph_close"), -1) + 1
    picture, caption_body = body[1 : image_end - 1], body[image_end:]
    caption = first_inline(caption_body)
    if caption is not None and label:
        caption.meta["myst_number"] = label
    classes = ["nf-figure", "myst-figure", _align(call), *call.classes]
    start = open_tag(call, "figure", classes=classes, ident=label)
    mark_target(start, label, "fig", caption.content if caption else "")
    tokens = [start, *picture]
    if caption_body:
        tokens += wrap(call, "figcaption", caption_body)
    return [*tokens, close_tag(call, "figure")]


def image(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{image} path`: an image, aligned and sized as its options say."""
    classes = ["nf-image", _align(call)]
    return wrap(call, "div", [image_token(call)], classes=classes, ident=call.label)


def image_token(call: DirectiveCall) -> Token:
    """The image as inline Markdown (`![alt](<path>)`), its size set after inline parsing."""
    alt = _MARKDOWN_SPECIAL.sub(r"\\\1", call.text_option("alt"))
    style = "; ".join(
        f"{key}: {_length(call.text_option(key))}"
        for key in ("width", "height")
        if key in call.options
    )
    attrs = {"style": style} if style else {}
    if call.classes:
        attrs["class"] = " ".join(call.classes)
    return inline(call, f"![{alt}](<{call.argument}>)", myst_image=attrs)


def _align(call: DirectiveCall) -> str:
    return f"align-{call.text_option('align')}" if call.option("align") else ""


def _length(value: str) -> str:
    """A docutils length: a bare number is pixels."""
    return f"{value}px" if value.replace(".", "", 1).isdigit() else value


def math(call: DirectiveCall, expander: Expander) -> list[Token]:
    """Display math, numbered when it has a `:label:`."""
    token = leaf(call, "myst_math", call.body, label=call.label)
    mark_target(token, call.label, "eq")
    return [token]


def code(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A highlighted, never-run code block: language argument, `:linenos:`,
    `:lineno-start:`, `:emphasize-lines:`, `:caption:` and `:name:`."""
    return [_code_token(call, call.body, call.argument.split()[0] if call.argument else "")]


def _code_token(call: DirectiveCall, text: str, language: str) -> Token:
    token = leaf(
        call,
        "myst_code",
        text,
        language=language or call.text_option("language"),
        linenos=bool(call.option("linenos") or call.option("number-lines")),
        start=call.text_option("lineno-start") or call.text_option("number-lines"),
        emphasize=call.text_option("emphasize-lines"),
        caption=call.text_option("caption"),
        label=call.label,
        classes=call.classes,
    )
    mark_target(token, call.label, "code", call.text_option("caption"))
    return token


def literalinclude(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A file shown as code (`:language:` or the file's extension)."""
    text = _read(call, expander)
    if text is None:
        return [_missing(call)]
    language = call.text_option("language") or Path(call.argument).suffix.lstrip(".")
    return [_code_token(call, _between_markers(call, text), language)]


def include(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{include} path`: another Markdown file's text, parsed here (its code cells run as
    part of this document); `:literal:` / `:code: lang` show it as text or code."""
    text = _read(call, expander)
    if text is None:
        return [_missing(call)]
    text = _between_markers(call, _without_front_matter(text))
    if call.option("literal") or call.option("code"):
        return [_code_token(call, text, call.text_option("code"))]
    tokens = expander.markdown(text, call.map[0], call.level)
    for token in tokens:
        token.map = list(call.map)  # messages about included text point at the include
    return tokens


def _read(call: DirectiveCall, expander: Expander) -> str | None:
    """The included file's text, listed in `env["nf_assets"]` (the page depends on it:
    watch and build track it, as they track inlined images)."""
    path = (document_dir(expander.env) / call.argument.strip()).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        log.warning("%s: cannot include %s: %s", call.where, call.argument, err.__class__.__name__)
        return None
    assets = expander.env.setdefault("nf_assets", [])
    if str(path) not in assets:
        assets.append(str(path))
    return text


def _missing(call: DirectiveCall) -> Token:
    return leaf(call, "myst_missing", f"{call.name}: {call.argument} not found")


def _without_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return text[text.find("\n", end + 1) + 1 :] if "\n" in text[end + 1 :] else ""
    return text


def _between_markers(call: DirectiveCall, text: str) -> str:
    after, before = call.text_option("start-after"), call.text_option("end-before")
    if after and after in text:
        text = text.split(after, 1)[1].split("\n", 1)[-1]
    if before and before in text:
        text = text.split(before, 1)[0]
    return text


def toctree(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A list of links to the other pages (`path` -> `path.html`); `:hidden:` shows none."""
    if call.option("hidden"):
        return []
    items: list[Token] = []
    for entry in (line.strip() for line in call.body.split("\n")):
        if entry and entry != "self" and "*" not in entry:
            items += wrap(call, "li", [_page_link(call, entry, document_dir(expander.env))])
    caption = call.text_option("caption")
    heading = wrap(call, "p", [inline(call, caption)], classes=["caption"]) if caption else []
    return wrap(call, "nav", [*heading, *wrap(call, "ul", items)], classes=["nf-toctree"])


def _page_link(call: DirectiveCall, entry: str, folder: Path) -> Token:
    match = _TOC_ENTRY.match(entry)
    title, target = (match["title"], match["path"]) if match else ("", entry)
    link = Token("link_open", "a", 1)
    link.attrSet("href", page_href(target))
    text = Token("text", "", 0, content=title or page_title(folder, target))
    return Token("inline", "", 0, map=call.map, children=[link, text, Token("link_close", "a", -1)])


def page_title(folder: Path, target: str) -> str:
    """Another document's title, as a link to it shows: its front matter's `title`, else
    its first heading, else its file name (`chapters/setup` or `setup.md`)."""
    path = folder / target.partition("#")[0]
    suffixes = [path.suffix] if path.suffix else [".md", ".qmd", ".Rmd", ".markdown"]
    for suffix in suffixes:
        try:
            text = path.with_suffix(suffix).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        return _title_of(text) or path.stem
    return path.stem


def _title_of(text: str) -> str:
    front = _FRONT_MATTER.match(text)
    if front is not None:
        try:
            data = yaml.safe_load(front[1])
        except Exception:  # that document's own render reports its bad front matter
            data = None
        if isinstance(data, dict) and data.get("title"):
            return str(data["title"])
    heading = _FIRST_HEADING.search(text)
    return heading[1].strip() if heading else ""


def page_href(target: str) -> str:
    """The page another document becomes: `intro` or `intro.md` -> `intro.html`."""
    path, _, anchor = target.partition("#")
    stem = re.sub(r"\.(md|ipynb|rst|qmd|rmd)$", "", path, flags=re.IGNORECASE)
    return f"{stem}.html" + (f"#{anchor}" if anchor else "")


def glossary(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`<dl class="glossary">`: unindented lines are terms, indented lines define them."""
    terms_seen = expander.env.setdefault("nf_myst_terms", set())
    items: list[Token] = []
    for terms, definition, offset in glossary_entries(call.body):
        for term in terms:
            terms_seen.add(term_id(term))
            items += wrap(call, "dt", [text_inline(call, term)], ident=term_id(term))
        body = expander.markdown(definition, call.body_line + offset, call.level + 1)
        items += wrap(call, "dd", body)
    return wrap(call, "dl", items, classes=["glossary", *call.classes])


def glossary_entries(body: str) -> list[tuple[list[str], str, int]]:
    """(terms, definition text, line of the definition within the body) per entry."""
    entries: list[tuple[list[str], str, int]] = []
    terms: list[str] = []
    definition: list[str] = []
    start = 0
    for number, text in enumerate(body.split("\n")):
        if text[:1] in (" ", "\t") or (not text.strip() and definition):
            start = start if definition else number
            definition.append(text)
        elif text.strip():
            if definition:
                entries.append((terms, textwrap.dedent("\n".join(definition)), start))
                terms, definition = [], []
            terms.append(text.strip())
    if terms:
        entries.append((terms, textwrap.dedent("\n".join(definition)), start))
    return entries


def term_id(term: str) -> str:
    """The anchor of a glossary term, as Sphinx makes it: `term-my-term`."""
    return "term-" + _SLUG_SEPARATORS.sub("-", term.lower()).strip("-")
