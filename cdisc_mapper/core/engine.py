"""Run CORE rules on a package: scope, rule-type frames, Match Datasets, Operations, Check.

:func:`run_rule` returns a :class:`RuleRun`: ``ran`` with its findings (dataset, 1-based record
or None for a dataset-level finding, output variables and their values), or ``skipped`` with the
name of what is missing (an operator, an operation, a dataset of Match Datasets, the standard's
metadata for a dataset), never a silent pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .define_meta import DEFINE_RULE_TYPES, define_item_frame
from .frame import ROW, MissingVariable, Unsupported, Work
from .operations import OPERATIONS, run_operation
from .operators import OPERATORS
from .rules import CoreRule
from .values import ListValue, as_text, factorize_text

__all__ = ["Study", "RuleRun", "Finding", "run_rule", "unsupported_parts"]

RULE_TYPES = ("Record Data", "Dataset Metadata Check", "Variable Metadata Check",
              "Domain Presence Check", "Value Check with Variable Metadata",
              "Value Check with Dataset Metadata", "Dataset Contents Check against Define XML",
              "Define Item Metadata Check against Library Metadata",
              "Variable Metadata Check against Library Metadata")
_NEEDS_DEFINE = ("Define", "Define XML")


@dataclass
class Finding:
    dataset: str
    record: int | None
    variables: tuple[str, ...]
    values: tuple[Any, ...]
    usubjid: str = ""


@dataclass
class RuleRun:
    rule: CoreRule
    status: str                     # ran | skipped | error
    reason: str = ""
    findings: list[Finding] = field(default_factory=list)
    datasets: tuple[str, ...] = ()
    skipped_datasets: tuple[str, ...] = ()
    not_applicable: bool = False     # skipped because nothing in the package is in its scope
    # (dataset, reason): datasets in scope on which the Check could not be evaluated (CORE's
    # execution error for the dataset: no finding, CORE's issue list leaves it out)
    errors: tuple[tuple[str, str], ...] = ()


class Study:
    """The package as the rules see it, with the standard's metadata and terminology."""

    def __init__(self, package, product: str = "SDTMIG", version: str = "3.4", standard=None,
                 codelists=None):
        self.package = package
        self.product = product.upper()
        self.version = version.replace("-", ".")
        self.standard = standard
        self.codelists = codelists if codelists is not None else (
            standard.codelists if standard is not None else {})
        self.cache: dict[Any, Any] = {}
        # "SDTMIG 3.4" where that shipped version stands in for an unshipped one (see versions)
        self.facts_from: str | None = None

    @property
    def datasets(self):
        return self.package.datasets

    def frame(self, name: str) -> pd.DataFrame:
        """The dataset's data with text columns as plain strings ("" for missing)."""
        key = ("frame", name)
        if key not in self.cache:
            ds = self.datasets[name]
            cols = {}
            for c in ds.data.columns:
                s = ds.data[c]
                cols[c] = as_text(s).reset_index(drop=True) if isinstance(
                    s.dtype, (pd.CategoricalDtype, pd.StringDtype)) or s.dtype == object \
                    else s.reset_index(drop=True)
            df = pd.DataFrame(cols)
            df.index = pd.RangeIndex(len(df))
            df[ROW] = np.arange(len(df))
            self.cache[key] = df
        return self.cache[key]

    def prefix(self, ds) -> str:
        """The ``--`` of the dataset's variables: its domain; for an Associated Persons dataset
        (APSU, APMH) the domain it is about, whose prefix its variables keep (SUSEQ)."""
        ap = _ap_parent(ds)
        return ap or ds.domain

    def ig(self, ds):
        if self.standard is None:
            return None
        d = self.standard.dataset(ds.name)
        if d is None and ds.domain != ds.name:
            d = self.standard.dataset(ds.domain)
        return d

    def _ap_ig(self, ds):
        """An Associated Persons dataset has the class of the domain it is about."""
        ap = _ap_parent(ds)
        return self.standard.dataset(ap) if ap and self.standard is not None else None

    def ds_class(self, ds) -> str:
        key = ("class", ds.name)
        if key in self.cache:
            return self.cache[key]
        igd = self.ig(ds) or self._ap_ig(ds)
        cols = set(ds.data.columns)
        p = self.prefix(ds)
        name = ds.name
        if name.startswith(("SUPP", "SQ")) or name in ("RELREC", "RELSUB", "RELSPEC"):
            cls = "RELATIONSHIP"
        elif igd is not None:
            cls = igd.cls.upper().replace("-", " ")
        elif "USUBJID" not in cols and not name.startswith("AP"):
            cls = "TRIAL DESIGN"
        elif "RDOMAIN" in cols and f"{p}VAL" in cols or "ETCD" in cols and f"{p}STDTC" in cols \
                or "RFSTDTC" in cols or "ARMCD" in cols and "SEX" in cols \
                or f"{p}STDTC" in cols and "VISITNUM" in cols and not (
                    {f"{p}TESTCD", f"{p}TRT", f"{p}TERM", f"{p}DECOD"} & cols) \
                or "MIDSTYPE" in cols:
            cls = "SPECIAL PURPOSE"
        elif f"{p}OBJ" in cols:
            cls = "FINDINGS ABOUT"
        elif f"{p}TESTCD" in cols or f"{p}ORRES" in cols:
            cls = "FINDINGS"
        elif f"{p}TERM" in cols or f"{p}DECOD" in cols and f"{p}TRT" not in cols:
            cls = "EVENTS"
        elif f"{p}TRT" in cols:
            cls = "INTERVENTIONS"
        else:
            cls = ""
        if cls == "FINDINGS" and f"{p}OBJ" in cols:
            cls = "FINDINGS ABOUT"
        self.cache[key] = cls
        return cls


def _ap_parent(ds) -> str:
    """``SU`` for an Associated Persons dataset APSU whose variables are SU--; else ""."""
    d = ds.domain
    if len(d) == 4 and d.startswith("AP"):
        p = d[2:]
        if any(n.startswith(p) and len(n) > len(p) for n in ds.data.columns):
            return p
    return ""


# --------------------------------------------------------------------------------- scope

def _domain_matches(pattern: str, ds) -> bool:
    p = pattern.strip().upper()
    if p == "ALL":
        return True
    if p in ("SUPP--", "SUPPQUAL", "SQ--"):
        return ds.name.startswith(("SUPP", "SQ"))
    if p == "SPLIT DATASETS":
        return ds.name != ds.domain and not ds.name.startswith("SUPP")
    if p.endswith("--"):
        return ds.name.startswith(p[:-2]) and ds.name != p[:-2]
    if ds.name.startswith("SUPP") or p.startswith("SUPP"):
        return ds.name == p
    return ds.name == p or ds.domain == p


def _class_matches(pattern: str, cls: str) -> bool:
    p = pattern.strip().upper()
    if p == "ALL":
        return True
    if p == "GENERAL OBSERVATIONS":
        return cls in ("EVENTS", "FINDINGS", "INTERVENTIONS", "FINDINGS ABOUT")
    if p == "FINDINGS" and cls == "FINDINGS ABOUT":
        return True
    return p == cls


def in_scope(rule: CoreRule, study: Study, ds) -> bool:
    if rule.domains_include and not any(_domain_matches(d, ds) for d in rule.domains_include):
        return False
    if rule.domains_exclude and any(_domain_matches(d, ds) for d in rule.domains_exclude):
        return False
    cls = study.ds_class(ds)
    if rule.classes_include and not any(_class_matches(c, cls) for c in rule.classes_include):
        return False
    if rule.classes_exclude and any(_class_matches(c, cls) for c in rule.classes_exclude):
        return False
    return True


# --------------------------------------------------------------------------------- checks

def _conditions(node: Any):
    if isinstance(node, dict):
        for k in ("all", "any", "not"):
            if k in node:
                sub = node[k]
                for s in (sub if isinstance(sub, list) else [sub]):
                    yield from _conditions(s)
                return
        yield node


def unsupported_parts(rule: CoreRule) -> list[str]:
    """Names of the operators, operations and rule type that this engine cannot run."""
    out = []
    if rule.rule_type not in RULE_TYPES:
        out.append(f"rule type {rule.rule_type!r}")
    for c in _conditions(rule.check):
        if c.get("operator") not in OPERATORS:
            out.append(f"operator {c.get('operator')!r}")
    for o in rule.operations:
        if o.get("operator") not in OPERATIONS:
            out.append(f"operation {o.get('operator')!r}")
    return list(dict.fromkeys(out))


class CheckVariableMissing(MissingVariable):
    """The Check's target is a variable the dataset lacks: the rule cannot be evaluated on it
    (CORE records an execution error for the dataset, which its issue list leaves out)."""


# operators that CORE evaluates when their target is not a column of the dataset (they test for
# the column, or use the columns of their list that are present); every other operator reads the
# target column, and an absent one makes the condition fail to evaluate
_TARGET_MAY_BE_ABSENT = frozenset({"exists", "not_exists", "is_unique_set", "is_not_unique_set",
                                   "inconsistent_enumerated_columns"})


def _check_target(node: dict, w: Work) -> None:
    t = node.get("name")
    if isinstance(t, str) and node.get("operator") not in _TARGET_MAY_BE_ABSENT \
            and not w.has(t):
        raise CheckVariableMissing(w.name(t))


def evaluate(node: Any, w: Work) -> np.ndarray:
    """The Check's result per row.  As CORE: every condition of ``all`` is evaluated (one that
    cannot be, for an absent target, makes the whole fail); a branch of ``any`` that cannot be
    evaluated counts as false, unless no branch can."""
    if "all" in node:
        out = np.ones(w.n, bool)
        for s in node["all"]:
            out &= evaluate(s, w)
        return out
    if "any" in node:
        out = np.zeros(w.n, bool)
        absent: list[str] = []
        for s in node["any"]:
            try:
                out |= evaluate(s, w)
            except CheckVariableMissing as e:
                absent.append(str(e))
        if absent and len(absent) == len(node["any"]):
            raise CheckVariableMissing(", ".join(dict.fromkeys(absent)))
        return out
    if "not" in node:
        sub = node["not"]
        if isinstance(sub, list):
            return ~evaluate({"all": sub}, w)
        return ~evaluate(sub, w)
    fn = OPERATORS.get(node["operator"])
    if fn is None:
        raise Unsupported(f"operator {node['operator']!r}")
    _check_target(node, w)
    res = np.asarray(fn(w, node))
    if res.dtype != bool:
        res = pd.Series(res).fillna(False).astype(bool).to_numpy()
    return res


# --------------------------------------------------------------------------------- frames

def _meta_dataset_row(study: Study, ds) -> dict[str, Any]:
    size = ds.path.stat().st_size if ds.path and ds.path.exists() else None
    return {"dataset_name": ds.name, "dataset_label": ds.label,
            "dataset_location": ds.path.name if ds.path else "", "dataset_size": size,
            "dataset_domain": ds.domain if "DOMAIN" in ds.data.columns else "",
            "dataset_columns": ListValue([v.name for v in ds.variables])}


def _variable_frame(study: Study, ds) -> pd.DataFrame:
    data = study.frame(ds.name)
    emp = {v.name: _empties(data[v.name]) for v in ds.variables if v.name in data.columns}
    rows = []
    for i, v in enumerate(ds.variables, 1):
        e = emp.get(v.name, (True, True))
        rows.append({"variable_name": v.name, "variable_label": v.label,
                     "variable_order_number": v.order or i, "variable_size": v.length,
                     "variable_data_type": v.type, "variable_format": v.format,
                     "variable_has_empty_values": bool(e[0]), "variable_is_empty": bool(e[1])})
    df = pd.DataFrame(rows, columns=["variable_name", "variable_label", "variable_order_number",
                                     "variable_size", "variable_data_type", "variable_format",
                                     "variable_has_empty_values", "variable_is_empty"])
    df[ROW] = np.arange(len(df))
    return df


def _empties(s: pd.Series) -> tuple[bool, bool]:
    from .values import empty_mask
    m = empty_mask(s)
    return bool(m.any()), bool(m.all())


def _value_variables(study: Study, ds) -> list:
    data = study.frame(ds.name)
    return [(i, v) for i, v in enumerate(ds.variables, 1) if v.name in data.columns]


def _value_frame(study: Study, ds, with_dataset: bool, part: list | None = None) -> pd.DataFrame:
    """One row per record and variable (the variable's metadata repeated on its rows), built
    from the prepared text columns by concatenation: no per-variable frames.  ``part``: only
    these (order, variable) pairs (a slice of a large dataset)."""
    data = study.frame(ds.name)
    n = len(data)
    vs = part if part is not None else _value_variables(study, ds)
    k = len(vs)
    rows = np.tile(np.arange(n), k)

    def rep(vals, times: int | None = None) -> pd.Series:
        # per-variable metadata: one small code per row, the values once (categorical)
        codes, cats = pd.factorize(np.array(vals, dtype=object), use_na_sentinel=True)
        return pd.Series(pd.Categorical.from_codes(
            np.repeat(codes.astype(np.int32), n if times is None else times), categories=cats))

    def rep_num(vals) -> pd.Series:
        return pd.Series(np.repeat(pd.Series(vals).to_numpy(), n))

    key = ("values", ds.name)
    if part is not None:
        texts = [as_text(data[v.name]).to_numpy(object) for _, v in vs]
        value = np.concatenate(texts) if texts else np.array([], object)
        study.cache[("part", ds.name)] = (value, _text_lengths(value))
        key = ("part", ds.name)
    if key not in study.cache:
        # the dataset's values as one text column and their lengths, shared by every Value
        # Check rule
        texts = [as_text(data[v.name]).to_numpy(object) for _, v in vs]
        value = np.concatenate(texts) if texts else np.array([], object)
        study.cache[key] = (value, _text_lengths(value))
    value, lengths = study.cache[key]
    cols = {"row_number": pd.Series(rows + 1),
            "variable_name": rep([v.name for _, v in vs]),
            "variable_value": pd.Series(value, dtype=object, copy=False),
            ROW: pd.Series(rows),
            "variable_label": rep([v.label for _, v in vs]),
            "variable_order_number": rep_num([v.order or i for i, v in vs]),
            "variable_size": rep_num([v.length for _, v in vs]),
            "variable_data_type": rep([v.type for _, v in vs]),
            "variable_format": rep([v.format for _, v in vs]),
            "variable_value_length": pd.Series(lengths.astype(np.int64))}
    # column by column: one block each, no consolidation copy of the long frame
    df = pd.DataFrame(index=pd.RangeIndex(len(value)))
    for c, col in cols.items():
        df[c] = col
    if with_dataset:
        for key, val in _meta_dataset_row(study, ds).items():
            if not isinstance(val, ListValue):
                df[key] = rep([val], len(df)) if isinstance(val, str) or val is None else val
    return df


def _text_lengths(t: np.ndarray) -> np.ndarray:
    uniq, inv = factorize_text(t)
    return np.fromiter((len(u) for u in uniq), np.int32, len(uniq))[inv]


def _presence_frame(study: Study) -> pd.DataFrame:
    row = {ds.domain if "DOMAIN" in ds.data.columns else name: ds.path.name
           for name, ds in study.datasets.items()}
    for name, ds in study.datasets.items():
        row.setdefault(name, ds.path.name)
    df = pd.DataFrame([row])
    df[ROW] = 0
    return df


# ------------------------------------------------------------------------------ matching

class MatchMissing(Exception):
    pass


def _find_datasets(study: Study, name: str, ds) -> list:
    name = name.strip().upper()
    if name in ("SUPP--", "SUPPQUAL"):
        return [d for n, d in study.datasets.items() if n == f"SUPP{ds.name}" or
                n == f"SUPP{ds.domain}"]
    if name in study.datasets:
        return [study.datasets[name]]
    return [d for d in study.datasets.values()
            if "DOMAIN" in d.data.columns and d.domain == name and not d.name.startswith("SUPP")]


def _norm_key(s: pd.Series) -> pd.Series:
    from .values import norm_text
    return norm_text(s)


def _merge(study: Study, left: pd.DataFrame, ds, spec: dict) -> pd.DataFrame:
    name = str(spec["Name"]).strip().upper()
    keys = [k if isinstance(k, str) else (k.get("left") or k.get("name")) for k in
            spec.get("Keys") or []]
    if spec.get("Child") or name == "RELREC" and ds.name != "RELREC":
        if name == "RELREC" and not spec.get("Child"):
            return _merge_relrec(study, left, ds, spec)
        return _merge_parent(study, left, ds, spec)
    targets = _find_datasets(study, name, ds)
    if not targets:
        raise MatchMissing(f"Match Datasets names {name}, which is not in the package")
    other = targets[0]
    if other.name.startswith(("SUPP", "SQ")) and not ds.name.startswith(("SUPP", "SQ")):
        return _merge_supp(study, left, other, keys)
    keys = [k.replace("--", ds.domain) for k in keys]
    rcols = study.frame(other.name).columns
    missing = [k for k in keys if k not in rcols or k not in left.columns]
    if missing:
        raise MissingVariable(missing[0])
    right = study.frame(other.name).drop(columns=[ROW])
    fast = _merge_by_index(study, left, other, keys)
    if fast is not None:
        return fast
    rename = {}
    for c in right.columns:
        if c in keys:
            continue
        rename[c] = f"{other.name}.{c}"
    right = right.rename(columns=rename)
    for c in list(rename.values()):
        base = c.split(".", 1)[1]
        if base not in left.columns:
            right[base] = right[c]
    lk = left.assign(**{f"__k{i}": _norm_key(left[k]) for i, k in enumerate(keys)})
    rk = right.assign(**{f"__k{i}": _norm_key(right[k]) for i, k in enumerate(keys)})
    rk = rk.drop(columns=keys)
    kk = [f"__k{i}" for i in range(len(keys))]
    out = lk.merge(rk, on=kk, how="left").drop(columns=kk)
    return out


def _merge_supp(study: Study, left: pd.DataFrame, supp, keys: list[str]) -> pd.DataFrame:
    """A SUPP-- dataset matched to its parent: its records are pivoted (each QNAM a variable
    holding QVAL) and joined on the keys and on the parent record IDVAR/IDVARVAL point to (a
    record without IDVAR qualifies every record of the subject)."""
    sf = study.frame(supp.name)
    need = [c for c in ("QNAM", "QVAL") if c not in sf.columns]
    if need:
        raise MissingVariable(need[0])
    keys = [k for k in keys if k not in ("IDVAR", "IDVARVAL")]
    missing = [k for k in keys if k not in sf.columns or k not in left.columns]
    if missing:
        raise MissingVariable(missing[0])
    idvar = as_text(sf["IDVAR"]) if "IDVAR" in sf.columns else pd.Series([""] * len(sf))
    idval = _norm_key(sf["IDVARVAL"]) if "IDVARVAL" in sf.columns else \
        pd.Series([""] * len(sf))
    qnam = as_text(sf["QNAM"]).to_numpy(object)
    qval = sf["QVAL"].to_numpy(object)
    out = left.copy()
    added: dict[str, np.ndarray] = {}
    lk = pd.DataFrame({f"__k{i}": _norm_key(left[k]).to_numpy(object)
                       for i, k in enumerate(keys)})
    lk["_l"] = np.arange(len(left))
    kk = [f"__k{i}" for i in range(len(keys))]
    for var in pd.unique(idvar.to_numpy(object)):
        rows = (idvar == var).to_numpy()
        if var and var not in left.columns:
            continue
        rk = pd.DataFrame({f"__k{i}": _norm_key(sf[k]).to_numpy(object)[rows]
                           for i, k in enumerate(keys)})
        rk["_v"] = idval.to_numpy(object)[rows]
        rk["_q"], rk["_val"] = qnam[rows], qval[rows]
        rk = rk.drop_duplicates(kk + ["_v", "_q"])
        lv = lk.assign(_v=_norm_key(left[var]).to_numpy(object) if var else "")
        m = lv.merge(rk, on=kk + ["_v"])
        for q, grp in m.groupby("_q", sort=False):
            arr = added.setdefault(q, np.full(len(left), None, object))
            arr[grp["_l"].to_numpy()] = grp["_val"].to_numpy(object)
    for q, arr in added.items():
        out[f"{supp.name}.{q}"] = arr
        if q not in out.columns:
            out[q] = arr
    return out


def _merge_by_index(study: Study, left: pd.DataFrame, other, keys: list[str]):
    """The left join of :func:`_merge` (the other dataset's variables as ``OTHER.NAME`` and,
    where the frame lacks them, as ``NAME``), computed on the key columns alone and then
    gathered column by column: no copy of either whole frame.  None where a name of the result
    would clash (the general merge then runs)."""
    rf = study.frame(other.name)
    rcols = [c for c in rf.columns if c != ROW and c not in keys]
    qual = [f"{other.name}.{c}" for c in rcols]
    plain = [c for c in rcols if c not in left.columns]
    if not keys or set(qual) & set(left.columns) or len(set(qual) | set(plain)) != \
            len(qual) + len(plain):
        return None
    nl, nr = len(left), len(rf)
    lcode = np.zeros(nl, np.int64)
    rcode = np.zeros(nr, np.int64)
    for c in keys:
        codes, _ = pd.factorize(np.concatenate([_norm_key(left[c]).to_numpy(object),
                                                _study_norm_key(study, other.name, c)]))
        pair, _ = pd.factorize(np.concatenate([lcode, rcode]) * (int(codes.max(initial=0)) + 1)
                               + codes)
        lcode, rcode = pair[:nl], pair[nl:]
    if len(np.unique(rcode)) == nr:
        # each key names at most one record of the other dataset: one row per record
        pos = np.full(int(max(lcode.max(initial=0), rcode.max(initial=0))) + 1, -1, np.int64)
        pos[rcode] = np.arange(nr)
        li, ri = np.arange(nl), pos[lcode]
    else:
        lk = pd.DataFrame({"k": pd.Series(lcode), "__l": np.arange(nl)})
        rk = pd.DataFrame({"k": pd.Series(rcode), "__r": np.arange(nr)})
        m = lk.merge(rk, on="k", how="left")
        li = m["__l"].to_numpy()
        r = m["__r"].to_numpy()
        ri = np.where(np.isnan(r), -1, r).astype(np.int64) if r.dtype.kind == "f" else \
            r.astype(np.int64)
    missing = ri < 0
    src = rf[rcols]
    if missing.any():
        src = pd.concat([src, pd.DataFrame({c: [np.nan] for c in rcols}).astype(
            {c: object for c in rcols if src[c].dtype == object})], ignore_index=True)
        ri = np.where(missing, nr, ri)
    taken = src.take(ri).reset_index(drop=True)
    lpart = left.reset_index(drop=True) if len(li) == nl and (li == np.arange(nl)).all() \
        else left.take(li).reset_index(drop=True)
    parts = [lpart, taken.set_axis(qual, axis=1)]
    if plain:
        parts.append(taken[plain])
    return pd.concat(parts, axis=1)


def _study_norm_key(study: Study, name: str, col: str) -> np.ndarray:
    key = ("norm", name, col)
    if key not in study.cache:
        study.cache[key] = _norm_key(study.frame(name)[col]).to_numpy(object)
    return study.cache[key]


def _parent_datasets(study: Study, dom: str, ds) -> list:
    """The datasets a child record's RDOMAIN names.  A domain split into several datasets
    (LBCH, LBHE, LBUR for LB) is searched in each, except that the SUPP-- of one split dataset
    (SUPPLBHE) belongs to that dataset (LBHE)."""
    found = _find_datasets(study, dom, ds)
    own = ds.name[4:] if ds.name.startswith("SUPP") else ""
    mine = [d for d in found if d.name == own]
    return mine or found


def _merge_parent(study: Study, left: pd.DataFrame, ds, spec: dict) -> pd.DataFrame:
    """The dataset is a child (SUPP--, CO, RELREC): each record is joined with the parent record
    that its RDOMAIN/USUBJID/IDVAR/IDVARVAL point to; the parent's variables join the frame."""
    if "RDOMAIN" not in left.columns:
        return left          # no link to a parent: nothing joins (the Check sees no parent)
    out = left.copy()
    idvar = as_text(left["IDVAR"]) if "IDVAR" in left.columns else pd.Series([""] * len(left))
    idval = _norm_key(left["IDVARVAL"]) if "IDVARVAL" in left.columns else \
        pd.Series([""] * len(left))
    rdom = as_text(left["RDOMAIN"])
    added: dict[str, np.ndarray] = {}
    for (dom, var), rows in left.groupby([rdom, idvar], sort=False).groups.items():
        parents = _parent_datasets(study, dom, ds) if dom else []
        pending = np.asarray(rows)
        for parent in parents:
            pf = study.frame(parent.name)
            if var and var not in pf.columns:
                continue
            sub = pd.DataFrame({"u": as_text(left.loc[pending, "USUBJID"]).to_numpy(object)
                                if "USUBJID" in left.columns else "",
                                "v": idval.loc[pending].to_numpy(object) if var else "",
                                "_i": pending})
            right = pd.DataFrame({"u": as_text(pf["USUBJID"]).to_numpy(object)
                                  if "USUBJID" in pf.columns else "",
                                  "v": _norm_key(pf[var]).to_numpy(object) if var else ""})
            right["_p"] = np.arange(len(pf))
            right = right.drop_duplicates(["u", "v"])
            m = sub.merge(right, on=["u", "v"], how="left")
            hit = m["_p"].notna().to_numpy()
            for c in pf.columns:
                if c == ROW:
                    continue
                arr = added.setdefault(c, np.full(len(left), None, object))
                vals = pf[c].to_numpy(object)
                idx = m["_i"].to_numpy()[hit]
                arr[idx] = vals[m["_p"].to_numpy()[hit].astype(int)]
            pending = m["_i"].to_numpy()[~hit]
            if not len(pending):
                break
    for c, arr in added.items():
        if c in out.columns:
            out[f"{c}.parent"] = arr
            if c not in ("USUBJID", "STUDYID", "DOMAIN"):
                pass
        else:
            out[c] = arr
    return out


def _merge_relrec(study: Study, left: pd.DataFrame, ds, spec: dict) -> pd.DataFrame:
    """Records of the dataset related (RELREC, same RELID) to records of other datasets: the
    related record's variables join as ``RELREC.**NAME`` (``**`` its domain prefix, or the
    ``Wildcard`` the spec gives: ``RELREC.FAOBJ`` with Wildcard FA)."""
    if "RELREC" not in study.datasets:
        raise MatchMissing("Match Datasets names RELREC, which is not in the package")
    # the related record's own prefix is written ``**`` in the rule, or the spec's Wildcard
    wild = str(spec.get("Wildcard") or "**").strip() or "**"
    rel = study.frame("RELREC")
    need = [c for c in ("RDOMAIN", "IDVAR", "IDVARVAL", "RELID") if c not in rel.columns]
    if need:
        raise MissingVariable(need[0])
    rel = pd.DataFrame({"USUBJID": as_text(rel["USUBJID"]) if "USUBJID" in rel.columns else "",
                        "RDOMAIN": as_text(rel["RDOMAIN"]), "IDVAR": as_text(rel["IDVAR"]),
                        "IDVARVAL": _norm_key(rel["IDVARVAL"]), "RELID": as_text(rel["RELID"])})
    mine = rel[rel["RDOMAIN"] == ds.domain]
    others = rel[rel["RDOMAIN"] != ds.domain]
    pairs = mine.merge(others, on=["USUBJID", "RELID"], suffixes=("", "_o"))
    out_rows = []
    for (var, odom, ovar), grp in pairs.groupby(["IDVAR", "RDOMAIN_o", "IDVAR_o"], sort=False):
        if var not in left.columns:
            continue
        parents = _find_datasets(study, odom, ds)
        if not parents or ovar not in study.frame(parents[0].name).columns:
            continue
        pf = study.frame(parents[0].name)
        p = parents[0].domain
        lk = pd.DataFrame({"USUBJID": as_text(left["USUBJID"]).to_numpy(object),
                           "IDVARVAL": _norm_key(left[var]).to_numpy(object),
                           "_l": np.arange(len(left))})
        rec = grp[grp["IDVARVAL"] != ""]
        a = lk.merge(rec[["USUBJID", "IDVARVAL", "IDVARVAL_o"]], on=["USUBJID", "IDVARVAL"])
        anon = rec[rec["USUBJID"] == ""]
        if len(anon):
            # RELREC records without USUBJID: the IDVARVAL values link records of one subject
            a = pd.concat([a, lk.merge(anon[["IDVARVAL", "IDVARVAL_o"]], on="IDVARVAL")],
                          ignore_index=True)
        rk = pd.DataFrame({"USUBJID": as_text(pf["USUBJID"]).to_numpy(object),
                           "IDVARVAL_o": _norm_key(pf[ovar]).to_numpy(object),
                           "_r": np.arange(len(pf))})
        b = a.merge(rk, on=["USUBJID", "IDVARVAL_o"])
        if ((grp["IDVARVAL"] == "") & (grp["USUBJID"] == "")).any():
            # a dataset-level relationship (no USUBJID, no IDVARVAL): a record relates to the
            # other dataset's records of its subject that have the same value of the linking
            # variables (CMGRPID = FAGRPID)
            lk2 = lk[lk["IDVARVAL"] != ""].rename(columns={"IDVARVAL": "IDVARVAL_o"})
            b = pd.concat([b, lk2.merge(rk, on=["USUBJID", "IDVARVAL_o"])], ignore_index=True)
            b = b.drop_duplicates(["_l", "_r"])
        if not len(b):
            continue
        piece = left.iloc[b["_l"].to_numpy()].reset_index(drop=True)
        for c in pf.columns:
            if c == ROW:
                continue
            nm = "RELREC." + (wild + c[len(p):] if c.startswith(p) and c != p else c)
            piece[nm] = pf[c].to_numpy(object)[b["_r"].to_numpy()]
        out_rows.append(piece)
    if not out_rows:
        return left.iloc[0:0].copy()
    return pd.concat(out_rows, ignore_index=True)


# --------------------------------------------------------------------------------- run

def _frame_for(rule: CoreRule, study: Study, ds) -> pd.DataFrame:
    t = rule.rule_type
    if t == "Record Data":
        return study.frame(ds.name)
    if t == "Dataset Metadata Check":
        row = _meta_dataset_row(study, ds)
        df = pd.DataFrame([{k: (v if not isinstance(v, ListValue) else None)
                            for k, v in row.items()}])
        df["dataset_columns"] = pd.Series([row["dataset_columns"].values], dtype=object)
        df[ROW] = 0
        return df
    if t in ("Variable Metadata Check", "Variable Metadata Check against Library Metadata"):
        df = _variable_frame(study, ds)
        if t.endswith("Library Metadata"):
            df = _with_library(study, ds, df)
        return df
    if t == "Value Check with Variable Metadata":
        return _value_frame(study, ds, with_dataset=False)
    if t == "Value Check with Dataset Metadata":
        return _value_frame(study, ds, with_dataset=True)
    if t in DEFINE_RULE_TYPES:
        return define_item_frame(rule, study, ds)
    raise Unsupported(f"rule type {t!r}")


def _with_library(study: Study, ds, df: pd.DataFrame) -> pd.DataFrame:
    from .versions import require_own_version
    require_own_version(study, "variable metadata")
    igd = study.ig(ds)
    if igd is None:
        raise Unsupported(f"{study.product} {study.version} metadata for dataset {ds.name}")
    lib = {v.name: v for v in igd.variables}
    for col, attr in (("library_variable_name", "name"), ("library_variable_label", "label"),
                      ("library_variable_role", "role"), ("library_variable_core", "core"),
                      ("library_variable_order_number", "order"),
                      ("library_variable_data_type", "type")):
        df[col] = [getattr(lib[n], attr) if n in lib else None for n in df["variable_name"]]
    return df


def _outputs(rule: CoreRule, w: Work, rows: np.ndarray) -> tuple[tuple[str, ...], list[tuple]]:
    # a rule without Output Variables reports the variables its Check names, as CORE does
    wanted = rule.output_variables or tuple(dict.fromkeys(
        c["name"] for c in _conditions(rule.check) if isinstance(c, dict)
        and isinstance(c.get("name"), str) and "operator" in c and not c["name"].startswith("$")))
    names = tuple(dict.fromkeys(w.name(v) for v in wanted))
    cols = []
    for n in names:
        if w.has(n):
            s = w.col(n)
            cols.append(s.to_numpy(object)[rows])
        else:
            cols.append(np.full(len(rows), "Not in dataset", object))
    values = list(zip(*cols)) if cols else [()] * len(rows)
    return names, values


# Value Check rules build one row per record and variable; above this many rows a dataset is
# checked in slices of its variables, when every condition of the Check looks at its own row only
VALUE_ROWS_AT_ONCE = 4_000_000
_ROWWISE = {"exists", "not_exists", "empty", "non_empty", "equal_to", "not_equal_to",
            "equal_to_case_insensitive", "not_equal_to_case_insensitive", "less_than",
            "less_than_or_equal_to", "greater_than", "greater_than_or_equal_to",
            "date_equal_to", "date_not_equal_to", "date_less_than", "date_less_than_or_equal_to",
            "date_greater_than", "date_greater_than_or_equal_to", "is_complete_date",
            "is_incomplete_date", "invalid_date", "invalid_duration", "matches_regex",
            "not_matches_regex", "prefix_matches_regex", "not_prefix_matches_regex",
            "suffix_matches_regex", "not_suffix_matches_regex", "prefix_equal_to",
            "suffix_equal_to", "prefix_not_equal_to", "suffix_not_equal_to", "starts_with",
            "ends_with", "longer_than", "longer_than_or_equal_to", "shorter_than",
            "shorter_than_or_equal_to", "has_equal_length", "has_not_equal_length",
            "is_contained_by", "is_not_contained_by", "is_contained_by_case_insensitive",
            "is_not_contained_by_case_insensitive"}


def _rowwise(rule: CoreRule) -> bool:
    """Whether each row's result depends on that row alone (and on whole-dataset Operations)."""
    if any(o.get("group") for o in rule.operations):
        return False
    for c in _conditions(rule.check):
        if c.get("operator") not in _ROWWISE:
            return False
        v = c.get("value")
        if c["operator"].startswith("is_") and "contained" in c["operator"] and \
                isinstance(v, str) and not v.startswith("$"):
            return False          # membership in another column's values: not row by row
    return True


def _run_value_slices(rule: CoreRule, study: Study, ds) -> list[Finding] | None:
    vs = _value_variables(study, ds)
    n = len(study.frame(ds.name))
    if n * len(vs) <= VALUE_ROWS_AT_ONCE or not _rowwise(rule):
        return None
    step = max(1, VALUE_ROWS_AT_ONCE // max(n, 1))
    first: dict = {}
    try:
        for i in range(0, len(vs), step):
            df = _value_frame(study, ds, rule.rule_type.endswith("Dataset Metadata"),
                              vs[i:i + step])
            w = Work(df, study.prefix(ds))
            _set_domain(w, ds)
            for op in rule.operations:
                w.ops[op["id"]] = run_operation(op, study, ds, w)
            found = _findings(rule, study, ds.name, w, evaluate(rule.check, w))
            if found and rule.sensitivity != "Record":
                return found
            for f in found:
                first.setdefault(f.record, f)
    finally:
        study.cache.pop(("part", ds.name), None)
    return [first[r] for r in sorted(first)]


def _set_domain(w: Work, ds) -> None:
    if "DOMAIN" in ds.data.columns:
        vals = [v for v in pd.unique(as_text(ds.data["DOMAIN"])) if v]
        w.domain = vals[0] if len(vals) == 1 else ""


def _run_dataset(rule: CoreRule, study: Study, ds) -> list[Finding]:
    if rule.rule_type.startswith("Value Check"):
        sliced = _run_value_slices(rule, study, ds)
        if sliced is not None:
            return sliced
    df = _frame_for(rule, study, ds)
    if rule.rule_type == "Record Data":
        for spec in rule.match:
            df = _merge(study, df, ds, spec)
    w = Work(df.reset_index(drop=True), study.prefix(ds))
    if "DOMAIN" in ds.data.columns:
        vals = [v for v in pd.unique(as_text(ds.data["DOMAIN"])) if v]
        w.domain = vals[0] if len(vals) == 1 else ""
    for op in rule.operations:
        w.ops[op["id"]] = run_operation(op, study, ds, w)
    mask = evaluate(rule.check, w)
    return _findings(rule, study, ds.name, w, mask)


def _findings(rule, study, dsname: str, w: Work, mask: np.ndarray) -> list[Finding]:
    hits = np.nonzero(mask)[0]
    if not len(hits):
        return []
    if rule.sensitivity != "Record" or rule.rule_type == "Domain Presence Check":
        names, values = _outputs(rule, w, hits[:1])
        return [Finding(dsname, None, names, values[0])]
    rowids = w.df[ROW].to_numpy()[hits] if ROW in w.df.columns else hits
    _, first = np.unique(rowids, return_index=True)
    hits, rowids = hits[first], rowids[first]
    names, values = _outputs(rule, w, hits)
    usub = (as_text(w.df["USUBJID"]).to_numpy(object)[hits] if "USUBJID" in w.df.columns
            else [""] * len(hits))
    return [Finding(dsname, int(r) + 1, names, v, u) for r, v, u in zip(rowids, values, usub)]


def run_rule(rule: CoreRule, study: Study) -> RuleRun:
    missing = unsupported_parts(rule)
    if missing:
        return RuleRun(rule, "skipped", "not supported by this engine: " + ", ".join(missing))
    if any(x in rule.rule_type for x in _NEEDS_DEFINE) and study.package.define_path is None:
        return RuleRun(rule, "skipped", "needs a define.xml (rule type "
                                        f"{rule.rule_type!r})")
    if any(x in rule.rule_type for x in _NEEDS_DEFINE) and \
            rule.rule_type not in DEFINE_RULE_TYPES:
        return RuleRun(rule, "skipped", f"rule type {rule.rule_type!r} is not supported yet")
    if rule.rule_type == "Domain Presence Check":
        w = Work(_presence_frame(study), "")
        # an operation without a domain reads the dataset the rule's scope names (as CORE runs
        # a presence rule for each dataset in scope)
        scoped = [d for d in study.datasets.values() if in_scope(rule, study, d)] \
            if rule.domains_include and not any(
                d.strip().upper() == "ALL" for d in rule.domains_include) else []
        try:
            for op in rule.operations:
                w.ops[op["id"]] = run_operation(op, study, scoped[0] if scoped else None, w)
            mask = evaluate(rule.check, w)
        except (Unsupported, MatchMissing) as e:
            return RuleRun(rule, "skipped", str(e))
        except MissingVariable as e:
            return RuleRun(rule, "ran", "", [], ("STUDY",), (f"STUDY: {e} not present",))
        return RuleRun(rule, "ran", "", _findings(rule, study, "STUDY", w, mask), ("STUDY",))
    findings: list[Finding] = []
    ran, skipped = [], []
    errors: list[tuple[str, str]] = []
    engine_gap = False      # a skip for what this engine lacks, not for what the data lacks
    for name, ds in study.datasets.items():
        if not in_scope(rule, study, ds):
            continue
        try:
            findings.extend(_run_dataset(rule, study, ds))
            ran.append(name)
        except CheckVariableMissing as e:
            errors.append((name, f"variable {e} is not in the dataset"))
        except MissingVariable as e:
            skipped.append(f"{name}: variable {e} not in the dataset")
        except MatchMissing as e:
            skipped.append(f"{name}: {e}")
        except Unsupported as e:
            skipped.append(f"{name}: {e}")
            engine_gap = True
    if errors:
        return RuleRun(rule, "ran", "", findings, tuple(ran), tuple(skipped), errors=tuple(errors))
    if not ran:
        reason = "; ".join(skipped[:3]) + (f"; ... ({len(skipped)} datasets)"
                                          if len(skipped) > 3 else "") if skipped \
            else "no dataset in scope"
        # the rule does not apply where no dataset is in scope, or where every dataset in
        # scope lacks a variable or a Match Datasets dataset the rule needs (CORE then reports
        # no finding either: an execution error for that dataset)
        return RuleRun(rule, "skipped", reason, skipped_datasets=tuple(skipped),
                       not_applicable=not engine_gap)
    return RuleRun(rule, "ran", "", findings, tuple(ran), tuple(skipped))
