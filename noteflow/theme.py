"""Themes: where they live, how one is loaded, and how it renders the final HTML page.

A theme is a directory holding `page.html.j2` (a Jinja2 template, autoescaped) and
`style.css`. This module owns finding themes, loading one (template plus the CSS to inline,
with Pygments' light and dark code colours appended), and rendering a whole page from the
document's body HTML, front matter, table of contents and footer facts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from noteflow.errors import DocumentError

TEMPLATE_NAME = "page.html.j2"
STYLESHEET_NAME = "style.css"
LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "github-dark"
TOC_MIN_ENTRIES = 3
"""A table of contents is shown only when the document has at least this many headings."""


@dataclass(frozen=True, slots=True)
class Theme:
    """A loaded theme, ready to render pages."""

    name: str
    directory: Path
    template: jinja2.Template
    css: str
    """The theme's style.css plus Pygments CSS for light and dark, ready to inline."""


def themes_root() -> Path:
    """The directory holding the bundled themes.

    The installed `noteflow/themes` directory if it exists (a wheel install puts the
    repository's top-level `themes/` there), else the repository's `themes/` (a source
    checkout).
    """
    installed = Path(__file__).parent / "themes"
    if installed.is_dir():
        return installed
    return Path(__file__).parent.parent / "themes"


def available_themes() -> list[str]:
    """The names of the bundled themes."""
    root = themes_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / TEMPLATE_NAME).is_file())


def _looks_like_path(name_or_path: str) -> bool:
    return any(sep in name_or_path for sep in ("/", "\\")) or name_or_path.startswith((".", "~"))


def _theme_directory(name_or_path: str) -> Path:
    """The directory of a theme given by name (under `themes_root()`) or by path."""
    if _looks_like_path(name_or_path):
        directory = Path(name_or_path).expanduser()
    else:
        directory = themes_root() / name_or_path
    if not (directory / TEMPLATE_NAME).is_file():
        names = ", ".join(available_themes()) or "none found"
        raise DocumentError(
            f"unknown theme {name_or_path!r} (no {TEMPLATE_NAME} in {directory})",
            hint=f"available themes: {names}; or give the path of a theme directory",
        )
    return directory.resolve()


def load_theme(name_or_path: str = "default") -> Theme:
    """Load a theme by name (under `themes_root()`) or directory path; memoized.

    Raises DocumentError, listing the available themes, if there is no such theme.
    """
    return _load_theme_directory(_theme_directory(name_or_path))


def forget_themes() -> None:
    """Drop loaded themes, so edited templates and CSS are read again (live preview)."""
    _load_theme_directory.cache_clear()


@functools.cache
def _load_theme_directory(directory: Path) -> Theme:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    stylesheet = directory / STYLESHEET_NAME
    theme_css = stylesheet.read_text(encoding="utf-8") if stylesheet.is_file() else ""
    # Style for one family of syntax each (callouts.css, myst.css, …), after the main sheet.
    for part in sorted(directory.glob("*.css")):
        if part.name != STYLESHEET_NAME:
            theme_css += "\n" + part.read_text(encoding="utf-8")
    return Theme(
        name=directory.name,
        directory=directory,
        template=environment.get_template(TEMPLATE_NAME),
        css=f"{pygments_css()}\n{theme_css}",
    )


def _token_css(style: str) -> str:
    return "\n".join(HtmlFormatter(style=style).get_token_style_defs(".highlight"))


@functools.cache
def pygments_css() -> str:
    """Pygments token colours for `.highlight` code: light, and dark under a media query.

    Only token rules are emitted; backgrounds and the text colour come from the theme's
    custom properties. Light applies to print and light screens, dark to dark screens, so
    no light rule leaks into dark mode.
    """
    return (
        "/* Pygments: code highlighting */\n"
        f"@media print, (prefers-color-scheme: light) {{\n{_token_css(LIGHT_CODE_STYLE)}\n}}\n"
        f"@media screen and (prefers-color-scheme: dark) {{\n{_token_css(DARK_CODE_STYLE)}\n}}\n"
    )


def _authors(author: Any) -> list[str]:
    """Front matter `author` (a str, a list of str, or of mappings with `name`) as names."""
    if not author:
        return []
    items = author if isinstance(author, list) else [author]
    return [str(item.get("name", "")) if isinstance(item, Mapping) else str(item) for item in items]


def _header(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The front matter fields the page header shows, as plain values."""
    return {
        "title": str(meta.get("title") or ""),
        "subtitle": str(meta.get("subtitle") or ""),
        "authors": _authors(meta.get("author")),
        "date": str(meta.get("date") or ""),
        "abstract": str(meta.get("abstract") or ""),
    }


@dataclass(frozen=True, slots=True)
class TocEntry:
    anchor: str
    text: str
    children: list[TocEntry]


def _toc_tree(toc: Sequence[tuple[int, str, str]]) -> list[TocEntry]:
    """Headings as a two-level tree: the shallowest level on top, deeper ones below it."""
    if not toc:
        return []
    top_level = min(level for level, _, _ in toc)
    tree: list[TocEntry] = []
    for level, anchor, text in toc:
        entry = TocEntry(anchor, text, [])
        if level > top_level and tree:
            tree[-1].children.append(entry)
        else:
            tree.append(entry)
    return tree


def render_page(
    theme: Theme,
    *,
    title: str,
    body_html: str,
    meta: Mapping[str, Any],
    toc: Sequence[tuple[int, str, str]],
    footer: Mapping[str, str],
    extra_head: str = "",
) -> str:
    """The complete, self-contained HTML page.

    `body_html`, `extra_head` and the theme CSS are trusted HTML; every other value is
    escaped by the template. `toc` holds `(level, anchor id, text)`; it is shown when it
    has at least `TOC_MIN_ENTRIES` entries. `footer` maps a tool to its version (and may
    hold `rendered`), shown as "Made with noteflow 0.1.0 · python 3.11.7 · …".
    """
    return theme.template.render(
        title=title,
        header=_header(meta),
        meta=meta,
        body=Markup(body_html),
        css=Markup(theme.css),
        extra_head=Markup(extra_head),
        toc=_toc_tree(toc) if len(toc) >= TOC_MIN_ENTRIES else [],
        footer=[(str(key), str(value)) for key, value in footer.items()],
        generator=f"noteflow {footer.get('noteflow', '')}".strip(),
    )
