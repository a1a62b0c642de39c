"""Start the emulator for a benchmark: in a separate process by default.

In its own process the emulator has its own interpreter (and GIL), so the
client under test is not slowed down by the server's work, and the client's
CPU time is its own. ``in_process=True`` keeps the old arrangement (an
``EmulatorServer`` thread in this process) for comparison.

The child binds 127.0.0.1 only, is polled on ``GET /_emulator/health`` until
it answers, and is terminated (then killed, if it must be) when the context
exits — on errors and Ctrl-C too, and on SIGTERM to the benchmark. Every wait
is bounded in attempts and in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import IO

from fruxon_emulator.server import resolve_config

__all__ = ["Emulator", "add_arguments", "busy_warning", "running_emulator"]

HOST = "127.0.0.1"
_START_ATTEMPTS = 3  # a fresh port each time: another process may grab the one we picked
_START_TIMEOUT_S = 30.0
_POLL_INTERVAL_S = 0.05
_STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Emulator:
    """What a benchmark needs to reach a running emulator."""

    base_url: str
    org: str
    api_key: str
    pid: int | None = None  # None when the emulator runs in this process

    def server_cpu(self) -> float | None:
        """CPU seconds the emulator process has used so far (Linux; else None)."""
        if self.pid is None:
            return None
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # After the ")" closing the command name: field 14 (utime) is index 11.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--in-process`` to a benchmark's command line."""
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the emulator on a thread of this process (shares the GIL; for comparison)",
    )


def _cpu_ticks() -> tuple[int, int] | None:
    """(idle, total) jiffies over all CPUs from /proc/stat (Linux; else None)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)  # idle + iowait


def busy_warning(sample_s: float = 0.5) -> str | None:
    """A warning if other processes keep the CPUs busy (they skew wall-clock numbers)."""
    before = _cpu_ticks()
    time.sleep(sample_s)
    after = _cpu_ticks()
    if before is None or after is None or after[1] == before[1]:
        return None
    busy = 1 - (after[0] - before[0]) / (after[1] - before[1])
    if busy < 0.2:
        return None
    cpus = os.cpu_count() or 1
    return (
        f"warning: the machine was {busy:.0%} busy before the benchmark started "
        f"(~{busy * cpus:.1f} of {cpus} CPUs); wall-clock figures will be noisy"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _healthy(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/_emulator/health", timeout=1.0) as response:
            return response.status == 200 and json.load(response).get("status") == "ok"
    except (OSError, ValueError):  # URLError is an OSError; refused while starting
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the CLI closes the server cleanly on SIGTERM
    try:
        process.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_TIMEOUT_S)


def _start(port: int, log: IO[bytes]) -> subprocess.Popen[bytes] | None:
    """Start a child on ``port``; return it once healthy, None if it exited early."""
    command = [sys.executable, "-m", "fruxon_emulator.cli", "serve"]
    command += ["--host", HOST, "--port", str(port), "--pacing-ms", "0"]  # streams unpaced
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log
    )
    base_url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + _START_TIMEOUT_S
    try:
        for _ in range(int(_START_TIMEOUT_S / _POLL_INTERVAL_S)):
            if process.poll() is not None:
                return None
            if _healthy(base_url):
                return process
            if time.monotonic() > deadline:
                break
            time.sleep(_POLL_INTERVAL_S)
    except BaseException:
        _stop(process)
        raise
    _stop(process)
    raise RuntimeError(f"the emulator did not answer on {base_url} within {_START_TIMEOUT_S}s")


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so ``finally`` blocks (stopping the child) run."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _subprocess_emulator() -> Iterator[Emulator]:
    config = resolve_config(None)  # the child serves the same shipped default config
    org, api_key = config.tenants[0].id, config.tenants[0].api_keys[0]
    with tempfile.TemporaryFile() as log, _sigterm_as_exit():
        process = None
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            process = _start(port, log)
            if process is not None:
                break
        if process is None:
            log.seek(0)
            detail = log.read().decode(errors="replace").strip()
            raise RuntimeError(f"the emulator failed to start: {detail or 'no output'}")
        try:
            yield Emulator(f"http://{HOST}:{port}", org, api_key, process.pid)
        finally:
            _stop(process)


@contextlib.contextmanager
def _thread_emulator() -> Iterator[Emulator]:
    from fruxon_emulator import EmulatorServer

    with EmulatorServer(pacing_ms=0) as server:
        yield Emulator(server.base_url, server.org, server.api_key)


def running_emulator(in_process: bool = False) -> contextlib.AbstractContextManager[Emulator]:
    """A running emulator: its own process by default, a thread here if ``in_process``."""
    return _thread_emulator() if in_process else _subprocess_emulator()
