"""Demo pacing (issue #14): `fruxon-emulator serve` streams text at a model's
pace so streaming is visible in a terminal; the pytest fixtures stay instant.

The pause shows in the trace, deterministically: an answer step lasts the
script's `llm_latency_ms` plus the pacing between its chunks.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from fruxon_emulator import ConfigError, EmulatorServer, default_config, parse_config
from fruxon_emulator.cli import SERVE_PACING_MS, _serve_pacing, main

SUPPORT_LATENCY_MS = 420  # support-agent's llm_latency_ms in the shipped config
QUESTION = {"parameters": {"question": "How do I reset my password?"}}


def answer_step(frames: list[tuple[str, Any]]) -> dict[str, Any]:
    steps = [data for name, data in frames if name == "step_trace"]
    step: dict[str, Any] = next(s for s in steps if s["id"].endswith("-llm-answer"))
    return step


def chunks(frames: list[tuple[str, Any]]) -> list[str]:
    return [data["chunk"] for name, data in frames if name == "text"]


def test_the_session_fixture_is_unpaced(fruxon_emulator: EmulatorServer, api: Any) -> None:
    assert fruxon_emulator.pacing_ms == 0
    _, frames = api.stream_frames("agents/support-agent:stream", QUESTION)
    assert len(chunks(frames)) > 10
    assert answer_step(frames)["duration"] == SUPPORT_LATENCY_MS  # no pause between chunks


def test_the_factory_is_unpaced_whatever_the_config_says(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    config = {
        "emulator": {"default_pacing_ms": 500},
        "tenants": {"t": {"api_keys": ["k"]}},
        "agents": {"a": {"script": {"reply": "one two three", "llm_latency_ms": 10}}},
    }
    api = make_api(fruxon_emulator_factory(config))
    _, frames = api.stream_frames("agents/a:stream")
    assert answer_step(frames)["duration"] == 10
    paced = make_api(fruxon_emulator_factory(config, pacing_ms=None))  # opt in to the config's
    _, frames = paced.stream_frames("agents/a:stream")
    assert answer_step(frames)["duration"] == 10 + 2 * 500


def test_a_paced_server_paces_agents_without_their_own(make_api: Any) -> None:
    with EmulatorServer(pacing_ms=40) as server:
        api = make_api(server)
        started = time.monotonic()
        _, frames = api.stream_frames("agents/support-agent:stream", QUESTION)
        elapsed_ms = (time.monotonic() - started) * 1000
        gaps = len(chunks(frames)) - 1
        assert answer_step(frames)["duration"] == SUPPORT_LATENCY_MS + 40 * gaps
        assert elapsed_ms >= 40 * gaps * 0.9  # the pauses really happened
        body = api.post("agents/support-agent:execute", QUESTION).json()
        answer = body["trace"]["traces"][0]["steps"][-1]
        assert answer["duration"] == SUPPORT_LATENCY_MS + 40 * gaps

        for agent, latency in (("echo-agent", 90), ("count-agent", 5)):  # pacing_ms = 0
            _, frames = api.stream_frames(f"agents/{agent}:stream")
            assert answer_step(frames)["duration"] == latency, agent
        _, frames = api.stream_frames("agents/slow-agent:stream")  # keeps its own 50 ms
        assert answer_step(frames)["duration"] == 300 + 50 * (len(chunks(frames)) - 1)
        override = {"X-Fruxon-Emulator-Fault": "pacing_ms=0"}  # the fault header still wins
        _, frames = api.stream_frames("agents/support-agent:stream", QUESTION, override)
        assert answer_step(frames)["duration"] == SUPPORT_LATENCY_MS


def test_serve_paces_by_default() -> None:
    config = default_config()
    assert config.default_pacing_ms is None
    assert _serve_pacing(None, config) == SERVE_PACING_MS == 30
    assert _serve_pacing(0, config) == 0
    configured = parse_config('[emulator]\ndefault_pacing_ms = 12\n[tenants.t]\napi_keys=["k"]\n')
    assert _serve_pacing(None, configured) == 12
    assert _serve_pacing(7, configured) == 7


@pytest.mark.parametrize("value", ["-1", "fast", "10001"])
def test_serve_rejects_a_bad_pacing(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--pacing-ms", value])
    assert exited.value.code == 2
    assert "--pacing-ms" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    [
        "[emulator]\ndefault_pacing_ms = -5\n",
        "[emulator]\ndefault_pacing_ms = 20000\n",
        "[emulator]\ndefault_pacing_ms = 'slow'\n",
        "[agents.a.script]\npacing_ms = -1\n",
    ],
)
def test_config_rejects_a_bad_pacing(text: str) -> None:
    with pytest.raises(ConfigError, match="pacing_ms"):
        parse_config(f'[tenants.t]\napi_keys=["k"]\n{text}')


def test_the_serve_command_streams_at_the_demo_pace(make_api: Any) -> None:
    command = [sys.executable, "-m", "fruxon_emulator.cli", "serve", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            banner = [server.stdout.readline() for _ in range(5)]
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", banner[0])
            assert found, banner
            assert banner[4].split() == ["pacing:", "30", "ms", "between", "text", "chunks"]

            class Listening:
                port = int(found.group(1))
                org = "acme-corp"
                api_key = "fxn_emulator_demo_key"

            api = make_api(Listening())
            _, frames = api.stream_frames("agents/support-agent:stream", QUESTION)
            gaps = len(chunks(frames)) - 1
            assert answer_step(frames)["duration"] == SUPPORT_LATENCY_MS + 30 * gaps
        finally:
            server.send_signal(signal.SIGINT)
            assert server.wait(timeout=15) == 0


def test_the_support_agent_prints_the_link_it_promises(api: Any) -> None:
    first = api.post("agents/support-agent:execute", QUESTION).json()
    assert first["response"] == (
        '[rev 3] Turn 1: I found 3 knowledge-base articles about "How do I reset my password?".'
        " The best match is KB-1042: https://kb.example.invalid/articles/kb-1042"
    )
    assert [link["fileId"] for link in first["links"]] == ["kb-1042"]
    follow_up = api.post(
        "agents/support-agent:execute",
        {"parameters": {"question": "And on mobile?"}, "sessionId": first["sessionId"]},
    ).json()
    assert follow_up["response"].endswith(
        "KB-1042 covers it too (https://kb.example.invalid/articles/kb-1042)."
    )
    assert "linked" not in first["response"] + follow_up["response"]
