"""Faults around kernels: capped output, kernels that cannot start or die, and the temp
folders (and kernels) a killed render leaves behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from noteflow.adapters import find_kernelspec, load_adapters
from noteflow.iopub import OutputCollector
from noteflow.kernel import KernelSession, KernelStartError
from noteflow.tempdirs import (
    make_temp_dir,
    pid_namespace,
    process_start,
    record_process,
    sweep_orphans,
)

# -- the output cap, on messages (no kernel) ----------------------------------------------


def stream(text: str) -> dict[str, Any]:
    return {"msg_type": "stream", "content": {"name": "stdout", "text": text}}


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": "display_data", "content": {"data": data, "metadata": {}}}


def collect(limit: int, *messages: dict[str, Any]) -> list[dict[str, Any]]:
    collector = OutputCollector(limit)
    for message in messages:
        collector.add(message)
    return collector.finish()


def notice_count(outputs: list[dict[str, Any]]) -> int:
    """Bytes the truncation notice says were dropped (checked against its text), or 0."""
    notices = [o for o in outputs if "noteflow" in o.get("metadata", {})]
    if not notices:
        return 0
    assert notices == [outputs[-1]]
    dropped = int(notices[0]["metadata"]["noteflow"]["truncated"])
    assert notices[0]["data"]["text/plain"] == (
        f"[output truncated: {dropped} bytes more were not kept; raise output-limit to keep more]"
    )
    return dropped


def test_output_under_the_limit_is_kept_whole_without_a_notice() -> None:
    outputs = collect(10, stream("12345"), stream("67890"))
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "1234567890"}]


def test_stream_text_is_cut_at_the_limit_and_the_rest_counted() -> None:
    outputs = collect(4, stream("aé"), stream("éé"), stream("more"))
    # 3 bytes fit; the next 'é' would need 2 of the 1 left: cut before it, not inside it.
    assert outputs[0] == {"output_type": "stream", "name": "stdout", "text": "aé"}
    assert notice_count(outputs) == 4 + 4


def test_images_count_against_the_limit_and_later_outputs_are_dropped_too() -> None:
    image = display({"image/png": "A" * 1000})
    outputs = collect(3500, *[image] * 10, stream("after"))
    kept = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(kept) == 3
    assert notice_count(outputs) == 7 * 1000 + len("after")
    assert not any(o["output_type"] == "stream" for o in outputs)


def test_clear_output_frees_the_budget() -> None:
    clear = {"msg_type": "clear_output", "content": {"wait": False}}
    outputs = collect(5, stream("12345"), clear, stream("abcde"), clear, stream("xyz"))
    assert outputs == [{"output_type": "stream", "name": "stdout", "text": "xyz"}]


def test_an_error_is_kept_even_past_the_limit() -> None:
    error = {
        "msg_type": "error",
        "content": {"ename": "ValueError", "evalue": "bad", "traceback": ["tb"]},
    }
    outputs = collect(3, stream("123456"), error)
    assert [o["output_type"] for o in outputs] == ["stream", "error", "display_data"]
    assert outputs[0]["text"] == "123"
    assert notice_count(outputs) == 3


@pytest.mark.kernel
def test_output_limit_option_caps_what_the_page_shows(write_doc) -> None:
    doc = write_doc(
        "---\nexecute:\n  output-limit: 1000\n---\n\n"
        "```{python}\n#| label: default\nprint('a' * 5000)\n```\n\n"
        "```{python}\n#| label: own\n#| output-limit: 2000\nprint('b' * 5000)\n```\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(doc)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    page = doc.with_suffix(".html").read_text()
    assert "a" * 1000 in page and "a" * 1001 not in page
    assert "b" * 2000 in page and "b" * 2001 not in page
    assert page.count("output-limit") == 2


# -- kernels that cannot start ------------------------------------------------------------


def write_kernelspec(root: Path, name: str, argv: list[str]) -> Path:
    folder = root / "kernels" / name
    folder.mkdir(parents=True)
    spec = {"argv": argv, "display_name": name, "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))
    return root


def kernel_folders(pid: int) -> list[Path]:
    return sorted(Path(tempfile.gettempdir()).glob(f"noteflow-kernel-{pid}-*"))


def start_error(name: str, tmp_path: Path) -> KernelStartError:
    session = KernelSession(name, load_adapters()["python"], tmp_path)
    with pytest.raises(KernelStartError) as caught:
        session.start()
    assert not session.is_alive()
    return caught.value


def test_missing_interpreter_says_which_file_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "JUPYTER_PATH", str(write_kernelspec(tmp_path, "python3", ["/missing/python"]))
    )
    before = kernel_folders(os.getpid())
    error = start_error("python3", tmp_path)
    assert str(error) == "kernel python3 could not start: /missing/python not found"
    assert kernel_folders(os.getpid()) == before


def test_interpreter_that_is_not_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "python"
    program.write_text("#!/bin/sh\n")
    monkeypatch.setenv("JUPYTER_PATH", str(write_kernelspec(tmp_path, "plain", [str(program)])))
    assert start_error("plain", tmp_path).reason == f"{program} is not executable"


@pytest.mark.kernel
def test_kernel_that_exits_at_start_gives_its_exit_code_and_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "import sys; sys.stderr.write('No module named fancy\\n'); sys.exit(3)"
    spec_root = write_kernelspec(tmp_path, "broken", [sys.executable, "-c", code])
    monkeypatch.setenv("JUPYTER_PATH", str(spec_root))
    error = start_error("broken", tmp_path)
    assert error.reason == "exited with code 3; kernel said: No module named fancy"


@pytest.mark.kernel
def test_render_with_a_kernel_that_cannot_start_fails_its_blocks_with_the_reason(
    write_doc, tmp_path: Path
) -> None:
    spec_root = write_kernelspec(tmp_path / "specs", "python3", ["/missing/python", "-f", "x"])
    doc = write_doc("```{python}\nx = 1\n```\n\nprose\n\n```{python}\nprint(x)\n```\n")
    env = {**os.environ, "JUPYTER_PATH": str(spec_root)}
    result = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(doc)],
        capture_output=True,
        text=True,
        env=env,
        cwd=doc.parent,
        timeout=120,
    )
    reason = "kernel python3 could not start: /missing/python not found"
    assert result.returncode == 1
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert reason in doc.with_suffix(".html").read_text()


# -- kernels that die ---------------------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("code", "how"),
    [
        ("import os\nos._exit(3)", "exited with code 3"),
        ("import os\nos.kill(os.getpid(), 9)", "killed by signal 9 SIGKILL"),
    ],
)
def test_dead_kernel_message_names_the_exit_code_or_signal(
    tmp_path: Path, code: str, how: str
) -> None:
    session = KernelSession("python3", load_adapters()["python"], tmp_path)
    session.start()
    try:
        result = session.execute(code, timeout=30)
        assert result.status == "dead"
        assert result.error.startswith(f"the kernel died ({how}) while running this block")
    finally:
        session.shutdown()


# -- temp folders of processes that are gone ----------------------------------------------

MAKE_FOLDER = (
    "import sys, time\n"
    "from noteflow.tempdirs import make_temp_dir\n"
    "print(make_temp_dir(sys.argv[1]), flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp dir of this test's own, here and in the subprocesses it starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def folder_of_killed_process(kind: str) -> tuple[Path, int]:
    """A temp folder made by a process that was then SIGKILLed (and reaped)."""
    child = subprocess.Popen(
        [sys.executable, "-c", MAKE_FOLDER, kind], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    folder = Path(child.stdout.readline().strip())
    child.kill()
    child.wait()
    return folder, child.pid


def test_temp_folder_is_private_and_names_its_owner(private_tmp: Path) -> None:
    folder = make_temp_dir("values")
    pid = os.getpid()
    assert folder.parent == private_tmp
    owner = f"{pid}-{process_start(pid)}-{pid_namespace()}"
    assert folder.name.startswith(f"noteflow-values-{owner}-")
    assert folder.stat().st_mode & 0o777 == 0o700


def test_sweep_removes_folders_of_dead_processes_and_keeps_live_ones(private_tmp: Path) -> None:
    dead, _ = folder_of_killed_process("kernel")
    (dead / "connection.json").write_text("{}")
    dead_values, _ = folder_of_killed_process("values")
    live = make_temp_dir("kernel")
    other = private_tmp / "noteflow-kernel-unrelated"
    other.mkdir()
    assert sweep_orphans() == 2
    assert not dead.exists() and not dead_values.exists()
    assert live.is_dir() and other.is_dir()


def test_sweep_sees_through_a_reused_pid(private_tmp: Path) -> None:
    pid = os.getpid()
    reused = private_tmp / f"noteflow-values-{pid}-{process_start(pid) + 1}-{pid_namespace()}-abc"
    reused.mkdir()
    mine = make_temp_dir("values")
    assert sweep_orphans() == 1
    assert not reused.exists() and mine.is_dir()


def test_sweep_leaves_folders_of_another_pid_namespace_alone(private_tmp: Path) -> None:
    elsewhere = private_tmp / f"noteflow-values-999999-1-{pid_namespace() + 1}-abcdefgh"
    elsewhere.mkdir()
    assert sweep_orphans() == 0
    assert elsewhere.is_dir()


def test_sweep_ends_the_process_a_dead_owner_left_running(private_tmp: Path) -> None:
    folder, _ = folder_of_killed_process("kernel")
    orphan = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        record_process(folder, orphan.pid)
        assert sweep_orphans() == 1
        assert orphan.wait(timeout=10) == -signal.SIGKILL
    finally:
        orphan.kill()
        orphan.wait()


def test_sweep_leaves_a_recorded_process_alone_while_its_owner_lives(private_tmp: Path) -> None:
    folder = make_temp_dir("kernel")
    other = subprocess.Popen(["sleep", "120"], start_new_session=True)
    try:
        record_process(folder, other.pid)
        assert sweep_orphans() == 0
        assert other.poll() is None and folder.is_dir()
    finally:
        other.kill()
        other.wait()


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan may wait a while to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def need_kernel(name: str) -> None:
    """Skip where the kernel is missing, unless CI requires it (then fail)."""
    if find_kernelspec(name) is None:
        required = os.environ.get("NOTEFLOW_REQUIRE_KERNELS", "").split(",")
        assert name not in required, f"kernel {name} is required here but not installed"
        pytest.skip(f"kernel {name} is not installed")


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("fence", "kernelspec", "sleep"),
    [
        ("python", "python3", "import time\ntime.sleep(30)"),
        # IRkernel and Deno do not exit when their parent dies: the sweep must end them.
        ("r", "ir", "Sys.sleep(30)"),
        ("js", "deno", "await new Promise((done) => setTimeout(done, 30000));"),
    ],
)
def test_a_killed_render_leaves_no_folder_and_no_kernel_after_the_next_render(
    write_doc, tmp_path: Path, fence: str, kernelspec: str, sleep: str
) -> None:
    need_kernel(kernelspec)
    slow = write_doc(f"```{{{fence}}}\n{sleep}\n```\n", "slow.md")
    quick = write_doc("```{python}\nprint(1)\n```\n", "quick.md")
    log_path = tmp_path / "render.log"
    with log_path.open("w") as log:
        render = subprocess.Popen(
            [sys.executable, "-m", "noteflow", "render", str(slow)], stderr=log, stdout=log
        )
    try:
        assert wait_for(lambda: recorded_kernel(render.pid) is not None, 60)
        assert wait_for(lambda: "running" in log_path.read_text(), 30)
        time.sleep(1)  # into the block
        kernel_pid = recorded_kernel(render.pid)
    finally:
        render.kill()
        render.wait()
    assert kernel_folders(render.pid), "the killed render left no folder: nothing to test"
    result = subprocess.run(
        [sys.executable, "-m", "noteflow", "render", str(quick)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert list(Path(tempfile.gettempdir()).glob(f"noteflow-*-{render.pid}-*")) == []
    assert kernel_pid is not None and wait_for(lambda: not running(kernel_pid), 5)


def recorded_kernel(render_pid: int) -> int | None:
    """The pid of the kernel a render recorded in its temp folder, once it has."""
    for folder in kernel_folders(render_pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((folder / "process").read_text().split()[0])
    return None
