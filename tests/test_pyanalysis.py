"""Tests for noteflow.pyanalysis: what a Python block reads and defines."""

from __future__ import annotations

import textwrap
import time
from typing import Any

import pytest

from noteflow.pyanalysis import (
    MUTATING_METHODS,
    READ_ONLY_METHODS,
    PythonAnalysis,
    analyze_python,
)


def case(code: str, defines: str, reads: str, **other: str) -> Any:
    """One table row; names are space-separated; `other`: deletes, lazy_reads, lazy_defines,
    mutates, lazy_mutates. `module:m` is the state of module m."""
    expected_other = {key: set(value.split()) for key, value in other.items()}
    return pytest.param(
        textwrap.dedent(code), set(defines.split()), set(reads.split()), expected_other
    )


# A name bound only on some paths is also read: its incoming value may pass through.
CASES = [
    # assignment, statement order
    case("x = 1", "x", ""),
    case("x = y + 1", "x", "y"),
    case("x = x + 1", "x", "x"),
    case("x = 1\nprint(x)", "x", "print"),
    case("if c:\n    x = 1\nprint(x)", "x", "c print x"),
    case("if c:\n    x = 1\n    print(x)", "x", "c print x"),
    case("x += 1", "x", "x"),
    case("a, (b, *c) = d", "a b c", "d"),
    case("a, b = b, a", "a b", "a b"),
    case("x: int = 5", "x", "int"),
    case("x: int", "", "int"),
    case("for i in r:\n    i\nprint(i)", "i", "r print i"),
    case("for i in r:\n    y = i\n    print(y)", "i y", "r print i y"),
    case("for i in r:\n    print(y)\n    y = i", "i y", "r print y i"),
    case("while n:\n    n = n - 1", "n", "n"),
    case(
        "with open(p) as fh:\n    data = fh.read()\nprint(data)", "fh data", "open p print data fh"
    ),
    case("async with lock as held:\n    await use(held)", "held", "lock use held"),
    case("if (n := len(a)) > 3:\n    print(n)\nprint(n)", "n", "len a print"),
    case("ok = a and (b := f())\nprint(b)", "ok b", "a f print b"),
    case("if a < b < (c := 3):\n    pass\nprint(c)", "c", "a b print c"),
    case("assert ok, (msg := 'm')\nprint(msg)", "msg", "ok print msg"),
    case("y = f'{a!r} {b}'", "y", "a b"),
    # comprehensions
    case("ys = [y := f(x) for x in xs]\nprint(y)", "ys y", "f xs print y"),
    case("x = 5\nsquares = [x * x for x in range(x)]", "x squares", "range"),
    case("total = [v * k for v in vals]", "total", "vals k"),
    case("pairs = [(a, b) for a in xs for b in ys if a != b]", "pairs", "xs ys"),
    case("d = {k: v for k, v in items}", "d", "items"),
    case("g = (x * k for x in xs)", "g", "xs k", lazy_reads="k"),
    case("fs = [lambda: i + off for i in range(3)]", "fs", "range off", lazy_reads="off"),
    case("class A:\n    k = 2\n    ys = [k * v for v in vals]", "A", "vals k"),
    case("class A:\n    k = 2\n    f = lambda self: k", "A", "k", lazy_reads="k"),
    # imports
    case("import a.b.c", "a", "module:a module:a.b module:a.b.c"),
    case("import a.b as c", "c", "module:a module:a.b"),
    case("from m import x as y, z", "y z", "module:m module:m.x module:m.z"),
    case("import numpy as np\nnp.random.seed(0)", "np module:numpy", "module:numpy"),
    # functions, classes, lambdas
    case("def f(a, b=d):\n    return a + g", "f", "d", lazy_reads="g"),
    case("def f(x: T = default) -> R:\n    pass", "f", "T default R"),
    case("@register\ndef f():\n    pass", "f", "register"),
    case("@dec(opt)\nclass C(Base, metaclass=M):\n    pass", "C", "dec opt Base M"),
    case(
        """
        class C:
            size = N
            double = size * 2
            def m(self):
                return self.size + helper()
        """,
        "C",
        "N",
        lazy_reads="helper",
    ),
    case(
        "class P:\n    @property\n    def v(self):\n        return base",
        "P",
        "property",
        lazy_reads="base",
    ),
    case(
        """
        def outer():
            x = 1
            def inner():
                return x + y
            return inner
        """,
        "outer",
        "",
        lazy_reads="y",
    ),
    case("f = lambda v, w=dflt: v * scale", "f", "dflt scale", lazy_reads="scale"),
    case("out = sorted(xs, key=lambda r: r[col])", "out", "sorted xs col", lazy_reads="col"),
    case("def f():\n    return g\nprint(f())", "f", "print g", lazy_reads="g"),
    case("def f():\n    return g", "f", "", lazy_reads="g"),
    case("def f():\n    return [v * k for v in vals]", "f", "", lazy_reads="vals k"),
    case(
        "def bump():\n    global counter\n    counter += 1",
        "bump counter",
        "counter",
        lazy_reads="counter",
        lazy_defines="counter",
    ),
    case("def f():\n    global g\n    return g", "f", "", lazy_reads="g", lazy_defines=""),
    case(
        "def add(v):\n    items.append(v)",
        "add",
        "",
        lazy_reads="items",
        lazy_defines="items",
    ),
    case(
        "def add(v):\n    items.append(v)\nadd(1)",
        "add items",
        "items",
        lazy_reads="items",
        lazy_defines="items",
    ),
    case(
        """
        def outer():
            n = 0
            def inc():
                nonlocal n
                n += 1
            return inc
        """,
        "outer",
        "",
        lazy_reads="",
        lazy_defines="",
    ),
    case(
        "def f(items):\n    items.append(1)\n    x = 2\n    return x",
        "f",
        "",
        lazy_reads="",
        lazy_defines="",
    ),
    case(
        """
        class Box:
            def put(self, v):
                self.v = v
                store[v] = 1
        """,
        "Box",
        "",
        lazy_reads="store",
        lazy_defines="store",
    ),
    case(
        """
        class Reg:
            def __init__(self):
                registry.append(self)
        r = Reg()
        """,
        "Reg r registry",
        "registry",
        lazy_reads="registry",
        lazy_defines="registry",
    ),
    # mutation
    case("items.append(4)", "items", "items"),
    case("x = []; x.append(2)", "x", ""),
    case("df.dropna(inplace=True)", "df", "df"),
    case("obj.a.b.c()", "obj", "obj"),
    case("x[0].m()", "x", "x"),
    case("df.head()", "", "df"),
    case("d.keys()\nd.get('a')\ns.describe()\nt.to_csv('t.csv')", "", "d s t"),
    case("df.sort_values('a').head()", "", "df"),
    case("y = items.pop()", "y items", "items"),
    case("print(s.add(1))", "s", "print s"),
    case("clean = df.dropna(inplace=False)", "clean", "df"),
    case("new = df.fillna(0, inplace=flag)", "new df", "df flag"),
    case("f().append(1)\n'x'.join(parts)", "parts", "f parts"),
    case("x.attr = 1", "x", "x"),
    case("x[k] = v", "x", "x k v"),
    case("df.a[0].b = 1", "df", "df"),
    case("x.a[i] += 1", "x", "x i"),
    case(
        "if ready:\n    items.append(1)\nfor r in rows:\n    totals.update(r)",
        "items totals r",
        "ready items rows totals r",
    ),
    case("random.shuffle(deck)", "random deck", "random deck"),
    case("first = next(it)", "first it", "next it"),
    case("r = np.multiply(a, b, out=c)", "r c", "np a b c"),
    case("setattr(cfg, 'debug', True)", "cfg", "setattr cfg"),
    case("big = df.query('size > @limit')", "big", "df size limit"),
    # modules: an import reads the module's state (and its packages'); changing a name an
    # import bound changes the module (and its packages); other names are left to the graph
    case("import os\nos.environ['M'] = 'b'", "os module:os", "module:os", mutates="os"),
    case("import os as o\no.environ['M'] = 'b'", "o module:os", "module:os", mutates="o"),
    case("import os\nprint(os.environ['M'])", "os", "print module:os", mutates=""),
    case(
        "import matplotlib.pyplot as plt\nplt.rcParams['font.size'] = 9",
        "plt module:matplotlib module:matplotlib.pyplot",
        "module:matplotlib module:matplotlib.pyplot",
    ),
    case(
        "from matplotlib import pyplot as plt\nplt.rcParams.update(x)",
        "plt x module:matplotlib module:matplotlib.pyplot",
        "module:matplotlib module:matplotlib.pyplot x",
    ),
    case(
        "from os import environ\nenviron['W'] = '1'",
        "environ module:os module:os.environ",
        "module:os module:os.environ",
    ),
    case("import sys\nsys.path.append('lib')", "sys module:sys", "module:sys"),
    case("sys.path.append(lib)", "sys lib", "sys lib", mutates="sys lib"),
    case("import mylib\nmylib.counter += 1", "mylib module:mylib", "module:mylib"),
    case(
        "from random import seed\nseed(1)",
        "seed module:random module:random.seed",
        "module:random module:random.seed",
        mutates="seed",
    ),
    case(
        "import importlib\nimportlib.reload(mylib)",
        "importlib mylib module:importlib",
        "mylib module:importlib",
    ),
    case(
        "def setup():\n    import os\n    os.environ['W'] = '1'",
        "setup",
        "",
        lazy_reads="module:os",
        lazy_defines="module:os",
    ),
    case(
        "def setup():\n    os.environ['W'] = '1'",
        "setup",
        "",
        lazy_reads="os",
        lazy_defines="os",
        lazy_mutates="os",
    ),
    case("import os\ndef f():\n    return os.getcwd()", "os f", "module:os", lazy_reads="os"),
    # call statements change each name passed to them; calls inside expressions do not
    case("clean(df)", "df", "clean df", mutates="clean df"),
    case("add(items)", "items", "add items"),
    case("f(a, *rest, key=b, **opts)", "a rest b opts", "f a rest b opts"),
    case("f(game.deck, hands[0])", "game hands", "f game hands"),
    case("await fill(buf)", "buf", "fill buf"),
    case("y = f(x)", "y", "f x", mutates=""),
    case("f(g(x))", "", "f g x", mutates="f"),
    case("print(f(x))", "", "print f x"),
    case("print(x)\ndisplay(y)\nlen(z)", "", "print display len x y z", mutates=""),
    case("df.to_csv(path)\nax.plot(xs, ys)", "", "df path ax xs ys"),
    case("canvas.draw(shape)", "canvas shape", "canvas shape"),
    case("def f(v):\n    g(v)", "f", "", lazy_reads="g", lazy_mutates="g"),
    # del, try/except, match
    case("del x", "x", "x", deletes="x"),
    case("del x[0], y.attr", "x y", "x y", deletes=""),
    case("x = 1\ndel x\nprint(x)", "x", "print x", deletes="x"),
    case(
        """
        try:
            import fast as impl
        except ImportError as e:
            impl = None
            log(e)
        print(impl)
        """,
        "impl e",
        "ImportError log print impl e module:fast",
        deletes="e",
    ),
    case(
        """
        match cmd:
            case Point(x=a, y=0):
                print(a)
            case [b, *rest]:
                print(rest)
            case {"k": v, **kw}:
                print(v, kw)
            case Color.RED:
                pass
            case _ as z:
                print(z)
        """,
        "a b rest v kw z",
        "cmd Point print Color a b rest v kw z",
    ),
]


@pytest.mark.parametrize(("code", "defines", "reads", "other"), CASES)
def test_analysis(code: str, defines: set[str], reads: set[str], other: dict[str, set[str]]):
    result = analyze_python(code)
    assert result.analysable, result.reason
    assert set(result.defines) == defines
    assert set(result.reads) == reads
    for field_name, expected in other.items():
        assert set(getattr(result, field_name)) == expected, field_name


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("x = 1\ny = (\n", "syntax error line 2:"),
        ("exec('x = 1')", "calls exec()"),
        ("y = eval(src)", "calls eval()"),
        ("globals()['x'] = 1", "calls globals()"),
        ("print(vars())", "calls vars()"),
        ("def f():\n    return locals()", "calls locals()"),
        ("from pylab import *", "star import from pylab"),
        ("import __main__\n__main__.x = 1", "imports __main__"),
        ("get_ipython().user_ns['x'] = 1", "uses IPython .user_ns"),
        ("get_ipython().push({'x': 1})", "uses IPython .push"),
        ("y = _ + 1", "reads IPython output history (_)"),
        ("big = df.query(condition)", "calls .query() with a computed expression string"),
        ("%run other.py", "uses %run"),
        ("%store -r data", "uses %store"),
        ("%reset -f", "uses %reset"),
    ],
)
def test_not_analysable(code: str, reason: str):
    result = analyze_python(code)
    assert not result.analysable
    assert result.reason is not None
    assert result.reason.startswith(reason)


def test_module_names_are_the_modules_an_import_may_bind():
    result = run("import a.b.c\nimport a.b as ab\nfrom p.q import r as s\nfrom . import t")
    assert dict(result.module_names) == {
        "a": {"a"},
        "ab": {"a.b"},
        "s": {"p.q", "p.q.r"},
        "t": {".t"},
    }


def test_not_analysable_still_fills_names():
    result = analyze_python("x = compute(a)\nexec(code)")
    assert not result.analysable
    assert result.defines == {"x", "code"}
    assert result.reads == {"compute", "a", "exec", "code"}


def test_vars_with_argument_is_analysable():
    assert analyze_python("print(vars(obj))").analysable


def run(code: str) -> PythonAnalysis:
    result = analyze_python(code)
    assert result.analysable, result.reason
    return result


def test_line_magic_is_not_python():
    result = run("%matplotlib inline\nimport numpy as np")
    assert result.defines == {"np"}
    assert result.reads == {"get_ipython", "module:numpy"}


def test_time_cell_magic_analyses_body():
    result = run("%%time\ny = f(x)\n")
    assert result.defines == {"y"}
    # the body's bindings are not counted as certain, so y is also read (safe, not stale)
    assert result.reads == {"get_ipython", "f", "x", "y"}


def test_time_line_magic_and_timeit_options():
    assert run("%time y = f(x)").defines == {"y"}
    assert run("%timeit -n 10 -r3 g(z)").reads == {"get_ipython", "g", "z"}
    assert run("%%timeit -n 3 setup(a)\nbody(b)\n").reads == {
        "get_ipython",
        "setup",
        "a",
        "body",
        "b",
    }


def test_shell_assignment_defines_target():
    result = run("x = !ls")
    assert result.defines == {"x"}
    assert result.reads == {"get_ipython"}


def test_shell_line_reads_expanded_names():
    assert run("!ls {folder} $pattern").reads == {"get_ipython", "folder", "pattern"}


def test_bash_cell_body_is_ignored():
    result = run("%%bash\nx=1\necho $x\n")
    assert result.defines == set()
    assert result.reads == {"get_ipython"}


def test_capture_defines_output_name():
    result = run("%%capture out\nprint(v)\n")
    assert result.defines == {"out"}
    assert result.reads == {"get_ipython", "print", "v"}


def test_help_reads_object():
    assert run("df?").reads == {"get_ipython", "df"}


def test_autoreload_is_fine():
    assert run("%load_ext autoreload\n%autoreload 2").defines == set()


def test_memoized_by_code():
    code = "memo_x = memo_y + 1"
    assert analyze_python(code) is analyze_python(code)
    assert analyze_python(code) is not analyze_python(code + "\n")


def test_cached_calls_are_fast():
    blocks = [f"v{i} = f(v{i - 1})\nitems.append(v{i})" for i in range(100)]
    for block in blocks:
        analyze_python(block)
    start = time.perf_counter()
    for block in blocks:
        analyze_python(block)
    assert time.perf_counter() - start < 0.005


def test_method_lists_are_disjoint():
    assert not READ_ONLY_METHODS & MUTATING_METHODS
    assert {"head", "copy", "to_csv"} <= READ_ONLY_METHODS
    assert {"append", "pop", "update"} <= MUTATING_METHODS


@pytest.mark.parametrize(
    ("code", "analysable"),
    [
        ("stack.push(1)", True),
        ("q.ev(1)", True),
        ("get_ipython().push({'x': 1})", False),
        ("ip = get_ipython()\nip.push({'x': 1})", False),
        ("get_ipython().user_ns['x'] = 1", False),
    ],
)
def test_shell_namespace_methods_only_on_the_shell(code: str, analysable: bool) -> None:
    assert analyze_python(code).analysable is analysable
