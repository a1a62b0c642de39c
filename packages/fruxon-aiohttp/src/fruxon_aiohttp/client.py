"""``AsyncFruxonClient``: the asyncio Fruxon client on aiohttp.

Every operation is defined once in :mod:`fruxon_core.operations`; each method
here is a one-line delegation, with the same name and parameters as
:class:`fruxon_requests.FruxonClient` (a test keeps the two in step). What
this module adds is the waiting: sending over a pooled ``aiohttp.ClientSession``
and ``asyncio.sleep`` between retries.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterable, Mapping
from importlib.metadata import version
from types import TracebackType
from typing import Any, Literal, TypeVar

import aiohttp

from fruxon_core import operations as ops
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
from fruxon_core.pipeline import CallRunner, StreamProgress
from fruxon_core.plugins import RetryPolicy

from .streaming import AsyncEventStream, AsyncTextStream
from .transport import AiohttpTransport, StreamingResponse

__all__ = ["AsyncFruxonClient"]

T = TypeVar("T")
_NOT_GIVEN: Any = ...


class AsyncFruxonClient:
    """Run Fruxon agents and manage integrations and tools from asyncio code.

    The arguments are :class:`~fruxon_requests.FruxonClient`'s. The aiohttp
    session is created on first use, inside the running loop, so the client
    itself can be built anywhere; it pools up to ``connector_limit``
    connections (``0`` = unlimited) and is closed by ``await client.close()``
    or ``async with``. A session passed as ``session=`` is used as-is and
    never closed by the client. One client belongs to one event loop.
    """

    def __init__(
        self,
        api_key: str | None,
        org: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = 120.0,
        *,
        max_retries: int = 2,
        session: aiohttp.ClientSession | None = None,
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
            transport="aiohttp",
            transport_version=version("aiohttp"),
            is_async=True,
        )
        self._owns_session = session is None
        self._transport = AiohttpTransport(session, connector_limit=connector_limit)

    # -- lifecycle ----------------------------------------------------------------------

    async def close(self) -> None:
        """Close pooled connections (a session passed in by the caller is left open)."""
        if self._owns_session:
            await self._transport.close()

    async def __aenter__(self) -> AsyncFruxonClient:
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
        return f"AsyncFruxonClient(org={config.org!r}, base_url={config.base_url!r})"

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncFruxonClient:
        """A client for per-call settings, sharing this one's session and plugins::

        await client.with_options(max_retries=5, timeout=30).execute("support-agent", ...)
        """
        clone = copy.copy(self)
        clone._pipeline = self._pipeline.with_config(
            self._pipeline.config.with_options(
                timeout=timeout, max_retries=max_retries, headers=headers
            )
        )
        clone._owns_session = False
        return clone

    @property
    def plugin_manager(self) -> Any:
        """This client's own pluggy ``PluginManager``."""
        return self._pipeline.plugin_manager

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session in use (``None`` until the first request creates it)."""
        return self._transport.session

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
        return await self._run(ops.execute(
            agent, parameters=parameters, session_id=session_id, attachments=attachments,
            chat_user=chat_user, environment_slug=environment_slug, mode=mode))  # fmt: skip

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
        return await self._run(ops.execute_revision(
            agent, revision, parameters=parameters, session_id=session_id,
            attachments=attachments, chat_user=chat_user, environment_slug=environment_slug,
            mode=mode))  # fmt: skip

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
        """Run ``agent`` and iterate its events as they arrive (``async for`` / ``async with``)."""
        return self._stream(ops.stream(
            agent, revision, parameters=parameters, session_id=session_id,
            attachments=attachments, chat_user=chat_user, environment_slug=environment_slug,
            mode=mode))  # fmt: skip

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
        return self.stream(
            agent, parameters=parameters, session_id=session_id, attachments=attachments,
            chat_user=chat_user, environment_slug=environment_slug, mode=mode,
            revision=revision).text()  # fmt: skip

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
        """Agents, fetching pages lazily as you ``async for`` over them."""
        return self._paginate(ops.list_agents(query=query, tags=tags))

    async def get_agent(self, agent: str) -> Agent:
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
        return await self._collect(ops.list_integrations(
            search=search, types=types, tags=tags, has_configs=has_configs,
            has_triggers=has_triggers, has_channels=has_channels), all_pages)  # fmt: skip

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
        return self._paginate(ops.list_integrations(
            search=search, types=types, tags=tags, has_configs=has_configs,
            has_triggers=has_triggers, has_channels=has_channels))  # fmt: skip

    async def get_integration(self, integration: str) -> Integration:
        return await self._run(ops.get_integration(integration))

    async def create_integration(self, body: Mapping[str, Any]) -> Integration:
        return await self._run(ops.create_integration(body))

    async def update_integration(self, integration: str, body: Mapping[str, Any]) -> Integration:
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
        return await self._collect(
            ops.list_tools(integration, types=types, search=search), all_pages
        )

    def iter_tools(
        self, integration: str, *, types: Iterable[str] | None = None, search: str | None = None
    ) -> AsyncIterator[Tool]:
        return self._paginate(ops.list_tools(integration, types=types, search=search))

    async def get_tool(self, integration: str, tool: str) -> Tool:
        return await self._run(ops.get_tool(integration, tool))

    async def create_tool(self, integration: str, body: Mapping[str, Any]) -> Tool:
        return await self._run(ops.create_tool(integration, body))

    async def update_tool(
        self, integration: str, tool: str, body: Mapping[str, Any], python: bool = False
    ) -> Tool:
        """Replace a tool; ``python=True`` targets Python-script tools (``:python``)."""
        return await self._run(ops.update_tool(integration, tool, body, python))

    async def delete_tool(self, integration: str, tool: str) -> None:
        await self._run(ops.delete_tool(integration, tool))

    async def test_tool(self, integration: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Test-run a tool definition; returns the raw ``{"response": ...}``."""
        return await self._run(ops.test_tool(integration, body))

    # -- past executions -----------------------------------------------------------------

    async def get_execution_record(self, agent: str, record_id: str) -> ExecutionRecord:
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
                await asyncio.sleep(runner.retry_delay(error))

    def _stream(self, call: Call[None]) -> AsyncEventStream:
        runner = self._pipeline.runner(call)
        return AsyncEventStream(runner, lambda: self._open_stream(runner))

    async def _open_stream(
        self, runner: CallRunner[None]
    ) -> tuple[StreamingResponse, StreamProgress]:
        transport = self._transport
        transport.check_usable()
        while True:
            request = await runner.prepare_async()
            try:
                response = await transport.open_stream(request, runner.remaining())
                try:
                    ok = 200 <= response.status < 300
                    runner.check_status(response.head() if ok else await response.read_all())
                except BaseException:
                    response.close()
                    raise
                return response, StreamProgress(runner)
            except FruxonError as error:
                await asyncio.sleep(runner.retry_delay(error))

    async def _collect(self, call: Call[ListPage[T]], all_pages: bool) -> list[T]:
        return [item async for item in self._paginate(call, all_pages)]

    async def _paginate(self, call: Call[ListPage[T]], all_pages: bool = True) -> AsyncIterator[T]:
        walker = PageWalker(call, all_pages=all_pages)
        while (page_call := walker.next_call()) is not None:
            for item in walker.accept(await self._run(page_call)):
                yield item
