"""Every SDK operation, defined once: a method call in, a :class:`Call` out.

Both clients delegate here in one line per method, so the sync and the async
client cannot disagree about a path, a body or a query parameter.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from . import endpoints as ep
from .decoding import decode_json
from .endpoints import Endpoint, render_path
from .http import BodyStream, Response
from .models import (
    Agent,
    AgentParameters,
    ApprovalRequest,
    ExecutionRecord,
    ExecutionRecordResult,
    ExecutionRequest,
    ExecutionResult,
    ExecutionTree,
    FileLink,
    Integration,
    ListPage,
    Tool,
    parse_prompt_link,
)
from .multipart import FileSource, file_upload_body

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "IDEMPOTENT_METHODS",
    "Call",
    "PageWalker",
    "encode_query",
    "file_id_of",
]

T = TypeVar("T")

#: Page size sent by list operations (the server's maximum) to cut round-trips.
DEFAULT_PAGE_SIZE = 100

_json_encoder = msgspec.json.Encoder()


class Call(msgspec.Struct, Generic[T], frozen=True):
    """One operation with its arguments bound: what to send and how to read the answer.

    (A frozen msgspec struct rather than a dataclass: one is built per call, in C.)
    """

    endpoint: Endpoint[T]
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | BodyStream | None = None
    agent_id: str | None = None
    """The ``{agent}`` path parameter as given, for operations about one agent."""
    headers: tuple[tuple[str, str], ...] = ()
    """Headers of this call (a multipart ``Content-Type``, a raw call's own headers)."""
    absolute: bool = False
    """``path`` starts at the base URL (``/v1/...``), not at ``/v1/tenants/{org}``."""

    def decode(self, body: bytes) -> T:
        return self.endpoint.decode(body)

    def decode_response(self, response: Response) -> T:
        """The call's result from its 2xx response."""
        read = self.endpoint.decode_response
        return self.endpoint.decode(response.body) if read is None else read(response)

    def with_page(self, token: str | None, page_size: int) -> Call[T]:
        """The same call asking for a given page (filters are repeated on every page)."""
        query = [(k, v) for k, v in self.query if k not in ("pageToken", "pageSize")]
        query.append(("pageSize", str(page_size)))
        if token:
            query.append(("pageToken", token))
        return msgspec.structs.replace(self, query=tuple(query))


def encode_query(
    names: Mapping[str, str], values: Mapping[str, Any]
) -> tuple[tuple[str, str], ...]:
    """Lists become repeated keys, ``True`` the string ``true``; ``False``/``None`` are omitted."""
    pairs: list[tuple[str, str]] = []
    for kwarg, value in values.items():
        if value is None or value is False:
            continue
        key = names[kwarg]
        if value is True:
            pairs.append((key, "true"))
        elif isinstance(value, (list, tuple, set, frozenset)):
            pairs.extend((key, str(item)) for item in value)
        else:
            pairs.append((key, str(value)))
    return tuple(pairs)


def _epoch_ms(value: _dt.datetime | _dt.date | int | str | None) -> int | str | None:
    """A time filter as the API reads it: epoch milliseconds (an ISO 8601 string passes)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a time must be a datetime, epoch milliseconds or an ISO 8601 string")
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, _dt.date):
        start = _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
        return int(start.timestamp() * 1000)
    raise TypeError(
        f"a time must be a datetime, epoch milliseconds or an ISO 8601 string, got {value!r}"
    )


def _json(body: Any) -> bytes:
    if not isinstance(body, Mapping):
        raise TypeError(f"request body must be a dict, got {type(body).__name__}")
    return _json_encoder.encode(body)


def _call(
    endpoint: Endpoint[T],
    body: bytes | None = None,
    query: Mapping[str, Any] | None = None,
    **path: str | int,
) -> Call[T]:
    agent = path.get("agent")
    return Call(
        endpoint,
        _path(endpoint.path, path),
        encode_query(endpoint.query, query) if query else (),
        body,
        None if agent is None else str(agent),
    )


def _agent_call(endpoint: Endpoint[T], agent: str, body: bytes | None = None) -> Call[T]:
    """``_call(endpoint, body, agent=agent)``, without its generality (execute and stream)."""
    if type(agent) is str:
        path = _rendered_path(endpoint.path, (("agent", agent),))
    else:
        path = render_path(endpoint.path, {"agent": agent})
    return Call(endpoint, path, (), body, str(agent))


def _path(template: str, params: dict[str, str | int]) -> str:
    """:func:`render_path`, remembered for ids given as ``str`` (the same ids recur)."""
    for value in params.values():
        if type(value) is not str:
            return render_path(template, params)
    return _rendered_path(template, tuple(params.items()))


@functools.lru_cache(maxsize=1024)
def _rendered_path(template: str, params: tuple[tuple[str, str], ...]) -> str:
    return render_path(template, dict(params))


def execution_body(
    parameters: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    attachments: Iterable[Any] | None = None,
    chat_user: Mapping[str, Any] | None = None,
    environment_slug: str | None = None,
    mode: str | None = None,
) -> bytes:
    """The ExecutionRequest JSON; arguments left ``None`` are omitted.

    A :class:`FileLink` among the parameter values (also inside lists and
    dicts) is sent as its prompt link, the form agent inputs read; one in
    ``attachments`` as its JSON object.
    """
    request = ExecutionRequest(
        parameters=None if parameters is None else _parameter_values(parameters),
        session_id=session_id,
        attachments=list(attachments) if attachments is not None else None,
        chat_user=dict(chat_user) if chat_user is not None else None,
        environment_slug=environment_slug,
        mode=mode,
    )
    return _json_encoder.encode(request)


#: Parameter values sent as they are (nothing inside them can be a FileLink).
_PLAIN_VALUES = frozenset({str, int, float, bool, type(None)})


def _parameter_values(parameters: Mapping[str, Any]) -> dict[str, Any]:
    if type(parameters) is dict:
        plain = _PLAIN_VALUES
        for value in parameters.values():
            if type(value) not in plain:
                break
        else:  # the usual case: strings and numbers; encoded straight away, so not copied
            return parameters
    return {name: _link_to_prompt(value) for name, value in parameters.items()}


def _link_to_prompt(value: Any) -> Any:
    if isinstance(value, FileLink):
        return value.prompt_link
    if isinstance(value, Mapping):
        return {key: _link_to_prompt(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_link_to_prompt(item) for item in value]
    return value


def execute(
    agent: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    attachments: Iterable[Any] | None = None,
    chat_user: Mapping[str, Any] | None = None,
    environment_slug: str | None = None,
    mode: str | None = None,
) -> Call[ExecutionResult]:
    body = execution_body(parameters, session_id, attachments, chat_user, environment_slug, mode)
    return _agent_call(ep.EXECUTE, agent, body)


def execute_revision(
    agent: str,
    revision: str | int,
    *,
    parameters: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    attachments: Iterable[Any] | None = None,
    chat_user: Mapping[str, Any] | None = None,
    environment_slug: str | None = None,
    mode: str | None = None,
) -> Call[ExecutionResult]:
    body = execution_body(parameters, session_id, attachments, chat_user, environment_slug, mode)
    return _call(ep.EXECUTE_REVISION, body, agent=agent, revision=revision)


def stream(
    agent: str,
    revision: str | int | None = None,
    *,
    parameters: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    attachments: Iterable[Any] | None = None,
    chat_user: Mapping[str, Any] | None = None,
    environment_slug: str | None = None,
    mode: str | None = None,
) -> Call[None]:
    body = execution_body(parameters, session_id, attachments, chat_user, environment_slug, mode)
    if revision is None:
        return _agent_call(ep.STREAM, agent, body)
    return _call(ep.STREAM_REVISION, body, agent=agent, revision=revision)


def test(agent: str, request: Mapping[str, Any]) -> Call[ExecutionResult]:
    return _call(ep.TEST, _json(request), agent=agent)


def stream_test(agent: str, request: Mapping[str, Any]) -> Call[None]:
    return _call(ep.STREAM_TEST, _json(request), agent=agent)


def list_agents(
    *, query: str | None = None, tags: Iterable[str] | None = None
) -> Call[ListPage[Agent]]:
    return _call(ep.LIST_AGENTS, query={"query": query, "tags": _list(tags)})


def get_agent(agent: str) -> Call[Agent]:
    return _agent_call(ep.GET_AGENT, agent)


def get_agent_parameters(agent: str, revision: str | int) -> Call[list[str]]:
    return _call(ep.GET_AGENT_PARAMETERS, agent=agent, revision=revision)


def get_agent_parameter_metadata(agent: str, revision: str | int) -> Call[AgentParameters]:
    return _call(ep.GET_AGENT_PARAMETER_METADATA, agent=agent, revision=revision)


def list_integrations(
    *,
    search: str | None = None,
    types: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
    has_configs: bool = False,
    has_triggers: bool = False,
    has_channels: bool = False,
) -> Call[ListPage[Integration]]:
    filters = {
        "search": search,
        "types": _list(types),
        "tags": _list(tags),
        "has_configs": has_configs,
        "has_triggers": has_triggers,
        "has_channels": has_channels,
    }
    return _call(ep.LIST_INTEGRATIONS, query=filters)


def get_integration(integration: str) -> Call[Integration]:
    return _call(ep.GET_INTEGRATION, integration=integration)


def create_integration(body: Mapping[str, Any]) -> Call[Integration]:
    return _call(ep.CREATE_INTEGRATION, _json(body))


def update_integration(integration: str, body: Mapping[str, Any]) -> Call[Integration]:
    return _call(ep.UPDATE_INTEGRATION, _json(body), integration=integration)


def verify_integration(integration: str, body: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return _call(ep.VERIFY_INTEGRATION, _json(body), integration=integration)


def list_tools(
    integration: str, *, types: Iterable[str] | None = None, search: str | None = None
) -> Call[ListPage[Tool]]:
    return _call(
        ep.LIST_TOOLS, query={"types": _list(types), "search": search}, integration=integration
    )


def get_tool(integration: str, tool: str) -> Call[Tool]:
    return _call(ep.GET_TOOL, integration=integration, tool=tool)


def create_tool(integration: str, body: Mapping[str, Any]) -> Call[Tool]:
    return _call(ep.CREATE_TOOL, _json(body), integration=integration)


def update_tool(
    integration: str, tool: str, body: Mapping[str, Any], python: bool = False
) -> Call[Tool]:
    endpoint = ep.UPDATE_PYTHON_TOOL if python else ep.UPDATE_TOOL
    return _call(endpoint, _json(body), integration=integration, tool=tool)


def delete_tool(integration: str, tool: str) -> Call[None]:
    return _call(ep.DELETE_TOOL, integration=integration, tool=tool)


def test_tool(integration: str, body: Mapping[str, Any]) -> Call[dict[str, Any]]:
    return _call(ep.TEST_TOOL, _json(body), integration=integration)


def get_execution_record(agent: str, record_id: str) -> Call[ExecutionRecord]:
    return _call(ep.GET_EXECUTION_RECORD, agent=agent, record_id=record_id)


def get_execution_trace(agent: str, record_id: str) -> Call[dict[str, Any]]:
    return _call(ep.GET_EXECUTION_TRACE, agent=agent, record_id=record_id)


def _list(values: Iterable[Any] | str | int | None) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, (str, int)):
        return [values]
    return list(values)


# -- execution lifecycle ----------------------------------------------------------------


def list_execution_records(
    agent: str,
    *,
    status: str | Iterable[str] | None = None,
    session_id: str | None = None,
    start_time: _dt.datetime | int | str | None = None,
    end_time: _dt.datetime | int | str | None = None,
    revision: int | str | Iterable[int | str] | None = None,
    origin: str | None = None,
    participant_id: str | Iterable[str] | None = None,
    tools: str | Iterable[str] | None = None,
    with_tool_errors: bool = False,
    has_tool_calls: bool = False,
    trigger_type: str | Iterable[str] | None = None,
    trigger_id: str | None = None,
    run_type: str | Iterable[str] | None = None,
    environment: str | None = None,
    min_duration_ms: int | None = None,
    max_duration_ms: int | None = None,
    query: str | None = None,
) -> Call[ListPage[ExecutionRecord]]:
    filters = {
        "status": _list(status),
        "session_id": session_id,
        "start_time": _epoch_ms(start_time),
        "end_time": _epoch_ms(end_time),
        "revision": _list(revision),
        "origin": origin,
        "participant_id": _list(participant_id),
        "tools": _list(tools),
        "with_tool_errors": with_tool_errors,
        "has_tool_calls": has_tool_calls,
        "trigger_type": _list(trigger_type),
        "trigger_id": trigger_id,
        "run_type": _list(run_type),
        "environment": environment,
        "min_duration_ms": min_duration_ms,
        "max_duration_ms": max_duration_ms,
        "query": query.strip() if query else None,
    }
    return _call(ep.LIST_EXECUTION_RECORDS, query=filters, agent=agent)


def get_execution_result(agent: str, record_id: str) -> Call[ExecutionRecordResult]:
    return _call(ep.GET_EXECUTION_RESULT, agent=agent, record_id=record_id)


def get_execution_tree(agent: str, record_id: str) -> Call[ExecutionTree]:
    return _call(ep.GET_EXECUTION_TREE, agent=agent, record_id=record_id)


def _reason(reason: str | None) -> bytes:
    return _json_encoder.encode({} if reason is None else {"reason": reason})


def cancel_run(agent: str, record_id: str, reason: str | None = None) -> Call[bool]:
    return _call(ep.CANCEL_RUN, _reason(reason), agent=agent, record_id=record_id)


def cancel_wait(agent: str, record_id: str, reason: str | None = None) -> Call[None]:
    return _call(ep.CANCEL_WAIT, _reason(reason), agent=agent, record_id=record_id)


# -- human approvals --------------------------------------------------------------------


def list_pending_approvals(
    *, status: str | Iterable[str] | None = "PENDING", agent: str | None = None
) -> Call[ListPage[ApprovalRequest]]:
    return _call(ep.LIST_PENDING_APPROVALS, query={"status": _list(status), "agent": agent})


def approval_id_of(agent: str, approval: str | ApprovalRequest | ExecutionResult) -> str:
    """The approval request id in what the approval methods take as ``approval``.

    An id, an :class:`ApprovalRequest` (of ``agent``), or a paused
    :class:`ExecutionResult` (its ``human_approval_request_id``).
    """
    if isinstance(approval, ApprovalRequest):
        if approval.agent_id and approval.agent_id != agent:
            raise ValueError(
                f"this approval request belongs to agent {approval.agent_id!r}, not {agent!r}"
            )
        return approval.id
    if isinstance(approval, ExecutionResult):
        if not approval.human_approval_request_id:
            raise ValueError(
                "this result is not waiting for an approval (it has no human_approval_request_id)"
            )
        return approval.human_approval_request_id
    return approval


Approval = ApprovalRequest | ExecutionResult | str


def get_approval(agent: str, approval: Approval) -> Call[ApprovalRequest]:
    return _call(ep.GET_APPROVAL, agent=agent, approval=approval_id_of(agent, approval))


def respond_approval(agent: str, approval: Approval, text: str) -> Call[ApprovalRequest]:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    body = _json_encoder.encode({"text": text})
    return _call(ep.RESPOND_APPROVAL, body, agent=agent, approval=approval_id_of(agent, approval))


#: What ``approve()`` answers, and what ``reject()`` starts its answer with.
APPROVE_TEXT = "approve"
REJECT_TEXT = "reject"


def rejection_text(reason: str | None) -> str:
    """``reject``, or ``reject: <reason>``: a rejection, never read as an approval or a reply."""
    reason = (reason or "").strip()
    return f"{REJECT_TEXT}: {reason}" if reason else REJECT_TEXT


def cancel_approval(
    agent: str, approval: Approval, reason: str | None = None
) -> Call[ApprovalRequest]:
    approval_id = approval_id_of(agent, approval)
    return _call(ep.CANCEL_APPROVAL, _reason(reason), agent=agent, approval=approval_id)


# -- files ------------------------------------------------------------------------------


def upload_file(
    file: FileSource,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    temporary: bool = False,
) -> Call[FileLink]:
    body, multipart_type = file_upload_body(file, filename=filename, content_type=content_type)
    call = _call(ep.UPLOAD_FILE, query={"temporary": temporary})
    return msgspec.structs.replace(call, body=body, headers=(("Content-Type", multipart_type),))


def file_id_of(file: str | FileLink) -> str:
    """The file id in a :class:`FileLink`, a prompt link ``<type:id/>`` or a bare id."""
    if isinstance(file, FileLink):
        file_id = file.file_id
    elif isinstance(file, str):
        parsed = parse_prompt_link(file)
        file_id = parsed[1] if parsed is not None else file.strip()
    else:
        raise TypeError(f"file must be a file id, a prompt link or a FileLink, got {file!r}")
    if not file_id:
        raise ValueError("file must name a file: got an empty id")
    return file_id


def download_file(file: str | FileLink) -> Call[tuple[bytes, str]]:
    return _call(ep.DOWNLOAD_FILE, file=file_id_of(file))


def download_file_to(file: str | FileLink) -> Call[None]:
    return _call(ep.DOWNLOAD_FILE_TO, file=file_id_of(file))


# -- raw calls --------------------------------------------------------------------------

#: Methods a retry may repeat after the server may have seen the request.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

_METHOD = re.compile(r"^[A-Z]+$")
_BAD_PATH_CHARACTER = re.compile(r"[\x00-\x20\x7f?#]")


def _raw_path(path: str) -> tuple[str, bool]:
    """``(path, absolute)``: ``/v1/...`` starts at the base URL, anything else at the tenant."""
    if not isinstance(path, str) or not path.strip("/"):
        raise ValueError(f"path must name an API route, got {path!r}")
    if "://" in path or path.startswith("//"):
        raise ValueError(f"path must be a path on the API, not a URL: {path!r}")
    if _BAD_PATH_CHARACTER.search(path):
        raise ValueError(
            f"path {path!r} has a space, a control character, '?' or '#': put query "
            "parameters in params= and encode ids with quote_segment()"
        )
    if any(segment in (".", "..") for segment in path.split("/")):
        raise ValueError(f"path must not contain '.' or '..' segments: {path!r}")
    absolute = path.startswith("/v1/")
    return (path if absolute else "/" + path.lstrip("/")), absolute


def _raw_query(params: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """``None`` values are left out, booleans are ``true``/``false``, lists repeat the key."""
    pairs: list[tuple[str, str]] = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, (list, tuple, set, frozenset)) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                pairs.append((key, "true" if item else "false"))
            elif isinstance(item, (_dt.datetime, _dt.date)):
                pairs.append((key, item.isoformat()))
            else:
                pairs.append((key, str(item)))
    return tuple(pairs)


def _json_or_none(body: bytes) -> Any:
    return decode_json(body) if body.strip() else None


def _whole_response(response: Response) -> Response:
    return response


def _raw_call(
    name: str,
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    json: Any,
    headers: Mapping[str, str] | None,
    *,
    streaming: bool = False,
    whole_response: bool = False,
) -> Call[Any]:
    verb = method.upper() if isinstance(method, str) else ""
    if not _METHOD.match(verb):
        raise ValueError(f"method must be an HTTP method such as 'GET', got {method!r}")
    route, absolute = _raw_path(path)
    endpoint: Endpoint[Any] = Endpoint(
        name,
        verb,
        route,
        _nothing if streaming else _json_or_none,
        streaming=streaming,
        idempotent=verb in IDEMPOTENT_METHODS,
        decode_response=_whole_response if whole_response else None,
        ends_with_done=False,
    )
    body = None if json is None else _json_encoder.encode(json)
    return Call(
        endpoint,
        route,
        _raw_query(params),
        body,
        None,
        tuple((headers or {}).items()),
        absolute,
    )


def _nothing(body: bytes) -> None:
    return None


def request(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Call[Any]:
    return _raw_call("request", method, path, params, json, headers)


def request_raw(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Call[Response]:
    return _raw_call("request_raw", method, path, params, json, headers, whole_response=True)


def request_stream(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Call[None]:
    return _raw_call("request_stream", method, path, params, json, headers, streaming=True)


class PageWalker(Generic[T]):
    """The paging algorithm, without I/O: ask :meth:`next_call`, send it, :meth:`accept` the page.

    Stops at an empty/missing token, at an empty page, and -- defending against a
    known server bug -- when a token repeats (that page is not appended twice).
    """

    def __init__(
        self, call: Call[ListPage[T]], *, all_pages: bool = True, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        if not call.endpoint.paged:
            raise TypeError(f"{call.endpoint.name} does not return pages")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
        self._call = call
        self._all_pages = all_pages
        self._page_size = page_size
        self._seen_tokens: set[str] = set()
        self._next: str | None = None
        self._started = False
        self._done = False

    def next_call(self) -> Call[ListPage[T]] | None:
        """The request for the next page, or ``None`` when the list is complete."""
        if self._done:
            return None
        if not self._started:
            self._started = True
            return self._call.with_page(None, self._page_size)
        return self._call.with_page(self._next, self._page_size)

    def accept(self, page: ListPage[T]) -> list[T]:
        """Record a page; returns the items to hand to the caller."""
        requested = self._next
        token = page.next_page_token or None
        if requested is not None and token == requested:
            self._done = True
            return []
        if not self._all_pages or not token or not page.items or token in self._seen_tokens:
            self._done = True
        else:
            self._seen_tokens.add(token)
            self._next = token
        return list(page.items)
