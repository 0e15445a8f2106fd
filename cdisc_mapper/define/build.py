"""Build define.xml (Define-XML 2.1) from the specification model that drove the conversion.

Everything in it comes from the objects the engine and the writers used: the
:class:`~cdisc_mapper.spec.model.DatasetSpec` of every dataset as written (names, labels, order,
keys, lengths, origins, method texts, value-level metadata), the DataFrames as written (data types,
numeric lengths and significant digits, the codelist terms in use), the study's codelists and
dictionaries, the dataset mappings (block by block methods and reviewer comments), and the study's
define file (standards, documents, comments, analysis results).  Nothing is restated by hand.

The layout follows the CDISC examples: ``def:Standards``, ``def:AnnotatedCRF``,
``def:SupplementalDoc``, ``def:ValueListDef``, ``def:WhereClauseDef``, ``ItemGroupDef``,
``ItemDef``, ``CodeList``, ``MethodDef``, ``def:CommentDef``, ``def:leaf`` and, for an analysis
package, ``arm:AnalysisResultDisplays``.  Output is deterministic: the same input gives the same
bytes (``CreationDateTime`` is ``created``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from .. import __version__
from ..errors import MappingError, UsageError
from ..mapping.study import Study
from ..spec.model import Codelist, DatasetSpec, ValueLevel, VariableSpec
from ..standards import bundled_ct_version, load_standard
from . import oids
from .arm import ArmBuilder, declared_displays
from .codelists import CodelistRegistry
from .datatypes import ItemType, item_type, value_level_type
from .methods import DefinitionRegistry, join_texts
from .studyinfo import PACKAGE_OF_STANDARD, CTPackage, DefineInfo, Document
from .variants import (Variant, dictionary_key, stack_attributes, supp_variant, variable_variants,
                       variant_origin, variant_text)
from .xml import ARM, NSMAP, description, el

DEFINE_VERSION = "2.1.0"
STYLESHEET_HREF = "define2-1.xsl"

CLASS_ORDER = ("TRIAL DESIGN", "SPECIAL PURPOSE", "INTERVENTIONS", "EVENTS", "FINDINGS",
               "FINDINGS ABOUT", "RELATIONSHIP", "STUDY REFERENCE",
               "SUBJECT LEVEL ANALYSIS DATASET", "BASIC DATA STRUCTURE",
               "OCCURRENCE DATA STRUCTURE", "ADAM OTHER")
REFERENCE_CLASSES = {"TRIAL DESIGN", "STUDY REFERENCE"}
# ADaM grouping variables: AGEGR1, --GRy, TRTxxP/A, TRTP/TRTA (values listed as a codelist)
# ADaMIG subject-level population flags: 'Y' or 'N' on every subject
POPULATION = re.compile(r"(ITT|SAF|EFF|FAS|PPROT|RAND|ENRL|COMP\w*)FL")
GROUPING = re.compile(r"[A-Z0-9]*GR\d+|TRT\d\d[PA]|TRT[PA]")
ORIGIN_PRIORITY = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")


def class_name(cls: str) -> str:
    """``Special-Purpose`` -> ``SPECIAL PURPOSE`` (the def:Class enumeration)."""
    return " ".join(cls.replace("-", " ").upper().split())


# ------------------------------------------------------------------------------------ the model

@dataclass
class Origin:
    type: str
    source: str | None = None
    text: str = ""
    doc_refs: tuple[tuple[str, int | str | None], ...] = ()     # (leaf id, pages)


@dataclass
class Item:
    oid: str
    name: str
    label: str
    itype: ItemType
    codelist: str | None = None
    origin: Origin | None = None
    comment: str | None = None
    value_list: str | None = None


@dataclass
class ItemRef:
    item: str
    order: int
    mandatory: bool
    key_sequence: int | None = None
    method: str | None = None
    has_no_data: bool = False
    where: str | None = None
    role: str | None = None          # the standard's variable role (SDTM; ADaM has none)


@dataclass
class Group:
    spec: DatasetSpec
    oid: str
    refs: list[ItemRef]
    comment: str | None
    rows: int


@dataclass
class WhereClause:
    oid: str
    checks: tuple[tuple[str, str, tuple[str, ...]], ...]     # (item oid, comparator, values)


@dataclass
class Model:
    groups: list[Group] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    value_lists: dict[str, list[ItemRef]] = field(default_factory=dict)
    where_clauses: dict[str, WhereClause] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ builder

class DefineBuilder:
    def __init__(self, study: Study | None, specs: dict[str, DatasetSpec],
                 data: dict[str, pd.DataFrame], *, standard: str, created: datetime,
                 codelists: dict[str, Codelist], info: DefineInfo, folder: Path,
                 ct_versions: dict[str, str] | None = None):
        self.study = study
        self.study_id = study.id if study is not None else info.study
        self.specs = specs
        self.data = data
        try:
            self.ig_name, self.ig_version = standard.split()
        except ValueError:
            raise UsageError(f"standard {standard!r}: expected a name and a version, e.g. "
                             "'SDTMIG 3.4'") from None
        if self.ig_name not in PACKAGE_OF_STANDARD:
            raise UsageError(f"standard {standard!r}: define.xml is written for SDTMIG, SENDIG "
                             "or ADaMIG")
        self.package = PACKAGE_OF_STANDARD[self.ig_name]
        self.tabulation = self.package == "tabulation"
        for name, spec in specs.items():
            if spec.standard != standard:
                raise UsageError(f"dataset {name} is specified for {spec.standard}, not "
                                 f"{standard}: one define.xml describes one package")
            if name not in data:
                raise UsageError(f"dataset {name} has a specification but no data")
        self.created = created
        self.info = info
        self.folder = Path(folder)
        self.ct_versions = dict(ct_versions or {})
        self.codelists = CodelistRegistry(codelists)
        self.defs = DefinitionRegistry()
        self.model = Model()
        self.documents = self._present_documents()
        self.std_codelists, self.std_role = self._std_lookups()

    # ------------------------------------------------------------------ context

    def _present_documents(self) -> dict[str, Document]:
        """Documents of this package that are present in its folder."""
        return {k: d for k, d in sorted(self.info.documents.items())
                if self.package in d.packages and (self.folder / d.file).is_file()}

    def _std_lookups(self):
        """(dataset, variable) -> the standard's codelist, and -> its role."""
        try:
            std = load_standard(self.ig_name, self.ig_version)
        except UsageError:
            return (lambda ds, var: None), (lambda ds, var: None)

        def definition(ds: str, var: str):
            d = std.dataset(ds)
            return d.variable(var) if d is not None else None

        def codelist(ds: str, var: str) -> str | None:
            v = definition(ds, var)
            return v.codelist if v is not None else None

        def role(ds: str, var: str) -> str | None:
            v = definition(ds, var)
            return (v.role or None) if v is not None else None
        return codelist, role

    def _role(self, ds: str, var: VariableSpec) -> str | None:
        """Role of an SDTM variable (Identifier, Topic, Timing, ... as the SDTMIG gives it);
        none in an analysis package: the ADaMIG assigns no roles."""
        if not self.tabulation:
            return None
        return self.std_role(ds, var.name) or var.role or None

    def _acrf(self) -> Document | None:
        for d in self.documents.values():
            if d.kind == "annotated_crf":
                return d
        return None

    def _order(self) -> list[str]:
        def key(name: str):
            cls = class_name(self.specs[name].cls)
            rank = CLASS_ORDER.index(cls) if cls in CLASS_ORDER else len(CLASS_ORDER)
            return (rank, name != "ADSL", name)
        return sorted(self.specs, key=key)

    # ------------------------------------------------------------------ origins

    def _source_of_forms(self, forms: list[str]) -> str | None:
        subject = [f for f in forms if f in self.info.subject_forms]
        if not subject:
            return "Investigator"
        if len(subject) == len(forms):
            return "Subject"
        return None

    def _collected(self, forms: list[str], fields: list[str]) -> Origin:
        forms = [f for f in dict.fromkeys(forms) if f and f != "study file"]
        source = self._source_of_forms(forms)
        where = []
        if forms:
            where.append(f"CRF form{'s' if len(forms) > 1 else ''} {', '.join(forms)}")
        if fields:
            where.append(f"field{'s' if len(fields) > 1 else ''} {', '.join(fields)}")
        text = ", ".join(where)
        if source is None:
            by = [f"{f} ({'subject' if f in self.info.subject_forms else 'investigator'})"
                  for f in forms]
            text = "CRF forms " + ", ".join(by) + (f"; fields {', '.join(fields)}" if fields else "")
        refs = ()
        acrf = self._acrf()
        if acrf is not None:
            pages = [acrf.pages[f] for f in forms if f in acrf.pages]
            refs = ((oids.leaf(acrf.key), " ".join(str(p) for p in pages) if pages else None),)
        return Origin("Collected", source, text, refs)

    def _origin(self, origin: str, forms: list[str], fields: list[str], predecessor: str) -> Origin:
        if origin == "Collected":
            return self._collected(forms, fields)
        if origin == "Predecessor":
            return Origin("Predecessor", None, predecessor)
        if origin == "Not Available":
            return Origin("Not Available")
        if origin in ("Derived", "Assigned", "Protocol"):
            return Origin(origin, "Sponsor")
        return Origin("Other", None, origin)

    # ------------------------------------------------------------------ datasets

    def build(self) -> Model:
        for name in self._order():
            self._dataset(name)
        return self.model

    def _dataset(self, name: str) -> None:
        spec = self.specs[name]
        df = self.data[name]
        refs: list[ItemRef] = []
        for order, var in enumerate(spec.variables, start=1):
            series = df[var.name] if var.name in df.columns else None
            refs.append(self._variable(spec, var, series, order))
        comment = self.defs.comment(name, join_texts(spec.description,
                                                     self.info.dataset_comments.get(name, "")),
                                    name)
        self.model.groups.append(Group(spec, oids.item_group(name), refs, comment, len(df)))

    def _forms(self, var: VariableSpec, variants: tuple[Variant, ...]) -> list[str]:
        if variants:
            return [v.form for v in variants]
        return [f.strip() for f in var.source.split(",") if f.strip()]

    def _variable(self, spec: DatasetSpec, var: VariableSpec, series: pd.Series | None,
                  order: int) -> ItemRef:
        ds = spec.name
        oid = oids.item(ds, var.name)
        variants = variable_variants(self.study, ds, var.name)
        vlms = [vl for vl in spec.value_level if vl.variable == var.name]
        distinct = _distinct_text(series) if series is not None else []
        present = [t for t in distinct if t != ""]
        itype = item_type(var, series, ds, texts=None if var.type == "Num" else present)
        # codelist or dictionary
        dkey = self._dictionary(ds, var)
        if dkey is not None:
            d = self.study.dictionaries[dkey]
            cl = self.codelists.external(dkey, d.label, d.version,
                                         itype.data_type if var.type == "Num" else "text")
        else:
            cl = self.codelists.for_variable(ds, var, variants, bool(vlms),
                                             self.std_codelists(ds, var.name))
            if not self.tabulation and series is not None:
                cl = self._analysis_list(ds, var, cl, present, df_of=ds)
            if cl is not None and series is not None:
                self.codelists.use(cl, distinct)
        # origin, method and comments
        origins = [variant_origin(v) for v in variants] or [var.origin]
        otype = min(origins, key=lambda o: ORIGIN_PRIORITY.index(o)
                    if o in ORIGIN_PRIORITY else len(ORIGIN_PRIORITY))
        text = self._method_text(var, variants)
        fields = sorted(set(var.sources) - stack_attributes(variants) - {"VALUE"})
        origin = self._origin(otype, self._forms(var, variants), fields, var.source or text)
        comments = [v.comment for v in variants] + [self.info.variable_comments.get(
            f"{ds}.{var.name}", "")]
        vl_oid = None
        if vlms:
            vl_oid, vl_origin = self._value_list(spec, var, vlms)
            origin = vl_origin          # uniform value-level origin, or none when they differ
        method = None
        if origin is not None and origin.type == "Derived":
            method = self.defs.method(ds, var.name, text)
        elif origin is not None and origin.type not in ("Predecessor",):
            comments.insert(0, text)
        comment = self.defs.comment(f"{ds}.{var.name}", join_texts(*comments), ds, var.name)
        self.model.items[oid] = Item(oid, var.name, var.label, itype, cl, origin, comment, vl_oid)
        empty = series is None or not present
        mandatory = var.core == "Req"
        return ItemRef(oid, order, mandatory, self._key_sequence(spec, var.name), method,
                       has_no_data=empty and not mandatory, role=self._role(ds, var))

    def _analysis_list(self, ds: str, var: VariableSpec, cl: str | None, present: list[str],
                       df_of: str) -> str | None:
        """ADaM: a flag (``--FL``) lists only the terms it takes (``Y``, or ``N`` and ``Y``); a
        character grouping variable (``AGEGR1``, ``TRT01P``) without a codelist gets one of the
        values it takes, ordered by its numeric twin (``AGEGR1N``) where there is one."""
        if not present:
            return cl
        if cl is not None and var.name.endswith("FL"):
            if POPULATION.fullmatch(var.name):      # ADaMIG 3.1.4: Y or N, never null
                return self.codelists.subset(cl, ["N", "Y"])
            return self.codelists.subset(cl, present)
        if cl is None and var.type == "Char" and GROUPING.fullmatch(var.name):
            df = self.data[df_of]
            twin = f"{var.name}N"
            if twin in df.columns:
                pairs = df[[var.name, twin]].dropna().drop_duplicates()
                order = pairs.sort_values([twin, var.name])[var.name].astype(str).tolist()
                present = list(dict.fromkeys(order + sorted(present)))
            else:
                present = sorted(present)
            shared = self.model.items.get(oids.item("ADSL", var.name))
            if ds != "ADSL" and shared is not None and shared.codelist:
                known = self.codelists.lists[shared.codelist].values
                if set(present) <= set(known):
                    return shared.codelist          # the same groups as in ADSL
            return self.codelists.grouping(ds, var, present)
        return cl

    @staticmethod
    def _key_sequence(spec: DatasetSpec, name: str) -> int | None:
        return spec.keys.index(name) + 1 if name in spec.keys else None

    def _method_text(self, var: VariableSpec, variants: tuple[Variant, ...]) -> str:
        if len(variants) <= 1:
            return var.method_text
        texts = [(v.block, v.params.get("describe") or variant_text(self.study, v))
                 for v in variants]
        if len({t for _, t in texts}) == 1:
            return texts[0][1]
        return " ".join(f"{block}: {t}" for block, t in texts)

    def _dictionary(self, ds: str, var: VariableSpec) -> str | None:
        if self.study is None:
            return None
        key = dictionary_key(self.study, ds, var.name)
        if key is None and var.origin == "Predecessor" and "." in var.source:
            pds, pvar = var.source.split(".", 1)
            key = dictionary_key(self.study, pds.strip(), pvar.strip())
        return key if key in self.study.dictionaries else None

    def _dictionary_comment(self, key: str) -> str:
        d = self.study.dictionaries[key]
        own = self.info.dictionary_comments.get(key, "")
        return own or (f"Coded with the dictionary '{d.label}' version {d.version} named in the "
                       "study file.")

    # ------------------------------------------------------------------ value-level metadata

    @staticmethod
    def _split(vl: ValueLevel) -> list[tuple[tuple[str, tuple[str, ...]], ...]]:
        """One condition per value when the condition tests one variable against several values."""
        if len(vl.where) == 1 and len(vl.where[0][1]) > 1:
            wvar, values = vl.where[0]
            return [((wvar, (v,)),) for v in values]
        return [vl.where]

    def _vl_variant(self, spec: DatasetSpec, vl: ValueLevel, values: tuple[str, ...]) -> Variant | None:
        if spec.name.startswith("SUPP") and vl.where and vl.where[0][0] == "QNAM":
            return supp_variant(self.study, spec.name[4:], vl.where[0][1][0])
        for v in variable_variants(self.study, spec.name, vl.variable):
            codes = set(v.stack_codes())
            if v.form == vl.spec.source and (not codes or set(values) <= codes):
                return v
        return None

    def _where_mask(self, ds: str, df: pd.DataFrame, wvar: str, values) -> np.ndarray:
        """Rows where ``wvar`` is one of ``values``, through codes cached per column."""
        cache = self.__dict__.setdefault("_codes", {})
        if (ds, wvar) not in cache:
            codes, uniques = pd.factorize(df[wvar], use_na_sentinel=True)
            cache[(ds, wvar)] = (codes, {str(u): i for i, u in enumerate(uniques)})
        codes, index = cache[(ds, wvar)]
        wanted = [index[v] for v in values if v in index]
        return np.isin(codes, wanted)

    def _value_list(self, spec: DatasetSpec, var: VariableSpec,
                    vlms: list[ValueLevel]) -> tuple[str, Origin | None]:
        ds, df = spec.name, self.data[spec.name]
        vl_oid = oids.value_list(ds, var.name)
        refs: list[ItemRef] = []
        origins: list[Origin] = []
        entries = []
        for vl in vlms:
            for cond in self._split(vl):
                entries.append((vl, cond))
        entries = self._ordered(spec, entries)
        for order, (vl, cond) in enumerate(entries, start=1):
            mask = np.ones(len(df), dtype=bool)
            for wvar, values in cond:
                mask &= self._where_mask(ds, df, wvar, values)
            if not mask.any():
                continue
            key = [v for _, values in cond for v in values]
            item_oid = oids.item(ds, var.name, *key)
            wc_oid = oids.where_clause(ds, *[p for wvar, values in cond
                                             for p in (wvar, *values)])
            self.model.where_clauses.setdefault(wc_oid, WhereClause(wc_oid, tuple(
                (oids.item(ds, wvar), "EQ" if len(values) == 1 else "IN", values)
                for wvar, values in cond)))
            subset = df.loc[mask, var.name]
            s = vl.spec
            variant = self._vl_variant(spec, vl, tuple(key))
            itype = value_level_type(s, subset, ds)
            cl = self.codelists.for_value_level(ds, s, variant)
            if cl is not None:       # only the terms this where-clause's records take
                cl = self.codelists.subset(cl, _distinct_text(subset), partial_only=True)
            self.codelists.use(cl, _distinct_text(subset))
            fields = sorted({c for c in s.sources if c != "VALUE"})
            text = s.method_text
            if variant is not None and len(cond) == 1 and len(key) == 1:
                col = variant.column_of(key[0])
                if col is not None:
                    fields = [col]
                    text = self._column_text(variant, col) or text
            origin = self._origin(s.origin, [s.source] if s.source else [], fields,
                                  s.source or s.method_text)
            origins.append(origin)
            where_text = " and ".join(f"{w} {'=' if len(v) == 1 else 'in'} {', '.join(v)}"
                                      for w, v in cond)
            method = None
            comments = [variant.comment if variant else "",
                        self.info.variable_comments.get(f"{ds}.{var.name}.{'.'.join(key)}", "")]
            if s.origin == "Derived":
                method = self.defs.method(ds, var.name, text, *key, where=where_text)
            elif s.origin != "Predecessor":
                comments.insert(0, text)
            comment = self.defs.comment(f"{ds}.{var.name}", join_texts(*comments),
                                        ds, var.name, *key)
            label = s.label if s.label != var.label else self._vl_label(df, mask, cond, var.label)
            self.model.items[item_oid] = Item(item_oid, var.name, label, itype, cl, origin,
                                              comment)
            refs.append(ItemRef(item_oid, order, bool(subset.notna().all()), None, method,
                                where=wc_oid, role=self._role(ds, var)))
        self.model.value_lists[vl_oid] = refs
        kinds = {(o.type, o.source) for o in origins}
        return vl_oid, (origins[0] if len(kinds) == 1 and origins else None)

    def _column_text(self, variant: Variant, column: str) -> str | None:
        """The method text of one value-level row of a stacked form, naming only the row's own
        raw column (``Copied from raw HN_ERY.``) instead of every column of the form."""
        reads = {k: v for k, v in variant.params.items() if k in ("from", "of") and v == "VALUE"}
        if not reads:
            return None
        one = Variant(variant.block, variant.form,
                      {**variant.params, **{k: column for k in reads}})
        return variant_text(self.study, one)

    def _ordered(self, spec: DatasetSpec, entries):
        """Value-level entries in the order of the raw form's columns where known."""
        position: dict[str, int] = {}
        for vl, _ in entries:
            for v in variable_variants(self.study, spec.name, vl.variable):
                for code in v.stack_codes():
                    position.setdefault(code, len(position))
        if not position:
            return entries
        return sorted(entries, key=lambda e: tuple(position.get(v, len(position))
                                                   for _, vals in e[1] for v in vals))

    @staticmethod
    def _vl_label(df: pd.DataFrame, mask: pd.Series, cond, label: str) -> str:
        """``Finding in Original Units: EASI-Head/Neck Erythema``: the parent label and the name
        the records give the tested code (--TEST for --TESTCD, PARAM for PARAMCD)."""
        wvar, values = cond[0]
        name_var = wvar[:-2] if wvar.endswith("CD") else ""
        if name_var in df.columns and len(cond) == 1 and len(values) == 1:
            names = _distinct_text(df.loc[mask, name_var])
            if len(names) == 1:
                return f"{label}: {names[0]}"
        return f"{label} ({' and '.join(f'{w} = {v[0]}' for w, v in cond if len(v) == 1)})"

    # ------------------------------------------------------------------ standards

    def standards(self) -> tuple[tuple[str, str, str, str | None], list[CTPackage]]:
        s = self.info.standard(self.package)
        if s is not None and ((s.name and s.name != self.ig_name)
                              or (s.version and s.version != self.ig_version)):
            raise MappingError(f"the define file gives {s.name} {s.version} for the "
                               f"{self.package} package, but its datasets are built to "
                               f"{self.ig_name} {self.ig_version}", file=s.where.rsplit(":", 1)[0],
                               line=int(s.where.rsplit(":", 1)[1]))
        declared = {c.publishing_set: c for c in (s.ct if s else ())}
        for pset, version in self.ct_versions.items():
            if pset in declared and declared[pset].version != version:
                raise MappingError(f"the define file gives {pset} CT {declared[pset].version}, "
                                   f"but the run used the {version} terminology",
                                   file=s.where.rsplit(":", 1)[0],
                                   line=int(s.where.rsplit(":", 1)[1]))
        used = sorted({self.codelists.ct_set(dl) for dl in self.codelists.lists.values()} - {None})
        cts = []
        for pset in used:
            if pset in declared:
                cts.append(declared[pset])
            else:
                cts.append(CTPackage(pset, self.ct_versions.get(pset) or _default_ct(pset)))
        return (self.ig_name, self.ig_version, s.comment if s else "", None), cts


def _default_ct(pset: str) -> str:
    if pset == "ADaM":
        return load_standard("ADaMIG", "1.3").ct_version
    return bundled_ct_version()


# ------------------------------------------------------------------------------------ XML

def _distinct_text(series: pd.Series) -> list[str]:
    """The distinct non-missing values of a column as text, in order of first appearance
    (distinct values first, in the column's own dtype: no Python object per cell)."""
    uniques = pd.Series(series.unique(), dtype=series.dtype).dropna()
    return list(dict.fromkeys(str(v) for v in uniques.to_numpy(dtype=object)))


def build_define(study: Study | None, specs: dict[str, DatasetSpec],
                 data: dict[str, pd.DataFrame], *, standard: str, created: datetime,
                 codelists: dict[str, Codelist], info: DefineInfo, folder: Path,
                 ct_versions: dict[str, str] | None = None) -> bytes:
    """The define.xml document of one package folder, as bytes."""
    b = DefineBuilder(study, specs, data, standard=standard, created=created,
                      codelists=codelists, info=info, folder=folder, ct_versions=ct_versions)
    model = b.build()
    arm = None
    displays = () if b.tabulation else (info.analysis_results
                                         or declared_displays(study, data))   # see define/arm.py
    if displays:
        arm = ArmBuilder(b, model)
        arm.build(displays)
    return _serialize(b, model, arm)


def _serialize(b: DefineBuilder, model: Model, arm: "ArmBuilder | None") -> bytes:
    nsmap = dict(NSMAP)
    if arm is not None:
        nsmap["arm"] = ARM
    from .xml import q
    root = etree.Element(q("ODM"), nsmap=nsmap)
    ig_name, ig_version = b.ig_name, b.ig_version
    for k, v in (("ODMVersion", "1.3.2"),
                 ("FileOID", oids.join("DEF", b.study_id, ig_name, ig_version)),
                 ("FileType", "Snapshot"),
                 ("CreationDateTime", b.created.replace(microsecond=0).isoformat()),
                 ("Originator", b.info.originator or None),
                 ("SourceSystem", "cdisc_mapper"), ("SourceSystemVersion", __version__),
                 ("def:Context", b.info.context)):
        if v is not None:
            root.set(q(k) if ":" in k else k, v)
    study_el = el(root, "Study", {"OID": oids.study(b.study_id)})
    gv = el(study_el, "GlobalVariables")
    title = b.study.title if b.study is not None else b.study_id
    protocol = (b.study.protocol if b.study is not None else "") or b.study_id
    el(gv, "StudyName", text=b.study_id)
    el(gv, "StudyDescription", text=" ".join(title.split()))
    el(gv, "ProtocolName", text=protocol)
    purpose = "Tabulation" if b.tabulation else "Analysis"
    mdv_desc = b.info.description or (f"{purpose} data definitions of study {b.study_id} "
                                      f"({ig_name} {ig_version}).")
    study_comment = b.defs.comment("study", b.info.study_comment, "STUDY")
    # registries must be complete before the standards and comments are written
    (ig, version, std_comment, _), cts = b.standards()
    std_com = b.defs.comment("standard", std_comment, "STD", ig_name)
    ct_coms = {c.publishing_set: b.defs.comment("standard", c.comment, "STD", "CT",
                                                c.publishing_set) for c in cts}
    codelist_elements = _codelists(b, cts)     # registers codelist comments
    emitted = {e.get("OID") for e in codelist_elements}
    mdv = el(study_el, "MetaDataVersion", {
        "OID": oids.mdv(b.study_id, ig_name, ig_version),
        "Name": f"Study {b.study_id}, Data Definitions ({ig_name} {ig_version})",
        "Description": mdv_desc, "def:DefineVersion": DEFINE_VERSION,
        "def:CommentOID": study_comment})
    stds = el(mdv, "def:Standards")
    el(stds, "def:Standard", {"OID": oids.standard(ig_name, ig_version), "Name": ig_name,
                              "Type": "IG", "Version": ig_version, "Status": "Final",
                              "def:CommentOID": std_com})
    for c in cts:
        el(stds, "def:Standard", {"OID": oids.ct_standard(c.publishing_set, c.version),
                                  "Name": "CDISC/NCI", "Type": "CT",
                                  "PublishingSet": c.publishing_set, "Version": c.version,
                                  "Status": "Final",
                                  "def:CommentOID": ct_coms[c.publishing_set]})
    acrf = b._acrf()
    if acrf is not None:
        a = el(mdv, "def:AnnotatedCRF")
        el(a, "def:DocumentRef", {"leafID": oids.leaf(acrf.key)})
    supp = [d for d in b.documents.values() if d.kind == "supplemental"]
    if supp:
        s = el(mdv, "def:SupplementalDoc")
        for d in supp:
            el(s, "def:DocumentRef", {"leafID": oids.leaf(d.key)})
    for vl_oid, refs in model.value_lists.items():
        if not refs:
            continue
        v = el(mdv, "def:ValueListDef", {"OID": vl_oid})
        for r in refs:
            _item_ref(v, r)
    for wc in sorted(model.where_clauses.values(), key=lambda w: w.oid):
        w = el(mdv, "def:WhereClauseDef", {"OID": wc.oid})
        for item, comparator, values in wc.checks:
            rc = el(w, "RangeCheck", {"Comparator": comparator, "SoftHard": "Soft",
                                      "def:ItemOID": item})
            for val in values:
                el(rc, "CheckValue", text=val)
    for g in model.groups:
        _item_group(b, mdv, g)
    for item in model.items.values():
        _item_def(mdv, item, model, emitted)
    for e in codelist_elements:
        mdv.append(e)
    for m in sorted(b.defs.methods.values(), key=lambda m: m.oid):
        md = el(mdv, "MethodDef", {"OID": m.oid, "Name": m.name, "Type": m.type})
        description(md, m.text)
    for c in sorted(b.defs.comments.values(), key=lambda c: c.oid):
        cd = el(mdv, "def:CommentDef", {"OID": c.oid})
        description(cd, c.text)
        for leaf_id, pages in c.refs:
            _doc_ref(cd, leaf_id, pages)
    arm_element = arm.element() if arm is not None else None   # notes the documents it cites
    leaf_docs = [d for d in b.documents.values() if d.kind in ("annotated_crf", "supplemental")
                 or (arm is not None and d.key in arm.documents_used)]
    for d in leaf_docs:
        lf = el(mdv, "def:leaf", {"ID": oids.leaf(d.key), "xlink:href": d.file})
        el(lf, "def:title", text=d.title)
    if arm_element is not None:
        mdv.append(arm_element)
    pi = etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{STYLESHEET_HREF}"')
    root.addprevious(pi)
    body = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)
    return body


def _doc_ref(parent, leaf_id: str, pages) -> None:
    d = el(parent, "def:DocumentRef", {"leafID": leaf_id})
    if pages is not None and str(pages) != "":
        kind = "PhysicalRef" if all(p.isdigit() for p in str(pages).split()) else "NamedDestination"
        el(d, "def:PDFPageRef", {"PageRefs": str(pages), "Type": kind})


def _item_ref(parent, r: ItemRef) -> None:
    e = el(parent, "ItemRef", {"ItemOID": r.item, "OrderNumber": r.order,
                               "Mandatory": "Yes" if r.mandatory else "No",
                               "KeySequence": r.key_sequence, "Role": r.role,
                               "MethodOID": r.method,
                               "def:HasNoData": "Yes" if r.has_no_data else None})
    if r.where:
        el(e, "def:WhereClauseRef", {"WhereClauseOID": r.where})


def _item_group(b: DefineBuilder, mdv, g: Group) -> None:
    spec = g.spec
    cls = class_name(spec.cls)
    reference = cls in REFERENCE_CLASSES
    one_per_subject = set(spec.keys) == {"STUDYID", "USUBJID"}
    domain = None
    if b.tabulation:
        domain = spec.name[4:] if spec.name.startswith("SUPP") else spec.name
    has_data = g.rows > 0
    ig = el(mdv, "ItemGroupDef", {
        "OID": g.oid, "Domain": domain, "Name": spec.name,
        "Repeating": "No" if reference or one_per_subject else "Yes",
        "IsReferenceData": "Yes" if reference else "No", "SASDatasetName": spec.name,
        "def:Structure": spec.structure,
        "Purpose": "Tabulation" if b.tabulation else "Analysis",
        "def:StandardOID": oids.standard(b.ig_name, b.ig_version),
        "def:HasNoData": None if has_data else "Yes",
        "def:CommentOID": g.comment,
        "def:ArchiveLocationID": oids.leaf(spec.name) if has_data else None})
    description(ig, spec.label)
    for r in g.refs:
        _item_ref(ig, r)
    if b.tabulation and spec.name.startswith("SUPP"):
        parent = b.specs.get(spec.name[4:])
        label = parent.label if parent is not None else spec.label
        el(ig, "Alias", {"Context": "DomainDescription", "Name": label})
    el(ig, "def:Class", {"Name": cls})
    if has_data:
        href = f"{spec.name.lower()}.xpt"
        lf = el(ig, "def:leaf", {"ID": oids.leaf(spec.name), "xlink:href": href})
        el(lf, "def:title", text=href)


def _item_def(mdv, item: Item, model: Model, codelists: set[str]) -> None:
    t = item.itype
    e = el(mdv, "ItemDef", {"OID": item.oid, "Name": item.name, "DataType": t.data_type,
                            "Length": t.length if t.data_type in ("text", "integer", "float")
                            else None,
                            "SignificantDigits": t.significant_digits
                            if t.data_type == "float" else None,
                            "SASFieldName": item.name,
                            "def:DisplayFormat": t.display_format,
                            "def:CommentOID": item.comment})
    description(e, item.label)
    if item.codelist in codelists:
        el(e, "CodeListRef", {"CodeListOID": item.codelist})
    o = item.origin
    if o is not None:
        oe = el(e, "def:Origin", {"Type": o.type, "Source": o.source})
        if o.text:
            description(oe, o.text)
        for leaf_id, pages in o.doc_refs:
            _doc_ref(oe, leaf_id, pages)
    if item.value_list and model.value_lists.get(item.value_list):
        el(e, "def:ValueListRef", {"ValueListOID": item.value_list})


def _codelists(b: DefineBuilder, cts: list[CTPackage]) -> list:
    reg = b.codelists
    out = []
    referenced = {i.codelist for i in b.model.items.values()}
    for oid in sorted(reg.lists):
        if oid not in referenced:
            continue
        dl = reg.lists[oid]
        if dl.dictionary is not None:
            key = oid.split(".")[2]
            com = b.defs.comment("codelist", b._dictionary_comment(key), "CL", "DICT", key)
            c = el(None, "CodeList", {"OID": oid, "Name": dl.name, "DataType": dl.data_type,
                                      "def:CommentOID": com})
            name, version = dl.dictionary
            el(c, "ExternalCodeList", {"Dictionary": name, "Version": version or None})
            out.append(c)
            continue
        terms = reg.terms(dl)
        if not terms:
            continue
        key = oid[3:]
        parts = [b.info.codelist_comments.get(p.codelist, "") for p in dl.parts
                 if len(dl.parts) > 1 or p.decodes]
        text = join_texts(reg.composition(dl), b.info.codelist_comments.get(key, ""), *parts)
        com = b.defs.comment("codelist", text, "CL", key)
        pset = reg.ct_set(dl)
        std = None
        if pset is not None:
            version = next((c.version for c in cts if c.publishing_set == pset), None)
            std = oids.ct_standard(pset, version) if version else None
        c = el(None, "CodeList", {"OID": oid, "Name": dl.name, "DataType": reg.data_type(dl, terms),
                                  "def:StandardOID": std, "def:CommentOID": com})
        decoded = reg.decoded_list(dl, terms)
        for n, t in enumerate(terms, start=1):
            attrs = {"CodedValue": t.value, "OrderNumber": n,
                     "def:ExtendedValue": "Yes" if t.extended else None}
            item = el(c, "CodeListItem" if decoded else "EnumeratedItem", attrs)
            if decoded:
                description(item, t.decode, tag="Decode")
            if t.code:
                el(item, "Alias", {"Context": "nci:ExtCodeID", "Name": t.code})
        code = reg.nci_code(dl)
        if code:
            el(c, "Alias", {"Context": "nci:ExtCodeID", "Name": code})
        out.append(c)
    return out
