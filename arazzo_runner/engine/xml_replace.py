"""Payload replacements in XML bodies: set the text of the nodes an XPath selects (DEC-31)."""

from __future__ import annotations

from typing import Any

from ..errors import RequestBuildError
from ..language.expressions import to_text

__all__ = ["replace_xml"]


def replace_xml(text: str, target: str, value: Any) -> str:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise RequestBuildError(f"replacement {target!r}: the payload is not well-formed XML ({exc})") from None
    try:
        found = root.getroottree().xpath(target)
    except etree.XPathError as exc:
        raise RequestBuildError(f"replacement target {target!r} is not a valid XPath: {exc}") from None
    nodes = found if isinstance(found, list) else []
    if not nodes:
        raise RequestBuildError(f"replacement target {target!r} selects nothing in the XML payload")
    new_text = to_text(value)
    for node in nodes:
        if isinstance(node, etree._Element):
            for child in list(node):
                node.remove(child)
            node.text = new_text
        elif getattr(node, "is_attribute", False):
            node.getparent().set(node.attrname, new_text)
        else:
            raise RequestBuildError(
                f"replacement target {target!r} selects something that is not an element or attribute"
            )
    serialised = str(etree.tostring(root, encoding="unicode"))
    if text.lstrip().startswith("<?xml"):
        return '<?xml version="1.0" encoding="UTF-8"?>' + serialised
    return serialised
