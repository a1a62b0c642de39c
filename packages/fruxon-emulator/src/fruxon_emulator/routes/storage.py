"""Files: upload with `POST storage`, download with
`GET storage/{fileId}`.

* `POST storage[?temporary=true]`, `multipart/form-data` with one part named
  `file` (see `multipart` for every refusal) → 200 FileLink
  `{fileId, fileType, contentType, promptLink, displayName}`. The content
  type is the part's (else guessed from the file name, else
  `application/octet-stream`); `displayName` is the file name's last path
  component. A temporary file expires after `temporary_file_ttl_ms` (24 h).
  Files above `max_upload_bytes` (10 MiB by default) get 413.
* `GET storage/{fileId}` → 200 with the bytes, the stored `Content-Type`, and
  `Content-Disposition: attachment` naming the file. The segment may also be
  the prompt link itself, percent-encoded (`%3Cimage%3A{id}%2F%3E`), which is
  what the 2.0.2 CLI accepts. Unknown, expired or another tenant's id → 404.
"""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from fruxon_emulator.context import RequestContext
from fruxon_emulator.files import file_id_of, file_link, guess_content_type
from fruxon_emulator.lifecycle import now_ms
from fruxon_emulator.multipart import read_file_part
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply

__all__ = ["download_file", "upload_file"]

_DEFAULT_NAME = "file"


def _temporary(ctx: RequestContext) -> bool:
    values = ctx.query_values("temporary")
    text = values[0].strip().lower() if values else ""
    if text in ("", "false", "0"):
        return False
    if text in ("true", "1"):
        return True
    raise ProblemError(
        400,
        "temporary must be true or false.",
        errors={"temporary": ["must be true or false"]},
    )


def _disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the RFC 5987 UTF-8 one."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def upload_file(ctx: RequestContext) -> JsonReply:
    temporary = _temporary(ctx)
    config = ctx.state.config
    upload = await read_file_part(ctx.request, config.max_upload_bytes)
    name = upload.filename or _DEFAULT_NAME
    stored = ctx.state.files.add(
        ctx.tenant.id,
        name,
        guess_content_type(upload.content_type, name),
        upload.data,
        now_ms(),
        ttl_ms=config.temporary_file_ttl_ms if temporary else 0,
    )
    return JsonReply(200, file_link(stored))


async def download_file(ctx: RequestContext) -> web.StreamResponse:
    reference = ctx.params["file"]
    stored = ctx.state.files.get(ctx.tenant.id, file_id_of(reference), now_ms())
    if stored is None:
        raise ProblemError(404, f"File {reference!r} not found.")
    return web.Response(
        body=stored.data,
        headers={
            "Content-Type": stored.content_type,
            "Content-Disposition": _disposition(stored.display_name),
        },
    )
