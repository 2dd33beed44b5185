"""An in-process stand-in for a Python kernel, for fast tests of the executor.

It runs code with `exec` in its own namespace (the adapter's real set-up code included,
so values are really saved and loaded with cloudpickle), captures stdout and the value of
a final expression, and counts what it ran so tests can assert which blocks executed.
"""

from __future__ import annotations

import ast
import contextlib
import io
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from noteflow.adapters import Adapter
from noteflow.kernel import Execution


class FakeKernel:
    instances: list[FakeKernel] = []

    def __init__(self, spec_name: str, adapter: Adapter, cwd: Path) -> None:
        self.adapter = adapter
        self.language_version = "3.fake"
        self.namespace: dict[str, Any] = {}
        self.ran: list[str] = []
        self.alive = False
        self.starts = 0
        FakeKernel.instances.append(self)

    def start(self) -> None:
        self.alive = True
        self.starts += 1
        self.namespace = {"__name__": "__main__"}
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
    ) -> Execution:
        if not silent and code:
            self.ran.append(code)
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
        return Execution("ok", outputs, 0.0, "", self._expressions(user_expressions or {}))

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
