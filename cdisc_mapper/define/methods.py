"""MethodDef and def:CommentDef: their text comes from the mapping methods, never typed again.

* A **Derived** variable (or value-level item) references a ``MethodDef`` whose description is the
  plain-English text of its mapping method (``Completed years from BRTHDTC to RFICDTC.``); when a
  dataset is built block by block, the text names each block (``EASI: ...; IGA: ...``).
* Any other origin with a method text (``Set to 'YEARS' on every record.``, ``Raw AESEV as a term
  of codelist AESEV ...``), a reviewer ``comment:`` written in the mapping, or a comment from the
  study's define file becomes a ``def:CommentDef``.

Identical texts for the same variable share one definition (the value-level items of QSSTRESN all
say ``Numeric value of QSSTRESC.``), so OIDs stay few and stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import oids


@dataclass
class MethodDef:
    oid: str
    name: str
    text: str
    type: str = "Computation"


@dataclass
class CommentDef:
    oid: str
    text: str
    refs: tuple = ()                       # ((leaf id, pages|None), ...)


@dataclass
class DefinitionRegistry:
    methods: dict[str, MethodDef] = field(default_factory=dict)
    comments: dict[str, CommentDef] = field(default_factory=dict)
    _method_by_text: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _comment_by_text: dict[tuple[str, str], str] = field(default_factory=dict)

    def method(self, dataset: str, variable: str, text: str, *key: str,
               where: str = "") -> str:
        """The OID of the MethodDef for ``dataset.variable`` (value-level: ``key`` and ``where``)."""
        text = text.strip() or "Derived by the sponsor."
        k = (dataset, variable, text)
        if k in self._method_by_text:
            return self._method_by_text[k]
        oid = oids.method(dataset, variable, *key)
        name = f"Algorithm to derive {dataset}.{variable}" + (f" where {where}" if where else "")
        if not key:
            name = f"Algorithm to derive {dataset}.{variable}"
        self.methods[oid] = MethodDef(oid, name, text)
        self._method_by_text[k] = oid
        return oid

    def comment(self, scope: str, text: str, *key: str, refs: tuple = ()) -> str | None:
        """The OID of a CommentDef with ``text`` (None for no text); same scope + text -> same OID."""
        text = " ".join(t for t in [text.strip()] if t)
        if not text:
            return None
        k = (scope, text)
        if k in self._comment_by_text and not refs:
            return self._comment_by_text[k]
        oid = oids.comment(*key)
        n = 2
        while oid in self.comments:
            oid = oids.comment(*key, str(n))
            n += 1
        self.comments[oid] = CommentDef(oid, text, refs)
        self._comment_by_text[k] = oid
        return oid


def join_texts(*texts: str) -> str:
    """Non-empty texts joined as sentences."""
    out = []
    for t in texts:
        t = (t or "").strip()
        if t and t not in out:
            out.append(t if t.endswith((".", "!", "?", ")")) else t + ".")
    return " ".join(out)
