"""Stream events: what ``client.stream(...)`` yields, typed payloads, and result recovery.

A :class:`StreamEvent` has the event's name (``event.event``) and its JSON
object as a dict (``event.data``), as in the official ``fruxon`` package, so
existing code works; :attr:`StreamEvent.payload` gives the same data as a typed
struct for code that wants attribute access and a type checker. Unknown event
names are passed through untouched, never dropped.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .decoding import lenient_convert
from .exceptions import FruxonStreamError
from .models import ExecutionResult, ExecutionTrace, Model, Serializable
from .sse import ServerSentEvent

__all__ = [
    "TERMINAL_EVENTS",
    "Done",
    "EventPayload",
    "ResultCollector",
    "StatusChange",
    "StepTrace",
    "StreamErrorPayload",
    "StreamEvent",
    "TextChunk",
    "ToolCall",
    "ToolResult",
    "Usage",
    "decode_event_data",
    "decode_stream_event",
    "encode_sse",
    "stream_error",
]

TERMINAL_EVENTS = frozenset({"done", "error"})


class TextChunk(Model, frozen=True):
    """``text``: a model text delta; concatenate chunks in arrival order."""

    chunk: str = ""


class ToolCall(Model, frozen=True):
    """``tool_call``: a tool was dispatched; ``id`` pairs it with its ``tool_result``."""

    id: str = ""
    tool_trace: dict[str, Any] = msgspec.field(default_factory=dict)
    """The tool as the server describes it (``tool``, ``displayName``, ``toolType``, ...)."""
    arguments: Any = None
    """What the model passed to the tool."""
    start_time: int = 0
    """When the tool was called, in epoch milliseconds."""

    @property
    def name(self) -> str:
        """The tool's name (``tool_trace["tool"]["name"]``, else its display name)."""
        tool = self.tool_trace.get("tool")
        name = tool.get("name") if isinstance(tool, dict) else None
        return name if isinstance(name, str) else str(self.tool_trace.get("displayName") or "")


class ToolResult(Model, frozen=True):
    """``tool_result``: the tool with the same ``id`` finished."""

    id: str = ""
    status: str = ""
    """``succeeded``, ``failed``, ``cancelled``, ... (lower case)."""
    result: Any = None
    start_time: int = 0
    """When the tool started (epoch ms): the event's own ``startTime`` if the server sent
    one, else the ``startTime`` of the ``tool_call`` with the same ``id`` (filled in for
    events read from ``client.stream()``, or passed through a :class:`ResultCollector`);
    0 when unknown."""
    end_time: int = 0
    """When the tool finished (epoch ms); 0 when unknown."""
    duration_ms: int | None = None
    """How long the tool ran, in milliseconds: the server's ``durationMs`` (or ``duration``)
    when it sends one, else ``end_time - start_time``; ``None`` when neither is known."""

    def __post_init__(self) -> None:
        duration = self.duration_ms
        if duration is not None and duration < 0:
            duration = None
        if duration is None and 0 < self.start_time <= self.end_time:
            duration = self.end_time - self.start_time
        if duration != self.duration_ms:
            msgspec.structs.force_setattr(self, "duration_ms", duration)


class Usage(Model, frozen=True):
    """``usage``: token accounting, near the end of a run."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    thinking_tokens: int = 0
    web_search_calls: int = 0


class StatusChange(Model, frozen=True):
    """``status``: a backend state change, e.g. pausing for approval."""

    status: str = ""


class StepTrace(Model, frozen=True):
    """``step_trace``: a run step started or finished (negative durations mean unknown)."""

    id: str = ""
    display_name: str = ""
    type: str = ""
    status: str = ""
    duration: int = 0
    error: str = ""
    steps: list[dict[str, Any]] = msgspec.field(default_factory=list)


class StreamErrorPayload(Model, frozen=True):
    """``error``: the run failed; terminal."""

    message: str = ""
    code: str | None = None


class Done(Model, frozen=True):
    """``done``: the run finished (or paused for a human); terminal."""

    execution_record_id: str = ""
    session_id: str | None = None
    trace: ExecutionTrace = msgspec.field(default_factory=ExecutionTrace)
    """The run's trace; empty for a run paused for a human."""
    status: str | None = None
    """``None`` for a finished run; ``WaitingForHuman`` when it paused for approval."""
    human_approval_request_id: str | None = None
    response: str | None = None
    """The full answer, when the server sends it (otherwise the text chunks are the answer)."""
    links: list[dict[str, Any]] | None = None


EventPayload = (
    TextChunk | ToolCall | ToolResult | Usage | StatusChange | StepTrace | StreamErrorPayload | Done
)

_PAYLOAD_TYPES: dict[str, type[Any]] = {
    "text": TextChunk,
    "tool_call": ToolCall,
    "tool_result": ToolResult,
    "usage": Usage,
    "status": StatusChange,
    "step_trace": StepTrace,
    "error": StreamErrorPayload,
    "done": Done,
}


# The ``startTime`` of a tool_result's tool_call, stored on the event by ResultCollector.add
# (outside the struct's fields, so equality, repr and encoding are those of the wire event).
_CALL_START = "_fruxon_call_start_time"


class StreamEvent(msgspec.Struct, Serializable, frozen=True, dict=True):
    """One event of an execution stream: ``event`` is the name, ``data`` the JSON object."""

    event: str
    """The event's name: ``text``, ``tool_call``, ``tool_result``, ``usage``, ``status``,
    ``step_trace``, ``error``, ``done``, or one the SDK does not know (passed through)."""
    data: dict[str, Any]
    """The event's JSON object, with the server's (camelCase) keys."""
    id: str | None = None
    """The stream's last event id, if the server sends ids."""

    @property
    def payload(self) -> EventPayload | None:
        """The data as a typed struct, or ``None`` for an event name the SDK does not know."""
        payload_type = _PAYLOAD_TYPES.get(self.event)
        if payload_type is None:
            return None
        if payload_type is ToolResult:
            return _tool_result(self.data, self.__dict__.get(_CALL_START, 0))
        result: EventPayload = lenient_convert(payload_type, self.data)
        return result

    @property
    def is_terminal(self) -> bool:
        """True for ``done`` and ``error``: the stream ends after this event."""
        return self.event in TERMINAL_EVENTS


def _tool_result(data: dict[str, Any], call_start: int) -> ToolResult:
    payload = lenient_convert(ToolResult, data)
    changes: dict[str, int] = {}
    if payload.duration_ms is None and "durationMs" not in data:
        legacy = _non_negative_int(data.get("duration"))
        if legacy is not None:
            changes["duration_ms"] = legacy
    if not payload.start_time and call_start > 0:
        changes["start_time"] = call_start
    return msgspec.structs.replace(payload, **changes) if changes else payload


def _non_negative_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return None
    return int(value)


_decode_any = msgspec.json.Decoder()


def decode_event_data(data: str) -> dict[str, Any]:
    """The ``data`` of an SSE frame as a dict: a JSON object is kept as it is, any other JSON
    value becomes ``{"value": …}`` and text that is not JSON ``{"_raw": text}``."""
    if not data:
        return {}
    try:
        value = _decode_any.decode(data)
    except msgspec.DecodeError:
        return {"_raw": data}
    return value if isinstance(value, dict) else {"value": value}


def decode_stream_event(sse: ServerSentEvent) -> StreamEvent:
    """Turn one decoded SSE frame into a :class:`StreamEvent`."""
    return StreamEvent(sse.event, decode_event_data(sse.data), sse.id)


def stream_error(event: StreamEvent) -> FruxonStreamError:
    """The exception an ``error`` event raises after it has been yielded."""
    message = event.data.get("message")
    code = event.data.get("code")
    return FruxonStreamError(
        message if isinstance(message, str) and message else "the server sent no message",
        code if isinstance(code, str) else None,
    )


_json_encoder = msgspec.json.Encoder()


def encode_sse(event: StreamEvent) -> bytes:
    """Serialise an event back into SSE bytes, e.g. to relay a stream to a browser."""
    head = b"event: " + event.event.encode() + b"\n"
    if event.id is not None:
        head += b"id: " + event.id.encode() + b"\n"
    return head + b"data: " + _json_encoder.encode(event.data) + b"\n\n"


class ResultCollector:
    """Rebuilds the :class:`ExecutionResult` of a streamed run from its events.

    ``response`` is the concatenated text (or the ``done`` event's ``response``
    when it has one); ids, status and trace come from ``done``; token counts the
    trace lacks come from ``usage``. Client streams use one of these, so
    ``stream.final_result`` and ``stream.collect()`` are built this way.

    It also pairs each ``tool_result`` with its ``tool_call``, so that the
    result's :attr:`ToolResult.start_time` and :attr:`ToolResult.duration_ms`
    are known even when the server sends only the end time.
    """

    def __init__(self) -> None:
        self._chunks: list[str] = []
        self._usage: Usage | None = None
        self._tool_starts: dict[str, int] = {}
        self.done: Done | None = None

    def add(self, event: StreamEvent) -> None:
        """Take one event into account, in stream order."""
        name = event.event
        if name == "text":
            chunk = event.data.get("chunk")
            if isinstance(chunk, str):
                self._chunks.append(chunk)
        elif name == "tool_call":
            call_id, start = event.data.get("id"), _non_negative_int(event.data.get("startTime"))
            if isinstance(call_id, str) and start:
                self._tool_starts[call_id] = start
        elif name == "tool_result":
            start = self._tool_starts.pop(event.data.get("id"), None)  # type: ignore[arg-type]
            if start is not None:
                event.__dict__[_CALL_START] = start
        elif name == "usage":
            self._usage = lenient_convert(Usage, event.data)
        elif name == "done":
            self.done = lenient_convert(Done, event.data)

    @property
    def text(self) -> str:
        """All text received so far."""
        return "".join(self._chunks)

    def result(self) -> ExecutionResult:
        """The result; only complete once a ``done`` event was added."""
        done = self.done or Done()
        trace = done.trace
        usage = self._usage
        if usage is not None:
            trace = msgspec.structs.replace(
                trace,
                input_tokens=trace.input_tokens or usage.input_tokens,
                output_tokens=trace.output_tokens or usage.output_tokens,
                cached_tokens=trace.cached_tokens or usage.cached_tokens,
                cache_write_tokens=trace.cache_write_tokens or usage.cache_write_tokens,
                web_search_calls=trace.web_search_calls or usage.web_search_calls,
            )
        return ExecutionResult(
            response=done.response if done.response is not None else self.text,
            trace=trace,
            session_id=done.session_id,
            links=list(done.links or []),
            execution_record_id=done.execution_record_id,
            status=done.status or ("COMPLETED" if self.done is not None else None),
            human_approval_request_id=done.human_approval_request_id,
        )
