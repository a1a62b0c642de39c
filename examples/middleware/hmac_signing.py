"""Sign every request with HMAC-SHA256, e.g. for a gateway that verifies callers."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from fruxon_core import BodyStream, CallContext, Request, hookimpl


def signature(secret: bytes, method: str, path: str, timestamp: str, body: bytes | None) -> str:
    """HMAC-SHA256 over method, path, timestamp and the SHA-256 of the body.

    A file upload is streamed, not held in memory (``request.body`` is then a
    ``BodyStream``): it is signed as ``UNSIGNED-PAYLOAD``.
    """
    digest = "UNSIGNED-PAYLOAD" if body is None else hashlib.sha256(body).hexdigest()
    message = f"{method}\n{path}\n{timestamp}\n{digest}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


class HmacSigner:
    """Adds ``X-Signature-Timestamp`` and ``X-Signature`` to every attempt.

    ``fruxon_prepare_request`` runs once per attempt, so a retried request
    is signed again with a fresh timestamp.
    """

    name = "hmac-signer"

    def __init__(self, key_id: str, secret: bytes) -> None:
        self.key_id = key_id
        self._secret = secret

    @hookimpl
    def fruxon_prepare_request(self, request: Request, context: CallContext) -> Mapping[str, str]:
        timestamp = f"{time.time():.6f}"
        body = None if isinstance(request.body, BodyStream) else request.body or b""
        mac = signature(self._secret, request.method, request.path, timestamp, body)
        return {
            "X-Signature-Timestamp": timestamp,
            "X-Signature": f"keyId={self.key_id},hmac-sha256={mac}",
        }
