"""OpenTelemetry tracing: one CLIENT span per HTTP attempt (``pip install fruxon-core[otel]``).

Not registered by default; add it like any plugin::

    from fruxon_core.plugins.otel import OpenTelemetryPlugin

    client = FruxonClient(api_key=..., org=..., plugins=[OpenTelemetryPlugin()])

Each attempt of a call is its own span, named after the HTTP semantic
conventions (``POST /v1/tenants/{tenant}/agents/{agent}:execute``), so a call
that was retried shows one span per request sent; retries carry
``http.request.resend_count``. Attributes: ``http.request.method``,
``url.full`` (through :func:`~fruxon_core.redaction.redact_url`: no user info,
no query values outside the allowlist), ``url.template``, ``server.address``,
``server.port``, ``http.response.status_code``, ``error.type`` (the status
code, or the exception's class for a failure without a response),
``fruxon.operation``, ``fruxon.agent_id`` and ``fruxon.attempt``.

A span ends when the response arrives -- for a stream, when its head
arrives, as the requests and aiohttp instrumentations do -- or when the
attempt fails without a response. With ``propagate=True`` (default) the
W3C ``traceparent`` of the span is sent, so server-side traces join the
caller's. ``opentelemetry`` is imported when the plugin is created, never by
``fruxon_core`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fruxon_core._version import __version__
from fruxon_core.endpoints import ENDPOINTS
from fruxon_core.exceptions import FruxonError
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request, Response
from fruxon_core.pipeline import CallContext
from fruxon_core.redaction import redact_url

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["OpenTelemetryPlugin"]

_SPAN = "otel.span"
_TENANT_PREFIX = "/v1/tenants/{tenant}"


class OpenTelemetryPlugin:
    """Traces every attempt of every call as an OpenTelemetry CLIENT span."""

    name = "otel"

    def __init__(
        self, *, tracer_provider: TracerProvider | None = None, propagate: bool = True
    ) -> None:
        try:
            from opentelemetry import trace
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                "OpenTelemetryPlugin needs opentelemetry-api: pip install 'fruxon-core[otel]'"
            ) from error
        self._trace = trace
        self._tracer = trace.get_tracer("fruxon", __version__, tracer_provider=tracer_provider)
        self.propagate = propagate

    @hookimpl(trylast=True)
    def fruxon_prepare_request(
        self, request: Request, context: CallContext
    ) -> Mapping[str, str] | None:
        """Open the attempt's span (before sending, so its ``traceparent`` can go along)."""
        _end(context)  # a span a failed hook left open
        template = _url_template(context.operation)
        span = self._tracer.start_span(
            f"{request.method} {template}" if template else request.method,
            kind=self._trace.SpanKind.CLIENT,
            attributes=_request_attributes(request, context, template),
        )
        context.state[_SPAN] = span
        if not self.propagate:
            return None
        from opentelemetry.propagate import inject

        carrier: dict[str, str] = {}
        inject(carrier, context=self._trace.set_span_in_context(span))
        return carrier

    @hookimpl
    def fruxon_on_response(self, response: Response, context: CallContext) -> None:
        span = context.state.get(_SPAN)
        if span is None:
            return
        span.set_attribute("http.response.status_code", response.status)
        if response.status >= 400:
            span.set_attribute("error.type", str(response.status))
            span.set_status(self._trace.StatusCode.ERROR)
        _end(context)

    @hookimpl
    def fruxon_on_error(self, error: FruxonError, context: CallContext) -> None:
        """A failure without a response (connection, timeout): ``error.type`` is its class."""
        span = context.state.get(_SPAN)
        if span is None:
            return
        cls = type(error)
        span.set_attribute("error.type", f"{cls.__module__}.{cls.__qualname__}")
        span.record_exception(error)
        span.set_status(self._trace.StatusCode.ERROR, str(error))
        _end(context)


def _url_template(operation: str) -> str:
    endpoint = ENDPOINTS.get(operation)
    return f"{_TENANT_PREFIX}{endpoint.path}" if endpoint is not None else ""


def _request_attributes(request: Request, context: CallContext, template: str) -> dict[str, Any]:
    url = urlsplit(request.url)
    attributes: dict[str, Any] = {
        "http.request.method": request.method,
        "url.full": redact_url(request.url),
        "server.address": url.hostname or "",
        "server.port": url.port or (443 if url.scheme == "https" else 80),
        "fruxon.operation": context.operation,
        "fruxon.attempt": context.attempt,
    }
    if template:
        attributes["url.template"] = template
    if context.attempt > 1:
        attributes["http.request.resend_count"] = context.attempt - 1
    if context.agent_id is not None:
        attributes["fruxon.agent_id"] = context.agent_id
    return attributes


def _end(context: CallContext) -> None:
    """End the span the call has open, if any, and forget it."""
    open_span = context.state.pop(_SPAN, None)
    if open_span is not None:
        open_span.end()
