"""define.xml -> define.html with the CDISC stylesheet (XSLT 1.0, run by lxml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lxml import etree

from ..errors import OutputError
from .resources import stylesheet


@lru_cache(maxsize=4)
def _transform(path: str) -> etree.XSLT:
    return etree.XSLT(etree.parse(path))


def render_html(define_xml: bytes, xsl: Path | None = None) -> bytes:
    """The HTML rendering of a define.xml document (bytes in, bytes out, deterministic)."""
    transform = _transform(str(xsl or stylesheet()))
    try:
        result = transform(etree.fromstring(define_xml))
    except etree.XSLTApplyError as e:
        raise OutputError(f"the define.xml stylesheet failed: {e}") from None
    if result.getroot() is None:
        raise OutputError("the define.xml stylesheet produced no HTML")
    return bytes(result)
