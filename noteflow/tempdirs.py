"""noteflow's private temp folders, and the sweep that removes those of dead processes.

A kernel's connection file and IPC sockets, and the values a kernel stages for the store,
live in folders under the system temp directory. A render that is SIGKILLed cannot remove
them, so each folder's name records who owns it:
`noteflow-<kind>-<pid>-<start>-<pidns>-<random>`, where `<start>` is the owning process's
start time (clock ticks since boot, from `/proc/<pid>/stat`) and `<pidns>` its pid
namespace (both 0 where the platform has no `/proc`). `sweep_orphans` removes the
folders whose owner is gone; the start time tells a live owner from a new process that
got the same pid, and folders made in another pid namespace (a container sharing the
temp directory) are left alone, since their pids mean nothing here. A folder can also
name a process its owner started (a kernel, with `record_process`): the sweep ends that
process too, since not every kernel exits when the process that started it dies
(IRkernel and Deno's kernel do not). It costs one listing of the temp directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

PREFIX = "noteflow-"
RECORDED_PROCESS = "process"
"""The file in a temp folder naming a process to end with it: `<pid> <start>`."""
_NAME = re.compile(
    r"noteflow-(?P<kind>[a-z]+)-(?P<pid>\d+)-(?P<start>\d+)-(?P<pidns>\d+)-[A-Za-z0-9_]+"
)


def make_temp_dir(kind: str) -> Path:
    """A new folder (mode 0700) `noteflow-<kind>-<pid>-<start>-<pidns>-<random>` in the temp dir."""
    if not re.fullmatch(r"[a-z]+", kind):
        raise ValueError(f"temp folder kind must be lowercase letters, got {kind!r}")
    pid = os.getpid()
    prefix = f"{PREFIX}{kind}-{pid}-{process_start(pid)}-{pid_namespace()}-"
    return Path(tempfile.mkdtemp(prefix=prefix))


def record_process(folder: Path, pid: int) -> None:
    """Note that the sweep must end process `pid` (and its group) if `folder`'s owner dies."""
    partial = folder / f"{RECORDED_PROCESS}.partial"
    partial.write_text(f"{pid} {process_start(pid)}\n", encoding="ascii")
    partial.replace(folder / RECORDED_PROCESS)  # a reader never sees half a line


def sweep_orphans() -> int:
    """Remove this user's noteflow temp folders whose owning process is gone; how many."""
    temp = tempfile.gettempdir()
    removed = 0
    try:
        entries = list(os.scandir(temp))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.startswith(PREFIX) and _is_orphan(entry):
            _end_recorded_process(Path(entry.path))
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += not os.path.lexists(entry.path)
    return removed


def _is_orphan(entry: os.DirEntry[str]) -> bool:
    match = _NAME.fullmatch(entry.name)
    if match is None:
        return False
    try:
        if not entry.is_dir(follow_symlinks=False) or entry.stat().st_uid != os.getuid():
            return False
    except OSError:
        return False
    if int(match["pidns"]) != pid_namespace():
        return False  # made in another container: its pid cannot be checked from here
    return not owner_alive(int(match["pid"]), int(match["start"]))


def _end_recorded_process(folder: Path) -> None:
    """SIGKILL the process the folder names, if it is still that very process."""
    try:
        recorded = (folder / RECORDED_PROCESS).read_text("ascii")
        pid, start = (int(field) for field in recorded.split())
    except (OSError, ValueError):
        return
    state, now = _proc_stat(pid)
    if start == 0 or now != start or state == "Z":
        return  # gone, or a different process now has that pid, or unknowable here
    with contextlib.suppress(OSError):
        # Kernels are started in a session of their own: end what they started as well.
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)


def owner_alive(pid: int, start: int) -> bool:
    """Whether process `pid` runs and is the one that started at `start` (0: unknown)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    state, now = _proc_stat(pid)
    if state == "Z":
        return False  # exited, not yet reaped by its parent
    return start == 0 or now == 0 or now == start


def pid_namespace() -> int:
    """The inode of this process's pid namespace; 0 if unknown."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def process_start(pid: int) -> int:
    """The start time of process `pid` in clock ticks since boot; 0 if unknown."""
    return _proc_stat(pid)[1]


def _proc_stat(pid: int) -> tuple[str, int]:
    """(state letter, start time) of a process from `/proc/<pid>/stat`; ("", 0) if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return "", 0
    # Field 2 (the command name) may hold spaces and parentheses: split after its last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return fields[0], int(fields[19])  # fields 3 and 22 of the whole line
    except (IndexError, ValueError):
        return "", 0
