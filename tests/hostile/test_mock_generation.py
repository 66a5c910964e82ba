"""Mock values for schemas that ask for gigabytes are capped, and say so."""

from __future__ import annotations

from .support import run_bounded


def test_generated_sizes_are_capped_under_a_memory_bound() -> None:
    done = run_bounded(
        """
        import json, random
        from arazzo_runner.mock.generate import ValueGenerator

        def gen(schema):
            generator = ValueGenerator(lambda node: node, random.Random(1))
            value = generator.generate(schema)
            return value, generator.notes

        out = {}
        value, notes = gen({"type": "string", "minLength": 2000000000})
        out["string"] = [len(value), notes]
        value, notes = gen({"type": "array", "minItems": 100000000, "items": {"type": "integer"}})
        out["array"] = [len(value), notes]
        nested = {"type": "array", "minItems": 1000, "items": {"type": "array", "minItems": 1000,
                  "items": {"type": "array", "minItems": 1000, "items": {"type": "string"}}}}
        value, notes = gen(nested)
        out["nested"] = [len(json.dumps(value)), notes]
        value, notes = gen({"type": "string", "pattern": "^a{1000000000}$"})
        out["pattern"] = [len(value), notes]
        print(json.dumps(out))
        """,
        seconds=60,
        memory_mib=500,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.report()
    assert out["string"][0] == 65_536 and "minLength 2000000000" in out["string"][1][0]
    assert out["array"][0] == 100 and "minItems 100000000" in out["array"][1][0]
    assert out["nested"][0] < 100_000 * 40 and any("cut at 100000 nodes" in n for n in out["nested"][1])
    assert out["pattern"][0] < 100_000  # the pattern is given up on; a short stand-in value instead
