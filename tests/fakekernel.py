"""An in-process stand-in for a Python kernel, for fast tests of the executor.

It runs code with `exec` in its own namespace (the adapter's real set-up code included,
so values are really saved and loaded with cloudpickle), captures stdout and the value of
a final expression, and counts what it ran so tests can assert which blocks executed.

A real kernel is a process of its own; this one shares the test's process. So that each
fake kernel (and each restart) still starts from a fresh process's state, the shared state
a document may change is swapped in around every request (`ProcessState`): environment
variables whose name starts with `NF_`, `sys.path`, modules imported from the kernel's
folder (a local module is imported afresh by each kernel, and pickled by reference to that
kernel's copy, as in a real one), and the attributes of `SHARED_MODULES`. Documents run
with fake kernels may change only these: any other module state (`random`'s generator,
attributes of other standard modules) would leak between kernels and into the tests.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import string
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from noteflow.adapters import Adapter
from noteflow.kernel import Execution

ENV_PREFIX = "NF_"
SHARED_MODULES: tuple[ModuleType, ...] = (string,)
"""Standard modules whose attributes documents run with fake kernels may set."""
_PRISTINE = {module.__name__: dict(vars(module)) for module in SHARED_MODULES}


@dataclass
class ProcessState:
    """The part of a process's state a fake kernel keeps apart from the test process."""

    folder: Path
    environ: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def fresh(cls, folder: Path) -> ProcessState:
        """What a newly started kernel process has: the test's path with its folder first."""
        path = [str(folder), *(p for p in sys.path if p != str(folder))]
        pristine = {name: dict(attrs) for name, attrs in _PRISTINE.items()}
        return cls(folder, path=path, attributes=pristine)

    @classmethod
    def capture(cls, folder: Path) -> ProcessState:
        """The current process's values of the swapped state; local modules leave it."""
        environ = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)}
        local = {n: m for n, m in sys.modules.items() if _inside(m, folder)}
        for name in local:
            del sys.modules[name]
        attributes = {m.__name__: dict(vars(m)) for m in SHARED_MODULES}
        return cls(folder, environ, list(sys.path), local, attributes)

    def install(self) -> None:
        for name in [k for k in os.environ if k.startswith(ENV_PREFIX)]:
            del os.environ[name]
        os.environ.update(self.environ)
        sys.path[:] = self.path
        sys.modules.update(self.modules)
        for module in SHARED_MODULES:
            attributes = vars(module)
            for name in set(attributes) - set(self.attributes[module.__name__]):
                delattr(module, name)
            attributes.update(self.attributes[module.__name__])


def _inside(module: ModuleType, folder: Path) -> bool:
    location = getattr(module, "__file__", None)
    return bool(location) and Path(str(location)).parent == folder


@contextlib.contextmanager
def swapped(state: ProcessState) -> Iterator[ProcessState]:
    """Run with `state` installed; yields it, and leaves the kernel's changes in it."""
    outside = ProcessState.capture(state.folder)
    state.install()
    try:
        yield state
    finally:
        inside = ProcessState.capture(state.folder)
        state.environ, state.path = inside.environ, inside.path
        state.modules, state.attributes = inside.modules, inside.attributes
        outside.install()


class FakeKernel:
    instances: list[FakeKernel] = []
    in_process = True
    """Runs in the test process: the executor's OS file watcher would see the test itself."""

    def __init__(self, spec_name: str, adapter: Adapter, cwd: Path) -> None:
        self.adapter = adapter
        self.language_version = "3.fake"
        self.namespace: dict[str, Any] = {}
        self.folder = Path(cwd).resolve()
        self.process = ProcessState.fresh(self.folder)
        self.ran: list[str] = []
        self.alive = False
        self.starts = 0
        FakeKernel.instances.append(self)

    def start(self) -> None:
        """A fresh namespace and a fresh process state (also on restart)."""
        self.alive = True
        self.starts += 1
        self.namespace = {"__name__": "__main__"}
        self.process = ProcessState.fresh(self.folder)
        importlib.invalidate_caches()
        with swapped(self.process):
            exec(self.adapter.templates["setup"], self.namespace)

    def restart(self) -> None:
        self.start()

    def shutdown(self) -> None:
        self.alive = False

    def is_alive(self) -> bool:
        return self.alive

    def execute(
        self,
        code: str,
        *,
        timeout: float | None = None,
        silent: bool = False,
        user_expressions: Mapping[str, str] | None = None,
        cancel: Callable[[], bool] | None = None,
        output_limit: int | None = None,
    ) -> Execution:
        if not silent and code:
            self.ran.append(code)
        with swapped(self.process):
            if code and user_expressions and "reads" in user_expressions:
                # A real kernel is a process of its own: its audit hook sees only its own
                # reads. Here the hook sees the test process too, so start from nothing.
                self._run("__nf.activate()\n__nf.take_reads()")
            return self._execute(code, silent, user_expressions or {})

    def _execute(self, code: str, silent: bool, user_expressions: Mapping[str, str]) -> Execution:
        stdout = io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout):
                value = self._run(code)
        except Exception as err:
            tb = traceback.format_exception_only(type(err), err)
            outputs = [
                *self._stream(stdout),
                {
                    "output_type": "error",
                    "ename": type(err).__name__,
                    "evalue": str(err),
                    "traceback": tb,
                },
            ]
            return Execution("error", outputs, 0.0, f"{type(err).__name__}: {err}")
        outputs = self._stream(stdout)
        if value is not None and not silent:
            outputs.append(
                {
                    "output_type": "execute_result",
                    "data": {"text/plain": repr(value)},
                    "metadata": {},
                    "execution_count": None,
                }
            )
        return Execution("ok", outputs, 0.0, "", self._expressions(user_expressions))

    def _run(self, code: str) -> Any:
        tree = ast.parse(code)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        exec(compile(tree, "<block>", "exec"), self.namespace)
        return (
            eval(compile(ast.Expression(last.value), "<block>", "eval"), self.namespace)
            if last
            else None
        )

    def _expressions(self, expressions: Mapping[str, str]) -> dict[str, Any]:
        out = {}
        for name, expr in expressions.items():
            try:
                out[name] = {
                    "status": "ok",
                    "data": {"text/plain": repr(eval(expr, self.namespace))},
                }
            except Exception as err:
                out[name] = {
                    "status": "error",
                    "ename": type(err).__name__,
                    "evalue": str(err),
                    "traceback": [],
                }
        return out

    @staticmethod
    def _stream(buffer: io.StringIO) -> list[dict[str, Any]]:
        text = buffer.getvalue()
        return [{"output_type": "stream", "name": "stdout", "text": text}] if text else []
