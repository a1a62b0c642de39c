"""Reading the one `file` part of a `multipart/form-data` upload, with limits.

The official client sends exactly one part, `Content-Disposition: form-data;
name="file"; filename="<basename>"` with a guessed `Content-Type`. aiohttp
parses the framing while the body streams in, so an oversized upload is
refused (413) as soon as it is known to be too big, without holding more than
the limit in memory.

| Input | Answer |
|---|---|
| `Content-Type` not `multipart/form-data` | 415 |
| no boundary, broken framing, a nested multipart part | 400 |
| no part named `file` (e.g. a wrong field name), or two of them | 400, `errors.file` |
| an empty `file` part | 422, `errors.file` |
| a file above `limit`, or other parts above 64 KiB in all | 413 |

Other form fields beside `file` are read and ignored.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.helpers import parse_mimetype

from .problems import ProblemError

__all__ = ["FIELD_ALLOWANCE", "UploadedFile", "read_file_part"]

FILE_FIELD = "file"
FIELD_ALLOWANCE = 64 * 1024  # framing and other form fields, on top of the file limit
_CHUNK = 64 * 1024
_MAX_FIELDS = 100


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str | None
    data: bytes


def _too_large(limit: int) -> ProblemError:
    return ProblemError(413, f"The upload exceeds {limit} bytes.")


def _malformed(detail: str) -> ProblemError:
    return ProblemError(400, f"The multipart body is malformed: {detail}.")


def _file_problem(status: int, detail: str, message: str) -> ProblemError:
    return ProblemError(status, detail, errors={FILE_FIELD: [message]})


def _basename(filename: str | None) -> str:
    """The last path component (browsers on Windows send `C:\\...`)."""
    return posixpath.basename((filename or "").replace("\\", "/")).strip()


def _check_request(request: web.BaseRequest, limit: int) -> None:
    mimetype = parse_mimetype(request.headers.get("Content-Type", ""))
    if (mimetype.type, mimetype.subtype) != ("multipart", "form-data"):
        raise ProblemError(
            415,
            "Upload a file as multipart/form-data with one part named 'file'.",
            errors={"Content-Type": ["must be multipart/form-data"]},
        )
    if not mimetype.parameters.get("boundary"):
        raise _malformed("the Content-Type has no boundary")
    length = request.content_length
    if length is not None and length > limit + FIELD_ALLOWANCE:
        raise _too_large(limit)


async def _read_part(part: BodyPartReader, budget: int, on_excess: ProblemError) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await part.read_chunk(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > budget:
            raise on_excess
        chunks.append(chunk)


async def _parts(request: web.BaseRequest, limit: int) -> tuple[list[UploadedFile], list[str]]:
    """The `file` parts, and the names of the other fields."""
    reader = MultipartReader(request.headers, request.content)
    files: list[UploadedFile] = []
    names: list[str] = []
    spare = FIELD_ALLOWANCE
    while True:
        part = await reader.next()
        if part is None:
            return files, names
        if not isinstance(part, BodyPartReader):
            raise _malformed("nested multipart parts are not accepted")
        if part.name == FILE_FIELD:
            data = await _read_part(part, limit, _too_large(limit))
            files.append(
                UploadedFile(_basename(part.filename), part.headers.get("Content-Type"), data)
            )
            continue
        names.append(part.name or "")
        data = await _read_part(part, spare, _too_large(limit))
        spare -= len(data)
        if len(names) > _MAX_FIELDS:
            raise _malformed(f"more than {_MAX_FIELDS} form fields")


async def read_file_part(request: web.BaseRequest, limit: int) -> UploadedFile:
    """The request's single `file` part (at most `limit` bytes), or the problem."""
    _check_request(request, limit)
    try:
        files, others = await _parts(request, limit)
    except (ProblemError, ConnectionError):
        raise
    except web.RequestPayloadError as exc:
        raise ProblemError(400, f"The request body could not be read: {exc}") from None
    except Exception as exc:  # aiohttp's parser: ValueError, RuntimeError, BadHttpMessage
        raise _malformed(str(exc) or type(exc).__name__) from None
    if not files:
        seen = f" (its parts: {', '.join(repr(name) for name in others)})" if others else ""
        raise _file_problem(
            400,
            f"The upload has no part named 'file'{seen}.",
            "is required (a form-data part named 'file')",
        )
    if len(files) > 1:
        raise _file_problem(400, "The upload has more than one 'file' part.", "must be sent once")
    if not files[0].data:
        raise _file_problem(422, "The uploaded file is empty.", "must not be empty")
    return files[0]
