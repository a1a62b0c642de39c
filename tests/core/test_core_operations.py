"""The operation catalogue: method, path, body and query of every call, and the page walker."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from fruxon_core import endpoints as ep
from fruxon_core import operations as ops
from fruxon_core.endpoints import ENDPOINTS, quote_segment, render_path
from fruxon_core.models import Agent, FileLink, ListPage
from fruxon_core.operations import DEFAULT_PAGE_SIZE, Call, PageWalker, encode_query


def _body(call: Call[Any]) -> Any:
    if call.body is None or not isinstance(call.body, bytes):
        return None
    return json.loads(call.body)


AGENT_TEST_REQUEST = {"flow": {"steps": []}, "parameters": {"q": "x"}, "baseRevision": 0}
TOOL_BODY = {"id": "lookup", "descriptor": {"apiTool": {}}}

# (call, method, path, body)
CATALOGUE = [
    (ops.execute("a"), "POST", "/agents/a:execute", {}),
    (ops.execute_revision("a", revision=42), "POST", "/agents/a/revisions/42:execute", {}),
    (ops.execute_revision("a", revision="42"), "POST", "/agents/a/revisions/42:execute", {}),
    (ops.stream("a"), "POST", "/agents/a:stream", {}),
    (ops.stream("a", revision=3), "POST", "/agents/a/revisions/3:stream", {}),
    (ops.test("a", AGENT_TEST_REQUEST), "POST", "/agents/a:test", AGENT_TEST_REQUEST),
    (
        ops.stream_test("a", AGENT_TEST_REQUEST),
        "POST",
        "/agents/a:streamTest",
        AGENT_TEST_REQUEST,
    ),
    (ops.list_agents(), "GET", "/agents", None),
    (ops.get_agent("a"), "GET", "/agents/a", None),
    (ops.get_agent_parameters("a", 7), "GET", "/agents/a/revisions/7/parameters", None),
    (ops.get_agent_parameters("a", "7"), "GET", "/agents/a/revisions/7/parameters", None),
    (ops.get_agent_parameter_metadata("a", 7), "GET", "/agents/a/revisions/7/parameters", None),
    (ops.list_integrations(), "GET", "/integrations", None),
    (ops.get_integration("crm"), "GET", "/integrations/crm", None),
    (ops.create_integration({"id": "crm"}), "POST", "/integrations", {"id": "crm"}),
    (ops.update_integration("crm", {"x": 1}), "PUT", "/integrations/crm", {"x": 1}),
    (
        ops.verify_integration("crm", {"authMetadataId": "m"}),
        "POST",
        "/integrations/crm:verifyConfig",
        {"authMetadataId": "m"},
    ),
    (ops.list_tools("crm"), "GET", "/integrations/crm/tools", None),
    (ops.get_tool("crm", "t"), "GET", "/integrations/crm/tools/t", None),
    (ops.create_tool("crm", TOOL_BODY), "POST", "/integrations/crm/tools", TOOL_BODY),
    (ops.update_tool("crm", "t", TOOL_BODY), "PUT", "/integrations/crm/tools/t", TOOL_BODY),
    (
        ops.update_tool("crm", "t", TOOL_BODY, python=True),
        "PUT",
        "/integrations/crm/tools/t:python",
        TOOL_BODY,
    ),
    (ops.delete_tool("crm", "t"), "DELETE", "/integrations/crm/tools/t", None),
    (
        ops.test_tool("crm", {"parameters": {}}),
        "POST",
        "/integrations/crm/tools:test",
        {"parameters": {}},
    ),
    (
        ops.get_execution_record("a", "r1"),
        "GET",
        "/agents/a/executionRecords/r1",
        None,
    ),
    (
        ops.get_execution_trace("a", "r1"),
        "GET",
        "/agents/a/executionRecords/r1/trace",
        None,
    ),
    (ops.list_execution_records("a"), "GET", "/agents/a/executionRecords", None),
    (ops.get_execution_result("a", "r1"), "GET", "/agents/a/executionRecords/r1/result", None),
    (ops.get_execution_tree("a", "r1"), "GET", "/agents/a/executionRecords/r1/tree", None),
    (ops.cancel_run("a", "r1"), "POST", "/agents/a/executionRecords/r1:cancelRun", {}),
    (
        ops.cancel_run("a", "r1", "not needed"),
        "POST",
        "/agents/a/executionRecords/r1:cancelRun",
        {"reason": "not needed"},
    ),
    (ops.cancel_wait("a", "r1"), "POST", "/agents/a/executionRecords/r1:cancelWait", {}),
    (ops.list_pending_approvals(status=None), "GET", "/pendingApprovals", None),
    (ops.get_approval("a", "p1"), "GET", "/agents/a/pendingApprovals/p1", None),
    (
        ops.respond_approval("a", "p1", "approve"),
        "POST",
        "/agents/a/pendingApprovals/p1:respond",
        {"text": "approve"},
    ),
    (ops.cancel_approval("a", "p1"), "POST", "/agents/a/pendingApprovals/p1:cancel", {}),
    (ops.upload_file(b"x"), "POST", "/storage", None),
    (ops.download_file("f1"), "GET", "/storage/f1", None),
    (ops.download_file_to("<pdf:f1/>"), "GET", "/storage/f1", None),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "body"),
    CATALOGUE,
    ids=[f"{c.endpoint.name}:{p}" for c, _, p, _ in CATALOGUE],
)
def test_operation_wire_shape(call, method, path, body):
    assert call.endpoint.method == method
    assert call.path == path
    assert _body(call) == body
    assert call.query == ()


def test_catalogue_covers_every_endpoint():
    assert {c.endpoint.name for c, *_ in CATALOGUE} == set(ENDPOINTS)


@pytest.mark.parametrize(
    ("name", "streaming", "idempotent", "idempotency_key"),
    [
        ("execute", False, False, True),
        ("execute_revision", False, False, True),
        ("stream", True, False, True),
        ("stream_test", True, False, True),
        ("test", False, False, True),
        ("create_tool", False, False, True),
        ("get_agent", False, True, False),
        ("update_tool", False, True, False),
        ("delete_tool", False, True, False),
    ],
)
def test_endpoint_flags(name, streaming, idempotent, idempotency_key):
    endpoint = ENDPOINTS[name]
    assert endpoint.streaming is streaming
    assert endpoint.idempotent is idempotent
    assert endpoint.sends_idempotency_key is idempotency_key


def test_execute_with_no_arguments_sends_empty_object():
    assert ops.execute("a").body == b"{}"


def test_execute_body_uses_camel_case_and_omits_none():
    call = ops.execute(
        "a",
        parameters={"q": "hi"},
        session_id="s-1",
        attachments=({"fileId": "f"},),
        chat_user={"id": "u-1"},
        environment_slug="prod",
        mode="SANDBOX",
    )
    assert _body(call) == {
        "parameters": {"q": "hi"},
        "sessionId": "s-1",
        "attachments": [{"fileId": "f"}],
        "chatUser": {"id": "u-1"},
        "environmentSlug": "prod",
        "mode": "SANDBOX",
    }
    assert _body(ops.execute("a", session_id="s", parameters=None)) == {"sessionId": "s"}


def test_empty_parameters_are_sent_not_omitted():
    assert _body(ops.execute("a", parameters={})) == {"parameters": {}}


def test_stream_and_revision_share_the_execution_body():
    assert _body(ops.stream("a", revision=2, chat_user={"id": 1})) == {"chatUser": {"id": 1}}
    assert _body(ops.execute_revision("a", "2", environment_slug="e")) == {"environmentSlug": "e"}


def test_unknown_execution_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        ops.execute("a", sesion_id="typo")


@pytest.mark.parametrize("body", [["not", "a", "dict"], "text", None])
def test_verbatim_bodies_must_be_mappings(body):
    with pytest.raises(TypeError, match="must be a dict"):
        ops.create_integration(body)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("my agent", "my%20agent"),
        ("a/b", "a%2Fb"),
        ("a?b=1", "a%3Fb%3D1"),
        ("a#frag", "a%23frag"),
        ("ümlaut", "%C3%BCmlaut"),
        ("a:execute", "a%3Aexecute"),
        ("100%", "100%25"),
    ],
)
def test_ids_are_percent_encoded(raw, encoded):
    assert quote_segment(raw) == encoded
    assert ops.execute(raw).path == f"/agents/{encoded}:execute"
    assert ops.get_tool(raw, raw).path == f"/integrations/{encoded}/tools/{encoded}"
    assert (
        ops.update_tool("i", raw, {}, python=True).path == f"/integrations/i/tools/{encoded}:python"
    )


@pytest.mark.parametrize("bad", ["", " ", "\t\n", None, 1.5, True])
def test_empty_or_invalid_ids_raise(bad):
    with pytest.raises(ValueError, match="non-empty"):
        ops.get_agent(bad)
    with pytest.raises(ValueError, match="record_id"):
        ops.get_execution_record("a", bad)


def test_revision_zero_is_a_valid_int():
    assert ops.execute_revision("a", 0).path == "/agents/a/revisions/0:execute"


def test_render_path():
    assert render_path("/x/{a}/y/{b}", {"a": "1 2", "b": 3}) == "/x/1%202/y/3"


def test_list_agents_query():
    call = ops.list_agents(query="support bot", tags=["a", "b"])
    assert call.query == (("query", "support bot"), ("tags", "a"), ("tags", "b"))
    assert ops.list_agents(tags="solo").query == (("tags", "solo"),)


def test_list_integrations_query():
    call = ops.list_integrations(
        search="crm", types=["CUSTOM", "API"], tags=("x",), has_configs=True
    )
    assert call.query == (
        ("query", "crm"),  # the seed's search= keyword, sent as the API's query
        ("types", "CUSTOM"),
        ("types", "API"),
        ("tags", "x"),
        ("has_configs", "true"),
    )


@pytest.mark.parametrize("flag", ["has_configs", "has_triggers", "has_channels"])
def test_boolean_filters_are_sent_only_when_true(flag):
    assert ops.list_integrations(**{flag: True}).query == ((flag, "true"),)
    assert ops.list_integrations(**{flag: False}).query == ()


def test_list_tools_query():
    call = ops.list_tools("crm", types=["API"], search="order")
    assert call.query == (("types", "API"), ("query", "order"))
    assert call.path == "/integrations/crm/tools"


def test_encode_query():
    names = {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert encode_query(names, {"a": None, "b": False, "c": True, "d": frozenset({"x"})}) == (
        ("C", "true"),
        ("D", "x"),
    )
    assert encode_query(names, {"a": 5, "b": []}) == (("A", "5"),)


# -- paging -----------------------------------------------------------------------------


def test_with_page_adds_size_and_token_and_keeps_filters():
    call = ops.list_agents(query="q", tags=["t"])
    first = call.with_page(None, 100)
    assert first.query == (("query", "q"), ("tags", "t"), ("pageSize", "100"))
    second = first.with_page("tok 2", 100)
    assert second.query == (
        ("query", "q"),
        ("tags", "t"),
        ("pageSize", "100"),
        ("pageToken", "tok 2"),
    )
    assert second.path == call.path
    assert call.query == (("query", "q"), ("tags", "t"))  # original untouched
    assert first.with_page("", 10).query[-1] == ("pageSize", "10")


def _page(ids: list[str], token: str | None) -> ListPage[Agent]:
    return ListPage(items=[Agent(id=i) for i in ids], next_page_token=token)


def _walk(walker: PageWalker[Agent], pages: list[ListPage[Agent]]) -> tuple[list[str], list[Any]]:
    """Drive the walker over canned pages; return the items and the tokens requested."""
    items: list[str] = []
    requested: list[Any] = []
    remaining = list(pages)
    while (call := walker.next_call()) is not None:
        query = dict(call.query)
        assert query["pageSize"] == str(DEFAULT_PAGE_SIZE)
        requested.append(query.get("pageToken"))
        items.extend(a.id for a in walker.accept(remaining.pop(0)))
    return items, requested


def test_walker_follows_tokens_to_the_end():
    walker = PageWalker(ops.list_agents(query="q"))
    pages = [_page(["a", "b"], "t2"), _page(["c"], "t3"), _page(["d"], None)]
    assert _walk(walker, pages) == (["a", "b", "c", "d"], [None, "t2", "t3"])
    assert walker.next_call() is None


@pytest.mark.parametrize("last_token", [None, ""])
def test_walker_stops_on_missing_or_empty_token(last_token):
    walker = PageWalker(ops.list_agents())
    assert _walk(walker, [_page(["a"], "t2"), _page(["b"], last_token)]) == (
        ["a", "b"],
        [None, "t2"],
    )


def test_walker_stops_on_an_empty_page():
    walker = PageWalker(ops.list_agents())
    pages = [_page(["a"], "t2"), _page([], "t3")]
    assert _walk(walker, pages) == (["a"], [None, "t2"])


def test_walker_drops_a_page_that_echoes_its_own_token():
    walker = PageWalker(ops.list_agents())
    pages = [_page(["a"], "t2"), _page(["a-again"], "t2")]
    assert _walk(walker, pages) == (["a"], [None, "t2"])


def test_walker_stops_on_a_token_seen_before():
    walker = PageWalker(ops.list_agents())
    pages = [_page(["a"], "t2"), _page(["b"], "t3"), _page(["c"], "t2")]
    assert _walk(walker, pages) == (["a", "b", "c"], [None, "t2", "t3"])


def test_walker_single_page_when_all_pages_is_false():
    walker = PageWalker(ops.list_agents(), all_pages=False)
    assert _walk(walker, [_page(["a"], "t2")]) == (["a"], [None])


def test_walker_custom_page_size_and_filters_repeated():
    walker = PageWalker(ops.list_tools("crm", types=["API"]), page_size=10)
    first = walker.next_call()
    assert first is not None
    assert first.query == (("types", "API"), ("pageSize", "10"))
    walker.accept(ListPage(items=[Agent(id="x")], next_page_token="n"))
    second = walker.next_call()
    assert second is not None
    assert second.query == (("types", "API"), ("pageSize", "10"), ("pageToken", "n"))


def test_walker_over_decoded_fixture_pages(load_fixture):
    walker = PageWalker(ops.list_agents())
    first = walker.next_call()
    assert first is not None
    items = walker.accept(first.decode(load_fixture("list_agents_page.json")))
    assert [a.id for a in items] == ["support-agent", "draft-agent"]
    second = walker.next_call()
    assert second is not None
    assert ("pageToken", "tok-2") in second.query
    items = walker.accept(second.decode(b'{"items": [{"id": "z"}], "nextPageToken": ""}'))
    assert [a.id for a in items] == ["z"]
    assert walker.next_call() is None


def test_call_decode_delegates_to_endpoint():
    assert ops.get_agent("a").decode(b'{"id": "a"}') == Agent(id="a")
    assert ep.GET_AGENT.decode(b'{"id": "b"}') == Agent(id="b")


def test_page_walker_refuses_an_operation_without_pages() -> None:
    with pytest.raises(TypeError, match="does not return pages"):
        PageWalker(ops.get_agent("support-agent"))  # type: ignore[arg-type]


def test_parameters_are_sent_as_given_and_file_links_as_their_prompt_link():
    link = FileLink(file_id="f-1", file_type="pdf")
    plain = {"q": "hi", "n": 2, "x": 1.5, "ok": True, "none": None}
    assert _body(ops.execute("a", parameters=plain)) == {"parameters": plain}
    nested = {"doc": link, "docs": [link, "t"], "opts": {"d": link}}
    assert _body(ops.execute("a", parameters=nested)) == {
        "parameters": {
            "doc": "<pdf:f-1/>",
            "docs": ["<pdf:f-1/>", "t"],
            "opts": {"d": "<pdf:f-1/>"},
        }
    }
    proxy = MappingProxyType({"doc": link})  # any Mapping, not only dict
    assert _body(ops.execute("a", parameters=proxy)) == {"parameters": {"doc": "<pdf:f-1/>"}}


@pytest.mark.parametrize("agent", ["", " ", ".", "..", None, True, 3])
def test_agent_ids_are_checked_on_every_call(agent: Any) -> None:
    for _ in range(2):  # the rendered paths of good ids are remembered; bad ones never
        if agent == 3:
            assert ops.execute(agent).path == "/agents/3:execute"
            assert ops.execute(agent).agent_id == "3"
            continue
        with pytest.raises(ValueError, match="agent"):
            ops.execute(agent)
        with pytest.raises(ValueError, match="agent"):
            ops.stream(agent)
        with pytest.raises(ValueError, match="agent"):
            ops.get_agent(agent)
    assert ops.get_agent("a b/c").path == "/agents/a%20b%2Fc"
