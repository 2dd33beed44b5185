"""Files read without `files:` are tracked, in every language, on real kernels.

Each test renders a document whose blocks read files they do not declare, changes a file
on disk (not the document), renders again and checks which blocks ran, why, and that the
page shows the new content, as a render from an empty cache would.
"""

from __future__ import annotations

import os
import textwrap
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
    listing = format_rows(list_cache(prepare(doc, RenderOptions())[1], prepare(doc, RenderOptions())[2]))
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


def test_python_local_module_edit_reruns_its_importer(tmp_path: Path) -> None:
    write(tmp_path, "helpers.py", "FACTOR = 2\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        import helpers
        print("factor", helpers.FACTOR)
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "helpers.py", "FACTOR = 3\n")
    results = render(doc)
    assert results["python-1"] == ("executed", "file helpers.py changed (read by the block)")
    assert "factor 3" in page(doc)


def test_python_subprocess_read_is_seen_by_the_operating_system(tmp_path: Path) -> None:
    write(tmp_path, "n.txt", "41\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{python}
        import subprocess
        print("n =", subprocess.run(["cat", "n.txt"], capture_output=True, text=True).stdout)
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "n.txt", "42\n")
    results = render(doc)
    assert results["python-1"][0] == "executed"
    assert "n.txt changed" in results["python-1"][1]
    assert "n = 42" in page(doc)


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


def test_javascript_read_reruns(tmp_path: Path) -> None:
    need("deno")
    write(tmp_path, "j.txt", "one")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{js}
        console.log("js read", Deno.readTextFileSync("j.txt"));
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "j.txt", "two")
    results = render(doc)
    assert results["javascript-1"] == ("executed", "file j.txt changed (read by the block)")
    assert "js read two" in page(doc)


def test_bash_read_is_seen_by_the_operating_system(tmp_path: Path) -> None:
    need("bash")
    write(tmp_path, "n.txt", "7\n")
    doc = write(
        tmp_path,
        "doc.md",
        """
        ```{bash}
        echo "bash read $(cat n.txt)"
        ```
        """,
    )
    render(doc)
    bump(tmp_path / "n.txt", "8\n")
    results = render(doc)
    assert results["bash-1"] == ("executed", "file n.txt changed (read by the block)")
    assert "bash read 8" in page(doc)
