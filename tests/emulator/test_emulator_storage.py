"""Files over the wire (survey §3.3.4, §4): multipart uploads to `/storage`,
downloads by id or prompt link, the size bound, and the agents that read and
write files (`file-agent`, `report-agent`)."""

from __future__ import annotations

import http.client
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fruxon_emulator import EmulatorServer

FILELINK_FIELDS = {"fileId", "fileType", "contentType", "promptLink", "displayName"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary, with CR/LF and NULs inside


def problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json"
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


def test_upload_returns_a_file_link_and_download_serves_the_bytes(api: Any) -> None:
    link = api.upload_file("scan.png", PNG, "image/png")
    assert set(link) == FILELINK_FIELDS
    assert (link["fileType"], link["contentType"], link["displayName"]) == (
        "image",
        "image/png",
        "scan.png",
    )
    assert link["promptLink"] == f"<image:{link['fileId']}/>"
    reply = api.get(f"storage/{link['fileId']}", headers={"Accept": "*/*"})
    assert reply.status == 200
    assert reply.body == PNG
    assert reply.content_type == "image/png"
    assert reply.headers["Content-Length"] == str(len(PNG))
    assert 'filename="scan.png"' in reply.headers["Content-Disposition"]


def test_download_by_prompt_link(api: Any) -> None:
    link = api.upload_file("notes.pdf", b"%PDF-1.4 tiny", "application/pdf")
    assert link["promptLink"] == f"<pdf:{link['fileId']}/>"
    encoded = link["promptLink"].replace("<", "%3C").replace(":", "%3A").replace("/", "%2F")
    reply = api.get(f"storage/{encoded.replace('>', '%3E')}")
    assert (reply.status, reply.body) == (200, b"%PDF-1.4 tiny")
    assert reply.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("filename", "declared", "content_type", "file_type"),
    [
        ("clip.mp3", None, "audio/mpeg", "audio"),
        ("data.json", None, "application/json", "text"),
        ("a.txt", "text/plain; charset=utf-8", "text/plain; charset=utf-8", "text"),
        ("blob", None, "application/octet-stream", "file"),
        ("movie.mp4", "not a type", "video/mp4", "video"),
        ("report.docx", "application/octet-stream", "application/octet-stream", "file"),
    ],
)
def test_content_type_is_declared_or_guessed(
    api: Any, filename: str, declared: str | None, content_type: str, file_type: str
) -> None:
    link = api.upload_file(filename, b"x", declared)
    assert (link["contentType"], link["fileType"]) == (content_type, file_type)
    assert api.get(f"storage/{link['fileId']}").headers["Content-Type"] == content_type


def test_display_name_is_the_last_path_component(api: Any) -> None:
    # quoted-string escapes: the wire `C:\\Users\\me\\photo.jpg` is the name C:\Users\me\photo.jpg
    windows = "C:\\\\Users\\\\me\\\\photo.jpg"
    assert api.upload_file(windows, b"x")["displayName"] == "photo.jpg"
    assert api.upload_file("../../etc/passwd", b"x")["displayName"] == "passwd"
    reply = api.upload([api.Part("file", b"abc")])  # a part without a filename
    assert reply.status == 200, reply.body
    assert reply.json()["displayName"] == "file"


def test_non_ascii_names_download_with_rfc5987(api: Any) -> None:
    link = api.upload_file("résumé.txt", b"hello", "text/plain")
    disposition = api.get(f"storage/{link['fileId']}").headers["Content-Disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.txt" in disposition
    assert disposition.isascii()


def test_other_form_fields_are_ignored(api: Any) -> None:
    parts = [api.Part("purpose", b"ocr"), api.Part("file", b"data", "a.bin"), api.Part("x", b"")]
    reply = api.upload(parts)
    assert reply.status == 200, reply.body
    assert api.get(f"storage/{reply.json()['fileId']}").body == b"data"


def test_temporary_files_expire(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "emulator": {"temporary_file_ttl_ms": 1500},
        "tenants": {"t": {"api_keys": ["k"]}},
    }
    api = make_api(fruxon_emulator_factory(config))
    kept = api.upload([api.Part("file", b"kept", "k.txt")], "?temporary=false").json()
    gone = api.upload([api.Part("file", b"gone", "g.txt")], "?temporary=true").json()
    assert api.get(f"storage/{gone['fileId']}").body == b"gone"
    assert api.wait_for(lambda: api.get(f"storage/{gone['fileId']}").status == 404)
    assert api.get(f"storage/{kept['fileId']}").body == b"kept"
    problem(api.upload([api.Part("file", b"x", "x")], "?temporary=soon"), 400)


@pytest.mark.parametrize(
    "text",
    [
        "[emulator]\nmax_upload_bytes = 0\n",
        "[emulator]\ntemporary_file_ttl_ms = -1\n",
        "[files.f]\ntext = 5\n",
        "[files.f]\ntenant = 'nobody'\n",
    ],
)
def test_bad_file_settings_are_config_errors(text: str) -> None:
    from fruxon_emulator import ConfigError, parse_config

    with pytest.raises(ConfigError):
        parse_config(f'[tenants.t]\napi_keys=["k"]\n{text}')


def test_seeded_files_are_served(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {
        "tenants": {"t": {"api_keys": ["k"]}},
        "files": {"doc-1": {"display_name": "doc.md", "text": "# hi\n"}},
    }
    api = make_api(fruxon_emulator_factory(config))
    reply = api.get("storage/doc-1")
    assert (reply.status, reply.body, reply.content_type) == (200, b"# hi\n", "text/markdown")


def test_unknown_and_foreign_files_are_404(api: Any) -> None:
    link = api.upload_file("mine.txt", b"secret")
    problem(api.get("storage/00000000-0000-0000-0000-000000000000"), 404)
    foreign = api.request(
        "GET",
        api.path(f"storage/{link['fileId']}", org="other-org"),
        headers={"X-API-KEY": "fxn_emulator_other_key"},
        auth=False,
    )
    problem(foreign, 404)


def test_the_support_agents_link_is_stored(api: Any) -> None:
    body = api.post("agents/support-agent:execute", {"parameters": {"question": "reset?"}}).json()
    assert body["response"].endswith(
        "The best match is KB-1042: https://kb.example.invalid/articles/kb-1042"
    )
    (link,) = body["links"]
    article = api.get(f"storage/{link['fileId']}")
    assert article.status == 200
    assert article.content_type == "text/html"
    assert b"<title>KB-1042: Resetting your password</title>" in article.body


@pytest.mark.parametrize(
    ("parts", "status", "field"),
    [
        ([], 400, "file"),  # no part at all
        ([("upload", b"data", "a.txt")], 400, "file"),  # the wrong field name
        ([("FILE", b"data", "a.txt")], 400, "file"),  # names are case-sensitive
        ([(None, b"data", "a.txt")], 400, "file"),  # a part without a name
        ([("file", b"a", "a.txt"), ("file", b"b", "b.txt")], 400, "file"),  # two files
        ([("file", b"", "empty.txt")], 422, "file"),  # an empty file
    ],
)
def test_bad_uploads_are_problems(
    api: Any, parts: list[tuple[Any, bytes, str]], status: int, field: str
) -> None:
    reply = api.upload([api.Part(*part) for part in parts])
    body = problem(reply, status)
    assert field in body["errors"]


def test_the_wrong_field_name_is_reported(api: Any) -> None:
    body = problem(api.upload([api.Part("upload", b"x", "a.txt")]), 400)
    assert "'upload'" in body["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "multipart/mixed; boundary=x", "application/octet-stream"],
)
def test_a_body_that_is_not_form_data_is_415(api: Any, content_type: str) -> None:
    reply = api.request(
        "POST", api.path("storage"), b'{"file": "x"}', {"Content-Type": content_type}
    )
    assert "Content-Type" in problem(reply, 415)["errors"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"garbage without any boundary",
        b'--fruxon-test-boundary\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
        b'--other-boundary\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n'
        b"--other-boundary--\r\n",
    ],
)
def test_broken_framing_is_400(api: Any, body: bytes) -> None:
    problem(api.upload(body), 400)


def test_form_data_without_a_boundary_is_400(api: Any) -> None:
    reply = api.request("POST", api.path("storage"), b"x", {"Content-Type": "multipart/form-data"})
    assert "boundary" in problem(reply, 400)["detail"]


def test_a_nested_multipart_part_is_400(api: Any) -> None:
    inner = b'--inner\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--inner--\r\n'
    part = api.Part("file", inner, "a.txt", "multipart/mixed; boundary=inner")
    problem(api.upload([part]), 400)


def test_uploads_above_the_limit_are_413(fruxon_emulator_factory: Any, make_api: Any) -> None:
    config = {"emulator": {"max_upload_bytes": 1000}, "tenants": {"t": {"api_keys": ["k"]}}}
    api = make_api(fruxon_emulator_factory(config))
    assert api.upload([api.Part("file", b"x" * 1000, "ok.bin")]).status == 200  # at the limit
    problem(api.upload([api.Part("file", b"x" * 1001, "big.bin")]), 413)
    huge = api.Part("file", b"x" * 200_000, "huge.bin")
    problem(api.upload([huge]), 413)  # refused from Content-Length alone
    problem(api.upload([api.Part("note", b"y" * 70_000), api.Part("file", b"x", "a")]), 413)
    assert api.upload([api.Part("file", b"still fine", "a.txt")]).status == 200


def test_a_chunked_upload_above_the_limit_is_413(
    fruxon_emulator_factory: Any, make_api: Any
) -> None:
    config = {"emulator": {"max_upload_bytes": 1000}, "tenants": {"t": {"api_keys": ["k"]}}}
    server = fruxon_emulator_factory(config)
    api = make_api(server)
    body = api.multipart_body([api.Part("file", b"z" * 5000, "big.bin")])
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(
            "POST",
            api.path("storage"),
            body=iter([body[:2000], body[2000:]]),  # an iterable: sent chunked
            headers={
                "X-API-KEY": api.key,
                "Content-Type": "multipart/form-data; boundary=fruxon-test-boundary",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413
        assert response.getheader("Content-Type", "").startswith("application/problem+json")
    finally:
        connection.close()


def test_uploading_needs_assets_write(api: Any) -> None:
    readonly = {"X-API-KEY": "fxn_emulator_readonly_key"}
    reply = api.upload([api.Part("file", b"x", "a")], headers=readonly)
    assert problem(reply, 403)["required"] == "assets:write"
    link = api.upload_file("a.txt", b"x")
    assert problem(api.get(f"storage/{link['fileId']}", headers=readonly), 403)["required"] == (
        "assets:read"
    )


# -- the agents that read and write files --------------------------------------------------


def test_file_agent_reads_a_file_named_by_its_parameter(api: Any) -> None:
    link = api.upload_file("invoice.pdf", b"%PDF" + b"0" * 96, "application/pdf")
    body = api.post("agents/file-agent:execute", {"parameters": {"file": link["promptLink"]}})
    assert body.status == 200, body.body
    run = body.json()
    assert run["response"] == 'Read "invoice.pdf": 100 bytes of application/pdf.'
    record_id = run["executionRecordId"]
    result = api.get(f"agents/file-agent/executionRecords/{record_id}/result").json()
    assert result["result"] == {
        "jsonValue": {
            "fileId": link["fileId"],
            "fileName": "invoice.pdf",
            "sizeBytes": "100",
            "contentType": "application/pdf",
            "summary": run["response"],
        }
    }
    by_id = api.post("agents/file-agent:execute", {"parameters": {"file": link["fileId"]}})
    assert by_id.json()["response"] == run["response"]


def test_file_agent_takes_an_attachment(api: Any) -> None:
    link = api.upload_file("photo.png", PNG, "image/png")
    for attachment in (link, {"fileId": link["fileId"]}, {"promptLink": link["promptLink"]}):
        reply = api.post("agents/file-agent:execute", {"attachments": [attachment]})
        assert reply.status == 200, reply.body
        assert reply.json()["response"] == f'Read "photo.png": {len(PNG)} bytes of image/png.'
    _, frames = api.stream_frames("agents/file-agent:stream", {"attachments": [link]})
    text = "".join(data["chunk"] for name, data in frames if name == "text")
    assert text == f'Read "photo.png": {len(PNG)} bytes of image/png.'


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "parameters.file"),
        ({"parameters": {"file": "<image:missing/>"}}, 422, "parameters.file"),
        ({"attachments": [{"fileId": "missing"}]}, 422, "attachments[0]"),
        ({"attachments": [{"name": "no id"}]}, 400, "attachments[0]"),
        ({"attachments": [42]}, 400, "attachments[0]"),
        ({"parameters": {"file": 7}}, 400, "parameters.file"),
    ],
)
def test_file_agent_problems(api: Any, body: Any, status: int, field: str) -> None:
    assert field in problem(api.post("agents/file-agent:execute", body), status)["errors"]


# -- property: whatever the multipart body, a well-formed answer -------------------------

names = st.one_of(st.none(), st.sampled_from(["file", "File", "upload", "", "file "]))
parts = st.lists(
    st.builds(
        lambda name, data, filename, content_type: (name, data, filename, content_type),
        names,
        st.binary(max_size=64),
        st.one_of(
            st.none(),
            st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=12).filter(
                lambda t: '"' not in t and "\\" not in t and "\x7f" not in t
            ),
        ),
        st.one_of(st.none(), st.sampled_from(["text/plain", "image/png", "garbage", ""])),
    ),
    max_size=3,
)


@pytest.mark.filterwarnings("ignore::aiohttp.BadContentDispositionHeader")
@settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    shape=parts,
    cut=st.one_of(st.none(), st.integers(0, 300)),
    noise=st.binary(max_size=16),
    boundary=st.sampled_from(["fruxon-test-boundary", "b", "x" * 70]),
)
def test_any_multipart_body_gets_a_well_formed_answer(
    fruxon_emulator: EmulatorServer,
    make_api: Any,
    shape: list[tuple[Any, bytes, Any, Any]],
    cut: int | None,
    noise: bytes,
    boundary: str,
) -> None:
    api = make_api(fruxon_emulator)
    items = [
        api.Part(name, data, filename, content_type or None)
        for name, data, filename, content_type in shape
    ]
    body = api.multipart_body(items, boundary)
    if cut is not None:
        body = body[:cut] + noise  # truncated and garbled framing
    reply = api.upload(body, boundary=boundary)
    assert reply.status in (200, 400, 413, 422), (reply.status, body)
    wanted = [item for item in items if item.name == "file"]
    if reply.status == 200:
        link = reply.json()
        assert set(link) == FILELINK_FIELDS
        if cut is None:
            assert len(wanted) == 1
            assert wanted[0].data
            assert api.get(f"storage/{link['fileId']}").body == wanted[0].data
    else:
        assert reply.content_type == "application/problem+json"
        if cut is None:
            assert reply.status == (422 if len(wanted) == 1 else 400)
    with socket.create_connection(("127.0.0.1", fruxon_emulator.port), timeout=5):
        pass  # the server still accepts connections
