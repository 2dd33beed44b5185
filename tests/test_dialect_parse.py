"""The parse stage on other tools' documents: languages without an adapter, labels with
spaces, Quarto's `format: html:` and R Markdown's `output: html_document:` options, MyST-NB
cell options, and which options are in the cache key.

Fixture documents are in `tests/fixtures/dialects/`; knitr's own semantics are tested in
`tests/test_knitr.py`.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from noteflow.graph import build_graph
from noteflow.model import Block, Document
from noteflow.options import key_options, normalise
from noteflow.parse import parse_document
from noteflow.plan import key_components

FIXTURES = Path(__file__).parent / "fixtures" / "dialects"


def parse_fixture(name: str) -> Document:
    path = FIXTURES / name
    return parse_document(path, path.read_text(encoding="utf-8"))


def parse_text(text: str, name: str = "doc.qmd") -> Document:
    return parse_document(Path("/nowhere") / name, text)


def by_id(document: Document) -> dict[str, Block]:
    return {block.id: block for block in document.blocks}


# --------------------------------------------------------------------------- languages


def test_languages_without_an_adapter_are_code_blocks_with_their_code() -> None:
    blocks = by_id(parse_fixture("languages.qmd"))
    assert [(b.id, b.language) for b in blocks.values()] == [
        ("jl", "julia"),
        ("ojs-1", "ojs"),
        ("query", "sql"),
        ("load-data", "python"),
        ("python-2", "python"),
        ("julia-2", "julia"),
    ]
    assert all(b.kind == "code" for b in blocks.values())
    assert blocks["jl"].code == "x = 1 + 1\n"
    # Option comments in the language's own comment syntax are read and removed.
    assert blocks["ojs-1"].code == "viewof n = Inputs.range([0, 10])\n"
    assert blocks["ojs-1"].option("echo") is False
    assert blocks["query"].code == "SELECT 1\n"


def test_a_directive_name_is_not_a_block_and_does_not_fail() -> None:
    document = parse_fixture("languages.qmd")
    assert "not-a-language" not in {b.language for b in document.blocks}
    shown = [t for t in document.tokens if "shown as it is" in (t.content or "")]
    assert shown and all("nf_block" not in t.meta for t in shown)


@pytest.mark.parametrize(
    ("fence", "language"),
    [
        ("{julia}", "julia"),
        ("{Julia}", "julia"),
        ("{fortran}", "fortran"),
        ("{code-cell} julia", "julia"),
        ("{code-cell} julia-1.10", "julia"),
        ("{code-cell} ir", "r"),
        ("{code-cell} python3", "python"),
        ("{r, engine='Rcpp'}", "rcpp"),
    ],
)
def test_fence_language(fence: str, language: str) -> None:
    (block,) = parse_text(f"```{fence}\nx\n```\n").blocks
    assert (block.kind, block.language, block.id) == ("code", language, f"{language}-1")


def test_a_block_without_an_adapter_is_placed_and_keyed_without_analysis() -> None:
    graph = build_graph(parse_fixture("languages.qmd"))
    jl, ojs = graph.node("jl"), graph.node("ojs-1")
    # The front matter's `kernels:` names the kernelspec; otherwise the language does.
    assert (jl.kernel, ojs.kernel) == ("julia-1.10", "ojs")
    for node in (jl, ojs, graph.node("julia-2")):
        assert (node.inputs, node.after, node.defines) == ((), (), frozenset())
    components = key_components(jl, graph, {}, [])
    assert components["language"] == "julia"
    assert components["code"] == "x = 1 + 1\n"
    assert components["kernel"] == {"name": "julia-1.10", "argv": []}


def test_a_block_without_a_kernel_is_in_the_page_with_its_code(
    tmp_path: Path, render_fake: Any
) -> None:
    document = tmp_path / "languages.qmd"
    shutil.copy(FIXTURES / "languages.qmd", document)
    outcome = render_fake(document)
    assert outcome.summary.results["jl"].status == "skipped"
    assert outcome.summary.results["load-data"].status == "executed"
    page = outcome.output.read_text(encoding="utf-8")
    section = re.search(r'<section [^>]*id="jl".*?</section>', page, re.S)
    assert section is not None
    code = html.unescape(re.sub(r"<[^>]+>", "", section.group(0)))
    assert "x = 1 + 1" in code


# --------------------------------------------------------------------------- labels


def test_a_label_with_spaces_gives_an_id_with_dashes_and_is_referenced_as_written() -> None:
    document = parse_fixture("languages.qmd")
    block = by_id(document)["load-data"]
    assert (block.labelled, block.option("label")) == (True, "load data")
    node = build_graph(document).node("python-2")
    assert [(i.name, i.producer) for i in node.inputs] == [("y", "load-data")]
    assert node.after == ("load-data",)


def test_an_r_markdown_label_with_spaces() -> None:
    (block,) = parse_text("```{r my first chunk, echo=FALSE}\n1\n```\n").blocks
    assert (block.id, block.option("label"), block.option("echo")) == (
        "my-first-chunk",
        "my first chunk",
        False,
    )


# --------------------------------------------------------------------------- front matter


def test_format_html_options_are_block_defaults_over_execute_and_top_level() -> None:
    blocks = by_id(parse_fixture("languages.qmd"))
    jl = blocks["jl"]
    # top level `echo: false` < `execute:` < `format: html:` `echo: true`
    assert jl.option("echo") is True
    assert jl.option("warning") is False
    assert (jl.option("code-fold"), jl.option("code-summary")) == (True, "Show the code")
    assert (jl.option("fig-width"), jl.option("fig-dpi")) == (7, 150)
    assert "theme" not in jl.options and "toc" not in jl.options
    # a block's own option wins
    assert blocks["ojs-1"].option("echo") is False


def test_page_options_from_format_html_are_lifted_into_the_front_matter() -> None:
    front = parse_fixture("languages.qmd").front_matter
    assert front["toc"] is True  # `format: html: toc: true` over the top-level `toc: false`
    assert (front["toc-depth"], front["number-sections"], front["code-tools"]) == (2, True, True)
    assert front["format"]["html"]["theme"] == "cosmo"
    assert front["title"] == "Languages without a kernel here"


def test_r_markdown_html_document_options() -> None:
    document = parse_fixture("rmarkdown-output.Rmd")
    front = document.front_matter
    assert (front["toc"], front["toc-depth"], front["number-sections"]) == (True, 2, True)
    assert front["code-fold"] is True  # `code_folding: hide`
    (block,) = document.blocks
    assert (block.option("fig-width"), block.option("fig-height")) == (6, 4)
    assert block.option("code-fold") is True
    # R Markdown's top-level `output:` is a format, never the block option `output`
    assert "output" not in block.options


def test_r_markdown_params_with_value_subkeys_are_read_as_defaults() -> None:
    document = parse_fixture("rmarkdown-output.Rmd")
    assert document.front_matter["params"] == {"n": 10, "region": "north", "flag": {"a": 1}}
    assert build_graph(document, {"n": 20}).params["n"] == 20


# --------------------------------------------------------------------------- MyST-NB


MYST_EXPECTED: list[tuple[str, dict[str, Any], str]] = [
    ("python-1", {"tags": ["remove-input"], "echo": False}, "x = 1\n"),
    (
        "python-2",
        {"tags": ["hide-output", "raises-exception"], "error": True},
        'raise ValueError("expected")\n',
    ),
    (
        "python-3",
        {
            "tags": ["skip-execution", "hide-cell"],
            "eval": False,
            "output": False,
            "code-prompt-show": "Show {type}",
            "mystnb": {"remove_code_outputs": True, "code_prompt_show": "Show {type}"},
        },
        "never = 1\n",
    ),
    (
        "python-4",
        {
            "mystnb": {"number_source_lines": True, "remove_code_source": True},
            "code-line-numbers": True,
            "echo": False,
        },
        "numbered = 1\n",
    ),
    (
        "python-5",
        {"mystnb": {"number_source_lines": True}, "code-line-numbers": True},
        "one_line = 1\n",
    ),
    ("r-1", {}, "r_value <- 1\n"),
]


@pytest.mark.parametrize(("block_id", "options", "code"), MYST_EXPECTED)
def test_myst_nb_cell_options(block_id: str, options: dict[str, Any], code: str) -> None:
    block = by_id(parse_fixture("mystnb.md"))[block_id]
    assert dict(block.options) == options
    assert block.code == code


def test_myst_nb_options_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        parse_fixture("mystnb.md")
    assert [r.getMessage() for r in caplog.records if "option" in r.getMessage()] == []


# --------------------------------------------------------------------------- cache key


KEYED = ["warning", "message", "fig-width", "fig-height", "fig-dpi", "fig-format", "dev"]
DISPLAY_ONLY = [
    "code-fold",
    "code-summary",
    "results",
    "comment",
    "collapse",
    "out-width",
    "fig-subcap",
    "layout-ncol",
    "layout-nrow",
    "fig-alt",
    "tbl-cap",
    "tags",
    "mystnb",
    "fig-cap",
    "echo",
]


@pytest.mark.parametrize("name", KEYED)
def test_options_that_change_outputs_are_in_the_cache_key(name: str) -> None:
    assert name in key_options({name: 1})


@pytest.mark.parametrize("name", DISPLAY_ONLY)
def test_display_only_options_are_not_in_the_cache_key(name: str) -> None:
    assert key_options({name: 1}) == {}


def test_keyed_and_display_options_are_known_names(caplog: pytest.LogCaptureFixture) -> None:
    booleans = {"warning", "message", "echo", "collapse", "code-fold"}
    lines = "".join(
        f"#| {name}: {'true' if name in booleans else 'x'}\n" for name in KEYED + DISPLAY_ONLY
    )
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        parse_text(f"```{{python}}\n{lines}x = 1\n```\n")
        parse_text("```{python}\n#| fig-wdth: 3\nx = 1\n```\n")
    assert [r.getMessage() for r in caplog.records] == [
        "/nowhere/doc.qmd:2: unknown option 'fig-wdth'; did you mean 'fig-width'?"
    ]


def test_a_figure_size_change_changes_the_key_and_a_fold_does_not() -> None:
    def key(option_line: str) -> dict[str, Any]:
        document = parse_text(f"```{{python}}\n{option_line}\nx = 1\n```\n")
        graph = build_graph(document)
        return key_components(graph.nodes[0], graph, {}, [])

    base = key("#| label: a")
    assert key("#| fig-width: 9") != base
    assert key("#| warning: false") != base
    assert key("#| code-fold: true") == base
    assert key("#| out-width: 50%") == base


def test_quarto_echo_fenced_is_an_echo_value() -> None:
    (block,) = parse_text("```{python}\n#| echo: fenced\nx = 1\n```\n").blocks
    assert block.option("echo") == "fenced"


def test_normalise_maps_knitr_and_mystnb_spellings() -> None:
    given = {"dpi": 96, "fig.dim": [6, 4], "tag": "remove-output"}
    assert normalise(given, path="d", line=1) == {
        "fig-dpi": 96,
        "fig-width": 6,
        "fig-height": 4,
        "tags": ["remove-output"],
        "output": False,
    }
