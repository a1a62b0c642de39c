"""Cost of the httpx clients against bare httpx, sync and async, in the same run.

Starts an emulator in a separate process (``--in-process`` runs it on a thread
here instead, sharing the GIL, for comparison) and, for several rounds,
measures on one ``httpx.Client`` / ``httpx.AsyncClient`` pair per side:

* sequential ``execute`` calls through ``FruxonClient`` / ``AsyncFruxonClient``
  versus a bare ``client.post(...)`` + ``response.json()`` with the same URL,
  body and headers (a fresh ``Idempotency-Key`` per call, as the SDK sends);
* short streams -- one ``support-agent`` run, 25 events -- through
  ``client.stream`` versus bare ``client.stream("POST", ...)`` +
  ``iter_lines()`` + ``json.loads`` of every ``data:`` line, read to the end of
  the body (so bare httpx reuses its connection as the SDK does).

Each round runs ``--calls`` calls (or streams) per side in blocks that
alternate sides (swapping who goes first), so drift and noise from other
processes hit both alike. The table reports medians of wall-clock and client
CPU time per call; the ratio (SDK time / bare time, lower is better) comes
last on each row, and the exit status is 0 only when every wall-clock ratio
is within ``--target`` (1.05x). Usage::

    uv run python benchmarks/bench_httpx.py [--rounds 9] [--calls 600] [--streams 300]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from _emulator import Emulator, add_arguments, busy_warning, running_emulator

from fruxon_httpx import AsyncFruxonClient, FruxonClient

EXECUTE_AGENT = "echo-agent"
STREAM_AGENT = "support-agent"
QUESTION = {"question": "How do I reset my password?"}
BLOCKS = 10


class Wire:
    """The URLs, headers and bodies both sides send."""

    def __init__(self, server: Emulator) -> None:
        prefix = f"{server.base_url}/v1/tenants/{server.org}/agents"
        self.execute_url = f"{prefix}/{EXECUTE_AGENT}:execute"
        self.stream_url = f"{prefix}/{STREAM_AGENT}:stream"
        self.headers = {
            "User-Agent": "bench",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-API-KEY": server.api_key,
        }
        self.stream_headers = {**self.headers, "Accept": "text/event-stream"}
        self.execute_body = json.dumps({"parameters": {"message": "benchmark"}}).encode()
        self.stream_body = json.dumps({"parameters": QUESTION}).encode()


@dataclass
class Side:
    """Wall-clock and client-CPU seconds of one side, summed over one round's blocks."""

    wall: float = 0.0
    cpu: float = 0.0

    def add(self, wall: float, cpu: float) -> None:
        self.wall += wall
        self.cpu += cpu


@dataclass
class Row:
    name: str
    unit: str
    per_round: int
    bare: list[Side] = field(default_factory=list)
    ours: list[Side] = field(default_factory=list)

    def median(self, sides: list[Side], kind: str) -> float:
        return float(statistics.median(getattr(side, kind) for side in sides))

    def ratio(self, kind: str = "wall") -> float:
        return self.median(self.ours, kind) / self.median(self.bare, kind)


def _timed(work: Callable[[], Any]) -> tuple[float, float]:
    cpu, wall = time.thread_time(), time.perf_counter()
    work()
    return time.perf_counter() - wall, time.thread_time() - cpu


async def _atimed(work: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    cpu, wall = time.thread_time(), time.perf_counter()
    await work()
    return time.perf_counter() - wall, time.thread_time() - cpu


# -- sync ------------------------------------------------------------------------------


def sync_sides(wire: Wire, bare: httpx.Client, client: FruxonClient) -> dict[str, Any]:
    def bare_execute(n: int) -> None:
        post, url, body, headers = bare.post, wire.execute_url, wire.execute_body, wire.headers
        for _ in range(n):
            call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            post(url, content=body, headers=call_headers).json()

    def ours_execute(n: int) -> None:
        execute = client.execute
        for _ in range(n):
            execute(EXECUTE_AGENT, parameters={"message": "benchmark"})

    def bare_stream(n: int) -> None:
        loads, url, body = json.loads, wire.stream_url, wire.stream_body
        headers = wire.stream_headers
        for _ in range(n):
            with bare.stream("POST", url, content=body, headers=headers) as response:
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        loads(line[5:])

    def ours_stream(n: int) -> None:
        stream = client.stream
        for _ in range(n):
            for _event in stream(STREAM_AGENT, parameters=QUESTION):
                pass

    return {
        "execute": (bare_execute, ours_execute),
        "stream": (bare_stream, ours_stream),
    }


def run_sync(wire: Wire, rows: dict[str, Row], rounds: int, server: Emulator) -> None:
    bare = httpx.Client()
    client = FruxonClient(server.api_key, server.org, base_url=server.base_url)
    try:
        sides = sync_sides(wire, bare, client)
        for first, second in sides.values():  # warm-up: connections, caches
            first(30)
            second(30)
        for name, (bare_work, ours_work) in sides.items():
            row = rows[f"sync {name}"]
            block = max(1, row.per_round // BLOCKS)
            for index in range(rounds):
                gc.collect()
                theirs, mine = Side(), Side()
                for step in range(0, row.per_round, block):
                    n = min(block, row.per_round - step)
                    order = [(theirs, bare_work), (mine, ours_work)]
                    for side, work in order if (index + step // block) % 2 else order[::-1]:
                        side.add(*_timed(lambda work=work, n=n: work(n)))
                row.bare.append(theirs)
                row.ours.append(mine)
    finally:
        client.close()
        bare.close()


# -- async -----------------------------------------------------------------------------


def async_sides(wire: Wire, bare: httpx.AsyncClient, client: AsyncFruxonClient) -> dict[str, Any]:
    async def bare_execute(n: int) -> None:
        post, url, body, headers = bare.post, wire.execute_url, wire.execute_body, wire.headers
        for _ in range(n):
            call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            (await post(url, content=body, headers=call_headers)).json()

    async def ours_execute(n: int) -> None:
        execute = client.execute
        for _ in range(n):
            await execute(EXECUTE_AGENT, parameters={"message": "benchmark"})

    async def bare_stream(n: int) -> None:
        loads, url, body = json.loads, wire.stream_url, wire.stream_body
        headers = wire.stream_headers
        for _ in range(n):
            async with bare.stream("POST", url, content=body, headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        loads(line[5:])

    async def ours_stream(n: int) -> None:
        stream = client.stream
        for _ in range(n):
            async for _event in stream(STREAM_AGENT, parameters=QUESTION):
                pass

    return {
        "execute": (bare_execute, ours_execute),
        "stream": (bare_stream, ours_stream),
    }


async def run_async(wire: Wire, rows: dict[str, Row], rounds: int, server: Emulator) -> None:
    bare = httpx.AsyncClient()
    client = AsyncFruxonClient(server.api_key, server.org, base_url=server.base_url)
    try:
        sides = async_sides(wire, bare, client)
        for first, second in sides.values():
            await first(30)
            await second(30)
        for name, (bare_work, ours_work) in sides.items():
            row = rows[f"async {name}"]
            block = max(1, row.per_round // BLOCKS)
            for index in range(rounds):
                gc.collect()
                theirs, mine = Side(), Side()
                for step in range(0, row.per_round, block):
                    n = min(block, row.per_round - step)
                    order = [(theirs, bare_work), (mine, ours_work)]
                    for side, work in order if (index + step // block) % 2 else order[::-1]:
                        side.add(*await _atimed(lambda work=work, n=n: work(n)))
                row.bare.append(theirs)
                row.ours.append(mine)
    finally:
        await client.close()
        await bare.aclose()


# -- report ----------------------------------------------------------------------------


def report(rows: dict[str, Row], rounds: int, target: float, in_process: bool) -> bool:
    where = "a thread of this process" if in_process else "its own process"
    print(
        f"medians of {rounds} rounds; emulator in {where}; Python {sys.version.split()[0]}, "
        f"httpx {httpx.__version__}, {os.cpu_count()} CPUs"
    )
    print(f"{'':42} {'bare httpx':>12} {'fruxon-httpx':>13} {'target':>8} {'ratio (time)':>13}")
    met = True
    for row in rows.values():
        for kind, label in (("wall", "wall"), ("cpu", "client CPU")):
            bare = row.per_round / row.median(row.bare, kind)
            ours = row.per_round / row.median(row.ours, kind)
            ratio = row.ratio(kind)
            ok = ratio <= target
            met = met and (ok or kind != "wall")
            flag = ("ok" if ok else "MISSED") if kind == "wall" else ""
            shown = f"{target:.2f}x" if kind == "wall" else ""
            print(
                f"{row.name + f' ({row.unit}, {label})':42} {bare:12,.0f} {ours:13,.0f} "
                f"{shown:>8} {ratio:12.3f}x {flag}"
            )
    print("ratio: median SDK time / median bare time per call or per stream (lower is better);")
    print("client CPU is the calling thread's CPU time alone; wall includes the emulator.")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=600, help="execute calls per round")
    parser.add_argument("--streams", type=int, default=300, help="short streams per round")
    parser.add_argument("--target", type=float, default=1.05)
    add_arguments(parser)
    args = parser.parse_args(argv)
    warning = busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    rows = {
        "sync execute": Row("sync execute", "calls/s", args.calls),
        "sync stream": Row("sync short stream", "streams/s", args.streams),
        "async execute": Row("async execute", "calls/s", args.calls),
        "async stream": Row("async short stream", "streams/s", args.streams),
    }
    with running_emulator(args.in_process) as server:
        wire = Wire(server)
        run_sync(wire, rows, args.rounds, server)
        asyncio.run(run_async(wire, rows, args.rounds, server))
    return 0 if report(rows, args.rounds, args.target, args.in_process) else 1


if __name__ == "__main__":
    raise SystemExit(main())
