"""``FruxonClient``: the synchronous Fruxon client on requests.

Every operation is defined once in :mod:`fruxon_core.operations`; each method
here is a one-line delegation. What this module adds is the waiting: sending
over a pooled ``requests.Session`` and sleeping between retries.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import version
from types import TracebackType
from typing import Any, Literal, TypeVar

import requests

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

from .streaming import EventStream, TextStream
from .transport import RequestsTransport, StreamingResponse

__all__ = ["FruxonClient"]

T = TypeVar("T")
_NOT_GIVEN: Any = ...


class FruxonClient:
    """Run Fruxon agents and manage integrations and tools from synchronous code.

    ``timeout`` is either one number of seconds (connect is capped at 10 s) or a
    :class:`~fruxon_core.http.Timeout` with connect, read, stream-idle and total
    parts. Pass ``session=`` to reuse your own ``requests.Session`` (proxies,
    certificates, adapters); the client then never closes it.

    Create one client per process and share it: it is safe to use from many
    threads at once (one connection pool, no per-call session state) and
    across ``fork()`` (a child opens its own connections). See
    :class:`~fruxon_requests.transport.RequestsTransport` for why.
    """

    def __init__(
        self,
        api_key: str | None,
        org: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout | float | None = 120.0,
        *,
        max_retries: int = 2,
        session: requests.Session | None = None,
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
            transport="requests",
            transport_version=version("requests"),
            is_async=False,
        )
        self._owns_session = session is None
        self._transport = RequestsTransport(session)

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close pooled connections (a session passed in by the caller is left open)."""
        if self._owns_session:
            self._transport.close()

    def __enter__(self) -> FruxonClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        config = self._pipeline.config
        return f"FruxonClient(org={config.org!r}, base_url={config.base_url!r})"

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = _NOT_GIVEN,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FruxonClient:
        """A client for per-call settings, sharing this one's connections and plugins::

        client.with_options(max_retries=5, timeout=30).execute("support-agent", ...)
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

    # -- execution ----------------------------------------------------------------------

    def execute(
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
        return self._run(
            ops.execute(
                agent,
                parameters=parameters,
                session_id=session_id,
                attachments=attachments,
                chat_user=chat_user,
                environment_slug=environment_slug,
                mode=mode,
            )
        )

    def execute_revision(
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
        return self._run(
            ops.execute_revision(
                agent,
                revision,
                parameters=parameters,
                session_id=session_id,
                attachments=attachments,
                chat_user=chat_user,
                environment_slug=environment_slug,
                mode=mode,
            )
        )

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
    ) -> EventStream:
        """Run ``agent`` and iterate its events as they arrive (also a context manager)."""
        return self._stream(
            ops.stream(
                agent,
                revision,
                parameters=parameters,
                session_id=session_id,
                attachments=attachments,
                chat_user=chat_user,
                environment_slug=environment_slug,
                mode=mode,
            )
        )

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
    ) -> TextStream:
        """Like :meth:`stream`, yielding only the text chunks; raises on an ``error`` event."""
        return self.stream(
            agent,
            parameters=parameters,
            session_id=session_id,
            attachments=attachments,
            chat_user=chat_user,
            environment_slug=environment_slug,
            mode=mode,
            revision=revision,
        ).text()

    def test(self, agent: str, request: Mapping[str, Any]) -> ExecutionResult:
        """Run a draft flow (an AgentTestRequest, posted verbatim) without publishing it."""
        return self._run(ops.test(agent, request))

    def stream_test(self, agent: str, request: Mapping[str, Any]) -> EventStream:
        """Stream a draft flow's run, like :meth:`stream`."""
        return self._stream(ops.stream_test(agent, request))

    # -- agents -------------------------------------------------------------------------

    def list_agents(
        self, *, query: str | None = None, tags: Iterable[str] | None = None, all_pages: bool = True
    ) -> list[Agent]:
        """Every agent of the organization (all pages unless ``all_pages=False``)."""
        return list(self._paginate(ops.list_agents(query=query, tags=tags), all_pages))

    def iter_agents(
        self, *, query: str | None = None, tags: Iterable[str] | None = None
    ) -> Iterator[Agent]:
        """Agents, fetching pages lazily as you iterate."""
        return self._paginate(ops.list_agents(query=query, tags=tags))

    def get_agent(self, agent: str) -> Agent:
        return self._run(ops.get_agent(agent))

    def get_agent_parameters(self, agent: str, *, revision: str | int) -> list[str]:
        """Names of the entry-point parameters of a revision."""
        return self._run(ops.get_agent_parameters(agent, revision))

    def get_agent_parameter_metadata(self, agent: str, *, revision: str | int) -> AgentParameters:
        """The parameters of a revision with their schema: type, required, default, ..."""
        return self._run(ops.get_agent_parameter_metadata(agent, revision))

    # -- integrations and tools ----------------------------------------------------------

    def list_integrations(
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
        return list(
            self._paginate(
                ops.list_integrations(
                    search=search,
                    types=types,
                    tags=tags,
                    has_configs=has_configs,
                    has_triggers=has_triggers,
                    has_channels=has_channels,
                ),
                all_pages,
            )
        )

    def iter_integrations(
        self,
        *,
        search: str | None = None,
        types: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        has_configs: bool = False,
        has_triggers: bool = False,
        has_channels: bool = False,
    ) -> Iterator[Integration]:
        return self._paginate(
            ops.list_integrations(
                search=search,
                types=types,
                tags=tags,
                has_configs=has_configs,
                has_triggers=has_triggers,
                has_channels=has_channels,
            )
        )

    def get_integration(self, integration: str) -> Integration:
        return self._run(ops.get_integration(integration))

    def create_integration(self, body: Mapping[str, Any]) -> Integration:
        return self._run(ops.create_integration(body))

    def update_integration(self, integration: str, body: Mapping[str, Any]) -> Integration:
        return self._run(ops.update_integration(integration, body))

    def verify_integration(self, integration: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Check credentials; a failed check is a result (``success: false``), not an error."""
        return self._run(ops.verify_integration(integration, body))

    def list_tools(
        self,
        integration: str,
        *,
        types: Iterable[str] | None = None,
        search: str | None = None,
        all_pages: bool = True,
    ) -> list[Tool]:
        return list(
            self._paginate(ops.list_tools(integration, types=types, search=search), all_pages)
        )

    def iter_tools(
        self, integration: str, *, types: Iterable[str] | None = None, search: str | None = None
    ) -> Iterator[Tool]:
        return self._paginate(ops.list_tools(integration, types=types, search=search))

    def get_tool(self, integration: str, tool: str) -> Tool:
        return self._run(ops.get_tool(integration, tool))

    def create_tool(self, integration: str, body: Mapping[str, Any]) -> Tool:
        return self._run(ops.create_tool(integration, body))

    def update_tool(
        self, integration: str, tool: str, body: Mapping[str, Any], python: bool = False
    ) -> Tool:
        """Replace a tool; ``python=True`` targets Python-script tools (``:python``)."""
        return self._run(ops.update_tool(integration, tool, body, python))

    def delete_tool(self, integration: str, tool: str) -> None:
        self._run(ops.delete_tool(integration, tool))

    def test_tool(self, integration: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Test-run a tool definition; returns the raw ``{"response": ...}``."""
        return self._run(ops.test_tool(integration, body))

    # -- past executions -----------------------------------------------------------------

    def get_execution_record(self, agent: str, record_id: str) -> ExecutionRecord:
        return self._run(ops.get_execution_record(agent, record_id))

    def get_execution_trace(self, agent: str, record_id: str) -> dict[str, Any]:
        """The full step-by-step trace as a raw dict."""
        return self._run(ops.get_execution_trace(agent, record_id))

    # -- the loop every call goes through -----------------------------------------------

    def _runner(self, call: Call[T]) -> CallRunner[T]:
        return self._pipeline.runner(call)

    def _run(self, call: Call[T]) -> T:
        runner = self._runner(call)
        while True:
            request = runner.prepare()
            try:
                return runner.finish(self._transport.send(request))
            except FruxonError as error:
                time.sleep(runner.retry_delay(error))

    def _stream(self, call: Call[None]) -> EventStream:
        runner = self._runner(call)
        return EventStream(runner, lambda: self._open_stream(runner))

    def _open_stream(self, runner: CallRunner[None]) -> tuple[StreamingResponse, StreamProgress]:
        while True:
            request = runner.prepare()
            try:
                response = self._transport.open_stream(request)
                try:
                    ok = 200 <= response.status < 300
                    runner.check_status(response.head() if ok else response.read_all())
                except BaseException:
                    response.close()
                    raise
                return response, StreamProgress(runner)
            except FruxonError as error:
                time.sleep(runner.retry_delay(error))

    def _paginate(self, call: Call[ListPage[T]], all_pages: bool = True) -> Iterator[T]:
        walker = PageWalker(call, all_pages=all_pages)
        while (page_call := walker.next_call()) is not None:
            yield from walker.accept(self._run(page_call))
