"""A damaged or full store costs time, never a wrong result: real kernels, real files.

Blobs are flipped, truncated and deleted between renders; entries are given the wrong
shape; the disk fills up; `cache gc` runs beside a render. Each time the page must be the
one a render from an empty cache gives, and nothing partial may be left behind.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from noteflow.cli import main
from noteflow.pipeline import RenderOptions, render_document, store_for
from noteflow.store import with_checksum

pytestmark = pytest.mark.kernel

VALUES = """
```{python}
#| label: make
n = 12345
```

```{python}
#| label: use
print("double is", n * 2)
```
"""

# A 1x1 PNG, displayed as raw image data so the test needs no plotting library.
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
IMAGE = f"""
```{{python}}
#| label: picture
from IPython.display import display
display({{"image/png": "{PIXEL}", "text/plain": "a pixel"}}, raw=True)
```
"""


def write_doc(folder: Path, text: str) -> Path:
    doc = folder / "doc.md"
    doc.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return doc


def render(doc: Path) -> dict[str, str]:
    outcome = render_document(doc, RenderOptions())
    return {str(k): r.status for k, r in outcome.summary.results.items()}


def export_blob(doc: Path, block: str, name: str) -> Path:
    store = store_for(doc, None)
    for path in (store.root / "entries").glob("*/*.json"):
        entry = json.loads(path.read_bytes())
        if entry["block"] == block:
            return store.blob_path(entry["exports"][name]["blob"])
    raise AssertionError(f"no entry for {block}")


def test_a_flipped_bit_in_a_value_is_never_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc = write_doc(tmp_path, VALUES)
    render(doc)
    blob = export_blob(doc, "make", "n")
    data = bytearray(blob.read_bytes())
    data[-3] ^= 0x01  # inside the pickled integer: unverified, it loads as another number
    blob.write_bytes(bytes(data))
    doc.write_text(doc.read_text().replace('"double is"', '"twice is"'))
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        results = render(doc)
    assert results == {"make": "cached", "use": "executed"}
    assert "twice is 24690" in doc.with_suffix(".html").read_text()
    assert any("`make`" in r.getMessage() and "corrupt" in r.getMessage() for r in caplog.records)
    # The damage is not cached: the next render from scratch agrees.
    doc.write_text(doc.read_text().replace('"twice is"', '"double is"'))
    render(doc)
    assert "double is 24690" in doc.with_suffix(".html").read_text()


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_value_reruns_its_producer_instead_of_failing(
    tmp_path: Path, damage: str
) -> None:
    doc = write_doc(tmp_path, VALUES)
    render(doc)
    blob = export_blob(doc, "make", "n")
    if damage == "truncate":
        blob.write_bytes(blob.read_bytes()[:5])
    else:
        blob.unlink()
    doc.write_text(doc.read_text().replace('"double is"', '"twice is"'))
    results = render(doc)
    assert results["use"] == "executed"
    assert "twice is 24690" in doc.with_suffix(".html").read_text()
    results = render(doc)
    assert results == {"make": "cached", "use": "cached"}


@pytest.mark.parametrize("damage", ["flip", "delete"])
def test_a_damaged_image_reruns_its_block(tmp_path: Path, damage: str) -> None:
    doc = write_doc(tmp_path, IMAGE)
    render(doc)
    store = store_for(doc, None)
    (entry_path,) = (store.root / "entries").glob("*/*.json")
    outputs = json.loads(entry_path.read_bytes())["outputs"]
    blob = store.blob_path(outputs[0]["data"]["image/png"]["blob"])
    if damage == "flip":
        data = bytearray(blob.read_bytes())
        data[10] ^= 0xFF
        blob.write_bytes(bytes(data))
    else:
        blob.unlink()
    assert render(doc) == {"picture": "executed"}
    page = doc.with_suffix(".html").read_text()
    assert f"data:image/png;base64,{PIXEL}" in page
    assert 'base64,"' not in page


def test_an_entry_of_the_wrong_shape_is_a_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc = write_doc(tmp_path, VALUES)
    render(doc)
    store = store_for(doc, None)
    for path in (store.root / "entries").glob("*/*.json"):
        entry = json.loads(path.read_bytes())
        if entry["block"] == "use":
            entry.pop("checksum")
            entry["outputs"] = [{"output_type": "stream", "data": "oops"}, 5]
            # A well-formed file (its checksum matches) whose content has the wrong shape.
            path.write_bytes(with_checksum(json.dumps(entry, sort_keys=True)))
    with caplog.at_level(logging.WARNING, logger="noteflow"):
        assert render(doc) == {"make": "cached", "use": "executed"}
    assert any("corrupt cache entry" in r.getMessage() for r in caplog.records)


def test_files_respect_the_umask(tmp_path: Path) -> None:
    doc = write_doc(tmp_path, VALUES)
    old = os.umask(0o022)
    try:
        code = subprocess.run(
            [sys.executable, "-m", "noteflow", "render", str(doc)], capture_output=True
        ).returncode
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE(doc.with_suffix(".html").stat().st_mode) == 0o644
    written = [p for p in (tmp_path / ".noteflow").rglob("*") if p.is_file()]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in written)


def test_disk_full_says_so_and_keeps_the_previous_page(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    disk = tmp_path / "small"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], check=True)
    try:
        doc = write_doc(disk, VALUES)
        first = subprocess.run(
            [sys.executable, "-m", "noteflow", "render", str(doc)], capture_output=True, text=True
        )
        assert first.returncode == 0, first.stderr
        page = doc.with_suffix(".html").read_bytes()
        doc.write_text(doc.read_text() + '\n```{python}\nprint("x" * 400_000)\n```\n')
        second = subprocess.run(
            [sys.executable, "-m", "noteflow", "render", str(doc)], capture_output=True, text=True
        )
        assert second.returncode == 2
        assert "cannot write" in second.stderr
        assert "no space left on device" in second.stderr
        assert "Traceback" not in second.stderr
        assert doc.with_suffix(".html").read_bytes() == page
        assert not [p for p in disk.rglob(".tmp-*")]
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_gc_keeps_recent_entries_and_those_of_a_running_render(tmp_path: Path) -> None:
    doc = write_doc(
        tmp_path,
        """
        ```{python}
        #| label: quick
        a = 1
        ```

        ```{python}
        #| label: slow
        import time
        time.sleep(6)
        b = a + 1
        ```
        """,
    )
    other = tmp_path / "other.md"
    other.write_text("```{python}\nz = 5\n```\n")
    assert main(["render", "-q", str(other)]) == 0
    other.unlink()  # its entries are now referenced by no document
    render_process = subprocess.Popen(
        [sys.executable, "-m", "noteflow", "render", "-q", str(doc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    store = store_for(doc, None)
    deadline = time.monotonic() + 60
    while not list((store.root / "leases").glob("*.json")) or len(list(store.keys())) < 2:
        assert time.monotonic() < deadline, "the render did not start"
        time.sleep(0.1)
    assert main(["cache", "gc", str(store.root)]) == 0
    assert render_process.wait(60) == 0
    keys_after = set(store.keys())
    assert len(keys_after) == 3  # other.md's entry is under an hour old: kept
    assert render(doc) == {"quick": "cached", "slow": "cached"}
    # Aged past the grace period, the unreferenced entry goes; the document's stay.
    old = time.time() - 7200
    for path in (store.root / "entries").glob("*/*.json"):
        os.utime(path, (old, old))
    for path in store.blob_dir.glob("*/*"):
        os.utime(path, (old, old))
    assert main(["cache", "gc", str(store.root)]) == 0
    assert len(set(store.keys())) == 2
    assert render(doc) == {"quick": "cached", "slow": "cached"}


def test_invalid_base64_image_gives_a_notice_not_a_crash(tmp_path: Path) -> None:
    doc = write_doc(
        tmp_path,
        """
        ```{python}
        from IPython.display import display
        display({"image/png": "not base64!!", "text/plain": "fig"}, raw=True)
        ```

        After the block.
        """,
    )
    assert main(["render", "-q", str(doc)]) == 0
    assert main(["render", "-q", str(doc)]) == 0
    page = doc.with_suffix(".html").read_text()
    assert "invalid base64" in page
    assert "After the block." in page
    assert base64.b64encode(b"not").decode() not in page


def test_a_damaged_component_value_runs_the_component_again(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n")
    doc = write_doc(
        tmp_path,
        """
        ```{data #table path=t.csv}
        ```

        ```{python}
        #| label: use
        print("rows", len(table))
        ```
        """,
    )
    render(doc)
    store = store_for(doc, None)
    for path in (store.root / "entries").glob("*/*.json"):
        entry = json.loads(path.read_bytes())
        if entry["block"] == "table":
            store.blob_path(entry["exports"]["table"]["blob"]).unlink()
    doc.write_text(doc.read_text().replace('"rows"', '"row count"'))
    assert render(doc) == {"table": "cached", "use": "executed"}
    assert "row count 2" in doc.with_suffix(".html").read_text()


def test_a_manifest_of_the_wrong_shape_only_loses_the_reasons(tmp_path: Path) -> None:
    doc = write_doc(tmp_path, VALUES)
    render(doc)
    store = store_for(doc, None)
    store.manifest_path(doc).write_text('{"blocks": [1], "document": 5}')
    doc.write_text(doc.read_text().replace('"double is"', '"twice is"'))
    assert render(doc) == {"make": "cached", "use": "executed"}
    store.manifest_path(doc).write_text('{"blocks": {"use": {"components": 5}}}')
    assert render(doc) == {"make": "cached", "use": "cached"}
