"""Execute stage: run a `Plan`'s stale blocks in kernels and record what they produce.

Owns DESIGN §5's scheduling and running. An `Executor` keeps one kernel per kernelspec
for as long as it lives: a render uses it once, the live preview keeps it warm across
saves. Blocks start once their upstream is done, in plan order, blocks of different
kernels at the same time (`jobs`). Each block's inputs are first put into its kernel
(`restore.py`); after it runs, what it defines is saved (`values.py`) and its entry
stored. Failures propagate to dependents as `not-run`; independent blocks still run.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

from .adapters import Adapter, block_settings, load_adapters
from .components import ComponentContext, ComponentError, decode_value, encode_value, make_component
from .kernel import Execution, KernelSession, KernelStartError
from .model import (
    BlockId,
    BlockResult,
    Entry,
    FileRead,
    Input,
    Node,
    Plan,
    PlannedBlock,
    RunSummary,
)
from .plan import skip_reason
from .reads import OsReadWatcher, changed_read, record_reads
from .restore import (
    DEFAULT_TIMEOUT,
    KernelRestartNeeded,
    RestoreError,
    Restorer,
    RunState,
    effect_after,
    forget,
    interchange_needs,
    remember_effects,
    timeout_of,
)
from .store import Store
from .tempdirs import sweep_orphans
from .values import (
    LiveKernel,
    parse_saved,
    save_code,
    value_to_interchange,
)


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
        output_limit: int | None = None,
    ) -> Execution: ...

    def restart(self) -> None: ...

    def shutdown(self) -> None: ...

    def is_alive(self) -> bool: ...


KernelFactory = Callable[[str, Adapter, Path], KernelBackend]
EventHandler = Callable[[str, PlannedBlock, BlockResult | None], None]
"""Called with ("cached" | "running" | "done", block, result), possibly from worker threads."""


class Executor(Restorer):
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
        self._pool: ThreadPoolExecutor | None = None
        _sweep_once()
        self.root = cwd.resolve()
        """The project root: reads under it are recorded (not those in the store)."""
        self._os_reads: OsReadWatcher | None = None
        self._os_reads_tried = False
        self._os_reads_lock = threading.Lock()
        self._start_failures: dict[str, KernelStartError] = {}
        self.track_reads = os.environ.get("NOTEFLOW_TRACK_READS", "1") != "0"
        """Record the files blocks read (off with NOTEFLOW_TRACK_READS=0: `files:` only)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut every kernel down (in parallel); safe to call more than once."""
        for thread in self._starting:
            thread.join()
        self._starting.clear()
        self._stop_workers()
        with self._kernels_lock:
            kernels, self.kernels = self.kernels, {}
        closers = [threading.Thread(target=k.close) for k in kernels.values()]
        for thread in closers:
            thread.start()
        for thread in closers:
            thread.join()
        with self._os_reads_lock:
            if self._os_reads is not None:
                self._os_reads.stop()
                self._os_reads = None
            self._os_reads_tried = False

    def _start_needed(self, plan: Plan) -> None:
        """Start, in the background, every kernel some stale block of the plan will need."""
        needed: dict[str, Node] = {}
        for planned in plan.blocks:
            runs_code = planned.node.block.kind != "component"
            if planned.stale and runs_code and planned.node.block.option("eval") is not False:
                needed.setdefault(planned.node.kernel, planned.node)
        if needed and not getattr(self.factory, "in_process", False):
            # The file-read watcher walks the project: start it beside the kernels.
            watcher = threading.Thread(target=self._os_watcher, daemon=True)
            watcher.start()
            self._starting.append(watcher)
        for kernel, node in needed.items():
            if kernel not in self.kernels:
                thread = threading.Thread(target=self._start_quietly, args=(node,), daemon=True)
                thread.start()
                self._starting.append(thread)

    def _restart_undone_effects(self, plan: Plan) -> None:
        """A warm kernel that ran a block changing shared state (a module, `sys`, the
        environment) cannot undo it: when that block is gone, edited or about to run again,
        start the kernel afresh, so what runs sees what a fresh render would."""
        kept = {b.key for b in plan.blocks if not b.stale}
        for name, kernel in list(self.kernels.items()):
            if set(kernel.effectful) - kept:
                with self._lock(name):
                    self._restart(kernel)

    def _restart(self, kernel: LiveKernel) -> None:
        """A new kernel process in place of the old: nothing of the old state is left."""
        kernel.backend.restart()
        kernel.forget_all()
        self._track_reads(kernel)

    def _prepare_fresh_enough(
        self, kernel: LiveKernel, planned: PlannedBlock, run: RunState, foreign: Any
    ) -> None:
        """Put the block's inputs into its kernel, in a new kernel when this one holds a
        change to shared state the block (or a block replayed for it) reads, made by a block
        that a fresh run reaches only after it (in `watch`, a block inserted or edited
        before an environment setter)."""
        if effect_after(kernel, planned, run):
            self._restart(kernel)
        try:
            self._prepare(kernel, planned.node, run, set(), foreign)
        except KernelRestartNeeded:
            self._restart(kernel)
            try:
                self._prepare(kernel, planned.node, run, set(), foreign)
            except KernelRestartNeeded as again:
                raise RestoreError(
                    f"could not restore inputs: block `{again}` needs a kernel without the "
                    "effects of later blocks"
                ) from None

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
        run = RunState(
            plan,
            plan.by_id(),
            interchange_needs(plan),
            cancel=(lambda: stop() or cancel()) if cancel else stop,
        )
        emit = on_event or (lambda kind, block, result: None)
        self._start_failures.clear()
        self._restart_undone_effects(plan)
        self._start_needed(plan)
        hold = getattr(self.store, "hold", None)
        lease = hold(b.key for b in plan.blocks) if hold else contextlib.nullcontext()
        with lease:
            try:
                self._schedule(run, self._workers(), emit, strict)
            except BaseException:
                # Ctrl-C arrives in this thread: make running blocks interrupt their kernels,
                # wait for them, then let the caller shut the kernels down.
                self._abort.set()
                self._stop_workers()
                raise
        ordered = {b.id: run.results[b.id] for b in plan.blocks}
        return RunSummary(ordered, time.monotonic() - started, self.versions(plan))

    def _workers(self) -> ThreadPoolExecutor:
        """The threads that run blocks, kept for the executor's life: a kernel client leaves
        an event loop (3 descriptors) in each thread it is used from, closed only by the
        garbage collector once the thread is gone, so a pool per run leaks in `watch`."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.jobs, thread_name_prefix="noteflow")
        return self._pool

    def _stop_workers(self) -> None:
        """Wait for the blocks running in the pool, and end its threads."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _schedule(
        self, run: RunState, pool: ThreadPoolExecutor, emit: EventHandler, strict: bool
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
                elif (
                    not _upstream_done(planned, run)
                    or planned.node.kernel in busy
                    or not _writers_done(planned, run)
                ):
                    continue
                else:
                    immediate = self._decide(planned, run, emit)
                    if immediate is not None:
                        run.results[planned.id] = immediate
                    else:
                        current = run.planned.get(planned.id, planned)  # maybe found stale now
                        emit("running", current, None)
                        running[pool.submit(self._execute, current, run)] = current
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

    def _decide(
        self, planned: PlannedBlock, run: RunState, emit: EventHandler
    ) -> BlockResult | None:
        """The result of a block that needs no kernel (skipped, cached, not-run), else None."""
        if planned.node.block.option("eval") is False:
            return BlockResult(planned.id, "skipped", (), 0.0, "", planned.key)
        skipped = skip_reason(planned)
        if skipped:
            result = BlockResult(planned.id, "skipped", (), 0.0, skipped, planned.key)
            emit("done", planned, result)
            return result
        if planned.node.problem:
            error = _notice(planned.node.problem)
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
            reason = self._invalid_now(planned, run)
            if not reason:
                result = _cached(planned, planned.entry)
                emit("cached", planned, result)
                return result
            planned = dataclasses.replace(planned, stale=True, reason=reason, entry=None)
            run.planned[planned.id] = planned
            if run.stale_order is not None:
                bisect.insort(run.stale_order, run.positions[planned.id])
        failure = _failed_upstream(planned.node, run.results)
        if failure:
            result = _not_run(planned, failure)
            emit("done", planned, result)
            return result
        return None

    def _invalid_now(self, planned: PlannedBlock, run: RunState) -> str:
        """Why a planned hit must run after all: an upstream re-ran under the same key (its
        file reads changed) or a file it read was changed by a block that ran before it."""
        for up in planned.node.upstream():
            done = run.results.get(up)
            if done is not None and done.status not in ("cached", "skipped"):
                return f"upstream {up} re-ran ({done.reason or done.status})"
        assert planned.entry is not None
        if not any(r.status in ("executed", "failed") for r in run.results.values()):
            return ""  # no code ran yet: the plan's check of its reads still holds
        return changed_read(planned.entry.reads, self.root)

    # -- running one block -----------------------------------------------------------------

    def _execute(self, planned: PlannedBlock, run: RunState) -> BlockResult:
        if planned.node.block.kind == "component":
            return self._execute_component(planned, run)
        try:
            foreign = self._foreign_inputs(planned.node, run)
            kernel = self.kernel_for(planned.node)
        except (RestoreError, KernelStartError) as err:
            return self._failure(None, planned, Execution("error", [], 0.0, str(err)))
        with self._lock(planned.node.kernel):
            try:
                self._prepare_fresh_enough(kernel, planned, run, foreign)
            except RestoreError as err:
                return self._failure(kernel, planned, Execution("error", [], 0.0, str(err)))
            # The OS sees opens by process; a kernel inside this process has no own view.
            in_process = getattr(kernel.backend, "in_process", False)
            watcher = None if in_process else self._os_watcher()
            if watcher is not None:
                watcher.begin(planned.id)
            started_ns = time.time_ns()
            try:
                execution = self._run_code(kernel, planned, run)
            finally:
                observed = watcher.end(planned.id) if watcher is not None else []
            if execution.status == "cancelled":
                forget(kernel, planned.node)
                remember_effects(kernel, planned)
                return _not_run(planned, "not run: cancelled")
            if execution.status in ("dead", "timeout"):
                self._recover(kernel)
            expected = bool(planned.node.block.option("error"))
            if execution.status == "ok" or (execution.status == "error" and expected):
                reads = self._reads(kernel, execution, observed, started_ns)
                return self._success(kernel, planned, run, execution, reads)
            return self._failure(kernel, planned, execution)

    def _execute_component(self, planned: PlannedBlock, run: RunState) -> BlockResult:
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

    def _rerun_component(self, producer: PlannedBlock, run: RunState) -> None:
        result = self._execute_component(producer, run)
        if result.status == "failed":
            raise RestoreError(f"running block `{producer.id}` again failed: {result.error}")

    def _component_input(self, item: Input, node: Node, run: RunState) -> dict[str, Any]:
        if item.param:
            return decode_value(value_to_interchange(run.plan.graph.params.get(item.name)))
        producer = run.planned[BlockId(str(item.producer))]
        return decode_value(self._interchange_value(producer, item.name, node, run))

    def _run_code(self, kernel: LiveKernel, planned: PlannedBlock, run: RunState) -> Execution:
        node, adapter = planned.node, kernel.adapter
        timeout = timeout_of(planned)
        if node.block.kind == "inline":
            return self._inline(kernel, node, timeout, run)
        expressions: dict[str, str] = {}
        if adapter.save_in_request and (node.defines or node.snapshot):
            expressions["save"] = save_code(kernel, node, run.interchange.get(node.id, ()))
        if adapter.save_in_request and "reads" in adapter.templates:
            expressions["reads"] = adapter.template("reads")
        settings = block_settings(node.block.options, where=_where(node, run))
        with self._block_settings(kernel, settings):
            execution = kernel.backend.execute(
                node.block.code,
                timeout=timeout,
                user_expressions=expressions,
                cancel=run.cancel,
                output_limit=node.block.option("output-limit"),
            )
        if settings.get("warning") is False and adapter.warning_hides_stderr:
            execution.outputs = [o for o in execution.outputs if not _is_stderr(o)]
        return execution

    @contextlib.contextmanager
    def _block_settings(self, kernel: LiveKernel, settings: Mapping[str, Any]) -> Iterator[None]:
        """Set the block's warning, message and figure options in its kernel around its run,
        and restore what was there after (a kernel that died or restarted has nothing to undo)."""
        begin = kernel.adapter.begin_code(settings)
        if not begin:
            yield
            return
        kernel.backend.execute(begin, silent=True, timeout=DEFAULT_TIMEOUT)
        try:
            yield
        finally:
            if kernel.backend.is_alive():
                end = kernel.adapter.template("end")
                kernel.backend.execute(end, silent=True, timeout=DEFAULT_TIMEOUT)

    def _inline(self, kernel: LiveKernel, node: Node, timeout: float, run: RunState) -> Execution:
        code = kernel.adapter.template("inline", code=node.block.code)
        if kernel.adapter.save_in_request:
            expressions = {"value": code}
            if "reads" in kernel.adapter.templates:
                expressions["reads"] = kernel.adapter.template("reads")
            execution = kernel.backend.execute(
                "", timeout=timeout, user_expressions=expressions, cancel=run.cancel
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
        self, kernel: LiveKernel, node: Node, execution: Execution, run: RunState
    ) -> dict[str, Any]:
        if not node.defines and not node.snapshot:
            return {}
        wanted = run.interchange.get(node.id, set())
        if kernel.adapter.save_in_request and execution.expression("save") is not None:
            return parse_saved(kernel, node, execution, self.store, wanted)
        return self._save_values(kernel, node, wanted)

    def _save_values(self, kernel: LiveKernel, node: Node, interchange: set[str]) -> dict[str, Any]:
        """Save what `node` defines from the kernel now (a separate request)."""
        code = save_code(kernel, node, interchange)
        if kernel.adapter.save_in_request:
            execution = kernel.backend.execute("", user_expressions={"save": code})
        else:
            execution = kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)
        return parse_saved(kernel, node, execution, self.store, interchange)

    def _reads(
        self,
        kernel: LiveKernel,
        execution: Execution,
        observed: list[tuple[str, str]],
        started_ns: int,
    ) -> tuple[FileRead, ...]:
        """What the block read under the project root: its kernel's hooks plus the OS's."""
        adapter = kernel.adapter
        if not self.track_reads:
            return ()
        reported: Any = None
        if adapter.save_in_request and "reads" in adapter.templates:
            reported = execution.expression("reads")
            if reported is None:  # a block that raised gets no user expressions answered
                asked = {"reads": adapter.template("reads")}
                reported = kernel.backend.execute("", user_expressions=asked).expression("reads")
        elif "reads" in adapter.templates:
            target = kernel.exchange / "reads.json"
            code = adapter.template("reads", target=adapter.string(str(target)))
            kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)
            with contextlib.suppress(OSError):
                reported = target.read_text(encoding="utf-8")
                target.unlink()
        try:
            items = json.loads(reported) if isinstance(reported, str) else []
        except ValueError:
            items = []
        pairs = [(str(i[0]), str(i[1])) for i in items if isinstance(i, list) and len(i) == 2]
        excluded = [self.store.root, kernel.exchange]
        return record_reads([*pairs, *observed], self.root, excluded, started_ns)

    def _os_watcher(self) -> OsReadWatcher | None:
        """The operating system's view of file opens, started with the first block run."""
        with self._os_reads_lock:
            if not self._os_reads_tried and self.track_reads:
                self._os_reads_tried = True
                watcher = OsReadWatcher(self.root, self.store.root / "tmp")
                self._os_reads = watcher if watcher.start() else None
            return self._os_reads

    def _success(
        self,
        kernel: LiveKernel,
        planned: PlannedBlock,
        run: RunState,
        execution: Execution,
        reads: tuple[FileRead, ...] = (),
    ) -> BlockResult:
        node = planned.node
        exports = self._exports(kernel, node, execution, run)
        if node.snapshot:
            kernel.live = {name: planned.key for name in exports}
        for name in node.defines:
            kernel.live[name] = planned.key
        kernel.applied.add(planned.key)
        remember_effects(kernel, planned)
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
            reads,
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
            forget(kernel, planned.node)
            if execution.status != "dead":  # what ran of it may have changed shared state
                remember_effects(kernel, planned)
        outputs = tuple(execution.outputs)
        own_error = any(o.get("output_type") == "error" for o in outputs)
        if execution.status != "error" or not own_error:
            # A timeout, a dead kernel or an input that could not be restored: say so.
            outputs = (*outputs, _notice(execution.error))
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
        """After a timeout or a death the kernel's state is unknown: restart if dead, else
        forget every value (the effects it holds stay noted: they are still there)."""
        if not kernel.backend.is_alive():
            self._restart(kernel)
        else:
            kernel.live.clear()
            kernel.applied.clear()

    # -- kernels ---------------------------------------------------------------------------

    def _lock(self, kernel: str) -> threading.RLock:
        with self._kernels_lock:
            return self._locks.setdefault(kernel, threading.RLock())

    def kernel_for(self, node: Node) -> LiveKernel:
        """The kernel for this node's kernelspec, started on first use.

        A kernel that failed to start is not tried again in the same run: its other blocks
        fail at once with the same reason.
        """
        with self._lock(node.kernel):
            failure = self._start_failures.get(node.kernel)
            if failure is not None:
                raise failure
            try:
                return self._running_kernel(node)
            except KernelStartError as err:
                self._start_failures[node.kernel] = err
                raise

    def _running_kernel(self, node: Node) -> LiveKernel:
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
            self._track_reads(kernel)
            return kernel

    def _track_reads(self, kernel: LiveKernel) -> None:
        """Turn on the kernel's own record of the files its blocks read."""
        adapter = kernel.adapter
        if "track" not in adapter.templates or not self.track_reads:
            return
        skip = adapter.strings([str(self.store.root), str(kernel.exchange)])
        code = adapter.template("track", root=adapter.string(str(self.root)), skip=skip)
        kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)

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


_swept = threading.Event()


def _sweep_once() -> None:
    """Remove the temp folders (and kernels) of noteflow processes that were killed."""
    if not _swept.is_set():
        _swept.set()
        sweep_orphans()


def _writers_done(planned: PlannedBlock, run: RunState) -> bool:
    """A hit that read files waits for every block before it that runs: one of them may
    write a file it read (a file has no edge in the graph), and then it must run too."""
    if planned.stale or planned.entry is None or not planned.entry.reads:
        return True
    if run.stale_order is None:
        run.stale_order = [i for i, b in enumerate(run.plan.blocks) if b.stale]
        run.positions = {b.id: i for i, b in enumerate(run.plan.blocks)}
    order = run.stale_order
    while order and run.plan.blocks[order[0]].id in run.results:
        order.pop(0)
    return not order or order[0] > run.positions[planned.id]


def _upstream_done(planned: PlannedBlock, run: RunState) -> bool:
    return all(up in run.results or up not in run.planned for up in planned.node.upstream())


def _where(node: Node, run: RunState) -> str:
    """`doc.md:12: block `x`: ` for a warning about a block's option."""
    return f"{run.plan.graph.document.path}:{node.block.line}: block `{node.id}`: "


def _is_stderr(output: Mapping[str, Any]) -> bool:
    return output.get("output_type") == "stream" and output.get("name") == "stderr"


def _notice(message: str) -> dict[str, Any]:
    """noteflow's own error in a block's outputs (bad input, timeout, death, restore)."""
    return {"output_type": "error", "ename": "noteflow", "evalue": message, "traceback": [message]}


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
        value = execution.expression("value")
        markdown = value.get("__nf_markdown__") if isinstance(value, dict) else None
        if isinstance(markdown, str):  # the adapter's `inline` kept a Markdown form
            data = {"text/markdown": markdown, "text/plain": markdown}
            execution.outputs = [
                {
                    "output_type": "execute_result",
                    "data": data,
                    "metadata": {},
                    "execution_count": None,
                }
            ]
        else:
            execution.outputs = [_text_result(str(value))]
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
