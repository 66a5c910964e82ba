"""The scripted loopback server every integration test relies on."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.loopback import (
    LoopbackServer,
    RecordedRequest,
    Reply,
    free_port,
    refused_url,
)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def client(server: LoopbackServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as http:
        yield http


def test_url_points_at_loopback(server: LoopbackServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.port > 0


def test_sequence_is_consumed_in_order_and_last_reply_repeats(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/status", [Reply(status=503), Reply(status=202), Reply(body={"done": True})])

    statuses = [client.get("/status").status_code for _ in range(5)]

    assert statuses == [503, 202, 200, 200, 200]
    assert client.get("/status").json() == {"done": True}


def test_single_reply_and_dict_form(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("POST", "/single", Reply(status=201, body="created"))
    server.script(
        "GET",
        "/from-yaml",
        [{"status": 418, "headers": [["X-Teapot", "yes"]], "body": {"short": "stout"}}],
    )

    created = client.post("/single")
    teapot = client.get("/from-yaml")

    assert created.status_code == 201
    assert created.text == "created"
    assert created.headers["content-type"] == "text/plain; charset=utf-8"
    assert teapot.status_code == 418
    assert teapot.headers["x-teapot"] == "yes"
    assert teapot.headers["content-type"] == "application/json"
    assert teapot.json() == {"short": "stout"}


def test_dict_form_rejects_unknown_keys(server: LoopbackServer) -> None:
    with pytest.raises(ValueError, match="unknown reply keys"):
        server.script("GET", "/x", [{"stauts": 200}])


def test_body_kinds_and_explicit_content_type(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/bytes", Reply(body=b"\x00\x01\xff"))
    server.script("GET", "/empty", Reply(status=204))
    server.script(
        "GET",
        "/problem",
        Reply(status=400, headers={"Content-Type": "application/problem+json"}, body={"title": "bad"}),
    )
    server.script("GET", "/xml", Reply(headers={"Content-Type": "application/xml"}, body="<a>1</a>"))

    raw = client.get("/bytes")
    empty = client.get("/empty")
    problem = client.get("/problem")
    xml = client.get("/xml")

    assert raw.content == b"\x00\x01\xff"
    assert empty.content == b""
    assert empty.headers.get("content-type") is None
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json() == {"title": "bad"}
    assert xml.headers["content-type"] == "application/xml"
    assert xml.text == "<a>1</a>"


def test_content_length_is_always_sent(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/json", Reply(body={"a": 1}))
    server.script("GET", "/nothing", Reply())

    assert client.get("/json").headers["content-length"] == str(len(b'{"a": 1}'))
    assert client.get("/nothing").headers["content-length"] == "0"


def test_path_templates_match_one_segment(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/pets/{petId}", Reply(body={"route": "template"}))
    server.script("GET", "/pets/{petId}/toys/{toy-id}", Reply(body={"route": "nested"}))

    assert client.get("/pets/7").json() == {"route": "template"}
    assert client.get("/pets/7/toys/ball").json() == {"route": "nested"}
    assert client.get("/pets/7/extra").status_code == 404
    assert client.get("/pets/").status_code == 404

    params = [request.path_params for request in server.requests]
    assert params[:2] == [{"petId": "7"}, {"petId": "7", "toy-id": "ball"}]


def test_exact_path_wins_over_template(server: LoopbackServer, client: httpx.Client) -> None:
    # Scripted in the "wrong" order on purpose: precedence must not depend on it.
    server.script("GET", "/pets/{petId}", Reply(body={"route": "template"}))
    server.script("GET", "/pets/mine", Reply(body={"route": "exact"}))

    assert client.get("/pets/mine").json() == {"route": "exact"}
    assert client.get("/pets/yours").json() == {"route": "template"}


def test_routes_are_per_method(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("get", "/thing", Reply(body="got"))
    server.script("DELETE", "/thing", Reply(status=204))

    assert client.get("/thing").text == "got"
    assert client.delete("/thing").status_code == 204
    assert client.put("/thing").status_code == 404


def test_unusual_methods_can_be_scripted(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("QUERY", "/search", Reply(body={"hits": 0}))

    response = client.request("QUERY", "/search", content=b'{"q": "x"}')

    assert response.json() == {"hits": 0}
    assert server.requests[0].method == "QUERY"


def test_callable_route_sees_the_request(server: LoopbackServer, client: httpx.Client) -> None:
    def echo(request: RecordedRequest) -> Reply:
        return Reply(body={"got": request.json(), "id": request.path_params["id"]})

    server.script("POST", "/echo/{id}", echo)

    response = client.post("/echo/42", json={"name": "Rex"})

    assert response.json() == {"got": {"name": "Rex"}, "id": "42"}


def test_callable_route_may_return_dict_form(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/d", lambda request: {"status": 202, "body": request.query})

    response = client.get("/d", params={"a": "1"})

    assert response.status_code == 202
    assert response.json() == {"a": ["1"]}


def test_failing_callable_answers_500_and_is_reported(server: LoopbackServer, client: httpx.Client) -> None:
    def broken(request: RecordedRequest) -> Reply:
        raise RuntimeError("boom")

    server.script("GET", "/broken", broken)

    response = client.get("/broken")

    assert response.status_code == 500
    assert "boom" in response.json()["detail"]
    assert [type(exc) for exc in server.handler_errors] == [RuntimeError]


def test_repeated_response_headers(server: LoopbackServer, client: httpx.Client) -> None:
    server.script(
        "GET",
        "/cookies",
        Reply(headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-One", "1")]),
    )

    response = client.get("/cookies")

    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-one"] == "1"


def test_unscripted_request_gets_json_404(server: LoopbackServer, client: httpx.Client) -> None:
    response = client.get("/nowhere", params={"q": "1"})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "no scripted response", "method": "GET", "path": "/nowhere"}
    assert server.requests[0].path == "/nowhere"


def test_requests_are_recorded_exactly(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("POST", "/items/{id}", Reply(status=201))
    body = b'{"name": "caf\xc3\xa9"}'

    client.post(
        "/items/a%2Fb%20c?tag=x&tag=y%20z&empty=&plus=1+2",
        content=body,
        headers=[("Content-Type", "application/json"), ("X-Multi", "1"), ("X-Multi", "2")],
    )

    (recorded,) = server.requests
    assert recorded.method == "POST"
    assert recorded.target == "/items/a%2Fb%20c?tag=x&tag=y%20z&empty=&plus=1+2"
    assert recorded.path == "/items/a%2Fb%20c"
    assert recorded.path_params == {"id": "a/b c"}
    assert recorded.raw_query == "tag=x&tag=y%20z&empty=&plus=1+2"
    assert recorded.query == {"tag": ["x", "y z"], "empty": [""], "plus": ["1 2"]}
    assert recorded.body == body
    assert recorded.json() == {"name": "café"}
    assert recorded.text() == '{"name": "café"}'
    assert recorded.header("content-type") == "application/json"
    assert recorded.header("CONTENT-TYPE") == "application/json"
    assert recorded.header_all("x-multi") == ["1", "2"]
    assert recorded.header("x-absent") is None
    assert recorded.header_all("x-absent") == []
    assert ("X-Multi", "1") in recorded.headers or ("x-multi", "1") in recorded.headers


def test_chunked_request_body_is_decoded(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("PUT", "/upload", Reply(status=204))

    def pieces() -> Iterator[bytes]:
        yield b"hello "
        yield b"world"

    client.put("/upload", content=pieces())

    (recorded,) = server.requests
    assert recorded.header("transfer-encoding") == "chunked"
    assert recorded.body == b"hello world"


def test_requests_to_filters_by_route(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/a", Reply())
    client.get("/a")
    client.get("/b")
    client.get("/a?x=1")

    assert [r.target for r in server.requests_to("get", "/a")] == ["/a", "/a?x=1"]


def test_keep_alive_reuses_one_connection(server: LoopbackServer) -> None:
    server.script("GET", "/ping", Reply(body="pong"))
    peers: set[object] = set()

    with httpx.Client(base_url=server.url) as http:
        for _ in range(3):
            response = http.get("/ping")
            assert response.http_version == "HTTP/1.1"
            stream = response.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))

    assert len(peers) == 1
    assert len(server.requests) == 3


def test_delay_triggers_client_timeout(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/slow", [Reply(delay=1.0, body="late"), Reply(body="fast")])

    with pytest.raises(httpx.ReadTimeout):
        client.get("/slow", timeout=0.2)

    with httpx.Client(base_url=server.url) as fresh:
        assert fresh.get("/slow").text == "fast"


def test_stop_does_not_wait_for_long_delays() -> None:
    server = LoopbackServer()
    server.script("GET", "/forever", Reply(delay=60))

    def call() -> None:
        with pytest.raises(httpx.HTTPError):
            httpx.get(server.url + "/forever", timeout=10)

    caller = threading.Thread(target=call)
    caller.start()
    while not server.requests:
        threading.Event().wait(0.01)
    server.stop()
    caller.join(timeout=5)

    assert not caller.is_alive()
    server.stop()  # idempotent


def test_concurrent_requests_are_all_recorded(server: LoopbackServer) -> None:
    server.script("GET", "/n/{i}", Reply(body="ok"))

    def hit(index: int) -> None:
        with httpx.Client(base_url=server.url) as http:
            assert http.get(f"/n/{index}").text == "ok"

    threads = [threading.Thread(target=hit, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.path for r in server.requests) == sorted(f"/n/{i}" for i in range(20))


def test_rescripting_replaces_and_reset_clears(server: LoopbackServer, client: httpx.Client) -> None:
    server.script("GET", "/r", [Reply(status=500)])
    server.script("GET", "/r", [Reply(status=200)])
    assert client.get("/r").status_code == 200

    server.reset()

    assert server.requests == []
    assert client.get("/r").status_code == 404
    assert len(server.requests) == 1


def test_empty_sequence_is_rejected(server: LoopbackServer) -> None:
    with pytest.raises(ValueError):
        server.script("GET", "/none", [])


def test_refused_url_refuses_connections() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(refused_url() + "/anything", timeout=2)


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with LoopbackServer(port=port) as server:
        assert server.port == port
