"""Memory: many concurrent async streams, and RSS over many sequential calls.

Each measurement runs in a fresh child process (peak RSS is per process), with
the emulator in a process of its own:

* **1,000 concurrent streams** on one ``AsyncFruxonClient`` (all open at once:
  each waits at a barrier after its first event), peak RSS of the client
  process, against the same 1,000 streams read with bare aiohttp
  (``async for line in resp.content``) — target < 100 MiB and ≤ 1.2× bare;
* **growth over sequential executes**: RSS after 1,000 and after 10,000
  ``execute`` calls on one client, sync and async — target: no growth beyond
  noise (a few MiB of allocator slack).

Each line ends with its ratio (client / bare, or RSS after 10,000 / after 1,000).

Usage::

    uv run python benchmarks/bench_memory.py [--streams 1000] [--calls 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

from _emulator import Emulator, add_arguments, running_emulator

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_now() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


# -- children -----------------------------------------------------------------------------


async def _streams_ours(server: dict[str, str], streams: int) -> None:
    import asyncio

    from fruxon_aiohttp import AsyncFruxonClient

    barrier = asyncio.Barrier(streams)
    async with AsyncFruxonClient(
        server["api_key"],
        server["org"],
        server["base_url"],
        timeout=120.0,
        connector_limit=0,
        load_entrypoints=False,
    ) as client:

        async def one() -> int:
            events = 0
            async for _ in client.stream("count-agent", parameters={"count": 20}):
                events += 1
                if events == 1:
                    await barrier.wait()
            return events

        counts = await asyncio.gather(*(one() for _ in range(streams)))
    assert len(set(counts)) == 1, counts[:5]
    assert counts[0] > 20, counts[:5]


async def _streams_bare(server: dict[str, str], streams: int) -> None:
    import asyncio

    import aiohttp

    barrier = asyncio.Barrier(streams)
    url = f"{server['base_url']}/v1/tenants/{server['org']}/agents/count-agent:stream"
    headers = {"X-API-KEY": server["api_key"], "Accept": "text/event-stream"}
    body = {"parameters": {"count": 20}}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> int:
            events = 0
            async with session.post(url, json=body, headers=headers) as response:
                async for line in response.content:
                    if line.startswith(b"data:"):
                        json.loads(line[5:])
                        events += 1
                        if events == 1:
                            await barrier.wait()
            return events

        counts = await asyncio.gather(*(one() for _ in range(streams)))
    assert len(set(counts)) == 1, counts[:5]
    assert counts[0] > 20, counts[:5]


def _growth_sync(server: dict[str, str], calls: int) -> dict[str, int]:
    from fruxon_requests import FruxonClient

    with FruxonClient(
        server["api_key"], server["org"], server["base_url"], load_entrypoints=False
    ) as client:
        first = calls // 10
        for _ in range(first):
            client.execute("echo-agent", parameters={"message": "m"})
        after_first = rss_now()
        for _ in range(calls - first):
            client.execute("echo-agent", parameters={"message": "m"})
        return {"after_first": after_first, "after_all": rss_now()}


async def _growth_async(server: dict[str, str], calls: int) -> dict[str, int]:
    from fruxon_aiohttp import AsyncFruxonClient

    async with AsyncFruxonClient(
        server["api_key"], server["org"], server["base_url"], load_entrypoints=False
    ) as client:
        first = calls // 10
        for _ in range(first):
            await client.execute("echo-agent", parameters={"message": "m"})
        after_first = rss_now()
        for _ in range(calls - first):
            await client.execute("echo-agent", parameters={"message": "m"})
        return {"after_first": after_first, "after_all": rss_now()}


def child(kind: str, server: dict[str, str], amount: int) -> dict[str, int]:
    import asyncio

    start = rss_now()
    if kind == "streams-ours":
        asyncio.run(_streams_ours(server, amount))
        result = {}
    elif kind == "streams-bare":
        asyncio.run(_streams_bare(server, amount))
        result = {}
    elif kind == "growth-sync":
        result = _growth_sync(server, amount)
    else:
        result = asyncio.run(_growth_async(server, amount))
    return {"start": start, "peak": peak_rss(), **result}


def run_child(kind: str, server: Emulator, amount: int) -> dict[str, int]:
    spec = json.dumps({"base_url": server.base_url, "org": server.org, "api_key": server.api_key})
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, spec, str(amount)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if out.returncode:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, spec, amount = sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(child(kind, spec, amount)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=10000)
    add_arguments(parser)
    args = parser.parse_args()
    ok = True
    with running_emulator(in_process=args.in_process) as server:
        ours = run_child("streams-ours", server, args.streams)
        bare = run_child("streams-bare", server, args.streams)
        ratio = ours["peak"] / bare["peak"]
        good = ours["peak"] < 100 * MIB and ratio <= 1.2
        ok &= good
        print(
            f"{args.streams} concurrent async streams on one client, peak RSS of the client "
            f"process: bare aiohttp {bare['peak'] / MIB:.1f} MiB, AsyncFruxonClient "
            f"{ours['peak'] / MIB:.1f} MiB (target < 100 MiB and <= 1.20x) "
            f"{'ok' if good else 'MISSED'}: {ratio:.2f}x"
        )
        for kind, client in (
            ("growth-sync", "FruxonClient"),
            ("growth-async", "AsyncFruxonClient"),
        ):
            result = run_child(kind, server, args.calls)
            growth = (result["after_all"] - result["after_first"]) / MIB
            good = growth < 2.0
            ok &= good
            print(
                f"{client}, RSS after {args.calls // 10:,} and after {args.calls:,} sequential "
                f"executes: {result['after_first'] / MIB:.1f} MiB, "
                f"{result['after_all'] / MIB:.1f} MiB, growth {growth:+.2f} MiB "
                f"(target < 2 MiB) {'ok' if good else 'MISSED'}: "
                f"{result['after_all'] / result['after_first']:.3f}x"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
