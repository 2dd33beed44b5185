"""Execute stage: run a `Plan`'s stale blocks in kernels and record what they produce.

Owns DESIGN §5. An `Executor` keeps one kernel per kernelspec for as long as it lives: a
render uses it once, the live preview keeps it warm across saves. For every kernel it
tracks which block's run produced each live name (`LiveKernel.live`), so before a block
runs each of its inputs is made exactly the value its producer defined: already live,
else loaded from the store, else the producer is replayed with its outputs discarded.
Names a block reads that nothing earlier defines are removed, so a warm kernel never
serves a value whose definition was deleted. Failures propagate to dependents as
`not-run`; independent blocks still run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .adapters import Adapter, load_adapters
from .kernel import Execution, KernelSession
from .model import BlockId, BlockResult, CacheKey, Entry, Node, Plan, PlannedBlock, RunSummary
from .store import Store

DEFAULT_TIMEOUT = 600.0


class KernelBackend(Protocol):
    """What the executor needs of a kernel; `KernelSession` is the real one."""

    language_version: str

    def start(self) -> None: ...

    def execute(
        self,
        code: str,
        *,
        timeout: float | None = None,
        silent: bool = False,
        user_expressions: Mapping[str, str] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Execution: ...

    def restart(self) -> None: ...

    def shutdown(self) -> None: ...

    def is_alive(self) -> bool: ...


KernelFactory = Callable[[str, Adapter, Path], KernelBackend]
EventHandler = Callable[[str, PlannedBlock, BlockResult | None], None]
"""Called with ("cached" | "running" | "done", block, result)."""


@dataclass
class LiveKernel:
    """A started kernel and which producer each live name came from."""

    backend: KernelBackend
    adapter: Adapter
    live: dict[str, str] = field(default_factory=dict)
    """name -> the cache key of the block whose run defined it (or a parameter token)."""


class RestoreError(Exception):
    """An input could not be put into the kernel (a replay failed)."""


@dataclass
class _Run:
    """State of one `Executor.run` call."""

    plan: Plan
    planned: dict[BlockId, PlannedBlock]
    results: dict[BlockId, BlockResult] = field(default_factory=dict)
    entries: dict[CacheKey, Entry] = field(default_factory=dict)
    cancel: Callable[[], bool] | None = None


class Executor:
    """Runs plans; owns kernels until `close()` (use it as a context manager)."""

    def __init__(self, store: Store, cwd: Path, factory: KernelFactory | None = None) -> None:
        self.store = store
        self.cwd = cwd
        self.factory: KernelFactory = factory or KernelSession
        self.kernels: dict[str, LiveKernel] = {}

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut every kernel down; safe to call more than once."""
        kernels, self.kernels = self.kernels, {}
        for kernel in kernels.values():
            kernel.backend.shutdown()

    # -- running a plan --------------------------------------------------------------------

    def run(
        self,
        plan: Plan,
        *,
        strict: bool = False,
        on_event: EventHandler | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> RunSummary:
        started = time.monotonic()
        run = _Run(plan, plan.by_id(), cancel=cancel)
        emit = on_event or (lambda kind, block, result: None)
        stop_reason = ""
        for planned in plan.blocks:
            if stop_reason:
                run.results[planned.id] = _not_run(planned, stop_reason)
                continue
            result = self._run_block(planned, run, emit)
            run.results[planned.id] = result
            if strict and result.status == "failed" and not result.expected_error:
                stop_reason = f"not run: --strict stopped at failed block `{planned.id}`"
            if cancel is not None and cancel():
                stop_reason = "not run: cancelled"
        return RunSummary(run.results, time.monotonic() - started, self._versions(plan))

    def _run_block(self, planned: PlannedBlock, run: _Run, emit: EventHandler) -> BlockResult:
        block = planned.node.block
        if block.option("eval") is False:
            return BlockResult(planned.id, "skipped", (), 0.0, "", planned.key)
        if not planned.stale and planned.entry is not None:
            result = _cached(planned, planned.entry)
            emit("cached", planned, result)
            return result
        upstream_failure = _failed_upstream(planned.node, run.results)
        if upstream_failure:
            result = _not_run(planned, upstream_failure)
            emit("done", planned, result)
            return result
        emit("running", planned, None)
        result = self._execute(planned, run)
        emit("done", planned, result)
        return result

    def _execute(self, planned: PlannedBlock, run: _Run) -> BlockResult:
        kernel = self.kernel_for(planned.node)
        try:
            self._prepare(kernel, planned.node, run, set())
        except RestoreError as err:
            return self._record_failure(kernel, planned, run, Execution("error", [], 0.0, str(err)))
        execution = self._run_code(kernel, planned, run)
        if execution.status == "cancelled":
            _forget(kernel, planned.node)
            return _not_run(planned, "not run: cancelled")
        if execution.status in ("dead", "timeout"):
            self._recover(kernel)
        expected = bool(planned.node.block.option("error"))
        if execution.status == "ok" or (execution.status == "error" and expected):
            return self._record_success(kernel, planned, run, execution)
        return self._record_failure(kernel, planned, run, execution)

    def _run_code(self, kernel: LiveKernel, planned: PlannedBlock, run: _Run) -> Execution:
        node, adapter = planned.node, kernel.adapter
        timeout = _timeout(planned, run.plan)
        if node.block.kind == "inline":
            execution = kernel.backend.execute(
                "",
                timeout=timeout,
                user_expressions={"value": adapter.template("inline", code=node.block.code)},
                cancel=run.cancel,
            )
            return _inline_outputs(execution)
        expressions = {"save": self._save_code(kernel, node)} if adapter.save_in_request else None
        return kernel.backend.execute(
            node.block.code, timeout=timeout, user_expressions=expressions, cancel=run.cancel
        )

    def _save_code(self, kernel: LiveKernel, node: Node) -> str:
        return kernel.adapter.template(
            "save",
            names=repr(sorted(node.defines)),
            directory=repr(str(self.store.blob_dir)),
            snapshot=repr(node.snapshot),
        )

    def _exports(self, kernel: LiveKernel, node: Node, execution: Execution) -> dict[str, Any]:
        if not node.defines and not node.snapshot:
            return {}
        saved = execution.expression("save") if kernel.adapter.save_in_request else None
        if saved is None:
            saved = kernel.backend.execute(
                "", user_expressions={"save": self._save_code(kernel, node)}
            ).expression("save")
        try:
            exports = json.loads(saved) if isinstance(saved, str) else None
        except ValueError:
            exports = None
        if not isinstance(exports, dict):
            return {
                name: {"unsaved": "the kernel did not report saved values"} for name in node.defines
            }
        return exports

    def _record_success(
        self, kernel: LiveKernel, planned: PlannedBlock, run: _Run, execution: Execution
    ) -> BlockResult:
        node = planned.node
        exports = self._exports(kernel, node, execution)
        if node.snapshot:
            kernel.live = {name: planned.key for name in exports}
        for name in node.defines:
            kernel.live[name] = planned.key
        entry = Entry(
            planned.key,
            planned.id,
            "ok",
            tuple(execution.outputs),
            execution.seconds,
            exports,
            kernel.backend.language_version,
            time.time(),
            execution.error,
        )
        self.store.put(entry)
        run.entries[planned.key] = entry
        return BlockResult(
            planned.id,
            "executed",
            entry.outputs,
            execution.seconds,
            planned.reason,
            planned.key,
            execution.error,
            bool(execution.error),
            entry.language_version,
        )

    def _record_failure(
        self, kernel: LiveKernel, planned: PlannedBlock, run: _Run, execution: Execution
    ) -> BlockResult:
        _forget(kernel, planned.node)
        outputs = tuple(execution.outputs)
        own_error = any(o.get("output_type") == "error" for o in outputs)
        if execution.status != "error" or not own_error:
            # A timeout, a dead kernel or an input that could not be restored: say so.
            message = {
                "output_type": "error",
                "ename": "noteflow",
                "evalue": execution.error,
                "traceback": [execution.error],
            }
            outputs = (*outputs, message)
        version = kernel.backend.language_version
        entry = Entry(
            planned.key,
            planned.id,
            "failed",
            outputs,
            execution.seconds,
            {},
            version,
            time.time(),
            execution.error,
        )
        self.store.put(entry)
        return BlockResult(
            planned.id,
            "failed",
            outputs,
            execution.seconds,
            planned.reason,
            planned.key,
            execution.error,
            False,
            version,
        )

    def _recover(self, kernel: LiveKernel) -> None:
        """After a timeout or a death the kernel's state is unknown: restart if dead, forget all."""
        if not kernel.backend.is_alive():
            kernel.backend.restart()
        kernel.live.clear()

    # -- inputs ----------------------------------------------------------------------------

    def _prepare(self, kernel: LiveKernel, node: Node, run: _Run, replaying: set[BlockId]) -> None:
        """Make every input of `node` the value its producer defined; remove unresolved names."""
        batch = _Batch()
        for item in sorted(
            (i for i in node.inputs if i.producer),
            key=lambda i: run.planned[BlockId(str(i.producer))].node.block.index,
        ):
            assert item.producer is not None
            producer = run.planned[item.producer]
            if kernel.live.get(item.name) == producer.key:
                continue
            spec = self._export_spec(producer, item.name, run)
            if "blob" in spec and self.store.blob_path(spec["blob"]).is_file():
                batch.loads.append(
                    (item.name, str(self.store.blob_path(spec["blob"])), producer.key)
                )
            elif spec.get("absent"):
                batch.deletes.append(item.name)
            else:
                self._flush(kernel, batch, run)
                self._replay(kernel, producer, run, replaying)
        batch.deletes.extend(n for n in node.unresolved)
        for item in node.inputs:
            token = "param:" + json.dumps(
                run.plan.graph.params.get(item.name), sort_keys=True, default=str
            )
            if item.param and kernel.live.get(item.name) != token:
                batch.params[item.name] = (run.plan.graph.params.get(item.name), token)
        self._flush(kernel, batch, run)

    def _export_spec(self, producer: PlannedBlock, name: str, run: _Run) -> Mapping[str, Any]:
        entry = run.entries.get(producer.key) or producer.entry or self.store.get(producer.key)
        if entry is None:
            return {}
        spec = entry.exports.get(name)
        if spec is None and producer.node.snapshot:
            return {"absent": True}
        return spec or {}

    def _flush(self, kernel: LiveKernel, batch: _Batch, run: _Run) -> None:
        code = batch.code(kernel.adapter)
        if not code:
            return
        result = kernel.backend.execute(
            code, timeout=DEFAULT_TIMEOUT, silent=True, cancel=run.cancel
        )
        if result.status != "ok":
            raise RestoreError(
                f"could not load inputs {', '.join(batch.names())} into the kernel: {result.error}"
            )
        for name, _, token in batch.loads:
            kernel.live[name] = token
        for name in batch.deletes:
            kernel.live.pop(name, None)
        for name, (_, token) in batch.params.items():
            kernel.live[name] = token
        batch.clear()

    def _replay(
        self, kernel: LiveKernel, producer: PlannedBlock, run: _Run, replaying: set[BlockId]
    ) -> None:
        """Re-run a producer whose value is not stored, outputs discarded."""
        if producer.id in replaying:
            raise RestoreError(f"cannot restore block `{producer.id}`: it depends on itself")
        self._prepare(kernel, producer.node, run, replaying | {producer.id})
        result = kernel.backend.execute(
            producer.node.block.code,
            timeout=_timeout(producer, run.plan),
            silent=True,
            cancel=run.cancel,
        )
        if result.status != "ok" and not producer.node.block.option("error"):
            _forget(kernel, producer.node)
            raise RestoreError(
                f"could not restore inputs: replaying block `{producer.id}` failed: {result.error}"
            )
        if producer.node.snapshot:
            kernel.live.clear()
        for name in producer.node.defines:
            kernel.live[name] = producer.key

    # -- kernels ---------------------------------------------------------------------------

    def kernel_for(self, node: Node) -> LiveKernel:
        """The kernel for this node's kernelspec, started on first use."""
        kernel = self.kernels.get(node.kernel)
        if kernel is None or not kernel.backend.is_alive():
            adapter = load_adapters()[node.block.language]
            backend = self.factory(node.kernel, adapter, self.cwd)
            if kernel is not None:
                kernel.backend.shutdown()
            self.kernels[node.kernel] = kernel = LiveKernel(backend, adapter)
            backend.start()
        return kernel

    def _versions(self, plan: Plan) -> dict[str, str]:
        versions: dict[str, str] = {}
        for planned in plan.blocks:
            language = planned.node.block.language
            if planned.entry and planned.entry.language_version:
                versions.setdefault(language, planned.entry.language_version)
        for kernel in self.kernels.values():
            if kernel.backend.language_version:
                versions[kernel.adapter.language] = kernel.backend.language_version
        return versions


@dataclass
class _Batch:
    """Loads, deletions and parameter assignments sent to a kernel in one request."""

    loads: list[tuple[str, str, str]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    params: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def code(self, adapter: Adapter) -> str:
        lines = []
        if self.loads:
            lines.append(adapter.template("load", items=repr([[n, p] for n, p, _ in self.loads])))
        if self.deletes:
            lines.append(adapter.template("delete", names=repr(sorted(set(self.deletes)))))
        if self.params:
            text = json.dumps({n: v for n, (v, _) in self.params.items()}, default=str)
            lines.append(adapter.template("assign", json=repr(text)))
        return "\n".join(lines)

    def names(self) -> list[str]:
        return [n for n, _, _ in self.loads] + self.deletes + list(self.params)

    def clear(self) -> None:
        self.loads.clear()
        self.deletes.clear()
        self.params.clear()


def _forget(kernel: LiveKernel, node: Node) -> None:
    """After a failed or interrupted run, what the block defines is in an unknown state."""
    if node.snapshot:
        kernel.live.clear()
    for name in node.defines:
        kernel.live.pop(name, None)


def _timeout(planned: PlannedBlock, plan: Plan) -> float:
    defaults = plan.graph.document.front_matter.get("execute") or {}
    value = planned.node.block.option("timeout", defaults.get("timeout", DEFAULT_TIMEOUT))
    return float(value)


def _inline_outputs(execution: Execution) -> Execution:
    """An inline expression's value, as one text output."""
    item = execution.user_expressions.get("value") or {}
    if execution.status != "ok":
        return execution
    if item.get("status") == "ok":
        text = execution.expression("value")
        execution.outputs = [
            {
                "output_type": "execute_result",
                "data": {"text/plain": str(text)},
                "metadata": {},
                "execution_count": None,
            }
        ]
        return execution
    error = f"{item.get('ename', 'Error')}: {item.get('evalue', '')}"
    outputs = [
        {
            "output_type": "error",
            "ename": item.get("ename", ""),
            "evalue": item.get("evalue", ""),
            "traceback": item.get("traceback", []),
        }
    ]
    return Execution("error", outputs, execution.seconds, error)


def _failed_upstream(node: Node, results: Mapping[BlockId, BlockResult]) -> str:
    for upstream in node.upstream():
        result = results.get(upstream)
        if result is None:
            continue
        if result.status == "failed" and not result.expected_error:
            return f"not run: upstream `{upstream}` failed"
        if result.status == "not-run":
            return result.reason
    return ""


def _not_run(planned: PlannedBlock, reason: str) -> BlockResult:
    return BlockResult(planned.id, "not-run", (), 0.0, reason, planned.key)


def _cached(planned: PlannedBlock, entry: Entry) -> BlockResult:
    expected = bool(entry.error) and bool(planned.node.block.option("error"))
    return BlockResult(
        planned.id,
        "cached",
        entry.outputs,
        entry.seconds,
        "",
        planned.key,
        entry.error,
        expected,
        entry.language_version,
    )


def blocks_with_status(summary: RunSummary, statuses: Iterable[str]) -> list[BlockId]:
    wanted = set(statuses)
    return [b for b, r in summary.results.items() if r.status in wanted]
