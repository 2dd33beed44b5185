"""Named values between kernels and the store: the code that saves and loads them.

Owns the value protocol of the adapters in `kernels/`. After a block runs, its defined
names are saved into the kernel's own staging folder (Python in the block's own request,
as a user expression; other kernels in a second request), and noteflow checks each file's
hash and moves it into the store. A value read by a block of another language also
gets its interchange JSON (README, "Values across languages"). Before a block runs, the
loads, deletions and parameters it needs are one request of the kernel's own language.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import Adapter
from .components import encode_value, row_count, value
from .kernel import Execution
from .model import CacheKey, Node
from .pyanalysis import is_module_state
from .store import Store
from .tempdirs import make_temp_dir


@dataclass
class LiveKernel:
    """A started kernel, which producer each live name came from, and what it has run."""

    backend: Any
    adapter: Adapter
    live: dict[str, str] = field(default_factory=dict)
    """name -> cache key of the block whose run defined it (or a parameter token)."""
    applied: set[str] = field(default_factory=set)
    """Keys of blocks run or replayed in this kernel (a chained block needs its predecessor)."""
    effectful: dict[CacheKey, frozenset[str]] = field(default_factory=dict)
    """Applied blocks that changed shared state: key -> the module states they define
    (`module:os`, ...; `*` for a block that cannot be analysed)."""
    exchange: Path = field(default_factory=lambda: make_temp_dir("values"))
    """The kernel's staging folder: values it saves, verified copies of values it loads."""

    def forget_all(self) -> None:
        self.live.clear()
        self.applied.clear()
        self.effectful.clear()

    def close(self) -> None:
        self.backend.shutdown()
        shutil.rmtree(self.exchange, ignore_errors=True)


def save_code(kernel: LiveKernel, node: Node, interchange: Iterable[str]) -> str:
    """The code that saves what `node` defines into the kernel's staging folder."""
    adapter = kernel.adapter
    names = sorted(n for n in node.defines if not is_module_state(n))
    directory = kernel.exchange
    return adapter.template(
        "save",
        names=adapter.strings(names),
        directory=adapter.string(str(directory)),
        snapshot=repr(node.snapshot),
        interchange=adapter.strings(sorted(set(interchange) & set(names))),
    )


def parse_saved(
    kernel: LiveKernel, node: Node, execution: Execution, store: Store, interchange: Iterable[str]
) -> dict[str, Any]:
    """The export specs of a save: name -> {blob, json?} | {absent} | {unsaved}."""
    if kernel.adapter.save_in_request:
        saved = execution.expression("save")
        try:
            exports = json.loads(saved) if isinstance(saved, str) else None
        except ValueError:
            exports = None
        if isinstance(exports, dict):
            return {name: _adopt(kernel.exchange, spec, store) for name, spec in exports.items()}
        reason = "the kernel did not report saved values"
        return {name: {"unsaved": reason} for name in node.defines}
    return _collect_files(kernel, store, set(interchange))


def _adopt(folder: Path, spec: Any, store: Store) -> dict[str, Any]:
    """A spec whose staged blobs are verified and moved into the store."""
    if not isinstance(spec, dict):
        return {"unsaved": "the kernel reported a malformed value"}
    adopted = dict(spec)
    for field_name in ("blob", "json"):
        digest = spec.get(field_name)
        if not isinstance(digest, str):
            continue
        adopted_now = store.adopt_blob(folder / digest, digest) is not None
        # Two equal values share one staged file: the first adoption moved it in already.
        if not adopted_now and store.blob(digest) is None:
            return {"unsaved": "the saved value did not match its hash"}
    return adopted


def _collect_files(kernel: LiveKernel, store: Store, interchange: set[str]) -> dict[str, Any]:
    folder = kernel.exchange
    try:
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    exports: dict[str, Any] = {}
    for name, item in (status if isinstance(status, dict) else {}).items():
        exports[name] = _spec(kernel.adapter, folder, name, item, store, name in interchange)
    _clear(folder)
    return exports


def _spec(
    adapter: Adapter, folder: Path, name: str, item: Mapping[str, Any], store: Store, wanted: bool
) -> dict[str, Any]:
    state = item.get("state")
    if state == "absent":
        return {"absent": True}
    if state != "saved":
        return {"unsaved": str(item.get("error") or "the value could not be saved")}
    native_path = folder / f"{name}.native"
    try:
        native = native_path.read_bytes()
    except OSError:
        return {"unsaved": "the kernel reported a value it did not write"}
    spec: dict[str, Any] = {"blob": store.put_blob(native), "size": len(native)}
    json_file = folder / f"{name}.json"
    if adapter.native_is_json:
        spec["json"] = spec["blob"]
    elif json_file.is_file():
        spec["json"] = store.put_blob(json_file.read_bytes())
    elif adapter.native_is_text and wanted:
        spec["json"] = store.put_blob(text_to_interchange(native))
    elif item.get("json_error"):
        spec["json_error"] = str(item["json_error"])
    return spec


def _clear(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink(missing_ok=True)


def text_to_interchange(text: bytes) -> bytes:
    """A shell variable's text as an interchange value (a string)."""
    return encode_value(value(text.decode("utf-8", errors="replace")))


def interchange_to_text(data: bytes) -> bytes:
    """What a shell variable receives: a string as it is, anything else as JSON text."""
    body = json.loads(data)
    if body.get("kind") == "value" and isinstance(body.get("value"), str):
        return str(body["value"]).encode()
    if body.get("kind") == "value":
        return json.dumps(body.get("value")).encode()
    columns = body["columns"]
    table = [{c: body["data"][c][i] for c in columns} for i in range(row_count(body))]
    return json.dumps(table).encode()


def value_to_interchange(content: Any) -> bytes:
    """A parameter value (plain YAML data) as an interchange value."""
    return encode_value(value(content))


@dataclass
class Loads:
    """Loads, deletions and parameters sent to one kernel in one request."""

    adapter: Adapter
    lines: list[str] = field(default_factory=list)
    live: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    staged: list[Path] = field(default_factory=list)
    """Verified copies of stored values made for this request; removed once it ran."""

    def native(self, name: str, path: Path, token: str) -> None:
        self.staged.append(path)
        self.lines.append(
            self.adapter.template(
                "load", name=self.adapter.string(name), path=self.adapter.string(str(path))
            )
        )
        self.live[name] = token

    def interchange(self, name: str, path: Path, token: str) -> None:
        self.lines.append(
            self.adapter.template(
                "load_json", name=self.adapter.string(name), path=self.adapter.string(str(path))
            )
        )
        self.live[name] = token

    def param(self, name: str, path: Path, live_name: str, token: str) -> None:
        """A parameter into the language's own list of them (`params$n` in R)."""
        self.lines.append(
            self.adapter.template(
                "load_param", name=self.adapter.string(name), path=self.adapter.string(str(path))
            )
        )
        self.live[live_name] = token

    def delete(self, names: Iterable[str]) -> None:
        self.deleted.update(names)

    keep: set[str] | None = None
    """When set, every other name is removed (before a block that cannot be analysed)."""

    def code(self) -> str:
        lines = list(self.lines)
        if self.deleted:
            names = self.adapter.strings(sorted(self.deleted))
            lines.append(self.adapter.template("delete", names=names))
        if self.keep is not None:
            names = self.adapter.strings(sorted(self.keep))
            lines.append(self.adapter.template("keep_only", names=names))
        return "\n".join(lines)

    def names(self) -> list[str]:
        return [*self.live, *sorted(self.deleted)]
