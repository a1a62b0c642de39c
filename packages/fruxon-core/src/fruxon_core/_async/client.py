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
import dataclasses
import datetime
from collections.abc import AsyncIterator, Iterable, Mapping
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar

from fruxon_core import operations as ops
from fruxon_core._async.streaming import AsyncEventStream, AsyncTextStream
from fruxon_core._async.transport import AsyncStreamResponse, AsyncTransport
from fruxon_core.client_setup import AuthOption, build_pipeline, resolve_identity
from fruxon_core.config import DEFAULT_BASE_URL
from fruxon_core.downloads import Destination, FileSink
from fruxon_core.exceptions import FruxonConnectionError, FruxonError, FruxonTimeoutError
from fruxon_core.http import Response, Timeout
from fruxon_core.models import (
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
from fruxon_core.multipart import FileSource
from fruxon_core.operations import DEFAULT_PAGE_SIZE, Call, PageWalker
from fruxon_core.pipeline import CallRunner, Pipeline
from fruxon_core.plugins import RetryPolicy
from fruxon_core.tls import TLSSettings
from fruxon_core.waiting import RunWaiter

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
    ``with`` block ends. ``token=`` and ``workspace=`` are the official 2.0.2
    client's names for ``api_key`` and ``org``; ``actor=`` is sent as
    ``X-Fruxon-Actor``. ``FRUXON_CA_BUNDLE`` and ``FRUXON_INSECURE`` apply to
    the connections the client makes itself (:mod:`fruxon_core.tls`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        org: str | None = None,
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
        token: str | None = None,
        workspace: str | None = None,
        actor: str | None = None,
    ) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        api_key, org = resolve_identity(api_key, org, token, workspace)
        tls = TLSSettings.from_environment() if session is None else TLSSettings()
        transport = self._create_transport(session, connector_limit, tls)
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
            actor=actor,
            transport=transport.name,
            transport_version=transport.version,
            is_async=IS_ASYNC,
        )
        self._transport = transport
        self._closes_transport = session is None

    def _create_transport(
        self, session: SessionT | None, connector_limit: int, tls: TLSSettings
    ) -> AsyncTransport:
        """The transport this client sends with (each transport package's subclass says).

        ``tls`` holds what ``FRUXON_CA_BUNDLE`` / ``FRUXON_INSECURE`` ask for
        (the default settings when ``session`` is given).
        """
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
        block is entered). ``revision=`` streams a pinned revision through
        ``…/revisions/{revision}:stream``, a route not confirmed against the
        live API (``execute_revision`` is).
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

    async def list_execution_records(
        self,
        agent: str,
        *,
        status: str | Iterable[str] | None = None,
        session_id: str | None = None,
        start_time: datetime.datetime | int | str | None = None,
        end_time: datetime.datetime | int | str | None = None,
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
        page_size: int = 50,
        all_pages: bool = False,
    ) -> list[ExecutionRecord]:
        """The agent's runs, newest first: one page of ``page_size`` unless ``all_pages=True``."""
        call = ops.list_execution_records(
            agent,
            status=status,
            session_id=session_id,
            start_time=start_time,
            end_time=end_time,
            revision=revision,
            origin=origin,
            participant_id=participant_id,
            tools=tools,
            with_tool_errors=with_tool_errors,
            has_tool_calls=has_tool_calls,
            trigger_type=trigger_type,
            trigger_id=trigger_id,
            run_type=run_type,
            environment=environment,
            min_duration_ms=min_duration_ms,
            max_duration_ms=max_duration_ms,
            query=query,
        )
        return await self._collect(call, all_pages, page_size)

    def iter_execution_records(
        self,
        agent: str,
        *,
        status: str | Iterable[str] | None = None,
        session_id: str | None = None,
        start_time: datetime.datetime | int | str | None = None,
        end_time: datetime.datetime | int | str | None = None,
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
        page_size: int = 50,
    ) -> AsyncIterator[ExecutionRecord]:
        """Every matching run, newest first, fetching ``page_size`` at a time as you iterate."""
        call = ops.list_execution_records(
            agent,
            status=status,
            session_id=session_id,
            start_time=start_time,
            end_time=end_time,
            revision=revision,
            origin=origin,
            participant_id=participant_id,
            tools=tools,
            with_tool_errors=with_tool_errors,
            has_tool_calls=has_tool_calls,
            trigger_type=trigger_type,
            trigger_id=trigger_id,
            run_type=run_type,
            environment=environment,
            min_duration_ms=min_duration_ms,
            max_duration_ms=max_duration_ms,
            query=query,
        )
        return self._paginate(call, True, page_size)

    async def get_execution_result(self, agent: str, record_id: str) -> ExecutionRecordResult:
        """What a run produced (text, JSON or a file link) and the parameters it got."""
        return await self._run(ops.get_execution_result(agent, record_id))

    async def get_execution_tree(self, agent: str, record_id: str) -> ExecutionTree:
        """A run with the runs it started and the run that started it, with totals."""
        return await self._run(ops.get_execution_tree(agent, record_id))

    async def cancel_run(self, agent: str, record_id: str, reason: str | None = None) -> bool:
        """Stop a run: ``True`` if it stopped now, ``False`` if it was asked to stop.

        A waiting run stops at once; a running one at its next checkpoint, and
        it may still complete first (``wait_for_run_end`` tells how it ended).
        A run that has ended already raises ``ConflictError``.
        """
        return await self._run(ops.cancel_run(agent, record_id, reason))

    async def cancel_wait(self, agent: str, record_id: str, reason: str | None = None) -> None:
        """Give up a run's consult wait; the run goes on (``ValidationError`` for other waits)."""
        await self._run(ops.cancel_wait(agent, record_id, reason))

    async def wait_for_run_end(
        self,
        agent: str,
        record_id: str,
        *,
        timeout: float | None = 120.0,
        poll_interval: float = 2.0,
    ) -> ExecutionRecord:
        """Poll the run's record until it is ``COMPLETED``, ``FAILED``, ``CANCELLED`` or
        ``REJECTED``, and return it.

        Polls back off from a quarter of ``poll_interval`` to ``poll_interval``
        (with jitter); each poll is retried like any call. After ``timeout``
        seconds (``None``: no limit) raises ``FruxonTimeoutError`` naming the
        last status seen.
        """
        waiter = RunWaiter(agent, record_id, timeout, poll_interval)
        call = ops.get_execution_record(agent, record_id)
        while True:
            try:
                remaining = waiter.remaining()
                # the last poll, at the deadline, still gets half a second to answer
                within = None if remaining is None else max(remaining, 0.5)
                record = await self._run(call, self._pipeline_within(within))
            except FruxonTimeoutError:
                if waiter.remaining() == 0:
                    raise waiter.timed_out() from None
                raise
            if record.is_terminal:
                return record
            await self._transport.sleep(waiter.next_delay(record.status))

    # -- human approvals -----------------------------------------------------------------

    async def list_pending_approvals(
        self,
        *,
        status: str | Iterable[str] | None = "PENDING",
        agent: str | None = None,
        all_pages: bool = True,
    ) -> list[ApprovalRequest]:
        """The organization's approval requests, newest first (``status=None``: every status)."""
        return await self._collect(
            ops.list_pending_approvals(status=status, agent=agent), all_pages
        )

    def iter_pending_approvals(
        self, *, status: str | Iterable[str] | None = "PENDING", agent: str | None = None
    ) -> AsyncIterator[ApprovalRequest]:
        """Approval requests, fetching pages lazily as you iterate."""
        return self._paginate(ops.list_pending_approvals(status=status, agent=agent))

    async def list_approvals(
        self,
        agent: str,
        *,
        status: str | Iterable[str] | None = "PENDING",
        all_pages: bool = True,
    ) -> list[ApprovalRequest]:
        """One agent's approval requests (``list_pending_approvals(agent=...)``)."""
        if not isinstance(agent, str) or not agent.strip():
            raise ValueError(f"agent must be a non-empty string, got {agent!r}")
        return await self._collect(
            ops.list_pending_approvals(status=status, agent=agent), all_pages
        )

    async def get_approval(
        self, agent: str, approval: str | ApprovalRequest | ExecutionResult
    ) -> ApprovalRequest:
        """One approval request; ``approval`` is its id, or a run paused on it."""
        return await self._run(ops.get_approval(agent, approval))

    async def respond_approval(
        self, agent: str, approval: str | ApprovalRequest | ExecutionResult, text: str
    ) -> ApprovalRequest:
        """Answer an approval request with ``text``, sent as it is (the platform reads it)."""
        return await self._run(ops.respond_approval(agent, approval, text))

    async def approve(
        self, agent: str, approval: str | ApprovalRequest | ExecutionResult
    ) -> ApprovalRequest:
        """Approve: the paused run goes on (``wait_for_run_end`` waits for its end)."""
        return await self._run(ops.respond_approval(agent, approval, ops.APPROVE_TEXT))

    async def reject(
        self,
        agent: str,
        approval: str | ApprovalRequest | ExecutionResult,
        reason: str | None = None,
    ) -> ApprovalRequest:
        """Reject: the paused run ends ``REJECTED`` (sends ``reject`` or ``reject: <reason>``)."""
        text = ops.rejection_text(reason)
        return await self._run(ops.respond_approval(agent, approval, text))

    async def cancel_approval(
        self,
        agent: str,
        approval: str | ApprovalRequest | ExecutionResult,
        reason: str | None = None,
    ) -> ApprovalRequest:
        """Withdraw an approval request; the paused run ends ``CANCELLED``."""
        return await self._run(ops.cancel_approval(agent, approval, reason))

    # -- files ---------------------------------------------------------------------------

    async def upload_file(
        self,
        file: FileSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        temporary: bool = False,
    ) -> FileLink:
        """Store a file (a path, bytes or a binary file object) and return its link.

        A path or file is streamed, never read into memory whole.
        ``temporary=True`` stores it for 24 hours.
        """
        call = ops.upload_file(
            file, filename=filename, content_type=content_type, temporary=temporary
        )
        return await self._run(call)

    async def download_file(self, file: str | FileLink) -> tuple[bytes, str]:
        """A stored file's bytes and content type (``file``: an id, a prompt link, a FileLink)."""
        return await self._run(ops.download_file(file))

    async def download_file_to(
        self, file: str | FileLink, destination: Destination
    ) -> tuple[int, str]:
        """Stream a stored file to a path (replaced only once complete) or a binary file object.

        Returns the number of bytes written and the content type.
        """
        response, runner = await self._open(ops.download_file_to(file))
        read_timeout = response.request.timeout.read
        try:
            with FileSink(destination) as sink:
                while (chunk := await response.read_bytes(read_timeout)) is not None:
                    sink.write(chunk)
        except FruxonConnectionError as error:
            response.close()
            raise runner.fail(error) from error.__cause__
        except BaseException:
            response.close()
            raise
        await response.finish()
        content_type = response.headers.get("content-type") or "application/octet-stream"
        return sink.size, content_type

    # -- anything else: raw calls --------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call any API route; returns the decoded JSON answer (``None`` for an empty one).

        ``path`` is relative to ``/v1/tenants/{org}`` (or absolute from
        ``/v1/``); encode ids you put in it with :func:`~fruxon_core.quote_segment`.
        Auth, hooks, retries (GET/PUT/DELETE are retried like reads, POST/PATCH
        like writes), timeouts, logging and errors are those of every method.
        """
        return await self._run(ops.request(method, path, params=params, json=json, headers=headers))

    async def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Like :meth:`request`, returning the whole response: status, headers, body."""
        call = ops.request_raw(method, path, params=params, json=json, headers=headers)
        return await self._run(call)

    def request_stream(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncEventStream:
        """Like :meth:`request`, for a route that answers with server-sent events."""
        return self._stream(
            ops.request_stream(method, path, params=params, json=json, headers=headers)
        )

    # -- the loop every call goes through -----------------------------------------------

    async def _run(self, call: Call[T], pipeline: Pipeline | None = None) -> T:
        transport = self._transport
        transport.check_usable()
        runner = (pipeline or self._pipeline).runner(call)
        while True:
            request = await runner.prepare_async()
            try:
                return runner.finish(await transport.send(request, runner.remaining()))
            except FruxonError as error:
                await transport.sleep(runner.retry_delay(error))

    async def _open(self, call: Call[Any]) -> tuple[AsyncStreamResponse, CallRunner[Any]]:
        """Open a streamed response, retrying like any call until a 2xx head arrives."""
        transport = self._transport
        transport.check_usable()
        runner = self._pipeline.runner(call)
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
                return response, runner
            except FruxonError as error:
                await transport.sleep(runner.retry_delay(error))

    def _pipeline_within(self, seconds: float | None) -> Pipeline | None:
        """This client's pipeline with its total deadline cut to ``seconds`` (``None``: as is)."""
        if seconds is None:
            return None
        config = self._pipeline.config
        total = config.timeout.total
        if total is not None and total <= seconds:
            return None
        timeout = dataclasses.replace(config.timeout, total=seconds)
        return self._pipeline.with_config(config.with_options(timeout=timeout))

    def _stream(self, call: Call[None]) -> AsyncEventStream:
        return AsyncEventStream(self._pipeline.runner(call), self._transport)

    async def _collect(
        self, call: Call[ListPage[T]], all_pages: bool, page_size: int = DEFAULT_PAGE_SIZE
    ) -> list[T]:
        return [item async for item in self._paginate(call, all_pages, page_size)]

    async def _paginate(
        self, call: Call[ListPage[T]], all_pages: bool = True, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[T]:
        walker = PageWalker(call, all_pages=all_pages, page_size=page_size)
        while (page_call := walker.next_call()) is not None:
            for item in walker.accept(await self._run(page_call)):
                yield item
