"""The kept client makes its TLS context on the first https connection, as httpx would have made it.

An ``http://`` run never reads the certificate store; an ``https://`` run verifies the server with the
context httpx makes by default (certifi, or ``SSL_CERT_FILE``), against a real TLS server on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from arazzo_runner import Runner, load
from tests.support.documents import arazzo_over_api, get_by_id_openapi, write_spec
from tests.support.loopback import LoopbackServer, Reply

OPENAPI = get_by_id_openapi("/pets/{id}", "getPet", "integer", server=False)
ARAZZO = arazzo_over_api(
    """\
  - workflowId: pet
    inputs: {type: object, properties: {id: {type: integer}}, required: [id]}
    steps:
      - stepId: get
        operationId: getPet
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.get.outputs.name}
"""
)


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, OPENAPI, ARAZZO)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, and its key, written as PEM files."""
    pytest.importorskip("cryptography", reason="the cryptography package makes the test certificate")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Pets(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        payload = json.dumps({"name": "Rex"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on 127.0.0.1: (its base URL, the certificate that verifies it)."""
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Pets)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}", cert_path
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_an_http_run_never_makes_a_tls_context(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(verify: object = True, *args: object, **kwargs: object) -> ssl.SSLContext:
        if isinstance(verify, ssl.SSLContext):  # a context given as it is: nothing is read
            return verify
        raise AssertionError("the certificate store was read for an http:// run")

    monkeypatch.setattr(httpx, "create_ssl_context", refuse)
    monkeypatch.setattr(httpx._transports.default, "create_ssl_context", refuse)  # where httpx's transport calls it
    with LoopbackServer() as server, Runner(servers=server.url) as runner:
        server.script("GET", "/pets/{id}", [Reply(200, body={"name": "Rex"})] * 2)
        for pet in (1, 2):
            result = runner.run(load(spec), "pet", {"id": pet})
            assert result.status == "succeeded", result.error
    assert server.connections == 1


def test_an_https_run_verifies_with_the_certificates_httpx_trusts(
    spec: Path, tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, certificate = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # read when the first https connection is made
    with Runner(servers=url) as runner:
        result = runner.run(load(spec), "pet", {"id": 1})
    assert result.status == "succeeded", result.error
    assert result.outputs == {"name": "Rex"}


def test_an_https_run_refuses_a_certificate_nobody_trusts(
    spec: Path, tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with Runner(servers=url) as runner:
        result = runner.run(load(spec), "pet", {"id": 1})
    assert result.status == "failed"
    assert result.error is not None
    assert "could not connect" in result.error.message and "CERTIFICATE_VERIFY_FAILED" in result.error.message
