"""The Fruxon client, written once: every public operation, the call loop, paging, lifecycle.

Each method binds its arguments into a :class:`~fruxon_core.operations.Call`
(the wire shape lives in :mod:`fruxon_core.operations` and
:mod:`fruxon_core.endpoints`), then drives it with the loop below over an
:class:`~fruxon_core._async.transport.AsyncTransport`. A transport package
subclasses :class:`AsyncClientBase` to say which transport to build; the
synchronous ``ClientBase`` is generated from this file by
``scripts/unasync.py``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from fruxon_core import operations as ops
from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream
from fruxon_core._async.transport import AsyncTransport
from fruxon_core.client_setup import AuthOption, build_pipeline
from fruxon_core.config import DEFAULT_BASE_URL
from fruxon_core.exceptions import FruxonError
from fruxon_core.http import Timeout
from fruxon_core.models import (
    Agent,
    AgentParameters,
    ExecutionRecord,
    ExecutionResult,
    Integration,
    ListPage,
    Tool,
)
from fruxon_core.operations import Call, PageWalker
from fruxon_core.plugins import RetryPolicy

__all__ = ["AsyncClientBase"]

T = TypeVar("T")
SessionT = TypeVar("SessionT")
Self = TypeVar("Self", bound="AsyncClientBase[Any]")

#: Whether this module's clients await (the generated twin says ``False``).
IS_ASYNC = True

_NOT_GIVEN: Any = ...


class AsyncClientBase(Generic[SessionT]):
    """Run Fruxon agents and manage integrations and tools.

    ``timeout`` is one number of seconds (connect is capped at 10 s) or a
    :class:`~fruxon_core.http.Timeout` with connect, read, stream-idle and
    total parts. ``session=`` reuses your own HTTP session (proxies,
    certificates, adapters): the client never closes it. Without one, the
    client pools up to ``connector_limit`` connections of its own (``0`` = as
    many as the library allows) and closes them on ``close()`` or when its
    ``with`` block ends.
    """

    def __init__(
        self,
        api_key: str | None,
        org: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = 120.0,
        *,
        max_retries: int = 2,
        session: SessionT | None = None,
        connector_limit: int = 100,
        plugins: Iterable[object] = (),
        disable_plugins: Iterable[str] = (),
        load_entrypoints: bool = True,
        default_headers: Mapping[str, str] | None = None,
        auth_scheme: Literal["x-api-key", "bearer"] = "x-api-key",
        log_headers: bool = False,
        auth: AuthOption | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        transport = self._create_transport(session, connector_limit)
        self._pipeline = build_pipeline(
            api_key=api_key,
            org=org,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            auth_scheme=auth_scheme,
            auth=auth,
            retry=retry,
            plugins=plugins,
            disable_plugins=disable_plugins,
            load_entrypoints=load_entrypoints,
            log_headers=log_headers,
            transport=transport.name,
            transport_version=transport.version,
            is_async=IS_ASYNC,
        )
        self._transport = transport
        self._closes_transport = session is None

    def _create_transport(self, session: SessionT | None, connector_limit: int) -> AsyncTransport:
        """The transport this client sends with (each transport package's subclass says)."""
        raise NotImplementedError

    # -- lifecycle ----------------------------------------------------------------------

    async def close(self) -> None:
        """Close pooled connections (a session passed in by the caller is left open)."""
        if self._closes_transport:
            await self._transport.aclose()

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        config = self._pipeline.config
        return f"{type(self).__name__}(org={config.org!r}, base_url={config.base_url!r})"

    def with_options(
        self: Self,
        *,
        timeout: Timeout | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Self:
        """A client for per-call settings, sharing this one's connections and plugins::

        await client.with_options(max_retries=5, timeout=30).execute("support-agent")
        """
        clone = copy.copy(self)
        clone._pipeline = self._pipeline.with_config(
            self._pipeline.config.with_options(
                timeout=timeout, max_retries=max_retries, headers=headers
            )
        )
        clone._closes_transport = False
        return clone

    @property
    def plugin_manager(self) -> Any:
        """This client's own pluggy ``PluginManager``."""
        return self._pipeline.plugin_manager

    @property
    def session(self) -> SessionT | None:
        """The HTTP session in use (``None`` until the first request creates it)."""
        session: SessionT | None = self._transport.session
        return session

    # -- execution ----------------------------------------------------------------------

    async def execute(
        self,
        agent: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        attachments: Iterable[Any] | None = None,
        chat_user: Mapping[str, Any] | None = None,
        environment_slug: str | None = None,
        mode: str | None = None,
    ) -> ExecutionResult:
        """Run the deployed revision of ``agent`` and wait for its result."""
        call = ops.execute(
            agent,
            parameters=parameters,
            session_id=session_id,
            attachments=attachments,
            chat_user=chat_user,
            environment_slug=environment_slug,
            mode=mode,
        )
        return await self._run(call)

    async def execute_revision(
        self,
        agent: str,
        *,
        revision: str | int,
        parameters: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        attachments: Iterable[Any] | None = None,
        chat_user: Mapping[str, Any] | None = None,
        environment_slug: str | None = None,
        mode: str | None = None,
    ) -> ExecutionResult:
        """Run a pinned revision of ``agent`` (A/B tests, replaying old traffic)."""
        call = ops.execute_revision(
            agent,
            revision,
            parameters=parameters,
            session_id=session_id,
            attachments=attachments,
            chat_user=chat_user,
            environment_slug=environment_slug,
            mode=mode,
        )
        return await self._run(call)

    def stream(
        self,
        agent: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        attachments: Iterable[Any] | None = None,
        chat_user: Mapping[str, Any] | None = None,
        environment_slug: str | None = None,
        mode: str | None = None,
        revision: str | int | None = None,
    ) -> AsyncEventStream:
        """Run ``agent`` and iterate its events as they arrive (also a context manager).

        Nothing is sent until the first event is asked for (or the ``with``
        block is entered).
        """
        call = ops.stream(
            agent,
            revision,
            parameters=parameters,
            session_id=session_id,
            attachments=attachments,
            chat_user=chat_user,
            environment_slug=environment_slug,
            mode=mode,
        )
        return self._stream(call)

    def stream_text(
        self,
        agent: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        attachments: Iterable[Any] | None = None,
        chat_user: Mapping[str, Any] | None = None,
        environment_slug: str | None = None,
        mode: str | None = None,
        revision: str | int | None = None,
    ) -> AsyncTextStream:
        """Like :meth:`stream`, yielding only the text chunks; raises on an ``error`` event."""
        call = ops.stream(
            agent,
            revision,
            parameters=parameters,
            session_id=session_id,
            attachments=attachments,
            chat_user=chat_user,
            environment_slug=environment_slug,
            mode=mode,
        )
        return self._stream(call).text()

    async def test(self, agent: str, request: Mapping[str, Any]) -> ExecutionResult:
        """Run a draft flow (an AgentTestRequest, posted verbatim) without publishing it."""
        return await self._run(ops.test(agent, request))

    def stream_test(self, agent: str, request: Mapping[str, Any]) -> AsyncEventStream:
        """Stream a draft flow's run, like :meth:`stream`."""
        return self._stream(ops.stream_test(agent, request))

    # -- agents -------------------------------------------------------------------------

    async def list_agents(
        self, *, query: str | None = None, tags: Iterable[str] | None = None, all_pages: bool = True
    ) -> list[Agent]:
        """Every agent of the organization (all pages unless ``all_pages=False``)."""
        return await self._collect(ops.list_agents(query=query, tags=tags), all_pages)

    def iter_agents(
        self, *, query: str | None = None, tags: Iterable[str] | None = None
    ) -> AsyncIterator[Agent]:
        """Agents, fetching pages lazily as you iterate."""
        return self._paginate(ops.list_agents(query=query, tags=tags))

    async def get_agent(self, agent: str) -> Agent:
        """One agent by id."""
        return await self._run(ops.get_agent(agent))

    async def get_agent_parameters(self, agent: str, *, revision: str | int) -> list[str]:
        """Names of the entry-point parameters of a revision."""
        return await self._run(ops.get_agent_parameters(agent, revision))

    async def get_agent_parameter_metadata(
        self, agent: str, *, revision: str | int
    ) -> AgentParameters:
        """The parameters of a revision with their schema: type, required, default, ..."""
        return await self._run(ops.get_agent_parameter_metadata(agent, revision))

    # -- integrations and tools ----------------------------------------------------------

    async def list_integrations(
        self,
        *,
        search: str | None = None,
        types: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        has_configs: bool = False,
        has_triggers: bool = False,
        has_channels: bool = False,
        all_pages: bool = True,
    ) -> list[Integration]:
        """The organization's integrations, filtered (all pages unless ``all_pages=False``)."""
        call = ops.list_integrations(
            search=search,
            types=types,
            tags=tags,
            has_configs=has_configs,
            has_triggers=has_triggers,
            has_channels=has_channels,
        )
        return await self._collect(call, all_pages)

    def iter_integrations(
        self,
        *,
        search: str | None = None,
        types: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        has_configs: bool = False,
        has_triggers: bool = False,
        has_channels: bool = False,
    ) -> AsyncIterator[Integration]:
        """Integrations, fetching pages lazily as you iterate."""
        call = ops.list_integrations(
            search=search,
            types=types,
            tags=tags,
            has_configs=has_configs,
            has_triggers=has_triggers,
            has_channels=has_channels,
        )
        return self._paginate(call)

    async def get_integration(self, integration: str) -> Integration:
        """One integration by id."""
        return await self._run(ops.get_integration(integration))

    async def create_integration(self, body: Mapping[str, Any]) -> Integration:
        """Create an integration from its JSON definition."""
        return await self._run(ops.create_integration(body))

    async def update_integration(self, integration: str, body: Mapping[str, Any]) -> Integration:
        """Replace an integration's definition."""
        return await self._run(ops.update_integration(integration, body))

    async def verify_integration(self, integration: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Check credentials; a failed check is a result (``success: false``), not an error."""
        return await self._run(ops.verify_integration(integration, body))

    async def list_tools(
        self,
        integration: str,
        *,
        types: Iterable[str] | None = None,
        search: str | None = None,
        all_pages: bool = True,
    ) -> list[Tool]:
        """The tools of an integration, filtered (all pages unless ``all_pages=False``)."""
        call = ops.list_tools(integration, types=types, search=search)
        return await self._collect(call, all_pages)

    def iter_tools(
        self, integration: str, *, types: Iterable[str] | None = None, search: str | None = None
    ) -> AsyncIterator[Tool]:
        """Tools of an integration, fetching pages lazily as you iterate."""
        return self._paginate(ops.list_tools(integration, types=types, search=search))

    async def get_tool(self, integration: str, tool: str) -> Tool:
        """One tool of an integration."""
        return await self._run(ops.get_tool(integration, tool))

    async def create_tool(self, integration: str, body: Mapping[str, Any]) -> Tool:
        """Add a tool to an integration."""
        return await self._run(ops.create_tool(integration, body))

    async def update_tool(
        self, integration: str, tool: str, body: Mapping[str, Any], python: bool = False
    ) -> Tool:
        """Replace a tool; ``python=True`` targets Python-script tools (``:python``)."""
        return await self._run(ops.update_tool(integration, tool, body, python))

    async def delete_tool(self, integration: str, tool: str) -> None:
        """Delete a tool."""
        await self._run(ops.delete_tool(integration, tool))

    async def test_tool(self, integration: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Test-run a tool definition; returns the raw ``{"response": ...}``."""
        return await self._run(ops.test_tool(integration, body))

    # -- past executions -----------------------------------------------------------------

    async def get_execution_record(self, agent: str, record_id: str) -> ExecutionRecord:
        """The record of one run: status, timings, cost."""
        return await self._run(ops.get_execution_record(agent, record_id))

    async def get_execution_trace(self, agent: str, record_id: str) -> dict[str, Any]:
        """The full step-by-step trace as a raw dict."""
        return await self._run(ops.get_execution_trace(agent, record_id))

    # -- the loop every call goes through -----------------------------------------------

    async def _run(self, call: Call[T]) -> T:
        transport = self._transport
        transport.check_usable()
        runner = self._pipeline.runner(call)
        while True:
            request = await runner.prepare_async()
            try:
                return runner.finish(await transport.send(request, runner.remaining()))
            except FruxonError as error:
                await transport.sleep(runner.retry_delay(error))

    def _stream(self, call: Call[None]) -> AsyncEventStream:
        return AsyncEventStream(self._pipeline.runner(call), self._transport)

    async def _collect(self, call: Call[ListPage[T]], all_pages: bool) -> list[T]:
        return [item async for item in self._paginate(call, all_pages)]

    async def _paginate(self, call: Call[ListPage[T]], all_pages: bool = True) -> AsyncIterator[T]:
        walker = PageWalker(call, all_pages=all_pages)
        while (page_call := walker.next_call()) is not None:
            for item in walker.accept(await self._run(page_call)):
                yield item
