"""One running Jupyter kernel, driven through jupyter-client (DESIGN §5).

`KernelSession` starts a kernel (IPC transport where the adapter allows it, so no TCP
port is opened), runs code and collects its outputs as nbformat v4 dicts (at most
`output_limit` bytes of them per run, with a notice for the rest), enforces a timeout by
interrupting, notices a dead kernel and says how it died, restarts, and shuts down
leaving no process and no connection file behind. A kernel that cannot start raises
`KernelStartError` with the reason. Nothing here knows about blocks or the cache.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import queue
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .adapters import Adapter
from .errors import NoteflowError
from .iopub import DEFAULT_OUTPUT_LIMIT, OutputCollector
from .tempdirs import make_temp_dir, record_process

ExecStatus = Literal["ok", "error", "timeout", "dead", "cancelled"]
POLL_SECONDS = 0.2
START_TIMEOUT = 60.0
# jupyter-client logs a start failure with a traceback; noteflow reports it itself.
_JUPYTER_LOG = logging.getLogger("noteflow.jupyter_client")
_JUPYTER_LOG.addHandler(logging.NullHandler())
_JUPYTER_LOG.propagate = False


class KernelStartError(NoteflowError):
    """A kernel could not be started or did not become ready; `reason` says why."""

    exit_code = 1

    def __init__(self, spec_name: str, reason: str) -> None:
        super().__init__(f"kernel {spec_name} could not start: {reason}")
        self.spec_name = spec_name
        self.reason = reason


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
        """Start the kernel and wait until it answers; `KernelStartError` says why not."""
        self._tmp = str(make_temp_dir("kernel"))
        try:
            self._km = self._manager()
            self._log = open(os.path.join(self._tmp, "kernel.log"), "wb")  # noqa: SIM115
            self._launch()
            self._connect()
        except BaseException:
            self.shutdown()
            raise

    def _manager(self) -> Any:
        from jupyter_client.kernelspec import NoSuchKernel
        from jupyter_client.manager import KernelManager

        km = KernelManager(kernel_name=self.spec_name, log=_JUPYTER_LOG)
        try:
            km.kernel_spec  # noqa: B018 (loads the kernelspec, or raises)
        except NoSuchKernel:
            raise self._start_error("no such kernelspec is installed") from None
        except (ValueError, OSError) as err:  # a kernel.json that is not valid JSON
            raise self._start_error(f"its kernelspec cannot be read: {err}") from None
        km.connection_file = os.path.join(self._tmp or "", "connection.json")
        if self.adapter.transport == "ipc":
            km.transport = "ipc"
            km.ip = os.path.join(self._tmp or "", "ipc")
        km.shutdown_wait_time = 3.0
        return km

    def _launch(self) -> None:
        env = self._environment()
        missing = _missing_program(self._km.kernel_spec, env)
        if missing:
            raise self._start_error(missing)
        try:
            self._km.start_kernel(cwd=str(self.cwd), env=env, stderr=self._log)
        except OSError as err:
            raise self._start_error(f"{err.filename or 'the kernel'}: {err.strerror}") from None
        self._record_process()

    def _record_process(self) -> None:
        """Name the kernel process in the temp folder, so a sweep ends it if we are killed."""
        process = getattr(self._km.provisioner, "process", None)
        if process is not None and self._tmp:
            record_process(Path(self._tmp), process.pid)

    def _start_error(self, reason: str) -> KernelStartError:
        return KernelStartError(self.spec_name, reason)

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
        except RuntimeError:
            if self.is_alive():
                raise self._start_error(f"no answer within {START_TIMEOUT:g} s") from None
            raise self._start_error(self.exit_description() + self.log_tail()) from None
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
            raise self._start_error(f"noteflow's set-up code failed: {result.error}")

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

    def exit_description(self) -> str:
        """How the kernel process ended (`exited with code 3`, `killed by signal 9 SIGKILL`)."""
        process = getattr(getattr(self._km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return "exited"
        if code < 0:
            return f"killed by signal {-code} {_signal_name(-code)}".rstrip()
        return f"exited with code {code}"

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
        self._record_process()
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
        output_limit: int | None = None,
    ) -> Execution:
        """Run `code`; return its outputs and status. Never raises for the code's own errors.

        At most `output_limit` bytes of output are kept (`DEFAULT_OUTPUT_LIMIT` if None);
        the rest is dropped as it arrives and one notice output says how much.
        """
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
        limit = DEFAULT_OUTPUT_LIMIT if output_limit is None else max(output_limit, 0)
        collector = OutputCollector(limit)
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
        collector: OutputCollector,
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
        self, msg_id: str, collector: OutputCollector, status: ExecStatus
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

    def _read_late_output(self, msg_id: str, collector: OutputCollector) -> None:
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
        collector: OutputCollector,
        started: float,
        timeout: float | None,
    ) -> Execution:
        seconds = time.monotonic() - started
        outputs = collector.finish()
        if status == "timeout":
            return Execution(
                "timeout", outputs, seconds, f"timed out after {timeout:g} s (kernel interrupted)"
            )
        if status == "dead":
            return Execution(
                "dead",
                outputs,
                seconds,
                f"the kernel died ({self.exit_description()}) while running this block"
                + self.log_tail(),
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


def _missing_program(spec: Any, env: Mapping[str, str]) -> str:
    """`/missing/python not found` when the kernelspec's program cannot run, else ''."""
    argv = list(getattr(spec, "argv", None) or [])
    if not argv:
        return "its kernelspec has an empty argv"
    program = os.path.expanduser(argv[0].replace("{resource_dir}", spec.resource_dir or ""))
    major, minor = sys.version_info[:2]
    if program in {"python", f"python{major}", f"python{major}.{minor}"}:
        return ""  # jupyter-client runs these as this very interpreter
    if os.sep not in program:
        found = shutil.which(program, path=env.get("PATH", os.defpath))
        return "" if found else f"{program} not found on PATH"
    if not os.path.isabs(program):
        return ""  # relative to the kernel's working directory: let the launch say
    if not os.path.isfile(program):
        return f"{program} not found"
    return "" if os.access(program, os.X_OK) else f"{program} is not executable"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return ""
