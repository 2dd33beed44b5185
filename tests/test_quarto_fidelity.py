"""Quarto documents render with Quarto's markup where a reader or a stylesheet sees it.

Each fixture under `tests/fixtures/quarto/` reproduces a case from Quarto's own test
documents or its authoring guide (written here, not copied): the page must show what
Quarto shows, with Quarto's class names and ids where users' CSS and links expect them
(`div#fig-x > figure.quarto-float-fig > figcaption.quarto-float-caption`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fakerender import render_with_fake_kernel
from test_pandoc_syntax import Node, parse_html, words

FIXTURES = Path(__file__).parent / "fixtures" / "quarto"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Node]:
    """Each fixture document rendered once (in a scratch copy), as a tree."""
    folder = tmp_path_factory.mktemp("quarto")
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    result = {}
    for path in sorted(folder.glob("*.qmd")):
        outcome = render_with_fake_kernel(path)
        assert outcome.output is not None
        result[path.stem] = parse_html(outcome.output.read_text(encoding="utf-8"))
    return result


def float_parts(page: Node, label: str, kind: str) -> tuple[Node, Node]:
    """The `figure` of a float and its caption, found as Quarto's selectors find them."""
    figure = page.find("div", id=label).find("figure", cls=f"quarto-float-{kind}")
    caption = figure.find("figcaption", cls="quarto-float-caption")
    assert f"quarto-float-{kind}" in caption.classes
    return figure, caption


# ------------------------------------------------------------------------ floats


def test_div_attributes_with_spaces_around_the_equals_sign(pages: dict[str, Node]) -> None:
    div = pages["floats"].find("div", id="spaced")
    assert div.attrs["data-key"] == "value" and div.attrs["data-other"] == "two"
    assert ":::" not in words(pages["floats"].find("main"))


def test_linked_image_with_an_id_is_a_numbered_figure(pages: dict[str, Node]) -> None:
    figure, caption = float_parts(pages["floats"], "fig-linked", "fig")
    assert figure.find("a").attrs["href"] == "https://example.com/"
    assert figure.find("a").find("img")
    assert words(caption) == "Figure 1: A linked figure"


def test_image_with_a_table_id_is_a_numbered_table(pages: dict[str, Node]) -> None:
    figure, caption = float_parts(pages["floats"], "tbl-image", "tbl")
    assert figure.find("img") and words(caption) == "Table 1: A table that is an image"


def test_float_div_caption_from_its_attribute(pages: dict[str, Node]) -> None:
    figure, caption = float_parts(pages["floats"], "fig-attribute", "fig")
    assert figure.find("img")
    assert words(caption) == "Figure 2: A caption from the attribute"
    assert words(caption.find("em")) == "from"


def test_listing_caption_is_markdown(pages: dict[str, Node]) -> None:
    _, caption = float_parts(pages["floats"], "lst-query", "lst")
    assert words(caption) == "Listing 1: Customers query"
    assert words(caption.find("em")) == "query"


def test_references_to_every_float_resolve(pages: dict[str, Node]) -> None:
    links = {a.attrs["href"]: words(a) for a in pages["floats"].find_all("a", cls="quarto-xref")}
    assert links == {
        "#fig-linked": "Figure 1",
        "#tbl-image": "Table 1",
        "#fig-attribute": "Figure 2",
        "#lst-query": "Listing 1",
    }
