"""The render pipeline, top to bottom: parse, graph, plan, execute, render, write.

A function of a path and `RenderOptions`; it prints nothing (progress goes to the
`on_event` callback). Bad input that stops the render (bad YAML, a cycle, `--frozen` or
`--strict` failing) raises `NoteflowError` before a page is written; bad input the page
can still show (a block reading an unknown name) comes back in `RenderOutcome.problems`.
A caller that keeps an `Executor` (the live preview, tests) passes it in and its kernels
stay warm.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import FrozenError, NoteflowError, StrictError
from .execute import EventHandler, Executor
from .graph import build_graph
from .model import Document, Plan, RunSummary
from .plan import manifest_for, plan_render, skip_reason
from .render import render_html
from .sources import read_document
from .store import LocalStore, atomic_write, open_store

CACHE_DIR_NAME = ".noteflow"


@dataclass(frozen=True)
class RenderOptions:
    output: Path | None = None
    """Where the page goes; default: beside the document with the format's suffix."""
    to: Literal["html", "ipynb", "md"] = "html"
    params: Mapping[str, Any] = field(default_factory=dict)
    force: bool | Collection[str] = False
    strict: bool = False
    frozen: bool = False
    cache_dir: Path | None = None
    jobs: int = 1
    """How many kernels may run blocks at the same time."""


@dataclass(frozen=True)
class RenderOutcome:
    document: Document
    plan: Plan
    summary: RunSummary
    output: Path | None
    problems: tuple[NoteflowError, ...] = ()
    """Bad input found while the page could still be written (an unknown name a block
    reads): the page shows it, and the caller reports each and fails the run."""


def default_cache_dir(document_path: Path) -> Path:
    return document_path.resolve().parent / CACHE_DIR_NAME


def store_for(document_path: Path, cache_dir: Path | None) -> LocalStore:
    return open_store(cache_dir or default_cache_dir(document_path))


def prepare(path: Path, options: RenderOptions) -> tuple[Document, Plan, LocalStore]:
    """Parse, build the graph and plan: everything short of running code."""
    document = read_document(path)
    graph = build_graph(document, options.params)
    store = store_for(document.path, options.cache_dir)
    previous = store.read_manifest(document.path).get("blocks", {})
    plan = plan_render(graph, store, force=options.force, previous=previous)
    return document, plan, store


def render_document(
    path: Path,
    options: RenderOptions,
    *,
    executor: Executor | None = None,
    on_event: EventHandler | None = None,
) -> RenderOutcome:
    document, plan, store = prepare(path, options)
    if options.frozen:
        if plan.graph.problems:
            raise plan.graph.problems[0]
        _check_frozen(plan, str(document.path))
    if options.strict:
        _check_strict_skips(plan, str(document.path))
    if executor is not None:
        summary = executor.run(plan, strict=options.strict, on_event=on_event)
    else:
        with Executor(store, document.path.parent, jobs=options.jobs) as owned:
            summary = owned.run(plan, strict=options.strict, on_event=on_event)
    store.write_manifest(document.path, manifest_for(plan))
    if options.strict and summary.failed:
        first = summary.failed[0]
        raise StrictError(
            f"block '{first.block_id}' failed: {first.error}",
            path=str(document.path),
            line=plan.graph.node(first.block_id).block.line,
            block=first.block_id,
        )
    output = write_output(document, summary, store, options, plan.graph.params)
    return RenderOutcome(document, plan, summary, output, tuple(plan.graph.problems))


def _check_strict_skips(plan: Plan, path: str) -> None:
    """Under `--strict`, a block that cannot run (no kernel for its language) stops the
    render before anything runs, as a failing block would."""
    for planned in plan.blocks:
        reason = skip_reason(planned)
        if reason:
            raise StrictError(
                f"block '{planned.id}' cannot run: {reason}",
                path=path,
                line=planned.node.block.line,
                block=planned.id,
            )


def _check_frozen(plan: Plan, path: str) -> None:
    stale = plan.stale()
    if stale:
        listing = "; ".join(f"{b.id} ({b.reason})" for b in stale)
        raise FrozenError(
            f"--frozen: {len(stale)} block(s) are stale: {listing}",
            path=path,
            hint="render without --frozen and commit the cache, or fix what changed",
        )


def output_path(document: Document, options: RenderOptions) -> Path:
    from .gfm import default_output  # the Markdown exporter is imported only when used

    return options.output or default_output(document.path, options.to)


def write_output(
    document: Document,
    summary: RunSummary,
    store: LocalStore,
    options: RenderOptions,
    params: Mapping[str, Any] | None = None,
) -> Path:
    """Write the output file; `params`: the values in force (the notebook's parameters cell)."""
    target = output_path(document, options)
    if options.to == "md":
        from .gfm import write_markdown

        return write_markdown(document, summary, store, target)
    if options.to == "ipynb":
        from .notebook import to_notebook, write_notebook  # nbformat is slow to import

        text = write_notebook(to_notebook(document, summary, store, params))
    else:
        text = render_html(document, summary, store)
    atomic_write(target, text.encode("utf-8"))
    return target


def report_json(outcome: RenderOutcome) -> str:
    """The `--report` file: per block status, reason, key and time, and the totals."""
    summary = outcome.summary
    blocks = []
    for planned in outcome.plan.blocks:
        result = summary.results.get(planned.id)
        blocks.append(
            {
                "id": planned.id,
                "language": planned.node.block.language,
                "status": result.status if result else "not-run",
                "reason": result.reason if result else "",
                "key": planned.key,
                "seconds": round(result.seconds, 4)
                if result and result.status == "executed"
                else 0.0,
            }
        )
    data = {
        "document": str(outcome.document.path),
        "blocks": blocks,
        "executed": summary.count("executed"),
        "cached": summary.count("cached"),
        "failed": summary.count("failed"),
        "seconds": round(summary.seconds, 4),
    }
    return json.dumps(data, indent=2)
