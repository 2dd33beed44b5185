"""Document sources: Quarto includes and shortcodes, jupytext Markdown and scripts, notebooks.

Fast tests read the fixtures under `fixtures/sources/` (copied to a scratch folder when a
render writes beside them) and check the blocks the parse stage sees, the positions in
messages, and the rendered page. The `kernel` tests render them with a real Python kernel.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from noteflow.adapters import find_kernelspec
from noteflow.errors import DocumentError, OptionError
from noteflow.sources import is_document, read_document, read_source

SOURCES = Path(__file__).parent / "fixtures" / "sources"


def copied(tmp_path: Path, folder: str) -> Path:
    target = tmp_path / folder
    shutil.copytree(SOURCES / folder, target)
    return target


class _Text(HTMLParser):
    """The text of a page's body, and the text inside given tags."""

    def __init__(self, *tags: str) -> None:
        super().__init__()
        self.tags = tags
        self.depth = 0
        self.text: list[str] = []
        self.inside: dict[str, list[str]] = {tag: [] for tag in tags}
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for tag in self.tags:
            if tag in self.open:
                self.inside[tag].append(data)


def page_text(path: Path, *tags: str) -> _Text:
    parser = _Text(*tags)
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


# ----------------------------------------------------------------------------- includes


def test_an_included_files_blocks_are_blocks_of_the_document() -> None:
    document = read_document(SOURCES / "include" / "main.qmd")
    assert [b.id for b in document.blocks] == ["base", "extra", "total"]
    folder = (SOURCES / "include").resolve()
    parts = ("_intro.qmd", "parts/_nested.qmd", "parts/_leaf.qmd")
    assert document.included == tuple(folder / part for part in parts)


def test_a_block_of_an_included_file_knows_its_file_and_line() -> None:
    document = read_document(SOURCES / "include" / "main.qmd")
    blocks = {b.id: b for b in document.blocks}
    base = document.origin(blocks["base"].line)
    assert (base.path.name, base.line) == ("_intro.qmd", 7)
    extra = document.origin(blocks["extra"].line)
    assert (extra.path.name, extra.line) == ("_leaf.qmd", 1)
    total = document.origin(blocks["total"].line)
    assert (total.path.name, total.line) == ("main.qmd", 11)


def test_an_included_files_front_matter_is_not_shown_and_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        document = read_document(SOURCES / "include" / "main.qmd")
    assert "ignored, as the included" not in document.source
    assert document.title == "Included report"
    assert any("_intro.qmd:1: the front matter" in m for m in caplog.messages)


def test_an_include_cycle_is_an_error_at_the_include_that_closes_it() -> None:
    with pytest.raises(DocumentError) as caught:
        read_document(SOURCES / "cycle" / "main.qmd")
    assert "include cycle: _a.qmd -> _b.qmd -> _a.qmd" in caught.value.message
    assert (Path(str(caught.value.path)).name, caught.value.line) == ("_b.qmd", 3)


def test_a_missing_included_file_is_an_error_with_file_and_line() -> None:
    with pytest.raises(DocumentError) as caught:
        read_document(SOURCES / "missing" / "main.qmd")
    assert "included file not found: _nowhere.qmd" in str(caught.value)
    assert (Path(str(caught.value.path)).name, caught.value.line) == ("main.qmd", 5)


def test_an_option_error_in_an_included_file_names_that_file_and_line() -> None:
    with pytest.raises(OptionError) as caught:
        read_document(SOURCES / "badopt" / "main.qmd")
    assert str(caught.value).startswith(f"{(SOURCES / 'badopt' / '_bad.qmd').resolve()}:5: ")


def test_a_warning_about_an_included_file_names_that_file_and_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        read_document(SOURCES / "badopt" / "warn.qmd")
    colour = [m for m in caplog.messages if "colour" in m]
    assert colour and colour[0].startswith(f"{(SOURCES / 'badopt' / '_warn.qmd').resolve()}:4: ")


def test_an_include_inside_a_code_block_is_shown_not_included(tmp_path: Path) -> None:
    (tmp_path / "doc.qmd").write_text(
        "# Doc\n\n```markdown\n{{< include _x.qmd >}}\n```\n", encoding="utf-8"
    )
    document = read_document(tmp_path / "doc.qmd")
    assert "{{< include _x.qmd >}}" in document.source
    assert document.included == ()


def test_an_included_block_runs_in_the_page(tmp_path: Path, render_fake) -> None:
    folder = copied(tmp_path, "include")
    outcome = render_fake(folder / "main.qmd")
    assert {r.status for r in outcome.summary.results.values()} == {"executed"}
    text = page_text(outcome.output, "h2", "pre")
    assert "Introduction from the part" in [t.strip() for t in text.inside["h2"]]
    assert any("42" in chunk for chunk in text.inside["pre"])


def test_watch_rebuilds_when_an_included_file_changes(tmp_path: Path) -> None:
    from noteflow.pipeline import RenderOptions, prepare
    from noteflow.watch import watched_paths

    folder = copied(tmp_path, "include")
    _, plan, _ = prepare(folder / "main.qmd", RenderOptions())
    watched = watched_paths(plan)
    assert {folder.resolve() / "_intro.qmd", folder.resolve() / "parts/_leaf.qmd"} <= watched


# ----------------------------------------------------------------------------- shortcodes


@pytest.fixture(scope="module")
def shortcodes_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    from fakerender import render_with_fake_kernel

    folder = copied(tmp_path_factory.mktemp("shortcodes"), "shortcodes")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("noteflow").addHandler(handler)
    try:
        outcome = render_with_fake_kernel(folder / "doc.qmd")
    finally:
        logging.getLogger("noteflow").removeHandler(handler)
    return outcome.output.read_text(encoding="utf-8"), records


def test_meta_and_var_shortcodes_are_replaced_in_prose(shortcodes_page) -> None:
    page, _ = shortcodes_page
    assert "Version 7 by Ada of Widget Pro." in page


def test_kbd_and_the_escape_and_pagebreak(shortcodes_page) -> None:
    page, _ = shortcodes_page
    assert "<kbd>Ctrl-C</kbd>" in page
    assert "Literal: {{&lt; meta version &gt;}}." in page
    assert "pagebreak" not in page


def test_video_shortcodes_give_a_player_or_a_video_element(shortcodes_page) -> None:
    page, records = shortcodes_page
    assert '<iframe src="https://www.youtube.com/embed/wo9vZccmqwc?start=30" title="A talk"' in page
    assert '<video controls src="clip.mp4" width="320"></video>' in page
    assert not [r for r in records if "video" in r]


def test_shortcodes_in_code_are_untouched(shortcodes_page) -> None:
    page, _ = shortcodes_page
    assert "<code>{{&lt; meta version &gt;}}</code>" in page
    fence = re.search(r"shown.*?</pre>", page, re.DOTALL)
    assert fence is not None and "meta version" in re.sub(r"<[^>]+>", "", fence.group(0))


def test_an_unknown_shortcode_stays_visible_and_warns_once(shortcodes_page) -> None:
    page, records = shortcodes_page
    assert "{{&lt; nosuchcode https://example.com/v.mp4 &gt;}}" in page
    assert "{{&lt; nosuchcode other.mp4 &gt;}}" in page
    assert len([r for r in records if "nosuchcode" in r]) == 1
    assert "?var:nothing.here" in page
    assert any("doc.qmd:18: var 'nothing.here' is not defined" in r for r in records)


# ----------------------------------------------------------------------------- jupytext


def test_jupytext_markdown_runs_fences_in_the_kernels_language_only() -> None:
    document = read_document(SOURCES / "jupytext" / "analysis.md")
    assert [(b.language, b.code.strip()) for b in document.blocks] == [
        ("python", "numbers = [1, 2, 3]"),
        ("python", "print(sum(numbers))"),
    ]
    assert document.blocks[1].option("echo") is False  # the remove-input tag
    assert document.title == "A jupytext notebook"
    assert "jupyter" not in document.front_matter


def test_jupytext_markdown_regions_and_raw_cells_are_protected(tmp_path: Path, render_fake) -> None:
    folder = copied(tmp_path, "jupytext")
    outcome = render_fake(folder / "analysis.md")
    text = page_text(outcome.output, "pre", "em")
    pre = "".join(text.inside["pre"])
    assert "never_run = True" in pre  # the region's fence is shown
    assert "Raw *text* is not Markdown." in pre  # raw text, not emphasis
    assert 'echo "shown, not run"' in pre
    assert "text" not in "".join(text.inside["em"])
    assert "6" in pre  # print(sum(numbers)) ran


def test_a_jupytext_markdown_block_knows_its_line() -> None:
    document = read_document(SOURCES / "jupytext" / "analysis.md")
    first = document.origin(document.blocks[0].line)
    assert (first.path.name, first.line) == ("analysis.md", 20)


def test_a_percent_script_becomes_prose_and_blocks() -> None:
    document = read_document(SOURCES / "jupytext" / "percent.py")
    assert [b.id for b in document.blocks] == ["load", "python-2"]
    assert document.blocks[1].option("echo") is False
    assert document.title == "A percent script"
    assert "# Percent script" in document.source
    assert "Some *prose* in a Markdown cell." in document.source


def test_an_error_in_a_script_names_the_scripts_line() -> None:
    with pytest.raises(OptionError) as caught:
        read_document(SOURCES / "jupytext" / "bad_percent.py")
    assert caught.value.path == str((SOURCES / "jupytext" / "bad_percent.py").resolve())
    assert caught.value.line == 9


def test_a_light_script_becomes_prose_and_blocks() -> None:
    document = read_document(SOURCES / "jupytext" / "light.py")
    assert [b.code.strip() for b in document.blocks] == [
        "numbers = list(range(4))",
        "print(sum(numbers))",
    ]
    assert "# A light script" in document.source


def test_a_knitr_spin_script_becomes_r_blocks() -> None:
    document = read_document(SOURCES / "jupytext" / "spin.R")
    assert [(b.id, b.language) for b in document.blocks] == [("r-1", "r"), ("summary", "r")]
    assert document.blocks[1].option("echo") is False
    assert "Prose after roxygen marks." in document.source


# ----------------------------------------------------------------------------- notebooks


def test_a_notebook_becomes_prose_and_blocks_with_its_tags_and_parameters() -> None:
    document = read_document(SOURCES / "jupytext" / "nb.ipynb")
    assert [b.id for b in document.blocks] == ["python-1", "hidden"]
    assert document.blocks[1].option("echo") is False
    assert document.front_matter["params"] == {"n": 3, "label": "runs"}
    assert document.title == "A notebook"
    assert "Some **Markdown** before the code." in document.source


def test_a_notebooks_raw_cell_is_kept_as_text(tmp_path: Path, render_fake) -> None:
    folder = copied(tmp_path, "jupytext")
    outcome = render_fake(folder / "nb.ipynb")
    assert outcome.output.name == "nb.html"
    text = page_text(outcome.output, "pre", "strong")
    pre = "".join(text.inside["pre"])
    assert "raw *cell* text" in pre
    assert "runs [0, 1, 4]" in pre
    assert text.inside["strong"] == ["Markdown"]


def test_a_notebooks_parameters_are_overridden_by_p(tmp_path: Path, render_fake) -> None:
    folder = copied(tmp_path, "jupytext")
    outcome = render_fake(folder / "nb.ipynb", params={"n": 2})
    assert "runs [0, 1]" in "".join(page_text(outcome.output, "pre").inside["pre"])


def test_an_error_in_a_notebook_names_the_line_of_its_json() -> None:
    with pytest.raises(OptionError) as caught:
        read_document(SOURCES / "jupytext" / "nb_bad.ipynb")
    assert Path(str(caught.value.path)).name == "nb_bad.ipynb"
    lines = (SOURCES / "jupytext" / "nb_bad.ipynb").read_text().split("\n")
    assert caught.value.line is not None
    assert "#| timeout: [1" in lines[caught.value.line - 1]


def test_a_first_raw_cell_that_is_not_a_yaml_mapping_stays_a_cell(tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_raw_cell

    cells = [new_raw_cell("---\nContent.\n---"), new_code_cell("x = 1")]
    nbformat.write(new_notebook(cells=cells), tmp_path / "raw.ipynb")
    document = read_document(tmp_path / "raw.ipynb")
    assert document.front_matter == {}
    assert "Content." in document.source and len(document.blocks) == 1


def test_a_jupytext_header_with_only_a_kernelspec_is_jupytext_markdown(tmp_path: Path) -> None:
    kernelspec = (
        "  kernelspec:\n    display_name: Python 3\n    language: python\n    name: python3\n"
    )
    header = f"---\njupyter:\n{kernelspec}---\n"
    (tmp_path / "doc.md").write_text(header + "\n```python\nx = 1\n```\n", encoding="utf-8")
    assert [b.code.strip() for b in read_document(tmp_path / "doc.md").blocks] == ["x = 1"]
    quarto = "---\njupyter: python3\n---\n\n```python\nx = 1\n```\n"
    (tmp_path / "quarto.md").write_text(quarto, encoding="utf-8")
    assert read_document(tmp_path / "quarto.md").blocks == ()


def test_a_file_that_is_not_a_notebook_is_a_document_error(tmp_path: Path) -> None:
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(DocumentError, match="not a Jupyter notebook"):
        read_document(tmp_path / "broken.ipynb")


# ----------------------------------------------------------------------------- documents


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("include/main.qmd", True),
        ("include/_intro.qmd", False),
        ("jupytext/analysis.md", True),
        ("jupytext/nb.ipynb", True),
        ("jupytext/percent.py", True),
        ("jupytext/spin.R", True),
        ("jupytext/plain_module.py", False),
        ("shortcodes/_variables.yml", False),
    ],
)
def test_which_files_are_documents(name: str, expected: bool) -> None:
    assert is_document(SOURCES / name) is expected


def test_a_markdown_file_without_includes_keeps_no_line_map() -> None:
    document = read_document(SOURCES / "shortcodes" / "doc.qmd")
    assert document.origins == ()
    assert document.origin(5).line == 5


def test_a_script_named_on_the_command_line_is_read_even_without_cell_marks() -> None:
    document = read_document(SOURCES / "jupytext" / "plain_module.py")
    assert [b.code.strip() for b in document.blocks][-1] == "VALUE = 1"


def test_read_source_maps_every_line_to_its_file() -> None:
    source = read_source(SOURCES / "include" / "main.qmd")
    assert len(source.lines) == len(source.origins)
    names = {o.path.name for o in source.origins}
    assert names == {"main.qmd", "_intro.qmd", "_nested.qmd", "_leaf.qmd"}


# ----------------------------------------------------------------------------- real kernels


def _noteflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noteflow", *args], cwd=cwd, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.mark.kernel
def test_render_an_include_whose_block_runs(tmp_path: Path) -> None:
    folder = copied(tmp_path, "include")
    done = _noteflow("render", "main.qmd", cwd=folder)
    assert done.returncode == 0, done.stderr
    pre = "".join(page_text(folder / "main.html", "pre").inside["pre"])
    assert "42" in pre


@pytest.mark.kernel
def test_render_a_percent_script(tmp_path: Path) -> None:
    folder = copied(tmp_path, "jupytext")
    done = _noteflow("render", "percent.py", cwd=folder)
    assert done.returncode == 0, done.stderr
    text = page_text(folder / "percent.html", "pre", "h1", "em")
    assert "12" in "".join(text.inside["pre"])
    assert "print(sum(values))" not in "".join(text.inside["pre"])  # remove-input
    assert "Percent script" in "".join(text.inside["h1"])


@pytest.mark.kernel
def test_render_a_notebook(tmp_path: Path) -> None:
    folder = copied(tmp_path, "jupytext")
    done = _noteflow("render", "nb.ipynb", "-P", "n=4", cwd=folder)
    assert done.returncode == 0, done.stderr
    pre = "".join(page_text(folder / "nb.html", "pre").inside["pre"])
    assert "runs [0, 1, 4, 9]" in pre


@pytest.mark.kernel
@pytest.mark.skipif(find_kernelspec("ir") is None, reason="IRkernel is not installed")
def test_render_a_knitr_spin_script(tmp_path: Path) -> None:
    folder = copied(tmp_path, "jupytext")
    done = _noteflow("render", "spin.R", cwd=folder)
    assert done.returncode == 0, done.stderr
    pre = "".join(page_text(folder / "spin.html", "pre").inside["pre"])
    assert "5.5" in pre
    assert "mean(x)" not in pre  # echo=FALSE


def test_a_graph_error_in_an_included_file_names_that_file_and_line(tmp_path: Path) -> None:
    from noteflow.errors import GraphError
    from noteflow.graph import build_graph

    (tmp_path / "_part.qmd").write_text(
        "Some text.\n\n```{python}\n#| uses: [nosuch]\nprint(1)\n```\n", encoding="utf-8"
    )
    main = tmp_path / "main.qmd"
    main.write_text("# Main\n\n{{< include _part.qmd >}}\n", encoding="utf-8")
    problems = build_graph(read_document(main)).problems
    assert len(problems) == 1 and isinstance(problems[0], GraphError)
    assert "nosuch" in problems[0].message
    assert (problems[0].path, problems[0].line) == (str(tmp_path / "_part.qmd"), 3)


def test_an_environment_value_is_text_not_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRANCH", "<img src=x onerror=alert(1)> main")
    doc = tmp_path / "env.qmd"
    doc.write_text(
        "Built from {{< env BRANCH >}} and {{< env UNSET_NAME <b>fallback</b> >}}.\n",
        encoding="utf-8",
    )
    from fakerender import render_with_fake_kernel

    page = render_with_fake_kernel(doc).output.read_text(encoding="utf-8")
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt; main" in page
    assert "<b>fallback</b>" not in page
