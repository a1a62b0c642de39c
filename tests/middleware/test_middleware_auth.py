"""Authentication plugins over real sockets: API key, Bearer tokens from a provider, 401 refresh."""

from __future__ import annotations

import time

import pytest

from fruxon_core import AuthenticationError, hookimpl
from fruxon_core.plugins import AccessToken, ApiKeyAuth, BearerTokenAuth
from tests.registry import BY_NAME

AGENT = "echo-agent"
WRONG = "fxn_not_a_key"


class ScriptedProvider:
    """Hands out the given tokens in order (the last one forever); counts sync/async asks."""

    def __init__(self, *tokens: str | AccessToken) -> None:
        self.tokens = list(tokens)
        self.asked: list[str] = []

    def _next(self) -> str | AccessToken:
        return self.tokens.pop(0) if len(self.tokens) > 1 else self.tokens[0]

    def get_token(self) -> str | AccessToken:
        self.asked.append("sync")
        return self._next()

    async def aget_token(self) -> str | AccessToken:
        self.asked.append("async")
        return self._next()


def _expected_way(transport: str) -> str:
    return "async" if BY_NAME[transport].is_async else "sync"


def test_default_auth_is_the_api_key_header(make_client, recorder, emulator):
    client = make_client(plugins=[recorder])
    client.get_agent(AGENT)
    [request] = recorder.requests
    assert request.header("X-API-KEY") == emulator.api_key
    assert request.header("Authorization") is None


def test_bearer_scheme_with_the_api_key(make_client, recorder, emulator):
    client = make_client(auth_scheme="bearer", plugins=[recorder])
    assert client.get_agent(AGENT).id == AGENT
    assert recorder.requests[0].header("Authorization") == f"Bearer {emulator.api_key}"
    assert recorder.requests[0].header("X-API-KEY") is None


def test_token_provider_is_asked_again_after_a_401(
    make_client, server, emulator, transport, recorder
):
    provider = ScriptedProvider(WRONG, emulator.api_key)
    client = make_client(api_key=None, auth=provider, plugins=[recorder])
    result = client.execute(AGENT, parameters={"message": "hi"})
    assert result.response == "Echo (turn 1): hi"
    assert result.retries == 1  # the refresh is a retry, counted like any other
    way = _expected_way(transport)
    assert provider.asked == [way, way]
    assert [r.header("Authorization") for r in recorder.requests] == [
        f"Bearer {WRONG}",
        f"Bearer {emulator.api_key}",
    ]
    assert recorder.statuses == [401, 200]
    assert server.executes() == 2
    assert server.runs(AGENT) == 1

    client.execute(AGENT)  # the fresh token is cached
    assert provider.asked == [way, way]


def test_a_second_401_in_one_call_raises(make_client, server):
    provider = ScriptedProvider(WRONG)
    client = make_client(api_key=None, auth=provider)
    with pytest.raises(AuthenticationError) as caught:
        client.get_agent(AGENT)
    assert caught.value.retries == 1
    assert len(provider.asked) == 2
    assert server.get_agents() == 2


def test_with_max_retries_0_the_401_raises_and_the_next_call_refreshes(make_client, emulator):
    provider = ScriptedProvider(WRONG, emulator.api_key)
    client = make_client(api_key=None, auth=provider, max_retries=0)
    with pytest.raises(AuthenticationError):
        client.get_agent(AGENT)
    assert client.get_agent(AGENT).id == AGENT
    assert len(provider.asked) == 2


def test_an_expired_token_is_replaced_before_sending(make_client, emulator):
    provider = ScriptedProvider(
        AccessToken(emulator.api_key, expires_at=time.time() + 10),  # inside the margin
        AccessToken(emulator.api_key, expires_at=time.time() + 3600),
    )
    client = make_client(api_key=None, auth=BearerTokenAuth(provider, refresh_margin=30))
    for _ in range(3):
        client.get_agent(AGENT)
    assert len(provider.asked) == 2  # the first token was stale at once; the second lasts


def test_a_plain_function_is_a_provider(make_client, emulator):
    asked = []

    def provider() -> str:
        asked.append(1)
        return emulator.api_key

    client = make_client(api_key=None, auth=provider)
    client.get_agent(AGENT)
    client.get_agent(AGENT)
    assert asked == [1]


def test_an_async_provider_works_only_in_the_async_client(make_client, emulator, transport):
    async def provider() -> str:
        return emulator.api_key

    client = make_client(api_key=None, auth=provider)
    if BY_NAME[transport].is_async:
        assert client.get_agent(AGENT).id == AGENT
    else:
        with pytest.raises(TypeError, match="only has an async aget_token"):
            client.get_agent(AGENT)


def test_a_sync_only_provider_also_serves_the_async_client(make_client, emulator):
    class SyncOnly:
        def get_token(self) -> str:
            return emulator.api_key

    assert make_client(api_key=None, auth=SyncOnly()).get_agent(AGENT).id == AGENT


def test_an_auth_plugin_replaces_the_api_key(make_client, recorder, emulator):
    client = make_client(api_key="ignored", auth=ApiKeyAuth(emulator.api_key), plugins=[recorder])
    client.get_agent(AGENT)
    assert recorder.requests[0].header("X-API-KEY") == emulator.api_key


def test_a_provider_object_that_is_neither_is_rejected(make_client):
    with pytest.raises(TypeError, match="token provider"):
        make_client(api_key=None, auth=object())


class AsyncHeaderPlugin:
    """A prepare hook that has to await something: allowed only in the async client."""

    @hookimpl
    def fruxon_prepare_request(self, request, context):
        async def headers():
            return {"X-Async-Header": "yes"}

        return headers()


def test_awaitable_hook_results_are_awaited_async_and_rejected_sync(
    make_client, recorder, transport, server
):
    client = make_client(plugins=[AsyncHeaderPlugin(), recorder])
    if BY_NAME[transport].is_async:
        client.get_agent(AGENT)
        assert recorder.requests[0].header("X-Async-Header") == "yes"
    else:
        with pytest.raises(TypeError, match="the sync client cannot await it"):
            client.get_agent(AGENT)
        assert server.get_agents() == 0
