"""msgspec Structs for every request and response body of the Fruxon API.

Wire names are camelCase, attributes snake_case (``rename="camel"``). Every
field has a documented default, so an absent field, an explicit ``null`` or a
value of the wrong type never breaks decoding (see :mod:`fruxon_core.decoding`),
and fields a newer server adds are ignored.

Every model (and every stream event payload) has :meth:`~Serializable.to_dict`,
which returns plain ``dict``/``list``/``str``/number values that
``json.dumps`` accepts.

Bodies the SDK deliberately does not model (AgentTestRequest, integration and
tool write bodies, traces) travel as plain dicts.
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

import msgspec

__all__ = [
    "Agent",
    "AgentParameters",
    "ExecutionRecord",
    "ExecutionRequest",
    "ExecutionResult",
    "ExecutionTrace",
    "Integration",
    "ListPage",
    "ManagedBy",
    "Model",
    "ParameterMetadata",
    "ProblemDetails",
    "Serializable",
    "Tool",
]

T = TypeVar("T")

TERMINAL_RECORD_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "REJECTED"})


class Serializable:
    """Mixed into every SDK model and stream event: adds :meth:`to_dict`."""

    __slots__ = ()

    def to_dict(self, *, wire: bool = False) -> dict[str, Any]:
        """This object as plain Python values, ready for ``json.dumps``.

        By default the keys are the Python attribute names (``session_id``,
        ``execution_record_id``); with ``wire=True`` they are the API's JSON
        names (``sessionId``, ``executionRecordId``). Nested models become
        dicts, tuples and sets become lists and enums their values, in both
        forms.

        Every field is included, and a field that is unset keeps its default:
        ``None`` stays ``None`` (``null`` in JSON), so a dict always has the same
        keys. The one exception is ``wire=True`` on a request body
        (:class:`ExecutionRequest`), which leaves unset fields out exactly as the
        request sent to the API does. Dicts the SDK keeps raw (``parameters``,
        ``links``, a trace's ``traces``, an event's ``data``) are copied with
        their keys as the server sent them. Properties (``waiting_for_human``,
        ``duration_ms`` of a record, a tool call's ``name``) are not fields and
        are not included.

        The wire form converts back: ``msgspec.convert(result.to_dict(wire=True),
        ExecutionResult)`` is equal to ``result``.
        """
        result: dict[str, Any] = _lists(msgspec.to_builtins(self)) if wire else _plain(self)
        return result


def _lists(value: Any) -> Any:
    """``msgspec.to_builtins`` output with tuples turned into lists, like ``json.loads`` gives."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    """``value`` with Python field names for every struct in it (see ``to_dict``)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        if isinstance(value, enum.Enum):
            return _plain(value.value)
        return value
    if isinstance(value, msgspec.Struct):
        return {name: _plain(getattr(value, name)) for name in value.__struct_fields__}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    return msgspec.to_builtins(value)


class Model(msgspec.Struct, Serializable, rename="camel", frozen=True, kw_only=True):
    """Base of every response model: camelCase on the wire, immutable, unknown fields ignored."""


class ExecutionTrace(Model, frozen=True):
    """Run summary of one execution: who ran, how long it took, what it cost."""

    agent_id: str = ""
    agent_revision: int = 0
    """The revision that ran."""
    duration: int = 0
    """Execution time in milliseconds."""
    input_cost: float = 0.0
    """Cost of the input tokens, in US dollars (as are the other ``*_cost`` fields)."""
    output_cost: float = 0.0
    total_cost: float = 0.0
    """What the run cost, in US dollars."""
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    web_search_calls: int = 0
    cached_cost: float = 0.0
    cache_write_cost: float = 0.0
    web_search_cost: float = 0.0
    thinking_cost: float = 0.0
    provider_reported_cost: float | None = None
    """``None`` when the provider reported nothing (which is not the same as $0)."""
    created_at: int = 0
    """When the run was created, in epoch milliseconds (as are ``start_time`` and ``end_time``)."""
    start_time: int = 0
    end_time: int = 0
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    """The parameters the run received, as sent."""
    traces: list[dict[str, Any]] = msgspec.field(default_factory=list)
    """The step tree, one raw dict per step (``id``, ``displayName``, ``type``, ``status``,
    ``steps``, ...)."""
    result: dict[str, Any] | None = None
    """The run's output value (``strValue``, ``jsonValue`` or ``fileLink``), as sent."""


class ExecutionResult(Model, frozen=True):
    """What ``execute``, ``execute_revision`` and ``test`` return."""

    response: str = ""
    """The agent's answer."""
    trace: ExecutionTrace = msgspec.field(default_factory=ExecutionTrace)
    """Who ran, how long it took, the tokens and what it cost."""
    session_id: str | None = None
    """Pass back as ``session_id=`` to continue the conversation; ``None`` if none."""
    links: list[dict[str, Any]] = msgspec.field(default_factory=list)
    """Files the agent returned (``fileId``, ``fileType``, ``promptLink``), as sent."""
    execution_record_id: str = ""
    """The stored record of this run: see ``get_execution_record()``."""
    status: str | None = None
    """``COMPLETED``, or ``WaitingForHuman`` for a run paused on an approval gate."""
    human_approval_request_id: str | None = None
    """The approval request a paused run waits for."""
    retries: int = msgspec.field(default=0, name="fruxonSdkRetries")
    """How many retries the SDK spent on this call (0 when the first attempt succeeded)."""

    def __post_init__(self) -> None:
        if not self.session_id:
            msgspec.structs.force_setattr(self, "session_id", None)

    @property
    def waiting_for_human(self) -> bool:
        """True when the run paused on a human-approval gate instead of finishing."""
        return bool(self.human_approval_request_id) or _is_waiting_for_human(self.status)


def _is_waiting_for_human(status: str | None) -> bool:
    return (status or "").lower().replace("_", "") == "waitingforhuman"


class ManagedBy(Model, frozen=True):
    """Ownership of a managed or linked agent."""

    ownership: str = ""
    owner_kind: str | None = None
    roles: list[str] = msgspec.field(default_factory=list)
    owner_id: str | None = None
    owner_display_name: str | None = None
    owner_container_id: str | None = None
    owner_container_display_name: str | None = None
    linked_owner_count: int = 0


class Agent(Model, frozen=True):
    """An agent as listed and fetched; ``current_revision`` 0 means nothing is deployed."""

    id: str = ""
    """What the client methods take as ``agent``."""
    display_name: str = ""
    description: str = ""
    enabled: bool = False
    """A disabled agent does not run (``ConflictError`` with ``error_code`` ``agent_disabled``)."""
    current_revision: int = 0
    """The deployed revision, which ``execute()`` runs; 0 when none is."""
    tags: list[str] = msgspec.field(default_factory=list)
    network_id: str = ""
    managed_by: ManagedBy | None = None
    """Who owns a managed or linked agent; ``None`` for the organization's own."""
    deleted_at: Any = None

    def __post_init__(self) -> None:
        if self.managed_by is not None and not self.managed_by.ownership:
            msgspec.structs.force_setattr(self, "managed_by", None)


class ParameterMetadata(Model, frozen=True):
    """The schema of one entry-point parameter of an agent revision."""

    name: str = ""
    """The key to use in ``parameters=``."""
    index: int = 0
    type: str = ""
    """The parameter's type, e.g. ``STRING``, ``INTEGER``, ``BOOLEAN``, ``JSON``."""
    type_name: str = ""
    display_name: str = ""
    description: str = ""
    required: bool = False
    secret: bool = False
    default_value: Any = None
    options: list[Any] = msgspec.field(default_factory=list)
    json_schema: Any = None


class AgentParameters(Model, frozen=True):
    """The envelope of ``…/revisions/{revision}/parameters``."""

    parameters: list[str] = msgspec.field(default_factory=list)
    """The parameter names, in order."""
    metadata: list[ParameterMetadata] = msgspec.field(default_factory=list)
    """One schema per parameter."""


class Integration(Model, frozen=True):
    """A connection to an external service (secrets are stripped by the server)."""

    id: str = ""
    display_name: str = ""
    description: str = ""
    type: str = ""
    tags: list[str] = msgspec.field(default_factory=list)
    config_metadata: dict[str, Any] = msgspec.field(default_factory=dict)


class Tool(Model, frozen=True):
    """A callable capability under an integration; ``(integration_id, id)`` is its key."""

    id: str = ""
    integration_id: str = ""
    display_name: str = ""
    description: str = ""
    tool_type: str = ""
    """``API``, ``PREDEFINED``, ``AGENT_TOOL``, ``PYTHON_SCRIPT``, ``LLM_BUILT_IN``, ``MCP``, ..."""
    action_type: str = ""
    """``READ_ONLY``, ``REVERSIBLE`` or ``IRREVERSIBLE``."""
    result_type: str = ""
    parameters: list[dict[str, Any]] = msgspec.field(
        default_factory=list, name="parametersMetadata"
    )
    """The tool's parameter schemas, as sent (``parametersMetadata`` in the API)."""
    descriptor: dict[str, Any] = msgspec.field(default_factory=dict)
    """How the tool is called (e.g. ``apiTool``), as sent."""
    is_async: bool = False


class ExecutionRecord(Model, frozen=True):
    """A stored execution: status, timing, tokens and cost."""

    id: str = ""
    agent_id: str = ""
    agent_revision: int = 0
    status: str = ""
    """``IN_PROGRESS``, ``WAITING_FOR_ASYNC`` (suspended, e.g. on an approval), or once
    finished ``COMPLETED``, ``FAILED``, ``CANCELLED``, ``REJECTED``."""
    start_time: int = 0
    """Epoch milliseconds."""
    end_time: int | None = None
    """Epoch milliseconds; ``None`` while the run has not finished."""
    input_tokens: int = 0
    output_tokens: int = 0
    total_cost: float = 0.0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    web_search_calls: int = 0
    cached_cost: float = 0.0
    cache_write_cost: float = 0.0
    web_search_cost: float = 0.0
    thinking_cost: float = 0.0
    delivery_status: str = ""
    subject: str | None = None
    run_type: str = ""
    environment_slug: str | None = None
    network_id: str | None = None
    trigger: dict[str, Any] | None = None
    destinations: list[dict[str, Any]] | None = None
    root_execution_id: str | None = None
    parent_execution_record_id: str | None = None
    automation_id: str | None = None
    automation_governed: bool = False
    relevance_outcome: str | None = None
    relevance_reason: str | None = None
    rejection_reason: str | None = None
    rejection_detail: str | None = None
    group_participant_id: str | None = None
    was_addressed: bool | None = None
    credits_charged: int | None = None
    waiting_for: dict[str, Any] | None = None
    """What a suspended run waits for (``kind``: an approval, a consult, a sub-task)."""

    @property
    def duration_ms(self) -> int | None:
        """Wall time of the run, or ``None`` while it is still running."""
        return None if self.end_time is None else self.end_time - self.start_time

    @property
    def is_terminal(self) -> bool:
        """True once the run has finished, failed, been cancelled or rejected."""
        return self.status.upper() in TERMINAL_RECORD_STATUSES


class ListPage(Model, Generic[T], frozen=True):
    """One page of a list operation; an empty or missing token ends the list."""

    items: list[T] = msgspec.field(default_factory=list)
    next_page_token: str | None = None
    """Pass to get the next page; ``None`` (or empty) on the last page."""
    total_count: int | None = None
    """How many items all pages hold, when the server says."""


class ProblemDetails(Model, frozen=True):
    """An RFC 7807 problem+json error body, with the extensions the API uses."""

    type: str = ""
    title: str = ""
    status: int = 0
    detail: str = ""
    instance: str = ""
    errors: dict[str, Any] = msgspec.field(default_factory=dict)
    code: str | None = None


class ExecutionRequest(
    msgspec.Struct, Serializable, rename="camel", omit_defaults=True, kw_only=True
):
    """Body of execute/stream calls; fields left ``None`` are omitted, never sent as null."""

    parameters: dict[str, Any] | None = None
    attachments: list[Any] | None = None
    chat_user: dict[str, Any] | None = None
    session_id: str | None = None
    environment_slug: str | None = None
    mode: str | None = None
