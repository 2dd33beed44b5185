"""Cross-references and numbering, checked on the HTML of small documents.

Each case renders one fixture under `tests/fixtures/crossref/` (parse, then the prose
renderer with the document's tokens and env) and compares what a reader sees: the
reference links in order, section headings, equation numbers, captions, paragraphs. A
no-break space shows as `~` in the expectations, so where Quarto puts one is visible.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from noteflow.markdown import markdown_parser
from noteflow.parse import parse_document
from noteflow.syntax.crossref import (
    TargetMark,
    Xrefs,
    caption_html,
    caption_prefix,
    number_document,
    reference_text,
)

FIXTURES = Path(__file__).parent / "fixtures" / "crossref"


class PageText(HTMLParser):
    """What a reader sees of the parts of a page these tests check."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.headings: list[str] = []
        self.equations: list[str] = []
        self.captions: list[str] = []
        self.paragraphs: list[str] = []
        self.code: list[str] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, attrs, parts = self._open.pop()
            text = "".join(parts).replace("\xa0", "~")
            if self._open and "header-anchor" not in attrs.get("class", ""):
                self._open[-1][2].append("".join(parts))
            self._collect(name, attrs, text)
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def _collect(self, tag: str, attrs: dict[str, str], text: str) -> None:
        classes = attrs.get("class", "").split()
        if tag == "a" and ("quarto-xref" in classes or "nf-xref" in classes):
            self.refs.append(f"{text} -> {attrs['href']}")
        elif tag == "strong" and text.startswith("?@"):
            self.refs.append(text)
        elif tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(text.strip())
        elif tag == "span" and "nf-equation-number" in classes:
            self.equations.append(text)
        elif tag == "div" and "nf-equation" in classes:
            self.equations[-1] = f"{attrs.get('id')} {self.equations[-1]}"
        elif tag == "figcaption":
            self.captions.append(text.strip())
        elif tag == "p":
            self.paragraphs.append(" ".join(text.split()))
        elif tag == "code":
            self.code.append(text)


def render(name: str) -> tuple[str, Xrefs]:
    path = FIXTURES / name
    document = parse_document(path, path.read_text(encoding="utf-8"))
    md = markdown_parser()
    page = md.renderer.render(list(document.tokens), md.options, dict(document.env))
    return page, document.env["nf_xrefs"]


def seen(name: str) -> PageText:
    page = PageText()
    page.feed(render(name)[0])
    page.close()
    return page


CASES = [
    # (fixture, what the reader sees, expected)
    (
        "references.qmd",
        "refs",
        [
            "Figure~1 -> #fig-growth",
            "Figure~2 -> #fig-elephant",
            "Table~1 -> #tbl-sales",
            "Figure~1 -> #fig-growth",
            "1 -> #tbl-sales",
            "Figure~2 -> #fig-elephant",
            "see~1 -> #fig-growth",
            "Figure~2 -> #fig-elephant",
            "Fig~1 -> #fig-growth",
            "?@fig-missing",
            "?@tbl-missing",
        ],
    ),
    (
        "references.qmd",
        "paragraphs",
        "Unknown ?@fig-missing and ?@tbl-missing; a citation @smith2020 and [@doe2019] stay.",
    ),
    (
        "references.qmd",
        "paragraphs",
        "Mid-sentence Figure~1, bare 1, bracketed Figure~2, grouped see~1, Figure~2, and Fig~1.",
    ),
    (
        "references.qmd",
        "paragraphs",
        "Untouched: @fig-growth, me@fig-growth.org, https://example.org/@fig-growth, @fig-growth.",
    ),
    ("references.qmd", "code", "@fig-growth"),
    ("references.qmd", "code", "@fig-growth in a code block\n"),
    (
        "numbering.qmd",
        "refs",
        [
            "Figure~1 -> #fig-first",
            "Figure~2 -> #fig-second",
            "Figure~3 -> #fig-third",
            "Table~1 -> #tbl-one",
            "Table~2 -> #tbl-two",
            "Equation~1 -> #eq-energy",
            "Equation~2 -> #eq-pythagoras",
        ],
    ),
    ("numbering.qmd", "equations", ["eq-energy (1)", "eq-pythagoras (2)"]),
    (
        "prefixes.qmd",
        "paragraphs",
        "Refs: fig.~II, Fig.~II, fig.~I (ii), fig.~I and fig.~II, Tab.~1, Eq.~1.",
    ),
    (
        "subfigures.qmd",
        "refs",
        [
            "Figure~1 -> #fig-plots",
            "Figure~1 (b) -> #fig-plots-2",
            "1 (a) -> #fig-plots-1",
            "Figure~2 (c) -> #fig-many-3",
            "?@fig-plots-3",
        ],
    ),
    (
        "equations.qmd",
        "equations",
        ["eq-black-scholes (1)", "myst-label (2)", "eq-quoted (3)"],
    ),
    (
        "equations.qmd",
        "refs",
        [
            "Equation~1 -> #eq-black-scholes",
            "Equation~1 -> #eq-black-scholes",
            "Equation~3 -> #eq-quoted",
        ],
    ),
    ("listings.qmd", "captions", ["Listing~1: Customers Query"]),
    ("listings.qmd", "code", "SELECT * FROM Customers\n"),
    ("listings.qmd", "refs", ["Listing~1 -> #lst-customers", "Listing~2 -> #python-1"]),
    (
        "sections.qmd",
        "headings",
        ["1 Introduction", "1.1 Background", "2 Methods", "2.1 Data", "Appendix", "3 Conclusion"],
    ),
    (
        "sections.qmd",
        "refs",
        [
            "Section~1 -> #sec-intro",
            "Section~1.1 -> #sec-background",
            "Section~3 -> #sec-conclusion",
            "Appendix -> #sec-appendix",
        ],
    ),
    ("sections-unnumbered.qmd", "headings", ["Introduction"]),
    (
        "sections-unnumbered.qmd",
        "refs",
        ["Introduction -> #sec-intro", "Introduction -> #sec-intro"],
    ),
    (
        "subfigure-div.qmd",
        "refs",
        [
            "Figure~1 -> #fig-elephants",
            "Figure~1 (a) -> #fig-surus",
            "Figure~1 (b) -> #fig-hanno",
            "Figure~2 -> #fig-alone",
            "Theorem~1 -> #thm-line",
        ],
    ),
    ("myst.md", "headings", ["1 Introduction"]),
    (
        "myst.md",
        "refs",
        [
            "Introduction -> #intro-label",
            "Figure~1 -> #my-fig",
            "(1) -> #my-eq",
            "(2) -> #other-eq",
        ],
    ),
    ("no-links.qmd", "refs", []),
    ("no-links.qmd", "paragraphs", "See Figure~1 and 1."),
    ("chapters.qmd", "headings", ["1 One", "2 Two"]),
    (
        "chapters.qmd",
        "refs",
        ["Figure~1.1 -> #fig-a", "Figure~2.1 -> #fig-b", "Figure~2.2 -> #fig-c"],
    ),
]


@pytest.mark.parametrize(
    ("fixture", "part", "expected"),
    CASES,
    ids=[f"{fixture}-{part}-{n}" for n, (fixture, part, _) in enumerate(CASES)],
)
def test_page_shows(fixture: str, part: str, expected: str | list[str]) -> None:
    found = getattr(seen(fixture), part)
    if isinstance(expected, list):
        assert found == expected
    else:
        assert expected in found


def test_unknown_references_warn_with_file_and_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        render("references.qmd")
    messages = [r.getMessage() for r in caplog.records if "cross-reference" in r.getMessage()]
    line = _line_of("references.qmd", "Unknown @fig-missing")
    assert [m.split(": ", 1)[0] for m in messages] == [f"{FIXTURES / 'references.qmd'}:{line}"] * 2
    assert "@fig-missing" in messages[0] and "@tbl-missing" in messages[1]


def test_unknown_references_in_captions_warn_at_their_block(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        render("caption-refs.qmd")
    path = FIXTURES / "caption-refs.qmd"
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        f"{path}:5: unknown cross-reference @fig-nowhere in `fig-cap`",
        f"{path}:11: unknown cross-reference @tbl-gone in `fig-subcap`",
    ]


def _line_of(name: str, text: str) -> int:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


API_CASES = [
    # (fixture, label, caption_prefix, reference_text)
    ("references.qmd", "fig-growth", "Figure~1", "Figure~1"),
    ("references.qmd", "tbl-sales", "Table~1", "Table~1"),
    ("prefixes.qmd", "fig-b", "Figure~II", "fig.~II"),
    ("prefixes.qmd", "fig-a-1", "(i)", "fig.~I (i)"),
    ("subfigures.qmd", "fig-plots-2", "(b)", "Figure~1 (b)"),
    ("sections-unnumbered.qmd", "sec-intro", "", "Introduction"),
    ("myst.md", "intro-label", "Section~1", "Section~1"),
    ("myst.md", "my-eq", "Equation~1", "Equation~1"),
]


@pytest.mark.parametrize(("fixture", "label", "caption", "text"), API_CASES)
def test_renderers_get_caption_and_reference_text(
    fixture: str, label: str, caption: str, text: str
) -> None:
    target = render(fixture)[1].lookup(label)
    assert target is not None
    assert caption_prefix(target).replace("\xa0", "~") == caption
    assert reference_text(target).replace("\xa0", "~") == text


def test_caption_html_puts_the_prefix_and_delimiter_before_the_caption() -> None:
    target = render("subfigures.qmd")[1].lookup("fig-plots")
    sub = render("subfigures.qmd")[1].lookup("fig-plots-1")
    assert target is not None and sub is not None
    assert caption_html(target, "<em>Plots</em>") == (
        '<span class="nf-caption-prefix">Figure\xa01:</span> <em>Plots</em>'
    )
    assert caption_html(sub, "Plot 1") == '<span class="nf-caption-prefix">(a)</span> Plot 1'


def test_block_captions_and_references_agree_on_the_rendered_page(
    tmp_path: Path, render_fake: Callable[..., Any]
) -> None:
    path = tmp_path / "subfigures.qmd"
    shutil.copy(FIXTURES / "subfigures.qmd", path)
    outcome = render_fake(path)
    page = PageText()
    page.feed(outcome.output.read_text(encoding="utf-8"))
    assert "Figure~1: Plots" in page.captions
    assert "(a) Plot 1" in page.captions
    assert 'id="fig-plots-1"' in outcome.output.read_text(encoding="utf-8")
    assert page.refs[:3] == [
        "Figure~1 -> #fig-plots",
        "Figure~1 (b) -> #fig-plots-2",
        "1 (a) -> #fig-plots-1",
    ]


def _numbered_with_marks(text: str, marks: dict[int, TargetMark]) -> Xrefs:
    """Number `text` after putting `marks` on the tokens at those indexes, as a plugin does."""
    env: dict[str, object] = {}
    tokens = markdown_parser().parse(text, env)
    for index, mark in marks.items():
        tokens[index].meta["nf_target"] = mark
    return number_document(tokens, (), env, "doc.md")


def test_figures_inside_a_marked_figure_are_its_subfigures() -> None:
    text = "![Surus](surus.png){#fig-surus} ![Hanno](hanno.png){#fig-hanno}\n\n![Other](o.png){#fig-o}\n"
    xrefs = _numbered_with_marks(text, {0: TargetMark("fig-elephants", "fig", "Famous")})
    found = {label: reference_text(t).replace("\xa0", "~") for label, t in xrefs.targets.items()}
    assert found == {
        "fig-elephants": "Figure~1",
        "fig-surus": "Figure~1 (a)",
        "fig-hanno": "Figure~1 (b)",
        "fig-o": "Figure~2",
    }


def test_a_myst_target_before_a_heading_names_that_section() -> None:
    text = "---\nnumber-sections: true\n---\n\n# Intro\n\nmarker\n\n## Details\n"
    tokens = markdown_parser().parse(text, {})
    heading = next(i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2")
    xrefs = _numbered_with_marks(text, {heading - 1: TargetMark("details-label", "target")})
    target = xrefs.lookup("details-label")
    assert target is not None
    assert (target.kind, target.number, target.anchor, target.title) == (
        "sec",
        "1.1",
        "details",
        "Details",
    )
