"""What each MyST directive becomes: a registry `DIRECTIVES` of name -> builder.

A builder takes the `DirectiveCall` and the `Expander` (which parses Markdown bodies into
tokens) and returns the tokens to splice into the document, the HTML following what
MyST-Parser and sphinx-design write (`<div class="admonition note">`, `<figure>` with a
numbered `<figcaption>`, radio-button tabs). Builders of one family live in their own
module (`tables`, `glue`, `blocks`); this module holds the admonitions and containers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from markdown_it.token import Token
from markdown_it.utils import EnvType

from . import blocks, evaluate, glue, tables
from .calls import DirectiveCall
from .tokens import inline, leaf, mark_target, titled, void_tag, wrap

if TYPE_CHECKING:
    from .expand import Expander

Build = Callable[[DirectiveCall, "Expander"], list[Token]]

ADMONITION_TITLES = {
    "note": "Note",
    "tip": "Tip",
    "hint": "Hint",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "error": "Error",
    "seealso": "See also",
    "admonition": "Note",
}
"""Admonition directives and their default titles (the argument, when given, replaces it)."""


def admonition(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`<div class="admonition note">` with a title; `:class: dropdown` folds it."""
    kind = [] if call.name == "admonition" else [call.name]
    classes = ["admonition", *kind, *call.classes]
    title = call.argument or ADMONITION_TITLES[call.name]
    body = expander.body(call)
    if "dropdown" not in classes and not call.option("open"):
        inner = [*titled(call, "p", title, "admonition-title"), *body]
        return _named(call, wrap(call, "div", inner, classes=classes, ident=call.label))
    inner = [*titled(call, "summary", title, "admonition-title"), *body]
    attrs = {"open": ""} if call.option("open") else {}
    classes = [*classes, "dropdown"] if "dropdown" not in classes else classes
    return _named(
        call, wrap(call, "details", inner, classes=classes, ident=call.label, attrs=attrs)
    )


def _named(call: DirectiveCall, tokens: list[Token]) -> list[Token]:
    """A `:name:` on an unnumbered directive: a plain target with the argument as title."""
    mark_target(tokens[0], call.label, "target", call.argument)
    return tokens


def box(tag: str, kind: str, title_class: str = "") -> Build:
    """A container (`topic`, `sidebar`, `epigraph`, …): its argument as title, if any."""

    def build(call: DirectiveCall, expander: Expander) -> list[Token]:
        title = titled(call, "p", call.argument, title_class) if call.argument else []
        inner = [*title, *expander.body(call)]
        classes = [kind, *call.classes]
        return _named(call, wrap(call, tag, inner, classes=classes, ident=call.label))

    return build


def paragraph(kind: str) -> Build:
    """A one-line directive (`rubric`, `centered`): its argument as a paragraph."""

    def build(call: DirectiveCall, expander: Expander) -> list[Token]:
        return wrap(call, "p", [inline(call, call.argument)], classes=[kind, *call.classes])

    return build


VERSION_TEXT = {
    "versionadded": "Added in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "versionremoved": "Removed in version",
}


def version_note(call: DirectiveCall, expander: Expander) -> list[Token]:
    """Sphinx's `versionadded` and kin: "Added in version 1.2: " then the body."""
    version, _, explanation = call.argument.partition(" ")
    title = f"{VERSION_TEXT[call.name]} {version}" + (f": {explanation}" if explanation else "")
    body = expander.body(call)
    if body[:1] and body[0].type == "paragraph_open" and not explanation:
        body[1].meta["myst_lead"] = f"{title}: "  # Sphinx: one paragraph, title first
        inner = body
    else:
        inner = [*titled(call, "p", title, "versionmodified"), *body]
    return wrap(call, "div", inner, classes=[call.name, "nf-version", *call.classes])


def dropdown(call: DirectiveCall, expander: Expander) -> list[Token]:
    """sphinx-design's dropdown: a `<details>`, open with `:open:`."""
    attrs = {"open": ""} if call.option("open") else {}
    inner = [*titled(call, "summary", call.argument or "Details", "nf-dropdown-title")]
    inner += expander.body(call)
    classes = ["nf-dropdown", *call.classes]
    return _named(
        call, wrap(call, "details", inner, classes=classes, ident=call.label, attrs=attrs)
    )


def card(call: DirectiveCall, expander: Expander) -> list[Token]:
    """sphinx-design's card (and grid-item-card): title, body, footer, optional link."""
    inner: list[Token] = []
    link = call.text_option("link")
    if call.option("header"):
        inner += titled(call, "div", call.text_option("header"), "nf-card-header")
    if call.argument:
        title = f"[{call.argument}]({link})" if link else call.argument
        inner += titled(call, "div", title, "nf-card-title")
    inner += expander.body(call)
    if call.option("footer"):
        inner += titled(call, "div", call.text_option("footer"), "nf-card-footer")
    classes = ["nf-card", *call.classes]
    tokens = wrap(call, "div", inner, classes=classes, ident=call.label)
    if call.name == "grid-item-card":
        return wrap(call, "div", tokens, classes=["nf-grid-item"])
    return tokens


def grid(call: DirectiveCall, expander: Expander) -> list[Token]:
    """sphinx-design's grid: the widest column count of its argument (`1 2 3 4`)."""
    counts = [int(word) for word in call.argument.split() if word.isdigit()]
    columns = {"style": f"--nf-grid-columns: {max(counts)}"} if counts else {}
    classes = ["nf-grid", *call.classes]
    return wrap(call, "div", expander.body(call), classes=classes, attrs=columns)


def tab_set(call: DirectiveCall, expander: Expander) -> list[Token]:
    """Radio-button tabs: the tab-items' inputs share one name; the first is checked."""
    body = expander.body(call)
    number = _next_number(expander.env, "nf_myst_tabsets")
    inputs = [t for t in body if t.meta.get("myst_tab") and not t.attrGet("name")]
    for tab_input in inputs:
        tab_input.attrSet("name", f"nf-myst-tabset-{number}")
    chosen = next((t for t in inputs if t.meta.get("selected")), inputs[0] if inputs else None)
    if chosen is not None:
        chosen.attrSet("checked", "checked")
    return wrap(call, "div", body, classes=["nf-tabset", *call.classes], ident=call.label)


def tab_item(call: DirectiveCall, expander: Expander) -> list[Token]:
    """One tab: its radio input, its label (the argument) and its panel."""
    ident = f"nf-myst-tab-{_next_number(expander.env, 'nf_myst_tabs')}"
    tab_input = void_tag(call, "input", {"type": "radio", "id": ident, "class": "nf-tab-input"})
    tab_input.meta.update(myst_tab=True, selected=bool(call.option("selected")))
    label = wrap(call, "label", [inline(call, call.argument or "Tab")], attrs={"for": ident})
    label[0].attrSet("class", "nf-tab-label")
    panel = wrap(call, "div", expander.body(call), classes=["nf-tab-panel", *call.classes])
    return [tab_input, *label, *panel]


def _next_number(env: EnvType, key: str) -> int:
    env[key] = env.get(key, 0) + 1
    return int(env[key])


def raw(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{raw} html`: the body inserted as it is; other formats are dropped (as Sphinx's
    HTML builder drops them)."""
    if call.argument.strip().lower() != "html":
        return []
    return [Token("html_block", "", 0, map=call.map, level=call.level, content=call.body)]


def demo(call: DirectiveCall, expander: Expander) -> list[Token]:
    """mystmd's `{myst}` and MyST-Parser's documentation `{myst-example}`: the body shown
    as MyST source, then rendered (`:alt-output:` renders other text in its place)."""
    language = call.text_option("highlight", "markdown")
    source = leaf(call, "myst_code", call.body.rstrip("\n") + "\n", language=language)
    shown = call.text_option("alt-output")
    rendered = expander.markdown(shown, call.body_line, call.level + 2) if shown else None
    inner = [
        *wrap(call, "div", [source], classes=["myst-example-source"]),
        *wrap(call, "div", rendered or expander.body(call), classes=["myst-example-render"]),
    ]
    classes = ["myst-example", "nf-myst-demo", *call.classes]
    return _named(call, wrap(call, "div", inner, classes=classes, ident=call.label))


def unknown_directive(call: DirectiveCall, expander: Expander) -> list[Token]:
    """A directive noteflow does not know: its body in a marked box."""
    return [leaf(call, "myst_unknown", call.body, name=call.name, argument=call.argument)]


def div(call: DirectiveCall, expander: Expander) -> list[Token]:
    """`{div}` / `{container}`: a `<div>` with the given classes."""
    classes = [*call.argument.split(), *call.classes]
    return _named(call, wrap(call, "div", expander.body(call), classes=classes, ident=call.label))


DIRECTIVES: dict[str, Build] = {
    **{name: admonition for name in ADMONITION_TITLES},
    "topic": box("aside", "topic", "topic-title"),
    "sidebar": box("aside", "sidebar", "sidebar-title"),
    "margin": box("aside", "margin", "margin-title"),
    "epigraph": box("blockquote", "epigraph"),
    "pull-quote": box("blockquote", "pull-quote"),
    "highlights": box("blockquote", "highlights"),
    "div": div,
    "container": div,
    "rubric": paragraph("rubric"),
    "centered": paragraph("centered"),
    "dropdown": dropdown,
    **{name: version_note for name in VERSION_TEXT},
    "card": card,
    "grid-item-card": card,
    "grid": grid,
    "grid-item": box("div", "nf-grid-item"),
    "tab-set": tab_set,
    "tab-item": tab_item,
    "raw": raw,
    "myst": demo,
    "myst-example": demo,
    "figure": blocks.figure,
    "figure-md": blocks.figure_md,
    "image": blocks.image,
    "math": blocks.math,
    "code": blocks.code,
    "code-block": blocks.code,
    "sourcecode": blocks.code,
    "literalinclude": blocks.literalinclude,
    "include": blocks.include,
    "toctree": blocks.toctree,
    "glossary": blocks.glossary,
    "list-table": tables.list_table,
    "csv-table": tables.csv_table,
    "table": tables.table,
    "glue": glue.glue_any,
    "glue:": glue.glue_any,
    "glue:any": glue.glue_any,
    "glue:figure": glue.glue_figure,
    "glue:math": glue.glue_math,
    "glue:md": glue.glue_markdown,
    "eval": evaluate.eval_block,
    "eval:figure": evaluate.eval_figure,
}
"""Directive name -> builder of its tokens."""
