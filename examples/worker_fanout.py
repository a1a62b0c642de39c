"""A background worker fanning out 100 executions, at most ``concurrency`` at a time.

A semaphore bounds how many runs are in flight (be kind to your rate limit;
the client already retries 429/503 with backoff and ``Retry-After``). One
failed job is recorded, not fatal: the batch always finishes and reports.

Run it (``fruxon-emulator serve`` gives you a local API to point it at)::

    export FRUXON_API_KEY=... FRUXON_ORG=acme-corp   # FRUXON_BASE_URL optional
    python examples/worker_fanout.py --count 100 --concurrency 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass, field

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_core import ExecutionResult
from fruxon_core.exceptions import FruxonError


@dataclass
class Report:
    """What a batch did: results by job index, failures by job index, and pacing."""

    results: dict[int, ExecutionResult] = field(default_factory=dict)
    failures: dict[int, FruxonError] = field(default_factory=dict)
    peak_in_flight: int = 0
    seconds: float = 0.0

    @property
    def total_cost(self) -> float:
        return sum(result.trace.total_cost for result in self.results.values())


async def fan_out(
    client: AsyncFruxonClient, agent: str, jobs: list[dict[str, str]], concurrency: int
) -> Report:
    """Execute ``agent`` once per parameter dict in ``jobs``, ``concurrency`` at a time."""
    report = Report()
    limit = asyncio.Semaphore(concurrency)
    in_flight = 0
    started = time.monotonic()

    async def run(index: int, parameters: dict[str, str]) -> None:
        nonlocal in_flight
        async with limit:
            in_flight += 1
            report.peak_in_flight = max(report.peak_in_flight, in_flight)
            try:
                report.results[index] = await client.execute(agent, parameters=parameters)
            except FruxonError as error:  # recorded; the other jobs carry on
                report.failures[index] = error
            finally:
                in_flight -= 1

    await asyncio.gather(*(run(i, params) for i, params in enumerate(jobs)))
    report.seconds = time.monotonic() - started
    return report


async def main(count: int = 100, concurrency: int = 10, agent: str = "echo-agent") -> Report:
    jobs = [{"message": f"ticket #{n}"} for n in range(count)]
    async with AsyncFruxonClient(
        api_key=os.environ["FRUXON_API_KEY"],
        org=os.environ["FRUXON_ORG"],
        base_url=os.environ.get("FRUXON_BASE_URL", "https://api.fruxon.com"),
    ) as client:
        report = await fan_out(client, agent, jobs, concurrency)
    print(
        f"{len(report.results)} succeeded, {len(report.failures)} failed "
        f"in {report.seconds:.2f}s (at most {report.peak_in_flight} at once) "
        f"· ${report.total_cost:.4f}"
    )
    for index, error in sorted(report.failures.items()):
        print(f"  job {index}: {type(error).__name__}: {error}")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--agent", default="echo-agent")
    args = parser.parse_args()
    asyncio.run(main(args.count, args.concurrency, args.agent))
