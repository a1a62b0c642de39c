"""fruxon-core: the I/O-free heart of the Fruxon Python SDK.

Models, the operation catalogue, request/response values, the SSE decoder,
stream events, the exception tree and the pluggy hooks live here. The
transports (``fruxon-requests``, ``fruxon-aiohttp``) only move bytes.
"""

from . import exceptions, operations
from ._version import __version__
from .config import DEFAULT_BASE_URL, ClientConfig, Secret
from .endpoints import ENDPOINTS, Endpoint
from .events import (
    Done,
    ResultCollector,
    StatusChange,
    StepTrace,
    StreamErrorPayload,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
    Usage,
    encode_sse,
)
from .exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    FruxonTimeoutError,
    InsufficientScopeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from .hooks import hookimpl, hookspec
from .http import Request, Response, Timeout
from .models import (
    Agent,
    AgentParameters,
    ExecutionRecord,
    ExecutionRequest,
    ExecutionResult,
    ExecutionTrace,
    Integration,
    ListPage,
    ManagedBy,
    ParameterMetadata,
    ProblemDetails,
    Tool,
)
from .operations import Call, PageWalker
from .pipeline import CallContext, CallRunner, Pipeline, RetryDecision, StreamProgress
from .plugins import (
    AccessToken,
    ApiKeyAuth,
    BearerTokenAuth,
    LoggingPlugin,
    RetryPolicy,
    create_plugin_manager,
)
from .redaction import REDACTED, redact_headers
from .sse import ServerSentEvent, SSEDecoder

__all__ = [
    "DEFAULT_BASE_URL",
    "ENDPOINTS",
    "REDACTED",
    "AccessToken",
    "Agent",
    "AgentParameters",
    "ApiKeyAuth",
    "AuthenticationError",
    "BearerTokenAuth",
    "Call",
    "CallContext",
    "CallRunner",
    "ClientConfig",
    "ConflictError",
    "Done",
    "Endpoint",
    "ExecutionRecord",
    "ExecutionRequest",
    "ExecutionResult",
    "ExecutionTrace",
    "ForbiddenError",
    "FruxonAPIError",
    "FruxonConnectionError",
    "FruxonError",
    "FruxonStreamError",
    "FruxonTimeoutError",
    "InsufficientScopeError",
    "Integration",
    "ListPage",
    "LoggingPlugin",
    "ManagedBy",
    "NotFoundError",
    "PageWalker",
    "ParameterMetadata",
    "Pipeline",
    "ProblemDetails",
    "RateLimitError",
    "Request",
    "Response",
    "ResultCollector",
    "RetryDecision",
    "RetryPolicy",
    "SSEDecoder",
    "Secret",
    "ServerError",
    "ServerSentEvent",
    "StatusChange",
    "StepTrace",
    "StreamErrorPayload",
    "StreamEvent",
    "StreamProgress",
    "TextChunk",
    "Timeout",
    "Tool",
    "ToolCall",
    "ToolResult",
    "Usage",
    "ValidationError",
    "__version__",
    "create_plugin_manager",
    "encode_sse",
    "exceptions",
    "hookimpl",
    "hookspec",
    "operations",
    "redact_headers",
]
