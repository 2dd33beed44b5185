"""`noteflow cache ls | clear | gc`: look into the store and prune it.

`ls` shows each block's key, status and size, and the files its result depends on;
`clear` removes entries so blocks re-run; `gc` drops entries and blobs that no rendered
document still references (the manifests under `documents/` say which keys each
document's last render used). It never drops what was written or used in the last hour,
nor anything a render in progress holds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import NoteflowError
from .model import Entry, Plan, PlannedBlock
from .plan import skip_reason
from .store import LocalStore

GRACE_SECONDS = 3600
"""Entries and blobs younger than this are kept by `gc`: a render may be about to name them."""


@dataclass(frozen=True)
class CacheRow:
    block: str
    key: str
    status: str
    size: int
    files: tuple[str, ...] = ()
    """Files whose content is in the key (`files:`) or that the block was seen to read."""


def list_cache(plan: Plan, store: LocalStore) -> list[CacheRow]:
    rows = []
    for planned in plan.blocks:
        entry = store.get(planned.key)
        if planned.node.block.option("eval") is False:
            status = "skipped (eval: false)"
        elif skip_reason(planned):
            status = f"skipped ({skip_reason(planned)})"
        elif entry is None:
            status = f"stale ({planned.reason})"
        elif entry.status == "failed":
            status = "failed (re-runs next time)"
        else:
            status = f"stale ({planned.reason})" if planned.stale else "cached"
        size = _entry_size(store, planned.key, entry)
        rows.append(CacheRow(planned.id, planned.key, status, size, _files(planned, entry)))
    return rows


def _files(planned: PlannedBlock, entry: Entry | None) -> tuple[str, ...]:
    declared = [f"{path} (declared)" for path in planned.node.files]
    seen = (
        [f"{r.path}/ (listed)" if r.kind == "dir" else r.path for r in entry.reads] if entry else []
    )
    return tuple(dict.fromkeys([*declared, *seen]))


def _entry_size(store: LocalStore, key: str, entry: Entry | None) -> int:
    if entry is None:
        return 0
    size = store.entry_path(key).stat().st_size
    for digest in _entry_blobs(entry):
        path = store.blob_path(digest)
        size += path.stat().st_size if path.exists() else 0
    return size


def _entry_blobs(entry: Entry) -> Iterator[str]:
    for spec in entry.exports.values():
        if isinstance(spec, Mapping) and "blob" in spec:
            yield str(spec["blob"])
    for output in entry.outputs:
        for value in (output.get("data") or {}).values():
            if isinstance(value, Mapping) and "blob" in value:
                yield str(value["blob"])


def format_rows(rows: list[CacheRow]) -> str:
    width = max([len(r.block) for r in rows] + [5])
    lines = [f"{'block':<{width}}  {'key':<12}  {'size':>9}  status"]
    for row in rows:
        lines.append(
            f"{row.block:<{width}}  {row.key[:12]}  {human_size(row.size):>9}  {row.status}"
        )
        if row.files:
            lines.append(f"{'':<{width}}  reads: {', '.join(row.files)}")
    return "\n".join(lines)


def human_size(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def clear_cache(plan: Plan, store: LocalStore, label: str | None) -> int:
    blocks = plan.blocks
    if label is not None:
        blocks = tuple(b for b in blocks if b.id == label)
        if not blocks:
            known = ", ".join(b.id for b in plan.blocks)
            raise NoteflowError(
                f"no block '{label}' in this document",
                path=str(plan.graph.document.path),
                hint=f"blocks: {known}",
            )
    return sum(store.delete(b.key) for b in blocks)


@dataclass(frozen=True)
class GcResult:
    entries: int
    blobs: int
    bytes: int
    manifests: int


def collect_garbage(store: LocalStore) -> GcResult:
    """Remove what no existing document's last render references; also stale temp files."""
    live_keys, dropped_manifests = _referenced_keys(store)
    live_keys |= store.held_keys()
    removed_entries = 0
    live_blobs: set[str] = set()
    for key in list(store.keys()):
        entry = store.get(key)  # type: ignore[arg-type]
        if (key in live_keys or _recent(store.entry_path(key))) and entry is not None:
            live_blobs.update(_entry_blobs(entry))
        elif store.delete(key):
            removed_entries += 1
    removed_blobs, freed = _remove_blobs(store, live_blobs)
    return GcResult(removed_entries, removed_blobs, freed, dropped_manifests)


def _referenced_keys(store: LocalStore) -> tuple[set[str], int]:
    keys: set[str] = set()
    dropped = 0
    for manifest in store.manifests():
        if not Path(str(manifest.get("document", ""))).exists():
            os.unlink(manifest["_path"])
            dropped += 1
            continue
        blocks: dict[str, Any] = manifest.get("blocks") or {}
        keys.update(str(b.get("key")) for b in blocks.values() if isinstance(b, dict))
    return keys, dropped


def _recent(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime < GRACE_SECONDS
    except OSError:
        return True  # written or removed under our feet: leave it to the next gc


def _remove_blobs(store: LocalStore, live: set[str]) -> tuple[int, int]:
    removed = freed = 0
    for path in list(store.blobs()):
        if path.name in live or _recent(path):
            continue
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError:
            continue
        freed += size
        removed += 1
    return removed, freed


def gc_summary(result: GcResult) -> str:
    return (
        f"removed {result.entries} entries and {result.blobs} blobs ({human_size(result.bytes)}); "
        f"forgot {result.manifests} deleted documents"
    )
