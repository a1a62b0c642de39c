"""Raw calls, approval helpers, uploads and TLS settings in the sans-I/O layer."""

from __future__ import annotations

import datetime
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from fruxon_core import operations as ops
from fruxon_core import tls as tls_module
from fruxon_core.exceptions import FruxonAPIError, FruxonConnectionError, ServerError
from fruxon_core.http import BodyStream, Response
from fruxon_core.models import ApprovalRequest, ExecutionResult
from fruxon_core.pipeline import Pipeline
from fruxon_core.tls import TLSSettings

PREFIX = "https://api.fruxon.com/v1/tenants/acme%20corp"


# -- raw calls ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("agents/a/memories", f"{PREFIX}/agents/a/memories"),
        ("/agents/a/memories:forgetSubject", f"{PREFIX}/agents/a/memories:forgetSubject"),
        ("/v1/tokens", "https://api.fruxon.com/v1/tokens"),
    ],
)
def test_raw_paths_are_tenant_relative_unless_they_start_at_v1(
    make_pipeline: Callable[..., Pipeline], path: str, url: str
) -> None:
    request = make_pipeline().runner(ops.request("get", path)).prepare()
    assert request.method == "GET"
    assert request.url == url
    assert request.operation == "request"


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/v1/x",
        "//evil.example/x",
        "agents/a b",
        "agents?x=1",
        "agents#x",
        "agents/../../other",
        "agents/./a",
        "",
        "/",
    ],
)
def test_raw_paths_that_would_leave_the_api_or_break_the_url_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        ops.request("GET", path)


@pytest.mark.parametrize("method", ["", "GET /x", "g e t", "DELETE\r\n"])
def test_raw_methods_must_be_methods(method: str) -> None:
    with pytest.raises(ValueError, match="method"):
        ops.request(method, "agents")


def test_raw_query_json_and_headers(make_pipeline: Callable[..., Pipeline]) -> None:
    call = ops.request(
        "POST",
        "agents/a/memories:forgetSubject",
        params={
            "subject": "u 1",
            "all": True,
            "dry": False,
            "skip": None,
            "tag": ["a", "b"],
            "since": datetime.date(2026, 1, 2),
        },
        json={"subject": "u-1", "ids": [1, 2]},
        headers={"If-Match": '"v3"', "Accept": "application/problem+json"},
    )
    request = make_pipeline().runner(call).prepare()
    assert request.url == (
        f"{PREFIX}/agents/a/memories:forgetSubject"
        "?subject=u+1&all=true&dry=false&tag=a&tag=b&since=2026-01-02"
    )
    assert json.loads(request.body) == {"subject": "u-1", "ids": [1, 2]}  # type: ignore[arg-type]
    assert request.header("Content-Type") == "application/json"
    assert request.header("If-Match") == '"v3"'
    assert request.header("Accept") == "application/problem+json"


@pytest.mark.parametrize(
    ("method", "idempotent"),
    [("GET", True), ("PUT", True), ("DELETE", True), ("POST", False), ("PATCH", False)],
)
def test_raw_calls_are_retried_by_the_same_idempotency_rules(
    make_pipeline: Callable[..., Pipeline], method: str, idempotent: bool
) -> None:
    runner = make_pipeline().runner(ops.request(method, "agents"))
    request = runner.prepare()
    assert runner.context.idempotent is idempotent
    assert (request.header("Idempotency-Key") is not None) is (method == "POST")
    # a reset after sending: a read is repeated, a write is not
    error = FruxonConnectionError.lost("reset")
    if idempotent:
        assert runner.retry_delay(error) >= 0
    else:
        with pytest.raises(FruxonConnectionError):
            runner.retry_delay(error)


def test_raw_answers_decode_as_json_none_or_the_whole_response(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    pipeline = make_pipeline()
    runner = pipeline.runner(ops.request("GET", "agents"))
    request = runner.prepare()
    assert runner.finish(Response(200, {}, b'{"a": [1]}', request)) == {"a": [1]}
    assert runner.finish(Response(204, {}, b"", request)) is None
    raw_runner = pipeline.runner(ops.request_raw("GET", "agents"))
    raw_request = raw_runner.prepare()
    response = raw_runner.finish(Response(202, {"etag": "v1"}, b"[1]", raw_request))
    assert (response.status, response.headers["etag"], response.json()) == (202, "v1", [1])
    with pytest.raises(ServerError):
        raw_runner.finish(Response(500, {}, b"{}", raw_request))
    with pytest.raises(FruxonAPIError, match="not valid JSON"):
        runner.finish(Response(200, {}, b"<html>", request))


def test_a_raw_stream_may_end_without_a_done_event(make_pipeline: Callable[..., Pipeline]) -> None:
    from fruxon_core.pipeline import StreamProgress

    progress = StreamProgress(make_pipeline().runner(ops.request_stream("GET", "x:subscribe")))
    progress.end_of_stream()  # no error: subscribe streams just end
    modelled = StreamProgress(make_pipeline().runner(ops.stream("a")))
    with pytest.raises(FruxonConnectionError, match="terminal event"):
        modelled.end_of_stream()


# -- uploads in the pipeline ------------------------------------------------------------


def test_an_upload_announces_its_length_and_multipart_type(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    call = ops.upload_file(b"12345", filename="a.txt")
    request = make_pipeline().runner(call).prepare()
    assert isinstance(request.body, BodyStream)
    assert request.header("Content-Length") == str(request.body.length)
    assert request.header("Content-Type").startswith("multipart/form-data; boundary=fruxon-")
    assert request.header("Accept") == "application/json"
    assert "bytes streamed" in repr(request)


class _Pipe(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return b""


def test_a_one_shot_upload_is_not_retried_once_sent_but_a_path_is(
    make_pipeline: Callable[..., Pipeline], tmp_path: Path
) -> None:
    pipeline = make_pipeline()
    refused = FruxonConnectionError.cannot_connect("h", "refused")  # never sent: POST may retry
    one_shot = pipeline.runner(ops.upload_file(_Pipe()))
    one_shot.prepare()
    assert one_shot.retry_delay(refused) >= 0  # not opened yet: may go again
    body = one_shot.call.body
    assert isinstance(body, BodyStream)
    assert body.length is None
    list(body.chunks())  # the transport read it
    with pytest.raises(FruxonConnectionError):
        one_shot.retry_delay(refused)

    path = tmp_path / "f.bin"
    path.write_bytes(b"x")
    replayable = pipeline.runner(ops.upload_file(path))
    replayable.prepare()
    list(replayable.call.body.chunks())  # type: ignore[union-attr]
    assert replayable.retry_delay(refused) >= 0


def test_a_download_accepts_any_content_type(make_pipeline: Callable[..., Pipeline]) -> None:
    pipeline = make_pipeline()
    runner = pipeline.runner(ops.download_file("f-1"))
    request = runner.prepare()
    assert request.header("Accept") == "*/*"
    content = runner.finish(Response(200, {"content-type": "image/png"}, b"\x89PNG", request))
    assert content == (b"\x89PNG", "image/png")
    assert runner.finish(Response(200, {}, b"?", request)) == (b"?", "application/octet-stream")
    stream_request = pipeline.runner(ops.download_file_to("f-1")).prepare()
    assert stream_request.stream is True
    assert stream_request.header("Accept") == "*/*"


def test_cancel_run_tells_stopped_now_from_asked_to_stop(
    make_pipeline: Callable[..., Pipeline],
) -> None:
    runner = make_pipeline().runner(ops.cancel_run("a", "r", "why"))
    request = runner.prepare()
    assert json.loads(request.body) == {"reason": "why"}  # type: ignore[arg-type]
    assert runner.finish(Response(204, {}, b"", request)) is True
    assert runner.finish(Response(202, {}, b"", request)) is False


# -- approvals --------------------------------------------------------------------------


def test_the_approval_methods_take_an_id_a_request_or_a_paused_result() -> None:
    paused = ExecutionResult(status="WaitingForHuman", human_approval_request_id="p-1")
    assert ops.get_approval("a", paused).path == "/agents/a/pendingApprovals/p-1"
    request = ApprovalRequest(id="p-2", agent_id="a")
    assert ops.respond_approval("a", request, "ok").path == "/agents/a/pendingApprovals/p-2:respond"
    assert ops.cancel_approval("a", "p-3").path == "/agents/a/pendingApprovals/p-3:cancel"
    with pytest.raises(ValueError, match="not waiting"):
        ops.get_approval("a", ExecutionResult())
    with pytest.raises(ValueError, match="belongs to agent 'b'"):
        ops.get_approval("a", ApprovalRequest(id="p", agent_id="b"))
    with pytest.raises(ValueError, match="non-empty"):
        ops.respond_approval("a", "p", "  ")


def test_a_rejection_is_never_read_as_an_approval_or_a_reply() -> None:
    assert ops.rejection_text(None) == "reject"
    assert ops.rejection_text("  ") == "reject"
    assert ops.rejection_text("approve it later") == "reject: approve it later"


def test_status_filters_repeat_and_none_sends_no_filter() -> None:
    assert ops.list_pending_approvals().query == (("status", "PENDING"),)
    assert ops.list_pending_approvals(status=["PENDING", "EXPIRED"], agent="a").query == (
        ("status", "PENDING"),
        ("status", "EXPIRED"),
        ("agentId", "a"),
    )
    assert ops.list_pending_approvals(status=None).query == ()


def test_record_filters_go_out_under_the_api_names() -> None:
    start = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc)
    call = ops.list_execution_records(
        "a",
        status=["COMPLETED", "FAILED"],
        session_id="s",
        start_time=start,
        end_time="2026-03-02T00:00:00Z",
        revision=[2, "3"],
        origin="TEST",
        with_tool_errors=True,
        min_duration_ms=5,
        query=" refund ",
    )
    assert call.query == (
        ("status", "COMPLETED"),
        ("status", "FAILED"),
        ("sessionId", "s"),
        ("startTime", str(int(start.timestamp() * 1000))),
        ("endTime", "2026-03-02T00:00:00Z"),
        ("agentRevision", "2"),
        ("agentRevision", "3"),
        ("origin", "TEST"),
        ("withToolErrors", "true"),
        ("minDurationMs", "5"),
        ("query", "refund"),
    )
    assert ops.list_execution_records("a", revision=4).query == (("agentRevision", "4"),)
    assert ops.list_execution_records("a", start_time=1700000000000).query == (
        ("startTime", "1700000000000"),
    )
    with pytest.raises(TypeError):
        ops.list_execution_records("a", start_time=True)


def test_page_size_must_be_positive() -> None:
    for bad in (0, -1, True):
        with pytest.raises(ValueError, match="page_size"):
            ops.PageWalker(ops.list_execution_records("a"), page_size=bad)


# -- TLS settings -----------------------------------------------------------------------


def test_tls_settings_come_from_the_environment(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert TLSSettings.from_environment({}).is_default
    assert TLSSettings.from_environment({"FRUXON_CA_BUNDLE": str(bundle)}).ca_bundle == str(bundle)
    for value in ("1", "true", "YES"):
        assert TLSSettings.from_environment({"FRUXON_INSECURE": value}).verify is False
    assert TLSSettings.from_environment({"FRUXON_INSECURE": "0"}).verify is True
    assert TLSSettings().ssl_context() is None
    with pytest.raises(ValueError, match="FRUXON_CA_BUNDLE"):
        TLSSettings.from_environment({"FRUXON_CA_BUNDLE": str(tmp_path / "missing.pem")})


def test_insecure_warns_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    monkeypatch.setattr(tls_module, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = TLSSettings(verify=False).ssl_context()
        TLSSettings(verify=False).ssl_context()
    assert first is not None
    assert first.verify_mode == ssl.CERT_NONE
    assert first.check_hostname is False
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert "NOT verified" in messages[0]
