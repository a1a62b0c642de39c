"""Where the API key, org, base URL, timeout and retries come from.

Order: the command's own flag, then the same flag on the root command
(``fruxon --org acme run …``), then ``FRUXON_API_KEY`` / ``FRUXON_ORG`` /
``FRUXON_BASE_URL``. ``--emulator`` replaces the first three with the bundled
emulator's. Nothing is read from or written to disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CliError, ExitCode
from .options import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT

__all__ = [
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_ORG",
    "ConnectionOptions",
    "Credentials",
    "parse_headers",
    "resolve_credentials",
]

ENV_API_KEY = "FRUXON_API_KEY"
ENV_ORG = "FRUXON_ORG"
ENV_BASE_URL = "FRUXON_BASE_URL"


@dataclass(frozen=True)
class ConnectionOptions:
    """The connection flags of one command line (``None`` = not given)."""

    api_key: str | None = field(default=None, repr=False)
    org: str | None = None
    base_url: str | None = None
    headers: tuple[str, ...] = ()
    emulator: bool = False
    timeout: float | None = None
    max_retries: int | None = None

    @classmethod
    def from_context(cls, ctx: Any) -> ConnectionOptions:
        """The options among a command's parsed parameters (``ctx.params``).

        ``--timeout`` and ``--max-retries`` have real defaults (so ``--help``
        shows them); a value that is only the default counts as not given, so
        that the root command's flag still applies.
        """
        params: Mapping[str, Any] = ctx.params

        def given(name: str) -> Any:
            source = ctx.get_parameter_source(name)
            return params.get(name) if source is not None and source.name != "DEFAULT" else None

        return cls(
            api_key=params.get("api_key"),
            org=params.get("org"),
            base_url=params.get("base_url"),
            headers=tuple(params.get("header") or ()),
            emulator=bool(params.get("emulator")),
            timeout=given("timeout"),
            max_retries=given("max_retries"),
        )

    def over(self, fallback: ConnectionOptions) -> ConnectionOptions:
        """These options, with anything not given taken from ``fallback`` (the root's)."""
        return ConnectionOptions(
            api_key=self.api_key or fallback.api_key,
            org=self.org or fallback.org,
            base_url=self.base_url or fallback.base_url,
            headers=(*fallback.headers, *self.headers),
            emulator=self.emulator or fallback.emulator,
            timeout=self.timeout if self.timeout is not None else fallback.timeout,
            max_retries=self.max_retries if self.max_retries is not None else fallback.max_retries,
        )

    @property
    def effective_timeout(self) -> float:
        return DEFAULT_TIMEOUT if self.timeout is None else self.timeout

    @property
    def effective_max_retries(self) -> int:
        return DEFAULT_MAX_RETRIES if self.max_retries is None else self.max_retries


@dataclass(frozen=True)
class Credentials:
    """What a client needs to talk to one organization."""

    api_key: str = field(repr=False)
    org: str
    base_url: str


def resolve_credentials(options: ConnectionOptions, environ: Mapping[str, str]) -> Credentials:
    """Flags over environment; a missing key or org is an auth error (exit 10)."""
    from fruxon_core.config import DEFAULT_BASE_URL  # only when connecting: keeps --help light

    api_key = options.api_key or environ.get(ENV_API_KEY, "")
    org = options.org or environ.get(ENV_ORG, "")
    base_url = options.base_url or environ.get(ENV_BASE_URL, "") or DEFAULT_BASE_URL
    missing = [
        text
        for value, text in (
            (api_key, f"an API key (--api-key or {ENV_API_KEY})"),
            (org, f"an organization (--org or {ENV_ORG})"),
        )
        if not value
    ]
    if missing:
        raise CliError(
            f"missing {' and '.join(missing)}; or try --emulator to use the bundled emulator",
            ExitCode.AUTH,
        )
    return Credentials(api_key=api_key, org=org, base_url=base_url.rstrip("/"))


def parse_headers(values: Sequence[str]) -> dict[str, str]:
    """``--header 'Name: value'`` items as a dict (later wins)."""
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise CliError(f"--header expects NAME:VALUE, got {value!r}", ExitCode.USAGE)
        headers[name.strip()] = content.strip()
    return headers
