"""Files and raw calls, on every client over real sockets against the emulator.

A file is uploaded (path, bytes, file object), handed to ``file-agent`` as a
parameter or an attachment, and what ``report-agent`` links is downloaded,
whole or streamed to a file. Raw calls reach routes the SDK does not model,
through the same pipeline. Filter drift: the seed's ``search=`` goes out as
the API's ``query``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fruxon_core import quote_segment
from fruxon_core.exceptions import (
    ConflictError,
    InsufficientScopeError,
    NotFoundError,
    ServerError,
    ValidationError,
)
from fruxon_core.http import Response
from fruxon_core.models import FileLink
from fruxon_emulator import EmulatorServer

ClientFactory = Callable[..., Any]

READONLY_KEY = "fxn_emulator_readonly_key"


def test_upload_run_an_agent_with_it_and_download_what_an_agent_links(
    client: Any, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.7 " + bytes(range(256)) * 40)

    link = client.upload_file(invoice)

    assert isinstance(link, FileLink)
    assert (link.file_type, link.content_type, link.display_name) == (
        "pdf",
        "application/pdf",
        "invoice.pdf",
    )
    assert link.prompt_link == f"<pdf:{link.file_id}/>"
    read = client.execute("file-agent", parameters={"file": link})
    size = invoice.stat().st_size
    assert read.response == f'Read "invoice.pdf": {size} bytes of application/pdf.'
    attached = client.execute("file-agent", attachments=[link])
    assert attached.response == read.response

    report = client.execute("report-agent", parameters={"topic": "refunds"})
    (produced,) = report.files
    content, content_type = client.download_file(produced)
    assert content_type.startswith("text/markdown")
    assert content.startswith(b"# Report: refunds")
    stored = client.get_execution_result("report-agent", report.execution_record_id)
    assert stored.result.kind == "file"
    assert stored.value.file_id == produced.file_id
    target = tmp_path / "report.md"
    written, streamed_type = client.download_file_to(stored.value, target)
    assert (written, streamed_type) == (len(content), content_type)
    assert target.read_bytes() == content
    assert client.download_file(produced.prompt_link)[0] == content  # a prompt link works too


def test_uploads_from_bytes_and_file_objects(client: Any) -> None:
    from_bytes = client.upload_file(b"plain text", filename="notes.txt")
    assert (from_bytes.file_type, from_bytes.content_type) == ("text", "text/plain")
    from_object = client.upload_file(
        io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), filename="pic.png", temporary=True
    )
    assert from_object.file_type == "image"
    assert client.download_file(from_object) == (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
    typed = client.upload_file(b"{}", filename="data.bin", content_type="application/json")
    assert typed.content_type == "application/json"
    answer = client.execute("file-agent", parameters={"file": from_bytes.file_id})
    assert answer.response == 'Read "notes.txt": 10 bytes of text/plain.'


def test_file_errors_map_like_any_call(client: Any, make_client: ClientFactory) -> None:
    with pytest.raises(ValidationError):
        client.upload_file(b"", filename="empty.txt")  # 422: nothing to store
    with pytest.raises(NotFoundError):
        client.download_file("no-such-file")
    with pytest.raises(InsufficientScopeError) as caught:
        make_client(api_key=READONLY_KEY).upload_file(b"x", filename="x.txt")
    assert caught.value.required == "assets:write"
    with pytest.raises(ValidationError):
        client.execute("file-agent", parameters={"file": "<pdf:unknown/>"})


def test_the_shipped_file_downloads(client: Any, tmp_path: Path) -> None:
    content, content_type = client.download_file("kb-1042")
    assert content
    size, streamed_type = client.download_file_to("kb-1042", tmp_path / "kb.md")
    assert (size, streamed_type) == (len(content), content_type)
    with open(tmp_path / "copy.bin", "wb") as handle:
        assert client.download_file_to("kb-1042", handle)[0] == len(content)
    assert (tmp_path / "copy.bin").read_bytes() == content


# -- raw calls --------------------------------------------------------------------------


def test_a_raw_call_returns_json_through_the_same_pipeline(
    client: Any, emulator: EmulatorServer
) -> None:
    agent = client.request("GET", f"agents/{quote_segment('echo-agent')}")
    assert agent["id"] == "echo-agent"
    assert agent["displayName"] == client.get_agent("echo-agent").display_name
    page = client.request("GET", "/agents", params={"tags": ["demo"], "pageSize": 2})
    assert len(page["items"]) <= 2
    absolute = client.request("GET", f"/v1/tenants/{emulator.org}/agents/echo-agent")
    assert absolute["id"] == "echo-agent"
    ran = client.request(
        "POST", "agents/echo-agent:execute", json={"parameters": {"message": "raw"}}
    )
    assert ran["response"] == "Echo (turn 1): raw"


def test_a_raw_response_has_status_headers_and_body(client: Any) -> None:
    paused = client.execute("approval-agent")
    response = client.request_raw(
        "POST", f"agents/approval-agent/executionRecords/{paused.execution_record_id}:cancelRun"
    )
    assert isinstance(response, Response)
    assert response.status == 204
    assert response.body == b""
    listed = client.request_raw("GET", "agents/echo-agent")
    assert listed.status == 200
    assert listed.content_type == "application/json"
    assert listed.json()["id"] == "echo-agent"


def test_raw_errors_are_the_sdk_errors(client: Any) -> None:
    with pytest.raises(NotFoundError):
        client.request("GET", "agents/no-such-agent")
    with pytest.raises(ConflictError) as caught:
        client.request("POST", "agents/legacy-agent:execute", json={})
    assert caught.value.error_code == "agent_disabled"


def test_a_raw_stream_yields_the_events(client: Any) -> None:
    events = list(
        client.request_stream(
            "POST", "agents/echo-agent:stream", json={"parameters": {"message": "s"}}
        )
    )
    assert events[0].event == "status"
    assert events[-1].event == "done"
    assert "".join(e.data["chunk"] for e in events if e.event == "text") == "Echo (turn 1): s"


def test_raw_reads_are_retried_and_raw_writes_are_not(
    faulty: Callable[..., Any],
    emulator: EmulatorServer,
    client: Any,
    unique: Callable[[str], str],
) -> None:
    integration = client.create_integration({"id": unique("raw")}).id
    flaky = faulty("status=502; times=1")
    before = emulator.stats()["requests"]["total"]
    assert flaky.request("GET", "agents/echo-agent")["id"] == "echo-agent"
    assert emulator.stats()["requests"]["total"] == before + 2  # a 502 on a GET is retried
    writer = faulty("status=502; times=1")
    with pytest.raises(ServerError) as caught:
        writer.request("POST", "agents/echo-agent:execute", json={})
    assert caught.value.status == 502
    assert emulator.stats()["requests"]["total"] == before + 3  # a POST may have run: not again
    replacing = faulty("status=502; times=1")  # PUT replaces: safe to repeat
    replaced = replacing.request(
        "PUT", f"integrations/{integration}", json={"id": integration, "displayName": "Raw"}
    )
    assert replaced["displayName"] == "Raw"


# -- drift ------------------------------------------------------------------------------


def test_the_seed_search_keyword_filters_through_the_api_query(client: Any) -> None:
    every = client.list_integrations()
    matching = client.list_integrations(search="git")
    assert matching
    assert len(matching) < len(every)
    assert all("git" in f"{i.id} {i.display_name} {i.description}".lower() for i in matching)
    tools = client.list_tools(matching[0].id, search="zzz-no-such-tool")
    assert tools == []
