"""The plan stage with the in-process fake kernel: which blocks a change makes stale, and why.

One document is rendered, then edited; the next plan must name exactly the blocks whose
result could change, each with the reason a user reads in the progress lines. The edits
are a table of cases (DESIGN §4: prose and display options change no key; code, options
that change execution, upstream keys, files and parameters do).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fakekernel import FakeKernel
from fakerender import render_with_fake_kernel

from noteflow.model import Plan
from noteflow.pipeline import RenderOptions, prepare

DOCUMENT = """\
---
title: Plan
params:
  n: 3
---

# Numbers

Some prose.

```{python}
#| label: load
x = list(range(5))
```

```{python}
#| label: double
y = [v * 2 for v in x]
```

```{python}
#| label: total
print(sum(y))
```

```{python}
#| label: scaled
print(n * 10)
```

```{python}
#| label: alone
z = 'independent'
```
"""

EVERY_BLOCK = ("load", "double", "total", "scaled", "alone")

# (case id, text replaced, replacement, {block: reason} of the blocks that must be stale)
EDITS: list[tuple[str, str, str, dict[str, str]]] = [
    ("prose edited", "Some prose.", "Other prose, [a link](x.md).\n\n## A new heading", {}),
    ("title edited", "title: Plan", "title: Another plan", {}),
    ("display-only fence added", "Some prose.", "```python\nprint('only shown')\n```", {}),
    ("echo is display-only", "#| label: double\n", "#| label: double\n#| echo: false\n", {}),
    ("fig-cap is display-only", "#| label: total\n", "#| label: total\n#| fig-cap: Sum\n", {}),
    (
        "upstream code edited",
        "range(5)",
        "range(6)",
        {
            "load": "code changed",
            "double": "upstream load changed",
            "total": "upstream double changed",
        },
    ),
    ("leaf code edited", "print(sum(y))", "print(sum(y) + 1)", {"total": "code changed"}),
    (
        "execution option added",
        "#| label: double\n",
        "#| label: double\n#| timeout: 5\n",
        {"double": "options changed", "total": "upstream double changed"},
    ),
    (
        "cache: false",
        "#| label: alone\n",
        "#| label: alone\n#| cache: false\n",
        {"alone": "cache: false"},
    ),
    ("eval: false is never stale", "#| label: total\n", "#| label: total\n#| eval: false\n", {}),
    ("param default changed", "n: 3", "n: 4", {"scaled": "param n changed"}),
]


def stale_reasons(plan: Plan) -> dict[str, str]:
    return {b.id: b.reason for b in plan.blocks if b.stale}


def plan_for(doc: Path, **options: Any) -> Plan:
    return prepare(doc, RenderOptions(**options))[1]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DOCUMENT rendered once; each edit case changes it, plans, and puts it back."""
    doc = tmp_path_factory.mktemp("rendered") / "doc.md"
    doc.write_text(DOCUMENT)
    first = render_with_fake_kernel(doc)
    assert first.summary.count("executed") == len(EVERY_BLOCK)
    FakeKernel.instances.clear()
    return doc


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in EDITS], ids=[c[0] for c in EDITS]
)
def test_edit_makes_exactly_these_blocks_stale(
    rendered: Path, old: str, new: str, expected: dict[str, str]
) -> None:
    assert old in DOCUMENT
    rendered.write_text(DOCUMENT.replace(old, new, 1))
    try:
        assert stale_reasons(plan_for(rendered)) == expected
    finally:
        rendered.write_text(DOCUMENT)


def test_prose_edits_keep_every_key(write_doc, render_fake) -> None:
    doc = write_doc(DOCUMENT)
    keys = {b.id: b.key for b in render_fake(doc).plan.blocks}
    doc.write_text(doc.read_text().replace("Some prose.", "Rewritten.\n\nAnd a second paragraph."))
    replanned = plan_for(doc)
    assert {b.id: b.key for b in replanned.blocks} == keys
    assert all(b.entry is not None and b.entry.key == b.key for b in replanned.blocks)


def test_a_new_document_is_stale_with_reason_new(write_doc) -> None:
    plan = plan_for(write_doc(DOCUMENT))
    assert stale_reasons(plan) == dict.fromkeys(EVERY_BLOCK, "new")


def test_cache_false_runs_on_every_render(write_doc, render_fake) -> None:
    doc = write_doc(DOCUMENT.replace("#| label: alone\n", "#| label: alone\n#| cache: false\n"))
    render_fake(doc)
    again = render_fake(doc)
    statuses = {b: r.status for b, r in again.summary.results.items()}
    assert statuses == {**dict.fromkeys(EVERY_BLOCK, "cached"), "alone": "executed"}
    assert again.summary.results["alone"].reason == "cache: false"


def test_eval_false_block_is_skipped_and_runs_no_code(write_doc, render_fake) -> None:
    doc = write_doc(DOCUMENT.replace("#| label: alone\n", "#| label: alone\n#| eval: false\n"))
    outcome = render_fake(doc)
    planned = outcome.plan.by_id()["alone"]
    assert (planned.stale, planned.reason, planned.entry) == (False, "", None)
    assert outcome.summary.results["alone"].status == "skipped"
    [kernel] = FakeKernel.instances
    assert not any("independent" in code for code in kernel.ran)


def test_param_override_makes_only_its_readers_stale(write_doc, render_fake) -> None:
    doc = write_doc(DOCUMENT)
    render_fake(doc)
    assert stale_reasons(plan_for(doc, params={"n": 4})) == {"scaled": "param n changed"}
    assert stale_reasons(plan_for(doc, params={"n": 3})) == {}
    render_fake(doc, params={"n": 4})
    back = render_fake(doc, params={"n": 3})
    assert back.summary.results["scaled"].status == "cached"  # both values stay in the cache


def test_file_named_in_files_option(write_doc, render_fake) -> None:
    doc = write_doc(
        DOCUMENT.replace("#| label: alone\n", "#| label: alone\n#| files: [data.txt]\n")
    )
    data = doc.parent / "data.txt"
    data.write_text("one\n")
    render_fake(doc)
    data.write_text("two\n")
    assert stale_reasons(plan_for(doc)) == {"alone": "file data.txt changed"}


def test_force_one_block_and_its_dependents(write_doc, render_fake) -> None:
    doc = write_doc(DOCUMENT)
    render_fake(doc)
    assert stale_reasons(plan_for(doc, force={"double"})) == {
        "double": "forced",
        "total": "upstream double forced",
    }
    assert stale_reasons(plan_for(doc, force=True)) == dict.fromkeys(EVERY_BLOCK, "forced")


def test_keys_do_not_depend_on_where_the_document_is(write_doc, tmp_path: Path) -> None:
    doc = write_doc(DOCUMENT)
    elsewhere = tmp_path / "another" / "folder"
    elsewhere.mkdir(parents=True)
    copy = Path(shutil.copy(doc, elsewhere / "renamed.md"))
    keys = [b.key for b in plan_for(doc).blocks]
    assert [b.key for b in plan_for(copy).blocks] == keys
    assert len(set(keys)) == len(EVERY_BLOCK)
