"""Namespaces and small element helpers for writing Define-XML with lxml."""

from __future__ import annotations

from lxml import etree

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF = "http://www.cdisc.org/ns/def/v2.1"
XLINK = "http://www.w3.org/1999/xlink"
ARM = "http://www.cdisc.org/ns/arm/v1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NSMAP = {None: ODM, "def": DEF, "xlink": XLINK}


def q(tag: str) -> str:
    """``"def:leaf"`` -> ``"{ns}leaf"``; no prefix means ODM."""
    if ":" in tag:
        prefix, local = tag.split(":", 1)
        ns = {"def": DEF, "xlink": XLINK, "arm": ARM, "odm": ODM}[prefix]
        return f"{{{ns}}}{local}"
    return f"{{{ODM}}}{tag}"


def el(parent: etree._Element | None, tag: str, attrs: dict | None = None,
       text: str | None = None) -> etree._Element:
    """A new element (child of ``parent`` when given); attributes with value None are left out."""
    attrib = {q(k) if ":" in k and not k.startswith("{") else k: str(v)
              for k, v in (attrs or {}).items() if v is not None}
    if parent is None:
        e = etree.Element(q(tag), attrib)
    else:
        e = etree.SubElement(parent, q(tag), attrib)
    if text is not None:
        e.text = text
    return e


def description(parent: etree._Element, text: str, tag: str = "Description") -> etree._Element:
    d = el(parent, tag)
    el(d, "TranslatedText", {XML_LANG: "en"}, text)
    return d
