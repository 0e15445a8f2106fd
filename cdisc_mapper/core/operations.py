"""The Operations of the CORE rule language: values computed before the Check runs.

Each operation returns a value for the whole dataset (a scalar or a :class:`ListValue`) or a
Series with one value per row of the working frame (grouped results joined back on the group
variables).  Operations that read the standard take it from the product's own metadata
(:func:`cdisc_mapper.standards.load_standard`); where that metadata lacks the dataset the
operation raises :class:`Unsupported` naming it, and the rule is skipped for that dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .frame import Unsupported, Work
from .values import ListValue, as_text, date_precision, empty_mask

__all__ = ["OPERATIONS", "run_operation"]

OPERATIONS: dict[str, Callable[..., Any]] = {}


def operation(name: str):
    def deco(fn):
        OPERATIONS[name] = fn
        return fn
    return deco


def run_operation(op: dict, study, ds, w: Work) -> Any:
    fn = OPERATIONS.get(op["operator"])
    if fn is None:
        raise Unsupported(f"operation {op['operator']!r}")
    return fn(op, study, ds, w)


def _target(op: dict, study, ds):
    """The dataset an operation reads: ``domain`` when given, else the current dataset."""
    dom = op.get("domain")
    if not dom or ds is not None and dom in (ds.name, ds.domain) or dom == "--":
        return ds
    dom = str(dom).upper()
    if dom in study.datasets:
        return study.datasets[dom]
    for d in study.datasets.values():
        if d.domain == dom and not d.name.startswith("SUPP"):
            return d
    return None


def _col_name(name: str, ds) -> str:
    return ds.domain + name[2:] if isinstance(name, str) and name.startswith("--") and ds else name


def _grouped(op: dict, study, ds, w: Work, agg: Callable[[pd.Series], Any], empty_value):
    src = _target(op, study, ds)
    if src is None:
        return empty_value
    f = study.frame(src.name)
    col = _col_name(op.get("name"), src)
    if col not in f.columns:
        raise Unsupported(f"operation {op['operator']}: variable {col} not in {src.name}")
    groups = [_col_name(g, src) for g in (op.get("group") or [])]
    if not groups:
        return agg(f[col])
    for g in groups:
        if g not in f.columns or g not in w.df.columns:
            raise Unsupported(f"operation {op['operator']}: group variable {g} missing")
    keys = pd.DataFrame({g: as_text(f[g]).to_numpy(object) for g in groups})
    keys["_v"] = f[col].to_numpy()
    res = keys.groupby(groups, sort=False)["_v"].agg(agg).rename("_r").reset_index()
    left = pd.DataFrame({g: as_text(w.df[g]).to_numpy(object) for g in groups})
    out = left.merge(res, on=groups, how="left")["_r"]
    out.index = w.df.index
    return out


def _referenced_variables(study, ds, w: Work) -> pd.Series:
    """``value_is_reference`` on an operation over a relationship dataset (SUPP--): the values
    of ``name`` (IDVAR) name variables of the dataset each record's RDOMAIN points to, so the
    result is, per record, the variables of that dataset (empty where there is none)."""
    from .engine import _find_datasets
    rdom = as_text(w.df["RDOMAIN"]).to_numpy(object) if "RDOMAIN" in w.df.columns else \
        np.full(w.n, ds.domain, object)
    out = np.empty(w.n, object)
    for dom in pd.unique(rdom):
        parents = _find_datasets(study, dom, ds) if dom else []
        cols = [c for c in study.frame(parents[0].name).columns if not c.startswith("__")] \
            if parents else []
        rows = rdom == dom
        shared = list(cols)                # one list object per RDOMAIN, shared by its rows
        for i in np.flatnonzero(rows):
            out[i] = shared
    return pd.Series(out, index=w.df.index)


@operation("distinct")
def _distinct(op, study, ds, w):
    if op.get("value_is_reference") and ds is not None and ds.name.startswith(("SUPP", "SQ")):
        return _referenced_variables(study, ds, w)

    def agg(s: pd.Series):
        vals = s[~empty_mask(s)]
        return ListValue(pd.unique(vals.to_numpy(object))) if not op.get("group") else \
            list(pd.unique(vals.to_numpy(object)))
    out = _grouped(op, study, ds, w, agg, ListValue([]))
    return out


def _date_extreme(pick: str):
    def fn(op, study, ds, w):
        def agg(s: pd.Series):
            t = as_text(s)
            ok = date_precision(t) > 0
            vals = t[ok]
            if not len(vals):
                return None
            return vals.min() if pick == "min" else vals.max()
        return _grouped(op, study, ds, w, agg, None)
    return fn


OPERATIONS["min_date"] = _date_extreme("min")
OPERATIONS["max_date"] = _date_extreme("max")


@operation("max")
def _max(op, study, ds, w):
    return _grouped(op, study, ds, w, lambda s: pd.to_numeric(s, errors="coerce").max(), None)


@operation("min")
def _min(op, study, ds, w):
    return _grouped(op, study, ds, w, lambda s: pd.to_numeric(s, errors="coerce").min(), None)


@operation("mean")
def _mean(op, study, ds, w):
    return _grouped(op, study, ds, w, lambda s: pd.to_numeric(s, errors="coerce").mean(), None)


@operation("record_count")
def _record_count(op, study, ds, w):
    src = _target(op, study, ds)
    if src is None:
        return 0
    f = study.frame(src.name)
    mask = np.ones(len(f), bool)
    for k, v in (op.get("filter") or {}).items():
        k = _col_name(k, src)
        if k not in f.columns:
            return 0
        mask &= (as_text(f[k]).to_numpy(object) == str(v))
    groups = [_col_name(g, src) for g in (op.get("group") or [])]
    if not groups:
        return int(mask.sum())
    keys = pd.DataFrame({g: as_text(f[g]).to_numpy(object) for g in groups})[mask]
    res = keys.groupby(groups, sort=False).size().rename("_r").reset_index()
    left = pd.DataFrame({g: as_text(w.df[g]).to_numpy(object) for g in groups})
    out = left.merge(res, on=groups, how="left")["_r"].fillna(0)
    out.index = w.df.index
    return out


@operation("dy")
def _dy(op, study, ds, w):
    col = _col_name(op.get("name"), ds)
    if col not in w.df.columns:
        raise Unsupported(f"operation dy: variable {col} not in {ds.name}")
    if "RFSTDTC" in w.df.columns:
        ref = as_text(w.df["RFSTDTC"])
    else:
        dm = study.datasets.get("DM")
        if dm is None:
            raise Unsupported("operation dy needs DM")
        f = study.frame("DM")
        m = pd.DataFrame({"USUBJID": as_text(w.df["USUBJID"]).to_numpy(object)}).merge(
            pd.DataFrame({"USUBJID": as_text(f["USUBJID"]).to_numpy(object),
                          "RFSTDTC": as_text(f["RFSTDTC"]).to_numpy(object)}).drop_duplicates(
                "USUBJID"), on="USUBJID", how="left")
        ref = m["RFSTDTC"].fillna("")
    d = pd.to_datetime(as_text(w.df[col]).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    r = pd.to_datetime(pd.Series(ref.to_numpy(object)).astype(str).str.slice(0, 10),
                       format="%Y-%m-%d", errors="coerce")
    days = (d.to_numpy() - r.to_numpy()).astype("timedelta64[D]").astype(float)
    days[np.isnat(d.to_numpy()) | np.isnat(r.to_numpy())] = np.nan
    days = np.where(days >= 0, days + 1, days)
    return pd.Series(days, index=w.df.index)


@operation("study_domains")
def _study_domains(op, study, ds, w):
    return ListValue(list(dict.fromkeys(
        d.domain if "DOMAIN" in d.data.columns else n for n, d in study.datasets.items())))


@operation("dataset_names")
def _dataset_names(op, study, ds, w):
    return ListValue(list(study.datasets))


@operation("variable_exists")
def _variable_exists(op, study, ds, w):
    src = _target(op, study, ds)
    if src is None:
        return False
    return _col_name(op.get("name"), src) in src.data.columns


@operation("variable_count")
def _variable_count(op, study, ds, w):
    name = op.get("name")
    return sum(1 for d in study.datasets.values() if _col_name(name, d) in d.data.columns)


@operation("extract_metadata")
def _extract_metadata(op, study, ds, w):
    key = op.get("name")
    meta = {"dataset_name": ds.name, "dataset_label": ds.label,
            "dataset_location": ds.path.name if ds.path else "",
            "dataset_domain": ds.domain}
    if key not in meta:
        raise Unsupported(f"operation extract_metadata of {key!r}")
    return meta[key]


@operation("get_column_order_from_dataset")
def _dataset_order(op, study, ds, w):
    src = _target(op, study, ds)
    return ListValue([v.name for v in src.variables] if src is not None else [])


def _ig(study, ds):
    if study.standard is None:
        raise Unsupported(f"no {study.product} {study.version} metadata in this product")
    igd = study.ig(ds)
    if igd is None:
        raise Unsupported(f"{study.product} {study.version} metadata for dataset {ds.name} "
                          "is not in this product")
    return igd


def _lib_names(study, ds, core: str | None = None) -> list[str]:
    igd = _ig(study, ds)
    return [v.name for v in igd.variables if core is None or v.core == core]


@operation("get_column_order_from_library")
def _library_order(op, study, ds, w):
    return ListValue(_lib_names(study, _target(op, study, ds) or ds))


@operation("required_variables")
def _required(op, study, ds, w):
    return ListValue(_lib_names(study, ds, "Req"))


@operation("expected_variables")
def _expected(op, study, ds, w):
    return ListValue(_lib_names(study, ds, "Exp"))


@operation("permissible_variables")
def _permissible(op, study, ds, w):
    return ListValue(_lib_names(study, ds, "Perm"))


@operation("domain_label")
def _domain_label(op, study, ds, w):
    return _ig(study, ds).label


@operation("domain_is_custom")
def _domain_is_custom(op, study, ds, w):
    if study.standard is None:
        raise Unsupported(f"no {study.product} {study.version} metadata in this product")
    return study.ig(ds) is None


def _filtered(op, study, ds, present_only: bool):
    igd = _ig(study, ds)
    key, value = op.get("key_name"), op.get("key_value")
    attr = {"role": "role", "core": "core", "label": "label", "name": "name"}.get(key)
    if attr is None:
        raise Unsupported(f"operation {op['operator']} by {key!r}")
    names = [v.name for v in igd.variables if str(getattr(v, attr)) == str(value)]
    if present_only:
        names = [n for n in names if n in ds.data.columns]
    return ListValue(names)


@operation("get_dataset_filtered_variables")
def _ds_filtered(op, study, ds, w):
    return _filtered(op, study, ds, True)


@operation("codelist_terms")
def _codelist_terms(op, study, ds, w):
    out: list = []
    for cl in op.get("codelists") or []:
        c = study.codelists.get(cl)
        if c is None:
            c = next((x for x in study.codelists.values() if x.code == cl), None)
        if c is None:
            raise Unsupported(f"codelist {cl} is not in the loaded terminology")
        code = op.get("returntype") == "code"
        out.extend(t.code if code else t.value for t in c.terms)
    return ListValue(out)
