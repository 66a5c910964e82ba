"""Recursive schemas, $ref fan-out and alias bombs in response schemas.

``check``, ``run --mock`` and the mock's responses walk ``$ref`` graphs once, with
cycle detection and sharing; they never expand a schema into a tree.
"""

from __future__ import annotations

from pathlib import Path

from .support import RawServer, run_bounded, send_all, write_spec

RECURSIVE = """\
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /r:
    get:
      operationId: r
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Category'}
  /s:
    get:
      operationId: s
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/F0'}
components:
  schemas:
    Category:
      type: object
      required: [name]
      properties:
        name: {type: string}
        parent: {$ref: '#/components/schemas/Category'}
        children: {type: array, items: {$ref: '#/components/schemas/Category'}}
%(fanout)s
"""


def _fanout(levels: int) -> str:
    # F0 refers to F1 four times, F1 to F2 four times...: 4**40 paths if expanded as a tree.
    lines = []
    for i in range(levels):
        nxt = f"F{i + 1}" if i + 1 < levels else "Category"
        props = ", ".join(f"p{j}: {{$ref: '#/components/schemas/{nxt}'}}" for j in range(4))
        lines.append(f"    F{i}: {{type: object, properties: {{{props}}}}}")
    return "\n".join(lines)


def test_check_and_mock_run_on_recursive_and_fanned_out_schemas(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "http://127.0.0.1:9", steps=[{"id": "a", "op": "r"}, {"id": "b", "op": "s"}])
    (tmp_path / "openapi.yaml").write_text(RECURSIVE % {"fanout": _fanout(40)})
    done = run_bounded(
        """
        import sys
        from arazzo_runner.cli.app import main
        print("check", main(["check", sys.argv[1]]))
        print("run", main(["run", sys.argv[1], "-w", "w", "--mock", "--json"]))
        """,
        seconds=40,
        memory_mib=600,
        args=[str(spec)],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "check 0" in done.stdout
    assert "run 0" in done.stdout
    print(f"recursive schemas: peak RSS {done.peak_kib // 1024} MiB")


def _alias_bomb_openapi(server: str) -> str:
    """A response schema that YAML aliases make 10**8 paths deep in properties, though the text is small."""
    lines = [
        "openapi: 3.0.3",
        "info: {title: t, version: '1'}",
        f"servers: [{{url: '{server}'}}]",
        "x-parts:",
        "  a0: &a0 {type: object, properties: {p: {type: string}, q: {type: integer}}}",
    ]
    for level in range(1, 9):
        members = ", ".join(f"p{j}: *a{level - 1}" for j in range(10))
        lines.append(f"  a{level}: &a{level} {{type: object, properties: {{{members}}}}}")
    lines += [
        "paths:",
        "  /r:",
        "    get:",
        "      operationId: r",
        "      responses:",
        "        '200':",
        "          description: ok",
        "          content: {application/json: {schema: *a8}}",
    ]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_a_response_schema_under_check_mock_and_a_real_run(tmp_path: Path) -> None:
    body = b'{"p0": {"p1": {"q": 1}}, "p2": 3}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with RawServer(send_all(head + body)) as server:
        spec = write_spec(tmp_path, server.url)
        (tmp_path / "openapi.yaml").write_text(_alias_bomb_openapi(server.url))
        done = run_bounded(
            """
            import sys
            from arazzo_runner.cli.app import main
            print("check", main(["check", sys.argv[1]]))
            print("mock", main(["run", sys.argv[1], "-w", "w", "--mock", "--json"]))
            print("run", main(["run", sys.argv[1], "-w", "w", "--json"]))
            """,
            seconds=60,
            memory_mib=600,
            args=[str(spec)],
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "check 0" in done.stdout
    assert "mock 0" in done.stdout
    assert "run 0" in done.stdout  # the body breaks no rule of the schema: the contract check passes
    assert "contract" not in done.stdout
    print(f"alias bomb in a response schema: peak RSS {done.peak_kib // 1024} MiB")


def test_generate_inlines_a_bounded_part_of_an_alias_bomb_or_a_fanned_out_schema(tmp_path: Path) -> None:
    bomb = _alias_bomb_openapi("http://127.0.0.1:9").rstrip("\n") + (
        "\n    post:\n      operationId: p\n"
        "      requestBody: {required: true, content: {application/json: {schema: *a8}}}\n"
        "      responses: {'200': {description: ok, content: {application/json: {schema: *a8}}}}\n"
    )
    (tmp_path / "bomb.yaml").write_text(bomb)
    (tmp_path / "fanout.yaml").write_text(RECURSIVE % {"fanout": _fanout(40)})
    done = run_bounded(
        """
        import sys
        from arazzo_runner.cli.app import main
        for name in ("bomb.yaml", "fanout.yaml"):
            print(name, main(["generate", sys.argv[1] + "/" + name, "-o", sys.argv[1] + "/" + name + ".arazzo.yaml"]))
            print(name, main(["check", sys.argv[1] + "/" + name + ".arazzo.yaml"]))
        """,
        seconds=60,
        memory_mib=600,
        args=[str(tmp_path)],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("bomb.yaml 0") == 2 and done.stdout.count("fanout.yaml 0") == 2, done.stdout
    generated = (tmp_path / "bomb.yaml.arazzo.yaml").read_text()
    assert len(generated) < 1_000_000
    print(f"generate from an alias bomb: peak RSS {done.peak_kib // 1024} MiB")
