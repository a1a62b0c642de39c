"""Exit codes and the one-line message every failure is reported with.

The codes follow the official CLI (spec §8.6) so scripts written against it
keep working: 10 auth, 11 not found, 12 validation, 13 conflict, 14 server or
stream error, 15 network.
"""

from __future__ import annotations

from enum import IntEnum

from fruxon_core.exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    NotFoundError,
    ValidationError,
)

__all__ = ["CliError", "ExitCode", "describe_error", "exit_code_for"]


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


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the exit status it ends the process with."""
    if isinstance(error, CliError):
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, FruxonStreamError):
        return ExitCode.SERVER
    if isinstance(error, (AuthenticationError, ForbiddenError)):
        return ExitCode.AUTH
    if isinstance(error, NotFoundError):
        return ExitCode.NOT_FOUND
    if isinstance(error, ValidationError):
        return ExitCode.VALIDATION
    if isinstance(error, ConflictError):
        return ExitCode.CONFLICT
    if isinstance(error, FruxonAPIError) and error.status >= 500:
        return ExitCode.SERVER
    if isinstance(error, FruxonConnectionError):
        return ExitCode.NETWORK
    return ExitCode.GENERIC


#: Shorter "keys" are test placeholders; masking them would garble ordinary words.
_MIN_SECRET_LENGTH = 6

_HINTS = {
    ExitCode.AUTH: "check --api-key / FRUXON_API_KEY and --org / FRUXON_ORG",
    ExitCode.NETWORK: "check --base-url / FRUXON_BASE_URL and your network",
}


def describe_error(error: BaseException, secret: str | None = None) -> str:
    """One line saying what went wrong, without the API key and without a traceback."""
    if isinstance(error, CliError):
        text = error.message
    elif isinstance(error, FruxonStreamError):
        code = f" [{error.code}]" if error.code else ""
        text = f"the run failed: {error.message}{code}"
    elif isinstance(error, KeyboardInterrupt):
        text = "interrupted"
    elif isinstance(error, FruxonConnectionError):
        text = f"cannot reach the Fruxon API: {error}"
    elif isinstance(error, FruxonError):
        text = str(error)
    else:
        text = f"unexpected {type(error).__name__}: {error} (set FRUXON_DEBUG=1 for a traceback)"
    hint = _HINTS.get(exit_code_for(error)) if not isinstance(error, CliError) else None
    if hint:
        text = f"{text} ({hint})"
    text = " ".join(text.split())
    if secret and len(secret) >= _MIN_SECRET_LENGTH:
        text = text.replace(secret, "***")
    return text
