"""A run that pauses for approval, decided in a real pseudo-terminal: `fruxon run` and `chat`.

With a person at the keyboard the CLI shows what the agent asks to do and asks
y / n / Enter; it then answers the approval request, waits for the run's end
and prints the final result. Piped input (no terminal) never asks.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

import pexpect
import pytest
from cli_harness import Cli

from fruxon_emulator import EmulatorServer

pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded, use of forkpty:DeprecationWarning"
)

QUESTION = "Approve? [y]es, [n]o, Enter to leave it waiting › "
RECORD = r"[0-9a-f-]{36}"
Spawn = Callable[..., "pexpect.spawn"]


@pytest.fixture
def spawn(fruxon_emulator: EmulatorServer) -> Iterator[Spawn]:
    children: list[pexpect.spawn] = []

    def start(*args: str) -> pexpect.spawn:
        env = {
            **os.environ,
            "FRUXON_API_KEY": fruxon_emulator.api_key,
            "FRUXON_ORG": fruxon_emulator.org,
            "FRUXON_BASE_URL": fruxon_emulator.base_url,
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
        env.pop("FORCE_COLOR", None)
        child = pexpect.spawn(
            sys.executable,
            ["-m", "fruxon_cli", *args],
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(40, 200),
        )
        children.append(child)
        return child

    yield start
    for child in children:
        child.close(force=True)


def _ended(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus or 0)


def test_run_asks_then_approves_and_prints_the_final_answer(spawn: Spawn) -> None:
    child = spawn("run", "approval-agent", "-p", "request=Refund order 77")
    child.expect_exact("Drafted: Refund order 77. Waiting for a human to approve.")
    child.expect_exact("⏸ Waiting for human approval · approval request")
    child.expect_exact("Approve this refund? Refund order 77")
    child.expect_exact("payments.issue_refund(")
    child.expect_exact(QUESTION)
    child.sendline("y")
    child.expect_exact("Approved; waiting for the run to finish…")
    child.expect_exact("Done: Refund order 77 (approved by cli).")
    child.expect(rf"COMPLETED · \d+ms · \$\d+\.\d{{4}} · {RECORD}")
    assert _ended(child) == 0


def test_run_rejects_with_a_reason(spawn: Spawn, cli: Cli) -> None:
    child = spawn("run", "approval-agent", "--no-stream")
    child.expect_exact(QUESTION)
    child.sendline("n")
    child.expect_exact("Reason (optional) › ")
    child.sendline("over budget")
    child.expect_exact("Rejected; waiting for the run to end…")
    child.expect(rf"REJECTED · \d+ms · \$\d+\.\d{{4}} · ({RECORD})")
    record = child.match.group(1)
    assert _ended(child) == 0
    shown = cli.json("runs", "get", "approval-agent", record)
    assert shown["rejectionDetail"] == "reject: over budget"


def test_enter_leaves_the_run_waiting(spawn: Spawn, cli: Cli) -> None:
    child = spawn("run", "approval-agent")
    child.expect(rf"approval request ({RECORD}) · record ({RECORD})")
    approval = child.match.group(1)
    child.expect_exact(QUESTION)
    child.sendline("")
    child.expect_exact("Left waiting: answer it later with `fruxon approvals`.")
    assert _ended(child) == 0
    assert approval in {item["id"] for item in cli.json("approvals", "list")}


def test_chat_asks_then_goes_on_with_the_conversation(spawn: Spawn) -> None:
    child = spawn("chat", "approval-agent")
    child.expect_exact("you › ")
    child.sendline("Refund order 5")
    child.expect_exact("approval-agent › Drafted: Refund order 5.")
    child.expect_exact(QUESTION)
    child.sendline("yes")
    child.expect_exact("Done: Refund order 5 (approved by cli).")
    child.expect_exact("you › ")
    child.sendeof()
    assert _ended(child) == 0


def test_piped_input_never_asks(cli: Cli) -> None:
    result = cli.ok("chat", "approval-agent", input="Refund order 6\n")
    assert "Approve?" not in result.output
    assert "⏸ Waiting for human approval" in result.stdout
    assert "Approve?" not in cli.ok("run", "approval-agent").output
