"""A transport that records what the client hands it and answers from a script, with no I/O.

The counterpart of elastic-transport's ``DummyNode``: it satisfies the
transport contract (:mod:`fruxon_core.transport`) in both its sync and async
form, so the client written once in core can be tested without a socket --
what every method *sends* is then a plain value to assert on.
"""

from __future__ import annotations

from typing import Any

import msgspec

from fruxon_core.http import Request, Response
from fruxon_core.sse import ServerSentEvent

#: Pages answered before the recorded list runs out (so ``all_pages`` is visible on the wire).
PAGES = 3

#: The body of a streamed download.
RECORDED_FILE = b"recorded file body"


class RecordedStream:
    """A stream response that ends with ``done`` at once."""

    status = 200
    reason = "OK"
    headers: dict[str, str] = {"content-type": "text/event-stream"}  # noqa: RUF012

    def __init__(self, request: Request) -> None:
        self.request = request
        self._events: list[list[ServerSentEvent]] = [
            [ServerSentEvent("done", '{"status": "Completed"}', None, None)]
        ]
        self._pieces = [RECORDED_FILE[:5], RECORDED_FILE[5:]]

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def read_all(self) -> Response:
        return self.head()

    def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        return self._events.pop(0) if self._events else None

    def read_bytes(self, timeout: float | None) -> bytes | None:
        return self._pieces.pop(0) if self._pieces else None

    def finish(self) -> None:
        return None

    def close(self) -> None:
        return None


class RecordingTransport:
    """Records every request; answers 200 with a page-shaped JSON body."""

    name = "recording"
    version = "1"
    session = None

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.slept: list[float] = []

    def check_usable(self) -> None:
        return None

    def _answer(self, request: Request) -> Response:
        self.requests.append(request)
        page = sum(1 for r in self.requests if r.operation == request.operation)
        # a page, and (for wait_for_run_end) a record of a run that has ended
        body: dict[str, Any] = {"items": [{"id": f"item-{page}"}], "status": "COMPLETED"}
        if page < PAGES:
            body["nextPageToken"] = f"page-{page + 1}"
        return Response(200, {}, msgspec.json.encode(body), request)

    def send(self, request: Request, remaining: float | None) -> Response:
        return self._answer(request)

    def open_stream(self, request: Request, remaining: float | None) -> RecordedStream:
        self.requests.append(request)
        return RecordedStream(request)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def close(self) -> None:
        return None


class AsyncRecordedStream(RecordedStream):
    async def read_all(self) -> Response:  # type: ignore[override]
        return self.head()

    async def read_events(  # type: ignore[override]
        self, timeout: float | None
    ) -> list[ServerSentEvent] | None:
        return super().read_events(timeout)

    async def read_bytes(self, timeout: float | None) -> bytes | None:  # type: ignore[override]
        return super().read_bytes(timeout)

    async def finish(self) -> None:  # type: ignore[override]
        return None


class AsyncRecordingTransport(RecordingTransport):
    async def send(self, request: Request, remaining: float | None) -> Response:  # type: ignore[override]
        return self._answer(request)

    async def open_stream(  # type: ignore[override]
        self, request: Request, remaining: float | None
    ) -> AsyncRecordedStream:
        self.requests.append(request)
        return AsyncRecordedStream(request)

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        self.slept.append(seconds)

    async def aclose(self) -> None:
        return None
