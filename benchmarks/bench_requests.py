"""Throughput of the sync client against a bare ``requests`` / sseclient-py baseline.

Starts an emulator in a separate process (``--in-process`` runs it on a thread
here instead, sharing the GIL, for comparison) and, for several rounds, measures:

* sequential ``execute`` calls per second through ``FruxonClient`` versus a
  bare ``requests.Session().post(...).json()`` with the same URL, body and
  headers (including a fresh ``Idempotency-Key`` per call, as the client sends);
* stream decoding events per second through ``client.stream`` versus bare
  sseclient-py plus ``json.loads`` over the same streamed response
  (``count-agent`` emitting ``--count`` text events);
* short streams per second -- what chat apps run most: ``support-agent``
  (about 25 events) through ``client.stream`` versus
  ``SSEClient(resp.iter_content(None))`` plus ``json.loads``, ``--streams``
  of them per round, so opening and closing a stream counts.

The two sides alternate within each round so drift affects both equally;
the table reports medians (wall clock, client CPU, emulator CPU) and the
client/bare ratios, and the exit status is 0 only when the targets are met (on
wall-clock time, and for execute on client CPU too). The last lines list each
target with its ratio last. Usage::

    uv run python benchmarks/bench_requests.py [--rounds 15] [--calls 300] [--count 20000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests
import sseclient
from _emulator import Emulator, add_arguments, busy_warning, running_emulator

from fruxon_requests import FruxonClient

EXECUTE_AGENT = "echo-agent"
STREAM_AGENT = "count-agent"
SHORT_AGENT = "support-agent"
SHORT_PARAMETERS = {"question": "How do I reset my password?"}
SUMMARY_UNIT = {"execute": "call", "stream": "event", "short stream": "stream"}
SUMMARY_BASELINE = {
    "execute": "requests.Session().post().json()",
    "stream": "sseclient-py + json.loads",
    "short stream": "requests + sseclient-py",
}


class Bench:
    def __init__(self, server: Emulator, client: FruxonClient) -> None:
        self.client = client
        prefix = f"{server.base_url}/v1/tenants/{server.org}/agents"
        self.execute_url = f"{prefix}/{EXECUTE_AGENT}:execute"
        self.stream_url = f"{prefix}/{STREAM_AGENT}:stream"
        self.short_url = f"{prefix}/{SHORT_AGENT}:stream"
        self.headers = {
            "User-Agent": "bench",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-API-KEY": server.api_key,
        }
        self.execute_body = json.dumps({"parameters": {"message": "benchmark"}}).encode()
        self.session = requests.Session()

    # -- execute -------------------------------------------------------------------------

    def bare_execute(self, calls: int) -> float:
        post, url, body, headers = (
            self.session.post,
            self.execute_url,
            self.execute_body,
            self.headers,
        )
        started = time.perf_counter()
        for _ in range(calls):
            call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            post(url, data=body, headers=call_headers).json()
        return time.perf_counter() - started

    def client_execute(self, calls: int) -> float:
        execute = self.client.execute
        started = time.perf_counter()
        for _ in range(calls):
            execute(EXECUTE_AGENT, parameters={"message": "benchmark"})
        return time.perf_counter() - started

    # -- streaming -----------------------------------------------------------------------

    def bare_stream(self, count: int) -> tuple[float, int]:
        body = json.dumps({"parameters": {"count": count}}).encode()
        headers = {**self.headers, "Accept": "text/event-stream"}
        started = time.perf_counter()
        events = 0
        with self.session.post(self.stream_url, data=body, headers=headers, stream=True) as resp:
            for event in sseclient.SSEClient(resp).events():  # type: ignore[arg-type]
                json.loads(event.data)
                events += 1
                if event.event == "done":
                    break
        return time.perf_counter() - started, events

    def bare_short_streams(self, streams: int) -> int:
        body = json.dumps({"parameters": SHORT_PARAMETERS}).encode()
        headers = {**self.headers, "Accept": "text/event-stream"}
        post, url = self.session.post, self.short_url
        events = 0
        for _ in range(streams):
            with post(url, data=body, headers=headers, stream=True) as resp:
                for event in sseclient.SSEClient(resp.iter_content(None)).events():
                    json.loads(event.data)
                    events += 1
        return events

    def client_short_streams(self, streams: int) -> int:
        stream = self.client.stream
        events = 0
        for _ in range(streams):
            for _event in stream(SHORT_AGENT, parameters=SHORT_PARAMETERS):
                events += 1
        return events

    def client_stream(self, count: int) -> tuple[float, int]:
        started = time.perf_counter()
        events = 0
        with self.client.stream(STREAM_AGENT, parameters={"count": count}) as stream:
            for _ in stream:
                events += 1
        return time.perf_counter() - started, events


@dataclass
class Sample:
    """One side of one round: wall-clock, this thread's CPU and the emulator's CPU seconds."""

    wall: float
    cpu: float
    server: float | None = None  # None when the emulator's CPU can't be told apart


def _measure(server: Emulator, work: Callable[[], object]) -> Sample:
    gc.collect()
    gc.disable()  # a collection inside one side's timing would be charged to it alone
    try:
        before = server.server_cpu()
        cpu, wall = time.thread_time(), time.perf_counter()
        work()
        sample = Sample(time.perf_counter() - wall, time.thread_time() - cpu)
        after = server.server_cpu()
        if before is not None and after is not None:
            sample.server = after - before
        return sample
    finally:
        gc.enable()


def _paired_rounds(
    server: Emulator, rounds: int, bare: Callable[[], object], ours: Callable[[], object]
) -> list[tuple[Sample, Sample]]:
    """Both sides once per round, alternating which goes first, so drift hits both alike."""
    pairs = []
    for index in range(rounds):
        if index % 2:
            mine = _measure(server, ours)
            pairs.append((_measure(server, bare), mine))
        else:
            theirs = _measure(server, bare)
            pairs.append((theirs, _measure(server, ours)))
    return pairs


@dataclass
class Result:
    name: str
    unit: str
    per_round: int
    pairs: list[tuple[Sample, Sample]]
    target: float

    def median(self, side: int, kind: str = "wall") -> float | None:
        values = [getattr(pair[side], kind) for pair in self.pairs]
        if None in values:
            return None
        return float(statistics.median(values))

    def rate(self, side: int, kind: str = "wall") -> float:
        """Calls or events per second of ``kind`` time (wall clock or client CPU)."""
        return self.per_round / (self.median(side, kind) or float("nan"))

    def ratio(self, kind: str = "wall") -> float:
        """Client time / bare time (medians over the rounds) per call or event."""
        return (self.median(1, kind) or float("nan")) / (self.median(0, kind) or float("nan"))

    @property
    def met(self) -> bool:
        return self.ratio() <= self.target


def run(
    rounds: int, calls: int, count: int, streams: int, in_process: bool = False
) -> list[Result]:
    with running_emulator(in_process) as server:
        client = FruxonClient(server.api_key, server.org, base_url=server.base_url)
        bench = Bench(server, client)
        # Warm-up: open the pooled connections, fill caches.
        bench.bare_execute(50)
        bench.client_execute(50)
        bench.bare_stream(1000)
        bench.client_stream(1000)
        bench.bare_short_streams(20)
        bench.client_short_streams(20)

        execute = _paired_rounds(
            server, rounds, lambda: bench.bare_execute(calls), lambda: bench.client_execute(calls)
        )
        events: set[int] = set()
        stream = _paired_rounds(
            server,
            rounds,
            lambda: events.add(bench.bare_stream(count)[1]),
            lambda: events.add(bench.client_stream(count)[1]),
        )
        short_events: set[int] = set()
        short = _paired_rounds(
            server,
            rounds,
            lambda: short_events.add(bench.bare_short_streams(streams)),
            lambda: short_events.add(bench.client_short_streams(streams)),
        )
        client.close()
        bench.session.close()
    for seen in (events, short_events):
        if len(seen) != 1:
            raise SystemExit(f"the two sides saw different event counts: {seen}")
    return [
        Result("execute", "calls/s", calls, execute, 1.00),
        Result("stream", "events/s", events.pop(), stream, 1.00),
        Result("short stream", "streams/s", streams, short, 1.00),
    ]


def report(results: list[Result], rounds: int, in_process: bool) -> bool:
    where = "a thread of this process" if in_process else "its own process"
    print(
        f"{rounds} paired rounds ({results[0].per_round} sequential execute calls, "
        f"{results[1].per_round} stream events, {results[2].per_round} short streams each); "
        f"medians; emulator in {where}; "
        f"Python {sys.version.split()[0]}, requests {requests.__version__}, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'':34} {'bare':>10} {'FruxonClient':>13} {'ratio (time)':>13} {'target':>7}"
        f" {'server CPU bare/ours':>21}"
    )
    for result in results:
        name = f"{result.name} ({result.unit})"
        server = [result.median(side, "server") for side in (0, 1)]
        shown = "n/a" if None in server else f"{server[0]:.2f}s / {server[1]:.2f}s"
        for kind, label in (("wall", "wall"), ("cpu", "client CPU")):
            met = result.ratio(kind) <= result.target
            flag = ("ok" if met else "MISSED") if kind == "wall" else ""
            print(
                f"{name + ', ' + label:34} {result.rate(0, kind):10,.0f} "
                f"{result.rate(1, kind):13,.0f} {result.ratio(kind):12.3f}x "
                f"{result.target:6.2f}x {shown if kind == 'wall' else '':>21}  {flag}"
            )
    print(
        "ratio: median client time / median bare time per call, event or stream (lower is better);"
    )
    print("wall includes the emulator; client CPU is the calling thread's CPU time alone.")
    print("targets (each line ends with its ratio):")
    for result in results:
        kinds = ("wall", "cpu") if result.name == "execute" else ("wall",)
        for kind in kinds:
            ratio = result.ratio(kind)
            label = "wall" if kind == "wall" else "client CPU"
            print(
                f"  sync {result.name}, {label} time per {SUMMARY_UNIT[result.name]} vs "
                f"{SUMMARY_BASELINE[result.name]} (<= {result.target:.2f}x) "
                f"{'ok' if ratio <= result.target else 'MISSED'}: {ratio:.3f}x"
            )
    return all(result.met for result in results) and results[0].ratio("cpu") <= results[0].target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300, help="execute calls per round")
    parser.add_argument("--count", type=int, default=20000, help="events per stream")
    parser.add_argument("--streams", type=int, default=100, help="short streams per round")
    add_arguments(parser)
    args = parser.parse_args(argv)
    warning = busy_warning()
    if warning:
        print(warning, file=sys.stderr)
    results = run(args.rounds, args.calls, args.count, args.streams, args.in_process)
    met = report(results, args.rounds, args.in_process)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
