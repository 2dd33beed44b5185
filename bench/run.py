"""Render timings for generated documents: floor, cold, fully cached, one-block edit.

    python bench/run.py [--sizes 20,100] [--repeat 15] [--json results.json]

For each size it writes a document of N Python blocks in a temporary directory and
measures, in this one process (time.perf_counter):

- floor:  the page without execution (see `floor_render`): parse + highlight + outputs +
          theme + atomic write; no graph, no cache keys, no store reads, no kernel.
- cold:   `render_document` with an empty cache (a real ipykernel is started).
- cached: `render_document` with nothing stale; asserts 0 executed and no kernel started.
- edit:   one block in the middle changed; asserts exactly it and its transitive
          dependents (`plan.graph.downstream`) executed.
- cli:    `python -m noteflow render DOC -q` wall time, nothing stale (a new process:
          interpreter start and imports included).
- tracking: the cost of observed file reads on a cached render. A document of N blocks
          that each read a file without `files:`, rendered cached as a whole process,
          against the same document whose cache was made with NOTEFLOW_TRACK_READS=0
          (no reads recorded, none checked); runs alternate A B A B. Target <= 1.05x.

Floor and cached runs are interleaved so machine noise hits both alike. Exit status 1
when a target fails (so CI can run it), 2 when the benchmark itself is broken.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from noteflow.execute import Executor
from noteflow.model import BlockResult, RunSummary
from noteflow.pipeline import (
    RenderOptions,
    RenderOutcome,
    default_cache_dir,
    render_document,
    store_for,
    write_output,
)
from noteflow.sources import read_document

CACHED_VS_FLOOR = 1.3
"""Target: a fully cached render of the target size is within this factor of the floor."""
CACHED_SECONDS = 0.2
"""Target: ... and takes less than this many seconds."""
TARGET_SIZE = 100
COLD_REPEAT = 3
EDIT_REPEAT = 3
CLI_REPEAT = 5
TRACKING_VS_UNTRACKED = 1.05
"""Target: a cached render whose blocks read files costs at most this much more."""

try:
    import pandas  # noqa: F401

    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


class BenchError(Exception):
    """The benchmark itself went wrong (a block failed, a render misbehaved)."""


# -- the document ----------------------------------------------------------------------


def block_code(index: int, edit: int = 0) -> tuple[str, str | None]:
    """Code and label of block `index`; `edit` > 0 changes the stats blocks' code.

    Block 0 sets up; then sections of five: `data` (a chain: each reads the previous
    section's data), `stats` and `scaled` branching off it, a `report` reading both, and a
    display (a small DataFrame every other section when pandas is there, else a dict).
    Editing a `stats` block re-runs it and the three blocks after it.
    """
    if index == 0:
        lines = ["import statistics", 'config = {"n": 40, "mod": 11, "seed": 3}']
        if HAVE_PANDAS:
            lines.insert(0, "import pandas as pd")
        return "\n".join(lines), "setup"
    role, k = (index - 1) % 5, (index - 1) // 5
    bump = f" + {edit}" if edit else ""
    if role == 0:
        source = 'list(range(config["n"]))' if k == 0 else f"data_{k - 1}"
        return (
            f'data_{k} = [(x * config["seed"] + {k}) % config["mod"] for x in {source}]\n'
            f"print(len(data_{k}), data_{k}[:8])",
            f"s{k:02d}-data",
        )
    if role == 1:
        return (
            f"stats_{k} = {{\n"
            f'    "sum": sum(data_{k}),\n'
            f'    "mean": round(statistics.mean(data_{k}), 3),\n'
            f'    "max": max(data_{k}){bump},\n'
            f"}}\n"
            f"stats_{k}",
            f"s{k:02d}-stats",
        )
    if role == 2:
        return (
            f'scaled_{k} = [x * stats_{k}["max"] + 1 for x in data_{k}]\n'
            f"evens_{k} = [x for x in scaled_{k} if x % 2 == 0]\n"
            f"print(len(scaled_{k}), len(evens_{k}))",
            None,
        )
    if role == 3:
        return (
            f'report_{k} = {{"section": {k}, "total": stats_{k}["sum"], '
            f'"top": max(scaled_{k}), "evens": len(evens_{k})}}\n'
            f"print(f\"section {{report_{k}['section']}}: {{report_{k}}}\")",
            None,
        )
    if HAVE_PANDAS and k % 2 == 0:
        return (
            f'df_{k} = pd.DataFrame({{"x": data_{k}[:6], "scaled": scaled_{k}[:6]}})\n'
            f'df_{k}["ratio"] = df_{k}["scaled"] / (df_{k}["x"] + 1)\n'
            f"df_{k}",
            None,
        )
    return (
        f"table_{k} = {{x: scaled_{k}.count(x * stats_{k}['max'] + 1) "
        f"for x in sorted(set(data_{k}))}}\n"
        f"table_{k}",
        None,
    )


PROSE = [
    "The values below are recomputed from the previous section's data. Nothing here is "
    "expensive: the point is the *shape* of a document, with prose between code, "
    "`inline code`, and the occasional [link](https://example.org).",
    "Each statistic is a plain dictionary, so it prints compactly. The scaled list feeds "
    "the report, and the report feeds nothing else: an edit here stays local.",
    "A short paragraph, as most are. **Bold** and _emphasis_ for the renderer to chew on, "
    "and a footnote-free sentence that ends here.",
]


def make_document(n_blocks: int, edited: dict[int, int] | None = None) -> str:
    edited = edited or {}
    parts = ["---", f"title: Bench document ({n_blocks} blocks)", "---", ""]
    parts += ["Generated by `bench/run.py`.", ""]
    for index in range(n_blocks):
        role, k = (index - 1) % 5, (index - 1) // 5
        if index > 0 and role == 0:
            parts += [f"## Section {k}", "", PROSE[k % len(PROSE)], ""]
            if k % 4 == 1:
                parts += [
                    "| name | meaning |",
                    "|---|---|",
                    f"| `data_{k}` | the chain |",
                    f"| `stats_{k}` | a branch |",
                    "",
                ]
            if k % 4 == 3:
                parts += [
                    "For reference (not run):",
                    "",
                    "```python",
                    "sum(x for x in []) == 0",
                    "```",
                    "",
                ]
        elif index > 0:
            parts += [PROSE[(index + k) % len(PROSE)], ""]
        code, label = block_code(index, edited.get(index, 0))
        header = f"#| label: {label}\n" if label else ""
        parts += ["```{python}", header + code, "```", ""]
    return "\n".join(parts)


def edit_index(n_blocks: int) -> int:
    """The `stats` block nearest the middle."""
    stats = [i for i in range(1, n_blocks) if (i - 1) % 5 == 1]
    if not stats:
        raise BenchError(f"a document of {n_blocks} blocks has no block to edit (need >= 3)")
    return min(stats, key=lambda i: abs(i - n_blocks // 2))


# -- phases ------------------------------------------------------------------------------


def floor_render(
    path: Path, results: dict[Any, BlockResult], options: RenderOptions, store: Any
) -> Path:
    """The page without execution: what any render must do however good the cache is.

    Includes: reading and parsing the document (front matter, markdown-it tokens, block
    options), highlighting every block with Pygments, rendering the outputs (held in
    memory from an earlier render: the same results a cached render serves), the theme
    and TOC, and the atomic write of the page. Excludes: the dataflow graph and Python
    analysis, cache keys, reading cache entries and the manifest, writing the manifest,
    and the executor. The store is only passed for image blobs (there are none here).
    """
    document = read_document(path)
    summary = RunSummary(results, 0.0, {})
    return write_output(document, summary, store, options)


def _no_kernel(*args: object) -> Any:
    raise AssertionError("a fully cached render started a kernel")


def cached_render(path: Path, options: RenderOptions) -> RenderOutcome:
    store = store_for(path, options.cache_dir)
    executor = Executor(store, path.parent, factory=_no_kernel)
    with executor:
        outcome = render_document(path, options, executor=executor)
        if executor.kernels:
            raise BenchError("a fully cached render started a kernel")
    return outcome


def check_all(outcome: RenderOutcome, status: str, n_blocks: int, what: str) -> None:
    count = outcome.summary.count(status)  # type: ignore[arg-type]
    if count != n_blocks:
        bad = {
            r.block_id: (r.status, r.error or r.reason)
            for r in outcome.summary.results.values()
            if r.status != status
        }
        raise BenchError(f"{what}: {count}/{n_blocks} blocks {status}; others: {bad}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


@dataclass
class Row:
    size: int
    phase: str
    times: list[float]
    executed: str = "-"
    target: str = ""
    ok: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def minimum(self) -> float:
        return min(self.times)


def bench_size(n_blocks: int, repeat: int, workdir: Path) -> list[Row]:
    folder = workdir / f"doc{n_blocks}"
    folder.mkdir()
    path = folder / "doc.md"
    path.write_text(make_document(n_blocks), encoding="utf-8")
    main_cache = default_cache_dir(path)
    options = RenderOptions(cache_dir=main_cache)

    # cold: each run on a fresh cache; the last one fills the default cache dir.
    cold_times = []
    for i in range(COLD_REPEAT):
        cache = main_cache if i == COLD_REPEAT - 1 else folder / f"cold-cache-{i}"
        seconds, outcome = timed(
            lambda c=cache: render_document(path, replace(options, cache_dir=c))
        )
        check_all(outcome, "executed", n_blocks, "cold render")
        cold_times.append(seconds)
        if cache != main_cache:
            shutil.rmtree(cache)

    # warm-up cached render; its results (outputs from the cache) feed the floor.
    outcome = cached_render(path, options)
    check_all(outcome, "cached", n_blocks, "cached render")
    results = dict(outcome.summary.results)
    store = store_for(path, main_cache)
    floor_render(path, results, options, store)

    floor_times, cached_times = [], []
    for _ in range(repeat):
        seconds, _page = timed(lambda: floor_render(path, results, options, store))
        floor_times.append(seconds)
        seconds, outcome = timed(lambda: cached_render(path, options))
        check_all(outcome, "cached", n_blocks, "cached render")
        if outcome.summary.count("executed"):
            raise BenchError("cached render executed blocks")
        cached_times.append(seconds)

    cli_times = []
    for _ in range(CLI_REPEAT):
        seconds, proc = timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "noteflow", "render", str(path), "-q"],
                capture_output=True,
                text=True,
            )
        )
        if proc.returncode != 0:
            raise BenchError(f"CLI render failed ({proc.returncode}): {proc.stderr}")
        cli_times.append(seconds)

    # one-block edit: each run changes the same block to code never seen before.
    target_index = edit_index(n_blocks)
    edit_times, edit_ok, edit_counts = [], True, ""
    for run in range(1, EDIT_REPEAT + 1):
        path.write_text(make_document(n_blocks, {target_index: run}), encoding="utf-8")
        seconds, outcome = timed(lambda: render_document(path, options))
        edit_times.append(seconds)
        block_id = outcome.document.blocks[target_index].id
        expected = {block_id, *outcome.plan.graph.downstream(block_id)}
        executed = {r.block_id for r in outcome.summary.results.values() if r.status == "executed"}
        if outcome.summary.failed:
            raise BenchError(f"edit render: failed blocks {outcome.summary.failed}")
        if executed != expected:
            edit_ok = False
            print(
                f"edit of {block_id}: executed {sorted(executed)}, expected {sorted(expected)}",
                file=sys.stderr,
            )
        edit_counts = f"{len(executed)} (expect {len(expected)})"

    floor_median = statistics.median(floor_times)
    cached_median = statistics.median(cached_times)
    rows = [
        Row(n_blocks, "floor (no exec)", floor_times),
        Row(n_blocks, "cached", cached_times, "0"),
        Row(n_blocks, "cold", cold_times, str(n_blocks)),
        Row(
            n_blocks,
            f"edit {outcome.document.blocks[target_index].id}",
            edit_times,
            edit_counts,
            "= block + dependents",
            edit_ok,
        ),
        Row(n_blocks, "cli cached (wall)", cli_times, "0"),
    ]
    if n_blocks == TARGET_SIZE:
        ratio_ok = cached_median <= CACHED_VS_FLOOR * floor_median
        time_ok = cached_median < CACHED_SECONDS
        rows[1].target = f"<= {CACHED_VS_FLOOR}x floor, < {CACHED_SECONDS} s"
        rows[1].ok = ratio_ok and time_ok
        rows[1].extra = {"ratio_ok": ratio_ok, "seconds_ok": time_ok}
    return rows


def reading_document(n_blocks: int) -> str:
    """N blocks that each read one of ten data files without declaring it."""
    parts = ["---", f"title: Reads ({n_blocks} blocks)", "---", ""]
    for index in range(n_blocks):
        parts += [
            f"Block {index} reads a file.",
            "",
            "```{python}",
            f'with open("inputs/part-{index % 10}.csv") as handle:',
            f"    rows_{index} = len(handle.read().splitlines()) + {index}",
            f"print(rows_{index})",
            "```",
            "",
        ]
    return "\n".join(parts)


def cli_render(path: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(path), "-q"],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0 or "executed" in proc.stderr.replace("0 executed", ""):
        raise BenchError(f"cached CLI render failed or executed: {proc.stderr}")
    return seconds


def bench_tracking(n_blocks: int, repeat: int, workdir: Path) -> list[Row]:
    """Cached whole-process renders with and without observed reads, alternated."""
    env = dict(os.environ)
    untracked_env = {**env, "NOTEFLOW_TRACK_READS": "0"}
    paths = []
    for name, variant_env in (("tracked", env), ("untracked", untracked_env)):
        folder = workdir / f"reads-{name}-{n_blocks}"
        (folder / "inputs").mkdir(parents=True)
        for part in range(10):
            (folder / "inputs" / f"part-{part}.csv").write_text("a,b\n" * (part + 1))
        path = folder / "doc.md"
        path.write_text(reading_document(n_blocks), encoding="utf-8")
        subprocess.run(
            [sys.executable, "-m", "noteflow", "render", str(path), "-q"],
            check=True,
            capture_output=True,
            env=variant_env,
        )
        paths.append((path, variant_env))
    entries = list((paths[0][0].parent / ".noteflow" / "entries").glob("*/*.json"))
    if not entries or not all('"reads":[{' in e.read_text().replace(" ", "") for e in entries):
        raise BenchError("the tracked cache does not record the blocks' reads")
    tracked, untracked = [], []
    for _ in range(repeat):
        tracked.append(cli_render(*paths[0]))
        untracked.append(cli_render(*paths[1]))
    ratio = statistics.median(tracked) / statistics.median(untracked)
    ok = ratio <= TRACKING_VS_UNTRACKED
    return [
        Row(n_blocks, "floor (no exec)", untracked, "0"),
        Row(
            n_blocks,
            "cli cached, reads tracked",
            tracked,
            "0",
            f"<= {TRACKING_VS_UNTRACKED}x untracked",
            ok,
            {"ratio": ratio},
        ),
    ]


# -- profile and report ------------------------------------------------------------------


def profile_cached(n_blocks: int, workdir: Path, top: int = 25) -> str:
    path = workdir / f"doc{n_blocks}" / "doc.md"
    options = RenderOptions(cache_dir=default_cache_dir(path))
    cached_render(path, options)
    profiler = cProfile.Profile()
    for _ in range(5):
        profiler.runcall(cached_render, path, options)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(15)
    return "cProfile of 5 fully cached renders:\n" + out.getvalue()


def format_table(rows: list[Row]) -> str:
    floors = {r.size: r.median for r in rows if r.phase.startswith("floor")}
    header = ("size", "phase", "median s", "min s", "runs", "executed", "x floor", "target")
    lines = []
    for r in rows:
        verdict = "" if r.ok is None else ("PASS" if r.ok else "FAIL")
        lines.append(
            (
                str(r.size),
                r.phase,
                f"{r.median:.4f}",
                f"{r.minimum:.4f}",
                str(len(r.times)),
                r.executed,
                f"{r.median / floors[r.size]:.2f}",
                f"{r.target} {verdict}".strip(),
            )
        )
    widths = [max(len(x) for x in col) for col in zip(header, *lines, strict=True)]
    fmt = "  ".join(f"{{:{'>' if i in (2, 3, 4, 6) else '<'}{w}}}" for i, w in enumerate(widths))
    return "\n".join(fmt.format(*line).rstrip() for line in [header, *lines])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100", help="block counts (default 20,100)")
    parser.add_argument("--repeat", type=int, default=15, help="floor/cached runs (default 15)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write results here")
    parser.add_argument("--profile", action="store_true", help="profile the cached render")
    parser.add_argument(
        "--no-tracking", action="store_true", help="skip the observed-reads comparison"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="noteflow-bench-") as tmp:
        workdir = Path(tmp)
        try:
            for size in sizes:
                rows += bench_size(size, args.repeat, workdir)
            if not args.no_tracking:
                tracking_rows = bench_tracking(TARGET_SIZE, args.repeat, workdir)
        except BenchError as err:
            print(f"bench: error: {err}", file=sys.stderr)
            return 2
        print(f"python {sys.version.split()[0]}, pandas blocks: {HAVE_PANDAS}")
        print(format_table(rows))
        if not args.no_tracking:
            print()
            print("observed reads: the floor row is the cached CLI render without tracking")
            print(format_table(tracking_rows))
            rows += tracking_rows[1:]
        failed = [r for r in rows if r.ok is False]
        cached_failed = any(r.phase == "cached" for r in failed)
        if args.profile or cached_failed:
            print()
            print(profile_cached(max(sizes), workdir))

    if args.json:
        data = {
            "python": sys.version.split()[0],
            "pandas": HAVE_PANDAS,
            "targets": {
                "cached_vs_floor": CACHED_VS_FLOOR,
                "cached_seconds": CACHED_SECONDS,
                "size": TARGET_SIZE,
            },
            "rows": [
                {
                    "size": r.size,
                    "phase": r.phase,
                    "median": r.median,
                    "min": r.minimum,
                    "runs": len(r.times),
                    "times": r.times,
                    "executed": r.executed,
                    "vs_floor": r.median
                    / next(
                        x.median for x in rows if x.size == r.size and x.phase.startswith("floor")
                    ),
                    "target": r.target,
                    "pass": r.ok,
                    **r.extra,
                }
                for r in rows
            ],
            "pass": not failed,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if failed:
        print("FAIL: " + ", ".join(f"{r.size} {r.phase}" for r in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
