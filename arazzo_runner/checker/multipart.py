"""File parts of a ``multipart/form-data`` payload, as the engine sends them.

The engine (``engine/request.py`` ``encode_multipart``) sends a field whose
value is an object with ``content`` or ``filename`` (and optionally
``contentType``) as a file part, for the field itself and for each item of a
list-valued field. Such an object stands for the file's bytes, so the check
compares it with what the field's schema says about a string (``format:
binary``, ``contentMediaType``), not with an object schema.
"""

from __future__ import annotations

from ..language.expressions.template import ArrayValue, CompiledValue, ObjectValue
from ..sources.pointer import escape_pointer_token
from .report import Report

__all__ = ["FILE_PART_KEYS", "check_file_part", "file_part_positions", "is_file_part"]

FILE_PART_KEYS = ("filename", "content", "contentType")


def is_file_part(value: CompiledValue) -> bool:
    """True for the object form of a file part: written with ``content`` or ``filename``."""
    if not isinstance(value, ObjectValue):
        return False
    keys = {str(key) for key, _ in value.items}
    return "content" in keys or "filename" in keys


def file_part_positions(payload: CompiledValue) -> set[str]:
    """The places (``/field`` or ``/field/<i>``, relative to the payload) the engine sends as file parts."""
    found: set[str] = set()
    if not isinstance(payload, ObjectValue):
        return found
    for key, value in payload.items:
        at = "/" + escape_pointer_token(str(key))
        if is_file_part(value):
            found.add(at)
        elif isinstance(value, ArrayValue):
            found.update(f"{at}/{i}" for i, item in enumerate(value.items) if is_file_part(item))
    return found


def check_file_part(
    report: Report, value: ObjectValue, allowed: set[str] | None, pointer: str, where: str, label: str
) -> None:
    """A file part where the schema wants something other than a string is an error; a key the engine
    does not read (a misspelt ``filename``, say) is a warning."""
    if allowed and "string" not in allowed:
        report.add(
            "ARZ123",
            f"{where} is a file part (an object with content or filename), but the request schema of {label} "
            f"wants {' or '.join(sorted(allowed))}",
            pointer,
        )
        return
    for key, _ in value.items:
        if str(key) not in FILE_PART_KEYS:
            report.add(
                "ARZ125",
                f"{where}/{escape_pointer_token(str(key))} is not read from a file part; a file part has "
                f"{', '.join(FILE_PART_KEYS)}",
                f"{pointer}/{escape_pointer_token(str(key))}",
                at_key=True,
            )
