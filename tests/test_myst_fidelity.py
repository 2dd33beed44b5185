"""MyST pages as MyST-NB, MyST-Parser and mystmd show them, from cases met in their docs.

Fast tests parse and render the fixtures in `fixtures/myst_fidelity/` (no kernel):
which documents are MyST (so `%`, `(label)=` and `+++` lines are not eaten in Quarto or
R Markdown prose), `{myst}` / `{myst-example}` demos, `{figure-md}`, Python domain roles,
a `{table}` around an included HTML table, and `{eval}` directives as blocks. Kernel tests
render the repository's MyST example and the `{eval}` fixture with a real Python kernel.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from htmltree import Element, parse_html, words

from noteflow.parse import parse_document
from noteflow.pipeline import RenderOptions, render_document
from noteflow.render import render_body
from noteflow.store import LocalStore
from noteflow.syntax.myst.dialect import has_myst_signs

FIXTURES = Path(__file__).parent / "fixtures" / "myst_fidelity"
EXAMPLE = Path(__file__).parent.parent / "examples" / "myst.md"


def rendered(name: str, tmp_path: Path) -> Element:
    path = FIXTURES / name
    document = parse_document(path, path.read_text(encoding="utf-8"))
    return parse_html(render_body(document, {}, LocalStore(tmp_path / ".noteflow")))


def paragraphs(html: Element) -> list[str]:
    return [words(p) for p in html.find_all("p")]


# ------------------------------------------------------------------ which documents are MyST


@pytest.mark.parametrize("name", ["survey.qmd", "survey.Rmd"])
def test_pandoc_documents_keep_percent_target_and_plus_lines(name: str, tmp_path: Path) -> None:
    shown = paragraphs(rendered(name, tmp_path))
    assert "% of the vote went to the first option, as the table shows." in shown
    assert "(a)=" in shown
    assert "+++" in shown


def test_markdown_without_myst_signs_keeps_percent_lines(tmp_path: Path) -> None:
    html = rendered("plain.md", tmp_path)
    assert "% of readers skipped this line in a MyST page; here it is prose." in paragraphs(html)
    assert "% a MyST comment" in html.find("pre").text  # the example in the code block


def test_a_myst_document_hides_comments_and_uses_targets(tmp_path: Path) -> None:
    html = rendered("myst-signs.md", tmp_path)
    assert "a comment nobody reads" not in html.text
    assert html.by_id("the-end").tag == "h2"
    assert html.find("a", "nf-ref").attrs["href"] == "#the-end"


def test_myst_nb_front_matter_makes_a_document_myst(tmp_path: Path) -> None:
    html = rendered("kernelspec.md", tmp_path)
    assert "hidden" not in html.text
    assert paragraphs(html) == ["Shown."]


@pytest.mark.parametrize(
    ("source", "myst"),
    [
        ("# Title\n\n% 50 of them\n", False),
        ("```{note}\nHi\n```\n", True),
        (":::{figure} a.png\n:::\n", True),
        ("```{python}\n1\n```\n", False),  # a Quarto block
        ("```{code-cell} ipython3\n1\n```\n", True),
        ("Inline `{python} x` is Quarto.\n", False),
        ("See {ref}`x`.\n", True),
        ("(label)=\n# Heading\n", True),
        ("+++\n", True),
        ("```md\n{ref}`x`\n+++\n```\n", False),  # signs only inside code
        ("---\njupytext:\n  text_representation:\n    format_name: myst\n---\n", True),
        ("---\njupyter:\n  kernelspec:\n    name: python3\n---\n", False),  # jupytext md
        ("::: {.callout-note}\nHi\n:::\n", False),
    ],
)
def test_myst_signs(source: str, myst: bool) -> None:
    assert has_myst_signs(source) is myst


# ---------------------------------------------------------------------- demos and figures


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Element:
    return rendered("demos.md", tmp_path_factory.mktemp("demos"))


def test_myst_demo_shows_source_then_result(demos: Element) -> None:
    demo = demos.find_all("div", "myst-example")[0]
    assert "```{note}" in demo.find("div", "myst-example-source").text
    result = demo.find("div", "myst-example-render")
    assert words(result.find("div", "note")) == "Note A note inside a demo."


def test_myst_example_alt_output_replaces_the_result(demos: Element) -> None:
    demo = demos.find_all("div", "myst-example")[1]
    assert ":::{tip}" in demo.find("div", "myst-example-source").text
    result = demo.find("div", "myst-example-render")
    assert words(result) == "Something else." and result.find("strong").text == "else"


def test_figure_md_is_a_numbered_figure(demos: Element) -> None:
    figure = demos.by_id("fig-fish")
    assert figure.tag == "figure"
    image = figure.find("img")
    assert image.attrs["alt"] == "A fish" and image.attrs["src"].startswith("data:image/png")
    assert words(figure.find("figcaption")) == "Figure 1: This is a caption."
    assert words(demos.find("a", "nf-numref")) == "Figure 1"


def test_python_domain_roles_are_code(demos: Element) -> None:
    codes = [c.text for c in demos.find_all("code", "xref")]
    assert codes == ["numpy.mean()", "DataFrame"]


def test_table_around_an_included_html_table(tmp_path: Path) -> None:
    html = rendered("html-table.md", tmp_path)
    figure = html.by_id("tbl-areas")
    assert words(figure.find("figcaption")) == "Table 1: Areas of things"
    assert figure.find("td").text == "Field"
    assert words(html.find("a", "nf-numref")) == "Table 1"


def test_eval_directives_are_hidden_code_blocks() -> None:
    path = FIXTURES / "eval.md"
    document = parse_document(path, path.read_text(encoding="utf-8"))
    codes = [(block.kind, block.code.strip()) for block in document.blocks]
    assert codes[:2] == [("code", "total = 6 * 7"), ("inline", "total")]
    assert [code for _, code in codes[2:]] == ["total", "total"]
    assert all(block.options.get("echo") is False for block in document.blocks[2:])


# ----------------------------------------------------------------------------- kernels


def render_copy(source: Path, tmp_path: Path) -> str:
    target = tmp_path / source.name
    shutil.copy(source, target)
    outcome = render_document(target, RenderOptions())
    assert outcome.output is not None
    return outcome.output.read_text(encoding="utf-8")


@pytest.mark.kernel
def test_myst_example_renders_with_glue_tags_and_references(tmp_path: Path) -> None:
    html = parse_html(render_copy(EXAMPLE, tmp_path))
    mean = next(p for p in html.find_all("p") if "the mean is" in p.text)
    assert re.fullmatch(r"\d+\.\d\d", words(mean.find("span", "nf-glue")))
    assert words(mean.find("a", "nf-numref")) == "Figure 1"
    figure = html.by_id("fig-hist")
    assert figure.find("img").attrs["src"].startswith("data:image/png")
    assert words(figure.find("figcaption")).startswith("Figure 1: The distribution")
    folded = html.find("details", "nf-fold-code")  # hide-input folds the code, not the output
    assert folded.find("summary").text == "Show code cell source" and "glue(" in folded.text
    assert "ax.hist" not in html.text  # remove-input
    assert "ZeroDivisionError" in html.text  # raises-exception shows the error, page written
    assert html.find("a", "nf-eq").text == "(1)"


@pytest.mark.kernel
def test_eval_role_and_directives_with_a_kernel(tmp_path: Path) -> None:
    html = parse_html(render_copy(FIXTURES / "eval.md", tmp_path))
    assert "The total is 42." in paragraphs(html)
    shown = [pre.text for pre in html.find_all("pre", "nf-output")]
    assert shown == ["42", "42"]  # {eval} and {eval:figure}: the value, not the code
    figure = html.by_id("fig-total")
    assert figure.find("pre", "nf-output").text == "42"
    assert words(figure.find("figcaption")) == "Figure 1: The total, again."
    assert [c.text.strip() for c in html.find_all("code")] == ["total = 6 * 7"]


def test_attribute_ids_are_targets_and_glossary_lists_define_terms(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    html = rendered("attributes.md", tmp_path)
    assert html.by_id("mypara").tag == "p" and "bg-warning" in html.by_id("mypara").classes
    links = {words(a): a.attrs["href"] for a in html.find_all("a", "nf-ref")}
    assert links == {"A reference to my paragraph": "#mypara", "a reference to the span": "#spanid"}
    assert html.by_id("term-term-name").tag == "dt"
    assert html.find("a", "nf-term").attrs["href"] == "#term-term-name"
    assert "unknown reference" not in caplog.text and "not in a glossary" not in caplog.text


def test_card_header_and_buttons(demos: Element) -> None:
    card = demos.find("div", "nf-card")
    header = card.find("div", "nf-card-header")
    assert words(header) == "The Header" and header.find("em").text == "Header"
    buttons = [(b.tag, words(b), b.attrs.get("href")) for b in demos.find_all(cls="nf-button")]
    assert buttons == [
        ("a", "MyST Role Spec", "roles.html"),
        ("a", "GitHub", "https://github.com/jupyter-book/mystmd"),
        ("span", "A button without a link!", None),
    ]


def test_figure_without_argument_has_lettered_subfigures(demos: Element) -> None:
    figure = demos.by_id("trip")
    subs = figure.find_all("figure", "nf-subfigure")
    assert [s.attrs["id"] for s in subs] == ["trip-a", "trip-b", "trip-sea"]
    assert [words(s.find("figcaption")) for s in subs] == [
        "(a) Banff, Canada",
        "(b) Golden Gate",
        "(c) The sea",
    ]
    assert all(s.find("img").attrs["src"].startswith("data:image/png") for s in subs)
    captions = [c for c in figure.find_all("figcaption") if "nf-subfigure" not in c.classes]
    assert words(captions[-1]) == "Figure 2: Great things on our trips."
    references = [words(a) for a in demos.find_all("a", "nf-numref")]
    assert references[-3:] == ["Figure 2", "Figure 2 (b)", "Figure 2 (c)"]


def test_links_to_targets_are_filled_as_myst_fills_them(tmp_path: Path) -> None:
    html = rendered("myst-signs.md", tmp_path)
    links = [(words(a), a.attrs["href"]) for a in html.find_all("a", "nf-link-ref")]
    assert links == [
        ("The end", "#the-end"),  # [](#the-end): the heading's title
        ("Sec. ?", "#the-end"),  # an unnumbered section has no number
        ("The end", "#the-end"),  # <project:#the-end>
        ("Figure 1", "#fig-x"),
        ("The picture. is 1", "#fig-x"),
        ("no-such-anchor", "#no-such-anchor"),
    ]
    own = next(a for a in html.find_all("a") if a.text == "own text")
    assert own.attrs["href"] == "#the-end"


def test_mystmd_inline_options(demos: Element) -> None:
    warning = demos.by_id("careful")
    assert warning.tag == "details" and "open" in warning.attrs
    assert {"admonition", "warning", "simple", "dropdown"} <= set(warning.classes)
    assert words(warning) == "Warning Careful."
    assert has_myst_signs("```{warning .simple}\nCareful.\n```\n")


def _rendered_text(tmp_path: Path, name: str, text: str) -> Element:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    document = parse_document(path, text)
    return parse_html(render_body(document, {}, LocalStore(tmp_path / ".noteflow")))


def test_a_lone_image_is_a_figure_in_quarto_but_only_an_image_in_myst(tmp_path: Path) -> None:
    lone = "![A chart](chart.png)\n"
    assert _rendered_text(tmp_path, "q.qmd", lone).find_all("figure")
    myst = _rendered_text(tmp_path, "m.md", "```{note}\nA note.\n```\n\n" + lone)
    assert not myst.find_all("figure") and myst.find_all("img")


def test_mystmd_inline_options_on_a_colon_fence(tmp_path: Path) -> None:
    html = _rendered_text(tmp_path, "m.md", ":::{warning .simple #careful}\nMind the gap.\n:::\n")
    box = html.by_id("careful")
    assert "Mind the gap." in box.text and ":::" not in html.text


def test_a_cells_code_prompt_show_names_its_toggles(tmp_path: Path) -> None:
    cell = "```{code-cell} ipython3\n:tags: [hide-input]\n:mystnb:\n:  code_prompt_show: 'Peek at the {type}'\nx = 1\n```\n"
    html = _rendered_text(tmp_path, "m.md", cell)
    assert [words(s) for s in html.find_all("summary")] == ["Peek at the source"]


def test_inline_math_may_end_in_a_space_in_myst_but_not_in_quarto(tmp_path: Path) -> None:
    text = "---\nkernelspec:\n  name: python3\n---\n\nThe fit $A\\cdot x +B, $ holds.\n"
    assert _rendered_text(tmp_path, "fit.md", text).find_all("math")
    quarto = _rendered_text(tmp_path, "fit.qmd", text)
    assert not quarto.find_all("math") and "$A\\cdot x +B, $" in quarto.text


def test_doc_and_download_roles_never_make_a_script_link(tmp_path: Path) -> None:
    text = (
        "```{note}\nA note.\n```\n\n{download}`javascript:alert(2)` and {download}`data/x.csv`.\n"
    )
    html = _rendered_text(tmp_path, "roles.md", text)
    hrefs = [a.attrs.get("href", "") for a in html.find_all("a")]
    assert "data/x.csv" in hrefs and not [h for h in hrefs if h.startswith("javascript:")]
