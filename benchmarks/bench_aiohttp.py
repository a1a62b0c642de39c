"""Throughput of the async client against bare aiohttp.

Starts an emulator in a separate process (``--in-process`` runs it on a thread
here instead, sharing the GIL, for comparison) and, for several rounds,
measures on one client event loop:

* ``execute`` calls per second through ``AsyncFruxonClient``, sequentially and
  50 at a time, versus a bare ``session.post(...)`` + ``await resp.json()``
  with the same URL, body and headers (including a fresh ``Idempotency-Key``
  per call, as the client sends);
* events per second of one long stream (``count-agent`` emitting ``--count``
  text events) through ``client.stream`` versus a bare line reader:
  ``async for line in resp.content`` + ``json.loads`` of every ``data:`` line,
  and a "floor" reader that only counts the raw bytes (no parsing at all).

The two sides alternate within each round (swapping who goes first) so drift
affects both equally; the table reports medians of wall-clock and client CPU
time and the client/bare ratios; the exit status is 0 only when the wall-clock
targets and the 50-in-flight client-CPU target are met. The last lines list
each target with its ratio last. Usage::

    uv run python benchmarks/bench_aiohttp.py [--rounds 7] [--stream-rounds 21]
        [--calls 1000] [--count 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from _emulator import Emulator, add_arguments, busy_warning, running_emulator

from fruxon_aiohttp import AsyncFruxonClient

EXECUTE_AGENT = "echo-agent"
STREAM_AGENT = "count-agent"
CONCURRENCY = 50
#: Blocks per round of execute calls; the two sides alternate block by block.
BLOCKS = 10
#: (sequential or parallel, wall or client CPU) -> the most SDK time per call may be, x bare.
EXECUTE_TARGETS = {("seq", "wall"): 1.10, ("par", "wall"): 1.10, ("par", "client CPU"): 1.00}


class Bench:
    def __init__(self, server: Emulator, client: AsyncFruxonClient) -> None:
        self.client = client
        self.server = server
        prefix = f"{server.base_url}/v1/tenants/{server.org}/agents"
        self.execute_url = f"{prefix}/{EXECUTE_AGENT}:execute"
        self.stream_url = f"{prefix}/{STREAM_AGENT}:stream"
        self.headers = {
            "User-Agent": "bench",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-API-KEY": server.api_key,
        }
        self.execute_body = json.dumps({"parameters": {"message": "benchmark"}}).encode()
        self.session = aiohttp.ClientSession()

    # -- execute -------------------------------------------------------------------------

    async def bare_execute(self, calls: int, concurrency: int = 1) -> Timing:
        post, url, body, headers = (
            self.session.post,
            self.execute_url,
            self.execute_body,
            self.headers,
        )

        async def worker(n: int) -> None:
            for _ in range(n):
                call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
                async with post(url, data=body, headers=call_headers) as response:
                    await response.json()

        return await _run_workers(worker, calls, concurrency, self.server)

    async def client_execute(self, calls: int, concurrency: int = 1) -> Timing:
        execute = self.client.execute

        async def worker(n: int) -> None:
            for _ in range(n):
                await execute(EXECUTE_AGENT, parameters={"message": "benchmark"})

        return await _run_workers(worker, calls, concurrency, self.server)

    # -- streaming -----------------------------------------------------------------------

    async def bare_stream(self, count: int) -> Timing:
        body = json.dumps({"parameters": {"count": count}}).encode()
        headers = {**self.headers, "Accept": "text/event-stream"}
        loads = json.loads
        timing = Timing.start(self.server)
        async with self.session.post(self.stream_url, data=body, headers=headers) as response:
            name = b"message"
            async for line in response.content:
                if line.startswith(b"data:"):
                    loads(line[5:])
                    timing.events += 1
                    if name == b"done":
                        break
                elif line.startswith(b"event:"):
                    name = line[6:].strip()
        return timing.stop()

    async def raw_stream(self, count: int) -> Timing:
        """The floor: the same response read as bytes and thrown away (no parsing)."""
        body = json.dumps({"parameters": {"count": count}}).encode()
        headers = {**self.headers, "Accept": "text/event-stream"}
        timing = Timing.start(self.server)
        async with self.session.post(self.stream_url, data=body, headers=headers) as response:
            async for chunk in response.content.iter_any():
                timing.events += chunk.count(b"\n\n")
        return timing.stop()

    async def client_stream(self, count: int) -> Timing:
        timing = Timing.start(self.server)
        async with self.client.stream(STREAM_AGENT, parameters={"count": count}) as stream:
            async for _ in stream:
                timing.events += 1
        return timing.stop()


@dataclass
class Timing:
    """Wall time, CPU time of the client's thread and of the emulator's process, events."""

    wall: float
    cpu: float
    server: float | None = None  # None when the emulator's CPU can't be told apart
    events: int = 0
    emulator: Emulator | None = None

    @classmethod
    def start(cls, emulator: Emulator | None = None) -> Timing:
        server = emulator.server_cpu() if emulator is not None else None
        return cls(
            -time.perf_counter(),
            -time.thread_time(),
            None if server is None else -server,
            emulator=emulator,
        )

    def stop(self) -> Timing:
        self.wall += time.perf_counter()
        self.cpu += time.thread_time()
        if self.server is not None and self.emulator is not None:
            after = self.emulator.server_cpu()
            self.server = None if after is None else self.server + after
        return self

    def __iadd__(self, other: Timing) -> Timing:
        self.wall += other.wall
        self.cpu += other.cpu
        if self.server is not None:
            self.server = None if other.server is None else self.server + other.server
        return self


async def _run_workers(
    worker: Callable[[int], Awaitable[None]],
    calls: int,
    concurrency: int,
    emulator: Emulator | None = None,
) -> Timing:
    shares = [calls // concurrency + (i < calls % concurrency) for i in range(concurrency)]
    timing = Timing.start(emulator)
    await asyncio.gather(*(worker(n) for n in shares))
    return timing.stop()


async def _timed_rounds(
    rounds: int,
    calls: int,
    first: Callable[[int], Awaitable[Timing]],
    second: Callable[[int], Awaitable[Timing]],
) -> tuple[list[Timing], list[Timing]]:
    """Per round, ``calls`` calls for each side, in BLOCKS blocks that alternate sides.

    Interleaving small blocks (and swapping who goes first) spreads drift and
    noise from other processes over both sides instead of one.
    """
    a: list[Timing] = []
    b: list[Timing] = []
    block = max(1, calls // BLOCKS)
    for index in range(rounds):
        gc.collect()
        a_total, b_total = Timing(0.0, 0.0, 0.0), Timing(0.0, 0.0, 0.0)
        for step in range(0, calls, block):
            n = min(block, calls - step)
            if (index + step // block) % 2:
                b_total += await second(n)
                a_total += await first(n)
            else:
                a_total += await first(n)
                b_total += await second(n)
        a.append(a_total)
        b.append(b_total)
    return a, b


@dataclass
class Result:
    calls: int
    events: int
    seconds: dict[str, float]


def _medians(seconds: dict[str, float], key: str, timings: list[Timing]) -> None:
    seconds[key] = statistics.median(t.wall for t in timings)
    seconds[f"{key}_cpu"] = statistics.median(t.cpu for t in timings)
    server = [t.server for t in timings if t.server is not None]
    if len(server) == len(timings):
        seconds[f"{key}_server"] = statistics.median(server)


async def _stream_rounds(
    rounds: int, sides: dict[str, Callable[[], Awaitable[Timing]]]
) -> dict[str, list[Timing]]:
    """Each round runs every side once, rotating who goes first."""
    names = list(sides)
    timings: dict[str, list[Timing]] = {name: [] for name in names}
    for index in range(rounds):
        gc.collect()
        for name in names[index % len(names) :] + names[: index % len(names)]:
            timings[name].append(await sides[name]())
    return timings


async def measure(
    server: Emulator, rounds: int, calls: int, count: int, stream_rounds: int
) -> Result:
    client = AsyncFruxonClient(
        server.api_key, server.org, base_url=server.base_url, load_entrypoints=False
    )
    bench = Bench(server, client)
    try:
        # Warm-up: open the pooled connections, fill caches.
        await bench.bare_execute(2 * CONCURRENCY, CONCURRENCY)
        await bench.client_execute(2 * CONCURRENCY, CONCURRENCY)
        await bench.bare_stream(1000)
        await bench.client_stream(1000)
        await bench.raw_stream(1000)
        seconds: dict[str, float] = {}
        for label, concurrency in (("seq", 1), ("par", CONCURRENCY)):
            bare, ours = await _timed_rounds(
                rounds,
                calls,
                functools.partial(bench.bare_execute, concurrency=concurrency),
                functools.partial(bench.client_execute, concurrency=concurrency),
            )
            _medians(seconds, f"bare_{label}", bare)
            _medians(seconds, f"client_{label}", ours)
        timings = await _stream_rounds(
            stream_rounds,
            {
                "bare": functools.partial(bench.bare_stream, count),
                "client": functools.partial(bench.client_stream, count),
                "raw": functools.partial(bench.raw_stream, count),
            },
        )
    finally:
        await client.close()
        await bench.session.close()
    events = {name: {t.events for t in runs} for name, runs in timings.items()}
    if len(events["bare"] | events["client"] | events["raw"]) != 1:
        raise SystemExit(f"event counts differ: {events}")
    for name, runs in timings.items():
        _medians(seconds, f"{name}_stream", runs)
    return Result(calls, timings["client"][0].events, seconds)


Row = tuple[str, float, float, str, str, "bool | None", str]


def _server(s: dict[str, float], bare: str, ours: str) -> str:
    if f"{bare}_server" not in s or f"{ours}_server" not in s:
        return "n/a"
    return f"{s[f'{bare}_server']:.2f}s / {s[f'{ours}_server']:.2f}s"


def report(result: Result, rounds: int, stream_rounds: int, in_process: bool) -> bool:
    s, calls, events = result.seconds, result.calls, result.events
    rows: list[Row] = []
    summary: list[tuple[str, str, bool, str]] = []
    for label, name in (("seq", "execute sequential"), ("par", f"execute {CONCURRENCY}-way")):
        for suffix, kind in (("", "wall"), ("_cpu", "client CPU")):
            bare, ours = s[f"bare_{label}{suffix}"], s[f"client_{label}{suffix}"]
            ratio = ours / bare
            target = EXECUTE_TARGETS.get((label, kind))
            met = None if target is None else ratio <= target
            rows.append(
                (
                    f"{name} (calls/s, {kind})",
                    calls / bare,
                    calls / ours,
                    f"{ratio:.3f}x time/call",
                    "" if target is None else f"<= {target:.2f}x",
                    met,
                    _server(s, f"bare_{label}", f"client_{label}") if not suffix else "",
                )
            )
            if target is not None:
                title = "sequential" if label == "seq" else f"{CONCURRENCY} in flight"
                summary.append(
                    (
                        f"async execute {title}, {kind} time per call vs bare aiohttp",
                        f"<= {target:.2f}x",
                        bool(met),
                        f"{ratio:.3f}x",
                    )
                )
    # the SDK's stream against the target, then the no-parse floor as the bound
    for side, name, target in (
        ("client_stream", "stream (events/s, {kind})", 3.0),
        ("raw_stream", "  floor: unparsed bytes ({kind})", None),
    ):
        for suffix, kind in (("", "wall"), ("_cpu", "client CPU")):
            bare, ours = s[f"bare_stream{suffix}"], s[f"{side}{suffix}"]
            rows.append(
                (
                    name.format(kind=kind),
                    events / bare,
                    events / ours,
                    f"{bare / ours:.2f}x events/s",
                    "(bound)" if target is None else f">= {target:.2f}x",
                    None if target is None or suffix else bare / ours >= target,
                    _server(s, "bare_stream", side) if not suffix else "",
                )
            )
            if target is not None and not suffix:
                summary.append(
                    (
                        "async stream, events/s vs bare aiohttp line reader + json.loads",
                        f">= {target:.2f}x",
                        bare / ours >= target,
                        f"{bare / ours:.2f}x",
                    )
                )
    where = "a thread of this process" if in_process else "its own process"
    print(
        f"medians of {rounds} rounds ({stream_rounds} for streams); {calls} execute calls per "
        f"measurement, {events} events per stream; emulator in {where}; "
        f"Python {sys.version.split()[0]}, "
        f"aiohttp {aiohttp.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"{'':40} {'bare aiohttp':>13} {'AsyncFruxonClient':>18} {'ratio':>19} {'target':>9}"
        f" {'server CPU bare/ours':>21}"
    )
    for name, bare, ours, shown, target, met, server in rows:
        flag = "" if met is None else "ok" if met else "MISSED"
        print(f"{name:40} {bare:13,.0f} {ours:18,.0f} {shown:>19} {target:>9} {server:>21} {flag}")
    print(
        "The floor rows read the same stream as bytes without parsing it (the AsyncFruxonClient\n"
        "column holds the floor there): bare/floor bounds the speedup any client could show.\n"
        "client CPU counts only the consuming thread's CPU time; server CPU is the emulator's."
    )
    print("targets (each line ends with its ratio):")
    for name, target, met, ratio in summary:
        print(f"  {name} ({target}) {'ok' if met else 'MISSED'}: {ratio}")
    return all(row[5] is not False for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=1000, help="execute calls per measurement")
    parser.add_argument("--count", type=int, default=20000, help="events per stream")
    parser.add_argument(
        "--stream-rounds",
        type=int,
        default=21,
        help="rounds of the stream measurement (a stream takes a fraction of a second, so "
        "more rounds make its median robust to bursts of load from other processes)",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    warning = busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    with running_emulator(args.in_process) as server:
        result = asyncio.run(
            measure(server, args.rounds, args.calls, args.count, args.stream_rounds)
        )
    return 0 if report(result, args.rounds, args.stream_rounds, args.in_process) else 1


if __name__ == "__main__":
    raise SystemExit(main())
