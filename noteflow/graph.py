"""Dataflow stage: a `Document` to a `Graph` of nodes that say what each block reads.

Owns DESIGN §3. A Python block reads a name from the latest earlier block of its kernel
that defines it (static analysis, `pyanalysis.py`); a block that cannot be analysed is a
barrier: it reads everything before it and everything after it waits for it. Other
languages chain to the previous block of their kernel unless they declare `uses:`.
`uses:` may also name a block label (an order-only edge) or a parameter. The execution
order is topological, ties broken by document order.

knitr: `dependson` (labels, or chunk numbers, negative counting back) adds order-only
edges like a label in `uses:`; an R block reading `params$n` (or `params[["n"]]`) reads
the parameter `n`. A label is found as written (`my chunk`) or as its block id
(`my-chunk`). A block of a language without an adapter (`{julia}`) is placed with no
analysis: it reads what its `uses:` names and nothing else, and runs in the kernelspec the
document names for it (else one named after the language), which the plan may not find.

Module state is a value like any other (`pyanalysis.module_state`): a block that mutates a
module (through any name an import bound to it, in this block or an earlier one) defines
the state of that module and of its parent packages, and lists them in `Node.effects`;
importing a module, or reading a name bound to one, reads its state. Every Python block
reads the process state (`module:sys`: `sys.path`, `sys.modules`, the environment, the
working directory), which a block mutating `sys`, `os` or another `PROCESS_MODULES` module
defines. A block that cannot be analysed has the effect `*` (anything). Module state is
not saved or loaded: a reader needs its producer to have run in the kernel.
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import glob
import heapq
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .adapters import load_adapters, resolve_kernelspec
from .components import ComponentError, make_component, registry
from .errors import GraphError
from .knitr import params_read
from .model import Block, BlockId, Document, Graph, Input, Node
from .pyanalysis import (
    PythonAnalysis,
    analyze_python,
    is_module_state,
    module_of_state,
    module_state,
    with_parents,
)

log = logging.getLogger("noteflow")

# Names IPython puts in the user namespace; a block never "reads" them from another block.
KERNEL_PROVIDED = frozenset({"get_ipython", "exit", "quit", "In", "Out", "display"})
BUILTIN_NAMES = frozenset(dir(builtins)) | KERNEL_PROVIDED
# Modules whose state every block reads whether it imports them or not: the interpreter
# (`sys.path`, `sys.modules`), the process (environment variables, working directory), and
# what every library reports through (warnings, logging, locale).
PROCESS_MODULES = frozenset({"sys", "os", "warnings", "logging", "locale", "builtins"})
PROCESS_STATE = module_state("sys")
ANY_EFFECT = "*"
"""`Node.effects` of a block that cannot be analysed: it may change any shared state."""


def build_graph(document: Document, overrides: Mapping[str, Any] | None = None) -> Graph:
    """Resolve every block's inputs; raises GraphError for unknown names and cycles.

    Errors name the file and line the user wrote: a block from an included file, a script
    or a notebook is reported there, not at its line in the text noteflow parsed.
    """
    try:
        params = resolve_params(document, overrides or {})
        builder = _Builder(document, params)
        nodes = [builder.add_or_mark(block) for block in document.blocks]
        order = topological_order(nodes, str(document.path))
    except GraphError as err:
        raise _at_origin(err, document) from None
    problems = tuple(_at_origin(problem, document) for problem in builder.problems)
    return Graph(document=document, nodes=tuple(order), params=params, problems=problems)


def _at_origin(error: GraphError, document: Document) -> GraphError:
    """`error` moved from a line of the parsed text to where that line was written."""
    if error.path == str(document.path) and error.line:
        origin = document.origin(error.line)
        error.path, error.line = str(origin.path), origin.line or None
    return error


def resolve_params(document: Document, overrides: Mapping[str, Any]) -> dict[str, Any]:
    declared = document.front_matter.get("params") or {}
    if not isinstance(declared, dict):
        raise GraphError(
            "front matter `params` must be a mapping of name: default",
            path=str(document.path),
            line=1,
        )
    for name in overrides:
        if name not in declared:
            raise GraphError(
                f"unknown parameter '{name}' given with -P",
                path=str(document.path),
                hint=_did_you_mean(name, declared)
                or "declare it under `params:` in the front matter",
            )
    return {**declared, **overrides}


@dataclass
class _KernelScope:
    """Name resolution state of one kernel while walking the document in order."""

    definers: dict[str, BlockId] = field(default_factory=dict)
    history: dict[str, list[BlockId]] = field(default_factory=dict)
    """Every block so far that defined each name, in document order."""
    barrier: BlockId | None = None
    blocks: list[BlockId] = field(default_factory=list)
    last: BlockId | None = None
    modules: dict[str, set[str]] = field(default_factory=dict)
    """Every module each name was bound to by an import so far (aliases accumulate)."""


@dataclass
class _Builder:
    """Walks blocks in document order, resolving each block's reads against earlier ones."""

    document: Document
    params: dict[str, Any]
    scopes: dict[str, _KernelScope] = field(default_factory=dict)
    position: dict[BlockId, int] = field(default_factory=dict)
    carried: dict[BlockId, tuple[frozenset[str], ...]] = field(default_factory=dict)
    """Per block: globals its values may read, define and mutate later (functions, methods)."""
    exported_by: dict[str, list[BlockId]] = field(default_factory=dict)
    problems: list[GraphError] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.labels = {b.id for b in self.document.blocks}
        self.label_ids = _label_ids(self.document.blocks)
        self.all_exports = self._all_exports()

    @property
    def path(self) -> str:
        return str(self.document.path)

    def add_or_mark(self, block: Block) -> Node:
        """The block's node; one naming an unknown value is kept, marked, and fails alone."""
        try:
            return self.add(block)
        except GraphError as err:
            if not err.message.startswith(f"block '{block.id}' uses "):
                raise
            self.problems.append(err)
            kernel = (
                f"component:{block.language}" if block.kind == "component" else self._kernel(block)
            )
            problem = f"{err.message} ({err.hint})" if err.hint else err.message
            return Node(block, kernel, (), frozenset(), (), frozenset(), problem=problem)

    def add(self, block: Block) -> Node:
        self.position[block.id] = block.index
        kernel = f"component:{block.language}" if block.kind == "component" else self._kernel(block)
        scope = self.scopes.setdefault(kernel, _KernelScope())
        if block.option("eval") is False:
            return Node(block, kernel, (), frozenset(), (), frozenset())
        adapter = load_adapters().get(block.language)
        if block.kind == "component":
            node = self._component_node(block, kernel)
        elif adapter is not None and adapter.analysis == "python":
            node = self._python_node(block, kernel, scope)
        else:
            node = self._chained_node(block, kernel, scope, chained=adapter is not None)
        for name in node.defines:
            scope.definers[name] = block.id
            scope.history.setdefault(name, []).append(block.id)
            if not is_module_state(name):
                self.exported_by.setdefault(name, []).append(block.id)
        if node.snapshot:
            scope.barrier = block.id
        scope.blocks.append(block.id)
        scope.last = block.id
        return node

    def _kernel(self, block: Block) -> str:
        requested = block.option("kernel") or (self.document.front_matter.get("kernels") or {}).get(
            block.language
        )
        adapter = load_adapters().get(block.language)
        if adapter is None:
            return str(requested or block.language)
        return resolve_kernelspec(adapter, requested, path=self.path, line=block.line).name

    def _python_node(self, block: Block, kernel: str, scope: _KernelScope) -> Node:
        analysis = analyze_python(block.code)
        if not analysis.analysable:
            return self._barrier_node(block, kernel, scope, analysis)
        reads, defines, mutates = self._close_over_functions(block.id, analysis, scope)
        effects = _module_states(analysis, reads, defines, mutates, scope)
        if block.option("error"):
            # An expected error may stop the block before it binds what it defines.
            reads |= defines
        inputs, unresolved = self._resolve(reads | set(self._uses(block)), scope, block)
        after = self._label_edges(block) + ((scope.barrier,) if scope.barrier else ())
        defines |= set(block.option("exports") or ())
        return Node(
            block,
            kernel,
            inputs,
            frozenset(defines),
            after,
            unresolved,
            files=self._files(block),
            effects=frozenset(effects),
            states_read=frozenset(name for name in reads if is_module_state(name)),
        )

    def _close_over_functions(
        self, block_id: BlockId, analysis: PythonAnalysis, scope: _KernelScope
    ) -> tuple[set[str], set[str], set[str]]:
        """Reading a function also reads the globals it reads and defines what it mutates.

        Values carry this too: an object made from a class (`a = A()`) carries the globals
        of its methods, so `a.m()` depends on them where it is called. Every earlier definer
        of a name counts, not only the latest: a block that mutates a function
        (`f.cache_clear()`, `f.calls = 0`) leaves its body, and so its globals, as is.
        """
        reads, defines = set(analysis.reads), set(analysis.defines)
        mutates = set(analysis.mutates)
        carried_reads, carried_defines = set(analysis.lazy_reads), set(analysis.lazy_defines)
        carried_mutates = set(analysis.lazy_mutates)
        pending, seen = list(reads), set()
        while pending:
            name = pending.pop()
            if name in seen or is_module_state(name):
                continue
            seen.add(name)
            for producer in scope.history.get(name, ()):
                lazy_reads, lazy_defines, lazy_mutates = self.carried.get(producer, _NOTHING)
                # A global a function may assign may also keep its incoming value: read it too.
                fresh = (lazy_reads | lazy_defines) - reads
                reads |= fresh
                defines |= lazy_defines
                mutates |= lazy_mutates
                carried_reads |= lazy_reads
                carried_defines |= lazy_defines
                carried_mutates |= lazy_mutates
                pending.extend(fresh)
        self.carried[block_id] = (
            frozenset(carried_reads),
            frozenset(carried_defines),
            frozenset(carried_mutates),
        )
        return reads, defines, mutates

    def _barrier_node(
        self, block: Block, kernel: str, scope: _KernelScope, analysis: PythonAnalysis
    ) -> Node:
        """A block that cannot be analysed reads everything and saves the whole namespace."""
        reads = (
            set(scope.definers) | set(self.params) | set(analysis.reads) | set(self._uses(block))
        )
        inputs, unresolved = self._resolve(reads, scope, block)
        after = tuple(scope.blocks) + self._label_edges(block)
        return Node(
            block,
            kernel,
            inputs,
            frozenset(analysis.defines),
            after,
            unresolved,
            True,
            self._files(block),
            effects=frozenset({ANY_EFFECT}),
        )

    def _chained_node(
        self, block: Block, kernel: str, scope: _KernelScope, *, chained: bool = True
    ) -> Node:
        uses = self._uses(block)
        inputs, unresolved = self._resolve(set(uses), scope, block)
        if unresolved:
            self._unknown(sorted(unresolved)[0], block)
        params = self._r_params(block, {i.name for i in inputs})
        inputs = tuple(sorted((*inputs, *params), key=lambda i: i.name))
        # `uses:` (even an empty list) replaces the chain to the previous block.
        declared = block.option("uses") is not None
        chain = () if declared or scope.last is None or not chained else (scope.last,)
        defines = frozenset(block.option("exports") or ())
        return Node(
            block,
            kernel,
            inputs,
            defines,
            tuple(dict.fromkeys(chain + self._label_edges(block))),
            frozenset(),
            files=self._files(block),
        )

    def _r_params(self, block: Block, known: set[str]) -> tuple[Input, ...]:
        """The parameters an R block reads as `params$name` (the kernel holds a `params`
        list); a name the front matter does not declare is NULL in R, as in rmarkdown."""
        if block.language != "r":
            return ()
        names = [n for n in params_read(block.code) if n in self.params and n not in known]
        return tuple(Input(name, None, param=True) for name in names)

    def _uses(self, block: Block) -> list[str]:
        uses = [str(u) for u in block.option("uses") or ()]
        for name in uses:
            if (
                name not in self.label_ids
                and name not in self.params
                and name not in self.all_exports
            ):
                self._unknown(name, block)
        return [u for u in uses if u not in self.label_ids or u in self.all_exports]

    def _label_edges(self, block: Block) -> tuple[BlockId, ...]:
        uses = [str(u) for u in block.option("uses") or ()]
        edges = [
            self.label_ids[u] for u in uses if u in self.label_ids and u not in self.all_exports
        ]
        edges += self._dependson(block)
        return tuple(dict.fromkeys(edges))

    def _dependson(self, block: Block) -> list[BlockId]:
        """knitr's `dependson`: labels, or chunk numbers (1-based; negative: counted back)."""
        code_blocks = [b.id for b in self.document.blocks if b.kind == "code"]
        found = []
        for item in block.option("dependson") or ():
            target = self._dependson_target(item, block, code_blocks)
            if target is None:
                log.warning(
                    "%s:%d: block '%s': `dependson` names no block %r; it is ignored",
                    self.path,
                    block.line,
                    block.id,
                    item,
                )
            else:
                found.append(target)
        return found

    def _dependson_target(
        self, item: str | int, block: Block, code_blocks: list[BlockId]
    ) -> BlockId | None:
        if isinstance(item, str):
            return self.label_ids.get(item)
        if block.id not in code_blocks:
            return None
        number = code_blocks.index(block.id) + item if item < 0 else item - 1
        return code_blocks[number] if 0 <= number < len(code_blocks) else None

    def _resolve(
        self, names: set[str], scope: _KernelScope, block: Block
    ) -> tuple[tuple[Input, ...], frozenset[str]]:
        inputs, unresolved = [], set()
        for name in sorted(names):
            producer = self._producer(name, scope, block)
            if producer is not None:
                inputs.append(Input(name, producer))
            elif name in self.params:
                inputs.append(Input(name, None, param=True))
            elif not (name in BUILTIN_NAMES or name.startswith("__") or is_module_state(name)):
                unresolved.add(name)
        return tuple(inputs), frozenset(unresolved)

    def _producer(self, name: str, scope: _KernelScope, block: Block) -> BlockId | None:
        """The latest earlier block that defines `name`: in this kernel, or exported by another."""
        local = scope.definers.get(name)
        barrier = scope.barrier
        hidden = local is None or (barrier and self.position[barrier] > self.position[local])
        if barrier and hidden and not _kernel_provided(name):
            local = barrier
        defined = self.exported_by.get(name)
        if defined and (local is None or self.position[defined[-1]] > self.position[local]):
            return defined[-1]
        if local is not None:
            return local
        if name in (block.option("uses") or ()):
            return self._declared_producer(name, block)
        return None

    def _component_node(self, block: Block, kernel: str) -> Node:
        """A component reads and defines what it says; its inputs come from any kernel."""
        try:
            component = make_component(
                block.language, block.options, block.id if block.labelled else None
            )
            reads, defines, files = component.reads(), component.defines(), component.files()
        except ComponentError as err:
            raise GraphError(
                f"{{{block.language}}} block '{block.id}': {err}",
                path=self.path,
                line=block.line,
                block=block.id,
            ) from None
        inputs = []
        for name in sorted({*reads, *self._uses(block)}):
            producer = self._declared_producer(name, block)
            if producer is not None:
                inputs.append(Input(name, producer))
            elif name in self.params:
                inputs.append(Input(name, None, param=True))
            else:
                self._unknown(name, block)
        patterns = [*files, *(block.option("files") or ())]
        return Node(
            block,
            kernel,
            tuple(inputs),
            frozenset(defines),
            self._label_edges(block),
            frozenset(),
            files=self._files(block, patterns),
        )

    def _declared_producer(self, name: str, block: Block) -> BlockId | None:
        """A `uses:` name from another kernel (latest earlier) or, failing that, a later block."""
        producers = self.exported_by.get(name) or self.all_exports.get(name, [])
        earlier = [p for p in producers if self.position.get(p, 1 << 30) < block.index]
        if earlier:
            return earlier[-1]
        later = [p for p in self.all_exports.get(name, []) if p != block.id]
        return later[0] if later else None

    def _all_exports(self) -> dict[str, list[BlockId]]:
        """Names each block defines or exports, for `uses:` that look ahead or across kernels."""
        found: dict[str, list[BlockId]] = {}
        for block in self.document.blocks:
            if block.option("eval") is False:
                continue
            for name in block.option("exports") or ():
                found.setdefault(str(name), []).append(block.id)
            if block.language == "python" and block.kind == "code":
                for name in analyze_python(block.code).defines:
                    if not is_module_state(name):
                        found.setdefault(name, []).append(block.id)
            if block.kind == "component" and block.language in registry():
                with contextlib.suppress(ComponentError):
                    component = make_component(
                        block.language, block.options, block.id if block.labelled else None
                    )
                    for name in component.defines():
                        found.setdefault(name, []).append(block.id)
        return found

    def _files(self, block: Block, patterns: list[str] | None = None) -> tuple[str, ...]:
        base = self.document.path.parent
        found: list[str] = []
        for pattern in block.option("files") or () if patterns is None else patterns:
            try:
                matches = self._matches(base / pattern, block, pattern)
            except OSError as err:
                raise GraphError(
                    f"cannot look up '{pattern}' named in `files:` of block '{block.id}': "
                    f"{err.strerror or err}",
                    path=self.path,
                    line=block.line,
                    block=block.id,
                ) from None
            if not matches:
                raise GraphError(
                    f"file '{pattern}' named in `files:` of block '{block.id}' does not exist",
                    path=self.path,
                    line=block.line,
                    block=block.id,
                )
            for match in matches:
                if Path(match).is_dir():
                    inside = glob.glob(str(Path(match) / "**"), recursive=True)
                    found.extend(_relative(m, base) for m in sorted(inside) if Path(m).is_file())
                elif Path(match).is_file():
                    found.append(_relative(match, base))
        return tuple(dict.fromkeys(found))

    def _matches(self, literal: Path, block: Block, pattern: str) -> list[str]:
        matches = (
            [str(literal)] if literal.exists() else sorted(glob.glob(str(literal), recursive=True))
        )
        for match in matches:
            folder = Path(match).resolve()
            if folder.is_dir() and (
                folder == self.document.path.parent or folder in self.document.path.parents
            ):
                raise GraphError(
                    f"`files:` of block '{block.id}' names '{pattern}', a folder that holds the "
                    "document itself: every file under it would be hashed",
                    path=self.path,
                    line=block.line,
                    block=block.id,
                    hint="name the files, or a folder beside the document (`files: [data/]`)",
                )
        return matches

    def _unknown(self, name: str, block: Block) -> None:
        candidates = set(self.label_ids) | set(self.params) | set(self.all_exports)
        raise GraphError(
            f"block '{block.id}' uses '{name}', which no block defines or exports",
            path=self.path,
            line=block.line,
            block=block.id,
            hint=_did_you_mean(name, candidates)
            or "define it in an earlier block or add it to `exports:`",
        )


_NOTHING: tuple[frozenset[str], ...] = (frozenset(), frozenset(), frozenset())


def _label_ids(blocks: tuple[Block, ...]) -> dict[str, BlockId]:
    """Block id by every name that refers to a block: its id, and its label as written."""
    found: dict[str, BlockId] = {block.id: block.id for block in blocks}
    for block in blocks:
        if block.labelled:
            found.setdefault(str(block.option("label")), block.id)
    return found


def _module_states(
    analysis: PythonAnalysis,
    reads: set[str],
    defines: set[str],
    mutates: set[str],
    scope: _KernelScope,
) -> set[str]:
    """Add the module states a block reads and defines; return the modules it changes.

    Names bound to a module by an earlier block are known only here: reading one reads the
    module's state, changing one (`o.environ[...] = ...` after `import os as o`) changes it.
    """
    for name, modules in analysis.module_names.items():
        scope.modules.setdefault(name, set()).update(modules)
    reads |= _states(_modules(reads, scope)) | {PROCESS_STATE}
    effects = _modules(mutates, scope)
    effects |= {module_of_state(name) for name in defines if is_module_state(name)}
    defines |= _states(effects)
    if effects & PROCESS_MODULES:
        defines.add(PROCESS_STATE)
    return effects


def _modules(names: set[str], scope: _KernelScope) -> set[str]:
    """The modules (and their parent packages) imports so far bound any of `names` to."""
    found: set[str] = set()
    for name in names:
        for module in scope.modules.get(name, ()):
            found.update(with_parents(module))
    return found


def _states(modules: set[str]) -> set[str]:
    return {module_state(m) for m in modules}


def _relative(path: str, base: Path) -> str:
    """`path` relative to the document's folder (with `..` when it lies outside it)."""
    return Path(os.path.relpath(path, base)).as_posix()


def _kernel_provided(name: str) -> bool:
    """Names in a fresh kernel's namespace: a snapshot does not save them, so a reader must
    not take them from one (it would delete them from the namespace instead)."""
    return name in KERNEL_PROVIDED or name.startswith("__")


def _did_you_mean(name: str, candidates: Any) -> str | None:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def topological_order(nodes: list[Node], path: str) -> list[Node]:
    """Kahn's algorithm; among ready nodes, the earliest in the document goes first."""
    by_id = {n.id: n for n in nodes}
    waiting = {n.id: {u for u in n.upstream() if u in by_id} for n in nodes}
    dependents: dict[BlockId, list[BlockId]] = {n.id: [] for n in nodes}
    for node_id, ups in waiting.items():
        for up in ups:
            dependents[up].append(node_id)
    ready = [(by_id[i].block.index, i) for i, ups in waiting.items() if not ups]
    heapq.heapify(ready)
    order: list[Node] = []
    while ready:
        _, node_id = heapq.heappop(ready)
        order.append(by_id[node_id])
        for dep in dependents[node_id]:
            waiting[dep].discard(node_id)
            if not waiting[dep]:
                heapq.heappush(ready, (by_id[dep].block.index, dep))
    if len(order) < len(nodes):
        raise _cycle_error({i for i, ups in waiting.items() if ups}, waiting, by_id, path)
    return order


def _cycle_error(
    stuck: set[BlockId], waiting: dict[BlockId, set[BlockId]], by_id: dict[BlockId, Node], path: str
) -> GraphError:
    start = min(stuck, key=lambda i: by_id[i].block.index)
    cycle, current = [start], start
    while True:
        current = min(
            (u for u in waiting[current] if u in stuck), key=lambda i: by_id[i].block.index
        )
        if current in cycle:
            cycle = [*cycle[cycle.index(current) :], current]
            break
        cycle.append(current)
    names = " -> ".join(cycle)
    first = by_id[cycle[0]].block
    return GraphError(
        f"dependency cycle: {names}",
        path=path,
        line=first.line,
        block=first.id,
        hint="break the cycle by removing one of these `uses:` entries",
    )
