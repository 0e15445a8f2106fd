"""Dataset and variable metadata: names, labels, types, lengths, presence and order of variables."""

from __future__ import annotations

import re

import numpy as np

from ...standards.classes import CUSTOM_CLASSES, class_variables
from . import Skip, check
from .util import combine, found, found_dataset, nonnull, text

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
MAX_NAME = 8
MAX_LABEL = 40
MAX_VALUE = 200


@check("file_name", family="metadata", summary="file named after the dataset (lower case)")
def file_name(ctx, ds):
    """The file is named ``<dataset name in lower case>.xpt`` (or ``.json``) and the dataset name
    has at most 8 characters: letters, digits, underscore, starting with a letter."""
    out = []
    expected = ds.name.lower() + (".xpt" if ds.file_format == "xpt" else ds.path.suffix.lower())
    if ds.members_in_file > 1:
        out.append(found_dataset(ds, value=ds.path.name, message=(
            f"{ds.path.name} holds {ds.members_in_file} datasets; submit one dataset per file")))
    elif ds.path.name != expected:
        out.append(found_dataset(ds, value=ds.path.name, expected=expected))
    if len(ds.name) > MAX_NAME or not _NAME.match(ds.name):
        out.append(found_dataset(ds, value=ds.name, message=(
            f"dataset name {ds.name!r} is not valid: at most {MAX_NAME} characters, letters, "
            "digits or '_', starting with a letter")))
    return combine(out)


@check("variable_names", family="metadata", summary="variable names valid for XPT v5")
def variable_names(ctx, ds):
    """Variable names have at most 8 characters: upper-case letters, digits, underscore, starting
    with a letter."""
    out = []
    for v in ds.variables:
        if len(v.name) > MAX_NAME or not _NAME.match(v.name):
            why = (f"{len(v.name)} characters" if len(v.name) > MAX_NAME
                   else "characters other than upper-case letters, digits and '_'")
            out.append(found_dataset(ds, v.name, v.name, why=why))
    return combine(out)


@check("variable_labels", family="metadata", summary="variable labels present, ASCII, <= 40")
def variable_labels(ctx, ds):
    """Every variable has a label of 1-40 ASCII characters."""
    out = []
    for v in ds.variables:
        lab = v.label or ""
        if not lab.strip():
            why = "is missing"
        elif len(lab) > MAX_LABEL:
            why = f"has {len(lab)} characters (at most {MAX_LABEL})"
        elif not lab.isascii():
            why = "has non-ASCII characters"
        else:
            continue
        out.append(found_dataset(ds, v.name, lab, why=why))
    return combine(out)


@check("dataset_label", family="metadata", summary="dataset label present, ASCII, <= 40")
def dataset_label(ctx, ds):
    """The dataset has a label of 1-40 ASCII characters."""
    lab = ds.label or ""
    if not lab.strip():
        why = "is missing"
    elif len(lab) > MAX_LABEL:
        why = f"has {len(lab)} characters (at most {MAX_LABEL})"
    elif not lab.isascii():
        why = "has non-ASCII characters"
    else:
        return None
    return found_dataset(ds, None, lab, why=why)


@check("dataset_label_ig", family="metadata", summary="dataset label as in the IG")
def dataset_label_ig(ctx, ds):
    """The dataset label is the one the implementation guide gives the domain (split and
    SUPP-- datasets excepted)."""
    igds = ctx.ig_dataset(ds)
    if igds is None or ds.kind != "SDTM" or ds.name.startswith("SUPP") or igds.name != ds.name:
        raise Skip("no IG dataset label to compare with")
    if (ds.label or "").strip().lower() != igds.label.strip().lower():
        return found_dataset(ds, None, ds.label, expected=igds.label)
    return None


@check("value_length", family="metadata", summary="character values at most 200 bytes")
def value_length(ctx, ds, max_bytes: int = MAX_VALUE):
    """No character value is longer than 200 bytes (counted in bytes, not characters)."""
    out = []
    for v in ds.variables:
        if v.type != "Char" or v.name not in ds.data.columns:
            continue
        codes, cats = text(ds, v.name)
        lengths = np.array([len(c.encode("utf-8")) for c in cats], dtype=np.int64)
        bad = np.flatnonzero(lengths > max_bytes)
        if not len(bad):
            continue
        rows = np.flatnonzero(np.isin(codes, bad))
        nbytes = lengths[codes[rows]]
        vals = np.array([c[:60] + "..." for c in cats[codes[rows]]], dtype=object)
        out.append(found(ds, rows, v.name, vals, bytes=nbytes, max=max_bytes))
    return combine(out)


_PARAMS_CORE = {"core": {"enum": ["Req", "Exp", "Perm"]}}


@check("core_variables_present", family="metadata", params=_PARAMS_CORE,
       summary="Required/Expected variables present")
def core_variables_present(ctx, ds, core: str = "Req"):
    """Every variable the implementation guide marks with the given core status (``Req``,
    ``Exp``) is a column of the dataset.  Placeholder names (``TRTxxP``) need one match."""
    igds = ctx.ig_dataset(ds)
    if igds is None:
        raise Skip("dataset not defined by the implementation guide")
    from ..engine import placeholder_regex
    cols = set(ds.data.columns)
    out = []
    for v in igds.variables:
        if v.core != core:
            continue
        name = v.name
        rx = placeholder_regex(name)
        if rx is not None:
            if name.startswith("*") or any(rx.match(c) for c in cols):
                continue
        elif name in cols:
            continue
        out.append(found_dataset(ds, name, "", core=core))
    return combine(out)


@check("required_values", family="metadata", summary="Required variables never null")
def required_values(ctx, ds):
    """A Required variable has a value on every record."""
    igds = ctx.ig_dataset(ds)
    if igds is None:
        raise Skip("dataset not defined by the implementation guide")
    out = []
    igvars = ctx.ig_variables(ds)
    for name, v in igvars.items():
        if v.core != "Req":
            continue
        rows = np.flatnonzero(~nonnull(ds, name))
        if len(rows):
            out.append(found(ds, rows, name, ""))
    return combine(out)


@check("variable_order", family="metadata", summary="variables in IG order")
def variable_order(ctx, ds):
    """The variables the implementation guide defines come in the guide's order."""
    igds = ctx.ig_dataset(ds)
    if igds is None or ds.kind == "ADaM":
        raise Skip("no IG order to compare with")
    pos = {v.name: i for i, v in enumerate(igds.variables)}
    if ctx.is_custom(ds):
        # a sponsor domain: only the model's order of roles (identifiers, topic, qualifiers,
        # timing) is a rule; within a role the sponsor orders
        rank = {"Identifier": 0, "Topic": 1, "Timing": 3}
        pos = {v.name: rank.get(v.role, 2) for v in igds.variables}
    present = [n for n in ds.names if n in pos]
    expected = sorted(present, key=lambda n: pos[n])
    if present == expected:
        return None
    # report the first variable that is out of place
    for i, (a, b) in enumerate(zip(present, expected)):
        if a != b:
            return found_dataset(ds, a, str(i + 1), expected_after=expected[i - 1] if i else "",
                                 expected_variable=b)
    return None


@check("variable_label_ig", family="metadata", summary="variable labels as in the IG")
def variable_label_ig(ctx, ds):
    """A variable defined by the implementation guide has the guide's label (case aside).  In a
    sponsor-defined domain the labels are the sponsor's: not compared."""
    if ctx.is_custom(ds):
        raise Skip("a sponsor-defined domain labels its variables itself")
    out = []
    for name, v in ctx.ig_variables(ds).items():
        if any(ch.islower() or ch == "*" for ch in v.name) or "{" in v.label:
            continue  # placeholder labels ("Period xx", "{Date}") are written per study
        var = ds.variable(name)
        if var is None:
            continue
        if (var.label or "").strip().lower() != v.label.strip().lower():
            out.append(found_dataset(ds, name, var.label, expected=v.label))
    return combine(out)


@check("variable_type_ig", family="metadata", summary="variable types as in the IG")
def variable_type_ig(ctx, ds):
    """A variable defined by the implementation guide has the guide's type (Char or Num)."""
    out = []
    for name, v in ctx.ig_variables(ds).items():
        var = ds.variable(name)
        if var is not None and var.type != v.type:
            out.append(found_dataset(ds, name, var.type, expected=v.type))
    return combine(out)


@check("length_vs_data", family="metadata", summary="character lengths fit the longest value")
def length_vs_data(ctx, ds):
    """The length of a character variable is the length of its longest value (FDA Study Data
    Technical Conformance Guide): a column much wider than its data wastes space."""
    if ds.file_format != "xpt":
        raise Skip("lengths are only fixed in XPT files")
    out = []
    for v in ds.variables:
        if v.type != "Char" or v.length is None:
            continue
        codes, cats = text(ds, v.name)
        used = np.flatnonzero(np.bincount(codes, minlength=len(cats))) if len(codes) else []
        longest = max((len(cats[c].encode("utf-8")) for c in used), default=0)
        if v.length > max(longest, 1):
            out.append(found_dataset(ds, v.name, str(v.length), longest=max(longest, 1)))
    return combine(out)


@check("domain_value", family="metadata", summary="DOMAIN is the dataset's domain code")
def domain_value(ctx, ds):
    """DOMAIN holds the dataset's two-letter domain code on every record (the dataset name, or
    its first two letters for a split dataset such as QSEG)."""
    if "DOMAIN" not in ds.data.columns:
        raise Skip("no DOMAIN variable")
    codes, cats = text(ds, "DOMAIN")
    ok = np.array([c == ds.name or (len(c) == 2 and ds.name.startswith(c) and len(ds.name) <= 4)
                   for c in cats], dtype=bool)
    rows = np.flatnonzero(~ok[codes]) if len(cats) else np.array([], dtype=np.int64)
    return found(ds, rows, "DOMAIN", expected=ds.name) if len(rows) else None


@check("ascii_values", family="metadata", summary="character values are ASCII")
def ascii_values(ctx, ds):
    """Character values are plain ASCII (FDA: other characters may not survive transport)."""
    out = []
    for v in ds.variables:
        if v.type != "Char":
            continue
        codes, cats = text(ds, v.name)
        bad = np.array([not c.isascii() for c in cats], dtype=bool)
        if not bad.any():
            continue
        rows = np.flatnonzero(bad[codes])
        out.append(found(ds, rows, v.name))
    return combine(out)


@check("allowed_variables", family="metadata",
       params={"extra": {"type": "array", "items": {"type": "string"},
                         "description": "further allowed names, -- for the domain prefix"}},
       summary="only variables the standard allows")
def allowed_variables(ctx, ds, extra: list[str] | tuple[str, ...] = ()):
    """A general-observation-class dataset holds only the variables its domain may have: the
    implementation guide's variables for the domain and those of its general observation class
    in the SDTM model (SDTMIG 3.4 section 2.5: any qualifier of the same class may be added, e.g.
    MHSEV or MHLLT in MH; the model's identifiers and timing variables; less those the guide
    does not allow, section 2.7).  Anything else belongs in SUPP--."""
    igds = ctx.ig_dataset(ds)
    if igds is None or not ctx.is_general(ds) or igds.cls not in CUSTOM_CLASSES:
        raise Skip("no IG variable list for this dataset")
    p = ds.domain
    allowed = {v.name.replace(igds.name, p, 1) if v.name.startswith(igds.name) else v.name
               for v in igds.variables}
    for n in (*(v.name for v in class_variables(ctx.standard_for(ds), igds.cls)), *extra):
        allowed.add(n.replace("--", p))
    out = [found_dataset(ds, n, n) for n in ds.names if n not in allowed]
    return combine(out)
