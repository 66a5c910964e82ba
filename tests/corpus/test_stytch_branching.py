"""The two real Stytch workflows that branch on a JSONPath criterion take the right branch (issue 3).

Both use ``type: jsonpath`` with ``context: $response.body`` and ``condition: $.results.length > 0``
(not RFC 9535; evaluated with the Goessner dialect, with a load-time warning). Run against a
scripted server on 127.0.0.1, with an empty and a non-empty result list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_runner import NextAction, load, run_workflow
from tests.support.loopback import LoopbackServer, Reply

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "stytch" / "arazzo"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared Stytch corpus is absent ({CORPUS}); these tests read it from ../shared"
)


@pytest.fixture(scope="module")
def revoke_doc():
    return load(CORPUS / "stytch-revoke-connected-app-workflow.yml")


@pytest.fixture(scope="module")
def search_doc():
    return load(CORPUS / "stytch-user-create-search-delete-workflow.yml")


def test_the_jsonpath_fallback_is_announced_at_load(revoke_doc, search_doc):
    for doc in (revoke_doc, search_doc):
        warnings = [d for d in doc.diagnostics if d.severity == "warning" and "RFC 9535" in d.message]
        assert len(warnings) == 2, doc.diagnostics  # one per branching criterion
        assert all(w.line is not None for w in warnings)


def test_revoke_connected_app_revokes_the_first_app_when_there_is_one(revoke_doc):
    with LoopbackServer() as server:
        server.script(
            "GET",
            "/v1/users/{user_id}/connected_apps",
            [
                Reply(
                    200,
                    body={
                        "request_id": "r1",
                        "status_code": 200,
                        "connected_apps": [
                            {"connected_app_id": "connected-app-1"},
                            {"connected_app_id": "connected-app-2"},
                        ],
                    },
                )
            ],
        )
        server.script(
            "POST",
            "/v1/users/{user_id}/connected_apps/{connected_app_id}/revoke",
            [Reply(200, body={"request_id": "r2", "status_code": 200})],
        )
        result = run_workflow(revoke_doc, "revoke-connected-app", {"user_id": "user-test-1"}, servers=server.url)
        paths = [r.path for r in server.requests]
    assert result.status == "succeeded", result.error
    assert [s.step_id for s in result.steps] == ["listConnectedApps", "revokeApp"]
    next_action = result.steps[0].next_action
    assert next_action is not None and (next_action.kind, next_action.target) == ("goto", "revokeApp")
    assert str(next_action) == "goto revokeApp"
    assert paths == [
        "/v1/users/user-test-1/connected_apps",
        "/v1/users/user-test-1/connected_apps/connected-app-1/revoke",
    ]
    assert result.outputs == {"revokedConnectedAppId": "connected-app-1", "revokeRequestId": "r2"}


def test_revoke_connected_app_ends_without_revoking_when_there_is_none(revoke_doc):
    with LoopbackServer() as server:
        server.script(
            "GET",
            "/v1/users/{user_id}/connected_apps",
            [Reply(200, body={"request_id": "r1", "status_code": 200, "connected_apps": []})],
        )
        result = run_workflow(revoke_doc, "revoke-connected-app", {"user_id": "user-test-1"}, servers=server.url)
        methods = [r.method for r in server.requests]
    assert result.status == "succeeded", result.error
    assert [s.step_id for s in result.steps] == ["listConnectedApps"]
    assert result.steps[0].next_action == NextAction("end", None, "noConnectedApps")
    assert str(result.steps[0].next_action) == "end (noConnectedApps)"
    assert methods == ["GET"]  # nothing was revoked
    assert result.outputs == {}  # both outputs name things that never happened: left out (DEC-13)
    # The step's own output pointed into the empty list: absent, with a warning (issue 4's DEC-12 change).
    assert any("firstConnectedAppId" in w for w in result.steps[0].warnings)


def _script_create_and_search(server: LoopbackServer, results: list) -> None:
    server.script(
        "POST", "/v1/users", [Reply(200, body={"request_id": "c", "user_id": "user-test-9", "status_code": 200})]
    )
    server.script(
        "POST", "/v1/users/search", [Reply(200, body={"request_id": "s", "results": results, "status_code": 200})]
    )
    server.script("DELETE", "/v1/users/{user_id}", [Reply(200, body={"request_id": "d", "status_code": 200})])


def test_user_create_search_delete_deletes_the_match(search_doc):
    with LoopbackServer() as server:
        _script_create_and_search(server, [{"user_id": "user-test-9"}])
        result = run_workflow(search_doc, "user-create-search-delete", {"email": "ada@example.com"}, servers=server.url)
        requests = server.requests
    assert result.status == "succeeded", result.error
    assert [s.step_id for s in result.steps] == ["createUser", "searchUser", "deleteUser"]
    assert [(r.method, r.path) for r in requests] == [
        ("POST", "/v1/users"),
        ("POST", "/v1/users/search"),
        ("DELETE", "/v1/users/user-test-9"),
    ]
    # The expression inside a list inside an object was evaluated in place.
    assert requests[1].json() == {
        "limit": 1,
        "query": {
            "operator": "AND",
            "operands": [{"filter_name": "email_address", "filter_value": ["ada@example.com"]}],
        },
    }
    assert result.outputs == {"createdUserId": "user-test-9", "matchedUserId": "user-test-9", "deleteRequestId": "d"}


def test_user_create_search_delete_ends_successfully_when_nothing_matches(search_doc):
    with LoopbackServer() as server:
        _script_create_and_search(server, [])
        result = run_workflow(search_doc, "user-create-search-delete", {"email": "ada@example.com"}, servers=server.url)
        methods = [r.method for r in server.requests]
    assert result.status == "succeeded", result.error
    assert [s.step_id for s in result.steps] == ["createUser", "searchUser"]
    assert result.steps[1].next_action == NextAction("end", None, "userMissing")
    assert methods == ["POST", "POST"]  # no DELETE
    assert result.outputs == {"createdUserId": "user-test-9"}
    assert any("matchedUserId" in w for w in result.steps[1].warnings)
