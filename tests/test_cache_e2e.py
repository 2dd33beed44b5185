"""The cache on a real ipykernel: a table of (document, edit, blocks expected to execute).

Each case renders a document from an empty cache, applies one edit, renders again, and
checks exactly which blocks executed, why, and that the outputs equal those of a render
from an empty cache (a result is reused only where re-running would give the same).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from noteflow.execute import Executor
from noteflow.pipeline import RenderOptions, RenderOutcome, render_document, store_for

pytestmark = pytest.mark.kernel

BASE = """\
---
title: cache cases
params:
  n: 2
---
Intro prose.

```{python}
#| label: load
items = [1, 2, 3]
print("load", items)
```

```{python}
#| label: double
#| fig-cap: Doubled
doubled = [i * 2 for i in items]
print("double", doubled)
```

```{python}
#| label: scale
scaled = [i * n for i in items]
print("scale", scaled)
```

```{python}
#| label: other
other = 10
print("other", other)
```

```{python}
#| label: total
print("total", sum(doubled) + other)
```
"""


@dataclass(frozen=True)
class Case:
    name: str
    edit: Callable[[Path], None]
    executed: set[str]
    reasons: dict[str, str]
    params: dict[str, object] | None = None


def replace(old: str, new: str) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))

    return edit


def write_file(name: str, content: str) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        (path.parent / name).write_text(content)

    return edit


def move_other_first(path: Path) -> None:
    other = '```{python}\n#| label: other\nother = 10\nprint("other", other)\n```\n\n'
    text = path.read_text()
    assert other in text
    path.write_text(text.replace(other, "").replace("Intro prose.\n\n", "Intro prose.\n\n" + other))


CASES = [
    Case("prose edit runs nothing", replace("Intro prose.", "New intro, *edited*."), set(), {}),
    Case("caption edit runs nothing", replace("fig-cap: Doubled", "fig-cap: Twice"), set(), {}),
    Case(
        "echo is display-only",
        replace("#| label: other\n", "#| label: other\n#| echo: false\n"),
        set(),
        {},
    ),
    Case(
        "code edit runs the block and its dependents",
        replace("i * 2 for", "i * 3 for"),
        {"double", "total"},
        {"double": "code changed", "total": "upstream double changed"},
    ),
    Case(
        "upstream edit propagates through every reader",
        replace("items = [1, 2, 3]", "items = [1, 2, 3, 4]"),
        {"load", "double", "scale", "total"},
        {"load": "code changed", "scale": "upstream load changed"},
    ),
    Case(
        "an execution option changes the key",
        replace("#| label: other\n", "#| label: other\n#| timeout: 30\n"),
        {"other", "total"},
        {"other": "options changed"},
    ),
    Case(
        "a parameter change runs its readers",
        lambda p: None,
        {"scale"},
        {"scale": "param n changed"},
        {"n": 5},
    ),
    Case(
        "a mutation between definer and reader is a new definition",
        replace(
            "```{python}\n#| label: scale",
            "```{python}\nitems.append(4)\n```\n\n```{python}\n#| label: scale",
        ),
        {"python-3", "scale"},
        {"python-3": "new"},
    ),
    Case(
        "deleting the definition is not served from the cache",
        replace("other = 10\n", ""),
        {"other", "total"},
        {"other": "code changed"},
    ),
    Case("moving an independent block runs nothing", move_other_first, set(), {}),
]


def _outputs(outcome: RenderOutcome) -> dict[str, list[str]]:
    """What a reader sees per block: stdout text and error names, in order."""
    shown = {}
    for block_id, result in outcome.summary.results.items():
        texts = []
        for output in result.outputs:
            if output.get("output_type") == "stream":
                texts.append(str(output["text"]))
            elif output.get("output_type") == "error":
                texts.append(f"{output['ename']}: {output['evalue']}")
        shown[block_id] = texts
    return shown


def _render(path: Path, cache: Path, params: dict[str, object] | None = None) -> RenderOutcome:
    return render_document(path, RenderOptions(cache_dir=cache, params=params or {}))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cache_case(case: Case, tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(BASE)
    cache = tmp_path / "cache"
    first = _render(doc, cache)
    assert first.summary.count("executed") == len(first.plan.blocks)

    case.edit(doc)
    second = _render(doc, cache, case.params)
    ran = {b for b, r in second.summary.results.items() if r.status in ("executed", "failed")}
    assert ran == case.executed
    for block_id, reason in case.reasons.items():
        assert second.summary.results[block_id].reason == reason

    fresh = _render(doc, tmp_path / "empty-cache", case.params)
    assert _outputs(second) == _outputs(fresh)


def test_fully_cached_render_starts_no_kernel(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(BASE)
    _render(doc, tmp_path / "cache")
    store = store_for(doc, tmp_path / "cache")
    with Executor(store, tmp_path) as executor:
        outcome = render_document(
            doc, RenderOptions(cache_dir=tmp_path / "cache"), executor=executor
        )
        assert executor.kernels == {}
    assert outcome.summary.count("cached") == len(outcome.plan.blocks)
    assert outcome.output is not None
    assert "total 22" in outcome.output.read_text()


def test_values_come_from_the_store_without_rerunning_upstream(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        BASE.replace("items = [1, 2, 3]", "import time\ntime.sleep(0)\nitems = [1, 2, 3]")
    )
    _render(doc, tmp_path / "cache")
    replace('print("total", sum(doubled) + other)', 'print("total", sum(doubled) * other)')(doc)
    outcome = _render(doc, tmp_path / "cache")
    assert outcome.summary.results["load"].status == "cached"
    assert outcome.summary.results["double"].status == "cached"
    assert _outputs(outcome)["total"] == ["total 120\n"]


def test_unpicklable_value_is_replayed(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```{python}\n#| label: gen\ncounter = iter(range(100))\nprint('made')\n```\n\n"
        "```{python}\n#| label: use\nprint(next(counter))\n```\n"
    )
    _render(doc, tmp_path / "cache")
    replace("print(next(counter))", "print(next(counter) + 1000)")(doc)
    outcome = _render(doc, tmp_path / "cache")
    assert outcome.summary.results["gen"].status == "cached"
    assert _outputs(outcome)["use"] == ["1000\n"]


def test_function_reads_the_current_global_after_restore(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```{python}\n#| label: f\ndef f():\n    return k * 2\n```\n\n"
        "```{python}\n#| label: k\nk = 1\n```\n\n"
        "```{python}\n#| label: call\nprint(f())\n```\n"
    )
    _render(doc, tmp_path / "cache")
    replace("k = 1", "k = 21")(doc)
    outcome = _render(doc, tmp_path / "cache")
    assert outcome.summary.results["f"].status == "cached"
    assert outcome.summary.results["call"].status == "executed"
    assert _outputs(outcome)["call"] == ["42\n"]


def test_cache_clear_one_label(tmp_path: Path) -> None:
    from noteflow.cli import main

    doc = tmp_path / "doc.md"
    doc.write_text(BASE)
    assert main(["render", str(doc), "-q"]) == 0
    assert main(["cache", "clear", f"{doc}#double"]) == 0
    outcome = render_document(doc, RenderOptions())
    executed = {b for b, r in outcome.summary.results.items() if r.status == "executed"}
    # A block re-run under the same key may give other values: what reads it runs too.
    assert executed == {"double", "total"}
    assert outcome.summary.results["double"].reason == "not in cache"
    assert outcome.summary.results["total"].reason == "upstream double re-runs (not in cache)"


def test_force_label_runs_it_and_its_dependents(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(BASE)
    render_document(doc, RenderOptions())
    outcome = render_document(doc, RenderOptions(force={"double"}))
    executed = {b for b, r in outcome.summary.results.items() if r.status == "executed"}
    assert executed == {"double", "total"}
    assert outcome.summary.results["total"].reason == "upstream double forced"


def test_files_content_is_in_the_key(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a\n1\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "```{python}\n#| label: read\n#| files: [data.csv]\nrows = open('data.csv').read().split()\n```\n\n"
        "```{python}\n#| label: show\nprint(rows)\n```\n"
    )
    render_document(doc, RenderOptions())
    write_file("data.csv", "a\n1\n2\n")(doc)
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.results["read"].reason == "file data.csv changed"
    assert _outputs(outcome)["show"] == ["['a', '1', '2']\n"]


def test_lock_file_change_reruns_everything(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==1\n")
    doc = tmp_path / "doc.md"
    doc.write_text(BASE.replace("title: cache cases", "environment: [requirements.txt]"))
    render_document(doc, RenderOptions(params={}))
    (tmp_path / "requirements.txt").write_text("numpy==2\n")
    outcome = render_document(doc, RenderOptions())
    assert outcome.summary.count("executed") == len(outcome.plan.blocks)
    assert outcome.summary.results["other"].reason == "environment changed"


def test_copy_of_cache_serves_another_folder(tmp_path: Path) -> None:
    """The store is content-addressed: a copied document and cache render with no kernel."""
    first = tmp_path / "a"
    first.mkdir()
    (first / "doc.md").write_text(BASE)
    render_document(first / "doc.md", RenderOptions())
    shutil.copytree(first, tmp_path / "b")
    outcome = render_document(tmp_path / "b" / "doc.md", RenderOptions())
    assert outcome.summary.count("executed") == 0
