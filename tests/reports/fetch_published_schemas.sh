#!/usr/bin/env bash
# Fetch the published report schemas the tests in tests/reports validate against, into DEST (default
# .venv/share). They are other projects' files: fetched from their registries, never committed.
#   har-schema/   the npm package har-schema@2.0.0 (ISC): JSON Schemas for HAR 1.2
#   junit-10.xsd  the JUnit XSD (MIT) that the pytest 9.2.0 source distribution ships in testing/example_scripts
# Idempotent (a stamp per schema) and never fatal: what cannot be fetched is said, and its tests skip.
set -u
dest="${1:-.venv/share}"
python="${PYTHON:-python3}"
mkdir -p "$dest" || exit 0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ ! -f "$dest/har-schema/.fetched" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "note: npm is not installed; the tests against the published HAR schema (har-schema) will skip"
    elif (cd "$work" && npm pack --silent har-schema@2.0.0 >/dev/null 2>&1) \
        && tar --no-same-owner -xzf "$work/har-schema-2.0.0.tgz" -C "$work" && [ -f "$work/package/lib/har.json" ]; then
        rm -rf "$dest/har-schema" && mv "$work/package" "$dest/har-schema" && touch "$dest/har-schema/.fetched"
    else
        echo "note: could not fetch har-schema@2.0.0 with npm; the tests against the published HAR schema will skip"
    fi
fi

if [ ! -f "$dest/junit-10.xsd" ]; then
    member="pytest-9.2.0/testing/example_scripts/junit-10.xsd"
    if "$python" -m pip download --quiet --no-deps --no-binary :all: pytest==9.2.0 -d "$work" >/dev/null 2>&1 \
        && tar --no-same-owner -xzf "$work/pytest-9.2.0.tar.gz" -C "$work" "$member" 2>/dev/null; then
        mv "$work/$member" "$dest/junit-10.xsd.partial" && mv "$dest/junit-10.xsd.partial" "$dest/junit-10.xsd"
    else
        echo "note: could not fetch the pytest 9.2.0 source distribution; the tests against the published JUnit XSD will skip"
    fi
fi
exit 0
