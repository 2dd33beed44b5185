"""The `noteflow` command as a user drives it: render options, progress, cache and graph.

Commands that render run a real kernel (marked `kernel`); `graph` and usage errors run
none and are in the fast tier.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from noteflow.cli import main
from noteflow.sources import is_document
from noteflow.store import LocalStore

EXAMPLES = Path(__file__).parent.parent / "examples"

DISPLAY = """\
---
title: Display options
---

```{python}
#| label: hidden-code
#| echo: false
print("visible output")
```

```{python}
#| label: hidden-output
#| output: false
print("secret output")
```

```{python}
#| label: hidden-all
#| include: false
shown = "side effect kept"
print("not shown at all")
```

```{python}
#| label: not-evaluated
#| eval: false
print("never runs")
```

```{python}
#| label: markdown-out
#| output: asis
print("**bold from code**")
```

```{python}
#| label: uses-hidden
print(shown)
```
"""


@pytest.mark.kernel
def test_display_options(write_doc, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write_doc(DISPLAY)
    assert main(["render", str(doc)]) == 0
    page = doc.with_suffix(".html").read_text()
    assert 'nf-stdout">visible output' in page and '"visible output"</span>' not in page
    assert 'nf-stdout">secret output' not in page and '"secret output"</span>' in page
    assert "not shown at all" not in page and 'id="hidden-all"' not in page
    assert 'id="not-evaluated"' in page and "never runs" in page  # code shown
    assert "<strong>bold from code</strong>" in page
    assert "side effect kept" in page
    assert 'nf-stdout">never runs' not in page
    err = capsys.readouterr().err
    assert "not-evaluated:" not in err  # a skipped block gets no progress line
    assert "6 blocks: 0 cached, 5 executed" in err and "1 skipped" in err


@pytest.mark.kernel
def test_progress_lines_and_summary(write_doc, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write_doc(
        "```{python}\n#| label: a\nx = 1\n```\n\n```{python}\n#| label: b\nprint(x)\n```\n"
    )
    assert main(["render", str(doc)]) == 0
    first = capsys.readouterr().err
    assert "a: running (new)" in first and re.search(r"a: done in \d+\.\d s", first)
    assert re.search(r"2 blocks: 0 cached, 2 executed in \d+\.\d s", first)
    doc.write_text(doc.read_text().replace("print(x)", "print(x + 1)"))
    assert main(["render", str(doc)]) == 0
    second = capsys.readouterr().err
    assert "a: cached" in second and "b: running (code changed)" in second
    assert "2 blocks: 1 cached, 1 executed" in second


@pytest.mark.kernel
def test_report_json(write_doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write_doc(
        "```{python}\n#| label: a\nx = 1\n```\n\n```{python}\n#| eval: false\ny = 2\n```\n"
    )
    report = tmp_path / "r.json"

    def render() -> dict[str, Any]:
        assert main(["render", str(doc), "-q", "--report", str(report)]) == 0
        return dict(json.loads(report.read_text()))

    first = render()
    assert set(first) == {"document", "blocks", "executed", "cached", "failed", "seconds"}
    assert first["document"] == str(doc.resolve())
    ran, skipped = first["blocks"]
    assert (ran["id"], ran["language"], ran["status"], ran["reason"]) == (
        "a",
        "python",
        "executed",
        "new",
    )
    assert (skipped["id"], skipped["status"], skipped["seconds"]) == ("python-2", "skipped", 0.0)
    assert 0 < ran["seconds"] <= first["seconds"]
    assert (first["executed"], first["cached"], first["failed"]) == (1, 0, 0)
    # The key is the one the result is stored under, as `noteflow cache ls` shows it.
    stored = LocalStore(doc.parent / ".noteflow").get(ran["key"])
    assert stored is not None and stored.block == "a"
    capsys.readouterr()
    assert main(["cache", "ls", str(doc)]) == 0
    assert re.search(rf"^a\s+{ran['key'][:12]}\s", capsys.readouterr().out, re.M)

    second = render()
    assert (second["executed"], second["cached"], second["failed"]) == (0, 1, 0)
    assert second["blocks"][0] == {**ran, "status": "cached", "reason": "", "seconds": 0.0}

    doc.write_text(doc.read_text().replace("x = 1", "x = 2"))
    third = render()
    assert third["blocks"][0]["reason"] == "code changed"
    assert third["blocks"][0]["key"] != ran["key"]
    assert (third["executed"], third["cached"]) == (1, 0)


@pytest.mark.kernel
def test_output_and_cache_dir_flags(write_doc, tmp_path: Path) -> None:
    doc = write_doc("```{python}\nprint('hi')\n```\n")
    out = tmp_path / "site" / "page.html"
    cache = tmp_path / "shared-cache"
    assert main(["render", str(doc), "-q", "-o", str(out), "--cache-dir", str(cache)]) == 0
    assert out.exists() and list(cache.glob("entries/*/*.json"))
    assert not (doc.parent / ".noteflow").exists()


@pytest.mark.kernel
def test_cache_ls_and_gc(write_doc, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write_doc(
        "```{python}\n#| label: one\nprint(1)\n```\n\n```{python}\n#| label: two\nprint(2)\n```\n"
    )
    assert main(["render", str(doc), "-q"]) == 0
    capsys.readouterr()
    assert main(["cache", "ls", str(doc)]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"one\s+[0-9a-f]{12}\s+\d+ B\s+cached", listing)
    doc.write_text(doc.read_text().replace("print(2)", "print(3)"))
    assert main(["cache", "ls", str(doc)]) == 0
    assert re.search(r"two\s+[0-9a-f]{12}\s+0 B\s+stale \(code changed\)", capsys.readouterr().out)
    assert main(["render", str(doc), "-q"]) == 0
    cache = doc.parent / ".noteflow"
    assert len(stored_keys(cache)) == 3
    assert main(["cache", "gc", str(cache)]) == 0
    assert capsys.readouterr().out.startswith("removed 0 entries")  # all written this hour
    make_old(cache)
    assert main(["cache", "gc", str(cache)]) == 0
    assert capsys.readouterr().out.startswith("removed 1 entries")
    assert main(["cache", "ls", str(doc)]) == 0
    shown = set(re.findall(r"^(?:one|two)\s+([0-9a-f]{12})\s", capsys.readouterr().out, re.M))
    assert {key[:12] for key in stored_keys(cache)} == shown and len(shown) == 2
    doc.unlink()
    assert main(["cache", "gc", str(cache)]) == 0
    assert stored_keys(cache) == set()


def stored_keys(cache: Path) -> set[str]:
    return {path.stem for path in cache.glob("entries/*/*.json")}


def make_old(folder: Path, hours: float = 2) -> None:
    """Date every file in `folder` back, past the hour in which `gc` keeps everything."""
    then = time.time() - hours * 3600
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def test_graph_mermaid_and_dot(write_doc, capsys: pytest.CaptureFixture[str]) -> None:
    doc = write_doc(
        "---\nparams:\n  n: 1\n---\n\n```{python}\n#| label: load\nx = n\n```\n\n"
        "```{python}\n#| label: use\nprint(x)\n```\n"
    )
    assert main(["graph", str(doc)]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart TD") and "-->|x|" in mermaid and "param n" in mermaid
    assert main(["graph", str(doc), "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    assert '"load" -> "use" [label="x"];' in dot


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "--to", "pdf", "x.md"])
    assert exit_info.value.code == 2
    assert main(["render", str(tmp_path / "x.md"), "-P", "novalue"]) == 2


@pytest.mark.kernel
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if is_document(p)))
def test_examples_render(name: str, tmp_path: Path) -> None:
    from test_polyglot import need

    if name == "polyglot.md":
        need("python", "r", "js", "bash")
    if name == "knitr.Rmd":
        need("r", "bash")
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    doc = tmp_path / "examples" / name
    assert main(["render", str(doc), "-q"]) == 0
    page = doc.with_suffix(".html").read_text()
    assert 'class="nf-block nf-status-failed' not in page
    assert main(["render", str(doc), "-q", "--frozen"]) == 0


@pytest.mark.kernel
def test_an_unknown_name_writes_the_page_and_report_then_fails_with_its_line(
    write_doc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = write_doc(
        "```{python}\n#| label: fine\nprint('ran')\n```\n\n"
        "```{python}\n#| label: broken\n#| uses: [nosuch]\nprint(1)\n```\n"
    )
    report = tmp_path / "r.json"
    assert main(["render", str(doc), "-q", "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"{doc}:6:" in err and "nosuch" in err
    assert "ran" in doc.with_suffix(".html").read_text(encoding="utf-8")
    statuses = {b["id"]: b["status"] for b in json.loads(report.read_text())["blocks"]}
    assert statuses["fine"] == "executed"
