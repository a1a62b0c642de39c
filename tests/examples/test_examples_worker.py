"""examples/worker_fanout.py: 100 executions, bounded concurrency, failures recorded."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_core.exceptions import ValidationError
from fruxon_emulator import EmulatorServer

Loader = Callable[[str], ModuleType]


def test_hundred_executions_with_bounded_concurrency(
    example: Loader, example_env: EmulatorServer, capsys: Any
) -> None:
    worker = example("worker_fanout.py")
    report = asyncio.run(worker.main(count=100, concurrency=10))

    assert sorted(report.results) == list(range(100))
    assert report.failures == {}
    assert 1 < report.peak_in_flight <= 10
    assert all(report.results[n].response == f"Echo (turn 1): ticket #{n}" for n in range(100))
    assert report.total_cost > 0
    assert example_env.stats()["runs"]["byAgent"] == {"echo-agent": 100}
    assert capsys.readouterr().out.startswith("100 succeeded, 0 failed")


def test_a_failing_job_is_recorded_and_the_batch_finishes(
    example: Loader, example_env: EmulatorServer
) -> None:
    worker = example("worker_fanout.py")
    jobs = [{"question": f"q{n}"} if n % 5 else {} for n in range(20)]  # every 5th: no question

    async def scenario() -> Any:
        async with AsyncFruxonClient(
            api_key=example_env.api_key, org=example_env.org, base_url=example_env.base_url
        ) as client:
            return await worker.fan_out(client, "support-agent", jobs, concurrency=4)

    report = asyncio.run(scenario())
    assert sorted(report.failures) == [0, 5, 10, 15]
    assert all(isinstance(error, ValidationError) for error in report.failures.values())
    assert len(report.results) == 16
    assert report.peak_in_flight <= 4


def test_runs_as_a_script(example_env: EmulatorServer, helpers: Any) -> None:
    env = {
        **os.environ,
        "FRUXON_API_KEY": example_env.api_key,
        "FRUXON_ORG": example_env.org,
        "FRUXON_BASE_URL": example_env.base_url,
    }
    done = subprocess.run(
        [sys.executable, str(helpers.examples / "worker_fanout.py"), "--count", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("30 succeeded, 0 failed")
