"""Plan stage: a `Graph` to a `Plan` of cache keys, hits, and reasons for every miss.

Owns the cache key of DESIGN §4: sha256 of a canonical, versioned JSON encoding of what
can change a block's result (language, kernelspec, code, execution options, the keys of
its upstream values, the content of its files and lock files, the parameters it reads).
Display-only options and prose are not in it. A miss is explained by comparing the key's
components with those the document's previous render recorded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from .adapters import find_kernelspec
from .components import registry
from .errors import DocumentError
from .languages import missing_kernel_reason
from .model import BlockId, CacheKey, Entry, Graph, Node, Plan, PlannedBlock
from .options import ALL_OPTIONS, DISPLAY_ONLY_OPTIONS
from .reads import changed_read, file_digest
from .store import Store

log = logging.getLogger("noteflow")

KEY_FORMAT = 1
# Options that shape the graph rather than the run; their effect is already in the inputs.
GRAPH_OPTIONS = frozenset({"uses", "exports", "files"})


def plan_render(
    graph: Graph,
    store: Store,
    *,
    force: bool | Collection[str] = False,
    previous: Mapping[str, Any] | None = None,
) -> Plan:
    """Key every node in execution order and decide which must run, and why."""
    environment = _environment(graph)
    forced = _forced(graph, force)
    root = graph.document.path.parent
    keys: dict[BlockId, CacheKey] = {}
    planned: dict[BlockId, PlannedBlock] = {}
    skipped: dict[BlockId, str] = {}
    for node in graph.nodes:
        components = key_components(node, graph, keys, environment)
        key = CacheKey(hash_components(components))
        keys[node.id] = key
        skip = _skip_reason(node, skipped)
        if skip:
            skipped[node.id] = skip
            planned[node.id] = PlannedBlock(node, key, components, False, skip, None)
            continue
        old = (previous or {}).get(node.id)
        decided = _decide(node, key, components, store, forced.get(node.id), old, root)
        planned[node.id] = _after_same_key_reruns(decided, planned)
    _warn_missing_kernels(graph, skipped)
    return Plan(graph=graph, blocks=tuple(planned.values()))


def skip_reason(planned: PlannedBlock) -> str:
    """Why a planned block is skipped without running (no kernel for its language, or it
    reads a value of such a block); '' for a block that runs, is served or has `eval: false`."""
    return planned.reason if not planned.stale and planned.entry is None else ""


def _skip_reason(node: Node, skipped: Mapping[BlockId, str]) -> str:
    """A block skipped because its language cannot run here, or because it reads a name
    only such a block defines. Nothing of it is looked up in the cache or stored."""
    if node.block.option("eval") is False:
        return ""
    if node.block.kind != "component":
        missing = missing_kernel_reason(node.block.language, node.kernel)
        if missing:
            return missing
    for item in node.inputs:
        if item.producer is not None and item.producer in skipped:
            return f"needs {item.name} from {item.producer}, which was skipped"
    return ""


def _warn_missing_kernels(graph: Graph, skipped: Mapping[BlockId, str]) -> None:
    """One warning per language whose blocks cannot run, at its first block."""
    warned: set[str] = set()
    for node in graph.nodes:
        language = node.block.language
        reason = skipped.get(node.id, "")
        if not reason.startswith("no kernel for ") or language in warned:
            continue
        warned.add(language)
        count = sum(1 for n in graph.nodes if n.id in skipped and n.block.language == language)
        log.warning(
            "%s:%d: %s; %d block(s) skipped",
            graph.document.path,
            node.block.line,
            reason,
            count,
        )


def _decide(
    node: Node,
    key: CacheKey,
    components: dict[str, Any],
    store: Store,
    forced: str | None,
    old: Mapping[str, Any] | None,
    root: Path,
) -> PlannedBlock:
    if node.block.option("eval") is False:
        return PlannedBlock(node, key, components, False, "", None)
    if node.problem:
        return PlannedBlock(node, key, components, True, "bad input", None)
    entry = store.get(key)
    reason = forced or _miss_reason(node, key, components, entry, old)
    if reason or entry is None:
        return PlannedBlock(node, key, components, True, reason, None)
    reason = _damaged(node, entry, store) or changed_read(entry.reads, root)
    if reason:
        return PlannedBlock(node, key, components, True, reason, None)
    return PlannedBlock(node, key, components, False, "", entry)


def _damaged(node: Node, entry: Entry, store: Store) -> str:
    """Why a hit cannot be served: an output's blob is missing or does not match its hash."""
    for output in entry.outputs:
        for value in (output.get("data") or {}).values():
            if isinstance(value, Mapping) and store.blob(str(value.get("blob"))) is None:
                log.warning(
                    "block `%s`: a cached output is missing or corrupt; re-running it", node.id
                )
                return "cache entry damaged"
    return ""


def _after_same_key_reruns(
    decided: PlannedBlock, planned: Mapping[BlockId, PlannedBlock]
) -> PlannedBlock:
    """A hit whose upstream runs, runs too. When the upstream's key changed, this key changed
    with it; when it did not (a file it read changed, `cache: false`, a damaged or cleared
    entry), its run may still give other values, and this key cannot show it."""
    if decided.stale or decided.entry is None:
        return decided
    for up in decided.node.upstream():
        upstream = planned.get(up)
        if upstream is not None and upstream.stale:
            reason = f"upstream {up} re-runs ({upstream.reason})"
            return dataclasses.replace(decided, stale=True, reason=reason, entry=None)
    return decided


def _miss_reason(
    node: Node,
    key: CacheKey,
    components: Mapping[str, Any],
    entry: Entry | None,
    old: Mapping[str, Any] | None,
) -> str:
    if node.block.option("cache") is False:
        return "cache: false"
    if entry is not None and entry.status == "ok":
        return ""
    if entry is not None:
        return "previous run failed"
    if not old or "components" not in old:
        return "new"
    if old.get("key") == key:
        return "not in cache"
    return explain_change(components, old["components"], node) or "key changed"


def explain_change(new: Mapping[str, Any], old: Mapping[str, Any], node: Node) -> str:
    """A short, human reason for a key change: the first few components that differ."""
    reasons: list[str] = []
    if new.get("code") != old.get("code"):
        reasons.append("code changed")
    if new.get("options") != old.get("options") or new.get("kind") != old.get("kind"):
        reasons.append("options changed")
    for part in ("language", "kernel", "environment", "format"):
        if new.get(part) != old.get(part):
            reasons.append("environment changed")
            break
    reasons += _input_reasons(new, old, node)
    reasons += _after_reasons(new, old, node)
    reasons += [
        f"file {path} changed" for path in _changed_pairs(new.get("files"), old.get("files"))
    ]
    return ", ".join(dict.fromkeys(reasons))


def _input_reasons(new: Mapping[str, Any], old: Mapping[str, Any], node: Node) -> list[str]:
    producers = {i.name: i.producer for i in node.inputs}
    reasons = []
    for name in _changed_pairs(new.get("inputs"), old.get("inputs")):
        if name in dict(new.get("params") or []) or name in dict(old.get("params") or []):
            continue
        producer = producers.get(name)
        reasons.append(f"upstream {producer} changed" if producer else f"input {name} changed")
    reasons += [
        f"param {name} changed" for name in _changed_pairs(new.get("params"), old.get("params"))
    ]
    return reasons


def _after_reasons(new: Mapping[str, Any], old: Mapping[str, Any], node: Node) -> list[str]:
    """Order-only upstreams are in the key by key alone; name them by id when any changed."""
    if set(new.get("after") or ()) == set(old.get("after") or ()):
        return []
    return [f"upstream {up} changed" for up in node.after] or ["upstream changed"]


def _changed_pairs(new: Any, old: Any) -> list[str]:
    new_map, old_map = dict(new or []), dict(old or [])
    return sorted(n for n in new_map.keys() | old_map.keys() if new_map.get(n) != old_map.get(n))


def key_components(
    node: Node, graph: Graph, keys: Mapping[BlockId, CacheKey], environment: list[list[str]]
) -> dict[str, Any]:
    """Everything that can change this block's result, as plain JSON values."""
    block = node.block
    spec = find_kernelspec(node.kernel)
    base = graph.document.path.parent
    return {
        "format": KEY_FORMAT,
        "kind": block.kind,
        "language": block.language,
        "kernel": _kernel_component(node, spec.argv if spec else ()),
        "code": block.code,
        "options": _keyed_options(block.options),
        "inputs": [[i.name, keys[i.producer]] for i in node.inputs if i.producer is not None],
        "params": [[i.name, _canonical(graph.params.get(i.name))] for i in node.inputs if i.param],
        "after": sorted(keys[a] for a in node.after if a in keys),
        "files": [[f, file_digest(base / f)] for f in node.files],
        "environment": environment,
        "snapshot": node.snapshot,
    }


def _keyed_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Options that may change the result: not display-only ones, not those the graph
    already resolved, not unknown ones (they only warn); other tools' options stay in,
    since noteflow cannot tell they change nothing."""
    return {
        k: v
        for k, v in sorted(options.items())
        if k in ALL_OPTIONS and k not in DISPLAY_ONLY_OPTIONS | GRAPH_OPTIONS
    }


def _kernel_component(node: Node, argv: tuple[str, ...]) -> dict[str, Any]:
    """The kernelspec (name and argv), or for a component its class and version."""
    if node.block.kind != "component":
        return {"name": node.kernel, "argv": list(argv)}
    cls = registry()[node.block.language]
    return {
        "name": node.kernel,
        "component": f"{cls.__module__}.{cls.__qualname__}",
        "version": cls.version,
    }


def hash_components(components: Mapping[str, Any]) -> str:
    return hashlib.sha256(_canonical(components).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _environment(graph: Graph) -> list[list[str]]:
    """Lock files named by the front matter `environment:`, with their content hashes."""
    names = graph.document.front_matter.get("environment") or []
    if isinstance(names, str):
        names = [names]
    base = graph.document.path.parent
    pairs = []
    for name in names:
        path = base / str(name)
        if not path.is_file():
            raise DocumentError(
                f"lock file '{name}' named in `environment:` does not exist",
                path=str(graph.document.path),
                line=1,
            )
        pairs.append([str(name), file_digest(path)])
    return pairs


def _forced(graph: Graph, force: bool | Collection[str]) -> dict[BlockId, str]:
    """Blocks to run whatever the cache holds: all, or the named ones and what depends on them."""
    if force is True:
        return {n.id: "forced" for n in graph.nodes}
    if not force:
        return {}
    assert not isinstance(force, bool)
    ids = {n.id for n in graph.nodes}
    reasons: dict[BlockId, str] = {}
    for label in force:
        if label not in ids:
            raise DocumentError(f"--force names no block '{label}'", path=str(graph.document.path))
        reasons[BlockId(label)] = "forced"
        for down in graph.downstream(BlockId(label)):
            reasons.setdefault(down, f"upstream {label} forced")
    return reasons


def manifest_for(plan: Plan) -> dict[str, Any]:
    """What the next render compares its keys with: per block, the key and its components."""
    return {b.id: {"key": b.key, "components": b.components} for b in plan.blocks}
