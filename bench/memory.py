"""Peak memory of a whole `noteflow render` while a block prints far more than it keeps.

    python bench/memory.py [--megabytes 200] [--runs 3]

Renders, in a fresh process each time, a document whose one block prints N MB of text,
and reads the process's peak resident memory (its own, not the kernel's) from the
operating system (`resource.getrusage(RUSAGE_CHILDREN)` of a child that runs only that
render). Output past `output-limit` (5 MiB) is dropped as it arrives, so the peak should
stay near that of a small render whatever N is. Prints one table; exit 1 when the median
peak is over the target.

This is a measurement, not a unit test: how much output queues in ZeroMQ before noteflow
reads it depends on how busy the machine is (inside a long test run it was seen at
300 MB for 100 MB printed, against 75 MB on a quiet machine).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_MB = 200
RUN_ONE = """
import resource, subprocess, sys
subprocess.run([sys.executable, "-m", "noteflow", "render", sys.argv[1], "-q"], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def peak_mb(document: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", RUN_ONE, str(document)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: render failed: {done.stderr}")
    return int(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    lines = args.megabytes * 10_000
    with tempfile.TemporaryDirectory(prefix="noteflow-memory-") as tmp:
        small, large = Path(tmp) / "small.md", Path(tmp) / "large.md"
        small.write_text("```{python}\nprint('x' * 99)\n```\n")
        large.write_text(f"```{{python}}\nfor i in range({lines}):\n    print('x' * 99)\n```\n")
        rows = []
        for name, document in (("prints 100 B", small), (f"prints {args.megabytes} MB", large)):
            peaks = []
            for _ in range(args.runs):
                shutil.rmtree(document.parent / ".noteflow", ignore_errors=True)
                peaks.append(peak_mb(document))
            rows.append((name, statistics.median(peaks), min(peaks), max(peaks)))
    print(f"{'block':<16} {'median MB':>10} {'min MB':>8} {'max MB':>8}  target")
    ok = True
    for name, median, low, high in rows:
        target = ""
        if name != "prints 100 B":
            ok = median < TARGET_MB
            target = f"< {TARGET_MB} MB {'PASS' if ok else 'FAIL'}"
        print(f"{name:<16} {median:>10.0f} {low:>8} {high:>8}  {target}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
