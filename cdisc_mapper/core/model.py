"""The CORE Operations that read the SDTM model behind an implementation guide.

The model itself is read by :mod:`cdisc_mapper.standards.sdtm_model`.  The variables the model
allows in a dataset (:func:`model_variables`) follow the model's structure, as CDISC CORE reads
it: a dataset the model defines (DM, SE, TS, RELREC, SUPPQUAL for every SUPP--, ...) has its
variables; a dataset of a general observation class (by the guide's class of the dataset, or
the class its variables show for a custom domain) those of
:func:`~cdisc_mapper.standards.sdtm_model.observation_variables`, ``--`` being the dataset's
domain prefix (``EG`` in APEG).

Operations: ``get_model_column_order`` (that list), ``get_parent_model_column_order`` (per record
of a SUPP--/RELREC-like dataset, the list of the dataset its RDOMAIN names) and
``get_model_filtered_variables`` (the list filtered by ``key_name``/``key_value``, e.g. the
timing variables: ``role`` = ``Timing``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..standards.sdtm_model import (
    GENERAL_CLASSES,
    guide_model,
    load_model,
    observation_variables,
)
from .frame import Unsupported
from .operations import operation
from .values import ListValue, as_text

__all__ = ["load_model", "model_version", "model_variables"]


def model_version(study) -> str:
    """The SDTM model version of the study's guide (a guide standing in for an unshipped version
    of the same guide brings its own model)."""
    std = getattr(study, "standard", None)
    if std is None:
        raise Unsupported(f"no SDTM model for {study.product} {study.version} in this product")
    v = guide_model(std.name, std.version)
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
        if cls not in GENERAL_CLASSES:
            raise Unsupported(f"SDTM {model['version']} model variables of dataset {ds.name} "
                              f"(class {cls or 'unknown'})")
        rows = observation_variables(model, cls, associated_persons=_is_ap(ds.name))
    p = _prefix(ds)
    out = list({v.name.replace("--", p, 1): (v.name.replace("--", p, 1), v.role)
                for v in rows}.values())
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
    if cls not in GENERAL_CLASSES:
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
