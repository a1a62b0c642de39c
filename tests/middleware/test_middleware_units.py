"""Offline checks of the middleware building blocks: URL redaction, token caching, agent ids."""

from __future__ import annotations

import pytest

from fruxon_core import AuthenticationError
from fruxon_core import operations as ops
from fruxon_core.client_setup import build_pipeline
from fruxon_core.plugins import AccessToken, BearerTokenAuth
from fruxon_core.redaction import REDACTED, redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.fruxon.com/v1/x", "https://api.fruxon.com/v1/x"),
        (
            "https://user:pw@api.fruxon.com/v1/x",
            f"https://{REDACTED}:{REDACTED}@api.fruxon.com/v1/x",
        ),
        (
            "https://api.fruxon.com/v1/agents?query=a+b&pageSize=100&access_token=s3cr3t",
            f"https://api.fruxon.com/v1/agents?query=a+b&pageSize=100&access_token={REDACTED}",
        ),
        ("http://h:8080/p?sig=abc&tags=x&tags=y", f"http://h:8080/p?sig={REDACTED}&tags=x&tags=y"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_url_with_an_extra_allowlist():
    assert redact_url("http://h/p?trace=1&key=2", allow_query=["Trace"]) == (
        f"http://h/p?trace=1&key={REDACTED}"
    )


def test_access_token_repr_hides_the_token():
    token = AccessToken("tok-secret", expires_at=5.0)
    assert "tok-secret" not in repr(token)
    assert "expires_at=5.0" in repr(token)
    auth = BearerTokenAuth(lambda: "tok-secret")
    _pipeline(auth).runner(ops.get_agent("a")).prepare()
    assert "tok-secret" not in repr(auth)


def _pipeline(provider):
    return build_pipeline(
        api_key=None,
        org="acme",
        auth=provider,
        transport="test",
        transport_version="1",
        is_async=False,
        load_entrypoints=False,
    )


def test_a_stale_401_does_not_drop_a_token_refreshed_meanwhile():
    tokens = iter(["t1", "t2", "t3"])
    pipeline = _pipeline(lambda: next(tokens))
    slow = pipeline.runner(ops.get_agent("a"))
    assert slow.prepare().header("Authorization") == "Bearer t1"
    fast = pipeline.runner(ops.get_agent("a"))
    assert fast.prepare().header("Authorization") == "Bearer t1"

    fast.retry_delay(AuthenticationError(401, "Unauthorized"))
    assert fast.prepare().header("Authorization") == "Bearer t2"
    slow.retry_delay(AuthenticationError(401, "Unauthorized"))  # it used t1, already replaced
    assert slow.prepare().header("Authorization") == "Bearer t2"


def test_the_provider_must_return_a_token():
    runner = _pipeline(lambda: "").runner(ops.get_agent("a"))
    with pytest.raises(TypeError, match="not a token"):
        runner.prepare()


def test_a_sync_provider_returning_an_awaitable_is_rejected_by_the_sync_client():
    async def token():
        return "t"

    class Sneaky:
        def get_token(self):
            return token()

    with pytest.raises(TypeError, match="returned an awaitable"):
        _pipeline(Sneaky()).runner(ops.get_agent("a")).prepare()


@pytest.mark.parametrize(
    ("call", "agent_id"),
    [
        (ops.execute("support agent/1"), "support agent/1"),
        (ops.stream("a:b", 3), "a:b"),
        (ops.get_execution_trace("x", "r1"), "x"),
        (ops.list_agents(), None),
        (ops.get_tool("i", "t"), None),
    ],
)
def test_context_knows_the_agent_id(call, agent_id):
    assert _pipeline(lambda: "t").runner(call).context.agent_id == agent_id
