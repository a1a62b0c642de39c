"""Files without I/O to a server: the upload body, FileLink and prompt links, the download sink."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import msgspec
import pytest

from fruxon_core import operations as ops
from fruxon_core.decoding import decode_model
from fruxon_core.downloads import FileSink
from fruxon_core.http import BodyStream
from fruxon_core.models import ExecutionRecordResult, ExecutionResult, FileLink, ResultValue
from fruxon_core.multipart import CHUNK_SIZE, file_upload_body


def _parse(body: BodyStream, content_type: str) -> tuple[str, str, str, bytes]:
    """(field, file name, part content type, content) of a one-part form, as servers read it."""
    raw = b"".join(body.chunks())
    assert body.length is None or body.length == len(raw)
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    (part,) = message.iter_parts()
    disposition = part.get("Content-Disposition")
    return (
        part.get_param("name", header="content-disposition"),
        disposition.params["filename"],
        part.get_content_type(),
        part.get_payload(decode=True),
    )


def test_bytes_become_one_file_part_with_a_length() -> None:
    body, content_type = file_upload_body(b"hello", filename="notes.txt")
    assert content_type.startswith("multipart/form-data; boundary=fruxon-")
    assert _parse(body, content_type) == ("file", "notes.txt", "text/plain", b"hello")
    assert body.replayable
    assert b"".join(body.chunks()) == b"".join(body.chunks())  # sent again the same


def test_framing_is_crlf_and_ends_with_the_closing_boundary() -> None:
    body, content_type = file_upload_body(b"x", filename="a.bin")
    boundary = content_type.split("boundary=")[1]
    raw = b"".join(body.chunks())
    assert raw.startswith(f"--{boundary}\r\n".encode())
    assert raw.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert b'Content-Disposition: form-data; name="file"; filename="a.bin"\r\n' in raw
    assert b"Content-Type: application/octet-stream\r\n\r\nx\r\n" in raw


def test_a_path_is_read_when_sent_in_chunks_and_named_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    content = os.urandom(3 * CHUNK_SIZE + 17)
    path.write_bytes(content)
    body, content_type = file_upload_body(path)
    path.write_bytes(content)  # opened only now: the body holds nothing yet
    pieces = list(body.chunks())
    assert max(len(piece) for piece in pieces) <= CHUNK_SIZE
    assert _parse(body, content_type) == ("file", "scan.pdf", "application/pdf", content)
    assert body.length == len(b"".join(pieces))
    assert body.replayable


def test_a_path_that_does_not_exist_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        file_upload_body(tmp_path / "missing.png")
    with pytest.raises(IsADirectoryError):
        file_upload_body(tmp_path)


def test_a_file_that_shrank_after_the_length_was_announced_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"0123456789")
    body, _ = file_upload_body(str(path))
    path.write_bytes(b"012")
    with pytest.raises(OSError, match="changed while being uploaded"):
        b"".join(body.chunks())
    path.write_bytes(b"0123456789 and more")  # grew: only the announced bytes go out
    assert b"0123456789\r\n" in b"".join(body.chunks())
    assert b"and more" not in b"".join(body.chunks())


def test_a_seekable_file_object_is_sent_from_where_it_stands_and_can_be_resent() -> None:
    handle = io.BytesIO(b"HEADERbody bytes")
    handle.seek(6)
    body, content_type = file_upload_body(handle, content_type="application/x-custom")
    assert body.length is not None
    assert _parse(body, content_type)[2:] == ("application/x-custom", b"body bytes")
    assert body.replayable
    assert _parse(body, content_type)[3] == b"body bytes"


class Pipe(io.RawIOBase):
    """A readable, non-seekable stream (like a pipe or a socket)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def test_a_pipe_has_no_length_and_can_be_sent_once() -> None:
    body, content_type = file_upload_body(Pipe(b"streamed"), filename="p.bin")
    assert body.length is None
    assert not body.replayable
    assert body.can_send
    assert _parse(body, content_type)[3] == b"streamed"
    assert not body.can_send
    with pytest.raises(RuntimeError, match="only once"):
        body.chunks()


def test_async_chunks_come_from_the_thread_runner_in_order_and_close_the_file() -> None:
    calls: list[object] = []
    closed: list[bool] = []

    def pieces() -> Iterator[bytes]:
        try:
            yield from (b"ab", b"cd", b"ef")
        finally:
            closed.append(True)

    async def run_sync(func: Callable[..., Any], *args: Any) -> Any:
        calls.append(func)  # what a worker thread would run
        return func(*args)

    async def first_two() -> list[bytes]:
        chunks = BodyStream(pieces, 6, replayable=True).achunks(run_sync)
        got = [await anext(chunks), await anext(chunks)]
        await chunks.aclose()  # a transport giving up mid-body
        return got

    body = BodyStream(pieces, 6, replayable=True)
    assert asyncio.run(_collect(body.achunks(run_sync))) == [b"ab", b"cd", b"ef"]
    assert calls == [next] * 4  # three pieces and the end, each read by the runner
    assert asyncio.run(first_two()) == [b"ab", b"cd"]
    assert closed == [True, True]


async def _collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [chunk async for chunk in chunks]


def test_a_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("x")
    with open(path, encoding="utf-8") as text, pytest.raises(TypeError, match="binary"):
        file_upload_body(text)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        file_upload_body(12)  # type: ignore[arg-type]


def test_file_names_are_escaped_like_a_browser_does() -> None:
    body, _ = file_upload_body(b"x", filename='evil"\r\nname.txt')
    raw = b"".join(body.chunks())
    assert b'filename="evil%22%0D%0Aname.txt"' in raw
    body, _ = file_upload_body(b"x", filename="résumé.pdf")
    assert 'filename="résumé.pdf"'.encode() in b"".join(body.chunks())
    with pytest.raises(ValueError, match="line breaks"):
        file_upload_body(b"x", content_type="text/plain\r\nX-Evil: 1")


def test_a_file_object_takes_its_name_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8")
    with open(path, "rb") as handle:
        body, content_type = file_upload_body(handle)
        assert _parse(body, content_type)[1:3] == ("photo.jpg", "image/jpeg")
    assert _parse(*file_upload_body(b"x"))[1] == "file"


def test_upload_call_sends_the_multipart_type_and_temporary_flag() -> None:
    call = ops.upload_file(b"x", filename="a.txt", temporary=True)
    assert call.query == (("temporary", "true"),)
    ((name, value),) = call.headers
    assert name == "Content-Type"
    assert value.startswith("multipart/form-data; boundary=")
    assert ops.upload_file(b"x").query == ()


# -- FileLink and prompt links ----------------------------------------------------------


def test_file_link_decodes_the_upload_answer_and_prints_as_its_prompt_link() -> None:
    link = decode_model(
        FileLink,
        b'{"fileId":"f-1","fileType":"pdf","contentType":"application/pdf",'
        b'"promptLink":"<pdf:f-1/>","displayName":"a.pdf","future":1}',
    )
    assert (link.file_id, link.file_type, link.display_name) == ("f-1", "pdf", "a.pdf")
    assert str(link) == "<pdf:f-1/>"
    assert link.to_dict(wire=True)["promptLink"] == "<pdf:f-1/>"


def test_a_link_without_prompt_link_gets_one_and_the_other_way_round() -> None:
    assert FileLink(file_id="f", file_type="image").prompt_link == "<image:f/>"
    parsed = FileLink(prompt_link="<audio:a-9/>")
    assert (parsed.file_type, parsed.file_id) == ("audio", "a-9")
    assert FileLink.from_prompt_link(" <pdf:x/> ").file_id == "x"
    with pytest.raises(ValueError, match="prompt link"):
        FileLink.from_prompt_link("x")


@pytest.mark.parametrize(
    ("file", "file_id"),
    [("abc", "abc"), ("<text:kb-1042/>", "kb-1042"), (FileLink(file_id="z"), "z")],
)
def test_downloads_take_an_id_a_prompt_link_or_a_file_link(file: object, file_id: str) -> None:
    assert ops.file_id_of(file) == file_id  # type: ignore[arg-type]
    assert ops.download_file(file).path == f"/storage/{file_id}"  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "  ", FileLink()])
def test_a_download_needs_an_id(bad: object) -> None:
    with pytest.raises(ValueError, match="empty id"):
        ops.file_id_of(bad)  # type: ignore[arg-type]


def test_file_links_go_out_as_prompt_links_in_parameters_and_as_objects_in_attachments() -> None:
    link = FileLink(file_id="f-1", file_type="pdf", display_name="a.pdf")
    call = ops.execute(
        "file-agent",
        parameters={"file": link, "more": [link, {"nested": link}], "plain": "x"},
        attachments=[link, {"fileId": "raw"}],
    )
    body = json.loads(call.body)  # type: ignore[arg-type]
    assert body["parameters"] == {
        "file": "<pdf:f-1/>",
        "more": ["<pdf:f-1/>", {"nested": "<pdf:f-1/>"}],
        "plain": "x",
    }
    assert body["attachments"][0] == {
        "fileId": "f-1",
        "fileType": "pdf",
        "contentType": "",
        "promptLink": "<pdf:f-1/>",
        "displayName": "a.pdf",
    }
    assert body["attachments"][1] == {"fileId": "raw"}


def test_result_files_are_the_links_with_an_id() -> None:
    result = ExecutionResult(
        links=[{"fileId": "a", "fileType": "text", "promptLink": "<text:a/>"}, {"x": 1}]
    )
    assert result.files == [FileLink(file_id="a", file_type="text", prompt_link="<text:a/>")]


@pytest.mark.parametrize(
    ("body", "kind", "value"),
    [
        (b'{"result": {"strValue": "done"}}', "str", "done"),
        (b'{"result": {"jsonValue": {"n": 1}}}', "json", {"n": 1}),
        (
            b'{"result": {"fileLink": "<text:r-1/>"}}',
            "file",
            FileLink.from_prompt_link("<text:r-1/>"),
        ),
        (b'{"result": {}}', None, None),
        (b"{}", None, None),
    ],
)
def test_a_stored_result_is_typed(body: bytes, kind: str | None, value: object) -> None:
    stored = decode_model(ExecutionRecordResult, body)
    assert stored.result.kind == kind
    assert stored.value == value
    assert stored.text == (value if kind == "str" else None)


def test_a_file_result_that_is_a_bare_id_still_downloads() -> None:
    assert ResultValue(file_link="r-2").file == FileLink(file_id="r-2")
    assert msgspec.convert({"strValue": ""}, ResultValue).kind == "str"


# -- the download sink ------------------------------------------------------------------


def test_a_path_is_replaced_only_when_the_download_completes(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with FileSink(target) as sink:
        sink.write(b"new ")
        assert target.read_bytes() == b"old"
        sink.write(b"content")
    assert target.read_bytes() == b"new content"
    assert sink.size == 11
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_failed_download_leaves_the_path_alone_and_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def interrupted() -> None:
        with FileSink(target) as sink:
            sink.write(b"half")
            raise ConnectionError

    with pytest.raises(ConnectionError):
        interrupted()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_file_object_is_written_and_left_open(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with FileSink(buffer) as sink:
        sink.write(b"abc")
    assert buffer.getvalue() == b"abc"
    assert not buffer.closed
    with pytest.raises(IsADirectoryError):
        FileSink(tmp_path)
    with pytest.raises(TypeError, match="binary"):
        FileSink(io.StringIO())  # type: ignore[arg-type]
