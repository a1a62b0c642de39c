"""Error mapping, messages, and keeping the API key out of every repr, message and log."""

from __future__ import annotations

import email.utils
import json
import pickle

import pytest

from fruxon_core import operations as ops
from fruxon_core.config import DEFAULT_BASE_URL, ClientConfig, Secret, user_agent
from fruxon_core.exceptions import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    FruxonAPIError,
    FruxonConnectionError,
    FruxonError,
    FruxonStreamError,
    FruxonTimeoutError,
    InsufficientScopeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ValidationError,
    error_from_response,
    failure_reason,
    parse_retry_after,
)
from fruxon_core.http import Request, Response, Timeout
from fruxon_core.redaction import REDACTED, mask_secret, redact_headers, scrub_secrets

API_KEY = "fxn_secret"


def _problem(status: int, **fields: object) -> bytes:
    return json.dumps({"title": "T", "status": status, "detail": "D", **fields}).encode()


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, FruxonAPIError),
        (301, FruxonAPIError),
    ],
)
def test_status_maps_to_exception_class(status, cls):
    error = error_from_response(status, {}, _problem(status))
    assert type(error) is cls
    assert isinstance(error, FruxonAPIError)
    assert isinstance(error, FruxonError)
    assert error.status == error.status_code == status


def test_hierarchy():
    assert issubclass(InsufficientScopeError, ForbiddenError)
    assert issubclass(FruxonTimeoutError, FruxonConnectionError)
    assert issubclass(FruxonStreamError, FruxonAPIError)
    assert not issubclass(FruxonConnectionError, FruxonAPIError)


def test_message_format():
    error = error_from_response(404, {}, b'{"title": "Not Found", "detail": "Agent x not found"}')
    assert str(error) == "404 Not Found: Agent x not found"
    assert (error.title, error.detail) == ("Not Found", "Agent x not found")


def test_message_with_empty_detail_ends_in_colon_space():
    assert str(error_from_response(401, {}, b'{"title": "Unauthorized"}')) == "401 Unauthorized: "


def test_validation_errors_map_is_rendered(load_fixture):
    error = error_from_response(400, {}, load_fixture("problem_400_validation.json"))
    assert isinstance(error, ValidationError)
    assert error.detail == (
        "The request body is invalid.; The JSON value could not be parsed.; "
        "parameters.question: The question field is required.; "
        "parameters.question: Must be under 4000 characters.; Request rejected."
    )
    assert str(error).startswith("400 One or more validation errors occurred.: ")
    assert error.errors["parameters.question"] == [
        "The question field is required.",
        "Must be under 4000 characters.",
    ]
    assert error.problem["instance"].endswith(":execute")


def test_spec_example_of_a_validation_message():
    body = json.dumps(
        {
            "title": "Bad Thing",
            "detail": "it broke",
            "errors": {"$.x": ["must be set"], "mode": "could not be converted"},
        }
    ).encode()
    assert (
        str(error_from_response(400, {}, body))
        == "400 Bad Thing: it broke; $.x: must be set; mode: could not be converted"
    )


@pytest.mark.parametrize(
    ("detail", "errors", "message"),
    [
        # the emulator's missing parameter: the detail names the field
        (
            "Missing required parameter(s): question.",
            {"parameters.question": ["is required"]},
            "422 Invalid: Missing required parameter(s): question.",
        ),
        # a 400 whose only field error is the detail itself
        (
            "The request body must be a JSON object.",
            {"$": ["The request body must be a JSON object."]},
            "422 Invalid: The request body must be a JSON object.",
        ),
        # fields the detail does not name are listed, each once
        (
            "Missing required parameter(s): question.",
            {"parameters.question": ["is required"], "parameters.topic": ["too long", "too long"]},
            "422 Invalid: Missing required parameter(s): question.; parameters.topic: too long",
        ),
        # a word inside another is not the field's name
        (
            "The questionnaire is invalid.",
            {"question": ["is required"]},
            "422 Invalid: The questionnaire is invalid.; question: is required",
        ),
    ],
)
def test_validation_message_says_each_problem_once(detail, errors, message):
    body = json.dumps({"title": "Invalid", "detail": detail, "errors": errors}).encode()
    error = error_from_response(422, {}, body)
    assert str(error) == message
    assert error.errors == errors  # every message stays on the exception


def test_errors_without_detail_become_the_detail():
    error = error_from_response(422, {}, b'{"title": "Invalid", "errors": {"name": ["too long"]}}')
    assert error.detail == "name: too long"


def test_errors_that_are_not_a_map_are_ignored():
    error = error_from_response(400, {}, b'{"title": "Bad", "detail": "d", "errors": ["x"]}')
    assert error.detail == "d"
    assert error.errors == {}


def test_conflict_carries_error_code(load_fixture):
    error = error_from_response(409, {}, load_fixture("problem_409_conflict.json"))
    assert isinstance(error, ConflictError)
    assert error.error_code == "notice_limit"
    assert str(error) == "409 Conflict: Notice limit reached for this agent."


def test_non_string_code_is_ignored():
    assert error_from_response(409, {}, b'{"title": "C", "code": 5}').error_code is None


def test_insufficient_scope(load_fixture):
    error = error_from_response(403, {}, load_fixture("problem_403_insufficient_scope.json"))
    assert isinstance(error, InsufficientScopeError)
    assert error.required == "agents:execute"
    assert error.granted == ["agents:read", "integrations:read"]
    assert str(error) == "403 Forbidden: The API key lacks the agents:execute scope."


def test_insufficient_scope_with_missing_fields():
    error = error_from_response(403, {}, b'{"error": "insufficient_scope", "granted": "x"}')
    assert isinstance(error, InsufficientScopeError)
    assert (error.required, error.granted) == ("", [])


def test_other_403_is_plain_forbidden():
    error = error_from_response(403, {}, b'{"title": "Forbidden", "error": "something_else"}')
    assert type(error) is ForbiddenError


@pytest.mark.parametrize(
    ("body", "title", "detail"),
    [
        (
            b'{"message": "Agent missing", "details": "no such agent"}',
            "Agent missing",
            "no such agent",
        ),
        (b'{"title": "", "message": "M", "detail": "", "details": "DD"}', "M", "DD"),
        (b'{"title": "T", "message": "M", "detail": "D", "details": "DD"}', "T", "D"),
        (b'{"title": 5, "detail": ["x"]}', "Not Found", ""),
        (b"{}", "Not Found", ""),
    ],
)
def test_title_and_detail_fallbacks(body, title, detail):
    error = error_from_response(404, {}, body, reason="Not Found")
    assert (error.title, error.detail) == (title, detail)


@pytest.mark.parametrize(
    ("body", "reason", "title", "detail"),
    [
        (
            b"<html><body>Bad Gateway</body></html>",
            "Bad Gateway",
            "Bad Gateway",
            "<html><body>Bad Gateway</body></html>",
        ),
        (b"upstream timed out\n", "", "Error", "upstream timed out"),
        (b"", "Service Unavailable", "Service Unavailable", "Service Unavailable"),
        (b"", "", "Error", "HTTP 502"),
        (b"[1, 2]", "", "Error", "[1, 2]"),
        (b'"just a string"', "", "Error", '"just a string"'),
        (b"null", "", "Error", "null"),
        (b"\xff\xfe garbage", "", "Error", "\ufffd\ufffd garbage"),
    ],
)
def test_non_problem_bodies(body, reason, title, detail):
    error = error_from_response(502, {}, body, reason=reason)
    assert isinstance(error, ServerError)
    assert (error.title, error.detail) == (title, detail)
    assert str(error) == f"502 {title}: {detail}"


def test_long_text_body_is_truncated():
    error = error_from_response(500, {}, b"x" * 5000)
    assert len(error.detail) == 500


@pytest.mark.parametrize(
    ("headers", "request_id"),
    [
        ({"x-request-id": "req-1"}, "req-1"),
        ({"request-id": "req-2"}, "req-2"),
        ({"x-correlation-id": "req-3"}, "req-3"),
        ({"x-request-id": "a", "request-id": "b"}, "a"),
        ({"content-type": "application/json"}, None),
    ],
)
def test_request_id_from_headers(headers, request_id):
    error = error_from_response(500, headers, b"{}")
    assert error.request_id == request_id
    assert error.headers == headers


def test_rate_limit_retry_after_seconds():
    error = error_from_response(429, {"retry-after": "7"}, b'{"title": "Too Many Requests"}')
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0


def test_rate_limit_without_retry_after():
    error = error_from_response(429, {}, b"{}")
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None
    assert "retry after" not in str(error)


@pytest.mark.parametrize(
    ("retry_after", "detail", "message"),
    [
        ("3", "Slow down.", "429 Too Many Requests: Slow down. (retry after 3s)"),
        ("2.2", "Slow down.", "429 Too Many Requests: Slow down. (retry after 3s)"),
        ("0", "", "429 Too Many Requests: retry after 0s"),
    ],
)
def test_rate_limit_message_says_when_to_retry(retry_after, detail, message):
    body = json.dumps({"title": "Too Many Requests", "detail": detail}).encode()
    error = error_from_response(429, {"retry-after": retry_after}, body)
    assert str(error) == message
    assert error.detail == detail


def test_rate_limit_retry_after_http_date():
    future = email.utils.formatdate(4_000_000_000, usegmt=True)
    error = error_from_response(429, {"retry-after": future}, b"{}")
    assert isinstance(error, RateLimitError)
    assert error.retry_after is not None
    assert error.retry_after > 1_000_000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("Wed, 99 Foo", None),
    ],
)
def test_parse_retry_after(value, expected):
    now = 1445412470.0  # 2015-10-21T07:27:50Z
    assert parse_retry_after(value, now=now) == expected


def test_parse_retry_after_uses_the_clock_by_default():
    assert parse_retry_after(email.utils.formatdate(0, usegmt=True)) == 0.0


def test_stream_error_fields():
    error = FruxonStreamError("provider down", "provider_unavailable")
    assert (error.message, error.code, error.error_code) == (
        "provider down",
        "provider_unavailable",
        "provider_unavailable",
    )
    assert error.status == 200
    assert error.detail == "provider down"
    assert str(error) == (
        "the run failed while streaming: provider down (code: provider_unavailable)"
    )
    assert FruxonStreamError("x").code is None
    assert str(FruxonStreamError("x")) == "the run failed while streaming: x"
    assert "200" not in str(FruxonStreamError("x"))


def test_stream_error_message_is_bounded():
    error = FruxonStreamError("m" * 10_000, "c" * 1_000)
    assert len(str(error)) < 2_600
    assert error.message == "m" * 10_000


def test_connection_error_fields():
    error = FruxonConnectionError("[Errno 111] Connection refused", request_sent=False)
    assert str(error) == "[Errno 111] Connection refused"
    assert error.request_sent is False
    assert repr(error) == (
        "FruxonConnectionError('[Errno 111] Connection refused', request_sent=False)"
    )
    assert FruxonTimeoutError("timed out").request_sent is True


def test_connection_error_hint_follows_the_message():
    error = FruxonConnectionError.cannot_connect("api.example:8443", "refused")
    assert (error.message, error.request_sent) == (
        "could not connect to api.example:8443: refused",
        False,
    )
    assert error.hint == "nothing was sent; check base_url and your network"
    assert str(error) == f"{error.message} ({error.hint})"
    assert repr(error).endswith(f"request_sent=False, hint={error.hint!r})")
    lost = FruxonConnectionError.lost("reset")
    assert str(lost) == "connection failed: reset (the request may have reached the server)"
    assert lost.request_sent is True


def _raised(error: BaseException, cause: BaseException | None = None) -> BaseException:
    try:
        raise error from cause
    except BaseException as caught:
        return caught


class _LibraryError(Exception):
    """An HTTP library's own exception, wording a socket error its own way."""


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        # aiohttp: the number, in asyncio's words
        (
            ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 1)"),
            "[Errno 111] Connection refused",
        ),
        # anyio (httpx async): a summary whose cause is the socket's error
        (
            _raised(OSError("All connection attempts failed"), ConnectionRefusedError(111, "x")),
            "[Errno 111] Connection refused",
        ),
        # urllib3/requests: wrappers around wrappers, the socket error as an argument
        (
            _LibraryError(
                _LibraryError(
                    "HTTPConnectionPool(host='h', port=1): Max retries",
                    ConnectionRefusedError(111, "refused"),
                )
            ),
            "[Errno 111] Connection refused",
        ),
        (OSError(-2, "Name or service not known"), "[Errno -2] Name or service not known"),
        (_raised(_LibraryError("boom"), ConnectionResetError()), "Connection reset by peer"),
        (
            _LibraryError(_LibraryError("Connection broken: IncompleteRead")),
            "Connection broken: IncompleteRead",
        ),
        (_LibraryError(), "_LibraryError"),
    ],
)
def test_failure_reason_names_the_operating_systems_error(error, reason):
    assert failure_reason(error) == reason
    assert (
        FruxonConnectionError.cannot_connect("h:1", error).message
        == f"could not connect to h:1: {reason}"
    )


def test_failure_reason_of_a_tls_error_is_openssls():
    import ssl

    error = ssl.SSLCertVerificationError(
        1,
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
        " (_ssl.c:1006)",
    )
    assert failure_reason(_raised(_LibraryError("wrapped"), error)) == (
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )


def test_timeout_messages_name_the_limit_and_what_to_raise():
    connect = FruxonTimeoutError.connecting(host="api.example", limit=5)
    assert str(connect) == (
        "timed out connecting to api.example after 5s "
        "(connect timeout; nothing was sent; check base_url and your network)"
    )
    assert (connect.kind, connect.request_sent) == ("connect", False)
    read = FruxonTimeoutError.waiting(0.5)
    assert str(read) == (
        "timed out waiting for the server: no data for 0.5s "
        "(read timeout: raise Timeout.read if the server needs longer)"
    )
    idle = FruxonTimeoutError.stream_idle(30)
    assert str(idle) == (
        "no stream event for 30s "
        "(stream idle timeout: raise Timeout.stream_idle if the agent pauses for longer)"
    )


def test_api_error_repr():
    error = error_from_response(404, {"x-request-id": "r1"}, b'{"title": "NF", "code": "c"}')
    assert repr(error) == (
        "NotFoundError(status=404, title='NF', detail='', error_code='c', request_id='r1')"
    )


def test_errors_default_retries_to_zero():
    assert FruxonAPIError(500, "x").retries == 0


# -- secrets ----------------------------------------------------------------------------


def test_error_from_a_call_never_contains_the_api_key(make_pipeline):
    runner = make_pipeline().runner(ops.get_agent("a"))
    request = runner.prepare()
    assert request.headers["X-API-KEY"] == API_KEY  # the key really is on the request
    response = Response(401, {"x-request-id": "r"}, b'{"title": "Unauthorized"}', request)
    with pytest.raises(AuthenticationError) as info:
        runner.finish(response)
    error = info.value
    for text in (str(error), repr(error), repr(vars(error)), repr(error.args)):
        assert API_KEY not in text


@pytest.mark.parametrize("render", [repr, str, lambda s: f"{s}", lambda s: f"{s!r}", "{}".format])
def test_secret_never_renders_its_value(render):
    secret = Secret(API_KEY)
    text = render(secret)
    assert API_KEY not in text
    assert text == "Secret('**********')"


def test_secret_value_and_equality():
    secret = Secret(API_KEY)
    assert secret.get_secret_value() == API_KEY
    assert secret == Secret(API_KEY)
    assert secret != Secret("other")
    assert secret != API_KEY
    assert hash(secret) == hash(Secret(API_KEY))
    assert bool(secret) is True
    assert bool(Secret("")) is False
    assert repr(Secret("")) == "Secret('')"


def test_secret_cannot_be_pickled():
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(API_KEY))


def test_client_config_repr_hides_the_key():
    config = ClientConfig(api_key=Secret(API_KEY), org="acme")
    assert API_KEY not in repr(config)
    assert API_KEY not in str(config)


def test_mask_secret_hides_length():
    assert mask_secret("a") == mask_secret("a" * 100) == "**********"
    assert mask_secret("") == ""


def test_request_repr_redacts_credentials():
    request = Request(
        "POST",
        "https://api.fruxon.com/v1/tenants/acme/agents/a:execute",
        {
            "X-API-KEY": API_KEY,
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/json",
            "X-Custom-Signature": "sig",
        },
        body=b"{}",
    )
    text = repr(request)
    assert API_KEY not in text
    assert "'X-API-KEY': 'REDACTED'" in text
    assert "'Authorization': 'REDACTED'" in text
    assert "'X-Custom-Signature': 'REDACTED'" in text
    assert "'Content-Type': 'application/json'" in text
    assert "body=2 bytes" in text


def test_response_repr_redacts_unknown_headers():
    request = Request("GET", "https://x", {})
    response = Response(
        200, {"set-cookie": "s=1", "content-type": "application/json"}, b"{}", request, "OK"
    )
    assert repr(response) == (
        "Response(200 OK, headers={'set-cookie': 'REDACTED', "
        "'content-type': 'application/json'}, body=2 bytes)"
    )


def test_redact_headers_allowlist():
    headers = {"X-Api-Key": "k", "ACCEPT": "a", "Traceparent": "t", "X-Tenant": "acme"}
    assert redact_headers(headers) == {
        "X-Api-Key": REDACTED,
        "ACCEPT": "a",
        "Traceparent": "t",
        "X-Tenant": REDACTED,
    }
    assert redact_headers(headers, allow=["x-tenant"])["X-Tenant"] == "acme"
    assert headers["X-Api-Key"] == "k"  # a copy, not a mutation


def test_scrub_secrets():
    assert scrub_secrets(f"key {API_KEY} echoed {API_KEY}", [API_KEY, ""]) == (
        "key REDACTED echoed REDACTED"
    )
    assert scrub_secrets("clean", [API_KEY]) == "clean"


# -- config and request values ----------------------------------------------------------


def test_client_config_basics():
    config = ClientConfig(api_key=Secret("k"), org="acme corp", base_url="http://localhost:8000//")
    assert config.base_url == "http://localhost:8000"
    assert config.api_prefix == "http://localhost:8000/v1/tenants/acme%20corp"
    assert ClientConfig(api_key=Secret("k"), org="o").base_url == DEFAULT_BASE_URL
    with pytest.raises(ValueError, match="org"):
        ClientConfig(api_key=Secret("k"), org="")


def test_client_config_with_options():
    config = ClientConfig(api_key=Secret("k"), org="o", default_headers={"A": "1"})
    assert config.with_options() == config
    changed = config.with_options(timeout=5, max_retries=0, headers={"B": "2"})
    assert changed.timeout == Timeout(connect=5.0, read=5.0, stream_idle=5.0, total=None)
    assert changed.max_retries == 0
    assert changed.default_headers == {"A": "1", "B": "2"}
    assert config.max_retries == 2  # original untouched
    assert config.with_options(timeout=None).timeout == Timeout(None, None, None, None)
    with pytest.raises(ValueError, match="max_retries"):
        config.with_options(max_retries=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (30, Timeout(connect=10.0, read=30.0, stream_idle=30.0, total=None)),
        (2.5, Timeout(connect=2.5, read=2.5, stream_idle=2.5, total=None)),
        (None, Timeout(connect=None, read=None, stream_idle=None, total=None)),
        (Timeout(total=9), Timeout(total=9)),
    ],
)
def test_timeout_of(value, expected):
    assert Timeout.of(value) == expected


def test_user_agent_format():
    import platform

    from fruxon_core import __version__

    assert user_agent("requests", "2.32") == (
        f"fruxon-python/{__version__} requests/2.32 python/{platform.python_version()}"
    )


def test_request_header_helpers():
    request = Request("GET", "https://x", {"Accept": "a", "X-One": "1"})
    assert request.header("accept") == "a"
    assert request.header("missing") is None
    assert request.with_headers({}) is request
    changed = request.with_headers({"ACCEPT": "b", "X-Two": "2"})
    assert dict(changed.headers) == {"X-One": "1", "ACCEPT": "b", "X-Two": "2"}
    assert request.headers == {"Accept": "a", "X-One": "1"}
    # an exact name is overwritten in place; two spellings of one new name: the last wins
    again = changed.with_headers({"X-One": "one", "x-three": "a", "X-Three": "b"})
    assert dict(again.headers) == {"X-One": "one", "ACCEPT": "b", "X-Two": "2", "X-Three": "b"}
    assert (again.method, again.url, again.body) == (request.method, request.url, request.body)


@pytest.mark.parametrize(("status", "ok"), [(199, False), (200, True), (204, True), (300, False)])
def test_response_ok(status, ok):
    assert Response(status, {}, b"", Request("GET", "https://x", {})).ok is ok
