"""The example of docs/arazzo-1.1.md, run as written against a real server on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

from arazzo_runner import check, load, run_workflow
from tests.support.loopback import LoopbackServer, Reply

DOC = Path(__file__).resolve().parents[2] / "docs" / "arazzo-1.1.md"


def _examples() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- example: (\S+) -->\n```yaml\n(.*?)```", text, re.S))


def test_the_documented_example_runs(tmp_path: Path) -> None:
    examples = _examples()
    assert set(examples) == {"orders.arazzo.yaml", "shop.openapi.yaml"}
    for name, text in examples.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # check agrees with the dependency order: login, written second, runs first (no ARZ110/ARZ111).
    assert [str(d) for d in check(tmp_path / "orders.arazzo.yaml")] == []
    with LoopbackServer() as server:
        server.script("POST", "/login", [Reply(body={"session": {"token": "t-1"}})])
        xml = '<order><state>shipped</state><shipment carrier="acme"/></order>'
        server.script("GET", "/orders/{id}/status", [Reply(headers=[("Content-Type", "application/xml")], body=xml)])
        server.script("GET", "/parcels", [Reply(body={"parcels": [{"id": "p-7"}, {"id": "p-8"}]})])
        doc = load(tmp_path / "orders.arazzo.yaml")
        result = run_workflow(doc, "track-order", {"orderId": "o-1", "user": "ann"}, servers=server.url)
        requests = server.requests
    assert result.status == "succeeded", result.error
    assert [s.step_id for s in result.steps] == ["login", "status", "search"]
    assert result.outputs == {"carrier": "acme", "parcel": "p-7"}
    assert [(r.method, r.path, r.raw_query) for r in requests] == [
        ("POST", "/login", ""),
        ("GET", "/orders/o-1/status", ""),
        ("GET", "/parcels", "carrier=acme&state=moving"),
    ]
    assert requests[0].json() == {"user": "ann"}
    assert requests[1].header("Authorization") == "Bearer t-1"
