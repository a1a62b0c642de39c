"""Start-up costs users pay before any request: the pytest plugin, the CLI, the imports.

Each row is the median wall time of fresh interpreter runs (``--runs`` each,
interleaved so machine noise hits both sides alike):

* **pytest with the emulator plugin installed but unused** — a one-test file
  run with the plugin (as every project that has fruxon-emulator installed
  gets it) against the same run with ``-p no:fruxon_emulator``; target < 20 ms;
* **``fruxon --help``** — target ≤ 0.25 s (``python -c pass`` shown for scale);
* ``import fruxon_requests`` / ``import fruxon_aiohttp`` (for information).

Usage::

    uv run python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST_FILE = "def test_nothing():\n    assert True\n"


def _time(command: list[str], cwd: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def _medians(commands: dict[str, list[str]], runs: int, cwd: str | None = None) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(_time(command, cwd))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_one.py").write_text(TEST_FILE)
        pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py"]
        times = _medians(
            {"with": pytest, "without": [*pytest, "-p", "no:fruxon_emulator"]}, args.runs, folder
        )
    overhead = times["with"] - times["without"]
    good = overhead < 0.020
    ok &= good
    print(
        f"pytest, emulator plugin installed but unused: {times['with'] * 1000:.0f} ms vs "
        f"{times['without'] * 1000:.0f} ms without it: +{overhead * 1000:.1f} ms "
        f"(target < 20 ms) {'ok' if good else 'MISSED'}"
    )
    fruxon = shutil.which("fruxon") or str(Path(python).with_name("fruxon"))
    times = _medians(
        {
            "help": [fruxon, "--help"],
            "python": [python, "-c", "pass"],
            "requests": [python, "-c", "import fruxon_requests"],
            "aiohttp": [python, "-c", "import fruxon_aiohttp"],
        },
        args.runs,
    )
    good = times["help"] <= 0.25
    ok &= good
    print(
        f"fruxon --help: {times['help'] * 1000:.0f} ms (python -c pass: "
        f"{times['python'] * 1000:.0f} ms) (target <= 250 ms) {'ok' if good else 'MISSED'}"
    )
    print(
        f"import fruxon_requests: {times['requests'] * 1000:.0f} ms, "
        f"import fruxon_aiohttp: {times['aiohttp'] * 1000:.0f} ms (whole interpreter runs)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
