"""Every SDK operation, defined once: a method call in, a :class:`Call` out.

Both clients delegate here in one line per method, so the sync and the async
client cannot disagree about a path, a body or a query parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import msgspec

from . import endpoints as ep
from .endpoints import Endpoint, render_path
from .models import (
    Agent,
    AgentParameters,
    ExecutionRecord,
    ExecutionRequest,
    ExecutionResult,
    Integration,
    ListPage,
    Tool,
)

__all__ = ["DEFAULT_PAGE_SIZE", "Call", "PageWalker", "encode_query"]

T = TypeVar("T")

#: Page size sent by list operations (the server's maximum) to cut round-trips.
DEFAULT_PAGE_SIZE = 100

_json_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation with its arguments bound: what to send and how to read the answer."""

    endpoint: Endpoint[T]
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    agent_id: str | None = None
    """The ``{agent}`` path parameter as given, for operations about one agent."""

    def decode(self, body: bytes) -> T:
        return self.endpoint.decode(body)

    def with_page(self, token: str | None, page_size: int) -> Call[T]:
        """The same call asking for a given page (filters are repeated on every page)."""
        query = [(k, v) for k, v in self.query if k not in ("pageToken", "pageSize")]
        query.append(("pageSize", str(page_size)))
        if token:
            query.append(("pageToken", token))
        return replace(self, query=tuple(query))


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
        render_path(endpoint.path, path),
        encode_query(endpoint.query, query) if query else (),
        body,
        None if agent is None else str(agent),
    )


def execution_body(
    parameters: Mapping[str, Any] | None = None,
    session_id: str | None = None,
    attachments: Iterable[Any] | None = None,
    chat_user: Mapping[str, Any] | None = None,
    environment_slug: str | None = None,
    mode: str | None = None,
) -> bytes:
    """The ExecutionRequest JSON; arguments left ``None`` are omitted."""
    request = ExecutionRequest(
        parameters=dict(parameters) if parameters is not None else None,
        session_id=session_id,
        attachments=list(attachments) if attachments is not None else None,
        chat_user=dict(chat_user) if chat_user is not None else None,
        environment_slug=environment_slug,
        mode=mode,
    )
    return _json_encoder.encode(request)


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
    return _call(ep.EXECUTE, body, agent=agent)


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
        return _call(ep.STREAM, body, agent=agent)
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
    return _call(ep.GET_AGENT, agent=agent)


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


def _list(values: Iterable[str] | str | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


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
