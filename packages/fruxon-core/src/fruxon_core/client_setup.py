"""What both clients' constructors do, written once: arguments in, a :class:`Pipeline` out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from .config import DEFAULT_BASE_URL, ClientConfig, Secret
from .http import Timeout
from .pipeline import Pipeline
from .plugins import (
    ApiKeyAuth,
    BearerTokenAuth,
    LoggingPlugin,
    RetryPolicy,
    TokenProvider,
    create_plugin_manager,
)

__all__ = ["ACTOR_HEADER", "AuthOption", "build_pipeline", "resolve_auth", "resolve_identity"]

#: Names who (or what tool) makes the calls; the platform records it on what they change.
ACTOR_HEADER = "X-Fruxon-Actor"

#: ``auth=``: an auth plugin (anything with ``fruxon_prepare_request``) or a token provider.
AuthOption = TokenProvider


def resolve_identity(
    api_key: str | None, org: str | None, token: str | None, workspace: str | None
) -> tuple[str | None, str]:
    """``(api_key, org)`` from the constructor's arguments and their 2.0.2 aliases.

    ``token=`` is ``api_key=`` and ``workspace=`` is ``org=`` under the names
    the official 2.0.2 client uses; giving both names of one setting with
    different values is an error.
    """
    if token is not None:
        if api_key is not None and api_key != token:
            raise TypeError("pass api_key= or its alias token=, not both")
        api_key = token
    if workspace is not None:
        if org is not None and org != workspace:
            raise TypeError("pass org= or its alias workspace=, not both")
        org = workspace
    if org is None:
        raise TypeError("org is required: your organization's id, e.g. org='acme-corp'")
    return api_key, org


def build_pipeline(
    *,
    api_key: str | Secret | None,
    org: str,
    base_url: str = DEFAULT_BASE_URL,
    timeout: Timeout | float | None = 120.0,
    max_retries: int = 2,
    default_headers: Mapping[str, str] | None = None,
    auth_scheme: Literal["x-api-key", "bearer"] = "x-api-key",
    auth: AuthOption | None = None,
    retry: RetryPolicy | None = None,
    plugins: Iterable[object] = (),
    disable_plugins: Iterable[str] = (),
    load_entrypoints: bool = True,
    log_headers: bool = False,
    actor: str | None = None,
    transport: str,
    transport_version: str,
    is_async: bool,
) -> Pipeline:
    """Validate the arguments and register the built-in plugins for a new client.

    ``auth`` replaces the API-key plugin: pass an auth plugin, or a token
    provider for :class:`BearerTokenAuth` (``api_key`` is then not sent).
    ``retry`` replaces the default :class:`RetryPolicy` (backoff and bounds);
    how many retries a call may take is ``max_retries``. ``actor`` is sent as
    ``X-Fruxon-Actor`` (a ``default_headers`` entry of that name wins).
    """
    secret = api_key if isinstance(api_key, Secret) else Secret(api_key or "")
    if not secret and auth is None:
        raise ValueError(
            "api_key is empty: pass your Fruxon API key (api_key=...), "
            "or auth=... for another way to authenticate"
        )
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(
            f"base_url must start with http:// or https:// (got {base_url!r}), "
            "e.g. 'https://api.fruxon.com' or 'http://127.0.0.1:8787'"
        )
    config = ClientConfig(
        api_key=secret,
        org=org,
        base_url=base_url,
        timeout=Timeout.of(timeout),
        max_retries=max_retries,
        default_headers=_with_actor(default_headers, actor),
    )
    if auth is None:  # the key is sent: refuse one HTTP cannot carry now, not at the first call
        config.check_api_key()
    builtins: dict[str, object] = {
        "auth": resolve_auth(auth, secret, auth_scheme),
        "retry": RetryPolicy() if retry is None else retry,
        "logging": LoggingPlugin(log_headers=log_headers),
    }
    manager = create_plugin_manager(
        builtins=builtins,
        plugins=plugins,
        disable_plugins=disable_plugins,
        load_entrypoints=load_entrypoints,
    )
    return Pipeline(
        config,
        manager,
        transport=transport,
        transport_version=transport_version,
        is_async=is_async,
    )


def resolve_auth(
    auth: AuthOption | None, api_key: Secret, scheme: Literal["x-api-key", "bearer"]
) -> object:
    """The plugin to register as ``"auth"`` for a client's ``auth=`` argument."""
    if auth is None:
        return ApiKeyAuth(api_key, scheme=scheme)
    if hasattr(auth, "fruxon_prepare_request"):
        return auth
    return BearerTokenAuth(auth)


def _with_actor(headers: Mapping[str, str] | None, actor: str | None) -> dict[str, str]:
    merged = dict(headers or {})
    if actor is None:
        return merged
    if not isinstance(actor, str) or not actor.strip() or "\r" in actor or "\n" in actor:
        raise ValueError(f"actor must be a non-empty single-line string, got {actor!r}")
    if not any(name.lower() == ACTOR_HEADER.lower() for name in merged):
        merged[ACTOR_HEADER] = actor.strip()
    return merged
