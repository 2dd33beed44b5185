"""Self-contained pages: local images inlined, math drawn with a bundled font, tabs that
work offline.

Images are resolved at parse time against `env["nf_document_dir"]` (which the parse stage
sets) and inlined at render time; the math font is a subset of the bundled Latin Modern
Math, added only to pages that hold MathML.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import shutil
from pathlib import Path

import pytest
from browsers import launch, require_chromium
from fakerender import render_with_fake_kernel
from htmltree import parse_html, words

from noteflow.markdown import markdown_parser
from noteflow.mathml import MATH_FONT_FAMILY, latex_to_html, math_font_style

FIXTURES = Path(__file__).parent / "fixtures" / "pandoc"
RED_PNG = (FIXTURES / "red.png").read_bytes()
RED_URI = "data:image/png;base64," + base64.b64encode(RED_PNG).decode("ascii")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path, dirs_exist_ok=True)
    return tmp_path


def render_prose(path: Path) -> tuple[str, dict]:
    """The document's body HTML as the parse and render stages make it, and the env."""
    md = markdown_parser()
    env = {"nf_document_dir": str(path.parent), "nf_document_path": str(path)}
    tokens = md.parse(path.read_text(encoding="utf-8"), env)
    return md.renderer.render(tokens, md.options, env), env


# -------------------------------------------------------------------------- images


def test_local_images_are_inlined_as_data_uris(folder: Path) -> None:
    body, env = render_prose(folder / "images.md")
    sources = [img.attrs["src"] for img in parse_html(body).find_all("img")]
    assert sources == [
        RED_URI,  # ![](red.png)
        RED_URI,  # the figure
        RED_URI,  # inline in a paragraph
        "https://example.org/x.png",  # remote: untouched
        "missing.png",  # missing: the link is kept
        RED_URI,  # raw <img src="red.png">
    ]
    assert env["nf_assets"] == [str((folder / "red.png").resolve())]


def test_missing_image_warns_with_file_and_line(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        render_prose(folder / "images.md")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith(f"{folder / 'images.md'}:11: image missing.png not found")


def test_image_with_caption_and_id_is_a_figure(folder: Path) -> None:
    body, _ = render_prose(folder / "images.md")
    figure = parse_html(body).find("div", id="fig-red").find("figure", cls="quarto-float-fig")
    image = figure.find("img")
    assert image.attrs["alt"] == "A red square"
    assert image.attrs["style"] == "width:50%;"
    assert "id" not in image.attrs
    assert words(figure.find("figcaption")).endswith("A red square")


def test_only_an_image_alone_with_a_caption_is_a_figure(folder: Path) -> None:
    body, _ = render_prose(folder / "images.md")
    figures = parse_html(body).find_all("figure")
    assert [words(f.find("figcaption")) for f in figures] == ["A red square", "Gone"]


def test_markdown_without_a_document_reads_no_file(folder: Path) -> None:
    md = markdown_parser()
    env: dict = {}
    html = md.render("![](red.png)", env)
    assert 'src="red.png"' in html and "nf_assets" not in env


def test_rendered_page_has_the_image_inlined_and_numbered(folder: Path) -> None:
    outcome = render_with_fake_kernel(folder / "images.md")
    assert outcome.output is not None
    page = parse_html(outcome.output.read_text(encoding="utf-8"))
    figure = page.find("div", id="fig-red").find("figure", cls="quarto-float-fig")
    assert figure.find("img").attrs["src"] == RED_URI
    assert words(figure.find("figcaption")) == "Figure 1: A red square"


# ---------------------------------------------------------------------------- math


def _font_from(style: str) -> bytes:
    match = re.search(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", style)
    assert match, style[:200]
    return base64.b64decode(match[1])


def test_math_font_is_a_small_subset_with_a_math_table() -> None:
    from fontTools.ttLib import TTFont

    formula = latex_to_html(
        r"\sum_{i=1}^{n} \left( \frac{a}{b} \right) = \sqrt{\alpha}", display=True
    )
    style = math_font_style(f"<p>{formula}</p>")
    assert style.startswith("<style>@font-face")
    assert f'math{{font-family:"{MATH_FONT_FAMILY}",math;}}' in style
    assert len(style) < 60_000  # the whole font is 730 kB
    font = TTFont(io.BytesIO(_font_from(style)))
    assert "MATH" in font
    characters = font.getBestCmap()
    # an italic a and alpha (U+1D44E, U+1D6FC): how browsers draw a one-letter <mi>
    for character in "\u2211(=\u221a\u03b1\U0001d44e\U0001d6fc":
        assert ord(character) in characters, character
    assert ord("z") not in characters


def test_no_math_no_font() -> None:
    assert math_font_style("<p>Prices are $5 and $10.</p>") == ""


def test_page_carries_the_math_font_only_when_it_has_math(folder: Path) -> None:
    with_math = render_with_fake_kernel(folder / "math.md").output
    without = render_with_fake_kernel(folder / "nomath.md").output
    assert with_math is not None and without is not None
    assert MATH_FONT_FAMILY in with_math.read_text(encoding="utf-8")
    assert "<math" not in without.read_text(encoding="utf-8")
    assert MATH_FONT_FAMILY not in without.read_text(encoding="utf-8")


# --------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_tabs_switch_in_a_real_browser_with_no_network(folder: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    outcome = render_with_fake_kernel(folder / "tabset.md")
    assert outcome.output is not None
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.route(
                "**/*",
                lambda route: (
                    route.abort()
                    if not route.request.url.startswith("file:")
                    else route.continue_()
                ),
            )
            page.goto(outcome.output.as_uri())
            panels = page.locator(".nf-tab-panel")
            assert panels.nth(0).is_visible() and not panels.nth(1).is_visible()
            page.locator("label.nf-tab-label", has_text="Second").click()
            assert panels.nth(1).is_visible() and not panels.nth(0).is_visible()
            assert "second tab ran" in panels.nth(1).inner_text()
            page.keyboard.press("ArrowRight")  # the focused radio group moves on
            assert panels.nth(2).is_visible()
        finally:
            browser.close()
