"""define.xml: a safe reader, the document's own integrity, and the data against it.

The reader refuses any document type declaration or entity declaration before parsing (a
define.xml needs neither, and entity expansion is how an "XML bomb" exhausts memory), then parses
with lxml set to resolve no entities, fetch nothing from the network and refuse huge trees.

Integrity checks see what the Define-XML schema does not: references to definitions that do not
exist (ItemOID, CodeListOID, MethodOID, CommentOID, ValueListOID, WhereClauseOID, leafID,
ArchiveLocationID, StandardOID), duplicate OIDs, duplicate order and key numbers, data types.
Define-versus-data checks compare datasets, variables, labels, types, lengths, codelist values,
mandatory variables and key uniqueness with what the files hold.  Findings on the define.xml
itself name the dataset ``define.xml`` and give the line number as ``record``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from lxml import etree

from .checks import Skip, check
from .checks.util import combine, found, found_dataset, nonnull, num_text, pair_codes, text
from .load import LoadError

__all__ = ["Define", "DefineError", "read_define"]

ODM = "http://www.cdisc.org/ns/odm/v1.3"
DEF21 = "http://www.cdisc.org/ns/def/v2.1"
DEF20 = "http://www.cdisc.org/ns/def/v2.0"
XLINK = "http://www.w3.org/1999/xlink"
MAX_BYTES = 512 * 1024 * 1024
DATA_TYPES = ("text", "integer", "float", "datetime", "date", "time", "partialDate",
              "partialTime", "partialDatetime", "incompleteDatetime", "durationDatetime",
              "intervalDatetime", "URI", "boolean", "double", "hexBinary", "base64Binary",
              "hexFloat", "base64Float", "string")
_NEEDS_LENGTH = ("text", "integer", "float")


class DefineError(LoadError):
    """The define.xml cannot be used (not XML, not a define.xml, unsafe); exit code 2."""


@dataclass
class ItemRef:
    item_oid: str
    order: int | None
    mandatory: bool
    key_sequence: int | None
    method_oid: str | None
    line: int
    role: str = ""


@dataclass
class ItemGroup:
    oid: str
    name: str
    domain: str
    label: str
    structure: str
    cls: str
    purpose: str
    refs: list[ItemRef]
    line: int


@dataclass
class Item:
    oid: str
    name: str
    data_type: str
    length: int | None
    label: str
    codelist_oid: str | None
    valuelist_oid: str | None
    display_format: str
    origin: str
    line: int
    comment_oid: str | None = None


@dataclass
class CodeList:
    oid: str
    name: str
    data_type: str
    values: tuple[str, ...]
    external: str | None
    nci_code: str | None
    line: int
    codes: tuple[str, ...] = ()      # the NCI code (Alias nci:ExtCodeID) of each term, "" if none


@dataclass
class Define:
    path: Path
    version: str                                   # "2.1" or "2.0"
    study: str
    standards: list[dict[str, str]]
    groups: dict[str, ItemGroup]                   # by dataset name
    items: dict[str, Item]                         # by OID
    codelists: dict[str, CodeList]                 # by OID
    oids: dict[str, dict[str, int]] = field(default_factory=dict)   # kind -> OID -> line
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    references: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    # (attribute, OID, target kind, line, element)
    group_list: list[ItemGroup] = field(default_factory=list)
    leaves: list[tuple[str, str, int]] = field(default_factory=list)   # (ID, href, line)

    def group_for(self, name: str) -> ItemGroup | None:
        return self.groups.get(name.upper())

    def item_of(self, group: ItemGroup, name: str) -> tuple[ItemRef, Item] | None:
        for ref in group.refs:
            it = self.items.get(ref.item_oid)
            if it is not None and it.name == name:
                return ref, it
        return None


_CHUNK = 1 << 20


def _refuse_unsafe(path: Path) -> None:
    """Refuse a document type or entity declaration anywhere in the file, read in chunks (the
    file is never held whole in memory)."""
    with open(path, "rb") as fh:
        first = fh.read(_CHUNK)
        utf16 = first[:2] in (b"\xff\xfe", b"\xfe\xff")
        if utf16:  # rare: decode as a whole to look for the declarations
            data = first + fh.read()
            chunks = [data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")]
        else:
            chunks = None
        tail = b""
        block = first
        while True:
            for head in (chunks or [tail + block]):
                for token in (b"<!DOCTYPE", b"<!ENTITY"):
                    if token in head:
                        raise DefineError(f"the define.xml declares {token.decode()[2:]}: "
                                          "refused (a define.xml needs no DTD or entities, and "
                                          "entity expansion is unsafe)", file=str(path))
            if chunks is not None:
                return
            tail = block[-16:]
            block = fh.read(_CHUNK)
            if not block:
                return


def _text(el) -> str:
    if el is None:
        return ""
    tt = el.find(f"{{{ODM}}}TranslatedText")
    return ((tt.text if tt is not None else el.text) or "").strip()


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


_KINDS = {  # element local name -> (kind, id attribute)
    "ItemGroupDef": ("ItemGroupDef", "OID"), "ItemDef": ("ItemDef", "OID"),
    "CodeList": ("CodeList", "OID"), "MethodDef": ("MethodDef", "OID"),
    "CommentDef": ("CommentDef", "OID"), "leaf": ("leaf", "ID"),
    "ValueListDef": ("ValueListDef", "OID"), "WhereClauseDef": ("WhereClauseDef", "OID"),
    "Standard": ("Standard", "OID"),
}
_REFS = {  # attribute (Clark name) -> target kind
    "ItemOID": "ItemDef", "MethodOID": "MethodDef", "CodeListOID": "CodeList",
    "ValueListOID": "ValueListDef", "WhereClauseOID": "WhereClauseDef", "leafID": "leaf",
    "CommentOID": "CommentDef", "ArchiveLocationID": "leaf", "StandardOID": "Standard",
}


_MDV = f"{{{ODM}}}MetaDataVersion"
_TOP = {f"{{{ODM}}}{n}" for n in ("ItemGroupDef", "ItemDef", "CodeList", "MethodDef")}


def read_define(path: str | Path) -> Define:
    """Parse a define.xml safely, in bounded memory; raises :class:`DefineError` for anything
    unusable.

    The file is parsed as a stream (lxml ``iterparse``): each definition under MetaDataVersion
    is read when it ends and then cleared, so memory grows with what is kept (names, OIDs,
    labels, codelist values), not with the size of the XML tree."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise IsADirectoryError
        if size > MAX_BYTES:
            raise DefineError(f"the define.xml is {size:,} bytes; refused (over "
                              f"{MAX_BYTES:,})", file=str(p))
        _refuse_unsafe(p)
        return _parse(p)
    except FileNotFoundError:
        raise DefineError("define.xml not found", file=str(p)) from None
    except IsADirectoryError:
        raise DefineError("--define names a folder, not a file", file=str(p)) from None
    except etree.XMLSyntaxError as exc:
        raise DefineError(f"the define.xml is not well-formed XML: {exc}", file=str(p)) from None
    except OSError as exc:
        raise DefineError(f"cannot read the define.xml: {exc.strerror or exc}", file=str(p)) from None


def _parse(p: Path) -> Define:
    d = Define(path=p, version="2.1", study="", standards=[], groups={}, items={}, codelists={})
    defns = None
    seen_mdv = False
    context = etree.iterparse(str(p), events=("end",), resolve_entities=False, no_network=True,
                              huge_tree=False, load_dtd=False, dtd_validation=False,
                              remove_comments=True, remove_pis=True)
    for _event, el in context:
        if defns is None:
            root = el.getroottree().getroot()
            if root.tag != f"{{{ODM}}}ODM":
                raise DefineError(f"not a define.xml: the root element is "
                                  f"{etree.QName(root).localname!r}, expected ODM (namespace "
                                  "http://www.cdisc.org/ns/odm/v1.3)", file=str(p))
            spaces = set((root.nsmap or {}).values())
            defns = DEF21 if DEF21 in spaces else (DEF20 if DEF20 in spaces else DEF21)
            d.version = "2.1" if defns == DEF21 else "2.0"
        tag = el.tag
        if not isinstance(tag, str):
            continue
        q = etree.QName(tag)
        if q.namespace not in (ODM, defns):
            continue
        _register(d, el, q, defns)
        local = q.localname
        if local == "StudyName" and not d.study:
            d.study = (el.text or "").strip()
        elif local == "Standard" and q.namespace == defns:
            d.standards.append({k: el.get(k, "") for k in ("OID", "Name", "Type", "Version",
                                                            "PublishingSet")})
        elif local == "leaf" and q.namespace == defns:
            d.leaves.append((el.get("ID", ""), el.get(f"{{{XLINK}}}href", ""),
                             el.sourceline or 0))
        elif tag in _TOP:
            _definition(d, el, local, defns)
        if tag == _MDV:
            seen_mdv = True
        parent = el.getparent()
        if parent is not None and parent.tag == _MDV:
            # a definition of the MetaDataVersion is read: free it and its predecessors
            el.clear()
            while el.getprevious() is not None:
                del parent[0]
    if not seen_mdv:
        raise DefineError("not a define.xml: no Study/MetaDataVersion element", file=str(p))
    return d


def _register(d: Define, el, q, defns: str) -> None:
    """OIDs defined by ``el`` and OIDs it refers to."""
    kind = _KINDS.get(q.localname)
    line = el.sourceline or 0
    if kind:
        oid = el.get(kind[1]) or ""
        seen = d.oids.setdefault(kind[0], {})
        if oid in seen:
            d.duplicates.append((kind[0], oid, line))
        else:
            seen[oid] = line
    for attr, value in el.attrib.items():
        aq = etree.QName(attr)
        target = _REFS.get(aq.localname)
        if target is None or (aq.localname == "ItemOID" and q.localname not in (
                "ItemRef", "RangeCheck")):
            continue
        if aq.localname in ("CommentOID", "ArchiveLocationID", "StandardOID", "leafID") \
                and aq.namespace not in (defns, None):
            continue
        d.references.append((aq.localname, value, target, line, q.localname))


def _definition(d: Define, el, local: str, defns: str) -> None:
    if local == "ItemGroupDef":
        cls = el.get(f"{{{defns}}}Class") or ""
        cls_el = el.find(f"{{{defns}}}Class")
        if cls_el is not None:
            cls = cls_el.get("Name", cls)
        refs = [ItemRef(item_oid=r.get("ItemOID", ""), order=_int(r.get("OrderNumber")),
                        mandatory=r.get("Mandatory") == "Yes",
                        key_sequence=_int(r.get("KeySequence")), method_oid=r.get("MethodOID"),
                        line=r.sourceline or 0, role=r.get("Role", ""))
                for r in el.findall(f"{{{ODM}}}ItemRef")]
        g = ItemGroup(oid=el.get("OID", ""), name=(el.get("Name") or "").upper(),
                      domain=el.get("Domain", ""), label=_text(el.find(f"{{{ODM}}}Description")),
                      structure=el.get(f"{{{defns}}}Structure", ""), cls=cls,
                      purpose=el.get("Purpose", ""), refs=refs, line=el.sourceline or 0)
        d.group_list.append(g)
        d.groups.setdefault(g.name, g)
    elif local == "ItemDef":
        cl = el.find(f"{{{ODM}}}CodeListRef")
        vl = el.find(f"{{{defns}}}ValueListRef")
        origin = el.find(f"{{{defns}}}Origin")
        d.items.setdefault(el.get("OID", ""), Item(
            oid=el.get("OID", ""), name=el.get("Name", ""), data_type=el.get("DataType", ""),
            length=_int(el.get("Length")), label=_text(el.find(f"{{{ODM}}}Description")),
            codelist_oid=cl.get("CodeListOID") if cl is not None else None,
            valuelist_oid=vl.get("ValueListOID") if vl is not None else None,
            display_format=el.get(f"{{{defns}}}DisplayFormat", ""),
            origin=origin.get("Type", "") if origin is not None else "",
            line=el.sourceline or 0, comment_oid=el.get(f"{{{defns}}}CommentOID")))
    elif local == "CodeList":
        terms = el.findall(f"{{{ODM}}}CodeListItem") + el.findall(f"{{{ODM}}}EnumeratedItem")
        vals = [c.get("CodedValue", "") for c in terms]
        codes = [next((a.get("Name", "") for a in c.findall(f"{{{ODM}}}Alias")
                       if a.get("Context") == "nci:ExtCodeID"), "") for c in terms]
        ext = el.find(f"{{{ODM}}}ExternalCodeList")
        alias = next((a.get("Name") for a in el.findall(f"{{{ODM}}}Alias")
                      if a.get("Context") == "nci:ExtCodeID"), None)
        d.codelists.setdefault(el.get("OID", ""), CodeList(
            oid=el.get("OID", ""), name=el.get("Name", ""), data_type=el.get("DataType", ""),
            values=tuple(vals), external=ext.get("Dictionary") if ext is not None else None,
            nci_code=alias, line=el.sourceline or 0, codes=tuple(codes)))


def _define(ctx):
    if ctx.define is None:
        raise Skip("no define.xml")
    return ctx.define


def _df(line: int, variable: str | None, value: str, **extra):
    return found_dataset("define.xml", variable, value, record=line, **extra)


# -------------------------------------------------------------------------------- integrity

@check("define_references", kind="package", family="define", summary="no dangling references")
def define_references(ctx):
    """Every OID the define.xml refers to (ItemOID, CodeListOID, MethodOID, CommentOID,
    ValueListOID, WhereClauseOID, leafID, ArchiveLocationID, StandardOID) is defined in it."""
    d = _define(ctx)
    out = []
    for attr, oid, target, line, element in d.references:
        if oid not in d.oids.get(target, {}):
            out.append(_df(line, attr, oid, target=target, element=element))
    return combine(out)


@check("define_unique_oids", kind="package", family="define", summary="OIDs defined once")
def define_unique_oids(ctx):
    """Each OID is defined once per kind of definition, and each dataset once."""
    d = _define(ctx)
    out = [_df(line, "OID", oid, kind=kind) for kind, oid, line in d.duplicates]
    seen: dict[str, int] = {}
    for g in d.group_list:
        if g.name in seen:
            out.append(_df(g.line, "Name", g.name, kind="ItemGroupDef Name"))
        seen.setdefault(g.name, g.line)
    return combine(out)


@check("define_item_refs", kind="package", family="define",
       summary="order and key numbers consistent")
def define_item_refs(ctx):
    """Within a dataset definition each variable appears once, OrderNumbers are distinct and
    KeySequences are distinct and run 1, 2, 3, ..."""
    d = _define(ctx)
    out = []
    for g in d.group_list:
        oids: set[str] = set()
        orders: set[int] = set()
        keys: list[int] = []
        for r in g.refs:
            if r.item_oid in oids:
                out.append(_df(r.line, "ItemOID", r.item_oid, dataset_name=g.name,
                               why="the variable is listed twice"))
            oids.add(r.item_oid)
            if r.order is not None:
                if r.order in orders:
                    out.append(_df(r.line, "OrderNumber", str(r.order), dataset_name=g.name,
                                   why="OrderNumber used twice"))
                orders.add(r.order)
            if r.key_sequence is not None:
                keys.append(r.key_sequence)
        if keys and sorted(keys) != list(range(1, len(keys) + 1)):
            out.append(_df(g.line, "KeySequence", ", ".join(map(str, sorted(keys))),
                           dataset_name=g.name, why="KeySequence values are not 1..n"))
    return combine(out)


@check("define_data_types", kind="package", family="define", summary="valid data types")
def define_data_types(ctx):
    """ItemDef DataType is a Define-XML data type; text, integer and float items have a
    Length; a codelist has the data type of the items that use it."""
    d = _define(ctx)
    out = []
    for it in d.items.values():
        if it.data_type not in DATA_TYPES:
            out.append(_df(it.line, "DataType", it.data_type, item=it.name,
                           why="not a Define-XML data type"))
        elif it.data_type in _NEEDS_LENGTH and it.length is None and ctx.define.version == "2.1":
            out.append(_df(it.line, "Length", "", item=it.name,
                           why=f"a {it.data_type} item needs a Length"))
        cl = d.codelists.get(it.codelist_oid or "")
        if cl is not None and cl.data_type and it.data_type and cl.data_type != it.data_type \
                and not (cl.data_type == "text" and it.data_type in ("date", "datetime")):
            out.append(_df(it.line, "DataType", it.data_type, item=it.name,
                           why=f"its codelist {cl.oid} has DataType {cl.data_type}"))
    return combine(out)


@check("define_unused", kind="package", family="define", summary="no unused definitions")
def define_unused(ctx):
    """Every ItemDef, CodeList, MethodDef, CommentDef, ValueListDef and WhereClauseDef is
    referred to."""
    d = _define(ctx)
    used: dict[str, set[str]] = {}
    for _attr, oid, target, _line, _el in d.references:
        used.setdefault(target, set()).add(oid)
    out = []
    for kind in ("ItemDef", "CodeList", "MethodDef", "CommentDef", "ValueListDef",
                 "WhereClauseDef"):
        for oid, line in d.oids.get(kind, {}).items():
            if oid not in used.get(kind, set()):
                out.append(_df(line, kind, oid, kind=kind))
    return combine(out)


# ---------------------------------------------------------------------------- define vs data

@check("define_datasets", kind="package", family="define",
       params={"direction": {"enum": ["data_in_define", "define_in_data"]}},
       summary="datasets in both data and define")
def define_datasets(ctx, direction: str = "data_in_define"):
    """Every dataset of the package is described in the define.xml (``data_in_define``) and every
    dataset the define.xml describes is in the package (``define_in_data``)."""
    d = _define(ctx)
    if direction == "data_in_define":
        return combine(found_dataset(ds, None, ds.name) for ds in ctx.datasets.values()
                       if ctx.define_covers(ds) and d.group_for(ds.name) is None)
    return combine(_df(g.line, "ItemGroupDef", g.name) for g in d.group_list
                   if g.name not in ctx.datasets)


def _group(ctx, ds):
    d = _define(ctx)
    if not ctx.define_covers(ds):
        raise Skip("dataset not in the define.xml's folder")
    g = d.group_for(ds.name)
    if g is None:
        raise Skip("dataset not in the define.xml")
    return d, g


@check("define_variables", family="define",
       params={"direction": {"enum": ["data_in_define", "define_in_data"]}},
       summary="variables in both data and define")
def define_variables(ctx, ds, direction: str = "data_in_define"):
    """Every variable of the dataset is described for it in the define.xml, and every variable
    the define.xml lists for the dataset is in the file."""
    d, g = _group(ctx, ds)
    in_define = {d.items[r.item_oid].name: r for r in g.refs if r.item_oid in d.items}
    if direction == "data_in_define":
        return combine(found_dataset(ds, n, n) for n in ds.names if n not in in_define)
    return combine(found_dataset(ds, n, n, mandatory="Yes" if r.mandatory else "No")
                   for n, r in in_define.items() if n not in ds.data.columns)


@check("define_labels", family="define", summary="labels as in the define")
def define_labels(ctx, ds):
    """Each variable's label in the file is its description in the define.xml, and the dataset
    label is the dataset's description."""
    d, g = _group(ctx, ds)
    out = []
    if g.label and (ds.label or "").strip() != g.label:
        out.append(found_dataset(ds, None, ds.label, expected=g.label, what="the dataset"))
    for v in ds.variables:
        hit = d.item_of(g, v.name)
        if hit and hit[1].label and (v.label or "").strip() != hit[1].label:
            out.append(found_dataset(ds, v.name, v.label, expected=hit[1].label,
                                     what=v.name))
    return combine(out)


_NUMERIC = ("integer", "float", "double", "hexFloat", "base64Float")


@check("define_types", family="define", summary="types as in the define")
def define_types(ctx, ds):
    """A numeric variable is integer or float in the define.xml (a numeric SAS date has a date
    display format); a character variable is not integer or float."""
    d, g = _group(ctx, ds)
    out = []
    for v in ds.variables:
        hit = d.item_of(g, v.name)
        if not hit:
            continue
        dt = hit[1].data_type
        ok = (dt in _NUMERIC or (dt in ("date", "datetime", "time") and hit[1].display_format)) \
            if v.type == "Num" else dt not in _NUMERIC
        if not ok:
            out.append(found_dataset(ds, v.name, v.type, expected=dt))
    return combine(out)


@check("define_lengths", family="define", summary="lengths as in the define")
def define_lengths(ctx, ds):
    """A character variable's length in the XPT file is the Length the define.xml gives."""
    if ds.file_format != "xpt":
        raise Skip("lengths are only fixed in XPT files")
    d, g = _group(ctx, ds)
    out = []
    for v in ds.variables:
        hit = d.item_of(g, v.name)
        if v.type != "Char" or not hit or hit[1].length is None:
            continue
        if v.length != hit[1].length:
            out.append(found_dataset(ds, v.name, str(v.length), expected=str(hit[1].length)))
    return combine(out)


@check("define_codelist_values", family="define", summary="values in the define's codelist")
def define_codelist_values(ctx, ds):
    """Values of a variable with a codelist in the define.xml are coded values of that codelist
    (external dictionaries such as MedDRA are not checked)."""
    d, g = _group(ctx, ds)
    out = []
    for v in ds.variables:
        hit = d.item_of(g, v.name)
        if not hit or not hit[1].codelist_oid:
            continue
        cl = d.codelists.get(hit[1].codelist_oid)
        if cl is None or cl.external or not cl.values:
            continue
        allowed = set(cl.values)
        codes, cats = text(ds, v.name)
        bad = np.array([c != "" and c not in allowed for c in cats], dtype=bool)
        if bad.any():
            out.append(found(ds, np.flatnonzero(bad[codes]), v.name, codelist=cl.oid))
    return combine(out)


@check("define_mandatory", family="define", summary="Mandatory variables populated")
def define_mandatory(ctx, ds):
    """A variable the define.xml marks Mandatory="Yes" has a value on every record."""
    d, g = _group(ctx, ds)
    out = []
    for r in g.refs:
        it = d.items.get(r.item_oid)
        if not r.mandatory or it is None or it.name not in ds.data.columns:
            continue
        rows = np.flatnonzero(~nonnull(ds, it.name))
        if len(rows):
            out.append(found(ds, rows, it.name, ""))
    return combine(out)


@check("define_keys", family="define", summary="records unique by the define's keys")
def define_keys(ctx, ds):
    """Each record is unique by the key variables the define.xml gives the dataset
    (KeySequence)."""
    d, g = _group(ctx, ds)
    keys = sorted((r.key_sequence, d.items[r.item_oid].name) for r in g.refs
                   if r.key_sequence is not None and r.item_oid in d.items)
    names = [n for _k, n in keys]
    if not names:
        raise Skip("no KeySequence in the define.xml")
    if any(n not in ds.data.columns for n in names):
        raise Skip("a key variable is not in the dataset")
    from .checks.util import codes_of
    gid, first = pair_codes(*(codes_of(ds, n) for n in names))
    rows = np.flatnonzero(first[gid] != np.arange(len(gid)))
    if not len(rows):
        return None
    vals = [" / ".join(num_text(ds.data[n].iloc[r]) for n in names) for r in rows[:10_000]]
    vals += [""] * (len(rows) - len(vals))
    return found(ds, rows, ", ".join(names), vals, first_record=first[gid[rows]] + 1)


@check("define_order", family="define", summary="variable order as in the define")
def define_order(ctx, ds):
    """Variables come in the order of the define.xml's OrderNumber."""
    d, g = _group(ctx, ds)
    order = {d.items[r.item_oid].name: (r.order if r.order is not None else i)
             for i, r in enumerate(g.refs) if r.item_oid in d.items}
    present = [n for n in ds.names if n in order]
    expected = sorted(present, key=lambda n: order[n])
    for i, (a, b) in enumerate(zip(present, expected)):
        if a != b:
            return found_dataset(ds, a, str(i + 1), expected_variable=b)
    return None


@check("define_leaf_files", kind="package", family="define",
       summary="every def:leaf href names a file")
def define_leaf_files(ctx):
    """Every ``def:leaf`` of the define.xml (dataset locations, documents) refers by its
    ``xlink:href`` to a file that exists, relative to the define.xml's folder (web addresses
    are not fetched)."""
    d = _define(ctx)
    if not d.leaves:
        raise Skip("the define.xml has no def:leaf")
    base = d.path.resolve().parent
    out = []
    for leaf_id, href, line in d.leaves:
        if not href:
            out.append(_df(line, "xlink:href", "", leaf=leaf_id, why="is empty"))
            continue
        if "://" in href or href.startswith(("mailto:", "urn:")):
            continue
        target = href.split("#", 1)[0]
        from urllib.parse import unquote
        f = (base / unquote(target)).resolve()
        if not f.is_file():
            out.append(_df(line, "xlink:href", href, leaf=leaf_id,
                           why=f"names no file (looked for {f.name} in {f.parent.name or '/'})"))
    return combine(out)
