"""A corrupted store never changes the page: hypothesis corrupts random store files.

Between renders it flips a byte of, truncates, deletes, or replaces with another valid
file of the store, any entry or blob; the next render must show exactly what a render from
an empty cache shows, block by block. Runs on the in-process fake kernel (real adapter
code, real cloudpickle, real store), so thousands of corruptions fit in a test run;
`NOTEFLOW_CORRUPTION_EXAMPLES=N` runs more.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fakekernel import FakeKernel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noteflow.execute import Executor
from noteflow.pipeline import RenderOptions, prepare

DOCUMENT = """\
```{python}
#| label: base
numbers = [3, 1, 2]
label = "sum"
```

```{python}
#| label: total
total = sum(numbers) * 1000 + 345
print(label, total)
```

```{python}
#| label: sorted
ordered = sorted(numbers)
ordered
```

```{python}
#| label: report
print("report", total * 2, ordered, len(label))
```

```{python}
#| label: failing
#| error: true
raise ValueError("expected")
```

Prose and an inline value `{python} total + 1`.
"""

EXAMPLES = int(os.environ.get("NOTEFLOW_CORRUPTION_EXAMPLES", "150"))
OPERATIONS = ("flip", "truncate", "delete", "replace", "empty")


def render(doc: Path, cache: Path) -> dict[str, Any]:
    """Per block, what the page shows: outputs and whether it failed."""
    _, plan, store = prepare(doc, RenderOptions(cache_dir=cache))
    with Executor(store, doc.parent, FakeKernel) as executor:
        summary = executor.run(plan)
    FakeKernel.instances.clear()
    return {
        block: (result.status == "failed", [_shown(o) for o in result.outputs])
        for block, result in summary.results.items()
    }


def _shown(output: Any) -> Any:
    return {k: v for k, v in output.items() if k not in ("execution_count", "metadata")}


def store_files(cache: Path) -> list[Path]:
    return sorted(
        p for p in cache.rglob("*") if p.is_file() and p.parent.name not in ("leases", "tmp")
    )


def corrupt(files: list[Path], index: int, operation: str, other: int, offset: int) -> None:
    target = files[index % len(files)]
    data = target.read_bytes()
    if operation == "flip" and data:
        position = offset % len(data)
        target.write_bytes(data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :])
    elif operation == "truncate":
        target.write_bytes(data[: offset % (len(data) + 1) // 2])
    elif operation == "delete":
        target.unlink()
    elif operation == "replace":
        source = files[other % len(files)]
        if source != target:
            shutil.copyfile(source, target)
    else:
        target.write_bytes(b"")


@functools.cache
def reference() -> tuple[Path, Path, dict[str, Any]]:
    """The document, its cache and its results from an empty cache (made once)."""
    work = Path(tempfile.mkdtemp(prefix="noteflow-corruption-test-"))
    doc = work / "doc.md"
    doc.write_text(textwrap.dedent(DOCUMENT), encoding="utf-8")
    clean = work / "clean"
    return doc, clean, render(doc, clean)


corruption = st.tuples(
    st.integers(0, 10_000),
    st.sampled_from(OPERATIONS),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(st.lists(corruption, min_size=1, max_size=4), min_size=1, max_size=3))
def test_corrupted_store_gives_the_page_of_an_empty_cache(rounds: list[list[tuple]]) -> None:
    doc, clean, expected = reference()
    cache = doc.parent / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.copytree(clean, cache)
    for damage in rounds:
        for index, operation, other, offset in damage:
            files = store_files(cache)
            if files:
                corrupt(files, index, operation, other, offset)
        assert render(doc, cache) == expected
    # After repairs, a render serves everything from the cache and still agrees.
    assert render(doc, cache) == expected


def test_the_reference_render_ran_every_block() -> None:
    expected = reference()[2]
    failed = {block for block, (is_failed, _) in expected.items() if is_failed}
    assert failed == set()
    assert set(expected) == {"base", "total", "sorted", "report", "failing", "inline-1"}
    assert [o.get("text") for o in expected["report"][1]] == ["report 12690 [1, 2, 3] 3\n"]
