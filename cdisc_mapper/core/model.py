"""The SDTM model behind an implementation guide, and the Operations that read it.

The shipped model (``cdisc_mapper/standards/model/sdtm-<version>.yaml``) lists the variables of
each observation class (General Observations, Interventions, Events, Findings, Findings About,
Associated Persons) and of each dataset the model defines itself (DM, CO, SE, SV, the trial
design and relationship datasets), in the model's order, with their role.

The variables the model allows in a dataset (:func:`model_variables`) follow the model's
structure, as CDISC CORE reads it:

* a dataset the model defines (DM, SE, TS, RELREC, SUPPQUAL for every SUPP--, ...): its variables;
* a dataset of a general observation class (by the guide's class of the dataset, or the class
  its variables show for a custom domain): the General Observations identifiers, the Associated
  Persons identifiers for an ``AP--`` dataset, the class's variables (Findings About: those of
  Findings with the Findings About variables after ``--TEST``), then the General Observations
  timing variables; ``--`` is the dataset's domain prefix.

Operations: ``get_model_column_order`` (that list), ``get_parent_model_column_order`` (per record
of a SUPP--/RELREC-like dataset, the list of the dataset its RDOMAIN names) and
``get_model_filtered_variables`` (the list filtered by ``key_name``/``key_value``, e.g. the
timing variables: ``role`` = ``Timing``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from .frame import Unsupported
from .operations import operation
from .values import ListValue, as_text

__all__ = ["MODEL_OF_GUIDE", "load_model", "model_version", "model_variables"]

# The SDTM model version each shipped implementation guide implements.
MODEL_OF_GUIDE = {("SDTMIG", "3.4"): "2.0"}

_GENERAL = ("INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT")


@cache
def load_model(version: str = "2.0") -> dict[str, Any]:
    """The shipped SDTM model: ``{"classes": {name: [(var, role)]}, "datasets": {name:
    {"class": ..., "variables": [(var, role)]}}}`` (cached; treat as read-only)."""
    import yaml

    f = resources.files("cdisc_mapper.standards").joinpath("model", f"sdtm-{version}.yaml")
    if not f.is_file():
        raise Unsupported(f"SDTM model {version} is not in this product")
    raw = yaml.safe_load(f.read_text(encoding="utf-8"))
    classes = {k.upper(): [tuple(v) for v in vs] for k, vs in raw["classes"].items()}
    datasets = {k: {"class": d["class"], "variables": [tuple(v) for v in d["variables"]]}
                for k, d in raw["datasets"].items()}
    return {"version": str(raw["version"]), "classes": classes, "datasets": datasets}


def model_version(study) -> str:
    """The SDTM model version of the study's guide (a guide standing in for an unshipped version
    of the same guide brings its own model)."""
    std = getattr(study, "standard", None)
    if std is None:
        raise Unsupported(f"no SDTM model for {study.product} {study.version} in this product")
    v = MODEL_OF_GUIDE.get((std.name.upper(), str(std.version)))
    if v is None:
        raise Unsupported(f"no SDTM model for {std.name} {std.version} in this product")
    return v


def _is_ap(name: str) -> bool:
    return len(name) == 4 and name.startswith("AP")


def _prefix(ds) -> str:
    """The ``--`` prefix of the dataset's variables (``EG`` in APEG, the domain elsewhere)."""
    return ds.name[2:] if _is_ap(ds.name) else ds.domain


def _class(study, ds) -> str:
    if _is_ap(ds.name) and study.standard is not None:
        parent = study.standard.dataset(ds.name[2:])
        if parent is not None:
            return parent.cls.upper().replace("-", " ")
    return study.ds_class(ds)


def _model_dataset(model: dict, ds) -> dict | None:
    dss = model["datasets"]
    if ds.name.startswith("SUPP") or ds.name.startswith("SQ"):
        return dss.get("SUPPQUAL")
    return dss.get(ds.name) or dss.get(ds.domain)


def model_variables(study, ds) -> list[tuple[str, str]]:
    """(variable, role) the SDTM model allows in the dataset, in the model's order, with the
    dataset's prefix in place of ``--``; raises :class:`Unsupported` where the model does not
    say (a dataset of no general class that the model does not define)."""
    key = ("model_variables", ds.name)
    if key in study.cache:
        return study.cache[key]
    model = load_model(model_version(study))
    own = _model_dataset(model, ds)
    if own is not None:
        rows = list(own["variables"])
    else:
        cls = _class(study, ds)
        if cls not in _GENERAL:
            raise Unsupported(f"SDTM {model['version']} model variables of dataset {ds.name} "
                              f"(class {cls or 'unknown'})")
        c = model["classes"]
        go = c["GENERAL OBSERVATIONS"]
        body = list(c["FINDINGS" if cls == "FINDINGS ABOUT" else cls])
        if cls == "FINDINGS ABOUT":
            at = next((i for i, (n, _) in enumerate(body) if n == "--TEST"), len(body) - 1)
            body = body[:at + 1] + list(c["FINDINGS ABOUT"]) + body[at + 1:]
        ap = list(c.get("ASSOCIATED PERSONS", [])) if _is_ap(ds.name) else []
        rows = [v for v in go if v[1] == "Identifier"] + ap + body + \
            [v for v in go if v[1] == "Timing"]
    p = _prefix(ds)
    out = list({n.replace("--", p, 1): (n.replace("--", p, 1), r) for n, r in rows}.values())
    study.cache[key] = out
    return out


@operation("get_model_column_order")
def _model_column_order(op, study, ds, w):
    return ListValue([n for n, _ in model_variables(study, ds)])


@operation("get_model_filtered_variables")
def _model_filtered(op, study, ds, w):
    key, value = op.get("key_name"), op.get("key_value")
    if key not in ("role", "name"):
        raise Unsupported(f"operation get_model_filtered_variables by {key!r}")
    i = 1 if key == "role" else 0
    return ListValue([v[0] for v in model_variables(study, ds) if str(v[i]) == str(value)])


@operation("get_parent_model_column_order")
def _parent_model_column_order(op, study, ds, w):
    """Per record, the model column order of the dataset that its RDOMAIN names (an empty list
    where that dataset is not in the package)."""
    n = len(w.df)
    if "RDOMAIN" not in w.df.columns:
        return pd.Series([[] for _ in range(n)], index=w.df.index, dtype=object)
    rdom = as_text(w.df["RDOMAIN"]).to_numpy(object)
    out = np.empty(n, object)
    for dom in pd.unique(rdom):
        parent = _parent(study, dom) if dom else None
        names = [v for v, _ in model_variables(study, parent)] if parent is not None else []
        rows = np.nonzero(rdom == dom)[0]
        for i in rows:
            out[i] = names
    return pd.Series(out, index=w.df.index, dtype=object)


def _parent(study, dom: str):
    if dom in study.datasets and not dom.startswith("SUPP"):
        return study.datasets[dom]
    for d in study.datasets.values():
        if d.domain == dom and not d.name.startswith("SUPP"):
            return d
    return None


def library_column_order(study, ds, ig_variables) -> list[str]:
    """The variable order CORE's ``get_column_order_from_library`` gives: for a dataset of a
    general observation class, the model's variables of the class (identifiers, the class's
    variables, timing; see :func:`model_variables`), each replaced by the guide's variable of the
    same name, and the guide's variables the model lacks inserted at the end of their section
    (an identifier after the identifiers, a timing variable at the end, any other before the
    timing variables); for any other dataset the guide's variables.  ``ig_variables`` are the
    guide's variables of the dataset (objects with ``name`` and ``role``), in the guide's order,
    or None for a dataset the guide does not define (a custom domain: the model's list alone)."""
    cls = _class(study, ds)
    if cls not in _GENERAL:
        if ig_variables is None:
            raise Unsupported(f"{study.product} {study.version} metadata for dataset {ds.name} "
                              "is not in this product")
        return list(dict.fromkeys(v.name for v in ig_variables))
    rows = model_variables(study, ds)
    names = [n for n, _ in rows]
    if ig_variables is None:
        return names
    # the model's identifiers come first, its timing variables last (model_variables' order)
    n_ident = next((i for i, (_, r) in enumerate(rows) if r != "Identifier"), len(rows))
    n_timing = len(rows) - next((i for i in range(len(rows), 0, -1)
                                 if rows[i - 1][1] != "Timing"), 0)
    out = list(names)
    present = set(out)
    for v in ig_variables:
        if v.name in present:
            continue
        role = str(v.role or "")
        if role == "Identifier":
            at = n_ident
        elif role == "Timing":
            at = len(out)
        else:
            at = len(out) - n_timing
        out.insert(at, v.name)
        present.add(v.name)
    return list(dict.fromkeys(out))
