"""Exit codes and the one-line message every failure is reported with.

The codes are the official ``fruxon`` CLI's, so scripts written against it
keep working: 10 auth, 11 not found, 12 validation, 13 conflict, 14 server or
stream error, 15 network.

Each message says what to do next where the CLI can tell: a refused
connection points at ``--base-url``, a timeout at ``--timeout``, a stream
lost mid-way says the run may still be going, a missing parameter names the
``-p`` to add, an unknown organization points at ``--org``, a 429 says when to
retry (the SDK's message carries the server's ``Retry-After``). The SDK's
exceptions are imported only when an error is described, so ``fruxon --help``
does not load them.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import ConnectionOptions

__all__ = ["CliError", "ExitCode", "StreamInterruptedInfo", "describe_error", "exit_code_for"]


class ExitCode(IntEnum):
    """Process exit statuses of ``fruxon``."""

    OK = 0
    GENERIC = 1
    USAGE = 2
    AUTH = 10
    NOT_FOUND = 11
    VALIDATION = 12
    CONFLICT = 13
    SERVER = 14
    NETWORK = 15
    INTERRUPTED = 130

    @property
    def slug(self) -> str:
        """The machine name used in ``--json`` error lines (same as the official CLI)."""
        return _SLUGS[self]


_SLUGS = {
    ExitCode.OK: "ok",
    ExitCode.GENERIC: "generic",
    ExitCode.USAGE: "usage",
    ExitCode.AUTH: "auth_required",
    ExitCode.NOT_FOUND: "not_found",
    ExitCode.VALIDATION: "validation",
    ExitCode.CONFLICT: "conflict",
    ExitCode.SERVER: "server_error",
    ExitCode.NETWORK: "network_error",
    ExitCode.INTERRUPTED: "interrupted",
}


class CliError(Exception):
    """A failure the CLI detected itself (bad ``-p``, missing credentials, …)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.GENERIC) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StreamInterruptedInfo:
    """What :class:`fruxon_cli.runs.StreamInterrupted` carries (kept here, free of SDK imports)."""

    agent: str
    events: int
    timed_out: bool


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the exit status it ends the process with."""
    from fruxon_core import exceptions as sdk

    if isinstance(error, CliError):
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, sdk.FruxonStreamError):
        return ExitCode.SERVER
    if isinstance(error, (sdk.AuthenticationError, sdk.ForbiddenError)):
        return ExitCode.AUTH
    if isinstance(error, sdk.NotFoundError):
        return ExitCode.NOT_FOUND
    if isinstance(error, sdk.ValidationError):
        return ExitCode.VALIDATION
    if isinstance(error, sdk.ConflictError):
        return ExitCode.CONFLICT
    if isinstance(error, sdk.FruxonAPIError) and error.status >= 500:
        return ExitCode.SERVER
    if isinstance(error, sdk.FruxonConnectionError):
        return ExitCode.NETWORK
    return ExitCode.GENERIC


#: Shorter "keys" are test placeholders; masking them would garble ordinary words.
_MIN_SECRET_LENGTH = 6

_CHECK_AUTH = "check --api-key / FRUXON_API_KEY and --org / FRUXON_ORG"
_CHECK_URL = "check --base-url / FRUXON_BASE_URL and your network"
_CHECK_ORG = "check --org / FRUXON_ORG: the organization id"
#: Words of a 404 that is about the organization (the API says tenant) rather than an object in it.
_ORG_WORDS = ("tenant", "organization", "organisation", "workspace")


def describe_error(
    error: BaseException,
    secret: str | None = None,
    options: ConnectionOptions | None = None,
    agent: str | None = None,
) -> str:
    """One line saying what went wrong and what to try, without the API key or a traceback.

    ``options`` are the connection options in use (for the timeout a timeout hint
    names) and ``agent`` the agent the command was about, if any.
    """
    from fruxon_core import exceptions as sdk

    hint: str | None = None
    timeout = options.effective_timeout if options is not None else None
    if isinstance(error, CliError):
        text = error.message
    elif isinstance(error, sdk.FruxonStreamError):
        text = str(error)
    elif isinstance(error, KeyboardInterrupt):
        text = "interrupted"
    elif isinstance(error, StreamInterruptedInfo):
        text, hint = _interrupted(error, timeout)
    elif isinstance(error, sdk.FruxonTimeoutError):
        if error.request_sent:
            # The SDK's text repeats the transport's ("Read timed out. (read timeout=…)").
            text = f"the Fruxon API did not answer within {_seconds(timeout)}"
            hint = f"the server took too long; {_longer(timeout)}"
        else:
            text = f"cannot reach the Fruxon API: {error.message}"
            hint = _CHECK_URL
    elif isinstance(error, sdk.FruxonConnectionError):
        # error.message without the SDK's hint: the CLI names its own options instead
        if error.request_sent:
            text = (
                "the connection to the Fruxon API broke before the answer was complete: "
                f"{error.message}"
            )
            hint = "the request may have reached the server; retry, or check your network"
        else:
            text = f"cannot reach the Fruxon API: {error.message}"
            hint = _CHECK_URL
    elif isinstance(error, sdk.FruxonError):
        text = str(error)
        hint = _api_hint(error, agent)
    else:
        text = f"unexpected {type(error).__name__}: {error} (set FRUXON_DEBUG=1 for a traceback)"
    if hint:
        text = f"{text} ({hint})"
    text = " ".join(text.split())
    if secret and len(secret) >= _MIN_SECRET_LENGTH:
        text = text.replace(secret, "***")
    return text


def _seconds(timeout: float | None) -> str:
    return "the --timeout" if timeout is None else f"{timeout:g}s"


def _longer(timeout: float | None) -> str:
    example = f", e.g. --timeout {2 * timeout:g}" if timeout is not None else ""
    return f"try a longer --timeout{example}"


def _interrupted(error: StreamInterruptedInfo, timeout: float | None) -> tuple[str, str | None]:
    events = f"{error.events} event{'' if error.events == 1 else 's'}"
    still = (
        "the run may still be going on the server; its record id only comes with the final "
        f"event: once you have it, `fruxon trace {error.agent} RECORD_ID` shows the run"
    )
    if error.timed_out:
        text = (
            f"the stream of {error.agent} sent no event for {_seconds(timeout)} "
            f"after {events}; {still}"
        )
        return text, _longer(timeout)
    text = f"the connection was lost after {events} of {error.agent}'s stream ({error}); {still}"
    return text, None


def _api_hint(error: BaseException, agent: str | None) -> str | None:
    """What to try for an API error, from its status and problem details."""
    from fruxon_core.exceptions import (
        AuthenticationError,
        ForbiddenError,
        NotFoundError,
        ValidationError,
    )

    if isinstance(error, (AuthenticationError, ForbiddenError)):
        return _CHECK_AUTH
    if isinstance(error, NotFoundError):
        about = f"{error.title} {error.detail}".lower()
        return _CHECK_ORG if any(word in about for word in _ORG_WORDS) else None
    if isinstance(error, ValidationError):
        prefix = "parameters."
        names = [field[len(prefix) :] for field in error.errors if field.startswith(prefix)]
        if names:
            flags = " ".join(f"-p {name}=…" for name in names)
            listing = f"`fruxon agents params {agent or 'AGENT'}` lists the agent's parameters"
            return f"pass {flags}; {listing}"
        return None
    return None
