"""Small OpenAPI and Arazzo documents that tests in several folders build alike.

* :func:`get_by_id_openapi`: an OpenAPI 3.0.3 description of one operation, ``GET`` by an ``id`` path parameter.
* :func:`arazzo_over_api`: an Arazzo 1.0.1 document whose one source, ``api``, is ``openapi.yaml`` beside it.
* :func:`write_spec`: the two written side by side (``openapi.yaml``, ``wf.yaml``).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["arazzo_over_api", "get_by_id_openapi", "write_spec"]


def get_by_id_openapi(path: str, operation_id: str, id_type: str, *, server: bool = True) -> str:
    """``GET path`` (``operation_id``), its ``id`` path parameter of JSON type ``id_type``, answering 200. Its
    server, when it names one, is 127.0.0.1:9, where nothing listens: the tests give the server to use."""
    return (
        "openapi: 3.0.3\n"
        "info: {title: t, version: '1'}\n" + ("servers: [{url: http://127.0.0.1:9}]\n" if server else "") + "paths:\n"
        f"  {path}:\n"
        "    get:\n"
        f"      operationId: {operation_id}\n"
        f"      parameters: [{{name: id, in: path, required: true, schema: {{type: {id_type}}}}}]\n"
        "      responses: {'200': {description: ok}}\n"
    )


def arazzo_over_api(workflows: str) -> str:
    """The document, ``workflows`` being the YAML of its list of workflows (indented by two spaces)."""
    return (
        "arazzo: 1.0.1\n"
        "info: {title: t, version: '1'}\n"
        "sourceDescriptions: [{name: api, url: openapi.yaml, type: openapi}]\n"
        "workflows:\n" + workflows
    )


def write_spec(folder: Path, openapi: str, arazzo: str) -> Path:
    """``openapi.yaml`` and ``wf.yaml`` in ``folder``: the path of the Arazzo document."""
    (folder / "openapi.yaml").write_text(openapi)
    (folder / "wf.yaml").write_text(arazzo)
    return folder / "wf.yaml"
