"""Readable, stable OIDs: the same dataset, variable or condition always gets the same OID.

Conventions (those of the CDISC examples)::

    STDY.<study>            Study                 IG.DM                ItemGroupDef
    MDV.<study>.SDTMIG.3.4  MetaDataVersion       IT.DM.AGE            ItemDef
    STD.SDTMIG.3.4          def:Standard          IT.QS.QSORRES.EASIHNER  value-level ItemDef
    STD.CT.SDTM.2025-03-28  def:Standard (CT)     VL.QS.QSORRES        def:ValueListDef
    CL.SEX                  CodeList              WC.QS.QSTESTCD.EASIHNER  def:WhereClauseDef
    MT.DM.AGE               MethodDef             COM.DM.AGEU          def:CommentDef
    LF.DM                   def:leaf (dataset)    LF.acrf              def:leaf (document)
    RD.<display>  AR.<display>.<result>           ARM result displays and results

The IG/IT OIDs are those the Dataset-JSON files carry (``itemGroupOID``, ``itemOID``).
"""

from __future__ import annotations

import re

_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")


def part(text: str) -> str:
    """One OID component from free text: runs of other characters become '_'."""
    s = _BAD.sub("_", str(text).strip()).strip("_")
    return s or "_"


def join(*parts: str) -> str:
    return ".".join(part(p) for p in parts)


def study(study_id: str) -> str:
    return join("STDY", study_id)


def mdv(study_id: str, ig: str, version: str) -> str:
    return join("MDV", study_id, ig, version)


def standard(name: str, version: str) -> str:
    return join("STD", name, version)


def ct_standard(publishing_set: str, version: str) -> str:
    return join("STD", "CT", publishing_set, version)


def item_group(ds: str) -> str:
    return join("IG", ds)


def item(ds: str, var: str, *key: str) -> str:
    return join("IT", ds, var, *key)


def value_list(ds: str, var: str) -> str:
    return join("VL", ds, var)


def where_clause(ds: str, *key: str) -> str:
    return join("WC", ds, *key)


def codelist(cid: str, *suffix: str) -> str:
    return join("CL", cid, *suffix)


def method(ds: str, var: str, *key: str) -> str:
    return join("MT", ds, var, *key)


def comment(*key: str) -> str:
    return join("COM", *key)


def leaf(name: str) -> str:
    return join("LF", name)


def result_display(name: str) -> str:
    return join("RD", name)


def analysis_result(display: str, result: str) -> str:
    return join("AR", display, result)
