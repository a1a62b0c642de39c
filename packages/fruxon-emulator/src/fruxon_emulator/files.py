"""Stored files (`/storage`): the SQLite table, the FileLink shape, prompt links.

An upload becomes a row holding its bytes; the wire shape is the FileLink the
official 2.0.2 client reads, `{fileId, fileType, contentType, promptLink,
displayName}`. `promptLink` is `<{fileType}:{fileId}/>`, the
form agents take as a parameter value. A temporary upload expires after the
configured TTL (24 h by default) and then answers 404 like an unknown id.
"""

from __future__ import annotations

import mimetypes
import re
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FileSeed",
    "FileStore",
    "StoredFile",
    "file_id_of",
    "file_link",
    "file_type_of",
    "guess_content_type",
    "prompt_link",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    display_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    data BLOB NOT NULL
)
"""
_PROMPT_LINK = re.compile(r"<([A-Za-z0-9_-]+):([^<>/\s]+)/>")
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*")
_DEFAULT_CONTENT_TYPE = "application/octet-stream"


def file_type_of(content_type: str) -> str:
    """The FileLink `fileType`: image, audio, video, pdf, text, else file."""
    essence = content_type.split(";", 1)[0].strip().lower()
    major = essence.split("/", 1)[0]
    if major in ("image", "audio", "video", "text"):
        return major
    if essence == "application/pdf":
        return "pdf"
    if essence == "application/json":
        return "text"
    return "file"


def prompt_link(file_type: str, file_id: str) -> str:
    return f"<{file_type}:{file_id}/>"


def file_id_of(reference: str) -> str:
    """A file id from an id or a prompt link (`<image:abc/>` → `abc`)."""
    text = reference.strip()
    match = _PROMPT_LINK.fullmatch(text)
    return match.group(2) if match else text


def guess_content_type(declared: str | None, filename: str) -> str:
    """The declared part type when it is a `type/subtype`, else a guess from the name."""
    if declared:
        essence = declared.split(";", 1)[0].strip()
        if _CONTENT_TYPE.fullmatch(essence):
            return declared.strip()
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or _DEFAULT_CONTENT_TYPE


@dataclass(frozen=True)
class StoredFile:
    id: str
    tenant: str
    display_name: str
    content_type: str
    file_type: str
    size: int
    created_at: int
    expires_at: int  # 0: kept for good
    data: bytes


@dataclass(frozen=True)
class FileSeed:
    """A file the config declares (`[files.<id>]`), stored at start."""

    id: str
    tenant: str
    display_name: str
    content_type: str
    data: bytes


def file_link(stored: StoredFile) -> dict[str, Any]:
    """The FileLink of a stored file."""
    return {
        "fileId": stored.id,
        "fileType": stored.file_type,
        "contentType": stored.content_type,
        "promptLink": prompt_link(stored.file_type, stored.id),
        "displayName": stored.display_name,
    }


class FileStore:
    """The `files` table on the store's SQLite connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(_SCHEMA)

    def add(
        self,
        tenant: str,
        display_name: str,
        content_type: str,
        data: bytes,
        now_ms: int,
        *,
        ttl_ms: int = 0,
        file_id: str | None = None,
    ) -> StoredFile:
        stored = StoredFile(
            id=file_id or str(uuid.uuid4()),
            tenant=tenant,
            display_name=display_name,
            content_type=content_type,
            file_type=file_type_of(content_type),
            size=len(data),
            created_at=now_ms,
            expires_at=now_ms + ttl_ms if ttl_ms else 0,
            data=data,
        )
        self._db.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stored.id,
                tenant,
                stored.display_name,
                stored.content_type,
                stored.file_type,
                stored.size,
                stored.created_at,
                stored.expires_at,
                stored.data,
            ),
        )
        return stored

    def seed(self, seed: FileSeed, now_ms: int) -> None:
        """A config-declared file, unless a file of that id is stored already."""
        if self._db.execute("SELECT 1 FROM files WHERE id = ?", (seed.id,)).fetchone():
            return
        self.add(
            seed.tenant, seed.display_name, seed.content_type, seed.data, now_ms, file_id=seed.id
        )

    def get(self, tenant: str, file_id: str, now_ms: int) -> StoredFile | None:
        """The tenant's file; None when unknown, another tenant's, or expired."""
        row = self._db.execute(
            "SELECT id, tenant, display_name, content_type, file_type, size, created_at,"
            " expires_at, data FROM files WHERE id = ? AND tenant = ?",
            (file_id, tenant),
        ).fetchone()
        if row is None:
            return None
        file_id, owner, name, content_type, file_type, size, created, expires, data = row
        stored = StoredFile(
            file_id, owner, name, content_type, file_type, size, created, expires, bytes(data)
        )
        if stored.expires_at and stored.expires_at <= now_ms:
            self._db.execute("DELETE FROM files WHERE id = ?", (file_id,))
            return None
        return stored

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM files").fetchone()[0])
