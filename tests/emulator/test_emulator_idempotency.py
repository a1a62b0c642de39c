"""The Idempotency-Key cache on its own: fingerprints, encoded replays, the size bound."""

from __future__ import annotations

import asyncio

import msgspec

from fruxon_emulator.idempotency import IdempotencyCache, request_fingerprint
from fruxon_emulator.replies import JsonReply


def test_fingerprint_compares_json_by_content_not_key_order() -> None:
    one = request_fingerprint("POST", "/p", b'{"a": 1, "b": {"y": [1, 2], "x": null}}')
    assert one == request_fingerprint("POST", "/p", b'{"b":{"x":null,"y":[1,2]},"a":1}')
    assert one != request_fingerprint("POST", "/p", b'{"a": 2, "b": {"y": [1, 2], "x": null}}')
    assert one != request_fingerprint("POST", "/q", b'{"a": 1, "b": {"y": [1, 2], "x": null}}')
    assert one != request_fingerprint("PUT", "/p", b'{"a": 1, "b": {"y": [1, 2], "x": null}}')
    # not JSON: compared byte for byte
    assert request_fingerprint("POST", "/p", b"{x") != request_fingerprint("POST", "/p", b"{y")
    assert request_fingerprint("POST", "/p", b"  ") == request_fingerprint("POST", "/p", b"")


def _run(cache: IdempotencyCache, key: str, runs: list[str]) -> tuple[JsonReply, bool]:
    async def produce() -> JsonReply:
        runs.append(key)
        return JsonReply(200, {"key": key, "nested": {"list": [1, 2]}})

    return asyncio.run(cache.run(("t", key), "fingerprint", produce))


def test_replays_are_the_first_reply_encoded_once() -> None:
    cache, runs = IdempotencyCache(), []
    first, replayed = _run(cache, "k", runs)
    assert not replayed
    again, replayed = _run(cache, "k", runs)
    assert replayed
    assert runs == ["k"]
    assert isinstance(again.payload, msgspec.Raw)  # kept as bytes, not a tree of objects
    assert again.body_bytes() == first.body_bytes() == b'{"key":"k","nested":{"list":[1,2]}}'


def test_oldest_keys_are_forgotten_beyond_the_bound() -> None:
    cache, runs = IdempotencyCache(max_entries=3), []
    for key in "abcde":
        _run(cache, key, runs)
    assert len(cache) == 3
    assert _run(cache, "e", runs)[1]  # recent: replayed
    assert _run(cache, "c", runs)[1]
    assert not _run(cache, "a", runs)[1]  # forgotten: runs again
    assert runs == ["a", "b", "c", "d", "e", "a"]
    assert len(cache) == 3
