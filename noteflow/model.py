"""The values passed between pipeline stages: documents, blocks, graphs, plans, results.

Every stage is a function of the previous stage's value; these are those values. They are
frozen, slotted dataclasses. Mappings inside them are never mutated after construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NewType

BlockId = NewType("BlockId", str)
"""A block's id: its label, else `<language>-<n>`; unique in a document."""

CacheKey = NewType("CacheKey", str)
"""sha256 hex digest of a block's canonical key encoding."""

BlockKind = Literal["code", "inline", "component"]
Status = Literal["executed", "cached", "failed", "skipped", "not-run"]


@dataclass(frozen=True, slots=True)
class Block:
    """One executable unit of a document, as written."""

    id: BlockId
    """Label, or `<language>-<n>` counted per language in document order."""
    index: int
    """Position among the document's executable units, in document order (0-based)."""
    kind: BlockKind
    """`code` for a braced fence, `inline` for `` `{python} expr` `` in prose."""
    language: str
    """Adapter language name (`python`, `r`, ...), resolved from the fence name."""
    code: str
    """The body without option lines (for `inline`, the expression)."""
    options: Mapping[str, Any]
    """Normalised options (see `options.py`): keys use dashes, `label` holds the label."""
    line: int
    """1-based line of the fence opening (for `inline`, of the paragraph)."""
    token_index: int
    """Index of the fence token in `Document.tokens` (-1 for inline expressions)."""
    labelled: bool = False
    """True when the id came from a user label (stable across edits)."""

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a line of a document's text was written: a file and a 1-based line in it."""

    path: Path
    line: int
    """0 when not known (a notebook whose JSON does not give each source line its own line)."""


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed source document."""

    path: Path
    """Absolute path of the source file."""
    source: str
    """The whole text as read."""
    front_matter: Mapping[str, Any]
    """The YAML front matter (empty mapping when there is none)."""
    blocks: tuple[Block, ...]
    """Executable units in document order."""
    tokens: tuple[Any, ...] = field(repr=False, compare=False)
    """markdown-it tokens of the body, kept for rendering without a second parse."""
    env: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """markdown-it environment (footnotes, references) from the parse."""
    included: tuple[Path, ...] = ()
    """Absolute paths of the files `{{< include >}}` spliced into `source`, in reading order:
    inputs of the page like the document itself."""
    origins: tuple[Origin, ...] = field(default=(), repr=False, compare=False)
    """For each line of `source` (index 0 is line 1), where it was written; empty when the
    source is the document file's own text, line for line."""

    @property
    def title(self) -> str:
        """The front matter's title, else the first `#` heading's text (as Jupyter Book and
        Quarto notebooks take it), else the file name."""
        return str(self.front_matter.get("title") or self._first_heading() or self.path.stem)

    def _first_heading(self) -> str:
        for index, token in enumerate(self.tokens[:-1]):
            if token.type == "heading_open" and token.tag == "h1":
                inline = self.tokens[index + 1]
                children = inline.children or ()
                text = "".join(c.content for c in children if c.type in ("text", "code_inline"))
                return text.strip()
        return ""

    def origin(self, line: int) -> Origin:
        """The file and line a 1-based line of `source` was written on (for messages)."""
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return Origin(self.path, line)


@dataclass(frozen=True, slots=True)
class Input:
    """One value a node needs before it runs, and which node provides it."""

    name: str
    """The value's name as the block reads it."""
    producer: BlockId | None
    """The block whose run defines this value here; None for a parameter."""
    param: bool = False
    """True when the value is a document parameter rather than a block's output."""


@dataclass(frozen=True, slots=True)
class Node:
    """A block placed in the dataflow: what it reads, defines and waits for."""

    block: Block
    kernel: str
    """Kernelspec name the block runs in."""
    inputs: tuple[Input, ...]
    """Named values read, each resolved to its producer, sorted by name."""
    defines: frozenset[str]
    """Names this block binds, mutates or deletes (what later readers resolve to)."""
    after: tuple[BlockId, ...]
    """Order-only upstream blocks (a label in `uses`, a chained or unanalysable block)."""
    unresolved: frozenset[str]
    """Names read that nothing earlier defines: they must be absent when it runs."""
    snapshot: bool = False
    """True for a block that could not be analysed: it saves the whole namespace."""
    files: tuple[str, ...] = ()
    """Paths (relative to the document) whose content is part of the key."""
    problem: str = ""
    """Why this block cannot run (an unknown `uses:` name); it fails, the rest still renders."""
    effects: frozenset[str] = frozenset()
    """Shared state outside the dataflow this block changes and a warm kernel cannot undo:
    module names it mutates (`os`, `matplotlib.pyplot`, a local module), `sys`, `os.environ`.
    When such a block is edited or removed, a warm kernel is restarted before re-running."""
    states_read: frozenset[str] = frozenset()
    """Module states (`module:os`, ...) the block reads, whether or not an earlier block
    changed them: a warm kernel holding a later block's change to one is restarted first."""

    @property
    def id(self) -> BlockId:
        return self.block.id

    def upstream(self) -> tuple[BlockId, ...]:
        """Every block this node waits for, data or order, without repeats."""
        seen = dict.fromkeys(i.producer for i in self.inputs if i.producer is not None)
        seen.update(dict.fromkeys(self.after))
        return tuple(b for b in seen if b is not None)


@dataclass(frozen=True, slots=True)
class Graph:
    """The dataflow of one document for one set of parameters."""

    document: Document
    nodes: tuple[Node, ...]
    """In execution order: topological, ties broken by document order."""
    params: Mapping[str, Any]
    """Parameter values in force (front matter defaults overridden by `-P`)."""
    problems: tuple[Any, ...] = ()
    """GraphErrors of blocks that cannot run; reported after the page is written (exit 2)."""

    def node(self, block_id: BlockId) -> Node:
        for node in self.nodes:
            if node.id == block_id:
                return node
        raise KeyError(block_id)

    def downstream(self, block_id: BlockId) -> list[BlockId]:
        """Every node that depends, directly or not, on `block_id`, in execution order."""
        reached = {block_id}
        out: list[BlockId] = []
        for node in self.nodes:
            if any(up in reached for up in node.upstream()):
                reached.add(node.id)
                out.append(node.id)
        return out


@dataclass(frozen=True, slots=True)
class PlannedBlock:
    """A node with its cache key and whether it must run."""

    node: Node
    key: CacheKey
    components: Mapping[str, Any]
    """The decoded key encoding, kept to explain a miss ("why did this re-run?")."""
    stale: bool
    reason: str
    """Why it runs (`new`, `code changed`, `upstream x changed`, ...); '' when cached; for a
    block that is not stale and has no entry, why it is skipped (`plan.skip_reason`)."""
    entry: Entry | None
    """The cache entry served when not stale."""

    @property
    def id(self) -> BlockId:
        return self.node.id


@dataclass(frozen=True, slots=True)
class Plan:
    graph: Graph
    blocks: tuple[PlannedBlock, ...]
    """In execution order."""

    def stale(self) -> list[PlannedBlock]:
        return [b for b in self.blocks if b.stale]

    def by_id(self) -> dict[BlockId, PlannedBlock]:
        return {b.id: b for b in self.blocks}


@dataclass(frozen=True, slots=True)
class FileRead:
    """A file a block was seen to read, or a directory it listed, as it was after the run."""

    path: str
    """POSIX path relative to the project root."""
    kind: Literal["file", "dir"]
    size: int
    """Bytes of a file; number of names in a directory."""
    mtime_ns: int
    digest: str
    """sha256 of a file's content or of a directory's sorted names; `missing` if absent."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the store keeps for one key: a block's outcome."""

    key: CacheKey
    block: str
    """Block id at the time it ran (informational)."""
    status: Literal["ok", "failed"]
    outputs: tuple[Mapping[str, Any], ...]
    """nbformat v4 outputs; binary payloads replaced by `{"blob": sha}` references."""
    seconds: float
    exports: Mapping[str, Mapping[str, Any]]
    """name -> {"blob": sha, "size": n} | {"absent": True} | {"unsaved": reason}."""
    language_version: str = ""
    created: float = 0.0
    error: str = ""
    """One line naming the failure (ename: evalue, timeout, kernel death)."""
    reads: tuple[FileRead, ...] = ()
    """Files and directories under the project root the block was seen to read."""


@dataclass(frozen=True, slots=True)
class BlockResult:
    """What the page shows for one block after planning and execution."""

    block_id: BlockId
    status: Status
    outputs: tuple[Mapping[str, Any], ...]
    seconds: float
    reason: str
    """Why it executed, or for `not-run` which upstream failed."""
    key: CacheKey | None
    error: str = ""
    expected_error: bool = False
    language_version: str = ""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The outcome of executing a plan."""

    results: Mapping[BlockId, BlockResult]
    seconds: float
    kernel_versions: Mapping[str, str]
    """language -> version string, from kernels started or cache entries."""

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results.values() if r.status == status)

    @property
    def failed(self) -> list[BlockResult]:
        return [r for r in self.results.values() if r.status == "failed" and not r.expected_error]
