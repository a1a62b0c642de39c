"""The body of a file upload: ``multipart/form-data`` with one part named ``file``, streamed.

:func:`file_upload_body` turns what ``upload_file`` accepts -- a path, bytes or
a binary file object -- into a :class:`~fruxon_core.http.BodyStream` and its
``Content-Type``. A file on disk is opened only when the body is sent and read
in :data:`CHUNK_SIZE` pieces, so the upload never holds the whole file in
memory; its size is known up front, so the request carries a
``Content-Length``. The part's framing is what browsers send (WHATWG
``multipart/form-data``): CRLF line breaks, the file name UTF-8 with ``"``, CR
and LF percent-encoded.
"""

from __future__ import annotations

import io
import mimetypes
import os
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO, Union

from .http import BodyStream

__all__ = ["CHUNK_SIZE", "FileSource", "file_upload_body"]

#: How much of a file is read (and handed to the transport) at a time.
CHUNK_SIZE = 64 * 1024

#: What ``upload_file(file, ...)`` takes: a path, the bytes themselves, or a binary file object.
FileSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]

_DEFAULT_NAME = "file"
_DEFAULT_TYPE = "application/octet-stream"


def _quote_name(name: str) -> str:
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _default_name(file: Any) -> str:
    if isinstance(file, (str, os.PathLike)):
        return os.path.basename(os.fspath(file)) or _DEFAULT_NAME
    name = getattr(file, "name", None)
    if isinstance(name, str) and name and not name.startswith("<"):
        return os.path.basename(name) or _DEFAULT_NAME
    return _DEFAULT_NAME


def _check_header_value(what: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} must not contain line breaks")


def file_upload_body(
    file: FileSource, *, filename: str | None = None, content_type: str | None = None
) -> tuple[BodyStream, str]:
    """The upload body for ``file`` and the request's ``Content-Type`` (with its boundary).

    ``filename`` defaults to the path's (or the file object's) base name, else
    ``"file"``; ``content_type`` to the type guessed from the file name, else
    ``application/octet-stream``. A path must name an existing file (checked
    now, read later); a text-mode file object is refused.
    """
    name = filename if filename is not None else _default_name(file)
    if not name:
        raise ValueError("filename must not be empty")
    part_type = content_type or mimetypes.guess_type(name)[0] or _DEFAULT_TYPE
    _check_header_value("content_type", part_type)
    boundary = f"fruxon-{uuid.uuid4().hex}"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{_quote_name(name)}"\r\n'
        f"Content-Type: {part_type}\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = _content(file, head, tail)
    return body, f"multipart/form-data; boundary={boundary}"


def _content(file: FileSource, head: bytes, tail: bytes) -> BodyStream:
    frame = len(head) + len(tail)
    if isinstance(file, (bytes, bytearray, memoryview)):
        data = bytes(file)
        pieces = tuple(piece for piece in (head, data, tail) if piece)
        return BodyStream(lambda: iter(pieces), frame + len(data), replayable=True)
    if isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        size = os.stat(path).st_size  # FileNotFoundError now, not when sending
        if not os.path.isfile(path):
            raise IsADirectoryError(f"not a regular file: {path!r}")
        return BodyStream(
            lambda: _path_chunks(path, size, head, tail), frame + size, replayable=True
        )
    if isinstance(file, io.TextIOBase) or not callable(getattr(file, "read", None)):
        raise TypeError(
            "file must be a path, bytes or a file object opened in binary mode ('rb'), "
            f"got {type(file).__name__}"
        )
    start = _position(file)
    if start is None:  # a pipe, a socket, a generator-backed stream: one pass only
        return BodyStream(
            lambda: _object_chunks(file, None, None, head, tail), None, replayable=False
        )
    size = file.seek(0, io.SEEK_END) - start
    file.seek(start)
    return BodyStream(
        lambda: _object_chunks(file, start, size, head, tail), frame + size, replayable=True
    )


def _position(file: BinaryIO) -> int | None:
    """Where a seekable file object stands now, or ``None`` if it cannot seek."""
    try:
        if not file.seekable():
            return None
        return file.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _path_chunks(path: str, size: int, head: bytes, tail: bytes) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        yield head
        yield from _read(handle, size)
    yield tail


def _object_chunks(
    file: BinaryIO, start: int | None, size: int | None, head: bytes, tail: bytes
) -> Iterator[bytes]:
    if start is not None:
        file.seek(start)
    yield head
    yield from _read(file, size)
    yield tail


def _read(file: BinaryIO, size: int | None) -> Iterator[bytes]:
    """``size`` bytes of ``file`` (all of it when ``None``), :data:`CHUNK_SIZE` at a time.

    The request announced ``size`` bytes: a file that shrank since is an
    error, and bytes it gained are not sent.
    """
    left = size
    while left is None or left > 0:
        chunk = file.read(CHUNK_SIZE if left is None else min(CHUNK_SIZE, left))
        if not chunk:
            break
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError("the file object must return bytes (open it in binary mode)")
        if left is not None:
            left -= len(chunk)
        yield bytes(chunk)
    if left:
        raise OSError(f"the file ended {left} bytes early: it changed while being uploaded")
