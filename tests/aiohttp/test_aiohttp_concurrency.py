"""Many streams on one loop through a bounded connection pool."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_emulator import FAULT_HEADER, EmulatorServer

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]

STREAMS = 1000
COUNT = 5
LIMIT = 100


class PeakStreams(threading.Thread):
    """Samples how many streams the emulator is serving at once, from a side thread.

    (Open *connections* would overcount: the server notices a connection the
    client closed a little later, while that pool slot is already reused.)
    """

    def __init__(self, emulator: EmulatorServer) -> None:
        super().__init__(daemon=True)
        self.emulator = emulator
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.005):
            self.peak = max(self.peak, int(self.emulator.stats()["streams"]["open"]))


def test_a_thousand_concurrent_streams(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    expected = [f"tok{i} " for i in range(COUNT)]

    async def one(client: AsyncFruxonClient) -> list[str]:
        stream = client.stream("count-agent", parameters={"count": COUNT})
        chunks = [event.data["chunk"] async for event in stream if event.event == "text"]
        assert stream.final_result is not None
        assert stream.final_result.response == "".join(chunks)
        return chunks

    async def main() -> None:
        async with make_async_client(connector_limit=LIMIT, timeout=60.0) as client:
            # 2 ms between events keeps each stream open long enough to be seen in flight
            paced = client.with_options(headers={FAULT_HEADER: "pacing_ms=2"})
            results = await asyncio.gather(*(one(paced) for _ in range(STREAMS)))
            assert all(chunks == expected for chunks in results)

    sampler = PeakStreams(emulator)
    sampler.start()
    try:
        arun(main())
    finally:
        sampler.stop.set()
        sampler.join()
    stats = emulator.stats()
    assert stats["streams"]["started"] == STREAMS
    assert stats["streams"]["completed"] == STREAMS
    assert stats["streams"]["clientDisconnects"] == 0
    assert stats["runs"]["byAgent"]["count-agent"] == STREAMS
    assert stats["connections"]["open"] == 0
    assert LIMIT // 2 < sampler.peak <= LIMIT, sampler.peak  # concurrent, within the pool
