"""A warm kernel cannot undo a block's effects on shared state: it is restarted instead.

`watch` (and any caller that keeps an `Executor`) runs plan after plan in the same kernel.
When a block that changed a module, `sys` or the environment is edited or removed, the
blocks that run next must see what a fresh render sees: these tests run two plans in one
executor on a real ipykernel and compare the second with a render from an empty cache.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from noteflow.execute import Executor
from noteflow.pipeline import RenderOptions, prepare, store_for

pytestmark = pytest.mark.kernel

SETTER = """
```{python}
#| label: setter
import os
os.environ["NF_WARM_W"] = "one"
```

"""
OTHER = """
```{python}
#| label: other
import os
os.environ["NF_WARM_OTHER"] = "a"
```

"""
READER = """
```{python}
#| label: reader
import os
print("W=" + os.environ.get("NF_WARM_W", "unset"))
```
"""


def texts(summary) -> dict[str, str]:
    return {
        str(block): "".join(str(o.get("text", "")) for o in result.outputs)
        for block, result in summary.results.items()
    }


def run_plan(executor: Executor, doc: Path) -> dict[str, str]:
    _, plan, _ = prepare(doc, RenderOptions())
    return texts(executor.run(plan))


def fresh(doc: Path, tmp_path: Path) -> dict[str, str]:
    _, plan, store = prepare(doc, RenderOptions(cache_dir=tmp_path / "fresh-cache"))
    with Executor(store, doc.parent) as executor:
        return texts(executor.run(plan))


def write(doc: Path, text: str) -> None:
    doc.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def test_removing_an_environment_setter_is_seen_by_a_warm_kernel(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    write(doc, SETTER + READER)
    with Executor(store_for(doc, None), doc.parent) as executor:
        assert run_plan(executor, doc)["reader"] == "W=one\n"
        write(doc, READER)
        warm = run_plan(executor, doc)
    assert warm == fresh(doc, tmp_path) == {"reader": "W=unset\n"}


def test_editing_a_module_attribute_setter_in_a_warm_kernel(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    (tmp_path / "settings_mod.py").write_text("LEVEL = 0\n")
    text = """
    ```{python}
    #| label: setter
    import settings_mod
    settings_mod.LEVEL = 5
    settings_mod.EXTRA = "x"
    ```

    ```{python}
    #| label: reader
    import settings_mod
    print(settings_mod.LEVEL, getattr(settings_mod, "EXTRA", "none"))
    ```
    """
    write(doc, text)
    with Executor(store_for(doc, None), doc.parent) as executor:
        assert run_plan(executor, doc)["reader"] == "5 x\n"
        write(doc, text.replace('    settings_mod.EXTRA = "x"\n', ""))
        warm = run_plan(executor, doc)
    expected = fresh(doc, tmp_path)
    assert warm == expected
    assert expected["reader"] == "5 none\n"


def test_a_cached_setter_is_replayed_for_a_reader_after_a_restart(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    write(doc, SETTER + OTHER + READER)
    with Executor(store_for(doc, None), doc.parent) as executor:
        run_plan(executor, doc)
        # Editing `other` restarts the kernel; the reader re-runs (it reads the process
        # state `other` changed) and must still see what `setter`, a cache hit, did.
        write(doc, SETTER + OTHER.replace('"a"', '"b"') + READER)
        warm = run_plan(executor, doc)
    assert warm["reader"] == "W=one\n"
    assert warm == fresh(doc, tmp_path)


def test_a_fresh_kernel_replays_a_cached_setter_for_its_reader(tmp_path: Path) -> None:
    """Module state cannot be loaded from the cache: a cached block that changed it runs
    again (outputs discarded) in a new kernel before a reader that needs its effect."""
    doc = tmp_path / "doc.md"
    write(doc, SETTER + OTHER + READER)
    _, plan, store = prepare(doc, RenderOptions())
    with Executor(store, doc.parent) as executor:
        executor.run(plan)
    write(doc, SETTER + OTHER.replace('"a"', '"b"') + READER)
    _, plan, store = prepare(doc, RenderOptions())
    with Executor(store, doc.parent) as executor:
        summary = executor.run(plan)
    statuses = {str(b): r.status for b, r in summary.results.items()}
    assert statuses == {"setter": "cached", "other": "executed", "reader": "executed"}
    assert texts(summary)["reader"] == "W=one\n"
