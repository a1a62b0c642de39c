"""Start-up costs users pay before any request: the pytest plugin, the CLI, the imports.

Each row is the median wall time of fresh interpreter runs (``--runs`` each,
interleaved so machine noise hits both sides alike):

* **pytest with the emulator plugin installed but unused** — a one-test file
  run with the plugin against the same run without it; target < 20 ms. Both
  runs set ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, so that the start-up of every
  other plugin in this environment (hypothesis alone takes ~0.4 s) and its
  jitter do not drown a difference of a few milliseconds; the "with" run loads
  the plugin with ``-p fruxon_emulator.pytest_plugin`` (the import and
  registration its ``pytest11`` entry point gets), the "without" run an empty
  module with ``-p``, because ``-p`` also makes pytest scan the installed
  entry points, a cost it pays with autoloading whatever is installed. The
  plugin module's own import time (after pytest's, median of ``--runs`` fresh
  interpreters) is shown beside it;
* **``fruxon --help``** — target ≤ 0.25 s (``python -c pass`` shown for scale);
* ``import fruxon_requests`` / ``import fruxon_aiohttp`` (for information).

Every command first runs once untimed and with bytecode writing allowed
(``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment), so
modules load from ``__pycache__`` as they do after ``pip install``, which
compiles them; without that every run would compile every module again.

Each row's line ends with its figure (the one the target is about).

Usage::

    uv run python benchmarks/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST_FILE = "def test_nothing():\n    assert True\n"
EMPTY_PLUGIN = '"""No hooks, no fixtures: the -p baseline."""\n'
PLUGIN = "fruxon_emulator.pytest_plugin"
PLUGIN_IMPORT = (
    "import time, pytest; started = time.perf_counter(); "
    f"import {PLUGIN}; print(time.perf_counter() - started)"
)
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
# (``python -m pytest`` puts its working directory, the one with empty_plugin.py, on sys.path)
PYTEST_ENV = {**CHILD_ENV, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def _time(command: list[str], cwd: str | None = None) -> float:
    started = time.perf_counter()
    env = PYTEST_ENV if "pytest" in command else CHILD_ENV
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def _medians(commands: dict[str, list[str]], runs: int, cwd: str | None = None) -> dict[str, float]:
    for command in commands.values():  # untimed: writes __pycache__ where it is missing
        _time(command, cwd)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for index in range(runs):
        names = list(commands)
        if index % 2:
            names.reverse()
        for name in names:
            samples[name].append(_time(commands[name], cwd))
    return {name: statistics.median(values) for name, values in samples.items()}


def _plugin_import(runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PLUGIN_IMPORT],
            check=True,
            capture_output=True,
            text=True,
            env=CHILD_ENV,
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    python = sys.executable
    ok = True
    load = os.getloadavg()[0]
    print(
        f"medians of {args.runs} runs; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f} at the start"
    )
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "test_one.py").write_text(TEST_FILE)
        Path(folder, "empty_plugin.py").write_text(EMPTY_PLUGIN)
        pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_one.py", "-p"]
        times = _medians(
            {"with": [*pytest, PLUGIN], "without": [*pytest, "empty_plugin"]}, args.runs, folder
        )
    plugin_import = _plugin_import(args.runs)
    overhead = times["with"] - times["without"]
    good = overhead < 0.020
    ok &= good
    print(
        f"pytest, emulator plugin installed but unused: {times['with'] * 1000:.0f} ms with it, "
        f"{times['without'] * 1000:.0f} ms without (the plugin's import: "
        f"{plugin_import * 1000:.1f} ms); target < 20 ms {'ok' if good else 'MISSED'}: "
        f"{overhead * 1000:+.1f} ms"
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
        f"fruxon --help (python -c pass: {times['python'] * 1000:.0f} ms); "
        f"target <= 250 ms {'ok' if good else 'MISSED'}: {times['help'] * 1000:.0f} ms"
    )
    print(
        f"import fruxon_requests: {times['requests'] * 1000:.0f} ms, "
        f"import fruxon_aiohttp: {times['aiohttp'] * 1000:.0f} ms (whole interpreter runs)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
