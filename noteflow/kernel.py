"""One running Jupyter kernel, driven through jupyter-client (DESIGN §5).

`KernelSession` starts a kernel (IPC transport where the adapter allows it, so no TCP
port is opened), runs code and collects its outputs as nbformat v4 dicts, enforces a
timeout by interrupting, notices a dead kernel, restarts, and shuts down leaving no
process and no connection file behind. Nothing here knows about blocks or the cache.
"""

from __future__ import annotations

import ast
import contextlib
import os
import queue
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .adapters import Adapter
from .errors import NoteflowError

ExecStatus = Literal["ok", "error", "timeout", "dead", "cancelled"]
POLL_SECONDS = 0.2
START_TIMEOUT = 60.0


class KernelStartError(NoteflowError):
    """A kernel could not be started or did not become ready."""

    exit_code = 1


@dataclass
class Execution:
    """The outcome of running one piece of code in a kernel."""

    status: ExecStatus
    outputs: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    """`ename: evalue` for an error; a sentence for a timeout or a dead kernel."""
    user_expressions: dict[str, Any] = field(default_factory=dict)

    def expression(self, name: str) -> Any:
        """The Python literal value of a user expression that returned a repr, or None."""
        item = self.user_expressions.get(name) or {}
        if item.get("status") != "ok":
            return None
        text = (item.get("data") or {}).get("text/plain", "")
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text


class KernelSession:
    """A kernel process and its client; reusable across many runs (the live preview)."""

    def __init__(
        self, spec_name: str, adapter: Adapter, cwd: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.spec_name = spec_name
        self.adapter = adapter
        self.cwd = cwd
        self.env = dict(env or {})
        self.language_version = ""
        self._km: Any = None
        self._kc: Any = None
        self._tmp: str | None = None
        self._log: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        from jupyter_client.manager import KernelManager

        self._tmp = tempfile.mkdtemp(prefix="noteflow-kernel-")
        km = KernelManager(kernel_name=self.spec_name)
        km.connection_file = os.path.join(self._tmp, "connection.json")
        if self.adapter.transport == "ipc":
            km.transport = "ipc"
            km.ip = os.path.join(self._tmp, "ipc")
        km.shutdown_wait_time = 3.0
        self._km = km
        try:
            self._log = open(os.path.join(self._tmp, "kernel.log"), "wb")  # noqa: SIM115
            km.start_kernel(cwd=str(self.cwd), env=self._environment(), stderr=self._log)
            self._connect()
        except BaseException:
            self.shutdown()
            raise

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        env.update(self.adapter.env)
        env.update(self.env)
        return env

    def _connect(self) -> None:
        self._kc = self._km.client()
        self._kc.start_channels()
        try:
            self._kc.wait_for_ready(timeout=START_TIMEOUT)
        except RuntimeError as err:
            raise KernelStartError(f"kernel '{self.spec_name}' did not start: {err}") from None
        self.language_version = self._language_version()
        self._run_setup()

    def _language_version(self) -> str:
        """The version the page footer records, from where the adapter says it is."""
        msg_id = self._kc.kernel_info()
        reply = self._reply(msg_id, time.monotonic() + 10)
        content = (reply or {}).get("content", {})
        source = self.adapter.version_source
        if source == "implementation":
            name, version = (
                content.get("implementation", ""),
                content.get("implementation_version", ""),
            )
            return f"{name} {version}".strip()
        if source == "banner":
            match = re.search(r"version (\S+)", str(content.get("banner", "")))
            return match.group(1) if match else ""
        return str(content.get("language_info", {}).get("version", ""))

    def _run_setup(self) -> None:
        setup = self.adapter.templates.get("setup")
        if not setup:
            return
        result = self.execute(setup, timeout=60, silent=True)
        if result.status != "ok":
            raise KernelStartError(
                f"noteflow's set-up code failed in kernel '{self.spec_name}': {result.error}"
            )

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the kernel wrote to stderr, to say why it died."""
        if not self._tmp:
            return ""
        try:
            text = Path(self._tmp, "kernel.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        tail = [line for line in text.splitlines() if line.strip()][-lines:]
        return ("; kernel said: " + " | ".join(tail)) if tail else ""

    def _settled_alive(self) -> bool:
        """Alive a moment later too (a kernel that just exited may still look alive)."""
        time.sleep(0.2)
        return self.is_alive()

    def is_alive(self) -> bool:
        return bool(self._km is not None and self._km.is_alive())

    def restart(self) -> None:
        """A fresh kernel process in place of this one (after death or a stuck interrupt)."""
        if self._kc is not None:
            self._kc.stop_channels()
        self._km.restart_kernel(now=True)
        self._connect()

    def interrupt(self) -> None:
        with contextlib.suppress(Exception):
            self._km.interrupt_kernel()

    def shutdown(self) -> None:
        """Stop the kernel and remove its files; safe to call twice or after a failed start."""
        if self._kc is not None:
            with contextlib.suppress(Exception):
                self._kc.stop_channels()
            self._kc = None
        if self._km is not None:
            with contextlib.suppress(Exception):
                self._km.shutdown_kernel(now=not self.is_alive())
            with contextlib.suppress(Exception):
                if self._km.has_kernel:
                    self._km.shutdown_kernel(now=True)
            self._km = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    # -- execution -------------------------------------------------------------------------

    def execute(
        self,
        code: str,
        *,
        timeout: float | None = None,
        silent: bool = False,
        user_expressions: Mapping[str, str] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Execution:
        """Run `code`; return its outputs and status. Never raises for the code's own errors."""
        started = time.monotonic()
        deadline = started + timeout if timeout else float("inf")
        msg_id = self._kc.execute(
            code,
            silent=silent,
            store_history=False,
            user_expressions=dict(user_expressions or {}),
            allow_stdin=False,
            stop_on_error=False,
        )
        collector = _OutputCollector()
        status = self._read_until_idle(msg_id, collector, deadline, cancel)
        reply = self._reply(msg_id, deadline) if status == "ok" else None
        if status == "ok" and reply is None:
            # No reply: the kernel went idle and then died, or never answered in time.
            status = "dead" if not self._settled_alive() else "timeout"
        if status == "ok":
            self._read_late_output(msg_id, collector)
        return self._result(status, reply, collector, started, timeout)

    def _read_until_idle(
        self,
        msg_id: str,
        collector: _OutputCollector,
        deadline: float,
        cancel: Callable[[], bool] | None,
    ) -> ExecStatus:
        while True:
            if time.monotonic() > deadline:
                return self._stop_running(msg_id, collector, "timeout")
            if cancel is not None and cancel():
                return self._stop_running(msg_id, collector, "cancelled")
            try:
                msg = self._kc.get_iopub_msg(
                    timeout=min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01))
                )
            except queue.Empty:
                if not self.is_alive():
                    return "dead"
                continue
            if msg["parent_header"].get("msg_id") == msg_id and collector.add(msg):
                return "ok"

    def _stop_running(
        self, msg_id: str, collector: _OutputCollector, status: ExecStatus
    ) -> ExecStatus:
        """Interrupt; if the kernel does not come back to idle soon, restart it."""
        self.interrupt()
        grace = time.monotonic() + 5
        while time.monotonic() < grace:
            try:
                msg = self._kc.get_iopub_msg(timeout=POLL_SECONDS)
            except queue.Empty:
                if not self.is_alive():
                    break
                continue
            if msg["parent_header"].get("msg_id") == msg_id and collector.add(msg):
                self._reply(msg_id, time.monotonic() + 2)
                return status
        self.restart()
        return status

    def _read_late_output(self, msg_id: str, collector: _OutputCollector) -> None:
        """Some kernels (Deno) publish output just after idle; keep listening briefly."""
        grace = self.adapter.late_output_grace
        until = time.monotonic() + grace
        while grace and time.monotonic() < until:
            try:
                msg = self._kc.get_iopub_msg(timeout=max(until - time.monotonic(), 0.001))
            except queue.Empty:
                return
            if msg["parent_header"].get("msg_id") == msg_id:
                collector.add(msg)

    def _reply(self, msg_id: str, deadline: float) -> dict[str, Any] | None:
        while time.monotonic() < deadline:
            try:
                msg = self._kc.get_shell_msg(
                    timeout=min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01))
                )
            except queue.Empty:
                if not self.is_alive():
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return dict(msg)
        return None

    def _result(
        self,
        status: ExecStatus,
        reply: dict[str, Any] | None,
        collector: _OutputCollector,
        started: float,
        timeout: float | None,
    ) -> Execution:
        seconds = time.monotonic() - started
        outputs = collector.outputs
        if status == "timeout":
            return Execution(
                "timeout", outputs, seconds, f"timed out after {timeout:g} s (kernel interrupted)"
            )
        if status == "dead":
            return Execution(
                "dead",
                outputs,
                seconds,
                "the kernel died while running this block" + self.log_tail(),
            )
        if status == "cancelled":
            return Execution("cancelled", outputs, seconds, "cancelled")
        content = (reply or {}).get("content", {})
        expressions = content.get("user_expressions") or {}
        if content.get("status") == "error" or collector.error:
            ename = content.get("ename") or collector.error.get("ename", "Error")
            evalue = content.get("evalue") or collector.error.get("evalue", "")
            return Execution("error", outputs, seconds, f"{ename}: {evalue}".strip(), expressions)
        return Execution("ok", outputs, seconds, "", expressions)


class _OutputCollector:
    """Turns iopub messages of one execution into nbformat v4 outputs, in order."""

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.error: dict[str, Any] = {}
        self._clear_on_next = False
        self._displays: dict[str, list[int]] = {}

    def add(self, msg: Mapping[str, Any]) -> bool:
        """Record one message; True when the kernel reports idle."""
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            return bool(content.get("execution_state") == "idle")
        if kind == "clear_output":
            self._clear(bool(content.get("wait")))
        elif kind == "update_display_data":
            self._update_display(content)
        elif kind in ("stream", "display_data", "execute_result", "error"):
            self._append(kind, content)
        return False

    def _clear(self, wait: bool) -> None:
        if wait:
            self._clear_on_next = True
        else:
            self.outputs.clear()
            self._displays.clear()

    def _append(self, kind: str, content: Mapping[str, Any]) -> None:
        if self._clear_on_next:
            self._clear(False)
            self._clear_on_next = False
        if kind == "stream":
            self._append_stream(content["name"], content.get("text", ""))
            return
        if kind == "error":
            self.error = dict(content)
            self.outputs.append(
                {
                    "output_type": "error",
                    "ename": content.get("ename", ""),
                    "evalue": content.get("evalue", ""),
                    "traceback": list(content.get("traceback", [])),
                }
            )
            return
        output: dict[str, Any] = {
            "output_type": kind,
            "data": dict(content.get("data", {})),
            "metadata": dict(content.get("metadata", {})),
        }
        if kind == "execute_result":
            output["execution_count"] = None
        display_id = (content.get("transient") or {}).get("display_id")
        if display_id:
            self._displays.setdefault(display_id, []).append(len(self.outputs))
        self.outputs.append(output)

    def _append_stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def _update_display(self, content: Mapping[str, Any]) -> None:
        display_id = (content.get("transient") or {}).get("display_id")
        for index in self._displays.get(display_id or "", []):
            self.outputs[index]["data"] = dict(content.get("data", {}))
            self.outputs[index]["metadata"] = dict(content.get("metadata", {}))
