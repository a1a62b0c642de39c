"""Every state of a run, handled from code, on every client over real sockets.

A run that pauses for a human is approved, rejected or cancelled through the
approval methods and then followed to its end with ``wait_for_run_end``; its
output comes from ``get_execution_result``. Running runs are listed, stopped
(``cancel_run``: stopped now or asked to stop) and consult waits given up
(``cancel_wait``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core.exceptions import (
    ConflictError,
    FruxonStreamError,
    FruxonTimeoutError,
    InsufficientScopeError,
    NotFoundError,
    ValidationError,
)
from fruxon_core.models import ApprovalRequest, ExecutionRecord, WaitingFor
from fruxon_emulator import EmulatorServer

ClientFactory = Callable[..., Any]

APPROVER_KEY = "fxn_emulator_approver_key"
FAST = {"poll_interval": 0.05, "timeout": 20.0}


def _paused_by_stream(client: Any, request: str = "Refund order 1042") -> Any:
    with client.stream("approval-agent", parameters={"request": request}) as stream:
        for _ in stream:
            pass
        result = stream.final_result
    assert result.waiting_for_human
    return result


# -- approvals --------------------------------------------------------------------------


def test_stream_pause_approve_wait_then_read_the_final_text(client: Any) -> None:
    paused = _paused_by_stream(client)

    approval = client.approve("approval-agent", paused)  # the paused result is enough

    assert isinstance(approval, ApprovalRequest)
    assert approval.id == paused.human_approval_request_id
    assert (approval.status, approval.decision) == ("RESPONDED", "APPROVE")
    assert approval.responded_at > 0
    record = client.wait_for_run_end("approval-agent", paused.execution_record_id, **FAST)
    assert isinstance(record, ExecutionRecord)
    assert record.status == "COMPLETED"
    assert record.waiting_for is None
    stored = client.get_execution_result("approval-agent", paused.execution_record_id)
    assert stored.result.kind == "str"
    assert stored.text == stored.value == "Done: Refund order 1042 (approved by api-key)."
    assert stored.parameters == {"request": "Refund order 1042"}
    assert stored.agent_id == "approval-agent"


def test_stream_pause_reject_ends_the_run_rejected_with_the_reason(client: Any) -> None:
    paused = _paused_by_stream(client)

    approval = client.reject("approval-agent", paused, reason="over the refund limit")

    assert (approval.status, approval.decision) == ("RESPONDED", "REJECT")
    record = client.wait_for_run_end("approval-agent", paused.execution_record_id, **FAST)
    assert record.status == "REJECTED"
    assert record.rejection_reason == "APPROVAL_REJECTED"
    assert record.rejection_detail == "reject: over the refund limit"
    stored = client.get_execution_result("approval-agent", paused.execution_record_id)
    assert stored.result.kind is None
    assert stored.value is None


def test_cancel_a_paused_run_stops_it_now(client: Any) -> None:
    paused = client.execute("approval-agent")

    assert client.cancel_run("approval-agent", paused.execution_record_id, "not needed") is True

    record = client.get_execution_record("approval-agent", paused.execution_record_id)
    assert record.status == "CANCELLED"
    assert record.is_terminal
    approval = client.get_approval("approval-agent", paused.human_approval_request_id)
    assert approval.status == "CANCELLED"
    with pytest.raises(ConflictError) as caught:
        client.cancel_run("approval-agent", paused.execution_record_id)
    assert caught.value.error_code == "run_finished"


def test_cancel_approval_withdraws_it_and_the_run_ends_cancelled(client: Any) -> None:
    paused = client.execute("approval-agent")
    pending = client.get_approval("approval-agent", paused.human_approval_request_id)
    assert pending.is_pending

    cancelled = client.cancel_approval("approval-agent", pending, reason="duplicate")

    assert cancelled.status == "CANCELLED"
    assert not cancelled.is_pending
    record = client.wait_for_run_end("approval-agent", paused.execution_record_id, **FAST)
    assert record.status == "CANCELLED"
    with pytest.raises(ConflictError) as caught:
        client.approve("approval-agent", pending)
    assert caught.value.error_code == "approval_not_pending"


def test_an_approval_is_answered_only_once(client: Any) -> None:
    paused = client.execute("approval-agent")
    client.respond_approval("approval-agent", paused.human_approval_request_id, "approved, go")
    with pytest.raises(ConflictError):
        client.reject("approval-agent", paused)
    record = client.wait_for_run_end("approval-agent", paused.execution_record_id, **FAST)
    assert record.status == "COMPLETED"


def test_pending_approvals_are_listed_by_status_and_agent(client: Any) -> None:
    first = client.execute("approval-agent", parameters={"request": "Refund order 1"})
    second = client.execute("approval-agent", parameters={"request": "Refund order 2"})
    client.approve("approval-agent", second)

    pending = client.list_pending_approvals()
    assert first.human_approval_request_id in {a.id for a in pending}
    assert second.human_approval_request_id not in {a.id for a in pending}
    mine = next(a for a in pending if a.id == first.human_approval_request_id)
    assert mine.agent_id == "approval-agent"
    assert mine.tool_key == "payments.issue_refund"
    assert mine.outbound_message == "Approve this refund? Refund order 1"
    assert mine.proposed_parameters["request"] == "Refund order 1"
    assert mine.authorized_approvers == ["finance@acme.example"]
    assert mine.gate_type == "TOOL_FLOW_STEP"
    assert (mine.decision, mine.responded_by, mine.responded_at) == ("", "", 0)

    every = client.list_pending_approvals(status=None, agent="approval-agent")
    assert {first.human_approval_request_id, second.human_approval_request_id} <= {
        a.id for a in every
    }
    responded = client.list_approvals("approval-agent", status=["RESPONDED"])
    assert second.human_approval_request_id in {a.id for a in responded}
    assert all(a.status == "RESPONDED" for a in responded)
    lazily = list(client.iter_pending_approvals(status="PENDING", agent="approval-agent"))
    assert first.human_approval_request_id in {a.id for a in lazily}
    assert client.list_pending_approvals(agent="no-such-agent") == []
    with pytest.raises(ValidationError):
        client.list_pending_approvals(status="MAYBE")
    with pytest.raises(NotFoundError):
        client.get_approval("approval-agent", "00000000-0000-0000-0000-000000000000")


def test_the_actor_answers_and_a_read_write_split_key_may_approve(
    client: Any, make_client: ClientFactory
) -> None:
    paused = client.execute("approval-agent")
    approver = make_client(api_key=APPROVER_KEY, actor="ops-console")

    with pytest.raises(InsufficientScopeError):
        approver.execute("approval-agent")  # this key may decide, not run
    approval = approver.approve("approval-agent", paused.human_approval_request_id)

    assert approval.responded_by == "ops-console"
    client.wait_for_run_end("approval-agent", paused.execution_record_id, **FAST)
    stored = client.get_execution_result("approval-agent", paused.execution_record_id)
    assert stored.text == "Done: Refund order 1042 (approved by ops-console)."


# -- run lifecycle ----------------------------------------------------------------------


def test_wait_for_run_end_gives_up_at_its_deadline_naming_the_last_status(client: Any) -> None:
    paused = client.execute("approval-agent")
    started = time.monotonic()
    with pytest.raises(FruxonTimeoutError) as caught:
        client.wait_for_run_end(
            "approval-agent", paused.execution_record_id, timeout=0.4, poll_interval=0.05
        )
    elapsed = time.monotonic() - started
    assert 0.35 < elapsed < 3.0
    assert caught.value.last_status == "WAITING_FOR_ASYNC"
    assert "last status: WAITING_FOR_ASYNC" in str(caught.value)
    assert paused.execution_record_id in str(caught.value)


def test_wait_for_run_end_retries_a_transient_failure(
    faulty: Callable[..., Any], client: Any, emulator: EmulatorServer
) -> None:
    run = client.execute("echo-agent", parameters={"message": "hi"})
    flaky = faulty("status=503; times=2")
    record = flaky.wait_for_run_end("echo-agent", run.execution_record_id, **FAST)
    assert record.status == "COMPLETED"
    assert emulator.stats()["faultsInjected"] == 2  # both 503s were retried through


def test_a_running_run_is_asked_to_stop_and_ends_cancelled(client: Any) -> None:
    with client.stream("slow-agent", parameters={"message": "word " * 200}) as stream:
        assert next(stream).event == "status"
        (running,) = client.list_execution_records("slow-agent", status="IN_PROGRESS")
        assert running.status == "IN_PROGRESS"

        assert client.cancel_run("slow-agent", running.id) is False  # asked, not yet stopped

        with pytest.raises(FruxonStreamError) as caught:
            for _ in stream:
                pass
    assert caught.value.code == "run_cancelled"
    record = client.wait_for_run_end("slow-agent", running.id, **FAST)
    assert record.status == "CANCELLED"


def test_cancel_wait_gives_up_a_consult_and_the_run_completes(client: Any) -> None:
    waiting = client.execute("consult-agent", parameters={"question": "Discount?"})
    record = client.get_execution_record("consult-agent", waiting.execution_record_id)
    assert record.status == "WAITING_FOR_ASYNC"
    assert isinstance(record.waiting_for, WaitingFor)
    assert record.waiting_for.kind == "CONSULT"
    assert record.waiting_for.display_name == "Finance team"

    client.cancel_wait("consult-agent", waiting.execution_record_id, reason="no time")

    done = client.wait_for_run_end("consult-agent", waiting.execution_record_id, **FAST)
    assert done.status == "COMPLETED"
    stored = client.get_execution_result("consult-agent", waiting.execution_record_id)
    assert stored.text is not None
    assert "No answer from Finance team" in stored.text
    with pytest.raises(ConflictError):
        client.cancel_wait("consult-agent", waiting.execution_record_id)


def test_cancel_wait_is_not_for_approvals(client: Any) -> None:
    paused = client.execute("approval-agent")
    with pytest.raises(ValidationError):
        client.cancel_wait("approval-agent", paused.execution_record_id)
    with pytest.raises(NotFoundError):
        client.cancel_wait("echo-agent", client.execute("echo-agent").execution_record_id)


def test_records_are_listed_newest_first_with_filters_and_pages(
    client: Any, unique: Callable[[str], str]
) -> None:
    session = unique("session")
    first = client.execute("echo-agent", parameters={"message": "1"}, session_id=session)
    runs = [first.execution_record_id]
    for turn in range(2, 5):
        runs.append(
            client.execute(
                "echo-agent", parameters={"message": str(turn)}, session_id=session
            ).execution_record_id
        )

    listed = client.list_execution_records("echo-agent", session_id=session)
    assert [r.id for r in listed] == runs[::-1]
    one_page = client.list_execution_records("echo-agent", session_id=session, page_size=3)
    assert [r.id for r in one_page] == runs[:0:-1]
    every = client.list_execution_records(
        "echo-agent", session_id=session, page_size=3, all_pages=True
    )
    assert [r.id for r in every] == runs[::-1]
    lazily = list(client.iter_execution_records("echo-agent", session_id=session, page_size=2))
    assert [r.id for r in lazily] == runs[::-1]
    assert client.list_execution_records("echo-agent", session_id=session, status="FAILED") == []
    newest = client.get_execution_record("echo-agent", runs[-1])
    window = client.list_execution_records(
        "echo-agent", session_id=session, start_time=newest.start_time, revision=1
    )
    assert runs[-1] in {r.id for r in window}
    assert client.list_execution_records("echo-agent", session_id=session, origin="TEST") == []


def test_the_execution_tree_of_a_run(client: Any) -> None:
    run = client.execute("echo-agent", parameters={"message": "tree"})
    tree = client.get_execution_tree("echo-agent", run.execution_record_id)
    assert tree.root_execution_id == run.execution_record_id
    (node,) = tree.nodes
    assert (node.id, node.agent_id, node.depth, node.status) == (
        run.execution_record_id,
        "echo-agent",
        0,
        "COMPLETED",
    )
    assert tree.totals.runs == 1
    assert tree.totals.failed == 0


def test_a_waiting_run_has_no_result_yet(client: Any) -> None:
    paused = client.execute("approval-agent")
    stored = client.get_execution_result("approval-agent", paused.execution_record_id)
    assert stored.result.kind is None  # nothing yet while it waits
