"""Static dataflow analysis of one Python block: the names it reads and the names it defines.

Owns `analyze_python`, the facts the block cache keys are built from: names a block binds,
mutates or deletes at top level, names whose incoming value it may use, and the global names
its nested functions read or change when called later. IPython syntax (magics, shell escapes)
is translated to Python first. Wherever the analysis is unsure it over-approximates: a spurious
dependency costs a re-run, a missing one serves stale results.

Modules are shared objects, so their state is a value too, named by `module_state("os")`
(a name no Python code can spell): an import reads the state of the module it imports and of
its parent packages; mutating a name this block bound by an import (`import os;
os.environ["M"] = "1"`) changes that module's state and its parents' (`plt.rcParams[...]`
changes `matplotlib.pyplot` and `matplotlib`). Names bound by imports of earlier blocks are
resolved by the graph, from `module_names` and `mutates`.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# Documented in the README: methods that, called as a statement, leave their receiver unchanged.
READ_ONLY_METHODS = frozenset(
    {
        "head",
        "tail",
        "describe",
        "info",
        "copy",
        "keys",
        "values",
        "items",
        "get",
        "count",
        "index",
        "to_string",
        "to_csv",
        "to_json",
        "to_html",
        "to_markdown",
        "show",
        "plot",
        "print",
        "format",
        "__repr__",
        "__str__",
        "summary",
    }
)

# Documented in the README: methods that mutate their receiver wherever they are called.
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "pop",
        "popitem",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
        "fill",
        "resize",
        "put",
        "send",
        "write",
        "seek",
        "close",
        "fit",
        "partial_fit",
        "fit_transform",
    }
)

# Documented in the README: functions that, called as a statement, change none of their
# arguments (any other call statement is taken to change every name passed to it).
READ_ONLY_FUNCTIONS = frozenset(
    {"print", "display", "pprint", "repr", "len", "type", "id", "isinstance", "help"}
)

MODULE_STATE_PREFIX = "module:"

# Documented in the README: functions that mutate (or advance) their first argument.
MUTATING_FUNCTIONS = frozenset(
    {
        "next",
        "setattr",
        "delattr",
        "shuffle",
        "heappush",
        "heappop",
        "heapify",
        "heapreplace",
        "heappushpop",
        "insort",
        "insort_left",
        "insort_right",
        "copyto",
        "fill_diagonal",
        "putmask",
    }
)

_NAMESPACE_CALLS = frozenset({"exec", "eval", "globals", "locals"})
_NAMESPACE_CALLS_WITHOUT_ARGS = frozenset({"vars", "dir"})
_IPYTHON_NAMESPACE_ATTRS = frozenset(
    {"user_ns", "user_global_ns", "run_cell", "del_var", "run_code"}
)
# Common method names that change the namespace only when called on the IPython shell.
_SHELL_NAMESPACE_METHODS = frozenset({"push", "ex", "ev"})
_SHELL_NAMES = frozenset({"ip", "_ip", "ipython", "shell"})
_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic", "magic"})
_PYTHON_MAGICS = frozenset({"time", "timeit", "prun", "debug", "capture"})
_OPAQUE_MAGICS = frozenset(
    {"run", "load", "reset", "reset_selective", "xdel", "pylab", "rerun", "edit", "macro"}
    | {"who", "whos", "who_ls"}
)
_INSPECTION_MAGICS = frozenset({"pinfo", "pinfo2", "pdef", "pdoc", "psource", "pfile"})
_STRING_EXPRESSION_METHODS = frozenset({"query", "eval"})
_INERT_DECORATORS = frozenset(
    {"property", "staticmethod", "classmethod", "dataclass", "abstractmethod", "overload"}
    | {"setter", "getter", "deleter", "cache", "lru_cache", "cached_property", "wraps"}
)

_IPYTHON_SYNTAX = re.compile(r"^[ \t]*[%!]|=[ \t]*[!%]|\?[ \t]*$", re.MULTILINE)
_LEADING_OPTION = re.compile(r"\s*(?:-[nrplsDT]\s+\S+|-\S+)")
_BRACED = re.compile(r"\{([^{}]*)\}")
_DOLLAR_NAME = re.compile(r"\$([A-Za-z_]\w*)")
_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_HISTORY_NAME = re.compile(r"_{1,3}|_i{1,3}|_i?\d+|_oh|_ih|_dh|In|Out")

_LOCAL, _BOUND, _GLOBAL = "local", "bound", "global"


def module_state(module: str) -> str:
    """The pseudo-name of a module's state: read by importers, defined by mutators."""
    return MODULE_STATE_PREFIX + module


def is_module_state(name: str) -> bool:
    return name.startswith(MODULE_STATE_PREFIX)


def module_of_state(name: str) -> str:
    return name.removeprefix(MODULE_STATE_PREFIX)


def with_parents(module: str) -> list[str]:
    """A module and the packages above it: `a.b.c` -> `a`, `a.b`, `a.b.c`."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]] or [module]


_Comprehension = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp


@dataclass(frozen=True, slots=True)
class PythonAnalysis:
    """The dataflow facts of one block. Builtins are included; the caller filters them."""

    defines: frozenset[str]  # names the block binds, mutates or deletes at top level
    reads: frozenset[str]  # names whose incoming value the block may use
    deletes: frozenset[str]  # names removed at top level (`del x`, `except E as x`)
    lazy_reads: frozenset[str]  # global names read inside nested functions, lambdas, classes
    lazy_defines: frozenset[str]  # global names a nested function mutates or assigns
    analysable: bool
    reason: str | None  # when not analysable: a short human reason, e.g. "calls exec()"
    mutates: frozenset[str] = frozenset()  # top-level names changed in place or called as
    # a statement: the graph finds which of them earlier blocks bound to a module
    lazy_mutates: frozenset[str] = frozenset()  # the same, inside nested functions
    module_names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Top-level names an import of this block binds -> the modules they may hold."""


def analyze_python(code: str) -> PythonAnalysis:
    """What a block reads and defines; memoized by code string."""
    return _analyze_cached(code)


@functools.lru_cache(maxsize=4096)
def _analyze_cached(code: str) -> PythonAnalysis:
    try:
        return _Analyser().run(_parse(_ipython_to_python(code)))
    except SyntaxError as error:
        return _unanalysable(f"syntax error line {error.lineno}: {error.msg}")
    except ValueError as error:
        return _unanalysable(f"syntax error: {error}")
    except RecursionError:
        return _unanalysable("code is nested too deeply to analyse")


def _parse(source: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def _unanalysable(reason: str) -> PythonAnalysis:
    empty: frozenset[str] = frozenset()
    return PythonAnalysis(empty, empty, empty, empty, empty, analysable=False, reason=reason)


def _ipython_to_python(code: str) -> str:
    if not _IPYTHON_SYNTAX.search(code):
        return code
    try:
        return str(_transformer().transform_cell(code))
    except Exception:
        return code


@functools.cache
def _transformer() -> Any:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _root_name(node: ast.expr) -> str | None:
    """The name at the root of an attribute/subscript/method-call chain: `df.a[0].b()` -> df."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def _passed_name(node: ast.expr) -> bool:
    """A name, or an attribute or item of one (`deck`, `game.deck`, `decks[0]`), not a call."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name)


def _final_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _is_shell(node: ast.expr) -> bool:
    return _is_get_ipython(node) or (isinstance(node, ast.Name) and node.id in _SHELL_NAMES)


def _is_get_ipython(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
        and not node.args
    )


def _has_inplace(call: ast.Call) -> bool:
    return any(
        kw.arg == "inplace" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
        for kw in call.keywords
    )


def _string_parts(node: ast.expr) -> list[str] | None:
    """The literal text of a str constant or f-string, None for any other expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        ]
    return None


def _constant_strings(nodes: list[ast.expr]) -> list[str] | None:
    strings = [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return strings if len(strings) == len(nodes) else None


def _identifiers(text: str) -> Iterator[str]:
    return (n for n in _IDENTIFIER.findall(text) if not keyword.iskeyword(n))


def _expanded_names(text: str) -> Iterator[str]:
    """Names IPython substitutes into a magic or shell line: `{expr}` and `$name`."""
    for expression in _BRACED.findall(text):
        yield from _identifiers(expression)
    yield from _DOLLAR_NAME.findall(text)


def _strip_options(argument: str) -> str:
    while match := _LEADING_OPTION.match(argument):
        argument = argument[match.end() :]
    return argument.strip()


def _magic_python(argument: str) -> PythonAnalysis | None:
    """The analysis of a `%time`-like argument, trying it with and without leading options."""
    for candidate in (argument.strip(), _strip_options(argument)):
        try:
            _parse(candidate)
        except (SyntaxError, ValueError):
            continue
        return analyze_python(candidate)
    return None


@dataclass(eq=False)
class _Scope:
    """One scope being walked. `names`: the locals of a function or comprehension; the names
    bound so far on the current path of a module or class body."""

    kind: str
    eager: bool
    names: set[str] = field(default_factory=set)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    generator: bool = False
    modules: dict[str, set[str]] = field(default_factory=dict)
    """Names bound by an import in this scope -> the modules they may hold."""


class _LocalNames(ast.NodeVisitor):
    """The names a function body binds in its own scope, and its global/nonlocal declarations."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.global_names: set[str] = set()
        self.nonlocal_names: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.bound.add(node.id)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.bound.add(node.target.id)
        self.visit(node.value)

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.bound.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass

    def _comprehension(self, node: ast.expr) -> None:
        self.bound.update(_walrus_targets(node))

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self.bound.add(alias.asname or alias.name.split(".")[0])

    visit_Import = visit_ImportFrom = _import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def _capture(self, node: ast.MatchAs | ast.MatchStar) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    visit_MatchAs = visit_MatchStar = _capture

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self.bound.add(node.rest)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.global_names.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.nonlocal_names.update(node.names)


def _walrus_targets(node: ast.AST) -> Iterator[str]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.NamedExpr):
            yield child.target.id
        if not isinstance(child, ast.Lambda):
            yield from _walrus_targets(child)


def _function_scope(arguments: ast.arguments, body: Iterable[ast.AST]) -> _Scope:
    collector = _LocalNames()
    for node in body:
        collector.visit(node)
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    parameters += [a for a in (arguments.vararg, arguments.kwarg) if a]
    declared = collector.global_names | collector.nonlocal_names
    names = ({a.arg for a in parameters} | collector.bound) - declared
    return _Scope("function", False, names, collector.global_names, collector.nonlocal_names)


class _Analyser(ast.NodeVisitor):
    """Walks a module in execution order, tracking which names are bound on every path."""

    def __init__(self) -> None:
        self.defines: set[str] = set()
        self.reads: set[str] = set()
        self.deletes: set[str] = set()
        self.lazy_reads: set[str] = set()
        self.lazy_defines: set[str] = set()
        self.mutates: set[str] = set()
        self.lazy_mutates: set[str] = set()
        self.problems: list[str] = []
        self.eager_loads: set[str] = set()
        self.callables: set[str] = set()
        self.runs_nested = False
        self.conditional = 0
        self.scopes = [_Scope("module", True)]

    def run(self, tree: ast.Module) -> PythonAnalysis:
        self._stmts(tree.body)
        if self.runs_nested or self.eager_loads & self.callables:
            self.reads |= self.lazy_reads | self.lazy_defines
            self.defines |= self.lazy_defines
        # A name bound only on some paths (`if c: x = 1`, a loop, a `global` in a function)
        # may leave the incoming value in place, so the block reads it too.
        self.reads |= self.defines - self.scopes[0].names
        history = sorted(n for n in self.reads | self.lazy_reads if _HISTORY_NAME.fullmatch(n))
        if history:
            self._problem(f"reads IPython output history ({', '.join(history)})")
        return self._result()

    def _result(self) -> PythonAnalysis:
        return PythonAnalysis(
            defines=frozenset(self.defines),
            reads=frozenset(self.reads),
            deletes=frozenset(self.deletes),
            lazy_reads=frozenset(self.lazy_reads),
            lazy_defines=frozenset(self.lazy_defines),
            analysable=not self.problems,
            reason=self.problems[0] if self.problems else None,
            mutates=frozenset(self.mutates),
            lazy_mutates=frozenset(self.lazy_mutates),
            module_names={n: frozenset(m) for n, m in self.scopes[0].modules.items()},
        )

    def _problem(self, reason: str) -> None:
        self.problems.append(reason)

    # ---- scopes and paths

    def _stmts(self, body: Iterable[ast.stmt]) -> None:
        for statement in body:
            self.visit(statement)
            self._flush()

    def _flush(self) -> None:
        scope = self.scopes[-1]
        scope.names |= scope.pending
        scope.pending.clear()

    @contextmanager
    def _branch(self) -> Iterator[None]:
        """Walk code that may not run: what it binds is not bound afterwards."""
        scope = self.scopes[-1]
        if scope.kind not in ("module", "class"):
            yield
            return
        saved = scope.names
        scope.names = set(saved)
        try:
            yield
        finally:
            scope.names = saved

    @contextmanager
    def _conditionally(self) -> Iterator[None]:
        self.conditional += 1
        try:
            yield
        finally:
            self.conditional -= 1

    @contextmanager
    def _scope(self, scope: _Scope) -> Iterator[None]:
        self.scopes.append(scope)
        try:
            yield
        finally:
            self.scopes.pop()

    def _lazy(self) -> bool:
        return not self.scopes[-1].eager

    def _where(self, name: str) -> str:
        innermost = self.scopes[-1]
        for scope in reversed(self.scopes[1:]):
            if name in scope.global_names:
                break
            if scope.kind == "class":
                if scope is innermost and scope.eager and name in scope.names:
                    return _LOCAL
            elif name in scope.names or name in scope.nonlocal_names:
                return _LOCAL
        return _BOUND if innermost.eager and name in self.scopes[0].names else _GLOBAL

    # ---- name events

    def _load(self, name: str) -> None:
        where = self._where(name)
        lazy = self._lazy()
        if not lazy:
            self.eager_loads.add(name)
        if where == _LOCAL:
            return
        if lazy or any(scope.generator for scope in self.scopes):
            self.lazy_reads.add(name)
        if not lazy and where == _GLOBAL:
            self.reads.add(name)

    def _store(self, name: str, walrus: bool = False) -> None:
        scope = next(s for s in reversed(self.scopes) if not walrus or s.kind != "comprehension")
        if scope.kind == "module" or name in scope.global_names:
            self.defines.add(name)
            if not scope.eager:
                self.lazy_defines.add(name)
        elif scope.kind != "class":
            return
        if scope.eager and not self.conditional and name not in scope.global_names:
            scope.pending.add(name)

    def _delete(self, name: str) -> None:
        scope = self.scopes[-1]
        if scope.kind == "class" and name not in scope.global_names:
            scope.names.discard(name)
        if scope.kind != "module" and name not in scope.global_names:
            return
        self._load(name)
        self.defines.add(name)
        if self._lazy():
            self.lazy_defines.add(name)
        else:
            self.deletes.add(name)
            self.scopes[0].names.discard(name)

    def _unbind(self, name: str) -> None:
        scope = self.scopes[-1]
        if scope.kind in ("module", "class"):
            scope.names.discard(name)
        if scope.kind == "module":
            self.deletes.add(name)

    def _mutate(self, node: ast.expr) -> None:
        root = _root_name(node)
        if root is None:
            return
        self._mutate_modules(root)
        if self._where(root) == _LOCAL:
            return
        self._load(root)
        (self.lazy_defines if self._lazy() else self.defines).add(root)
        (self.lazy_mutates if self._lazy() else self.mutates).add(root)

    def _mutate_modules(self, name: str) -> None:
        """Changing a name an import of this block bound changes the module's state."""
        for module in self._modules_of(name):
            for state in map(module_state, with_parents(module)):
                self._load(state)
                (self.lazy_defines if self._lazy() else self.defines).add(state)

    def _modules_of(self, name: str) -> set[str]:
        if self._where(name) == _LOCAL:
            scope = next((s for s in reversed(self.scopes[1:]) if name in s.modules), None)
            return scope.modules[name] if scope else set()
        return self.scopes[0].modules.get(name, set())

    def _call_statement(self, call: ast.Call) -> None:
        """A call whose result is discarded is made for its effects: it changes its receiver
        (`items.append(4)`), each name passed to it (`shuffle(deck)`), and the module a
        function imported by name belongs to (`from random import seed; seed(1)`)."""
        func = call.func
        if isinstance(func, ast.Attribute):
            if func.attr in READ_ONLY_METHODS:
                return
            self._mutate(func.value)
        elif isinstance(func, ast.Name):
            if func.id in READ_ONLY_FUNCTIONS:
                return
            self._mutate_modules(func.id)
            if self._where(func.id) != _LOCAL:
                (self.lazy_mutates if self._lazy() else self.mutates).add(func.id)
        for argument in [*call.args, *(kw.value for kw in call.keywords)]:
            value = argument.value if isinstance(argument, ast.Starred) else argument
            if _passed_name(value):
                self._mutate(value)

    def _callable(self, name: str, decorators: list[ast.expr]) -> None:
        if self._lazy():
            return
        self.callables.add(name)
        if any(_final_name(d) not in _INERT_DECORATORS for d in decorators):
            self.runs_nested = True

    def _merge(self, sub: PythonAnalysis) -> None:
        if not sub.analysable and sub.reason:
            self._problem(sub.reason)
        self.reads |= sub.reads
        self.defines |= sub.defines
        self.deletes |= sub.deletes
        self.lazy_reads |= sub.lazy_reads
        self.lazy_defines |= sub.lazy_defines
        self.mutates |= sub.mutates
        self.lazy_mutates |= sub.lazy_mutates
        for name, modules in sub.module_names.items():
            self.scopes[0].modules.setdefault(name, set()).update(modules)
        self.eager_loads |= sub.reads
        self.callables |= sub.defines
        if self._lazy():
            self.lazy_reads |= sub.reads
            self.lazy_defines |= sub.defines

    # ---- expressions

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._store(node.id)
        else:
            self._delete(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node)
        if node.attr in _IPYTHON_NAMESPACE_ATTRS or (
            node.attr in _SHELL_NAMESPACE_METHODS and _is_shell(node.value)
        ):
            self._problem(f"uses IPython .{node.attr}")
        if node.attr in _MAGIC_CALLS and not _is_get_ipython(node.value):
            self._problem(f"calls IPython .{node.attr}() indirectly")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutate(node)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._store(node.target.id, walrus=True)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.visit(node.values[0])
        with self._conditionally():
            for value in node.values[1:]:
                self.visit(value)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        with self._conditionally():
            self.visit(node.body)
            self.visit(node.orelse)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        self.visit(node.comparators[0])
        with self._conditionally():
            for comparator in node.comparators[1:]:
                self.visit(comparator)

    def visit_Call(self, node: ast.Call) -> None:
        self._check_namespace_call(node)
        self._check_ipython_call(node)
        self._check_string_expression(node)
        self._call_mutations(node)
        self.generic_visit(node)

    def _check_namespace_call(self, node: ast.Call) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        bare = not node.args and not node.keywords
        if name in _NAMESPACE_CALLS or (name in _NAMESPACE_CALLS_WITHOUT_ARGS and bare):
            self._problem(f"calls {name}()")

    def _call_mutations(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and (
            func.attr in MUTATING_METHODS or _has_inplace(node)
        ):
            self._mutate(func.value)
        if _final_name(func) in MUTATING_FUNCTIONS and node.args:
            self._mutate(node.args[0])
        for kw in node.keywords:
            if kw.arg == "out":
                self._mutate(kw.value)

    def _check_string_expression(self, node: ast.Call) -> None:
        """`df.query("a > @limit")` reads `limit` from the calling namespace."""
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in _STRING_EXPRESSION_METHODS):
            return
        expressions = [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg == "expr")]
        for expression in expressions:
            parts = _string_parts(expression)
            if parts is None:
                self._problem(f"calls .{func.attr}() with a computed expression string")
            for name in _identifiers(" ".join(parts or ())):
                self._load(name)

    def _comprehension(self, node: _Comprehension, parts: list[ast.expr], generator: bool) -> None:
        first = node.generators[0]
        self.visit(first.iter)
        targets = {
            n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
        }
        scope = _Scope("comprehension", self.scopes[-1].eager, targets, generator=generator)
        with self._scope(scope), self._conditionally():
            for comprehension in node.generators:
                self.visit(comprehension.target)
                if comprehension is not first:
                    self.visit(comprehension.iter)
                for condition in comprehension.ifs:
                    self.visit(condition)
            for part in parts:
                self.visit(part)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt], generator=False)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node, [node.elt], generator=False)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value], generator=False)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt], generator=True)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._signature(node.args)
        if not self._lazy():
            self.runs_nested = True
        with self._scope(_function_scope(node.args, [node.body])):
            self.visit(node.body)

    # ---- IPython

    def _check_ipython_call(self, node: ast.Call) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and _is_get_ipython(func.value)):
            return
        method = func.attr
        if method not in {*_MAGIC_CALLS, "system", "getoutput"}:
            return
        args = _constant_strings(node.args)
        if not args:
            self._problem(f"calls IPython .{method}() with a computed argument")
        elif method == "run_line_magic" and len(args) >= 2:
            self._line_magic(args[0], args[1])
        elif method == "run_cell_magic" and len(args) >= 3:
            self._cell_magic(args[0], args[1], args[2])
        elif method == "magic":
            name, _, argument = args[0].lstrip("%").partition(" ")
            self._line_magic(name, argument)
        else:
            self._load_all(_expanded_names(args[0]))

    def _line_magic(self, name: str, argument: str) -> None:
        if name in _OPAQUE_MAGICS or (name == "store" and "-r" in argument.split()):
            self._problem(f"uses %{name}")
        elif name in _PYTHON_MAGICS:
            self._magic_python(name, argument)
        elif name in _INSPECTION_MAGICS or name == "store":
            self._load_all(_identifiers(argument))
        else:
            self._load_all(_expanded_names(argument))

    def _cell_magic(self, name: str, line: str, body: str) -> None:
        if name in _OPAQUE_MAGICS:
            self._problem(f"uses %%{name}")
        self._load_all(_expanded_names(line))
        if name not in _PYTHON_MAGICS:
            return
        self._merge(analyze_python(body))
        if name == "capture":
            for token in line.split():
                if token.isidentifier():
                    self._store(token)
        elif line.strip():
            self._magic_python(name, line)

    def _magic_python(self, name: str, argument: str) -> None:
        analysis = _magic_python(argument)
        if analysis is None:
            self._problem(f"cannot parse the argument of %{name}")
        else:
            self._merge(analysis)

    def _load_all(self, names: Iterable[str]) -> None:
        for name in names:
            self._load(name)

    # ---- simple statements

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(call, ast.Call):
            self._call_statement(call)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)
        elif not isinstance(node.target, ast.Name):
            for child in ast.iter_child_nodes(node.target):
                self.visit(child)

    def visit_Assert(self, node: ast.Assert) -> None:
        self.visit(node.test)
        if node.msg is not None:
            with self._conditionally():
                self.visit(node.msg)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "__main__":
                self._problem("imports __main__")
            self._read_module(alias.name)
            bound = alias.asname or alias.name.split(".")[0]
            self._bind_module(bound, alias.name if alias.asname else bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        self._read_module(module)
        for alias in node.names:
            if alias.name == "*":
                self._problem(f"star import from {node.module or '.'}")
                continue
            if node.module == "__main__":
                self._load(alias.name)
            # `from m import x`: x is an attribute of m, or its submodule m.x.
            submodule = f"{module}.{alias.name}" if module.strip(".") else module + alias.name
            self._read_module(submodule)
            self._bind_module(alias.asname or alias.name, module, submodule)

    def _read_module(self, module: str) -> None:
        for parent in with_parents(module):
            self._load(module_state(parent))

    def _bind_module(self, name: str, *modules: str) -> None:
        self._store(name)
        scope = next(s for s in reversed(self.scopes) if s.kind != "comprehension")
        if name in scope.global_names:
            scope = self.scopes[0]
        scope.modules.setdefault(name, set()).update(m for m in modules if m.strip("."))

    def visit_Global(self, node: ast.Global) -> None:
        if self.scopes[-1].kind != "module":
            self.scopes[-1].global_names.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scopes[-1].nonlocal_names.update(node.names)

    # ---- definitions

    def _signature(self, arguments: ast.arguments) -> None:
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.visit(default)
        parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        for parameter in [*parameters, arguments.vararg, arguments.kwarg]:
            if parameter is not None and parameter.annotation is not None:
                self.visit(parameter.annotation)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._signature(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self._store(node.name)
        self._callable(node.name, node.decorator_list)
        with self._scope(_function_scope(node.args, node.body)):
            self._stmts(node.body)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expression in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(expression)
        with self._scope(_Scope("class", self.scopes[-1].eager)):
            self._stmts(node.body)
        self._store(node.name)
        self._callable(node.name, node.decorator_list)

    # ---- compound statements

    def _blocks(self, *blocks: list[ast.stmt]) -> None:
        for block in blocks:
            with self._branch():
                self._stmts(block)

    def _test_and_blocks(self, node: ast.If | ast.While) -> None:
        self.visit(node.test)
        self._flush()
        self._blocks(node.body, node.orelse)

    visit_If = visit_While = _test_and_blocks

    def _for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._flush()
        with self._branch():
            self.visit(node.target)
            self._flush()
            self._stmts(node.body)
        self._blocks(node.orelse)

    visit_For = visit_AsyncFor = _for

    def _with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
        self._flush()
        with self._branch():
            for item in node.items:
                if item.optional_vars is not None:
                    self.visit(item.optional_vars)
            self._flush()
            self._stmts(node.body)

    visit_With = visit_AsyncWith = _with

    def visit_Try(self, node: ast.Try) -> None:
        self._blocks(node.body)
        for handler in node.handlers:
            self._handler(handler)
        self._blocks(node.orelse, node.finalbody)

    visit_TryStar = visit_Try

    def _handler(self, handler: ast.ExceptHandler) -> None:
        with self._branch():
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name:
                self._store(handler.name)
            self._flush()
            self._stmts(handler.body)
        if handler.name:
            self._unbind(handler.name)

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self._flush()
        for case in node.cases:
            with self._branch():
                self.visit(case.pattern)
                self._flush()
                if case.guard is not None:
                    self.visit(case.guard)
                    self._flush()
                self._stmts(case.body)

    def _capture(self, node: ast.MatchAs | ast.MatchStar) -> None:
        self.generic_visit(node)
        if node.name:
            self._store(node.name)

    visit_MatchAs = visit_MatchStar = _capture

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._store(node.rest)
