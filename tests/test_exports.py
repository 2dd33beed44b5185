"""Exports: `--to md` (GitHub-flavoured Markdown with image files beside it) and `--to ipynb`
(a notebook that keeps its title, captions and parameters and runs top to bottom).

Fast tests give the exporters a parsed fixture and results written out by hand (what a
run would give: a stream, a PNG, HTML and Markdown displays, an inline value); the
`kernel` tests render the same fixture with a real kernel and run the notebook with
nbclient.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest

from noteflow.gfm import default_output, files_folder, to_markdown, write_markdown
from noteflow.model import BlockId, BlockResult, RunSummary
from noteflow.notebook import parameters_code, to_notebook, write_notebook
from noteflow.sources import read_document
from noteflow.store import open_store

EXPORTS = Path(__file__).parent / "fixtures" / "sources" / "exports"
PNG = b"\x89PNG\r\n\x1a\n" + b"not really an image, but bytes to write"


def _result(block_id: str, *outputs: dict[str, Any]) -> BlockResult:
    return BlockResult(BlockId(block_id), "executed", tuple(outputs), 0.1, "new", None)


def _display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def _summary() -> RunSummary:
    results = [
        _result("inline-1", {"output_type": "execute_result", "data": {"text/plain": "6"},
                             "metadata": {}, "execution_count": None}),
        _result("numbers", {"output_type": "stream", "name": "stdout", "text": "[0, 1, 2]\n"}),
        _result("fig-plot", _display({"image/png": base64.b64encode(PNG).decode(),
                                      "text/plain": "<Figure size 640x480>"})),
        _result("python-3", _display({"text/html": "<b>bold html</b>", "text/plain": "<HTML>"}),
                _display({"text/markdown": "*markdown output*", "text/plain": "<Markdown>"})),
        _result("python-4"),
    ]  # fmt: skip
    return RunSummary({r.block_id: r for r in results}, 0.5, {"python": "3.11.2"})


@pytest.fixture
def exported(tmp_path: Path) -> tuple[str, dict[str, bytes]]:
    document = read_document(EXPORTS / "report.qmd")
    export = to_markdown(document, _summary(), open_store(tmp_path / "store"), "report_files")
    return export.text, export.files


# ----------------------------------------------------------------------------- --to md


def test_markdown_starts_with_the_title_and_keeps_the_prose(exported) -> None:
    text, _ = exported
    assert text.startswith("# Export report\n\nSome prose with 6 inside.\n")
    assert "See Figure 1. Closing prose." in text
    assert "---" not in text  # no front matter


def test_markdown_code_is_a_plain_fence_without_option_lines(exported) -> None:
    text, _ = exported
    assert "```python\nnumbers = list(range(n))\nprint(numbers)\n```" in text
    assert "#|" not in text and "{python}" not in text


def test_markdown_text_output_is_a_fence_after_its_code(exported) -> None:
    text, _ = exported
    assert "print(numbers)\n```\n\n```\n[0, 1, 2]\n```" in text


def test_markdown_image_is_a_file_beside_it_named_by_its_content(exported) -> None:
    text, files = exported
    image = re.search(r"!\[A straight line\]\(report_files/([0-9a-f]{16}\.png)\)", text)
    assert image is not None
    assert files == {image[1]: PNG}
    assert "*Figure 1: A straight line*" in text


def test_markdown_html_and_markdown_outputs_are_inline(exported) -> None:
    text, _ = exported
    assert "\n<b>bold html</b>\n" in text
    assert "\n*markdown output*\n" in text
    assert "from IPython.display" not in text  # echo: false


def test_markdown_leaves_out_an_include_false_block(exported) -> None:
    text, _ = exported
    assert "hidden = 1" not in text


def test_write_markdown_writes_images_beside_the_file(tmp_path: Path) -> None:
    document = read_document(EXPORTS / "report.qmd")
    target = tmp_path / "out" / "README.md"
    write_markdown(document, _summary(), open_store(tmp_path / "store"), target)
    images = list(files_folder(target).iterdir())
    assert [p.read_bytes() for p in images] == [PNG]
    assert f"](README_files/{images[0].name})" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("source", "to", "expected"),
    [
        ("report.qmd", "md", "report.md"),
        ("notes.md", "md", "notes.out.md"),
        ("notes.md", "html", "notes.html"),
        ("analysis.py", "md", "analysis.md"),
        ("nb.ipynb", "ipynb", "nb.out.ipynb"),
        ("report.Rmd", "ipynb", "report.ipynb"),
    ],
)
def test_the_default_output_never_overwrites_the_source(
    source: str, to: str, expected: str
) -> None:
    assert default_output(Path("/docs") / source, to) == Path("/docs") / expected


# ----------------------------------------------------------------------------- --to ipynb


@pytest.fixture
def notebook(tmp_path: Path) -> nbformat.NotebookNode:
    document = read_document(EXPORTS / "report.qmd")
    return to_notebook(document, _summary(), open_store(tmp_path / "store"), {"n": 5})


def test_notebook_is_valid_and_opens_with_its_title(notebook) -> None:
    nbformat.validate(notebook)
    assert notebook.metadata["title"] == "Export report"
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source == "# Export report"


def test_notebook_has_a_parameters_cell_with_the_values_in_force(notebook) -> None:
    cell = notebook.cells[1]
    assert cell.cell_type == "code" and cell.metadata["tags"] == ["parameters"]
    assert cell.source == "n = 5"


def test_notebook_cells_keep_labels_and_captions(notebook) -> None:
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert "#| label: fig-plot\n#| fig-cap: A straight line\nimport matplotlib" in sources[2]
    images = [o for c in notebook.cells for o in c.get("outputs", []) if "data" in o]
    assert base64.b64decode(images[0]["data"]["image/png"]) == PNG


def test_notebook_markdown_cells_hold_inline_values_and_numbered_references(notebook) -> None:
    assert notebook.cells[2].source == "Some prose with 6 inside."
    assert notebook.cells[-1].source == "See Figure 1. Closing prose."


def test_notebook_round_trips_through_noteflow(tmp_path: Path, notebook) -> None:
    path = tmp_path / "report.ipynb"
    path.write_text(write_notebook(notebook), encoding="utf-8")
    document = read_document(path)
    assert document.front_matter["params"] == {"n": 5}
    assert document.title == "Export report"
    assert [b.id for b in document.blocks if b.kind == "code"] == [
        "numbers", "fig-plot", "python-3", "python-4"
    ]  # fmt: skip
    assert document.blocks[-1].option("include") is False


def test_fence_attribute_options_become_option_lines(tmp_path: Path) -> None:
    path = tmp_path / "doc.Rmd"
    path.write_text("```{python load, echo=FALSE}\nx = 1\n```\n", encoding="utf-8")
    summary = RunSummary({}, 0.0, {})
    notebook = to_notebook(read_document(path), summary, open_store(tmp_path / "store"))
    assert notebook.cells[0].source == '#| label: "load"\n#| echo: false\nx = 1'


def test_a_block_expected_to_fail_is_tagged_so_the_notebook_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "doc.qmd"
    path.write_text("```{python}\n#| error: true\n1 / 0\n```\n", encoding="utf-8")
    summary = RunSummary({}, 0.0, {})
    notebook = to_notebook(read_document(path), summary, open_store(tmp_path / "store"))
    assert notebook.cells[0].metadata["tags"] == ["raises-exception"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("python", "n = 3\nname = 'a b'\nxs = [1, 2]"),
        ("bash", "n=3\nname='a b'\nxs='[1, 2]'"),
        ("javascript", 'var n = 3;\nvar name = "a b";\nvar xs = [1, 2];'),
    ],
)
def test_parameters_code_per_language(language: str, expected: str) -> None:
    assert parameters_code({"n": 3, "name": "a b", "xs": [1, 2]}, language) == expected


def test_parameters_code_in_r_also_gives_a_params_list() -> None:
    code = parameters_code({"n": 3}, "r")
    assert code == "n <- jsonlite::fromJSON('3')\nparams <- list(n = n)"


# ----------------------------------------------------------------------------- real kernels


def _render_for_real(folder: Path) -> tuple[Any, RunSummary, Any, Any]:
    from noteflow.execute import Executor
    from noteflow.pipeline import RenderOptions, prepare

    document, plan, store = prepare(folder / "report.qmd", RenderOptions())
    with Executor(store, folder) as executor:
        summary = executor.run(plan)
    return document, summary, store, plan


@pytest.mark.kernel
def test_markdown_export_of_a_real_render_has_its_figure(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    document, summary, store, _ = _render_for_real(folder)
    target = write_markdown(document, summary, store, folder / "report.md")
    text = target.read_text(encoding="utf-8")
    image = re.search(r"\]\((report_files/[0-9a-f]{16}\.png)\)", text)
    assert image is not None
    assert (folder / image[1]).read_bytes().startswith(b"\x89PNG")
    assert "```\n[0, 1, 2]\n```" in text
    assert "<b>bold html</b>" in text and "*markdown output*" in text


@pytest.mark.kernel
def test_notebook_export_runs_top_to_bottom_with_nbclient(tmp_path: Path) -> None:
    import nbclient  # a test extra

    folder = tmp_path / "exports"
    shutil.copytree(EXPORTS, folder)
    document, summary, store, plan = _render_for_real(folder)
    notebook = to_notebook(document, summary, store, plan.graph.params)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # nbclient fills them again
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    printed = [
        o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
    ]
    assert "[0, 1, 2]\n" in printed
    kinds = {k for c in notebook.cells if c.cell_type == "code" for o in c.outputs
             for k in o.get("data", {})}  # fmt: skip
    assert "image/png" in kinds
    assert json.loads(json.dumps(notebook.metadata))["title"] == "Export report"


@pytest.mark.kernel
def test_cli_to_md_writes_markdown_beside_a_qmd_and_never_over_a_md(tmp_path: Path) -> None:
    from noteflow.cli import main

    source = (
        "---\ntitle: Sums\n---\n\nThe sum:\n\n```{python}\n#| label: total\nprint(1 + 2)\n```\n"
    )
    (tmp_path / "report.qmd").write_text(source, encoding="utf-8")
    (tmp_path / "notes.md").write_text(source, encoding="utf-8")
    assert main(["render", "--to", "md", "-q", str(tmp_path / "report.qmd")]) == 0
    assert main(["render", "--to", "md", "-q", str(tmp_path / "notes.md")]) == 0
    written = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "```python\nprint(1 + 2)\n```" in written and "#|" not in written
    assert "```\n3\n```" in written and "<html" not in written
    assert (tmp_path / "notes.md").read_text(encoding="utf-8") == source
    assert "```\n3\n```" in (tmp_path / "notes.out.md").read_text(encoding="utf-8")


def test_markdown_export_keeps_data_html_dead(tmp_path: Path) -> None:
    source = tmp_path / "evil.qmd"
    source.write_text(
        "Inline: `{python} evil`.\n\n```{python}\n#| label: shown\nshow()\n```\n", encoding="utf-8"
    )
    document = read_document(source)
    hostile = "<img src=x onerror=alert(1)>"
    inline = {"output_type": "execute_result", "data": {"text/plain": hostile}, "metadata": {}}
    shown = _display({"text/markdown": f"**bold** {hostile}", "text/plain": "<Markdown>"})
    results = [_result("inline-1", {**inline, "execution_count": None}), _result("shown", shown)]
    summary = RunSummary({r.block_id: r for r in results}, 0.1, {})
    text = to_markdown(document, summary, open_store(tmp_path / ".noteflow")).text
    assert "<img" not in text and text.count("&lt;img src=x onerror=alert(1)") == 2
    assert "**bold**" in text
