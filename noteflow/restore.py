"""Restoring inputs: what a block reads, put into its kernel before it runs (DESIGN §5).

Owns the order of restoration: a value already live from the right producer is used as
it is; else it is loaded from the store, natively within a language and as interchange
JSON across languages (converted in the producer's own kernel when a cached value has
none); else the producer is replayed with its outputs discarded. A chained block (R,
bash, JavaScript) also needs its predecessor's run in the kernel. `Executor` (in
`execute.py`) inherits this and adds scheduling and running.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import BlockId, BlockResult, CacheKey, Entry, Input, Node, Plan, PlannedBlock
from .pyanalysis import is_module_state
from .store import Store
from .values import LiveKernel, Loads, interchange_to_text, value_to_interchange

DEFAULT_TIMEOUT = 600.0
log = logging.getLogger("noteflow")


class RestoreError(Exception):
    """An input could not be put into the kernel; the message names block, value and why."""


class KernelRestartNeeded(Exception):
    """A block must be replayed in a kernel that already holds a change to shared state it
    reads, made by a block after it: only a new kernel gives what a fresh run gives."""


@dataclass
class RunState:
    """State of one `Executor.run` call."""

    plan: Plan
    planned: dict[BlockId, PlannedBlock]
    interchange: dict[BlockId, set[str]]
    """Per producer, the names a block of another language reads (saved as JSON too)."""
    results: dict[BlockId, BlockResult] = field(default_factory=dict)
    entries: dict[CacheKey, Entry] = field(default_factory=dict)
    cancel: Callable[[], bool] | None = None
    stale_order: list[int] | None = None
    """Plan positions of the blocks that run and have not finished (made on first use)."""
    positions: dict[BlockId, int] = field(default_factory=dict)
    key_positions: dict[CacheKey, int] = field(default_factory=dict)
    """Plan position of each key (made on first use, to order effects in a warm kernel)."""


class Restorer:
    """Puts a node's inputs into its kernel; the executor provides kernels and locks."""

    store: Store

    def kernel_for(self, node: Node) -> LiveKernel:
        raise NotImplementedError

    def _lock(self, kernel: str) -> threading.RLock:
        raise NotImplementedError

    def _foreign_inputs(self, node: Node, run: RunState) -> dict[str, bytes]:
        """Interchange JSON of values made in another language (may run code in their kernel)."""
        values = {}
        for item in node.inputs:
            producer = run.planned.get(item.producer) if item.producer else None
            if producer is not None and producer.node.block.language != node.block.language:
                values[item.name] = self._interchange_value(producer, item.name, node, run)
        return values

    def _interchange_value(
        self, producer: PlannedBlock, name: str, consumer: Node, run: RunState
    ) -> bytes:
        """The verified interchange JSON of `name`: stored, converted, else made by a re-run."""
        spec = self._export_spec(producer, name, run)
        language = producer.node.block.language
        where = f"`{name}` from block `{producer.id}` ({language}) to block `{consumer.id}`"
        if spec.get("json"):
            data = self.store.blob(spec["json"])
            if data is not None:
                return data
        if spec.get("json_error"):
            raise RestoreError(f"cannot pass {where}: {spec['json_error']}")
        if spec.get("absent"):
            raise RestoreError(f"cannot pass {where}: that block does not define it")
        if producer.node.block.kind == "component":
            return self._component_value_again(producer, name, where, run)
        if spec.get("blob") and self.store.has_blob(spec["blob"]):
            converted = self._convert(producer, name, spec, where, run)
            if converted is not None:
                return converted
        if "unsaved" in spec:
            raise RestoreError(f"cannot pass {where}: {spec['unsaved']}")
        return self._rerun_for_value(producer, name, where, run)

    def _convert(
        self, producer: PlannedBlock, name: str, spec: Mapping[str, Any], where: str, run: RunState
    ) -> bytes | None:
        """Make the interchange JSON of a cached value in its own language's kernel."""
        kernel = self.kernel_for(producer.node)
        adapter = kernel.adapter
        if "convert" not in adapter.templates:
            raise RestoreError(
                f"cannot pass {where}: {adapter.display_name} values cannot be converted"
            )
        target = kernel.exchange / f"{name}.convert.json"
        with self._lock(producer.node.kernel):  # the kernel's folder is cleared by its saves
            source = self.store.stage_blob(spec["blob"], kernel.exchange)
            if source is None:
                return None  # missing or corrupt: the caller re-runs the producer
            code = adapter.template(
                "convert", path=adapter.string(str(source)), target=adapter.string(str(target))
            )
            result = kernel.backend.execute(code, silent=True, timeout=DEFAULT_TIMEOUT)
            source.unlink(missing_ok=True)
        if result.status != "ok" or not target.is_file():
            raise RestoreError(f"cannot pass {where}: {result.error or 'conversion failed'}")
        data = target.read_bytes()
        target.unlink()
        self._remember_exports(producer, {name: {"json": self.store.put_blob(data)}}, run)
        return data

    def _rerun_for_value(
        self, producer: PlannedBlock, name: str, where: str, run: RunState
    ) -> bytes:
        """Re-run a producer whose stored value is missing or corrupt, and save it again."""
        _warn_damaged(producer, name)
        kernel = self.kernel_for(producer.node)
        with self._lock(producer.node.kernel):
            self._replay(kernel, producer, run, set())
            exports = self._save_values(kernel, producer.node, {name})
        self._remember_exports(producer, exports, run)
        spec = exports.get(name) or {}
        data = self.store.blob(spec["json"]) if spec.get("json") else None
        if data is None:
            reason = spec.get("json_error") or spec.get("unsaved") or "it could not be saved"
            raise RestoreError(f"cannot pass {where}: {reason}")
        return data

    def _save_values(self, kernel: LiveKernel, node: Node, interchange: set[str]) -> dict[str, Any]:
        raise NotImplementedError

    def _rerun_component(self, producer: PlannedBlock, run: RunState) -> None:
        raise NotImplementedError

    def _component_value_again(
        self, producer: PlannedBlock, name: str, where: str, run: RunState
    ) -> bytes:
        """Run a component again whose stored value is missing or corrupt (it runs here, in
        noteflow's own process, and stores a new entry)."""
        _warn_damaged(producer, name)
        self._rerun_component(producer, run)
        spec = self._export_spec(producer, name, run)
        data = self.store.blob(spec["json"]) if spec.get("json") else None
        if data is None:
            raise RestoreError(f"cannot pass {where}: the component gave no such value")
        return data

    def _entry_of(self, producer: PlannedBlock, run: RunState) -> Entry | None:
        """The producer's entry: made in this run, served by the plan, else from the store."""
        return run.entries.get(producer.key) or producer.entry or self.store.get(producer.key)

    def _remember_exports(
        self, producer: PlannedBlock, exports: Mapping[str, Mapping[str, Any]], run: RunState
    ) -> None:
        """Merge newly saved specs into the producer's entry (the store copy is repaired too)."""
        entry = self._entry_of(producer, run)
        if entry is None:
            return
        merged = dict(entry.exports)
        for name, spec in exports.items():
            merged[name] = {**merged.get(name, {}), **spec}
        updated = dataclasses.replace(entry, exports=merged)
        self.store.put(updated)
        run.entries[producer.key] = updated

    def _prepare(
        self,
        kernel: LiveKernel,
        node: Node,
        run: RunState,
        replaying: set[BlockId],
        foreign: Mapping[str, bytes] | None = None,
    ) -> None:
        """Make the kernel hold exactly what `node` reads; replay where nothing is stored."""
        self._replay_chain(kernel, node, run, replaying)
        loads = Loads(kernel.adapter)
        for item in sorted(node.inputs, key=lambda i: _producer_index(i, run)):
            if item.param:
                self._param(kernel, item, run, loads, _param_list(kernel, node, item))
            elif item.producer is not None:
                self._input(
                    kernel, node, item, run, loads, replaying, (foreign or {}).get(item.name)
                )
        loads.delete(node.unresolved)
        if node.snapshot and "keep_only" in kernel.adapter.templates:
            loads.keep = {i.name for i in node.inputs}
        self._flush(kernel, loads, run)
        self._reload_overwritten(kernel, node, run, replaying, foreign)

    def _reload_overwritten(
        self,
        kernel: LiveKernel,
        node: Node,
        run: RunState,
        replaying: set[BlockId],
        foreign: Mapping[str, bytes] | None,
    ) -> None:
        """A replay for one input may rebind a name loaded for another (its own input of the
        same name, from an earlier producer): load those again until the kernel holds
        exactly what `node` reads."""
        for _ in range(len(node.inputs)):
            stale = [
                item
                for item in node.inputs
                if item.producer is not None
                and not is_module_state(item.name)
                and kernel.live.get(item.name) != run.planned[item.producer].key
                and kernel.live.get(item.name) is not None
            ]
            if not stale:
                return
            loads = Loads(kernel.adapter)
            for item in stale:
                self._input(
                    kernel, node, item, run, loads, replaying, (foreign or {}).get(item.name)
                )
            self._flush(kernel, loads, run)

    def _replay_chain(
        self, kernel: LiveKernel, node: Node, run: RunState, replaying: set[BlockId]
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
        run: RunState,
        loads: Loads,
        replaying: set[BlockId],
        foreign: bytes | None,
    ) -> None:
        producer = run.planned[BlockId(str(item.producer))]
        if kernel.live.get(item.name) == producer.key:
            return
        if is_module_state(item.name) and producer.node.kernel == node.kernel:
            # A module's state lives only in a kernel that ran the blocks changing it.
            if producer.key not in kernel.applied:
                self._flush(kernel, loads, run)
                self._replay(kernel, producer, run, replaying)
            return
        if foreign is not None:
            path = kernel.exchange / f"input-{item.name}.json"
            path.write_bytes(foreign)
            loads.interchange(item.name, self._for_kernel(kernel, item.name, path), producer.key)
            return
        spec = self._export_spec(producer, item.name, run)
        staged = self._staged(kernel, producer, item.name, spec)
        if staged is not None:
            loads.native(item.name, staged, producer.key)
        elif spec.get("absent"):
            loads.delete([item.name])
        elif producer.node.kernel == node.kernel:
            self._flush(kernel, loads, run)
            self._replay(kernel, producer, run, replaying)
        else:
            reason = spec.get("unsaved", "it is not in the cache")
            raise RestoreError(f"cannot restore `{item.name}` from block `{producer.id}`: {reason}")

    def _staged(
        self, kernel: LiveKernel, producer: PlannedBlock, name: str, spec: Mapping[str, Any]
    ) -> Path | None:
        """A verified copy of the stored value for the kernel to load, else None (warned)."""
        digest = spec.get("blob")
        if not digest:
            return None
        staged = self.store.stage_blob(digest, kernel.exchange)
        if staged is None:
            _warn_damaged(producer, name)
        return staged

    def _param(
        self, kernel: LiveKernel, item: Input, run: RunState, loads: Loads, in_list: bool
    ) -> None:
        """A parameter as a variable, or in the language's list of them (R's `params$n`)."""
        value = run.plan.graph.params.get(item.name)
        token = "param:" + json.dumps(value, sort_keys=True, default=str)
        live_name = f"params${item.name}" if in_list else item.name
        if kernel.live.get(live_name) == token:
            return
        path = kernel.exchange / f"param-{item.name}.json"
        path.write_bytes(value_to_interchange(value))
        if in_list:
            loads.param(item.name, path, live_name, token)
        else:
            loads.interchange(item.name, self._for_kernel(kernel, item.name, path), token)

    def _for_kernel(self, kernel: LiveKernel, name: str, path: Path) -> Path:
        """The interchange file as this kernel reads it (a shell gets plain text)."""
        if not kernel.adapter.native_is_text:
            return path
        text = kernel.exchange / f"input-{name}.txt"
        text.write_bytes(interchange_to_text(path.read_bytes()))
        return text

    def _export_spec(self, producer: PlannedBlock, name: str, run: RunState) -> Mapping[str, Any]:
        entry = self._entry_of(producer, run)
        if entry is None:
            return {}
        spec = entry.exports.get(name)
        if spec is None and producer.node.snapshot:
            return {"absent": True}
        return spec or {}

    def _flush(self, kernel: LiveKernel, loads: Loads, run: RunState) -> None:
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
        for staged in loads.staged:
            staged.unlink(missing_ok=True)
        loads.staged.clear()
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
        self, kernel: LiveKernel, producer: PlannedBlock, run: RunState, replaying: set[BlockId]
    ) -> None:
        """Re-run a producer whose value is not stored, outputs discarded."""
        if producer.id in replaying:
            raise RestoreError(f"cannot restore block `{producer.id}`: it depends on itself")
        if effect_after(kernel, producer, run):
            raise KernelRestartNeeded(producer.id)
        self._prepare(
            kernel,
            producer.node,
            run,
            replaying | {producer.id},
            self._foreign_inputs(producer.node, run),
        )
        result = kernel.backend.execute(
            producer.node.block.code, timeout=timeout_of(producer), silent=True, cancel=run.cancel
        )
        if result.status != "ok" and not producer.node.block.option("error"):
            forget(kernel, producer.node)
            raise RestoreError(
                f"could not restore inputs: replaying block `{producer.id}` failed: {result.error}"
            )
        if producer.node.snapshot:
            kernel.live.clear()
        for name in producer.node.defines:
            kernel.live[name] = producer.key
        kernel.applied.add(producer.key)
        remember_effects(kernel, producer)


def interchange_needs(plan: Plan) -> dict[BlockId, set[str]]:
    by_id = plan.by_id()
    needs: dict[BlockId, set[str]] = {}
    for planned in plan.blocks:
        for item in planned.node.inputs:
            producer = by_id.get(item.producer) if item.producer else None
            if producer and producer.node.block.language != planned.node.block.language:
                needs.setdefault(producer.id, set()).add(item.name)
    return needs


def _warn_damaged(producer: PlannedBlock, name: str) -> None:
    log.warning(
        "block `%s`: the cached value `%s` is missing or corrupt; re-running the block",
        producer.id,
        name,
    )


def effect_after(kernel: LiveKernel, block: PlannedBlock, run: RunState) -> bool:
    """Whether the kernel holds a change, by a block at or after `block`, to state it reads."""
    if not kernel.effectful:
        return False
    if not run.key_positions:
        run.key_positions = {b.key: i for i, b in enumerate(run.plan.blocks)}
    here = run.key_positions.get(block.key, -1)
    reads = block.node.states_read
    return any(
        run.key_positions.get(key, here) >= here
        and (states & reads or "*" in states or block.node.snapshot)
        for key, states in kernel.effectful.items()
    )


def remember_effects(kernel: LiveKernel, planned: PlannedBlock) -> None:
    """Note that `planned` ran in `kernel` and which shared state it changed there."""
    node = planned.node
    if node.effects:
        states = {name for name in node.defines if is_module_state(name)}
        kernel.effectful[planned.key] = frozenset(states | ({"*"} & node.effects))


def _param_list(kernel: LiveKernel, node: Node, item: Input) -> bool:
    """True when a parameter goes into the language's `params` list (R reads `params$n`);
    a parameter named in `uses:` is a variable of its own, as it always was."""
    declared = {str(name) for name in node.block.option("uses") or ()}
    return "load_param" in kernel.adapter.templates and item.name not in declared


def _producer_index(item: Input, run: RunState) -> int:
    producer = run.planned.get(item.producer) if item.producer else None
    return producer.node.block.index if producer else -1


def forget(kernel: LiveKernel, node: Node) -> None:
    """After a failed or interrupted run, what the block defines is in an unknown state."""
    if node.snapshot:
        kernel.live.clear()
    for name in node.defines:
        kernel.live.pop(name, None)


def timeout_of(planned: PlannedBlock) -> float:
    return float(planned.node.block.option("timeout", DEFAULT_TIMEOUT))
