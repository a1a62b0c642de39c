"""AIP-158 style list pages: `pageSize`/`pageToken` in, ListPage out.

Both camelCase and snake_case spellings are accepted (clients send either).
Page size defaults to 10 and is silently clamped to 100; 0 means "default".
Tokens are opaque base64 of an offset; the last page has `nextPageToken: ""`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from .context import RequestContext
from .problems import ProblemError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "decode_page_token",
    "encode_page_token",
    "list_page",
]

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
_TOKEN_PREFIX = "offset:"


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_TOKEN_PREFIX}{offset}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith(_TOKEN_PREFIX):
            raise ValueError(token)
        offset = int(text[len(_TOKEN_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        offset = -1
    if offset < 0:
        raise ProblemError(
            400, "The page token is not valid.", errors={"pageToken": ["is not valid"]}
        )
    return offset


def _page_size(ctx: RequestContext) -> int:
    raw = ctx.query_values("pageSize", "page_size")
    if not raw:
        return DEFAULT_PAGE_SIZE
    text = raw[0].strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise ProblemError(
            400,
            "pageSize must be a non-negative integer.",
            errors={"pageSize": ["must be a non-negative integer"]},
        )
    size = int(text)
    return DEFAULT_PAGE_SIZE if size == 0 else min(size, MAX_PAGE_SIZE)


def list_page(ctx: RequestContext, items: Sequence[Any]) -> dict[str, Any]:
    """The ListPage envelope for the slice the request's paging asks for."""
    size = _page_size(ctx)
    tokens = ctx.query_values("pageToken", "page_token")
    offset = decode_page_token(tokens[0]) if tokens and tokens[0] else 0
    page = list(items[offset : offset + size])
    more = offset + size < len(items)
    return {
        "items": page,
        "nextPageToken": encode_page_token(offset + size) if more else "",
        "totalCount": len(items),
    }
