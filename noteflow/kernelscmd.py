"""`noteflow kernels`: which kernel each language uses here, its version, or how to install it.

Versions come from the kernels themselves (their `language_info`), so every kernel that is
found is started once, all at the same time, and shut down again.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass

from .adapters import Adapter, find_kernelspec, load_adapters
from .kernel import KernelSession, KernelStartError
from .tempdirs import make_temp_dir


@dataclass
class KernelRow:
    language: str
    kernelspec: str
    version: str
    status: str


def survey() -> list[KernelRow]:
    rows = [_row(adapter) for adapter in load_adapters().values()]
    threads = [
        threading.Thread(target=_ask_version, args=(row,)) for row in rows if row.status == "ok"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return rows


def _row(adapter: Adapter) -> KernelRow:
    for name in adapter.kernelspecs:
        if find_kernelspec(name) is not None:
            return KernelRow(adapter.language, name, "", "ok")
    return KernelRow(adapter.language, "-", "-", f"missing: {adapter.install_hint}")


def _ask_version(row: KernelRow) -> None:
    adapter = load_adapters()[row.language]
    folder = make_temp_dir("survey")
    session = KernelSession(row.kernelspec, adapter, folder)
    try:
        session.start()
        row.version = session.language_version or "?"
    except KernelStartError as err:
        row.status = f"does not start: {err.reason}"
    except Exception as err:  # report any other start failure in the table, keep going
        row.status = f"does not start: {err}"
    finally:
        session.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def format_rows(rows: list[KernelRow]) -> str:
    header = KernelRow("language", "kernelspec", "version", "status")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in ("language", "kernelspec", "version")]
    lines = []
    for r in table:
        first = f"{r.language:<{widths[0]}}  {r.kernelspec:<{widths[1]}}"
        lines.append(f"{first}  {r.version:<{widths[2]}}  {r.status}")
    return "\n".join(lines)
