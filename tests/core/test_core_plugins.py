"""Plugin manager wiring, entry-point discovery and the built-in logging plugin."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import textwrap

import pytest

from fruxon_core import hookimpl
from fruxon_core import operations as ops
from fruxon_core.http import Response
from fruxon_core.plugins import (
    DEBUG_BODIES,
    ENTRY_POINT_GROUP,
    ApiKeyAuth,
    LoggingPlugin,
    RetryPolicy,
    create_plugin_manager,
)
from fruxon_core.plugins import logging as logging_plugin

API_KEY = "fxn_secret"
PLUGIN_MODULE = "fruxon_core_tests_entry_point_plugin"


@pytest.fixture(autouse=True)
def _no_env_plugins_or_logging(monkeypatch):
    monkeypatch.delenv("FRUXON_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    monkeypatch.delenv("FRUXON_LOG", raising=False)


@pytest.fixture
def plugin_module(tmp_path, monkeypatch):
    """An importable module holding a plugin class and a plugin instance."""
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text(
        textwrap.dedent(
            """
            from fruxon_core import hookimpl

            class HeaderPlugin:
                @hookimpl
                def fruxon_prepare_request(self, request, context):
                    return {"X-From-Entry-Point": "class"}

            class _Observer:
                def __init__(self):
                    self.seen = []

                @hookimpl
                def fruxon_on_response(self, response, context):
                    self.seen.append(response.status)

            OBSERVER = _Observer()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield PLUGIN_MODULE
    sys.modules.pop(PLUGIN_MODULE, None)


def _fake_entry_points(monkeypatch, entry_points):
    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        return entry_points

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    return calls


def _ep(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name, value, ENTRY_POINT_GROUP)


def test_entry_point_plugins_are_loaded_and_broken_ones_skipped(
    make_pipeline, plugin_module, monkeypatch, caplog
):
    calls = _fake_entry_points(
        monkeypatch,
        [
            _ep("headers", f"{plugin_module}:HeaderPlugin"),
            _ep("broken", "fruxon_core_tests_no_such_module:Plugin"),
            _ep("observer", f"{plugin_module}:OBSERVER"),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="fruxon"):
        pipeline = make_pipeline(load_entrypoints=True)
    assert calls == [{"group": "fruxon"}]
    manager = pipeline.plugin_manager
    assert manager.get_plugin("broken") is None
    assert type(manager.get_plugin("headers")).__name__ == "HeaderPlugin"  # class instantiated
    observer = sys.modules[plugin_module].OBSERVER
    assert manager.get_plugin("observer") is observer  # instance used as is
    assert "skipping fruxon plugin 'broken'" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.WARNING]

    runner = pipeline.runner(ops.get_agent("a"))
    request = runner.prepare()
    assert request.headers["X-From-Entry-Point"] == "class"
    runner.finish(Response(200, {}, b"{}", request))
    assert observer.seen == [200]


def test_entry_point_plugins_can_be_disabled_by_name(make_pipeline, plugin_module, monkeypatch):
    _fake_entry_points(monkeypatch, [_ep("headers", f"{plugin_module}:HeaderPlugin")])
    pipeline = make_pipeline(load_entrypoints=True, disable_plugins=["headers"])
    assert pipeline.plugin_manager.get_plugin("headers") is None
    assert "X-From-Entry-Point" not in pipeline.runner(ops.get_agent("a")).prepare().headers


def test_entry_point_cannot_shadow_a_builtin(make_pipeline, plugin_module, monkeypatch):
    _fake_entry_points(monkeypatch, [_ep("auth", f"{plugin_module}:HeaderPlugin")])
    pipeline = make_pipeline(load_entrypoints=True)
    assert isinstance(pipeline.plugin_manager.get_plugin("auth"), ApiKeyAuth)


def test_autoload_can_be_switched_off_by_environment(make_pipeline, plugin_module, monkeypatch):
    calls = _fake_entry_points(monkeypatch, [_ep("headers", f"{plugin_module}:HeaderPlugin")])
    monkeypatch.setenv("FRUXON_DISABLE_PLUGIN_AUTOLOAD", "1")
    pipeline = make_pipeline(load_entrypoints=True)
    assert calls == []
    assert pipeline.plugin_manager.get_plugin("headers") is None


def test_load_entrypoints_false_never_looks(make_pipeline, monkeypatch):
    calls = _fake_entry_points(monkeypatch, [])
    make_pipeline(load_entrypoints=False)
    assert calls == []


def test_builtins_are_registered_by_name(make_pipeline):
    manager = make_pipeline().plugin_manager
    assert isinstance(manager.get_plugin("auth"), ApiKeyAuth)
    assert isinstance(manager.get_plugin("retry"), RetryPolicy)
    assert isinstance(manager.get_plugin("logging"), LoggingPlugin)


def test_a_user_plugin_replaces_a_disabled_builtin(make_pipeline):
    pipeline = make_pipeline(
        disable_plugins=["auth"], plugins=[ApiKeyAuth("fxn_other", scheme="bearer")]
    )
    request = pipeline.runner(ops.get_agent("a")).prepare()
    assert request.headers["Authorization"] == "Bearer fxn_other"
    assert "X-API-KEY" not in request.headers
    assert isinstance(pipeline.plugin_manager.get_plugin("auth"), ApiKeyAuth)


def test_a_user_plugin_with_a_taken_name_is_still_registered(make_pipeline):
    class Named:
        name = "retry"

        @hookimpl
        def fruxon_prepare_request(self, request, context):
            return {"X-Named": "1"}

    plugin = Named()
    pipeline = make_pipeline(plugins=[plugin])
    manager = pipeline.plugin_manager
    assert manager.is_registered(plugin)
    assert isinstance(manager.get_plugin("retry"), RetryPolicy)
    assert pipeline.runner(ops.get_agent("a")).prepare().headers["X-Named"] == "1"


def test_create_plugin_manager_directly():
    marker = object()

    class Extra:
        @hookimpl
        def fruxon_on_retry(self, error, delay, context):
            return marker

    manager = create_plugin_manager(
        builtins={"retry": RetryPolicy()},
        plugins=[Extra()],
        disable_plugins=["retry"],
        load_entrypoints=False,
    )
    assert manager.get_plugin("retry") is None
    assert len(manager.get_plugins()) == 1


# -- logging ----------------------------------------------------------------------------


def _exchange(pipeline, call, status=200, body=b'{"id": "a"}'):
    runner = pipeline.runner(call)
    request = runner.prepare()
    try:
        runner.finish(Response(status, {"x-request-id": "r1"}, body, request))
    except Exception as error:
        return runner, error
    return runner, None


def test_logging_plugin_logs_requests_and_responses(make_pipeline, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    pipeline = make_pipeline(log_headers=True, default_headers={"X-Session-Token": "tok-123"})
    _exchange(pipeline, ops.get_agent("my agent"))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    request_line, response_line = messages
    assert request_line.startswith(
        "request GET /v1/tenants/acme%20corp/agents/my%20agent attempt=1 headers="
    )
    # Hooks all see the request before any hook's headers are merged, so the logged
    # headers are the base ones; a secret-bearing default header is redacted.
    assert "'X-Session-Token': 'REDACTED'" in request_line
    assert "tok-123" not in caplog.text
    assert "'Accept': 'application/json'" in request_line
    assert response_line.startswith(
        "response GET /v1/tenants/acme%20corp/agents/my%20agent status=200 duration="
    )
    assert "attempt=1" in response_line
    assert "'x-request-id': 'r1'" in response_line
    assert API_KEY not in caplog.text


def test_logging_plugin_without_headers(make_pipeline, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    _exchange(make_pipeline(), ops.get_agent("a"))
    assert "headers=" not in caplog.text
    assert "status=200" in caplog.text


def test_logging_plugin_logs_retries_with_attempt(make_pipeline, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    runner, error = _exchange(make_pipeline(), ops.get_agent("a"), status=503, body=b"{}")
    runner.retry_delay(error)
    _exchange_again = runner.prepare()
    assert _exchange_again.method == "GET"
    messages = [r.getMessage() for r in caplog.records]
    assert "status=503" in messages[1]
    assert messages[2].startswith(
        "retrying get_agent after ServerError (attempt 1 failed); waiting "
    )
    assert caplog.records[2].levelno == logging.INFO
    assert messages[3].startswith("request GET /v1/tenants/acme%20corp/agents/a attempt=2")
    assert API_KEY not in caplog.text


def test_logging_plugin_logs_bodies_only_at_the_bodies_level(make_pipeline, caplog):
    caplog.set_level(logging.DEBUG, logger="fruxon")
    _exchange(make_pipeline(), ops.execute("a", parameters={"q": "hi"}), body=b'{"response": "ok"}')
    assert "body" not in caplog.text

    caplog.clear()
    caplog.set_level(DEBUG_BODIES, logger="fruxon")
    _exchange(
        make_pipeline(log_headers=True),
        ops.execute("a", parameters={"q": "hi"}),
        body=b'{"response": "ok"}',
    )
    bodies = [r.getMessage() for r in caplog.records if r.levelno == DEBUG_BODIES]
    assert bodies == ['request body {"parameters":{"q":"hi"}}', 'response body {"response": "ok"}']
    assert logging.getLevelName(DEBUG_BODIES) == "DEBUG_BODIES"
    assert API_KEY not in caplog.text


def test_logging_plugin_is_silent_above_debug(make_pipeline, caplog):
    caplog.set_level(logging.INFO, logger="fruxon")
    _exchange(make_pipeline(log_headers=True), ops.get_agent("a"))
    assert caplog.records == []


def test_logging_plugin_with_its_own_logger(make_pipeline, caplog):
    custom = logging.getLogger("fruxon.tests.custom")
    caplog.set_level(logging.DEBUG, logger="fruxon.tests.custom")
    pipeline = make_pipeline(disable_plugins=["logging"], plugins=[LoggingPlugin(logger_=custom)])
    _exchange(pipeline, ops.get_agent("a"))
    assert {r.name for r in caplog.records} == {"fruxon.tests.custom"}


@pytest.fixture
def clean_fruxon_logger():
    logger = logging.getLogger("fruxon")
    handlers, level = list(logger.handlers), logger.level
    had_flag = hasattr(logger, "_fruxon_env_configured")
    if had_flag:
        delattr(logger, "_fruxon_env_configured")
    yield logger
    for handler in logger.handlers[:]:
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)
    if hasattr(logger, "_fruxon_env_configured"):
        delattr(logger, "_fruxon_env_configured")
    if had_flag:
        logger._fruxon_env_configured = True  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("debug", logging.DEBUG),
        (" DEBUG ", logging.DEBUG),
        ("info", logging.INFO),
        ("debug-bodies", DEBUG_BODIES),
    ],
)
def test_configure_logging_from_env(monkeypatch, clean_fruxon_logger, value, level):
    logger = clean_fruxon_logger
    before = list(logger.handlers)
    monkeypatch.setenv("FRUXON_LOG", value)
    logging_plugin.configure_logging_from_env()
    added = [h for h in logger.handlers if h not in before]
    assert len(added) == 1
    assert isinstance(added[0], logging.StreamHandler)
    assert logger.level == level
    logging_plugin.configure_logging_from_env()  # idempotent
    assert len([h for h in logger.handlers if h not in before]) == 1


@pytest.mark.parametrize("value", ["", "verbose", "0"])
def test_configure_logging_ignores_other_values(monkeypatch, clean_fruxon_logger, value):
    logger = clean_fruxon_logger
    before = (list(logger.handlers), logger.level)
    monkeypatch.setenv("FRUXON_LOG", value)
    logging_plugin.configure_logging_from_env()
    assert (list(logger.handlers), logger.level) == before


def test_building_a_client_honours_fruxon_log(make_pipeline, monkeypatch, clean_fruxon_logger):
    before = list(clean_fruxon_logger.handlers)
    monkeypatch.setenv("FRUXON_LOG", "debug")
    make_pipeline()
    assert len(clean_fruxon_logger.handlers) == len(before) + 1
    assert clean_fruxon_logger.level == logging.DEBUG
