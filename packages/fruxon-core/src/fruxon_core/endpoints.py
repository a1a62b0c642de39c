"""The operation catalogue: one declarative entry per API operation.

An :class:`Endpoint` says how an operation looks on the wire (method, path
template with its ``:verb`` suffix, query names, whether it streams, whether a
retry is always safe) and how its success body decodes. :mod:`.operations`
turns a method call into a :class:`Call` against one of these entries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import msgspec

from .decoding import (
    decode_json,
    decode_model,
    decode_object,
    lenient_convert,
    model_decoder,
)
from .exceptions import UnexpectedResponseError
from .http import Response
from .models import (
    Agent,
    AgentParameters,
    ApprovalRequest,
    ExecutionRecord,
    ExecutionRecordResult,
    ExecutionResult,
    ExecutionTree,
    FileLink,
    Integration,
    ListPage,
    Tool,
)

__all__ = ["DOT_SEGMENTS", "ENDPOINTS", "Endpoint", "check_segment", "quote_segment", "render_path"]

T = TypeVar("T")


@functools.lru_cache(maxsize=1024)  # agent and record ids repeat from call to call
def quote_segment(value: str) -> str:
    """Percent-encode one path segment; ``/``, ``?``, ``#`` and spaces never change the route."""
    return quote(value, safe="")


#: Path segments that URL libraries resolve (RFC 3986, section 5.2.4) instead of sending.
DOT_SEGMENTS = frozenset({".", ".."})


def check_segment(name: str, text: str) -> None:
    """Refuse an id that cannot be one path segment: ``.`` and ``..`` would change the route.

    Percent-encoding does not help: urllib3 and yarl resolve ``..`` and yarl
    also decodes ``%2E%2E`` before resolving, so ``get_agent("..")`` would be
    sent as ``GET /v1/tenants/acme/``. Any other id, dots included
    (``"v1.2"``, ``"..."``), is sent intact.
    """
    if text in DOT_SEGMENTS:
        raise ValueError(
            f"{name} must not be {text!r}: a path segment of only dots would be resolved by "
            "the HTTP library and send the request to another route; no Fruxon id is "
            "'.' or '..'"
        )


def render_path(template: str, params: Mapping[str, str | int]) -> str:
    """Fill ``{name}`` placeholders with encoded segments.

    Empty ids, and ids that are dot segments (``.``, ``..``), raise ``ValueError``.
    """
    values: dict[str, str] = {}
    for name, value in params.items():
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        check_segment(name, text)
        values[name] = quote_segment(text)
    return template.format(**values)


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[T]):
    """How one operation looks on the wire."""

    name: str
    method: str
    path: str
    """Template relative to ``/v1/tenants/{org}``, e.g. ``/agents/{agent}:execute``."""
    decode: Callable[[bytes], T]
    streaming: bool = False
    idempotent: bool = True
    """Safe to repeat after the server may have seen it (GET/PUT/DELETE)."""
    query: Mapping[str, str] = field(default_factory=dict)
    """Python keyword -> wire query key, for the filters the operation takes."""
    paged: bool = False
    accept: str | None = None
    """The ``Accept`` header, when not JSON (or SSE for a stream)."""
    decode_response: Callable[[Response], T] | None = None
    """Reads the whole response instead of ``decode`` (for answers told apart by status
    or headers)."""
    ends_with_done: bool = True
    """For a stream: the body ending before a ``done`` or ``error`` event is an error."""

    @property
    def answers_with_events(self) -> bool:
        """A stream of server-sent events (not a streamed download): other answers are errors."""
        return self.streaming and self.accept is None

    @property
    def sends_idempotency_key(self) -> bool:
        """Non-idempotent POSTs carry an ``Idempotency-Key`` reused across retries."""
        return self.method == "POST" and not self.idempotent


def _model(model: type[T]) -> Callable[[bytes], T]:
    return model_decoder(model)


def _page(item: type[T], *, skip_deleted: bool = False) -> Callable[[bytes], ListPage[T]]:
    """Decode a ListPage, also accepting a bare JSON array as one complete page."""

    def decode(body: bytes) -> ListPage[T]:
        stripped = body.lstrip()
        if stripped.startswith(b"["):
            # Same cleaning as the envelope: items that are not objects are dropped.
            raw_items = decode_json(stripped)
            page: ListPage[T] = lenient_convert(ListPage[item], {"items": raw_items})  # type: ignore[valid-type]
        else:
            page = decode_model(ListPage[item], body)  # type: ignore[valid-type]
            if not page.items and not _has_item_list(body):
                raise UnexpectedResponseError("Expected a list payload, got a different shape.")
        if skip_deleted:
            kept = [x for x in page.items if not getattr(x, "deleted_at", None)]
            page = msgspec.structs.replace(page, items=kept)
        return page

    return decode


def _has_item_list(body: bytes) -> bool:
    value = decode_json(body)
    return isinstance(value, dict) and isinstance(value.get("items"), list)


def _parameter_names(body: bytes) -> list[str]:
    return [name for name in decode_model(AgentParameters, body).parameters if name]


def _raw(body: bytes) -> dict[str, Any]:
    return decode_object(body)


def _nothing(body: bytes) -> None:
    return None


def _whole_response_decodes(body: bytes) -> Any:
    raise AssertionError("this operation decodes the whole response")  # pragma: no cover


def _stopped_now(response: Response) -> bool:
    """``:cancelRun``: 204 -- the run was stopped now; 202 -- it was asked to stop."""
    return response.status == 204


def _file_content(response: Response) -> tuple[bytes, str]:
    content_type = response.headers.get("content-type") or "application/octet-stream"
    return response.body, content_type


_EXECUTION_RESULT = _model(ExecutionResult)

# The stream endpoints decode nothing as a whole body: the SSE decoder does the work.
EXECUTE = Endpoint(
    "execute", "POST", "/agents/{agent}:execute", _EXECUTION_RESULT, idempotent=False
)
EXECUTE_REVISION = Endpoint(
    "execute_revision",
    "POST",
    "/agents/{agent}/revisions/{revision}:execute",
    _EXECUTION_RESULT,
    idempotent=False,
)
STREAM = Endpoint(
    "stream", "POST", "/agents/{agent}:stream", _nothing, streaming=True, idempotent=False
)
STREAM_REVISION = Endpoint(
    "stream_revision",
    "POST",
    "/agents/{agent}/revisions/{revision}:stream",
    _nothing,
    streaming=True,
    idempotent=False,
)
TEST = Endpoint("test", "POST", "/agents/{agent}:test", _EXECUTION_RESULT, idempotent=False)
STREAM_TEST = Endpoint(
    "stream_test", "POST", "/agents/{agent}:streamTest", _nothing, streaming=True, idempotent=False
)
LIST_AGENTS = Endpoint(
    "list_agents",
    "GET",
    "/agents",
    _page(Agent, skip_deleted=True),
    query={"query": "query", "tags": "tags"},
    paged=True,
)
GET_AGENT = Endpoint("get_agent", "GET", "/agents/{agent}", _model(Agent))
GET_AGENT_PARAMETERS = Endpoint(
    "get_agent_parameters",
    "GET",
    "/agents/{agent}/revisions/{revision}/parameters",
    _parameter_names,
)
GET_AGENT_PARAMETER_METADATA = Endpoint(
    "get_agent_parameter_metadata",
    "GET",
    "/agents/{agent}/revisions/{revision}/parameters",
    _model(AgentParameters),
)
LIST_INTEGRATIONS = Endpoint(
    "list_integrations",
    "GET",
    "/integrations",
    _page(Integration),
    query={
        "search": "query",  # the official SDK's keyword; the API reads ``query``
        "types": "types",
        "tags": "tags",
        "has_configs": "has_configs",
        "has_triggers": "has_triggers",
        "has_channels": "has_channels",
    },
    paged=True,
)
GET_INTEGRATION = Endpoint(
    "get_integration", "GET", "/integrations/{integration}", _model(Integration)
)
CREATE_INTEGRATION = Endpoint(
    "create_integration", "POST", "/integrations", _model(Integration), idempotent=False
)
UPDATE_INTEGRATION = Endpoint(
    "update_integration", "PUT", "/integrations/{integration}", _model(Integration)
)
VERIFY_INTEGRATION = Endpoint(
    "verify_integration",
    "POST",
    "/integrations/{integration}:verifyConfig",
    _raw,
    idempotent=False,
)
LIST_TOOLS = Endpoint(
    "list_tools",
    "GET",
    "/integrations/{integration}/tools",
    _page(Tool),
    query={"types": "types", "search": "query"},
    paged=True,
)
GET_TOOL = Endpoint("get_tool", "GET", "/integrations/{integration}/tools/{tool}", _model(Tool))
CREATE_TOOL = Endpoint(
    "create_tool", "POST", "/integrations/{integration}/tools", _model(Tool), idempotent=False
)
UPDATE_TOOL = Endpoint(
    "update_tool", "PUT", "/integrations/{integration}/tools/{tool}", _model(Tool)
)
UPDATE_PYTHON_TOOL = Endpoint(
    "update_python_tool", "PUT", "/integrations/{integration}/tools/{tool}:python", _model(Tool)
)
DELETE_TOOL = Endpoint(
    "delete_tool", "DELETE", "/integrations/{integration}/tools/{tool}", _nothing
)
TEST_TOOL = Endpoint(
    "test_tool", "POST", "/integrations/{integration}/tools:test", _raw, idempotent=False
)
GET_EXECUTION_RECORD = Endpoint(
    "get_execution_record",
    "GET",
    "/agents/{agent}/executionRecords/{record_id}",
    _model(ExecutionRecord),
)
GET_EXECUTION_TRACE = Endpoint(
    "get_execution_trace", "GET", "/agents/{agent}/executionRecords/{record_id}/trace", _raw
)
LIST_EXECUTION_RECORDS = Endpoint(
    "list_execution_records",
    "GET",
    "/agents/{agent}/executionRecords",
    _page(ExecutionRecord),
    query={
        "status": "status",
        "session_id": "sessionId",
        "start_time": "startTime",
        "end_time": "endTime",
        "revision": "agentRevision",
        "origin": "origin",
        "participant_id": "participantId",
        "tools": "tools",
        "with_tool_errors": "withToolErrors",
        "has_tool_calls": "hasToolCalls",
        "trigger_type": "triggerType",
        "trigger_id": "triggerId",
        "run_type": "runType",
        "environment": "environment",
        "min_duration_ms": "minDurationMs",
        "max_duration_ms": "maxDurationMs",
        "query": "query",
    },
    paged=True,
)
GET_EXECUTION_RESULT = Endpoint(
    "get_execution_result",
    "GET",
    "/agents/{agent}/executionRecords/{record_id}/result",
    _model(ExecutionRecordResult),
)
GET_EXECUTION_TREE = Endpoint(
    "get_execution_tree",
    "GET",
    "/agents/{agent}/executionRecords/{record_id}/tree",
    _model(ExecutionTree),
)
CANCEL_RUN = Endpoint(
    "cancel_run",
    "POST",
    "/agents/{agent}/executionRecords/{record_id}:cancelRun",
    _whole_response_decodes,
    idempotent=False,
    decode_response=_stopped_now,
)
CANCEL_WAIT = Endpoint(
    "cancel_wait",
    "POST",
    "/agents/{agent}/executionRecords/{record_id}:cancelWait",
    _nothing,
    idempotent=False,
)
LIST_PENDING_APPROVALS = Endpoint(
    "list_pending_approvals",
    "GET",
    "/pendingApprovals",
    _page(ApprovalRequest),
    query={"status": "status", "agent": "agentId"},
    paged=True,
)
GET_APPROVAL = Endpoint(
    "get_approval",
    "GET",
    "/agents/{agent}/pendingApprovals/{approval}",
    _model(ApprovalRequest),
)
RESPOND_APPROVAL = Endpoint(
    "respond_approval",
    "POST",
    "/agents/{agent}/pendingApprovals/{approval}:respond",
    _model(ApprovalRequest),
    idempotent=False,
)
CANCEL_APPROVAL = Endpoint(
    "cancel_approval",
    "POST",
    "/agents/{agent}/pendingApprovals/{approval}:cancel",
    _model(ApprovalRequest),
    idempotent=False,
)
UPLOAD_FILE = Endpoint(
    "upload_file",
    "POST",
    "/storage",
    _model(FileLink),
    idempotent=False,
    query={"temporary": "temporary"},
)
DOWNLOAD_FILE = Endpoint(
    "download_file",
    "GET",
    "/storage/{file}",
    _whole_response_decodes,
    accept="*/*",
    decode_response=_file_content,
)
DOWNLOAD_FILE_TO = Endpoint(
    "download_file_to",
    "GET",
    "/storage/{file}",
    _nothing,
    streaming=True,
    accept="*/*",
)

#: Every endpoint above by name: each module-level :class:`Endpoint` is listed by defining it.
ENDPOINTS: Mapping[str, Endpoint[Any]] = {
    value.name: value for value in list(globals().values()) if isinstance(value, Endpoint)
}
