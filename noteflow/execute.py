"""Execute stage: run a `Plan`'s stale blocks in kernels and record what they produce.

Owns DESIGN §5. An `Executor` keeps one kernel per kernelspec for as long as it lives: a
render uses it once, the live preview keeps it warm across saves. Before a block runs,
each value it reads is made exactly the value its producer defined: already live in the
kernel, else loaded from the store (natively within a language, as interchange JSON
across languages), else the producer is replayed with its outputs discarded. A chained
block (R, bash, JavaScript) also needs its predecessor's run in the kernel. Names a block
reads that nothing earlier defines are removed. Failures propagate to dependents as
`not-run`; independent blocks still run; blocks of different kernels run in parallel.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .adapters import Adapter, load_adapters
from .components import ComponentContext, ComponentError, decode_value, encode_value, make_component
from .kernel import Execution, KernelSession
from .model import (
    BlockId,
    BlockResult,
    CacheKey,
    Entry,
    Input,
    Node,
    Plan,
    PlannedBlock,
    RunSummary,
)
from .store import Store
from .values import (
    LiveKernel,
    Loads,
    interchange_to_text,
    parse_saved,
    save_code,
    value_to_interchange,
)

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
"""Called with ("cached" | "running" | "done", block, result), possibly from worker threads."""


class RestoreError(Exception):
    """An input could not be put into the kernel; the message names block, value and why."""


@dataclass
class _Run:
    """State of one `Executor.run` call."""

    plan: Plan
    planned: dict[BlockId, PlannedBlock]
    interchange: dict[BlockId, set[str]]
    """Per producer, the names a block of another language reads (saved as JSON too)."""
    results: dict[BlockId, BlockResult] = field(default_factory=dict)
    entries: dict[CacheKey, Entry] = field(default_factory=dict)
    cancel: Callable[[], bool] | None = None


class Executor:
    """Runs plans; owns kernels until `close()` (use it as a context manager)."""

    def __init__(
        self, store: Store, cwd: Path, factory: KernelFactory | None = None, jobs: int = 1
    ) -> None:
        self.store = store
        self.cwd = cwd
        self.factory: KernelFactory = factory or KernelSession
        self.jobs = max(1, jobs)
        self.kernels: dict[str, LiveKernel] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._kernels_lock = threading.Lock()
        self._abort = threading.Event()
        self._starting: list[threading.Thread] = []

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut every kernel down (in parallel); safe to call more than once."""
        for thread in self._starting:
            thread.join()
        self._starting.clear()
        with self._kernels_lock:
            kernels, self.kernels = self.kernels, {}
        closers = [threading.Thread(target=k.close) for k in kernels.values()]
        for thread in closers:
            thread.start()
        for thread in closers:
            thread.join()

    def _start_needed(self, plan: Plan) -> None:
        """Start, in the background, every kernel some stale block of the plan will need."""
        needed: dict[str, Node] = {}
        for planned in plan.blocks:
            runs_code = planned.node.block.kind != "component"
            if planned.stale and runs_code and planned.node.block.option("eval") is not False:
                needed.setdefault(planned.node.kernel, planned.node)
        for kernel, node in needed.items():
            if kernel not in self.kernels:
                thread = threading.Thread(target=self._start_quietly, args=(node,), daemon=True)
                thread.start()
                self._starting.append(thread)

    def _start_quietly(self, node: Node) -> None:
        # A failure here is reported when a block first asks for this kernel.
        with contextlib.suppress(Exception):
            self.kernel_for(node)

    # -- scheduling ------------------------------------------------------------------------

    def run(
        self,
        plan: Plan,
        *,
        strict: bool = False,
        on_event: EventHandler | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> RunSummary:
        started = time.monotonic()
        self._abort.clear()
        stop = self._abort.is_set
        run = _Run(
            plan,
            plan.by_id(),
            _interchange_needs(plan),
            cancel=(lambda: stop() or cancel()) if cancel else stop,
        )
        emit = on_event or (lambda kind, block, result: None)
        self._start_needed(plan)
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="noteflow") as pool:
            try:
                self._schedule(run, pool, emit, strict)
            except BaseException:
                # Ctrl-C arrives in this thread: make running blocks interrupt their kernels
                # so the pool can finish, then let the caller shut the kernels down.
                self._abort.set()
                raise
        ordered = {b.id: run.results[b.id] for b in plan.blocks}
        return RunSummary(ordered, time.monotonic() - started, self.versions(plan))

    def _schedule(
        self, run: _Run, pool: ThreadPoolExecutor, emit: EventHandler, strict: bool
    ) -> None:
        """Start each block once its upstream is done and its kernel is free, in plan order."""
        pending = list(run.plan.blocks)
        running: dict[Future[BlockResult], PlannedBlock] = {}
        stop = ""
        while pending or running:
            busy = {b.node.kernel for b in running.values()}
            for planned in list(pending):
                if stop:
                    run.results[planned.id] = _not_run(planned, stop)
                elif not _upstream_done(planned, run) or planned.node.kernel in busy:
                    continue
                else:
                    immediate = self._decide(planned, run, emit)
                    if immediate is not None:
                        run.results[planned.id] = immediate
                    else:
                        emit("running", planned, None)
                        running[pool.submit(self._execute, planned, run)] = planned
                        busy.add(planned.node.kernel)
                pending.remove(planned)
                if self.jobs == 1 and running:
                    break
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                planned = running.pop(future)
                result = future.result()
                run.results[planned.id] = result
                emit("done", planned, result)
                if strict and result.status == "failed" and not result.expected_error:
                    stop = f"not run: --strict stopped at failed block `{planned.id}`"
            if run.cancel is not None and run.cancel():
                stop = stop or "not run: cancelled"

    def _decide(self, planned: PlannedBlock, run: _Run, emit: EventHandler) -> BlockResult | None:
        """The result of a block that needs no kernel (skipped, cached, not-run), else None."""
        if planned.node.block.option("eval") is False:
            return BlockResult(planned.id, "skipped", (), 0.0, "", planned.key)
        if planned.node.problem:
            error = {
                "output_type": "error",
                "ename": "noteflow",
                "evalue": planned.node.problem,
                "traceback": [planned.node.problem],
            }
            result = BlockResult(
                planned.id,
                "failed",
                (error,),
                0.0,
                planned.reason,
                planned.key,
                planned.node.problem,
            )
            emit("done", planned, result)
            return result
        if not planned.stale and planned.entry is not None:
            result = _cached(planned, planned.entry)
            emit("cached", planned, result)
            return result
        failure = _failed_upstream(planned.node, run.results)
        if failure:
            result = _not_run(planned, failure)
            emit("done", planned, result)
            return result
        return None

    # -- running one block -----------------------------------------------------------------

    def _execute(self, planned: PlannedBlock, run: _Run) -> BlockResult:
        if planned.node.block.kind == "component":
            return self._execute_component(planned, run)
        try:
            foreign = self._foreign_inputs(planned.node, run)
            kernel = self.kernel_for(planned.node)
        except RestoreError as err:
            return self._failure(None, planned, Execution("error", [], 0.0, str(err)))
        with self._lock(planned.node.kernel):
            try:
                self._prepare(kernel, planned.node, run, set(), foreign)
            except RestoreError as err:
                return self._failure(kernel, planned, Execution("error", [], 0.0, str(err)))
            execution = self._run_code(kernel, planned, run)
            if execution.status == "cancelled":
                _forget(kernel, planned.node)
                return _not_run(planned, "not run: cancelled")
            if execution.status in ("dead", "timeout"):
                self._recover(kernel)
            expected = bool(planned.node.block.option("error"))
            if execution.status == "ok" or (execution.status == "error" and expected):
                return self._success(kernel, planned, run, execution)
            return self._failure(kernel, planned, execution)

    def _execute_component(self, planned: PlannedBlock, run: _Run) -> BlockResult:
        """Run a component in this process; its values are stored as interchange JSON."""
        node, started = planned.node, time.monotonic()
        try:
            inputs = {item.name: self._component_input(item, node, run) for item in node.inputs}
            component = make_component(
                node.block.language, node.block.options, node.id if node.block.labelled else None
            )
            result = component.run(inputs, ComponentContext(self.cwd, node.id))
        except (RestoreError, ComponentError, OSError, ValueError, KeyError) as err:
            message = f"{{{node.block.language}}} block `{node.id}`: {err}"
            return self._failure(
                None, planned, Execution("error", [], time.monotonic() - started, message)
            )
        exports: dict[str, Any] = {}
        for name, body in result.values.items():
            digest = self.store.put_blob(encode_value(body))
            exports[name] = {"blob": digest, "json": digest}
        seconds = time.monotonic() - started
        entry = Entry(
            planned.key,
            planned.id,
            "ok",
            tuple(result.outputs),
            seconds,
            exports,
            "",
            time.time(),
            "",
        )
        self.store.put(entry)
        run.entries[planned.key] = entry
        return BlockResult(
            planned.id, "executed", entry.outputs, seconds, planned.reason, planned.key
        )

    def _component_input(self, item: Input, node: Node, run: _Run) -> dict[str, Any]:
        if item.param:
            return decode_value(value_to_interchange(run.plan.graph.params.get(item.name)))
        producer = run.planned[BlockId(str(item.producer))]
        return decode_value(self._interchange_file(producer, item.name, node, run).read_bytes())

    def _run_code(self, kernel: LiveKernel, planned: PlannedBlock, run: _Run) -> Execution:
        node, adapter = planned.node, kernel.adapter
        timeout = _timeout(planned)
        if node.block.kind == "inline":
            return self._inline(kernel, node, timeout, run)
        expressions = None
        if adapter.save_in_request and (node.defines or node.snapshot):
            expressions = {
                "save": save_code(kernel, node, self.store, run.interchange.get(node.id, ()))
            }
        return kernel.backend.execute(
            node.block.code, timeout=timeout, user_expressions=expressions, cancel=run.cancel
        )

    def _inline(self, kernel: LiveKernel, node: Node, timeout: float, run: _Run) -> Execution:
        code = kernel.adapter.template("inline", code=node.block.code)
        if kernel.adapter.save_in_request:
            execution = kernel.backend.execute(
                "", timeout=timeout, user_expressions={"value": code}, cancel=run.cancel
            )
            return _inline_from_expression(execution)
        execution = kernel.backend.execute(code, timeout=timeout, cancel=run.cancel)
        if execution.status != "ok":
            return execution
        text = "".join(
            str(o.get("text", "")) for o in execution.outputs if o.get("name") == "stdout"
        )
        execution.outputs = [_text_result(text.removesuffix("\n"))]
        return execution

    def _exports(
        self, kernel: LiveKernel, node: Node, execution: Execution, run: _Run
    ) -> dict[str, Any]:
        if not node.defines and not node.snapshot:
            return {}
        wanted = run.interchange.get(node.id, set())
        if not (kernel.adapter.save_in_request and execution.expression("save") is not None):
            code = save_code(kernel, node, self.store, wanted)
            if kernel.adapter.save_in_request:
                execution = kernel.backend.execute("", user_expressions={"save": code})
            else:
                kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)
        return parse_saved(kernel, node, execution, self.store, wanted)

    def _success(
        self, kernel: LiveKernel, planned: PlannedBlock, run: _Run, execution: Execution
    ) -> BlockResult:
        node = planned.node
        exports = self._exports(kernel, node, execution, run)
        if node.snapshot:
            kernel.live = {name: planned.key for name in exports}
        for name in node.defines:
            kernel.live[name] = planned.key
        kernel.applied.add(planned.key)
        version = kernel.backend.language_version
        entry = Entry(
            planned.key,
            planned.id,
            "ok",
            tuple(execution.outputs),
            execution.seconds,
            exports,
            version,
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
            version,
        )

    def _failure(
        self, kernel: LiveKernel | None, planned: PlannedBlock, execution: Execution
    ) -> BlockResult:
        if kernel is not None:
            _forget(kernel, planned.node)
        outputs = tuple(execution.outputs)
        own_error = any(o.get("output_type") == "error" for o in outputs)
        if execution.status != "error" or not own_error:
            # A timeout, a dead kernel or an input that could not be restored: say so.
            outputs = (
                *outputs,
                {
                    "output_type": "error",
                    "ename": "noteflow",
                    "evalue": execution.error,
                    "traceback": [execution.error],
                },
            )
        version = kernel.backend.language_version if kernel else ""
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
        kernel.forget_all()

    # -- inputs ----------------------------------------------------------------------------

    def _foreign_inputs(self, node: Node, run: _Run) -> dict[str, Path]:
        """Interchange files for values made in another language (may run code in their kernel)."""
        paths = {}
        for item in node.inputs:
            producer = run.planned.get(item.producer) if item.producer else None
            if producer is not None and producer.node.block.language != node.block.language:
                paths[item.name] = self._interchange_file(producer, item.name, node, run)
        return paths

    def _interchange_file(
        self, producer: PlannedBlock, name: str, consumer: Node, run: _Run
    ) -> Path:
        spec = self._export_spec(producer, name, run)
        language = producer.node.block.language
        where = f"`{name}` from block `{producer.id}` ({language}) to block `{consumer.id}`"
        if spec.get("json") and self.store.blob_path(spec["json"]).is_file():
            return self.store.blob_path(spec["json"])
        if spec.get("json_error"):
            raise RestoreError(f"cannot pass {where}: {spec['json_error']}")
        if spec.get("absent"):
            raise RestoreError(f"cannot pass {where}: that block does not define it")
        if spec.get("blob") and self.store.blob_path(spec["blob"]).is_file():
            return self._convert(producer, name, spec, where, run)
        if "unsaved" in spec:
            raise RestoreError(f"cannot pass {where}: {spec['unsaved']}")
        raise RestoreError(f"cannot pass {where}: the value is not in the cache")

    def _convert(
        self, producer: PlannedBlock, name: str, spec: Mapping[str, Any], where: str, run: _Run
    ) -> Path:
        """Make the interchange JSON of a cached value in its own language's kernel."""
        kernel = self.kernel_for(producer.node)
        adapter = kernel.adapter
        if "convert" not in adapter.templates:
            raise RestoreError(
                f"cannot pass {where}: {adapter.display_name} values cannot be converted"
            )
        target = kernel.exchange / f"{name}.convert.json"
        code = adapter.template(
            "convert",
            path=adapter.string(str(self.store.blob_path(spec["blob"]))),
            target=adapter.string(str(target)),
        )
        with self._lock(producer.node.kernel):
            result = kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)
        if result.status != "ok" or not target.is_file():
            raise RestoreError(f"cannot pass {where}: {result.error or 'conversion failed'}")
        digest = self.store.put_blob(target.read_bytes())
        target.unlink()
        self._remember_json(producer, name, digest, run)
        return self.store.blob_path(digest)

    def _remember_json(self, producer: PlannedBlock, name: str, digest: str, run: _Run) -> None:
        entry = run.entries.get(producer.key) or producer.entry or self.store.get(producer.key)
        if entry is None:
            return
        exports = {**entry.exports, name: {**entry.exports.get(name, {}), "json": digest}}
        updated = Entry(
            **{**{f: getattr(entry, f) for f in Entry.__dataclass_fields__}, "exports": exports}
        )
        self.store.put(updated)
        run.entries[producer.key] = updated

    def _prepare(
        self,
        kernel: LiveKernel,
        node: Node,
        run: _Run,
        replaying: set[BlockId],
        foreign: Mapping[str, Path] | None = None,
    ) -> None:
        """Make the kernel hold exactly what `node` reads; replay where nothing is stored."""
        self._replay_chain(kernel, node, run, replaying)
        loads = Loads(kernel.adapter)
        for item in sorted(node.inputs, key=lambda i: _producer_index(i, run)):
            if item.param:
                self._param(kernel, item, run, loads)
            elif item.producer is not None:
                self._input(
                    kernel, node, item, run, loads, replaying, (foreign or {}).get(item.name)
                )
        loads.delete(node.unresolved)
        if node.snapshot and "keep_only" in kernel.adapter.templates:
            loads.keep = {i.name for i in node.inputs}
        self._flush(kernel, loads, run)

    def _replay_chain(
        self, kernel: LiveKernel, node: Node, run: _Run, replaying: set[BlockId]
    ) -> None:
        if kernel.adapter.analysis != "chain":
            return
        for up in node.after:
            previous = run.planned.get(up)
            if (
                previous
                and previous.node.kernel == node.kernel
                and previous.key not in kernel.applied
            ):
                self._replay(kernel, previous, run, replaying)

    def _input(
        self,
        kernel: LiveKernel,
        node: Node,
        item: Input,
        run: _Run,
        loads: Loads,
        replaying: set[BlockId],
        foreign: Path | None,
    ) -> None:
        producer = run.planned[BlockId(str(item.producer))]
        if kernel.live.get(item.name) == producer.key:
            return
        if foreign is not None:
            loads.interchange(item.name, self._for_kernel(kernel, item.name, foreign), producer.key)
            return
        spec = self._export_spec(producer, item.name, run)
        if "blob" in spec and self.store.blob_path(spec["blob"]).is_file():
            loads.native(item.name, self.store.blob_path(spec["blob"]), producer.key)
        elif spec.get("absent"):
            loads.delete([item.name])
        elif producer.node.kernel == node.kernel:
            self._flush(kernel, loads, run)
            self._replay(kernel, producer, run, replaying)
        else:
            reason = spec.get("unsaved", "it is not in the cache")
            raise RestoreError(f"cannot restore `{item.name}` from block `{producer.id}`: {reason}")

    def _param(self, kernel: LiveKernel, item: Input, run: _Run, loads: Loads) -> None:
        value = run.plan.graph.params.get(item.name)
        token = "param:" + json.dumps(value, sort_keys=True, default=str)
        if kernel.live.get(item.name) == token:
            return
        path = kernel.exchange / f"param-{item.name}.json"
        path.write_bytes(value_to_interchange(value))
        loads.interchange(item.name, self._for_kernel(kernel, item.name, path), token)

    def _for_kernel(self, kernel: LiveKernel, name: str, path: Path) -> Path:
        """The interchange file as this kernel reads it (a shell gets plain text)."""
        if not kernel.adapter.native_is_text:
            return path
        text = kernel.exchange / f"input-{name}.txt"
        text.write_bytes(interchange_to_text(path.read_bytes()))
        return text

    def _export_spec(self, producer: PlannedBlock, name: str, run: _Run) -> Mapping[str, Any]:
        entry = run.entries.get(producer.key) or producer.entry or self.store.get(producer.key)
        if entry is None:
            return {}
        spec = entry.exports.get(name)
        if spec is None and producer.node.snapshot:
            return {"absent": True}
        return spec or {}

    def _flush(self, kernel: LiveKernel, loads: Loads, run: _Run) -> None:
        code = loads.code()
        if not code:
            return
        result = kernel.backend.execute(
            code, timeout=DEFAULT_TIMEOUT, silent=True, cancel=run.cancel
        )
        if result.status != "ok":
            raise RestoreError(
                f"could not load {', '.join(loads.names())} into the kernel: {result.error}"
            )
        kernel.live.update(loads.live)
        for name in loads.deleted:
            kernel.live.pop(name, None)
        if loads.keep is not None:
            kernel.live = {n: t for n, t in kernel.live.items() if n in loads.keep}
            loads.keep = None
        loads.lines.clear()
        loads.live.clear()
        loads.deleted.clear()

    def _replay(
        self, kernel: LiveKernel, producer: PlannedBlock, run: _Run, replaying: set[BlockId]
    ) -> None:
        """Re-run a producer whose value is not stored, outputs discarded."""
        if producer.id in replaying:
            raise RestoreError(f"cannot restore block `{producer.id}`: it depends on itself")
        self._prepare(
            kernel,
            producer.node,
            run,
            replaying | {producer.id},
            self._foreign_inputs(producer.node, run),
        )
        result = kernel.backend.execute(
            producer.node.block.code, timeout=_timeout(producer), silent=True, cancel=run.cancel
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
        kernel.applied.add(producer.key)

    # -- kernels ---------------------------------------------------------------------------

    def _lock(self, kernel: str) -> threading.RLock:
        with self._kernels_lock:
            return self._locks.setdefault(kernel, threading.RLock())

    def kernel_for(self, node: Node) -> LiveKernel:
        """The kernel for this node's kernelspec, started on first use."""
        with self._lock(node.kernel):
            kernel = self.kernels.get(node.kernel)
            if kernel is not None and kernel.backend.is_alive():
                return kernel
            if kernel is not None:
                kernel.close()
            adapter = load_adapters()[node.block.language]
            kernel = LiveKernel(self.factory(node.kernel, adapter, self.cwd), adapter)
            with self._kernels_lock:
                self.kernels[node.kernel] = kernel
            kernel.backend.start()
            return kernel

    def versions(self, plan: Plan) -> dict[str, str]:
        """language -> version, from kernels started here or the cache entries of the plan."""
        versions: dict[str, str] = {}
        for planned in plan.blocks:
            language = planned.node.block.language
            if planned.entry and planned.entry.language_version:
                versions.setdefault(language, planned.entry.language_version)
        for kernel in self.kernels.values():
            if kernel.backend.language_version:
                versions[kernel.adapter.language] = kernel.backend.language_version
        return versions


def _interchange_needs(plan: Plan) -> dict[BlockId, set[str]]:
    by_id = plan.by_id()
    needs: dict[BlockId, set[str]] = {}
    for planned in plan.blocks:
        for item in planned.node.inputs:
            producer = by_id.get(item.producer) if item.producer else None
            if producer and producer.node.block.language != planned.node.block.language:
                needs.setdefault(producer.id, set()).add(item.name)
    return needs


def _producer_index(item: Input, run: _Run) -> int:
    producer = run.planned.get(item.producer) if item.producer else None
    return producer.node.block.index if producer else -1


def _upstream_done(planned: PlannedBlock, run: _Run) -> bool:
    return all(up in run.results or up not in run.planned for up in planned.node.upstream())


def _forget(kernel: LiveKernel, node: Node) -> None:
    """After a failed or interrupted run, what the block defines is in an unknown state."""
    if node.snapshot:
        kernel.live.clear()
    for name in node.defines:
        kernel.live.pop(name, None)


def _timeout(planned: PlannedBlock) -> float:
    return float(planned.node.block.option("timeout", DEFAULT_TIMEOUT))


def _text_result(text: str) -> dict[str, Any]:
    return {
        "output_type": "execute_result",
        "data": {"text/plain": text},
        "metadata": {},
        "execution_count": None,
    }


def _inline_from_expression(execution: Execution) -> Execution:
    """An inline expression's value (a user expression's result), as one text output."""
    item = execution.user_expressions.get("value") or {}
    if execution.status != "ok":
        return execution
    if item.get("status") == "ok":
        execution.outputs = [_text_result(str(execution.expression("value")))]
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
