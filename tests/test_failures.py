"""Every error a user can cause: a clear message with file and line, the right exit
status, and nothing lost (no partial cache entry, no orphan kernel, no half-written page).

These run the real `noteflow` command in a subprocess, as a user would. Tests of input
that is refused before any block runs start no kernel and are in the fast tier; the
others are marked `kernel`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest


def noteflow(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "noteflow", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )


def kernel_processes(folder: Path) -> list[str]:
    """Command lines of running kernels that noteflow started for documents in `folder`.

    A kernel runs in its document's folder and keeps its files in a `noteflow-kernel-`
    temp dir; both are checked so kernels of other test runs on the machine do not count.
    """
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if "noteflow-kernel-" in cmdline and Path(cwd) == folder.resolve():
            found.append(cmdline)
    return found


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("entries/*/*.json"))


def test_bad_front_matter_yaml(write_doc) -> None:
    doc = write_doc("---\ntitle: x\nparams: [unclosed\n---\n\nText\n")
    result = noteflow("render", str(doc))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {doc}:3: bad YAML in front matter")
    assert not doc.with_suffix(".html").exists()


def test_bad_option_yaml(write_doc) -> None:
    doc = write_doc("Text\n\n```{python}\n#| label: [oops\nx = 1\n```\n")
    result = noteflow("render", str(doc))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {doc}:4: bad YAML in option lines")
    assert not doc.with_suffix(".html").exists()


@pytest.mark.kernel
def test_unknown_name_with_did_you_mean(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: load\ntotal = 1\n```\n\n```{python}\n#| uses: [totl]\nprint(1)\n```\n"
    )
    result = noteflow("render", str(doc))
    assert result.returncode == 2
    assert f"{doc}:6" in result.stderr
    assert "totl" in result.stderr and "did you mean 'total'" in result.stderr


def test_cycle_lists_the_blocks(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: a\n#| uses: [b]\nx = 1\n```\n\n```{python}\n#| label: b\n#| uses: [a]\ny = 2\n```\n"
    )
    result = noteflow("render", str(doc))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {doc}:1: dependency cycle: a -> b -> a\n")


def test_missing_kernel_skips_its_blocks_and_names_the_install_command(write_doc) -> None:
    doc = write_doc(
        "---\nkernels:\n  python: no-such-kernel\n---\n\n```{python}\nopen('ran.txt', 'w').write('x')\n```\n"
    )
    result = noteflow("render", str(doc))
    assert result.returncode == 0
    assert "no-such-kernel" in result.stderr and "pip install ipykernel" in result.stderr
    assert f"{doc}:6" in result.stderr
    assert not (doc.parent / "ran.txt").exists()
    assert doc.with_suffix(".html").exists()
    strict = noteflow("render", "--strict", str(doc))
    assert strict.returncode == 1 and f"{doc}:6: block 'python-1' cannot run" in strict.stderr


@pytest.mark.kernel
def test_failure_marks_dependents_not_run_and_exits_1(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: bad\nx = 1 / 0\n```\n\n"
        "```{python}\n#| label: dependent\nprint(x)\n```\n\n"
        "```{python}\n#| label: independent\nprint('still runs')\n```\n"
    )
    report = doc.parent / "report.json"
    result = noteflow("render", str(doc), "--report", str(report))
    assert result.returncode == 1
    blocks = {b["id"]: b for b in json.loads(report.read_text())["blocks"]}
    assert blocks["bad"]["status"] == "failed"
    assert blocks["dependent"]["status"] == "not-run"
    assert blocks["independent"]["status"] == "executed"
    page = doc.with_suffix(".html").read_text()
    assert "ZeroDivisionError" in page and "not run: upstream `bad` failed" in page
    assert "still runs" in page
    again = noteflow("render", str(doc), "--report", str(report))
    blocks = {b["id"]: b for b in json.loads(report.read_text())["blocks"]}
    assert again.returncode == 1 and blocks["bad"]["reason"] == "previous run failed"


@pytest.mark.kernel
def test_expected_error_exits_0_and_is_cached(write_doc) -> None:
    doc = write_doc("```{python}\n#| error: true\nraise KeyError('gone')\n```\n")
    assert noteflow("render", str(doc)).returncode == 0
    again = noteflow("render", str(doc))
    assert again.returncode == 0 and "1 cached" in again.stderr
    assert "KeyError" in doc.with_suffix(".html").read_text()


@pytest.mark.kernel
def test_timeout_interrupts_and_the_kernel_keeps_working(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: setup\nbase = 41\n```\n\n"
        "```{python}\n#| label: slow\n#| timeout: 1\nimport time\ntime.sleep(60)\n```\n\n"
        "```{python}\n#| label: after\nprint(base + 1)\n```\n"
    )
    started = time.monotonic()
    result = noteflow("render", str(doc))
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "slow: failed: timed out after 1 s" in result.stderr
    page = doc.with_suffix(".html").read_text()
    assert "timed out after 1 s" in page and ">42" in page


@pytest.mark.kernel
def test_kernel_death_is_reported_and_the_rest_still_runs(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: setup\nbase = 41\n```\n\n"
        "```{python}\n#| label: crash\nimport signal\nsignal.raise_signal(signal.SIGKILL)\n```\n\n"
        "```{python}\n#| label: after\nprint(base + 1)\n```\n"
    )
    result = noteflow("render", str(doc))
    assert result.returncode == 1
    assert "crash: failed: the kernel died (killed by signal 9 SIGKILL" in result.stderr
    assert "after: done" in result.stderr
    assert ">42" in doc.with_suffix(".html").read_text()
    assert kernel_processes(doc.parent) == []


@pytest.mark.kernel
def test_corrupt_entry_is_a_miss_with_a_warning(write_doc) -> None:
    doc = write_doc("```{python}\n#| label: one\nprint('hello')\n```\n")
    assert noteflow("render", str(doc)).returncode == 0
    [entry] = entries(doc.parent / ".noteflow")
    entry.write_text(entry.read_text()[:25])
    result = noteflow("render", str(doc))
    assert result.returncode == 0
    assert "warning: corrupt cache entry" in result.stderr
    assert "one: running" in result.stderr
    assert json.loads(entry.read_text())["status"] == "ok"


@pytest.mark.kernel
def test_two_renders_at_once_both_succeed(write_doc) -> None:
    doc = write_doc(
        "```{python}\nimport time\ntime.sleep(0.5)\nx = list(range(5))\n```\n\n```{python}\nprint(sum(x))\n```\n"
    )
    command = [sys.executable, "-m", "noteflow", "render", str(doc), "-q"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    assert second.wait(timeout=120) == 0, second.stderr.read() if second.stderr else ""
    assert ">10" in doc.with_suffix(".html").read_text()
    for entry in entries(doc.parent / ".noteflow"):
        assert json.loads(entry.read_text())["status"] == "ok"
    cached = noteflow("render", str(doc))
    assert "2 cached" in cached.stderr


@pytest.mark.kernel
def test_ctrl_c_leaves_no_kernel_and_no_partial_entry(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: quick\nprint('quick')\n```\n\n"
        "```{python}\n#| label: slow\nimport time\ntime.sleep(60)\nprint('slow')\n```\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "noteflow", "render", str(doc)], stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "slow: running" in line:
            break
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert "interrupted" in process.stderr.read()
    assert kernel_processes(doc.parent) == []
    cache = doc.parent / ".noteflow"
    statuses = [json.loads(e.read_text())["block"] for e in entries(cache)]
    assert statuses == ["quick"]
    assert not list(cache.rglob(".tmp-*"))
    assert not doc.with_suffix(".html").exists()


@pytest.mark.kernel
def test_frozen_fails_on_stale_and_passes_when_current(write_doc) -> None:
    doc = write_doc("```{python}\n#| label: one\nprint(1)\n```\n")
    stale = noteflow("render", str(doc), "--frozen")
    assert stale.returncode == 1 and "one (new)" in stale.stderr
    assert not (doc.parent / ".noteflow").exists() or not entries(doc.parent / ".noteflow")
    assert noteflow("render", str(doc)).returncode == 0
    current = noteflow("render", str(doc), "--frozen")
    assert current.returncode == 0 and "1 cached" in current.stderr


@pytest.mark.kernel
def test_strict_stops_and_writes_no_page(write_doc) -> None:
    doc = write_doc(
        "```{python}\nraise RuntimeError('boom')\n```\n\n"
        "```{python}\nopen('later-ran.txt', 'w').write('later')\n```\n"
    )
    result = noteflow("render", str(doc), "--strict")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "  python-1: running (new)",
        "  python-1: failed: RuntimeError: boom",
        f"error: {doc}:1: block 'python-1' failed: RuntimeError: boom",
    ]
    assert not (doc.parent / "later-ran.txt").exists()
    assert not doc.with_suffix(".html").exists()


@pytest.mark.kernel
def test_text_output_is_escaped(write_doc) -> None:
    doc = write_doc(
        "```{python}\nprint('<script>alert(1)</script>')\n```\n\nInline `{python} '<b>x</b>'`.\n"
    )
    assert noteflow("render", str(doc)).returncode == 0
    page = doc.with_suffix(".html").read_text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


@pytest.mark.kernel
def test_to_ipynb_writes_a_valid_notebook_with_outputs(write_doc) -> None:
    doc = write_doc("# Title\n\n```{python}\nprint('out')\n```\n\nProse after.\n")
    assert noteflow("render", str(doc), "--to", "ipynb").returncode == 0
    notebook = nbformat.read(str(doc.with_suffix(".ipynb")), as_version=4)
    nbformat.validate(notebook)
    kinds = [c.cell_type for c in notebook.cells]
    assert kinds == ["markdown", "code", "markdown"]
    assert notebook.cells[1].outputs[0]["text"] == "out\n"


@pytest.mark.kernel
def test_unknown_param_override(write_doc) -> None:
    doc = write_doc("---\nparams:\n  region: all\n---\n\n```{python}\nprint(region)\n```\n")
    result = noteflow("render", str(doc), "-P", "regin=north")
    assert result.returncode == 2 and "did you mean 'region'" in result.stderr
    assert noteflow("render", str(doc), "-P", "region=north").returncode == 0
    assert ">north" in doc.with_suffix(".html").read_text()


def test_missing_document(tmp_path: Path) -> None:
    result = noteflow("render", str(tmp_path / "nope.md"))
    assert result.returncode == 2 and "document not found" in result.stderr
