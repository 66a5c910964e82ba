"""Media types: the one place that reads a Content-Type value."""

from __future__ import annotations

__all__ = ["is_json", "is_xml", "media_type"]


def media_type(content_type: str | None) -> str:
    """The type/subtype of a Content-Type value, lower-cased, without parameters (``""`` for none)."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    """``application/json`` or any ``+json`` type (parameters allowed)."""
    media = media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def is_xml(content_type: str | None) -> bool:
    """``application/xml``, ``text/xml`` or any ``+xml`` type (parameters allowed)."""
    media = media_type(content_type)
    return media in ("application/xml", "text/xml") or media.endswith("+xml")
