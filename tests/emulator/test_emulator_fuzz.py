"""Property: whatever arrives, the emulator answers with a well-formed HTTP
response below 500 (unless a fault header asked for a 5xx), as problem+json
whenever it is an error, and keeps serving afterwards."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fruxon_emulator import EmulatorServer

PREFIXES = [
    "/v1/tenants/acme-corp/",
    "/v1/tenants/other-org/",
    "/v1/tenants/",
    "/v1/",
    "/",
    "/_emulator/",
    "/v1/tenants/nobody/",
]
KNOWN_SEGMENTS = [
    "agents",
    "support-agent",
    "count-agent",
    "echo-agent",
    "revisions",
    "1",
    "3",
    "parameters",
    "executionRecords",
    "trace",
    "integrations",
    "github",
    "tools",
    "list_commits",
    "draft",
    "stats",
    "reset",
    "result",
    "tree",
    "approval-agent",
    "consult-agent",
    "pendingApprovals",
    "storage",
    "kb-1042",
]
VERBS = [
    "execute",
    "stream",
    "test",
    "streamTest",
    "verifyConfig",
    "python",
    "run",
    "trace",
    "parameters",
    "cancelRun",
    "cancelWait",
    "respond",
    "cancel",
    "bogus",
]
HEADER_NAMES = [
    "X-Custom",
    "Accept",
    "If-Match",
    "Idempotency-Key",
    "Content-Encoding",
    "Authorization",
    "X-API-KEY",
    "Accept-Encoding",
    "Cookie",
]
FAULT_KEYS = [
    "status",
    "times",
    "key",
    "framing",
    "final_blank",
    "truncate",
    "malformed_after",
    "error_after",
    "drop_after",
    "retry_after",
    "bogus",
]

segments = st.one_of(st.sampled_from(KNOWN_SEGMENTS), st.text(max_size=12))
paths = st.builds(
    lambda prefix, parts, verb, query: (
        prefix + "/".join(quote(p, safe="") for p in parts) + (f":{verb}" if verb else "") + query
    ),
    st.sampled_from(PREFIXES),
    st.lists(segments, max_size=6),
    st.one_of(st.none(), st.sampled_from(VERBS)),
    st.sampled_from(
        [
            "",
            "?pageSize=3",
            "?pageSize=-1",
            "?pageToken=%00",
            "?page_size=999",
            "?types=API&tags=x",
            "?query=%F0%9F%98%80",
            "?status=PENDING,NOPE",
            "?startTime=2025-01-01T00:00:00Z&endTime=x",
            "?temporary=maybe",
        ]
    ),
)
printable = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
fault_specs = st.lists(
    st.tuples(st.sampled_from(FAULT_KEYS), st.one_of(st.integers(-2, 600).map(str), printable)),
    max_size=3,
).map(lambda pairs: "; ".join(f"{k}={v}" for k, v in pairs))
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-10, 10**6),
        st.floats(allow_nan=False),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
shaped_bodies = st.fixed_dictionaries(
    {},
    optional={
        "parameters": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {},
                optional={
                    "question": json_values,
                    "count": st.integers(-5, 50),
                    "message": json_values,
                },
            ),
        ),
        "sessionId": json_values,
        "flow": st.one_of(
            json_values, st.just({"steps": [{"type": "ENTRY_POINT"}, {"type": "EXIT_POINT"}]})
        ),
        "id": json_values,
        "descriptor": json_values,
        "toolId": json_values,
        "script": st.text(max_size=30),
    },
).map(lambda body: json.dumps(body).encode())
bodies = st.one_of(
    st.none(),
    st.binary(max_size=200),
    shaped_bodies,
    json_values.map(lambda v: json.dumps(v).encode()),
)


@settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
    path=paths,
    body=bodies,
    auth=st.sampled_from(["key", "bearer", "other", "none", "wrong"]),
    extra=st.dictionaries(st.sampled_from(HEADER_NAMES), printable, max_size=3),
    fault=st.one_of(st.none(), fault_specs),
)
def test_any_request_gets_a_well_formed_answer(
    fruxon_emulator: EmulatorServer,
    method: str,
    path: str,
    body: bytes | None,
    auth: str,
    extra: dict[str, str],
    fault: str | None,
) -> None:
    headers = dict(extra)
    headers.update(
        {
            "key": {"X-API-KEY": fruxon_emulator.api_key},
            "bearer": {"Authorization": f"Bearer {fruxon_emulator.api_key}"},
            "other": {"X-API-KEY": fruxon_emulator.other_api_key},
            "wrong": {"X-API-KEY": "nope"},
            "none": {},
        }[auth]
    )
    if fault is not None:
        headers["X-Fruxon-Emulator-Fault"] = fault
    status, content_type = send(fruxon_emulator.port, method, path, body, headers)
    asked_for_trouble = fault is not None and any(
        word in fault for word in ("status=5", "truncate", "drop_after")
    )
    if status is None:
        assert asked_for_trouble, "connection broke without a fault asking for it"
    elif not asked_for_trouble:
        assert status < 500, (method, path, body, headers)
    if status is not None and status >= 400 and method != "HEAD":
        assert content_type == "application/problem+json", (status, path)
    assert send(fruxon_emulator.port, "GET", "/_emulator/health", None, {})[0] == 200


def send(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int | None, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, (response.getheader("Content-Type") or "").split(";")[0]
    except (http.client.IncompleteRead, ConnectionError, http.client.RemoteDisconnected):
        return None, ""
    finally:
        connection.close()


def test_garbage_bytes_on_the_socket_do_not_kill_the_server(
    fruxon_emulator: EmulatorServer, make_api: Any
) -> None:
    import socket

    for garbage in (
        b"\x00\xff\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST\r\n\r\n",
        b"GET /v1 HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", fruxon_emulator.port), timeout=5) as sock:
            sock.sendall(garbage)
            sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(4096)
        assert answer == b"" or answer[:12] in (b"HTTP/1.1 400", b"HTTP/1.0 400")
    assert make_api(fruxon_emulator).get("agents").status == 200
