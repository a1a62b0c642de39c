"""Instructions per async execute call, 50 in flight: AsyncFruxonClient vs bare aiohttp.

CPU time on a shared machine moves by several percent from run to run; the
number of instructions the client process executes per call does not. This
counts them with valgrind's callgrind (user-space instructions of the whole
client process, the event loop, aiohttp and the kernel interface included;
the emulator runs in its own process, not under valgrind). Each side runs
twice, with ``--calls`` and with ``--calls + --extra`` calls, and the
difference divided by ``--extra`` is its cost per call -- start-up and
warm-up cancel out. Sides:

* **bare aiohttp** -- ``session.post(url, data=body, headers=...)`` and
  ``await resp.json()``, a fresh ``Idempotency-Key`` per call (as in
  ``bench_aiohttp.py``);
* **bare aiohttp + the SDK's aiohttp options** -- the same with the
  ``ClientTimeout`` the SDK passes (a per-read timeout, which bare aiohttp
  does not have) and ``resp.read()``: what aiohttp itself spends on a request
  the way the SDK sends it, before any decoding (with aiohttp's own
  ``sock_read`` timer, which the SDK's session re-arms more cheaply);
* **AsyncFruxonClient** -- ``await client.execute(...)``.

Needs ``valgrind`` on PATH; takes a few minutes. Usage::

    uv run python benchmarks/bench_instructions.py [--calls 200] [--extra 500]

The last line is the ratio of instructions per call, SDK / bare.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys

from _emulator import Emulator, running_emulator

CONCURRENCY = 50
SIDES = {
    "bare": "bare aiohttp",
    "bare-options": "bare aiohttp + the SDK's aiohttp options (no JSON decoding)",
    "sdk": "AsyncFruxonClient",
}


async def _child(side: str, server: dict[str, str], calls: int) -> None:
    import asyncio
    import uuid

    import aiohttp

    from fruxon_aiohttp import AsyncFruxonClient

    url = f"{server['base_url']}/v1/tenants/{server['org']}/agents/echo-agent:execute"
    headers = {
        "User-Agent": "bench",
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-API-KEY": server["api_key"],
    }
    body = json.dumps({"parameters": {"message": "benchmark"}}).encode()
    timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=10.0, sock_read=120.0)
    session = aiohttp.ClientSession()
    client = AsyncFruxonClient(
        server["api_key"], server["org"], server["base_url"], load_entrypoints=False
    )

    async def bare(n: int) -> None:
        for _ in range(n):
            call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            async with session.post(url, data=body, headers=call_headers) as response:
                await response.json()

    async def bare_options(n: int) -> None:
        for _ in range(n):
            call_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
            async with session.request(
                "POST",
                url,
                data=body,
                headers=call_headers,
                timeout=timeout,
                allow_redirects=False,
                max_line_size=65536,
                max_field_size=65536,
            ) as response:
                await response.read()

    async def sdk(n: int) -> None:
        for _ in range(n):
            await client.execute("echo-agent", parameters={"message": "benchmark"})

    worker = {"bare": bare, "bare-options": bare_options, "sdk": sdk}[side]
    try:
        await asyncio.gather(*(worker(2) for _ in range(CONCURRENCY)))  # warm-up
        await asyncio.gather(*(worker(calls // CONCURRENCY) for _ in range(CONCURRENCY)))
    finally:
        await session.close()
        await client.close()


def _instructions(side: str, server: Emulator, calls: int) -> int:
    spec = json.dumps({"base_url": server.base_url, "org": server.org, "api_key": server.api_key})
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            side,
            spec,
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode or found is None:
        raise SystemExit(f"{side} under valgrind failed:\n{out.stderr[-3000:]}")
    return int(found.group(1))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import asyncio

        side, spec, calls = sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
        asyncio.run(_child(side, spec, calls))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls of the shorter run")
    parser.add_argument("--extra", type=int, default=500, help="more calls in the longer run")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing to count with", file=sys.stderr)
        return 2
    per_call: dict[str, float] = {}
    with running_emulator(in_process=False) as server:
        for side, name in SIDES.items():
            short = _instructions(side, server, args.calls)
            long = _instructions(side, server, args.calls + args.extra)
            per_call[side] = (long - short) / args.extra
            print(f"{name}: {per_call[side]:,.0f} instructions per call", flush=True)
    ratio = per_call["sdk"] / per_call["bare"]
    print(
        f"async execute, {CONCURRENCY} in flight, instructions per call, "
        f"AsyncFruxonClient / bare aiohttp: {ratio:.3f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
