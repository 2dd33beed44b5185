"""Executor scheduling with the in-process fake kernel (DESIGN §5).

A failure makes its dependents `not-run` and leaves independent blocks running;
`error: true` lets dependents run; `--strict` stops at the first failure; `jobs` > 1 runs
blocks of different kernels at the same time, never two of one kernel; a cancelled run
stores nothing for the blocks it did not finish; kernels start only when some block
needs one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fakekernel import FakeKernel

from noteflow.errors import StrictError
from noteflow.execute import Executor
from noteflow.model import BlockId, BlockResult, PlannedBlock
from noteflow.pipeline import RenderOptions, prepare, render_document, store_for

FAILING = """\
```{python}
#| label: bad
x = 1 / 0
```

```{python}
#| label: dependent
y = x + 1
```

```{python}
#| label: grandchild
print(y)
```

```{python}
#| label: independent
print("still runs")
```
"""


def statuses(outcome: Any) -> dict[str, str]:
    return {block: result.status for block, result in outcome.summary.results.items()}


def code_ran(text: str) -> bool:
    return any(text in code for kernel in FakeKernel.instances for code in kernel.ran)


def test_failure_makes_dependents_not_run_and_independent_blocks_run(
    write_doc, render_fake
) -> None:
    doc = write_doc(FAILING)
    outcome = render_fake(doc)
    assert statuses(outcome) == {
        "bad": "failed",
        "dependent": "not-run",
        "grandchild": "not-run",
        "independent": "executed",
    }
    results = outcome.summary.results
    assert results["dependent"].reason == "not run: upstream `bad` failed"
    assert results["grandchild"].reason == "not run: upstream `bad` failed"
    assert [r.block_id for r in outcome.summary.failed] == ["bad"]
    assert not code_ran("x + 1") and not code_ran("print(y)")
    page = Path(outcome.output).read_text()
    assert "ZeroDivisionError" in page and "still runs" in page
    assert page.count("not run: upstream `bad` failed") == 2


def test_a_failed_block_runs_again_next_time(write_doc, render_fake) -> None:
    doc = write_doc(FAILING)
    render_fake(doc)
    again = render_fake(doc)
    assert again.summary.results["bad"].reason == "previous run failed"
    assert statuses(again)["independent"] == "cached"
    assert statuses(again)["dependent"] == "not-run"


def test_expected_error_lets_dependents_run(write_doc, render_fake) -> None:
    doc = write_doc(
        "```{python}\n#| label: raises\n#| error: true\nbase = 21\nraise KeyError('gone')\n```\n\n"
        "```{python}\n#| label: reader\nprint(base * 2)\n```\n"
    )
    outcome = render_fake(doc)
    raises, reader = outcome.summary.results["raises"], outcome.summary.results["reader"]
    assert (raises.status, raises.expected_error) == ("executed", True)
    assert reader.status == "executed" and reader.outputs[0]["text"] == "42\n"
    assert outcome.summary.failed == []
    again = render_fake(doc)
    assert statuses(again) == {"raises": "cached", "reader": "cached"}


STRICT = """\
```{python}
#| label: first
print("first ran")
```

```{python}
#| label: bad
raise RuntimeError("boom")
```

```{python}
#| label: later
print("later ran")
```
"""


def test_strict_stops_at_the_first_failure(write_doc) -> None:
    doc = write_doc(STRICT)
    _, plan, store = prepare(doc, RenderOptions())
    FakeKernel.instances.clear()
    with Executor(store, doc.parent, FakeKernel) as executor:
        summary = executor.run(plan, strict=True)
    assert {b: r.status for b, r in summary.results.items()} == {
        "first": "executed",
        "bad": "failed",
        "later": "not-run",
    }
    assert (
        summary.results[BlockId("later")].reason
        == "not run: --strict stopped at failed block `bad`"
    )
    assert not code_ran("later ran")
    FakeKernel.instances.clear()


def test_strict_render_raises_and_writes_no_page(write_doc, render_fake) -> None:
    doc = write_doc(STRICT)
    with pytest.raises(StrictError) as failure:
        render_fake(doc, strict=True)
    assert failure.value.block == "bad" and "RuntimeError: boom" in str(failure.value)
    assert failure.value.line == 6
    assert not doc.with_suffix(".html").exists()
    assert not code_ran("later ran")


TWO_KERNELS = """\
```{{python}}
#| label: one
one = {value}
```

```{{python}}
#| label: two
#| kernel: {other}
two = {value}
```

```{{python}}
#| label: three
three = {value}
```
"""
BUSY_SECONDS = 0.3


class BusyFakeKernel(FakeKernel):
    """A fake kernel that is busy for BUSY_SECONDS on each block, as if computing.

    The busy time of different kernels may overlap; the fake execution itself (which
    swaps the test process's state in and out) is one at a time.
    """

    busy: list[tuple[str, float, float]] = []
    """(first line of the block's code, start, end) of each busy period."""
    one_at_a_time = threading.Lock()

    def execute(self, code: str, **options: Any) -> Any:
        if code and not options.get("silent"):
            started = time.monotonic()
            time.sleep(BUSY_SECONDS)
            BusyFakeKernel.busy.append((code.split(" =")[0], started, time.monotonic()))
        with BusyFakeKernel.one_at_a_time:
            return super().execute(code, **options)


def busy_render(doc: Path, jobs: int) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Events in the order the executor reported them, and each block's busy period."""
    events: list[str] = []

    def record(kind: str, planned: PlannedBlock, result: BlockResult | None) -> None:
        events.append(f"{kind} {planned.id}")

    BusyFakeKernel.busy.clear()
    store = store_for(doc, None)
    with Executor(store, doc.parent, BusyFakeKernel, jobs=jobs) as executor:
        render_document(doc, RenderOptions(jobs=jobs), executor=executor, on_event=record)
    FakeKernel.instances.clear()
    return events, {block: (start, end) for block, start, end in BusyFakeKernel.busy}


def overlap(first: tuple[float, float], second: tuple[float, float]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def test_jobs_run_blocks_of_different_kernels_at_the_same_time(
    write_doc, second_python_kernelspec: str
) -> None:
    doc = write_doc(TWO_KERNELS.format(value=1, other=second_python_kernelspec))
    events, busy = busy_render(doc, jobs=2)
    assert overlap(busy["one"], busy["two"])  # different kernels: at the same time
    assert not overlap(busy["one"], busy["three"])  # one kernel runs one block at a time
    assert events.index("running two") < events.index("done one")
    assert events.index("running three") > events.index("done one")


def test_one_job_runs_one_block_at_a_time(write_doc, second_python_kernelspec: str) -> None:
    doc = write_doc(TWO_KERNELS.format(value=1, other=second_python_kernelspec))
    events, busy = busy_render(doc, jobs=1)
    assert not overlap(busy["one"], busy["two"]) and not overlap(busy["two"], busy["three"])
    assert events == [
        "running one",
        "done one",
        "running two",
        "done two",
        "running three",
        "done three",
    ]


def test_cancelled_run_stores_nothing_for_the_blocks_it_did_not_run(write_doc) -> None:
    doc = write_doc(
        "```{python}\n#| label: a\nprint('a ran')\n```\n\n"
        "```{python}\n#| label: b\nprint('b ran')\n```\n\n"
        "```{python}\n#| label: c\nprint('c ran')\n```\n"
    )
    _, plan, store = prepare(doc, RenderOptions())
    finished: list[str] = []

    def record(kind: str, planned: PlannedBlock, result: BlockResult | None) -> None:
        if kind == "done":
            finished.append(planned.id)

    FakeKernel.instances.clear()
    with Executor(store, doc.parent, FakeKernel) as executor:
        summary = executor.run(plan, on_event=record, cancel=lambda: bool(finished))
    assert {b: r.status for b, r in summary.results.items()} == {
        "a": "executed",
        "b": "not-run",
        "c": "not-run",
    }
    assert summary.results[BlockId("c")].reason == "not run: cancelled"
    assert not code_ran("b ran") and not code_ran("c ran")
    stored = {b.id for b in plan.blocks if store.get(b.key) is not None}
    assert stored == {"a"}
    FakeKernel.instances.clear()


def test_fully_cached_render_starts_no_kernel(write_doc, render_fake) -> None:
    doc = write_doc("```{python}\nx = 1\n```\n\n```{python}\nprint(x)\n```\n")
    render_fake(doc)
    FakeKernel.instances.clear()
    again = render_fake(doc)
    assert again.summary.count("cached") == 2
    assert FakeKernel.instances == []


def test_only_the_kernels_of_stale_blocks_start(
    write_doc, render_fake, second_python_kernelspec: str
) -> None:
    doc = write_doc(TWO_KERNELS.format(value=1, other=second_python_kernelspec))
    render_fake(doc)
    doc.write_text(doc.read_text().replace("two = 1", "two = 2"))
    FakeKernel.instances.clear()
    again = render_fake(doc)
    assert statuses(again) == {"one": "cached", "two": "executed", "three": "cached"}
    assert len(FakeKernel.instances) == 1


def test_a_document_of_eval_false_blocks_starts_no_kernel(write_doc, render_fake) -> None:
    doc = write_doc("```{python}\n#| eval: false\nprint('never')\n```\n")
    outcome = render_fake(doc)
    assert statuses(outcome) == {"python-1": "skipped"}
    assert FakeKernel.instances == []


REPLAY_OVERWRITE = """\
```{python}
a = 1
```

```{python}
y = (v for v in [a])
```

```{python}
a = 2
```

```{python}
x = (v * 10 for v in y)
```

```{python}
#| label: b
print(a, list(x), "TAG")
```
"""


def test_a_replay_for_one_input_does_not_clobber_another(write_doc, render_fake) -> None:
    """Replaying `x` (a generator: not stored) replays `y`, which needs the first `a`; the
    block must still see the second `a`, as a fresh run does."""
    doc = write_doc(REPLAY_OVERWRITE.replace("TAG", "one"))
    render_fake(doc)
    doc.write_text(REPLAY_OVERWRITE.replace("TAG", "two"))
    outcome = render_fake(doc)
    result = outcome.summary.results[BlockId("b")]
    assert result.status == "executed"
    assert [o.get("text") for o in result.outputs] == ["2 [10] two\n"]
