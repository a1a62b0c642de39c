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
import re
from typing import Any, Generic, TypeVar

import msgspec

from .decoding import lenient_convert

__all__ = [
    "TERMINAL_RECORD_STATUSES",
    "Agent",
    "AgentParameters",
    "ApprovalRequest",
    "ExecutionRecord",
    "ExecutionRecordResult",
    "ExecutionRequest",
    "ExecutionResult",
    "ExecutionTrace",
    "ExecutionTree",
    "ExecutionTreeNode",
    "ExecutionTreeTotals",
    "FileLink",
    "Integration",
    "ListPage",
    "ManagedBy",
    "Model",
    "ParameterMetadata",
    "ProblemDetails",
    "ResultValue",
    "Serializable",
    "Tool",
    "WaitingFor",
    "parse_prompt_link",
]

T = TypeVar("T")

#: The statuses a run ends in; ``IN_PROGRESS`` and ``WAITING_FOR_ASYNC`` are the live ones.
TERMINAL_RECORD_STATUSES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "REJECTED"})

_PROMPT_LINK = re.compile(r"^\s*<(?P<type>[A-Za-z0-9_.-]+):(?P<id>[^<>\s]+?)\s*/>\s*$")


def parse_prompt_link(link: str) -> tuple[str, str] | None:
    """``(file_type, file_id)`` of a prompt link such as ``<pdf:3f2a…/>``, else ``None``."""
    match = _PROMPT_LINK.match(link)
    return None if match is None else (match["type"], match["id"])


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
    """The approval request a paused run waits for; the approval methods also take the
    whole result as ``approval`` (``client.approve(agent, result)``)."""
    retries: int = msgspec.field(default=0, name="fruxonSdkRetries")
    """How many retries the SDK spent on this call (0 when the first attempt succeeded)."""

    def __post_init__(self) -> None:
        if not self.session_id:
            msgspec.structs.force_setattr(self, "session_id", None)

    @property
    def waiting_for_human(self) -> bool:
        """True when the run paused on a human-approval gate instead of finishing."""
        return bool(self.human_approval_request_id) or _is_waiting_for_human(self.status)

    @property
    def files(self) -> list[FileLink]:
        """The files of ``links`` as :class:`FileLink` values (for ``client.download_file``)."""
        files: list[FileLink] = []
        for link in self.links:
            if isinstance(link, dict):
                file = lenient_file_link(link)
                if file.file_id:
                    files.append(file)
        return files


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
    waiting_for: WaitingFor | None = None
    """What a suspended (``WAITING_FOR_ASYNC``) run waits for; ``None`` otherwise."""

    @property
    def duration_ms(self) -> int | None:
        """Wall time of the run, or ``None`` while it is still running."""
        return None if self.end_time is None else self.end_time - self.start_time

    @property
    def is_terminal(self) -> bool:
        """True once the run has finished, failed, been cancelled or rejected."""
        return self.status.upper() in TERMINAL_RECORD_STATUSES


class WaitingFor(Model, frozen=True):
    """What a suspended run waits for (``ExecutionRecord.waiting_for``)."""

    kind: str = ""
    """``APPROVAL`` (a human approval request), ``CONSULT`` (a question to a person or a
    team; ``client.cancel_wait`` gives up on it) or ``SUBTASK`` (sub-runs)."""
    id: str = ""
    """For ``APPROVAL``, the approval request's id (what ``client.approve`` takes)."""
    display_name: str | None = None
    participant_kind: str | None = None
    topic_id: str | None = None
    waiting_since: int | None = None
    """Epoch milliseconds."""
    expires_at: int | None = None
    """Epoch milliseconds; ``None`` or 0 when the wait does not expire."""
    child_count: int | None = None
    """For ``SUBTASK``: how many sub-runs the run waits for."""


class ApprovalRequest(Model, frozen=True):
    """A human-approval request a paused run waits for (``pendingApprovals``)."""

    id: str = ""
    """The request's id: a paused run's ``human_approval_request_id``."""
    status: str = ""
    """``PENDING``, ``RESPONDED``, ``CANCELLED`` or ``EXPIRED`` (other values are kept as sent)."""
    gate_type: str = ""
    """What kind of gate paused the run, e.g. ``TOOL_FLOW_STEP``."""
    step_identifier: str = ""
    """The flow step that asked."""
    tool_key: str = ""
    """The tool waiting to be called, e.g. ``payments.issue_refund``."""
    outbound_message: str = ""
    """The question put to the approver."""
    proposed_parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    """The arguments the tool will be called with if approved, as sent."""
    authorized_approvers: list[str] = msgspec.field(default_factory=list)
    """Who may answer (people, teams), as the platform names them."""
    expires_at: int = 0
    """Epoch milliseconds; 0 when the request does not expire."""
    decision: str = ""
    """``APPROVE`` or ``REJECT`` once answered; ``""`` while pending."""
    agent_id: str = ""
    """The agent whose run waits (what the approval methods take as ``agent``)."""
    responded_by: str = ""
    """Who answered (the ``X-Fruxon-Actor`` of the answering call, or the key's owner)."""
    responded_at: int = 0
    """Epoch milliseconds; 0 until answered."""
    created_at: int = 0
    """Epoch milliseconds."""

    @property
    def is_pending(self) -> bool:
        """True while the request waits for an answer."""
        return self.status.upper() == "PENDING"


class FileLink(Model, frozen=True):
    """A stored file: what ``upload_file`` returns and what agents link to.

    Pass one in ``attachments=`` (sent as its JSON object) or as a parameter
    value (sent as its ``prompt_link``, the form agent inputs read);
    ``str(link)`` is the prompt link too.
    """

    file_id: str = ""
    """What ``download_file`` takes. Treat it like a secret: whoever has it can download."""
    file_type: str = ""
    """``image``, ``audio``, ``video``, ``pdf``, ``text`` or ``file``."""
    content_type: str = ""
    """The MIME type, e.g. ``application/pdf``."""
    prompt_link: str = ""
    """``<{file_type}:{file_id}/>``: the form to drop into an agent's input."""
    display_name: str = ""
    """The file's name."""

    def __post_init__(self) -> None:
        if not self.prompt_link and self.file_id:
            link = f"<{self.file_type or 'file'}:{self.file_id}/>"
            msgspec.structs.force_setattr(self, "prompt_link", link)
        elif self.prompt_link and not self.file_id:
            parsed = parse_prompt_link(self.prompt_link)
            if parsed is not None:
                msgspec.structs.force_setattr(self, "file_id", parsed[1])
                if not self.file_type:
                    msgspec.structs.force_setattr(self, "file_type", parsed[0])

    def __str__(self) -> str:
        return self.prompt_link

    @classmethod
    def from_prompt_link(cls, link: str) -> FileLink:
        """The FileLink of a prompt link ``<type:id/>`` (``ValueError`` if it is not one)."""
        parsed = parse_prompt_link(link)
        if parsed is None:
            raise ValueError(f"not a prompt link (<type:id/>): {link!r}")
        return cls(file_type=parsed[0], file_id=parsed[1], prompt_link=link.strip())


def lenient_file_link(value: dict[str, Any]) -> FileLink:
    """A FileLink from a ``links`` item or FileLink JSON, ill-typed fields dropped."""
    return lenient_convert(FileLink, value)


class ResultValue(Model, frozen=True, omit_defaults=True):
    """A finished run's output: exactly one of ``str_value``, ``json_value``, ``file_link``.

    As on the wire, the wire form (``to_dict(wire=True)``) has only the field that is set.
    """

    str_value: str | None = None
    """A text answer."""
    json_value: Any = None
    """A structured answer (any JSON value)."""
    file_link: str | None = None
    """A file the run produced, as a prompt link ``<type:id/>`` (see :attr:`file`)."""

    @property
    def kind(self) -> str | None:
        """``"str"``, ``"json"`` or ``"file"``; ``None`` while the run has no result."""
        if self.str_value is not None:
            return "str"
        if self.file_link is not None:
            return "file"
        if self.json_value is not None:
            return "json"
        return None

    @property
    def file(self) -> FileLink | None:
        """The produced file as a :class:`FileLink` (for ``download_file``), else ``None``."""
        if self.file_link is None:
            return None
        parsed = parse_prompt_link(self.file_link)
        if parsed is None:
            return FileLink(file_id=self.file_link.strip())
        return FileLink(file_type=parsed[0], file_id=parsed[1], prompt_link=self.file_link)

    @property
    def value(self) -> Any:
        """The text, the JSON value or the :class:`FileLink`; ``None`` without a result."""
        kind = self.kind
        if kind == "str":
            return self.str_value
        if kind == "file":
            return self.file
        return self.json_value


class ExecutionRecordResult(Model, frozen=True):
    """The stored result of one run (``get_execution_result``): its inputs and its output."""

    agent_id: str = ""
    agent_revision: int = 0
    created_at: int = 0
    """Epoch milliseconds."""
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    """The parameters the run received, as sent."""
    result: ResultValue = msgspec.field(default_factory=ResultValue)
    """The output; empty (``result.kind is None``) until the run completed."""

    @property
    def value(self) -> Any:
        """``result.value``: the text, the JSON value or the :class:`FileLink`, else ``None``."""
        return self.result.value

    @property
    def text(self) -> str | None:
        """The text answer, or ``None`` when the output is not text (or not there yet)."""
        return self.result.str_value


class ExecutionTreeNode(Model, frozen=True):
    """One run of an execution tree (the run asked about, its parent or its sub-runs)."""

    id: str = ""
    agent_id: str = ""
    parent_execution_record_id: str | None = None
    parent_async_operation_id: str | None = None
    depth: int = 0
    """0 for the root run."""
    run_type: str = ""
    status: str = ""
    start_time: int = 0
    """Epoch milliseconds (as is ``end_time``)."""
    end_time: int | None = None
    duration_ms: int | None = None
    total_cost: float = 0.0
    credits_charged: int | None = None
    subject: str | None = None
    trigger: dict[str, Any] | None = None


class ExecutionTreeTotals(Model, frozen=True):
    """Totals over the runs of an execution tree."""

    runs: int = 0
    failed: int = 0
    cost: float = 0.0
    credits: int = 0
    elapsed_ms: int = 0
    truncated_by_retention: bool = False
    """True when older runs of the tree are no longer kept."""


class ExecutionTree(Model, frozen=True):
    """A run with the runs it started and the run that started it (``get_execution_tree``)."""

    root_execution_id: str = ""
    """The tree's root run (not always the one asked about)."""
    nodes: list[ExecutionTreeNode] = msgspec.field(default_factory=list)
    """The runs, root first, each before its children."""
    totals: ExecutionTreeTotals = msgspec.field(default_factory=ExecutionTreeTotals)


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
