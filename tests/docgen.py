"""Hypothesis strategies for the differential test: small documents of Python blocks and edits.

A generated document is a list of blocks over three shared value names (`a`, `b`, `c`,
holding ints, lists of ints or None) and three function names (`f`, `g`, `h`), with prose
between the blocks. Blocks also share state outside the dataflow of names: an environment
variable (`os.environ["NF_W"]`, also through the alias `o` and `from os import environ`),
`sys.path`, an attribute of a standard module (`string.nf_mark`) and a local module
(`nfmod.py`, written beside the document by the test: `LOCAL_MODULE`) whose attributes they
set, append to and print. `h(v)` changes the list passed to it, and is called only as a
statement (`h(a)`, `h(v=a)`), where the analysis sees the change. Every statement is
deterministic: it succeeds or fails the same way on every run. Nothing aliases a value
(no `x = y`, functions return fresh values) and no function changes a value passed to it
inside an expression: those are documented limits of the analysis. `exec(...)` makes a
block unanalysable (a barrier that saves its whole namespace).

Edits are drawn against the current document (`draw_edit`) and applied with `apply_edit`,
which returns a new document; documents are immutable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hypothesis import strategies as st

NAMES = ("a", "b", "c")
LOCAL_MODULE = ("nfmod.py", "value = 0\nitems = []\n")
"""File name and content of the local module the documents import."""
PROSE_WORDS = ("alpha", "beta", "gamma", "delta", "note", "value", "list", "then")

_name = st.sampled_from(NAMES)
_int = st.integers(0, 9)

# Statement kinds with weights: mostly definitions and reads, so that most blocks succeed
# and a render mixes cached and stale blocks; errors stay common enough to be exercised.
KIND_WEIGHTS = {
    "list": 6,
    "print": 3,
    "int": 2,
    "append": 3,
    "plus-list": 3,
    "print-sorted": 2,
    "plus-one": 1,
    "sorted": 2,
    "expr": 2,
    "iadd": 2,
    "setitem": 1,
    "pop": 1,
    "len": 1,
    "count": 1,
    "del": 1,
    "raise": 1,
    "def": 2,
    "call": 2,
    "exec": 1,
    "if": 1,
    "try": 1,
    "call-arg": 2,
    "import-os": 1,
    "env-set": 2,
    "env-print": 2,
    "env-pop": 1,
    "env-alias": 1,
    "env-from": 1,
    "sys-path": 1,
    "sys-print": 1,
    "import-mod": 1,
    "mod-set": 1,
    "mod-append": 1,
    "mod-print": 2,
    "mod-from": 1,
    "string-set": 1,
    "string-print": 1,
}
_kind = st.sampled_from([k for k, w in KIND_WEIGHTS.items() for _ in range(w)])


# Statements that use a module another statement imports; half the time with the import.
_IMPORT_FIRST = {
    "env-set": "import os",
    "env-print": "import os",
    "env-pop": "import os",
    "mod-set": "import nfmod",
    "mod-append": "import nfmod",
}


@st.composite
def statement(draw: Any) -> str:
    """One top-level statement (a function definition is one statement of several lines)."""
    x, y = draw(_name), draw(_name)
    n, m = draw(_int), draw(_int)
    kind = draw(_kind)
    simple = {
        "list": f"{x} = [{n}, {m}]",
        "print": f"print({x})",
        "int": f"{x} = {n}",
        "append": f"{x}.append({n})",
        "plus-list": f"{x} = {y} + [{n}]",
        "print-sorted": f"print(sorted({x}))",
        "plus-one": f"{x} = {y} + 1",
        "sorted": f"{x} = sorted({y})",
        "expr": x,
        "iadd": f"{x} += [{n}]",
        "setitem": f"{x}[0] = {n}",
        "pop": f"{y} = {x}.pop()",
        "len": f"print(len({x}))",
        "count": f"{x}.count({n})",
        "del": f"del {x}",
        "raise": 'raise ValueError("x")',
        "exec": f'exec("{x} = [{n}]")',
        "if": f"if {x}:\n    {y} = [{n}]",
        "try": f"try:\n    {y} = {x} + [{n}]\nexcept TypeError:\n    pass",
        "call-arg": draw(st.sampled_from((f"h({x})", f"h(v={x})"))),
        "import-os": "import os",
        "env-set": f"os.environ['NF_W'] = '{n}'",
        "env-print": "print(os.environ.get('NF_W', 'unset'))",
        "env-pop": "os.environ.pop('NF_W', None)",
        "env-alias": f"import os as o\no.environ['NF_W'] = 'o{n}'",
        "env-from": f"from os import environ\nenviron['NF_W'] = 'e{n}'",
        "sys-path": f"import sys\nsys.path.append('nfdiff{n}')",
        "sys-print": "import sys\nprint([p for p in sys.path if p.startswith('nfdiff')])",
        "import-mod": "import nfmod",
        "mod-set": f"nfmod.value = {n}",
        "mod-append": f"nfmod.items.append({n})",
        "mod-print": draw(
            st.sampled_from(
                (
                    "print(nfmod.value, nfmod.items)",
                    "import nfmod as m\nprint(m.value, m.items)",
                    "from nfmod import value\nprint(value)",
                )
            )
        ),
        "mod-from": f"from nfmod import items\nitems.append({n})",
        "string-set": f"import string\nstring.nf_mark = {n}",
        "string-print": "import string\nprint(getattr(string, 'nf_mark', None))",
    }
    if kind in simple:
        needs = _IMPORT_FIRST.get(kind)
        return f"{needs}\n{simple[kind]}" if needs and draw(st.booleans()) else simple[kind]
    if kind == "def":
        return draw(function_def())
    func = draw(st.sampled_from(("f", "g")))
    return draw(st.sampled_from((f"print({func}())", f"{x} = {func}()", f"{func}()")))


@st.composite
def function_def(draw: Any) -> str:
    """`f` or `g` reading or changing a global; only `f` may call `g` (no recursion);
    `h(v)` changing the list passed to it."""
    func = draw(st.sampled_from(("f", "g", "h")))
    x, n = draw(_name), draw(_int)
    if func == "h":
        body = draw(st.sampled_from((f"v.append({n})", "v.reverse()", "v.sort()", "v.clear()")))
        return f"def h(v):\n    {body}"
    bodies = [
        f"return sorted({x})",
        f"{x}.append({n})",
        f"global {x}\n    {x} = [{n}]",
        f"return len({x})",
    ]
    if func == "f":
        bodies.append("return g()")
    body = draw(st.sampled_from(bodies))
    return f"def {func}():\n    {body}"


@dataclass(frozen=True)
class GenBlock:
    uid: int
    """Unique within a document's history: gives the block a unique label when labelled."""
    stmts: tuple[str, ...]
    echo: bool = True
    label: bool = False
    error: bool = False
    eval: bool = True

    def text(self) -> str:
        lines = ["```{python}"]
        if self.label:
            lines.append(f"#| label: blk{self.uid}")
        if not self.echo:
            lines.append("#| echo: false")
        if self.error:
            lines.append("#| error: true")
        if not self.eval:
            lines.append("#| eval: false")
        lines.extend(self.stmts)
        lines.append("```")
        return "\n".join(lines)


@dataclass(frozen=True)
class GenDoc:
    blocks: tuple[GenBlock, ...]
    prose: tuple[str, ...]
    """One paragraph before each block and one after the last (len(blocks) + 1)."""
    next_uid: int

    def text(self) -> str:
        parts = ["# Differential", ""]
        for prose, block in zip(self.prose, self.blocks, strict=False):
            parts += [prose, "", block.text(), ""]
        parts += [self.prose[-1], ""]
        return "\n".join(parts)


_statements = st.lists(statement(), min_size=1, max_size=3).map(tuple)
_prose = st.lists(st.sampled_from(PROSE_WORDS), min_size=1, max_size=4).map(
    lambda words: " ".join(words).capitalize() + "."
)


@st.composite
def document(draw: Any, max_blocks: int = 5) -> GenDoc:
    stmts = draw(st.lists(_statements, min_size=1, max_size=max_blocks))
    if draw(st.integers(0, 3)) > 0:
        values = draw(st.lists(st.tuples(_int, _int), min_size=3, max_size=3))
        prelude = tuple(f"{x} = [{n}, {m}]" for x, (n, m) in zip(NAMES, values, strict=True))
        stmts = [prelude, *stmts[: max_blocks - 1]]
    blocks = tuple(GenBlock(uid=i, stmts=s) for i, s in enumerate(stmts))
    prose = tuple(draw(st.lists(_prose, min_size=len(blocks) + 1, max_size=len(blocks) + 1)))
    return GenDoc(blocks, prose, len(blocks))


@dataclass(frozen=True)
class Edit:
    kind: str
    """none | code | prose | option | move | insert | delete"""
    index: int = 0
    target: int = 0
    stmts: tuple[str, ...] = ()
    option: str = ""
    text: str = ""

    @property
    def display_only(self) -> bool:
        """An edit that must not make any block run again."""
        return self.kind in ("none", "prose") or (
            self.kind == "option" and self.option in ("echo", "label")
        )


EDIT_KINDS = ("code", "prose", "option", "move", "insert", "delete", "none")


@st.composite
def edit_for(draw: Any, doc: GenDoc) -> Edit:
    """An edit applicable to `doc`."""
    n = len(doc.blocks)
    kinds = [k for k in EDIT_KINDS if not (k == "delete" and n < 2)]
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return Edit("none")
    if kind == "prose":
        return Edit("prose", index=draw(st.integers(0, n)), text=draw(_prose))
    if kind == "insert":
        return Edit("insert", index=draw(st.integers(0, n)), stmts=draw(_statements))
    i = draw(st.integers(0, n - 1))
    if kind == "delete":
        return Edit("delete", index=i)
    if kind == "move":
        return Edit("move", index=i, target=draw(st.integers(0, n - 1)))
    if kind == "option":
        return Edit(
            "option", index=i, option=draw(st.sampled_from(("echo", "label", "error", "eval")))
        )
    return Edit("code", index=i, stmts=draw(code_change(doc.blocks[i].stmts)))


@st.composite
def code_change(draw: Any, old: tuple[str, ...]) -> tuple[str, ...]:
    """A new body: one statement replaced, added or removed, or all of it rewritten."""
    how = draw(st.sampled_from(("replace", "add", "remove", "rewrite")))
    if how == "rewrite" or (how == "remove" and len(old) < 2):
        return draw(_statements)
    j = draw(st.integers(0, len(old) - 1))
    if how == "remove":
        return old[:j] + old[j + 1 :]
    new = draw(statement())
    if how == "replace":
        return (*old[:j], new, *old[j + 1 :])
    j = draw(st.integers(0, len(old)))
    return (*old[:j], new, *old[j:])


def apply_edit(doc: GenDoc, edit: Edit) -> GenDoc:
    blocks, prose = list(doc.blocks), list(doc.prose)
    uid = doc.next_uid
    if edit.kind == "prose":
        prose[edit.index] = edit.text
    elif edit.kind == "code":
        blocks[edit.index] = replace(blocks[edit.index], stmts=edit.stmts)
    elif edit.kind == "option":
        block = blocks[edit.index]
        if edit.option == "echo":
            blocks[edit.index] = replace(block, echo=not block.echo)
        elif edit.option == "label":
            blocks[edit.index] = replace(block, label=not block.label)
        elif edit.option == "error":
            blocks[edit.index] = replace(block, error=not block.error)
        else:
            blocks[edit.index] = replace(block, eval=not block.eval)
    elif edit.kind == "move":
        blocks.insert(edit.target, blocks.pop(edit.index))
    elif edit.kind == "insert":
        blocks.insert(edit.index, GenBlock(uid=uid, stmts=edit.stmts))
        prose.insert(edit.index, "Inserted.")
        uid += 1
    elif edit.kind == "delete":
        del blocks[edit.index]
        del prose[edit.index]
    return GenDoc(tuple(blocks), tuple(prose), uid)
