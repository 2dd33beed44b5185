"""Tests for noteflow.theme: loading themes and rendering the page."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path
from typing import Any

import pytest

import noteflow
from noteflow.errors import DocumentError
from noteflow.model import RunSummary
from noteflow.parse import parse_document
from noteflow.render import render_html
from noteflow.store import LocalStore
from noteflow.theme import Theme, load_theme, pygments_css, render_page, themes_root

VERSION = noteflow.__version__
FOOTER = {"noteflow": VERSION, "python": "3.11.7", "rendered": "2024-05-01"}
TOC3 = [(2, "intro", "Intro"), (3, "method", "Method"), (2, "results", "Results")]


def page(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "title": "Doc",
        "body_html": "<p>Body <b>bold</b></p>",
        "meta": {"title": "Doc"},
        "toc": [],
        "footer": FOOTER,
    }
    args.update(overrides)
    return render_page(load_theme(), **args)


def test_themes_root_has_default() -> None:
    assert (themes_root() / "default" / "page.html.j2").is_file()


def test_load_default_theme() -> None:
    theme = load_theme()
    assert isinstance(theme, Theme)
    assert theme.name == "default"
    assert theme.directory == (themes_root() / "default").resolve()
    assert ".nf-block" in theme.css
    assert ".highlight .k" in theme.css


def test_load_theme_is_memoized() -> None:
    assert load_theme("default") is load_theme()


def test_load_theme_by_path() -> None:
    theme = load_theme(str(themes_root() / "default"))
    assert theme is load_theme("default")


def test_load_theme_from_custom_directory(tmp_path: Path) -> None:
    (tmp_path / "page.html.j2").write_text("<title>{{ title }}</title>{{ body }}")
    html = render_page(
        load_theme(str(tmp_path)), title="<T>", body_html="<p>b</p>", meta={}, toc=[], footer={}
    )
    assert html == "<title>&lt;T&gt;</title><p>b</p>"


def test_unknown_theme_raises_with_hint() -> None:
    with pytest.raises(DocumentError) as info:
        load_theme("no-such-theme")
    assert "unknown theme" in info.value.message
    assert info.value.hint is not None and "default" in info.value.hint


def test_pygments_css_has_light_and_dark() -> None:
    css = pygments_css()
    assert "@media screen and (prefers-color-scheme: dark)" in css
    assert "@media print, (prefers-color-scheme: light)" in css
    assert css.count(".highlight .k ") >= 2


def test_page_has_no_external_urls() -> None:
    # An SVG's namespace inside a data: URI names the format; nothing is fetched from it.
    html = page(toc=TOC3).replace("xmlns='http://www.w3.org/2000/svg'", "")
    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"""(src|href)=["']//""", html)
    assert "@import" not in html


def test_page_head_essentials() -> None:
    html = page()
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert f'<meta name="generator" content="noteflow {VERSION}">' in html
    assert "<style>" in html and ".nf-block" in html


def test_page_includes_dark_mode_css() -> None:
    html = page()
    assert "prefers-color-scheme: dark" in html
    assert "--bg:" in html


def test_title_is_escaped() -> None:
    html = page(title="a < b", meta={"title": "x <script>"})
    assert "<title>a &lt; b</title>" in html
    assert "x &lt;script&gt;" in html
    assert "<script>" not in html.split("</head>")[0]
    assert "x <script>" not in html


def test_body_is_not_escaped() -> None:
    assert "<p>Body <b>bold</b></p>" in page()


def test_header_meta_fields() -> None:
    meta = {
        "title": "T",
        "subtitle": "Sub",
        "author": ["Ada", {"name": "Alan <T>"}],
        "date": "2024-05-01",
        "abstract": "Abs & more",
    }
    html = page(meta=meta)
    for fragment in ("Sub", "Ada, Alan &lt;T&gt;", "2024-05-01", "Abs &amp; more", "Authors"):
        assert fragment in html


def test_single_author_string() -> None:
    html = page(meta={"author": "Ada"})
    assert '<span class="nf-authors">Ada</span>' in html
    assert ">Author<" in html


def test_toc_shown_with_three_entries() -> None:
    html = page(toc=TOC3)
    assert '<nav class="nf-toc"' in html
    assert '<a href="#intro">Intro</a>' in html
    assert html.index('href="#method"') > html.index('href="#intro"')


def test_toc_hidden_with_two_entries() -> None:
    html = page(toc=TOC3[:2])
    assert "nf-toc" not in html.split("</style>")[1]


def test_toc_text_escaped() -> None:
    html = page(toc=[*TOC3, (2, "x", "a <b>")])
    assert "a &lt;b&gt;" in html


def test_footer_values_escaped() -> None:
    html = page(footer={"noteflow": VERSION, "python": "<3.11>"})
    assert "Made with" in html
    assert f"noteflow {VERSION}" in html
    assert "python &lt;3.11&gt;" in html
    assert "<3.11>" not in html


def test_extra_head_is_inserted() -> None:
    html = page(extra_head='<meta name="x" content="y">')
    assert '<meta name="x" content="y">' in html.split("</head>")[0]


def test_version_is_the_installed_distribution_version() -> None:
    assert noteflow.__version__ == importlib.metadata.version("noteflow")


def test_rendered_page_records_noteflow_and_kernel_versions(tmp_path: Path) -> None:
    document = parse_document(tmp_path / "doc.md", "---\ntitle: T\n---\n\nText.\n")
    summary = RunSummary(results={}, seconds=0.0, kernel_versions={"python": "3.12.1"})
    html = render_html(document, summary, LocalStore(tmp_path / ".noteflow"))
    installed = importlib.metadata.version("noteflow")
    assert f'<meta name="generator" content="noteflow {installed}">' in html
    footer = html.split('<footer class="nf-footer">')[1]
    assert f"noteflow {installed}" in footer
    assert "python 3.12.1" in footer
