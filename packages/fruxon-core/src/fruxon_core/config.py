"""Client configuration shared by every transport."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ._version import __version__
from .http import Timeout, check_headers, header_value_problem
from .redaction import mask_secret

__all__ = ["DEFAULT_BASE_URL", "ClientConfig", "Secret", "user_agent"]

DEFAULT_BASE_URL = "https://api.fruxon.com"


class Secret:
    """A string that never shows itself in ``repr``, ``str`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        """The real value, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask_secret(self._value)!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def user_agent(transport: str, transport_version: str) -> str:
    """``fruxon-python/<version> <transport>/<version> python/<version>``."""
    return (
        f"fruxon-python/{__version__} {transport}/{transport_version} "
        f"python/{platform.python_version()}"
    )


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs to turn an operation into a request.

    ``max_retries`` and ``timeout`` can be overridden per call through
    ``client.with_options(...)``, which copies this config.
    """

    api_key: Secret
    org: str
    base_url: str = DEFAULT_BASE_URL
    timeout: Timeout = field(default_factory=Timeout)
    max_retries: int = 2
    default_headers: Mapping[str, str] = field(default_factory=dict)
    user_agent: str = ""

    def __post_init__(self) -> None:
        from .endpoints import check_segment

        if not self.org:
            raise ValueError("org must be a non-empty organization identifier")
        check_segment("org", self.org)
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.default_headers:
            check_headers(self.default_headers, "in default_headers / with_options(headers=...)")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def check_api_key(self) -> None:
        """Raise ``ValueError`` (never showing the key) if the key cannot be sent in a header."""
        key = self.api_key.get_secret_value()
        if not isinstance(key, str):
            raise TypeError(f"api_key must be a str, got {type(key).__name__}")
        problem = header_value_problem(key)
        if problem is not None:
            raise ValueError(
                f"api_key cannot be sent in an HTTP header: it contains {problem} (the key "
                "is not shown). Check where the key was read from -- a trailing newline from "
                "a file or an environment variable is the usual cause -- or mint a new key."
            )

    @property
    def api_prefix(self) -> str:
        """The URL every operation path is appended to."""
        from .endpoints import quote_segment

        return f"{self.base_url}/v1/tenants/{quote_segment(self.org)}"

    def with_options(
        self,
        *,
        timeout: Timeout | float | object | None = ...,
        max_retries: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """A copy with the given settings changed (``...`` means "keep")."""
        changes: dict[str, Any] = {}
        if timeout is not ...:
            changes["timeout"] = Timeout.of(timeout)  # type: ignore[arg-type]
        if max_retries is not None:
            changes["max_retries"] = max_retries
        if headers:
            changes["default_headers"] = {**self.default_headers, **headers}
        return replace(self, **changes)
