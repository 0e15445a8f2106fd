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

from .frame import MissingVariable, Unsupported, Work
from .versions import require_own_version
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


def _absent(col: str, src, ds) -> str:
    """The name of a variable an operation needs and the data lacks (a data fact, not an engine
    gap: the rule does not apply to that dataset)."""
    return col if src is None or ds is None or src.name == ds.name else f"{col} (of {src.name})"


def _col_name(name: str, ds) -> str:
    return ds.domain + name[2:] if isinstance(name, str) and name.startswith("--") and ds else name


def _groups(op: dict, src, w: Work, f: pd.DataFrame) -> list[str]:
    """The operation's group variables, ``--`` resolved; a group entry naming an earlier
    operation whose result is a list of variable names stands for those of them the dataset
    has (``group: [USUBJID, --TESTCD, $TIMING_VARIABLES]``), as CORE expands it."""
    out: list[str] = []
    for g in op.get("group") or []:
        res = w.ops.get(g) if isinstance(g, str) else None
        if isinstance(res, ListValue):
            out.extend(str(v) for v in res.values if str(v) in f.columns)
        else:
            out.append(_col_name(g, src))
    return list(dict.fromkeys(out))


def _regex_keys(op: dict, keys: pd.DataFrame) -> pd.DataFrame:
    """``regex``: a group variable whose first non-empty value matches it is grouped on the
    matched part (``^\\d{4}-\\d{2}-\\d{2}``: the date of a date/time)."""
    rx = op.get("regex")
    if not rx:
        return keys
    import re
    pat = re.compile(rx)
    for c in keys.columns:
        vals = keys[c]
        nonempty = vals[vals != ""]
        if not len(nonempty) or not pat.match(str(nonempty.iloc[0])):
            continue
        uniq = pd.unique(vals)
        m = {u: (mm.group(0) if u and (mm := pat.match(u)) else u) for u in uniq}
        keys[c] = vals.map(m)
    return keys


def _same_rows(df: pd.DataFrame, f: pd.DataFrame) -> bool:
    """The working frame holds exactly the dataset's records, in order."""
    from .frame import ROW
    return len(df) == len(f) and ROW in df.columns and ROW in f.columns and \
        bool((df[ROW].to_numpy() == f[ROW].to_numpy()).all())


def _grouped(op: dict, study, ds, w: Work, agg: Callable[[pd.Series], Any], empty_value):
    src = _target(op, study, ds)
    if src is None:
        return empty_value
    f = study.frame(src.name)
    col = _col_name(op.get("name"), src)
    if col not in f.columns:
        raise MissingVariable(_absent(col, src, ds))
    groups = _groups(op, src, w, f)
    if not groups:
        return agg(f[col])
    for g in groups:
        if g not in f.columns or g not in w.df.columns:
            raise MissingVariable(_absent(g, src, ds))
    keys = pd.DataFrame({g: as_text(f[g]).to_numpy(object) for g in groups})
    keys["_v"] = f[col].to_numpy()
    res = keys.groupby(groups, sort=False)["_v"].agg(agg).rename("_r").reset_index()
    left = pd.DataFrame({g: as_text(w.df[g]).to_numpy(object) for g in groups})
    out = left.merge(res, on=groups, how="left")["_r"]
    out.index = w.df.index
    return out


@operation("distinct")
def _distinct(op, study, ds, w):
    if op.get("value_is_reference") and "RDOMAIN" in w.df.columns:
        return _referenced_variables(study, w)
    def agg(s: pd.Series):
        vals = s[~empty_mask(s)]
        return ListValue(pd.unique(vals.to_numpy(object))) if not op.get("group") else \
            list(pd.unique(vals.to_numpy(object)))
    out = _grouped(op, study, ds, w, agg, ListValue([]))
    return out


def _referenced_variables(study, w: Work) -> pd.Series:
    """``distinct`` with ``value_is_reference`` on a relationship dataset: for each record, the
    variables of the dataset its RDOMAIN names (what an IDVAR there may reference)."""
    rdom = as_text(w.df["RDOMAIN"]).to_numpy(object)
    lists: dict[str, list] = {}
    for dom in pd.unique(rdom):
        src = _target({"domain": dom}, study, None) if dom else None
        lists[dom] = list(src.data.columns) if src is not None else []
    arr = np.empty(len(rdom), object)
    for dom, cols in lists.items():
        idx = np.nonzero(rdom == dom)[0]
        same = np.empty(len(idx), object)
        same.fill(cols)             # one shared list per RDOMAIN
        arr[idx] = same
    return pd.Series(arr, index=w.df.index)


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
    groups = _groups(op, src, w, f)
    if not groups:
        return int(mask.sum())
    for g in groups:
        if g not in f.columns or g not in w.df.columns:
            raise MissingVariable(_absent(g, src, ds))
    allkeys = _regex_keys(op, pd.DataFrame({g: as_text(f[g]).to_numpy(object) for g in groups}))
    res = allkeys[mask].groupby(groups, sort=False).size().rename("_r").reset_index()
    if _same_rows(w.df, f):
        left = allkeys
    else:
        left = _regex_keys(op, pd.DataFrame({g: as_text(w.df[g]).to_numpy(object)
                                             for g in groups}))
    out = left.merge(res, on=groups, how="left")["_r"].fillna(0)
    out.index = w.df.index
    return out


@operation("dy")
def _dy(op, study, ds, w):
    col = _col_name(op.get("name"), ds)
    if col not in w.df.columns:
        raise MissingVariable(col)
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


def _ig(study, ds, own_version: str | None = None):
    """The guide's metadata of the dataset; ``own_version`` names a fact that differs between
    versions of the guide (a stand-in version does not answer it, see ``versions``)."""
    if own_version:
        require_own_version(study, own_version)
    if study.standard is None:
        raise Unsupported(f"no {study.product} {study.version} metadata in this product")
    igd = study.ig(ds)
    if igd is None:
        raise Unsupported(f"{study.product} {study.version} metadata for dataset {ds.name} "
                          "is not in this product")
    return igd


def _lib_names(study, ds, core: str | None = None) -> list[str]:
    igd = _ig(study, ds, "the variables' Core designations" if core else "variable orders")
    return [v.name for v in igd.variables if core is None or v.core == core]


@operation("get_column_order_from_library")
def _library_order(op, study, ds, w):
    # the guide's variables merged into the SDTM model's class variables, as CORE orders them
    src = _target(op, study, ds) or ds
    igd = _ig(study, src, "variable orders")
    return ListValue(_model.library_column_order(study, src, igd.variables))


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
    require_own_version(study, "the guide's datasets")
    return study.ig(ds) is None


def _filtered(op, study, ds, present_only: bool):
    key, value = op.get("key_name"), op.get("key_value")
    igd = _ig(study, ds, None if key == "role" else f"variable {key}s")
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


from . import model as _model  # noqa: E402,F401  (registers the SDTM model operations)
