"""Check a define.xml against the Define-XML 2.1 schema (with ARM 1.0 when it carries analysis
results), using the schemas of the ``defineutils`` package."""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from .resources import arm_schema, define_schema
from .xml import ARM


@lru_cache(maxsize=2)
def _schema(arm: bool) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(arm_schema() if arm else define_schema())))


def schema_errors(define_xml: bytes) -> list[str]:
    """``line: message`` for every schema violation (empty when valid)."""
    doc = etree.fromstring(define_xml)
    arm = ARM in (doc.nsmap or {}).values()
    schema = _schema(arm)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
