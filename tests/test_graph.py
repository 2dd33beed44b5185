"""Tests for noteflow.graph: which block each value is read from, and the execution order.

One table of small documents. Each case lists its blocks as code (option lines included;
a string starting with `` `{python} `` is an inline expression in a paragraph) and what
the graph must say:

- `inputs`: block id -> sorted [(name, producer id, or None for a parameter)]. Every
  block not listed must read nothing.
- `states`: block id -> sorted [(module state, producer id)]: the module states
  (`module:os`; `module:sys` is the process: `sys.path`, the environment) it reads from
  earlier blocks (unlisted: none).
- `effects`: block id -> the shared state it changes, `Node.effects` (unlisted: none).
- `after`: block id -> order-only upstream ids (unlisted: none).
- `unresolved`: block id -> names read that nothing earlier defines (unlisted: none).
- `snapshot`: ids of blocks that cannot be analysed (unlisted: analysable).
- `defines`, `files`: block id -> expected value, checked for the listed blocks only.
- `order`: every block id, in execution order.

The errors table: document -> the error's line, a piece of its message and its whole hint.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from noteflow.errors import NoteflowError
from noteflow.graph import build_graph
from noteflow.model import BlockId, Graph
from noteflow.parse import parse_document
from noteflow.pyanalysis import is_module_state

Inputs = list[tuple[str, str | None]]


@dataclass
class Case:
    blocks: list[str]
    order: str
    inputs: dict[str, Inputs] = field(default_factory=dict)
    states: dict[str, Inputs] = field(default_factory=dict)
    effects: dict[str, list[str]] = field(default_factory=dict)
    after: dict[str, list[str]] = field(default_factory=dict)
    unresolved: dict[str, list[str]] = field(default_factory=dict)
    snapshot: list[str] = field(default_factory=list)
    defines: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    front: str = ""
    overrides: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    disk: dict[str, str] = field(default_factory=dict)
    """Files to create, relative to the document's folder (`../x` lands beside it)."""


def document_text(blocks: list[str], front: str = "") -> str:
    parts = []
    if front:
        parts.append("---\n" + textwrap.dedent(front).strip("\n") + "\n---\n")
    for block in blocks:
        body = textwrap.dedent(block).strip("\n")
        parts.append(body + "\n" if body.startswith("`{") else f"```{{python}}\n{body}\n```\n")
    return "\n".join(parts)


def make_graph(
    tmp_path: Path,
    blocks: list[str],
    front: str = "",
    overrides: dict[str, Any] | None = None,
    disk: dict[str, str] | None = None,
) -> Graph:
    folder = tmp_path / "doc"
    folder.mkdir()
    for name, content in (disk or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    path = folder / "doc.md"
    text = document_text(blocks, front)
    path.write_text(text, encoding="utf-8")
    return build_graph(parse_document(path, text), overrides)


P = "params:\n  n: 3\n  region: all"
SYS_2 = ("module:sys", "python-2")
SYS_3 = ("module:sys", "python-3")

CASES: list[Any] = [
    # ---- latest earlier definer
    pytest.param(
        Case(
            ["x = 1", "x = 2", "y = x"],
            inputs={"python-3": [("x", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="latest-earlier-definer",
    ),
    pytest.param(
        Case(
            ["x = 1", "y = x", "x = 2"],
            inputs={"python-2": [("x", "python-1")]},
            order="python-1 python-2 python-3",
        ),
        id="later-redefinition-does-not-count",
    ),
    pytest.param(
        Case(
            ["a = 1", "b = 2", "c = a + b", "d = a"],
            inputs={
                "python-3": [("a", "python-1"), ("b", "python-2")],
                "python-4": [("a", "python-1")],
            },
            order="python-1 python-2 python-3 python-4",
        ),
        id="only-the-names-read",
    ),
    pytest.param(
        Case(
            ["x = 1", "x = x + 1", "print(x)"],
            inputs={"python-2": [("x", "python-1")], "python-3": [("x", "python-2")]},
            defines={"python-2": ["x"], "python-3": []},
            order="python-1 python-2 python-3",
        ),
        id="read-then-redefine",
    ),
    pytest.param(
        Case(["print(len([1, 2]))\nobject()"], order="python-1"),
        id="builtins-are-not-inputs",
    ),
    pytest.param(
        Case(
            ["#| label: load\nx = 1", "y = x"],
            inputs={"python-2": [("x", "load")]},
            order="load python-2",
        ),
        id="labelled-producer",
    ),
    # ---- mutation is definition
    pytest.param(
        Case(
            ["items = []", "items.append(1)", "n = len(items)"],
            inputs={"python-2": [("items", "python-1")], "python-3": [("items", "python-2")]},
            defines={"python-2": ["items"]},
            order="python-1 python-2 python-3",
        ),
        id="mutation-by-method-call",
    ),
    pytest.param(
        Case(
            ["items = [1, 2]", "last = items.pop()", "print(items)"],
            inputs={"python-2": [("items", "python-1")], "python-3": [("items", "python-2")]},
            defines={"python-2": ["items", "last"]},
            order="python-1 python-2 python-3",
        ),
        id="mutating-method-inside-an-expression",
    ),
    pytest.param(
        Case(
            ["d = {'a': 1}", "d.keys()", "print(d)"],
            inputs={"python-2": [("d", "python-1")], "python-3": [("d", "python-1")]},
            defines={"python-2": []},
            order="python-1 python-2 python-3",
        ),
        id="read-only-method-is-not-a-mutation",
    ),
    pytest.param(
        Case(
            ["d = {}", "d['k'] = 1", "print(d)"],
            inputs={"python-2": [("d", "python-1")], "python-3": [("d", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="item-assignment",
    ),
    pytest.param(
        Case(
            ["class C:\n    pass\nc = C()", "c.a = 1", "print(c.a)"],
            inputs={"python-2": [("c", "python-1")], "python-3": [("c", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="attribute-assignment",
    ),
    pytest.param(
        Case(
            ["x = 1", "x += 1", "print(x)"],
            inputs={"python-2": [("x", "python-1")], "python-3": [("x", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="augmented-assignment",
    ),
    pytest.param(
        Case(
            ["x = 1", "del x", "print(x)"],
            inputs={"python-2": [("x", "python-1")], "python-3": [("x", "python-2")]},
            defines={"python-2": ["x"]},
            order="python-1 python-2 python-3",
        ),
        id="del-name",
    ),
    pytest.param(
        Case(
            ["d = {'a': 1}", "del d['a']", "print(d)"],
            inputs={"python-2": [("d", "python-1")], "python-3": [("d", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="del-item",
    ),
    pytest.param(
        Case(
            ["items = []", "alias = items\nalias.append(1)", "print(items)"],
            inputs={"python-2": [("items", "python-1")], "python-3": [("items", "python-1")]},
            order="python-1 python-2 python-3",
        ),
        id="mutation-through-an-alias-is-not-seen",
    ),
    pytest.param(
        Case(
            ["items = []", "#| exports: [items]\nalias = items\nalias.append(1)", "print(items)"],
            inputs={"python-2": [("items", "python-1")], "python-3": [("items", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="exports-declares-the-alias-mutation",
    ),
    # ---- names nothing earlier defines
    pytest.param(
        Case(
            ["y = x", "x = 1"],
            unresolved={"python-1": ["x"]},
            order="python-1 python-2",
        ),
        id="defined-later-is-unresolved",
    ),
    pytest.param(
        Case(["print(nowhere)"], unresolved={"python-1": ["nowhere"]}, order="python-1"),
        id="never-defined-is-unresolved",
    ),
    # ---- functions carry their globals
    pytest.param(
        Case(
            ["g = 1", "def f():\n    return g", "g = 2", "f()"],
            inputs={"python-4": [("f", "python-2"), ("g", "python-3")]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="function-reads-global-at-the-caller",
    ),
    pytest.param(
        Case(
            ["def f():\n    return g", "g = 1", "r = f()", "print(r)"],
            inputs={
                "python-3": [("f", "python-1"), ("g", "python-2")],
                # r was made by f, so it carries f's globals (safe over-approximation)
                "python-4": [("g", "python-2"), ("r", "python-3")],
            },
            order="python-1 python-2 python-3 python-4",
        ),
        id="function-global-defined-after-the-function",
    ),
    pytest.param(
        Case(
            ["def f():\n    return g", "f()", "g = 1"],
            inputs={"python-2": [("f", "python-1")]},
            unresolved={"python-2": ["g"]},
            order="python-1 python-2 python-3",
        ),
        id="function-global-defined-after-the-call",
    ),
    pytest.param(
        Case(
            ["def h():\n    return g", "def f():\n    return h()", "g = 1", "f()"],
            inputs={"python-4": [("f", "python-2"), ("g", "python-3"), ("h", "python-1")]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="function-globals-are-transitive",
    ),
    pytest.param(
        Case(
            ["acc = []", "def add(v):\n    acc.append(v)", "add(1)", "print(acc)"],
            inputs={
                "python-3": [("acc", "python-1"), ("add", "python-2")],
                "python-4": [("acc", "python-3")],
            },
            defines={"python-3": ["acc"]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="function-mutates-a-global",
    ),
    pytest.param(
        Case(
            ["n = 0", "def bump():\n    global n\n    n += 1", "bump()", "print(n)"],
            inputs={
                "python-2": [("n", "python-1")],
                "python-3": [("bump", "python-2"), ("n", "python-2")],
                "python-4": [("n", "python-3")],
            },
            defines={"python-2": ["bump", "n"], "python-3": ["n"]},
            order="python-1 python-2 python-3 python-4",
        ),
        # Defining `bump` counts as defining `n` (pyanalysis), so the block also reads the
        # `n` it passes on: `n = 0` -> `n = 10` must re-run python-2 and what follows.
        id="function-assigns-a-global",
    ),
    pytest.param(
        Case(
            ["x = 0", "c = False", "if c:\n    x = 1", "print(x)"],
            inputs={
                "python-3": [("c", "python-2"), ("x", "python-1")],
                "python-4": [("x", "python-3")],
            },
            order="python-1 python-2 python-3 python-4",
        ),
        # When `c` is false the block passes the incoming `x` on (its saved `x` is that
        # value), so it reads `x`: editing `x = 0` must re-run python-3 and python-4.
        id="conditional-definition-reads-the-incoming-value",
    ),
    pytest.param(
        Case(
            ["def f():\n    return g", "f.calls = 0", "g = 1", "f()"],
            inputs={
                "python-2": [("f", "python-1")],
                "python-4": [("f", "python-2"), ("g", "python-3")],
            },
            unresolved={"python-2": ["g"]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="function-mutated-after-its-definition-keeps-its-globals",
    ),
    pytest.param(
        Case(
            ["class A:\n    def m(self):\n        return g", "g = 1", "A().m()"],
            inputs={"python-3": [("A", "python-1"), ("g", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="class-method-reads-a-global",
    ),
    pytest.param(
        Case(
            ["k = 2", "f = lambda v: v * k", "k = 3", "f(1)"],
            inputs={
                "python-2": [("k", "python-1")],
                "python-4": [("f", "python-2"), ("k", "python-3")],
            },
            order="python-1 python-2 python-3 python-4",
        ),
        id="lambda-reads-a-global",
    ),
    pytest.param(
        Case(
            [
                "class A:\n    def m(self):\n        return g",
                "g = 1",
                "a = A()",
                "g = 2",
                "a.m()",
            ],
            inputs={
                "python-3": [("A", "python-1"), ("g", "python-2")],
                "python-5": [("a", "python-3"), ("g", "python-4")],
            },
            order="python-1 python-2 python-3 python-4 python-5",
        ),
        id="method-of-an-instance-reads-a-redefined-global",
    ),
    # ---- shared state: modules are shared objects, call statements change their arguments
    pytest.param(
        Case(
            ["import os\nos.environ['M'] = 'b'", "import os\nprint(os.environ['M'])"],
            effects={"python-1": ["os"]},
            states={"python-2": [("module:os", "python-1"), ("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        id="import-reads-an-earlier-mutation-of-the-module",
    ),
    pytest.param(
        Case(
            ["import os as o\no.environ['M'] = 'b'", "import os\nprint(os.environ['M'])"],
            effects={"python-1": ["os"]},
            states={"python-2": [("module:os", "python-1"), ("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        id="mutation-through-another-alias",
    ),
    pytest.param(
        Case(
            ["import os", "os.environ['M'] = 'b'", "import os\nprint(os.environ['M'])"],
            inputs={"python-2": [("os", "python-1")]},
            effects={"python-2": ["os"]},
            states={"python-3": [("module:os", "python-2"), ("module:sys", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="mutation-of-a-module-an-earlier-block-imported",
    ),
    pytest.param(
        Case(
            ["import os", "import os as o\no.environ['M'] = 'b'", "print(os.environ['M'])"],
            inputs={"python-3": [("os", "python-1")]},
            effects={"python-2": ["os"]},
            states={"python-3": [("module:os", "python-2"), ("module:sys", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="reading-a-name-bound-to-a-module-reads-its-state",
    ),
    pytest.param(
        Case(
            ["from os import environ\nenviron['M'] = 'b'", "import os\nprint(os.getenv('M'))"],
            effects={"python-1": ["os", "os.environ"]},
            states={"python-2": [("module:os", "python-1"), ("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        id="from-import-item-mutates-its-module",
    ),
    pytest.param(
        Case(
            [
                "import os\nos.environ['W'] = '1'",
                "import subprocess as sp\nprint(sp.getoutput('echo $W'))",
            ],
            effects={"python-1": ["os"]},
            states={"python-2": [("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        # The environment is the process's: a subprocess sees it without importing os.
        id="environment-is-read-by-every-later-block",
    ),
    pytest.param(
        Case(
            ["import sys\nsys.path.insert(0, 'lib')", "import mylib", "x = 1"],
            effects={"python-1": ["sys"]},
            states={
                "python-2": [("module:sys", "python-1")],
                "python-3": [("module:sys", "python-1")],
            },
            order="python-1 python-2 python-3",
        ),
        id="sys-path-is-read-by-every-later-block",
    ),
    pytest.param(
        Case(
            [
                "import matplotlib.pyplot as plt\nplt.rcParams['font.size'] = 9",
                "import matplotlib\nprint(matplotlib.rcParams['font.size'])",
                "from matplotlib import pyplot\nprint(pyplot.rcParams['font.size'])",
            ],
            effects={"python-1": ["matplotlib", "matplotlib.pyplot"]},
            states={
                "python-2": [("module:matplotlib", "python-1")],
                "python-3": [
                    ("module:matplotlib", "python-1"),
                    ("module:matplotlib.pyplot", "python-1"),
                ],
            },
            order="python-1 python-2 python-3",
        ),
        # A submodule's state is its package's too: plt.rcParams is matplotlib.rcParams.
        id="submodule-mutation-changes-its-package",
    ),
    pytest.param(
        Case(
            ["import matplotlib\nmatplotlib.use('Agg')", "import matplotlib.pyplot as plt"],
            effects={"python-1": ["matplotlib"]},
            states={"python-2": [("module:matplotlib", "python-1")]},
            order="python-1 python-2",
        ),
        id="importing-a-submodule-reads-its-package",
    ),
    pytest.param(
        Case(
            [
                "import mylib\nmylib.counter = 5",
                "import mylib as m\nprint(m.counter)",
                "from mylib import counter\nprint(counter)",
            ],
            disk={"mylib.py": "counter = 0\n"},
            effects={"python-1": ["mylib"]},
            states={
                "python-2": [("module:mylib", "python-1")],
                "python-3": [("module:mylib", "python-1")],
            },
            order="python-1 python-2 python-3",
        ),
        id="local-module-mutation",
    ),
    pytest.param(
        Case(
            [
                "import mylib\nmylib.items.append(1)",
                "import mylib\nmylib.items.append(2)",
                "import mylib\nprint(mylib.items)",
            ],
            disk={"mylib.py": "items = []\n"},
            effects={"python-1": ["mylib"], "python-2": ["mylib"]},
            states={
                "python-2": [("module:mylib", "python-1")],
                "python-3": [("module:mylib", "python-2")],
            },
            order="python-1 python-2 python-3",
        ),
        id="module-mutations-chain",
    ),
    pytest.param(
        Case(
            [
                "import os\ndef setup():\n    os.environ['W'] = '1'",
                "setup()",
                "import os\nprint(os.environ['W'])",
            ],
            inputs={"python-2": [("os", "python-1"), ("setup", "python-1")]},
            effects={"python-2": ["os"]},
            states={"python-3": [("module:os", "python-2"), ("module:sys", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="function-that-mutates-a-module-when-called",
    ),
    pytest.param(
        Case(
            [
                "def setup():\n    import os\n    os.environ['W'] = '1'",
                "setup()",
                "import os\nprint(os.environ['W'])",
            ],
            inputs={"python-2": [("setup", "python-1")]},
            effects={"python-2": ["os"]},
            states={"python-3": [("module:os", "python-2"), ("module:sys", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="function-importing-and-mutating-a-module-when-called",
    ),
    pytest.param(
        Case(
            ["from random import seed\nseed(1)", "import random\nprint(random.random())"],
            effects={"python-1": ["random", "random.seed"]},
            states={"python-2": [("module:random", "python-1")]},
            order="python-1 python-2",
        ),
        id="call-statement-of-a-function-imported-from-a-module",
    ),
    pytest.param(
        Case(
            ["deck = [1, 2, 3]", "import random\nrandom.shuffle(deck)", "print(deck)"],
            inputs={"python-2": [("deck", "python-1")], "python-3": [("deck", "python-2")]},
            effects={"python-2": ["random"]},
            order="python-1 python-2 python-3",
        ),
        id="call-statement-mutates-its-argument",
    ),
    pytest.param(
        Case(
            ["items = []", "def add(v):\n    v.append(1)", "add(items)", "print(items)"],
            inputs={
                "python-3": [("add", "python-2"), ("items", "python-1")],
                "python-4": [("items", "python-3")],
            },
            order="python-1 python-2 python-3 python-4",
        ),
        id="call-statement-of-a-document-function",
    ),
    pytest.param(
        Case(
            [
                "a = [1]\nb = [2]\nc = {}",
                "def f(*args, **kwargs):\n    pass",
                "f(a, *b, **c)",
                "f(key=a)",
                "print(a, b, c)",
            ],
            inputs={
                "python-3": [
                    ("a", "python-1"),
                    ("b", "python-1"),
                    ("c", "python-1"),
                    ("f", "python-2"),
                ],
                "python-4": [("a", "python-3"), ("f", "python-2")],
                "python-5": [("a", "python-4"), ("b", "python-3"), ("c", "python-3")],
            },
            order="python-1 python-2 python-3 python-4 python-5",
        ),
        id="call-statement-starred-and-keyword-arguments",
    ),
    pytest.param(
        Case(
            ["xs = [3, 1]", "def f(v):\n    return v", "y = f(xs)\nprint(f(xs))", "print(xs)"],
            inputs={
                "python-3": [("f", "python-2"), ("xs", "python-1")],
                "python-4": [("xs", "python-1")],
            },
            defines={"python-3": ["y"]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="calls-inside-expressions-do-not-mutate",
    ),
    pytest.param(
        Case(
            ["xs = [1]", "def f(v):\n    return v", "def g(v):\n    pass", "g(f(xs))", "print(xs)"],
            inputs={
                "python-4": [("f", "python-2"), ("g", "python-3"), ("xs", "python-1")],
                "python-5": [("xs", "python-1")],
            },
            order="python-1 python-2 python-3 python-4 python-5",
        ),
        id="nested-call-in-a-call-statement-does-not-mutate",
    ),
    pytest.param(
        Case(
            ["xs = [1]", "print(xs)\nlen(xs)", "xs"],
            inputs={"python-2": [("xs", "python-1")], "python-3": [("xs", "python-1")]},
            defines={"python-2": []},
            order="python-1 python-2 python-3",
        ),
        id="read-only-function-statements-do-not-mutate",
    ),
    pytest.param(
        Case(
            ["import importlib\nimport mylib", "importlib.reload(mylib)", "import mylib"],
            disk={"mylib.py": "x = 1\n"},
            inputs={"python-2": [("importlib", "python-1"), ("mylib", "python-1")]},
            effects={"python-2": ["importlib", "mylib"]},
            states={"python-3": [("module:mylib", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="reload-is-a-call-statement-on-the-module",
    ),
    # ---- blocks that cannot be analysed
    pytest.param(
        Case(
            ["a = 1", "exec('b = 2')", "c = 3", "print(a, b, c)"],
            inputs={
                "python-2": [("a", "python-1")],
                "python-4": [
                    ("a", "python-2"),
                    ("b", "python-2"),
                    ("c", "python-3"),
                    ("print", "python-2"),
                ],
            },
            after={"python-2": ["python-1"], "python-3": ["python-2"], "python-4": ["python-2"]},
            snapshot=["python-2"],
            effects={"python-2": ["*"]},
            states={"python-3": [SYS_2], "python-4": [SYS_2]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="exec-is-a-barrier",
    ),
    pytest.param(
        Case(
            ["a = 1", "b = 2", "from os.path import *", "print(join(a))"],
            inputs={
                "python-3": [("a", "python-1"), ("b", "python-2")],
                "python-4": [("a", "python-3"), ("join", "python-3"), ("print", "python-3")],
            },
            after={"python-3": ["python-1", "python-2"], "python-4": ["python-3"]},
            snapshot=["python-3"],
            effects={"python-3": ["*"]},
            states={"python-4": [SYS_3]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="import-star-is-a-barrier",
    ),
    pytest.param(
        Case(
            ["x = 1", "v = globals()['x']", "x = 2", "print(x)"],
            inputs={
                "python-2": [("x", "python-1")],
                "python-4": [("print", "python-2"), ("x", "python-3")],
            },
            after={"python-2": ["python-1"], "python-3": ["python-2"], "python-4": ["python-2"]},
            snapshot=["python-2"],
            effects={"python-2": ["*"]},
            states={"python-3": [SYS_2], "python-4": [SYS_2]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="definition-after-a-barrier-wins",
    ),
    pytest.param(
        Case(
            ["x = 1", "def broken(:\n    pass", "y = x"],
            inputs={"python-2": [("x", "python-1")], "python-3": [("x", "python-2")]},
            after={"python-2": ["python-1"], "python-3": ["python-2"]},
            snapshot=["python-2"],
            effects={"python-2": ["*"]},
            states={"python-3": [SYS_2]},
            order="python-1 python-2 python-3",
        ),
        id="syntax-error-is-a-barrier",
    ),
    pytest.param(
        Case(
            ["x = 1", "%run setup.py", "y = x"],
            inputs={"python-2": [("x", "python-1")], "python-3": [("x", "python-2")]},
            after={"python-2": ["python-1"], "python-3": ["python-2"]},
            snapshot=["python-2"],
            effects={"python-2": ["*"]},
            states={"python-3": [SYS_2]},
            order="python-1 python-2 python-3",
        ),
        id="run-magic-is-a-barrier",
    ),
    pytest.param(
        Case(
            ["exec('pass')", "display(1)\nprint(__name__, exit)"],
            inputs={"python-2": [("print", "python-1")]},
            after={"python-2": ["python-1"]},
            snapshot=["python-1"],
            effects={"python-1": ["*"]},
            states={"python-2": [("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        # A snapshot leaves out what the kernel starts with; reading those names from it
        # used to delete them from the namespace (NameError: exit, __name__ == "builtins").
        id="kernel-names-are-not-read-from-a-barrier",
    ),
    pytest.param(
        Case(
            ["exec('y = n')", "z = n"],
            front=P,
            inputs={"python-1": [("n", None), ("region", None)], "python-2": [("n", "python-1")]},
            after={"python-2": ["python-1"]},
            snapshot=["python-1"],
            effects={"python-1": ["*"]},
            states={"python-2": [("module:sys", "python-1")]},
            order="python-1 python-2",
        ),
        # A barrier reads every value, parameters included (they reach a kernel only as
        # inputs); it used to read none, so `n` was missing both in it and after it.
        id="barrier-reads-the-parameters",
    ),
    # ---- parameters
    pytest.param(
        Case(
            ["y = n * 2", "print(region, n)"],
            front=P,
            inputs={
                "python-1": [("n", None)],
                "python-2": [("n", None), ("region", None)],
            },
            params={"n": 3, "region": "all"},
            order="python-1 python-2",
        ),
        id="params-read-by-blocks",
    ),
    pytest.param(
        Case(
            ["y = n", "n = 5", "z = n"],
            front=P,
            inputs={"python-1": [("n", None)], "python-3": [("n", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="block-definition-shadows-a-param",
    ),
    pytest.param(
        Case(
            ["y = n"],
            front=P,
            overrides={"n": 10},
            inputs={"python-1": [("n", None)]},
            params={"n": 10, "region": "all"},
            order="python-1",
        ),
        id="override-changes-the-value-not-the-edges",
    ),
    # ---- uses
    pytest.param(
        Case(
            ["x = 1", "#| uses: [x]\nprint(1)"],
            inputs={"python-2": [("x", "python-1")]},
            order="python-1 python-2",
        ),
        id="uses-a-value",
    ),
    pytest.param(
        Case(
            ["x = 1", "y = 2", "#| uses: x, y\npass"],
            inputs={"python-3": [("x", "python-1"), ("y", "python-2")]},
            order="python-1 python-2 python-3",
        ),
        id="uses-as-a-comma-separated-string",
    ),
    pytest.param(
        Case(
            ["#| uses: [n]\npass"],
            front=P,
            inputs={"python-1": [("n", None)]},
            order="python-1",
        ),
        id="uses-a-param",
    ),
    pytest.param(
        Case(
            ["#| label: setup\nimport os\nos.chdir('/')", "#| uses: [setup]\nprint(1)"],
            after={"python-2": ["setup"]},
            effects={"setup": ["os"]},
            states={"python-2": [("module:sys", "setup")]},
            order="setup python-2",
        ),
        id="uses-a-label-is-order-only",
    ),
    pytest.param(
        Case(
            ["#| uses: [later]\nprint(1)", "#| label: later\nx = 1"],
            after={"python-1": ["later"]},
            order="later python-1",
        ),
        id="uses-a-later-label-reorders",
    ),
    pytest.param(
        Case(
            ["#| uses: [x]\nprint(x)", "x = 1", "x = 2"],
            inputs={"python-1": [("x", "python-2")]},
            order="python-2 python-1 python-3",
        ),
        id="uses-forward-reference-reorders",
    ),
    pytest.param(
        Case(
            ["a = 1", "b = 2", "#| uses: [c]\nprint(a)", "c = 3"],
            inputs={"python-3": [("a", "python-1"), ("c", "python-4")]},
            order="python-1 python-2 python-4 python-3",
        ),
        id="ties-broken-by-document-order",
    ),
    # ---- exports
    pytest.param(
        Case(
            ["#| exports: [x]\nfill()", "print(x)"],
            inputs={"python-2": [("x", "python-1")]},
            unresolved={"python-1": ["fill"]},
            defines={"python-1": ["x"]},
            order="python-1 python-2",
        ),
        id="exports-defines-a-name",
    ),
    pytest.param(
        Case(
            ["#| uses: [x]\nprint(x)", "#| exports: [x]\nfill()"],
            inputs={"python-1": [("x", "python-2")]},
            unresolved={"python-2": ["fill"]},
            order="python-2 python-1",
        ),
        id="uses-a-later-export",
    ),
    # ---- eval: false
    pytest.param(
        Case(
            ["x = 1", "#| eval: false\nx = 2\nprint(nowhere)", "print(x)"],
            inputs={"python-3": [("x", "python-1")]},
            defines={"python-2": []},
            order="python-1 python-2 python-3",
        ),
        id="eval-false-defines-and-reads-nothing",
    ),
    pytest.param(
        Case(
            ["#| eval: false\n#| exports: [x]\nx = 1", "print(x)"],
            unresolved={"python-2": ["x"]},
            order="python-1 python-2",
        ),
        id="eval-false-exports-nothing",
    ),
    # ---- files
    pytest.param(
        Case(
            ["#| files: data/sales.csv\nx = 1"],
            disk={"data/sales.csv": "a,b\n"},
            files={"python-1": ["data/sales.csv"]},
            order="python-1",
        ),
        id="files-existing",
    ),
    pytest.param(
        Case(
            ["#| files: ['data/*.csv', data/b.csv]\nx = 1"],
            disk={"data/b.csv": "", "data/a.csv": "", "data/c.txt": ""},
            files={"python-1": ["data/a.csv", "data/b.csv"]},
            order="python-1",
        ),
        id="files-glob-sorted-without-repeats",
    ),
    pytest.param(
        Case(
            ["#| files: data\nx = 1"],
            disk={"data/a.csv": "", "data/sub/b.csv": ""},
            files={"python-1": ["data/a.csv", "data/sub/b.csv"]},
            order="python-1",
        ),
        # A directory used to match and contribute no file: its content never reached the key.
        id="files-directory-means-its-files",
    ),
    pytest.param(
        Case(
            ["#| files: ../shared.csv\nx = 1"],
            disk={"../shared.csv": ""},
            files={"python-1": ["../shared.csv"]},
            order="python-1",
        ),
        id="files-outside-the-document-folder",
    ),
    pytest.param(
        Case(
            ["#| files: 'data[1].csv'\nx = 1"],
            disk={"data[1].csv": ""},
            files={"python-1": ["data[1].csv"]},
            order="python-1",
        ),
        id="files-literal-name-with-glob-characters",
    ),
    # ---- IPython syntax
    pytest.param(
        Case(
            ["%matplotlib inline\nimport math", "x = !ls", "%time y = len(x)", "print(x, y)"],
            inputs={
                "python-3": [("x", "python-2")],
                "python-4": [("x", "python-2"), ("y", "python-3")],
            },
            defines={"python-1": ["math"], "python-2": ["x"], "python-3": ["y"]},
            # a magic's body is not counted as binding for certain, so y is also read
            unresolved={"python-3": ["y"]},
            order="python-1 python-2 python-3 python-4",
        ),
        id="magics-and-shell-escapes",
    ),
    # ---- inline expressions
    pytest.param(
        Case(
            ["`{python} x` before", "x = 1", "`{python} x + 1` is the total."],
            inputs={"inline-2": [("x", "python-1")]},
            unresolved={"inline-1": ["x"]},
            order="inline-1 python-1 inline-2",
        ),
        id="inline-expressions",
    ),
]


def _pairs(graph: Graph, block_id: str) -> Inputs:
    inputs = graph.node(BlockId(block_id)).inputs
    return [(i.name, i.producer) for i in inputs if not is_module_state(i.name)]


def _states(graph: Graph, block_id: str) -> Inputs:
    inputs = graph.node(BlockId(block_id)).inputs
    return [(i.name, i.producer) for i in inputs if is_module_state(i.name)]


@pytest.mark.parametrize("case", CASES)
def test_graph(case: Case, tmp_path: Path) -> None:
    graph = make_graph(tmp_path, case.blocks, case.front, case.overrides, case.disk)
    ids = [node.id for node in graph.nodes]
    assert ids == case.order.split()
    for block_id in ids:
        node = graph.node(block_id)
        assert _pairs(graph, block_id) == sorted(case.inputs.get(block_id, [])), block_id
        assert _states(graph, block_id) == sorted(case.states.get(block_id, [])), block_id
        assert sorted(node.effects) == sorted(case.effects.get(block_id, [])), block_id
        assert all(i.param == (i.producer is None) for i in node.inputs), block_id
        assert list(node.after) == case.after.get(block_id, []), block_id
        assert sorted(node.unresolved) == sorted(case.unresolved.get(block_id, [])), block_id
        assert node.snapshot == (block_id in case.snapshot), block_id
        if block_id in case.defines:
            assert sorted(node.defines) == sorted(case.defines[block_id]), block_id
        if block_id in case.files:
            assert list(node.files) == case.files[block_id], block_id
    if case.params is not None:
        assert dict(graph.params) == case.params


def test_table_size() -> None:
    assert len(CASES) >= 55


def test_downstream_follows_data_and_order_edges(tmp_path: Path) -> None:
    graph = make_graph(
        tmp_path,
        ["#| label: a\nx = 1", "y = x", "#| uses: [a]\npass", "z = 1", "w = y"],
    )
    assert graph.downstream(BlockId("a")) == ["python-2", "python-3", "python-5"]


def test_files_absolute_path(tmp_path: Path) -> None:
    """An absolute path outside the document's folder used to crash (`relative_to`)."""
    outside = tmp_path / "elsewhere" / "data.csv"
    outside.parent.mkdir()
    outside.write_text("1\n", encoding="utf-8")
    graph = make_graph(tmp_path, [f"#| files: {outside}\nx = 1"])
    assert graph.node(BlockId("python-1")).files == ("../elsewhere/data.csv",)


# --------------------------------------------------------------------------- errors


CYCLE_HINT = "break the cycle by removing one of these `uses:` entries"
DEFINE_HINT = "define it in an earlier block or add it to `exports:`"


@dataclass
class ErrorCase:
    blocks: list[str]
    line: int | None
    message: str
    hint: str | None
    """The whole hint; None: the error has none."""
    front: str = ""
    overrides: dict[str, Any] | None = None


ERRORS: list[Any] = [
    pytest.param(
        ErrorCase(
            ["totl = 1", "#| uses: [total]\nprint(1)"],
            line=5,
            message="block 'python-2' uses 'total', which no block defines or exports",
            hint="did you mean 'totl'?",
        ),
        id="unknown-uses-name-did-you-mean",
    ),
    pytest.param(
        ErrorCase(
            ["#| uses: [zzz]\nprint(1)"],
            line=1,
            message="uses 'zzz'",
            hint=DEFINE_HINT,
        ),
        id="unknown-uses-name",
    ),
    pytest.param(
        ErrorCase(
            ["#| uses: [regoin]\nprint(1)"],
            front=P,
            line=7,
            message="uses 'regoin'",
            hint="did you mean 'region'?",
        ),
        id="unknown-uses-name-close-to-a-param",
    ),
    pytest.param(
        ErrorCase(
            ["#| eval: false\n#| exports: [x]\nfill()", "#| uses: [x]\nprint(x)"],
            line=7,
            message="uses 'x', which no block defines or exports",
            hint=DEFINE_HINT,
        ),
        # It used to be resolved to the block that never runs.
        id="uses-a-name-only-an-eval-false-block-exports",
    ),
    pytest.param(
        ErrorCase(
            ["#| label: a\n#| uses: [b]\nx = 1", "#| label: b\n#| uses: [a]\ny = 2"],
            line=1,
            message="dependency cycle: a -> b -> a",
            hint=CYCLE_HINT,
        ),
        id="cycle-via-uses",
    ),
    pytest.param(
        ErrorCase(
            [
                "x = 1",
                "#| label: a\n#| uses: [c]\npass",
                "#| label: b\n#| uses: [a]\npass",
                "#| label: c\n#| uses: [b]\npass",
            ],
            line=5,
            message="dependency cycle: a -> c -> b -> a",
            hint=CYCLE_HINT,
        ),
        id="cycle-of-three",
    ),
    pytest.param(
        ErrorCase(
            ["#| uses: [y]\nx = 1", "y = x"],
            line=1,
            message="dependency cycle: python-1 -> python-2 -> python-1",
            hint=CYCLE_HINT,
        ),
        id="cycle-via-a-forward-value",
    ),
    pytest.param(
        ErrorCase(
            ["#| label: a\n#| uses: [a]\nx = 1"],
            line=1,
            message="dependency cycle: a -> a",
            hint=CYCLE_HINT,
        ),
        id="block-uses-itself",
    ),
    pytest.param(
        ErrorCase(
            ["x = region"],
            front=P,
            overrides={"regoin": "north"},
            line=None,
            message="unknown parameter 'regoin' given with -P",
            hint="did you mean 'region'?",
        ),
        id="unknown-override-did-you-mean",
    ),
    pytest.param(
        ErrorCase(
            ["x = 1"],
            overrides={"n": 1},
            line=None,
            message="unknown parameter 'n' given with -P",
            hint="declare it under `params:` in the front matter",
        ),
        id="override-without-params",
    ),
    pytest.param(
        ErrorCase(
            ["x = 1"],
            front="params: [a, b]",
            line=2,
            message="front matter `params` must be a mapping",
            hint="e.g. `params: {region: all, n: 10}`",
        ),
        id="params-not-a-mapping",
    ),
    pytest.param(
        ErrorCase(
            ["x = 1", "#| files: [data/missing.csv]\ny = 1"],
            line=5,
            message="file 'data/missing.csv' named in `files:` of block 'python-2' does not exist",
            hint=None,
        ),
        id="files-missing",
    ),
]


@pytest.mark.parametrize("case", ERRORS)
def test_graph_error(case: ErrorCase, tmp_path: Path) -> None:
    """Bad input raises; an unknown `uses:` name instead marks its block, which fails alone."""
    try:
        graph = make_graph(tmp_path, case.blocks, case.front, case.overrides)
    except NoteflowError as raised:
        err = raised
    else:
        assert graph.problems, "expected a GraphError"
        err = graph.problems[0]
        assert "uses '" in err.message
        assert graph.node(err.block).problem.startswith(err.message)
    assert case.message in err.message
    assert err.line == case.line
    assert err.exit_code == 2
    assert err.path == str(tmp_path / "doc" / "doc.md")
    assert err.hint == case.hint
    if case.line is not None:
        assert str(err).startswith(f"{err.path}:{case.line}: ")
