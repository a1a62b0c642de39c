"""`fruxon chat`: a real pseudo-terminal conversation, plus piped input."""

from __future__ import annotations

import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest
from cli_harness import FAULT, Cli

from fruxon_emulator import EmulatorServer

# pexpect forks a pty child that execs `fruxon` at once; Python 3.12+ warns about
# forking a process that has threads (the emulator's), which an immediate exec makes moot.
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning"
)

PROMPT = "you › "
SpawnChat = Callable[..., "pexpect.spawn"]


@pytest.fixture
def spawn_chat(fruxon_emulator: EmulatorServer) -> Iterator[SpawnChat]:
    children: list[pexpect.spawn] = []

    def spawn(*args: str, stdout: Path | None = None) -> pexpect.spawn:
        """``fruxon chat ARGS`` on a pseudo-terminal (its stdout redirected to a file if given)."""
        env = {
            **os.environ,
            "FRUXON_API_KEY": fruxon_emulator.api_key,
            "FRUXON_ORG": fruxon_emulator.org,
            "FRUXON_BASE_URL": fruxon_emulator.base_url,
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
        env.pop("FORCE_COLOR", None)
        command = [sys.executable, "-m", "fruxon_cli", "chat", *args]
        if stdout is not None:
            command = ["sh", "-c", 'exec "$@" > "$0"', str(stdout), *command]
        child = pexpect.spawn(
            command[0],
            command[1:],
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 200),
        )
        children.append(child)
        return child

    yield spawn
    for child in children:
        child.close(force=True)


def test_two_turn_conversation_remembers_the_first_then_ctrl_d_exits_0(
    spawn_chat: SpawnChat,
) -> None:
    child = spawn_chat("support-agent")
    child.expect_exact("your messages go to 'question'")
    child.expect_exact(PROMPT)
    child.sendline("How do I reset my password?")
    child.expect_exact(
        "support-agent › [rev 3] Turn 1: I found 3 knowledge-base articles about "
        '"How do I reset my password?"'
    )
    child.expect(r"\d+ms · \$\d+\.\d{4} · [0-9a-f-]{36}")
    child.expect_exact(PROMPT)
    child.sendline("And on the mobile app?")
    child.expect_exact(
        'Turn 2: Following up on "How do I reset my password?" - about "And on the mobile app?"'
    )
    child.expect_exact(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_with_stdout_redirected_the_prompt_goes_to_the_terminal_not_the_file(
    spawn_chat: SpawnChat, tmp_path: Path
) -> None:
    saved = tmp_path / "replies.txt"
    child = spawn_chat("echo-agent", "-i", "message", stdout=saved)
    child.expect_exact(PROMPT)  # on stderr, which is still the terminal
    child.sendline("hello")
    child.expect_exact(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    replies = saved.read_text(encoding="utf-8")
    assert "Echo (turn 1): hello" in replies
    assert PROMPT not in replies


def test_ctrl_c_stops_a_reply_and_returns_to_the_prompt(spawn_chat: SpawnChat) -> None:
    child = spawn_chat("slow-agent")
    child.expect_exact(PROMPT)
    child.sendintr()  # at the prompt: a hint, and the chat goes on
    child.expect_exact("(Ctrl-D to quit)")
    child.expect_exact(PROMPT)
    child.sendline(" ".join(f"word{i}" for i in range(200)))
    child.expect_exact("slow-agent › Slowly")
    child.sendintr()
    child.expect_exact("(reply stopped)")
    child.expect_exact(PROMPT)
    assert "word199" not in (child.before or "")
    child.sendline("again")
    child.expect_exact("(one word at a time)")
    child.expect_exact(PROMPT)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


SUMMARY = r"\d+ms · \$\d+\.\d{4} · [0-9a-f-]{36}"


def test_piped_chat_threads_the_session_and_writes_only_replies_to_stdout(cli: Cli) -> None:
    result = cli.ok("chat", "echo-agent", input="first\n\nsecond\n")
    lines = result.stdout.splitlines()
    assert len(lines) == 4, lines
    assert lines[0] == "echo-agent › Echo (turn 1): first"
    assert lines[2] == 'echo-agent › Echo (turn 2, previously "first"): second'
    assert all(re.fullmatch(SUMMARY, line) for line in lines[1::2]), lines
    assert PROMPT not in result.output  # no prompts at all when stdin is not a terminal
    assert "Chatting with echo-agent" in result.stderr


def test_a_dropped_turn_does_not_end_the_chat(cli: Cli) -> None:
    fault = f"{FAULT}: drop_after=2; times=1; key={uuid.uuid4()}"
    result = cli("chat", "echo-agent", "-i", "message", "--header", fault, input="one\ntwo\n")
    assert result.exit_code == 0, result.output
    assert "the connection was lost after 2 events" in result.stderr
    assert "Echo (turn 1): two" in result.stdout


def test_chat_needs_to_know_the_message_parameter(cli: Cli) -> None:
    result = cli.ok("chat", "echo-agent", "--input-param", "message", input="hi\n")
    assert "Echo (turn 1): hi" in result.stdout
    assert cli("chat", "nope", input="hi\n").exit_code == 11


def test_a_failing_turn_does_not_end_the_chat(cli: Cli) -> None:
    fault = f"{FAULT}: error_after=1; times=1; key={uuid.uuid4()}"
    result = cli("chat", "echo-agent", "-i", "message", "--header", fault, input="one\ntwo\n")
    assert result.exit_code == 0, result.output
    assert "Error: the run failed" in result.stderr
    assert "Echo (turn 1): two" in result.stdout
