"""Files read without `files:` are tracked, in every language, on real kernels.

Each test renders a document whose blocks read files they do not declare, changes a file
on disk (not the document), renders again and checks which blocks ran, why, and that the
page shows the new content, as a render from an empty cache would.
"""

from __future__ import annotations

import os
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from noteflow.adapters import find_kernelspec
from noteflow.cachecmd import format_rows, list_cache
from noteflow.pipeline import RenderOptions, prepare, render_document

pytestmark = pytest.mark.kernel


def need(kernel: str) -> None:
    required = os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",")
    if find_kernelspec(kernel) is None and kernel not in required:
        pytest.skip(f"kernel {kernel} is not installed")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def render(doc: Path) -> dict[str, tuple[str, str]]:
    outcome = render_document(doc, RenderOptions())
    return {str(k): (r.status, r.reason) for k, r in outcome.summary.results.items()}


def executed(results: dict[str, tuple[str, str]]) -> set[str]:
    return {k for k, (status, _) in results.items() if status == "executed"}


def page(doc: Path) -> str:
    return doc.with_suffix(".html").read_text(encoding="utf-8")


def bump(path: Path, text: str) -> None:
    """Rewrite a file so its mtime surely moves (coarse clocks would hide a quick edit)."""
    stat = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_python_read_and_its_reader_rerun_when_the_file_changes(tmp_path: Path) -> None:
    write(tmp_path, "data/d.csv", "a\n1\n2\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        #| label: load
        with open("data/d.csv") as handle:
            rows = handle.read().split()[1:]
        total = sum(int(r) for r in rows)
        ```

        ```{python}
        #| label: show
        print("total is", total)
        ```

        ```{python}
        #| label: apart
        print("unrelated")
        ```
        """,
    )
    assert executed(render(doc)) == {"load", "show", "apart"}
    assert executed(render(doc)) == set()
    bump(tmp_path / "data/d.csv", "a\n1\n2\n40\n")
    results = render(doc)
    assert executed(results) == {"load", "show"}
    assert results["load"][1] == "file data/d.csv changed (read by the block)"
    assert results["show"][1].startswith("upstream load")
    assert "total is 43" in page(doc)
    listing = format_rows(
        list_cache(prepare(doc, RenderOptions())[1], prepare(doc, RenderOptions())[2])
    )
    assert "reads: data/d.csv" in listing


def test_python_listing_a_folder_reruns_when_a_file_is_added(tmp_path: Path) -> None:
    write(tmp_path, "inbox/a.txt", "a")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        import glob
        print(sorted(glob.glob("inbox/*.txt")))
        ```
        """,
    )
    render(doc)
    write(tmp_path, "inbox/b.txt", "b")
    results = render(doc)
    assert results["python-1"] == ("executed", "folder inbox changed (listed by the block)")
    assert "inbox/b.txt" in page(doc)


def test_deleted_file_reruns_the_block(tmp_path: Path) -> None:
    write(tmp_path, "gone.txt", "here\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        import os
        print("exists" if os.path.exists("gone.txt") and open("gone.txt").read() else "absent")
        ```
        """,
    )
    render(doc)
    (tmp_path / "gone.txt").unlink()
    results = render(doc)
    assert results["python-1"] == ("executed", "file gone.txt deleted (read by the block)")
    assert "absent" in page(doc)


def test_a_file_written_by_one_block_and_read_by_a_later_one(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        #| label: writer
        with open("out.txt", "w") as handle:
            handle.write("first")
        ```

        ```{python}
        #| label: reader
        print("read:", open("out.txt").read())
        ```
        """,
    )
    render(doc)
    assert "read: first" in page(doc)
    text = doc.read_text().replace('"first"', '"second"')
    doc.write_text(text)
    results = render(doc)
    assert executed(results) == {"writer", "reader"}
    assert results["reader"][1] == "file out.txt changed (read by the block)"
    assert "read: second" in page(doc)
    # The writer runs again with the same output: the reader stays cached.
    doc.write_text(text.replace('handle.write("second")', 'handle.write("sec" + "ond")'))
    results = render(doc)
    assert executed(results) == {"writer"}


def test_r_read_and_the_next_r_block_rerun(tmp_path: Path) -> None:
    need("ir")
    write(tmp_path, "r.txt", "alpha\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{r}
        #| label: load
        x <- readLines("r.txt")
        ```

        ```{r}
        #| label: show
        cat("value:", x, "\\n")
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "r.txt", "beta\n")
    results = render(doc)
    assert results["load"] == ("executed", "file r.txt changed (read by the block)")
    assert results["show"][0] == "executed"
    assert "value: beta" in page(doc)


def test_r_read_csv_and_list_files(tmp_path: Path) -> None:
    need("ir")
    write(tmp_path, "t.csv", "a,b\n1,2\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{r}
        d <- read.csv("t.csv")
        cat("sum", sum(d$a), length(list.files(".", pattern = "csv$")), "\\n")
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "t.csv", "a,b\n1,2\n5,6\n")
    results = render(doc)
    assert results["r-1"] == ("executed", "file t.csv changed (read by the block)")
    assert "sum 6 1" in page(doc)
    write(tmp_path, "u.csv", "a\n1\n")
    results = render(doc)
    assert results["r-1"][0] == "executed"
    assert "sum 6 2" in page(doc)


@dataclass(frozen=True)
class ReadCase:
    """A block that reads `path` without declaring it, and what it prints after the edit."""

    kernel: str
    block: str
    path: str
    before: str
    after: str
    code: str
    shown: str
    reason_part: str = "changed (read by the block)"


READ_CASES = [
    ReadCase(
        "python3",
        "python-1",
        "helpers.py",
        "FACTOR = 2\n",
        "FACTOR = 3\n",
        "```{python}\nimport helpers\nprint('factor', helpers.FACTOR)\n```\n",
        "factor 3",
    ),
    ReadCase(
        "python3",
        "python-1",
        "n.txt",
        "41\n",
        "42\n",
        "```{python}\nimport subprocess\n"
        "out = subprocess.run(['cat', 'n.txt'], capture_output=True, text=True).stdout\n"
        "print('n =', out)\n```\n",
        "n = 42",
    ),
    ReadCase(
        "deno",
        "javascript-1",
        "j.txt",
        "one",
        "two",
        '```{js}\nconsole.log("js read", Deno.readTextFileSync("j.txt"));\n```\n',
        "js read two",
    ),
    ReadCase(
        "bash",
        "bash-1",
        "n.txt",
        "7\n",
        "8\n",
        '```{bash}\necho "bash read $(cat n.txt)"\n```\n',
        "bash read 8",
    ),
]


@pytest.mark.parametrize(
    "case", READ_CASES, ids=["local module", "python subprocess", "javascript", "bash"]
)
def test_a_file_read_without_declaring_it_reruns_its_block(tmp_path: Path, case: ReadCase) -> None:
    need(case.kernel)
    write(tmp_path, case.path, case.before)
    doc = tmp_path / "doc.md"
    doc.write_text(case.code, encoding="utf-8")
    render(doc)
    assert executed(render(doc)) == set()
    bump(tmp_path / case.path, case.after)
    status, reason = render(doc)[case.block]
    assert status == "executed"
    assert reason == f"file {case.path} {case.reason_part}"
    assert case.shown in page(doc)


def test_a_module_imported_from_fresh_bytecode_still_tracks_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    write(tmp_path, "helpers.py", "FACTOR = 2\n")
    doc = write(
        tmp_path, "doc.md", "```{python}\nimport helpers\nprint('f', helpers.FACTOR)\n```\n"
    )
    render(doc)
    render_document(doc, RenderOptions(force=True))  # this kernel imports the cached .pyc
    assert list((tmp_path / "__pycache__").glob("helpers.*.pyc"))
    bump(tmp_path / "helpers.py", "FACTOR = 5\n")
    assert render(doc)["python-1"] == ("executed", "file helpers.py changed (read by the block)")
    assert "f 5" in page(doc)


def test_a_block_with_an_expected_error_records_its_reads(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "one")
    doc = write(
        tmp_path,
        "doc.md",
        '```{python}\n#| error: true\nprint(open("f.txt").read())\nraise ValueError("x")\n```\n',
    )
    render(doc)
    bump(tmp_path / "f.txt", "two")
    assert render(doc)["python-1"] == ("executed", "file f.txt changed (read by the block)")
    assert "two" in page(doc)


def test_a_file_changed_while_the_block_ran_is_read_again_next_time(tmp_path: Path) -> None:
    write(tmp_path, "f.txt", "one")
    doc = write(
        tmp_path,
        "doc.md",
        '```{python}\nimport time\ntext = open("f.txt").read()\ntime.sleep(1.5)\nprint(text)\n```\n',
    )
    render(doc)
    # A save lands while the block runs: what it read is not what the file holds after.
    edit = threading.Timer(0.8, lambda: (tmp_path / "f.txt").write_text("two"))
    edit.start()
    render_document(doc, RenderOptions(force=True))
    edit.join()
    assert render(doc)["python-1"] == ("executed", "file f.txt changed while the block read it")
    assert "two" in page(doc)


def test_a_log_the_block_only_appends_to_is_not_an_input(tmp_path: Path) -> None:
    doc = write(
        tmp_path,
        "doc.md",
        '```{python}\nwith open("runs.log", "a") as log:\n    log.write("ran\\n")\nprint("ok")\n```\n',
    )
    render(doc)
    assert render(doc)["python-1"][0] == "cached"
