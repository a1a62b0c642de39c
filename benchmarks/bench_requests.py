"""Throughput of the sync client against a bare ``requests`` / sseclient-py baseline.

Runs an emulator in this process and, for several rounds, measures:

* sequential ``execute`` calls per second through ``FruxonClient`` versus a
  bare ``requests.Session().post(...).json()`` with the same URL, body and
  headers (including a fresh ``Idempotency-Key`` per call, as the client sends);
* stream decoding events per second through ``client.stream`` versus bare
  sseclient-py plus ``json.loads`` over the same streamed response
  (``count-agent`` emitting ``--count`` text events).

The two sides alternate within each round so drift affects both equally;
the table reports medians and the client/bare ratios, and the exit status
is 0 only when both targets are met. Usage::

    uv run python benchmarks/bench_requests.py [--rounds 15] [--calls 300] [--count 20000]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests
import sseclient

from fruxon_emulator import EmulatorServer
from fruxon_requests import FruxonClient

EXECUTE_AGENT = "echo-agent"
STREAM_AGENT = "count-agent"


class Bench:
    def __init__(self, server: EmulatorServer, client: FruxonClient) -> None:
        self.client = client
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

    def client_stream(self, count: int) -> tuple[float, int]:
        started = time.perf_counter()
        events = 0
        with self.client.stream(STREAM_AGENT, parameters={"count": count}) as stream:
            for _ in stream:
                events += 1
        return time.perf_counter() - started, events


@dataclass
class Sample:
    """One side of one round: wall-clock seconds and this thread's CPU seconds."""

    wall: float
    cpu: float


def _measure(work: Callable[[], object]) -> Sample:
    gc.collect()
    gc.disable()  # a collection inside one side's timing would be charged to it alone
    try:
        cpu, wall = time.thread_time(), time.perf_counter()
        work()
        return Sample(time.perf_counter() - wall, time.thread_time() - cpu)
    finally:
        gc.enable()


def _paired_rounds(
    rounds: int, bare: Callable[[], object], ours: Callable[[], object]
) -> list[tuple[Sample, Sample]]:
    """Both sides once per round, alternating which goes first, so drift hits both alike."""
    pairs = []
    for index in range(rounds):
        if index % 2:
            mine = _measure(ours)
            pairs.append((_measure(bare), mine))
        else:
            theirs = _measure(bare)
            pairs.append((theirs, _measure(ours)))
    return pairs


@dataclass
class Result:
    name: str
    unit: str
    per_round: int
    pairs: list[tuple[Sample, Sample]]
    target: float

    def rate(self, side: int) -> float:
        return self.per_round / statistics.median(pair[side].wall for pair in self.pairs)

    def ratio(self, kind: str = "wall") -> float:
        """Client time / bare time (medians over the rounds) per call or event."""
        medians = [
            statistics.median(getattr(pair[side], kind) for pair in self.pairs) for side in (0, 1)
        ]
        return float(medians[1] / medians[0])

    @property
    def met(self) -> bool:
        return self.ratio() <= self.target


def run(rounds: int, calls: int, count: int) -> list[Result]:
    with EmulatorServer() as server:
        client = FruxonClient(server.api_key, server.org, base_url=server.base_url)
        bench = Bench(server, client)
        # Warm-up: open the pooled connections, fill caches.
        bench.bare_execute(50)
        bench.client_execute(50)
        bench.bare_stream(1000)
        bench.client_stream(1000)

        execute = _paired_rounds(
            rounds, lambda: bench.bare_execute(calls), lambda: bench.client_execute(calls)
        )
        events: set[int] = set()
        stream = _paired_rounds(
            rounds,
            lambda: events.add(bench.bare_stream(count)[1]),
            lambda: events.add(bench.client_stream(count)[1]),
        )
        client.close()
        bench.session.close()
    if len(events) != 1:
        raise SystemExit(f"the two sides saw different event counts: {events}")
    return [
        Result("execute", "calls/s", calls, execute, 1.10),
        Result("stream", "events/s", events.pop(), stream, 1.00),
    ]


def report(results: list[Result], rounds: int) -> bool:
    print(
        f"{rounds} paired rounds ({results[0].per_round} sequential execute calls, "
        f"{results[1].per_round} stream events each); medians; Python {sys.version.split()[0]}"
    )
    header = f"{'':18} {'bare':>10} {'FruxonClient':>13} {'time ratio':>11} {'target':>7}"
    print(f"{header} {'cpu ratio':>10}")
    for result in results:
        flag = "ok" if result.met else "MISSED"
        print(
            f"{result.name + ' (' + result.unit + ')':18} {result.rate(0):10,.0f} "
            f"{result.rate(1):13,.0f} {result.ratio():10.3f}x {result.target:6.2f}x "
            f"{result.ratio('cpu'):9.3f}x  {flag}"
        )
    print("time ratio: median client time / median bare time (wall clock, server included);")
    print("cpu ratio: the same for the calling thread's CPU time (the client side alone).")
    return all(result.met for result in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=300, help="execute calls per round")
    parser.add_argument("--count", type=int, default=20000, help="events per stream")
    args = parser.parse_args(argv)
    met = report(run(args.rounds, args.calls, args.count), args.rounds)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
