"""Built-in authentication plugin: the API key header on every request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from fruxon_core.config import Secret
from fruxon_core.hooks import hookimpl
from fruxon_core.http import Request
from fruxon_core.pipeline import CallContext

__all__ = ["ApiKeyAuth"]


class ApiKeyAuth:
    """Sends the API key as ``X-API-KEY`` (the seed's scheme) or as a Bearer token."""

    name = "auth"

    def __init__(
        self, api_key: Secret | str, *, scheme: Literal["x-api-key", "bearer"] = "x-api-key"
    ) -> None:
        self._api_key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self._scheme = scheme

    def __repr__(self) -> str:
        return f"ApiKeyAuth(api_key={self._api_key!r}, scheme={self._scheme!r})"

    @hookimpl
    def fruxon_prepare_request(self, request: Request, context: CallContext) -> Mapping[str, str]:
        key = self._api_key.get_secret_value()
        if self._scheme == "bearer":
            return {"Authorization": f"Bearer {key}"}
        return {"X-API-KEY": key}
