"""Registering plugins on real clients: plugins=, disable_plugins=, entry points, order."""

from __future__ import annotations

import logging
import textwrap

import pytest

from fruxon_core import RetryDecision, ServerError, hookimpl
from fruxon_core.plugins import ApiKeyAuth, LoggingPlugin, RetryPolicy

AGENT = "echo-agent"
EP_MODULE = "fruxon_middleware_tests_ep_plugins"


class SetHeader:
    def __init__(self, value: str) -> None:
        self.value = value

    @hookimpl
    def fruxon_prepare_request(self, request, context):
        return {"X-Order": self.value}


class SetHeaderLast(SetHeader):
    @hookimpl(trylast=True)
    def fruxon_prepare_request(self, request, context):
        return {"X-Order": self.value}


def test_user_plugins_are_registered_and_see_every_attempt(make_client, recorder):
    client = make_client(plugins=[SetHeader("mine"), recorder])
    client.get_agent(AGENT)
    assert recorder.requests[0].header("X-Order") == "mine"
    assert client.plugin_manager.is_registered(recorder)


def test_header_clashes_the_plugin_called_last_wins(make_client, recorder):
    make_client(plugins=[SetHeader("first"), SetHeader("second"), recorder]).get_agent(AGENT)
    make_client(plugins=[SetHeaderLast("last"), SetHeader("first"), recorder]).get_agent(AGENT)
    assert [r.header("X-Order") for r in recorder.requests] == ["first", "last"]


def test_user_plugins_cannot_override_the_builtin_auth_by_accident(make_client, recorder, emulator):
    class StealKey:
        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"X-API-KEY": "fxn_overridden"}

    client = make_client(plugins=[StealKey(), recorder])
    assert client.get_agent(AGENT).id == AGENT
    assert recorder.requests[0].header("X-API-KEY") == emulator.api_key


def test_disabling_the_retry_builtin_turns_retries_off(make_client, server, fault):
    client = make_client(disable_plugins=["retry"], max_retries=5)
    assert client.plugin_manager.get_plugin("retry") is None
    with pytest.raises(ServerError):
        client.with_options(headers=fault("status=503; times=1")).get_agent(AGENT)
    assert server.get_agents() == 1


def test_a_builtin_replaced_by_your_own(make_client, server, fault, recorder):
    class RetryEverything:
        name = "retry"

        @hookimpl(trylast=True)
        def fruxon_retry_decision(self, error, context):
            return RetryDecision.after(0)

    client = make_client(disable_plugins=["retry"], plugins=[RetryEverything(), recorder])
    assert isinstance(client.plugin_manager.get_plugin("retry"), RetryEverything)
    agent = client.with_options(headers=fault("status=500; times=2")).get_agent(AGENT)
    assert agent.id == AGENT
    assert recorder.statuses == [500, 500, 200]


def test_the_retry_option_replaces_the_policy(make_client):
    policy = RetryPolicy(initial_delay=0.01, max_retry_after=3)
    client = make_client(retry=policy)
    assert client.plugin_manager.get_plugin("retry") is policy


def test_the_logging_builtin_can_be_removed(make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    make_client(disable_plugins=["logging"]).get_agent(AGENT)
    assert [r for r in caplog.records if r.name == "fruxon"] == []


def test_the_auth_builtin_can_be_swapped(make_client, emulator, recorder):
    client = make_client(
        api_key="unused",
        disable_plugins=["auth"],
        plugins=[ApiKeyAuth(emulator.api_key, scheme="bearer"), recorder],
    )
    assert client.get_agent(AGENT).id == AGENT
    assert recorder.requests[0].header("X-API-KEY") is None


def test_two_clients_do_not_share_middleware(make_client, recorder):
    first = make_client(plugins=[recorder], log_headers=True)
    second = make_client()
    second.get_agent(AGENT)
    assert recorder.requests == []
    first.get_agent(AGENT)
    assert len(recorder.requests) == 1
    assert first.plugin_manager is not second.plugin_manager
    assert not second.plugin_manager.is_registered(recorder)
    for name in ("auth", "retry", "logging"):
        assert first.plugin_manager.get_plugin(name) is not second.plugin_manager.get_plugin(name)
    logging_plugins = [client.plugin_manager.get_plugin("logging") for client in (first, second)]
    assert [p.log_headers for p in logging_plugins if isinstance(p, LoggingPlugin)] == [True, False]


def test_with_options_keeps_the_clients_plugins(make_client, recorder):
    client = make_client(plugins=[recorder])
    client.with_options(max_retries=0).get_agent(AGENT)
    assert len(recorder.requests) == 1
    assert client.with_options(timeout=5).plugin_manager is client.plugin_manager


# -- entry points: a real installed distribution on sys.path --------------------------------


@pytest.fixture
def installed_plugins(tmp_path, monkeypatch):
    """A fake distribution declaring four ``fruxon`` entry points, one of each outcome."""
    (tmp_path / f"{EP_MODULE}.py").write_text(
        textwrap.dedent(
            """
            from fruxon_core import hookimpl

            class Tagger:
                @hookimpl
                def fruxon_prepare_request(self, request, context):
                    return {"X-Entry-Point": "tagger"}

            class Exploding:
                def __init__(self):
                    raise RuntimeError("cannot start")

            class WrongSignature:
                @hookimpl
                def fruxon_on_response(self, response, context, surprise):
                    pass
            """
        )
    )
    dist = tmp_path / "fruxon_middleware_tests_ep-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fruxon-middleware-tests-ep\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""
            [fruxon]
            tagger = {EP_MODULE}:Tagger
            missing = {EP_MODULE}_does_not_exist:Plugin
            exploding = {EP_MODULE}:Exploding
            wrong = {EP_MODULE}:WrongSignature
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("FRUXON_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield
    import sys

    sys.modules.pop(EP_MODULE, None)


def test_entry_point_plugins_are_loaded_and_broken_ones_skipped(
    installed_plugins, make_client, recorder, caplog
):
    caplog.set_level(logging.WARNING, logger="fruxon")
    client = make_client(load_entrypoints=True, plugins=[recorder])
    manager = client.plugin_manager
    assert type(manager.get_plugin("tagger")).__name__ == "Tagger"
    for broken in ("missing", "exploding", "wrong"):
        assert manager.get_plugin(broken) is None
        assert f"skipping fruxon plugin {broken!r}" in caplog.text
    assert client.get_agent(AGENT).id == AGENT
    assert recorder.requests[0].header("X-Entry-Point") == "tagger"


def test_entry_points_can_be_disabled_by_name(installed_plugins, make_client, recorder):
    client = make_client(load_entrypoints=True, disable_plugins=["tagger"], plugins=[recorder])
    client.get_agent(AGENT)
    assert recorder.requests[0].header("X-Entry-Point") is None


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_entry_point_autoload_can_be_switched_off(
    installed_plugins, make_client, monkeypatch, how, caplog
):
    caplog.set_level(logging.WARNING, logger="fruxon")
    if how == "environment":
        monkeypatch.setenv("FRUXON_DISABLE_PLUGIN_AUTOLOAD", "1")
        client = make_client(load_entrypoints=True)
    else:
        client = make_client(load_entrypoints=False)
    assert client.plugin_manager.get_plugin("tagger") is None
    assert caplog.records == []  # nothing was even imported
