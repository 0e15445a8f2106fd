"""Finalisation: the same pass for every dataset, as xportr does it, with every change reported.

``finalize`` takes the built records and the standard's definition and

* refuses variables the standard does not define (they belong in SUPP--) and required variables
  the mapping does not produce;
* adds expected variables the mapping does not produce, empty, and says so;
* orders the variables as the standard does and sorts the records by the dataset's keys;
* runs the dataset-stage methods (``seq``, ``baseline_flag``) on the sorted records;
* sets types (Char → text, Num → float) and checks values against their codelists;
* refuses duplicate keys;
* builds the :class:`DatasetSpec` the writers, the define.xml and the lineage read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, MappingError
from ..methods.registry import METHODS, apply_when
from ..spec.model import DatasetSpec, ValueLevel, VariableSpec
from .build import Built, dependency_order
from .context import BlockContext, RunState
from .describe import describe

LINEAGE_COLS = ["__block__", "__row__", "__column__"]


@dataclass
class Final:
    """A finalised dataset: data in standard order, its spec, and each record's lineage."""

    spec: DatasetSpec
    data: pd.DataFrame
    lineage: pd.DataFrame            # per record: block (raw file index), row, column
    files: list[str]                 # raw file of each block
    notes: list[str] = field(default_factory=list)
    parent: str | None = None        # for SUPP--: the parent dataset
    where: dict[str, str] = field(default_factory=dict)   # variable → mapping file:line


def _std_codelist(state: RunState, name: str, vdef) -> str | None:
    if vdef is not None and vdef.codelist and vdef.codelist in state.codelists:
        return vdef.codelist
    return None


def _codes(s: pd.Series) -> np.ndarray:
    """Integer codes that sort like the values (missing first), per distinct value."""
    codes, _ = pd.factorize(s, sort=True, use_na_sentinel=True)
    return codes


def _sort(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Stable sort by ``by`` (missing first), through integer codes: fast on text columns."""
    cols = [c for c in by if c in df.columns]
    if not cols:
        return df.reset_index(drop=True)
    order = np.lexsort([_codes(df[c]) for c in reversed(cols)])
    return df.iloc[order].reset_index(drop=True)


def _duplicated(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Rows whose values of ``cols`` occur more than once (missing equals missing)."""
    codes = [_codes(df[c]) for c in cols]
    order = np.lexsort(codes[::-1])
    stacked = np.vstack([c[order] for c in codes])
    same_as_next = np.all(stacked[:, 1:] == stacked[:, :-1], axis=0)
    dup_sorted = np.zeros(len(df), dtype=bool)
    dup_sorted[1:] |= same_as_next
    dup_sorted[:-1] |= same_as_next
    out = np.zeros(len(df), dtype=bool)
    out[order] = dup_sorted
    return out


def finalize(state: RunState, built: Built) -> Final:
    mapping = built.mapping
    doc = mapping.doc
    std = state.standard.dataset(built.name)
    if std is None:
        raise doc.error(("dataset",), f"{built.name} is not a dataset of "
                        f"{state.standard.name} {state.standard.version}")
    variables = dict(mapping.data.get("variables") or {})
    for block in mapping.data.get("blocks") or []:
        variables.update(block.get("variables") or {})
    for vname in variables:
        if std.variable(vname) is None:
            raise doc.error(built.var_paths.get(vname, ("variables", vname)),
                            f"{vname} is not a variable of {built.name} in {state.standard.name} "
                            f"{state.standard.version}; a non-standard variable goes under "
                            "'supp:'", variable=vname)
    notes: list[str] = []
    for v in std.variables:
        if v.core == "Req" and v.name not in variables:
            raise doc.error(("variables",), f"required variable {v.name} ({v.label}) is not "
                            "mapped", variable=v.name)
    keep = [v for v in std.variables if v.name in variables or v.core == "Exp"]
    added = [v.name for v in keep if v.name not in variables]
    if added:
        notes.append(f"{built.name}: expected variables with no mapping added empty: "
                     f"{', '.join(added)}")
    df = built.records
    for v in added:
        df[v] = pd.NA
    keys = list(mapping.data.get("keys") or std.keys)
    order = list(mapping.data.get("order") or keys)
    seq_vars = [n for n, p in variables.items() if p["method"] == "seq"]
    df["__pos__"] = np.arange(len(df))
    df = _sort(df, [c for c in order if c not in seq_vars])
    built.records = df                # the unsorted copy is released, not held to the end
    pos = df["__pos__"].to_numpy()
    supp = {k: pd.Series(s.to_numpy()[pos]) for k, s in built.supp.items()}
    # dataset-stage methods on the sorted records
    form = state.form(mapping.data.get("source") or mapping.data["blocks"][0]["source"])
    ctx = BlockContext(state, built.name, built.name, form, df,
                       out={c: df[c] for c in df.columns if not c.startswith("__")})
    for vname in dependency_order(variables, doc, ("variables",)):
        params = variables[vname]
        m = METHODS[params["method"]]
        if m.stage != "dataset":
            continue
        ctx.var, ctx.doc, ctx.path = vname, doc, built.var_paths.get(vname, ("variables", vname))
        df[vname] = apply_when(ctx, params, m.func(ctx, params)).to_numpy()
        ctx.out[vname] = df[vname]
    # types
    for v in keep:
        if v.type == "Num":
            df[v.name] = pd.to_numeric(df[v.name], errors="coerce").astype("float64")
        else:
            s = df[v.name]
            if pd.api.types.is_numeric_dtype(s):
                s = s.map(lambda x: None if pd.isna(x) else _num_text(x))
            df[v.name] = s.astype("string")
    # keys unique
    key_cols = [k for k in keys if k in df.columns]
    if key_cols:
        dup = pd.Series(_duplicated(df, key_cols), index=df.index)
        if dup.any():
            _duplicate_problems(state, built, df, dup.to_numpy(), key_cols)
    # every subject must be in DM
    if built.name != "DM" and "DM" in state.datasets and "USUBJID" in df.columns:
        known = state.datasets["DM"]["USUBJID"]
        _record_problems(state, built, df, df["USUBJID"].notna() & ~df["USUBJID"].isin(known),
                         "USUBJID", "subject is not in DM (no row in the demography form)",
                         df["USUBJID"])
    # codelist check for variables whose values were not already checked by their method
    specs: list[VariableSpec] = []
    variants = _variants(mapping.data)
    for v in keep:
        params = variables.get(v.name)
        m = METHODS[params["method"]] if params else None
        per_block = variants.get(v.name, [])
        if len(per_block) > 1:       # one entry per block whose mapping differs
            for _, p, _ in per_block:
                cl_b = p.get("codelist")
                if cl_b and p["method"] not in ("assign_ct", "decode", "hardcode_ct"):
                    _check_terms(state, built, df, v.name, cl_b)
            specs.append(_varying_spec(state, v, per_block))
            continue
        cl = (params or {}).get("codelist") or _std_codelist(state, v.name, v)
        if cl and m is not None and m.name not in ("assign_ct", "decode", "hardcode_ct"):
            _check_terms(state, built, df, v.name, cl)
        specs.append(VariableSpec(
            name=v.name, label=v.label, type=v.type, role=v.role, core=v.core,
            codelist=cl if cl in state.codelists else None,
            origin=_origin(m, params, mapping.data) if m else "Not Available",
            source=_sources_forms(mapping.data, params),
            method=m.name if m else "",
            method_text=describe(m, params, state) if m else "Not mapped: no data collected",
            sources=tuple(sorted(_raw_columns(params))) if params else ()))
    spec = DatasetSpec(name=built.name, label=std.label, cls=std.cls, structure=std.structure,
                       keys=tuple(key_cols), variables=tuple(specs),
                       standard=f"{state.standard.name} {state.standard.version}",
                       value_level=_value_level(state, built, df, specs),
                       description=mapping.data.get("description", ""))
    lineage = df[LINEAGE_COLS].reset_index(drop=True)
    data = df[[v.name for v in keep]].reset_index(drop=True)
    final = Final(spec, data, lineage, built.files, notes)
    final.where = {v: f"{doc.file}:{doc.line(p)}" for v, p in built.var_paths.items()}
    final.supp_values = supp                                        # type: ignore[attr-defined]
    return final


def _stack_attributes(block: dict) -> set[str]:
    stack = block.get("stack") or {}
    return {k for attrs in (stack.get("columns") or {}).values() for k in attrs}


def _origin(m, params, data, block: dict | None = None) -> str:
    """The define origin; a value read from a stacked column's attribute (e.g. the test code
    the mapping gives each column) is Assigned by the mapping, not collected."""
    origin = m.origin_for(params)
    if origin == "Collected" and "from" in params:
        blocks = [block] if block else (data.get("blocks") or [data])
        if any(params["from"] in _stack_attributes(b) for b in blocks):
            return "Assigned"
    return origin


def _variants(data: dict) -> dict[str, list[tuple[str, dict, dict]]]:
    """For variables mapped per block: (block name or source, params) when blocks differ."""
    blocks = data.get("blocks")
    if not blocks:
        return {}
    common = data.get("variables") or {}
    out: dict[str, list[tuple[str, dict, dict]]] = {}
    for b in blocks:
        for name, params in (b.get("variables") or {}).items():
            if name not in common:
                out.setdefault(name, []).append((b.get("name") or b["source"], params, b))
    for name in list(out):
        if len({repr(p) for _, p, _ in out[name]}) == 1:
            del out[name]
    return out


def _varying_spec(state, v, per_block) -> VariableSpec:
    """A variable whose method differs by block: texts per block, shared facts only."""
    methods = [METHODS[p["method"]] for _, p, _ in per_block]
    origins = {_origin(m, p, {}, b) for m, (_, p, b) in zip(methods, per_block)}
    lists = {p.get("codelist") for _, p, _ in per_block if p["method"] != "decode"}
    text = " ".join(f"{name}: {describe(m, p, state)}"
                    for m, (name, p, _) in zip(methods, per_block))
    return VariableSpec(
        name=v.name, label=v.label, type=v.type, role=v.role, core=v.core,
        codelist=next(iter(lists)) if len(lists) == 1 and next(iter(lists)) in state.codelists
        else None,
        origin=origins.pop() if len(origins) == 1 else "Derived",
        source=", ".join(sorted({b["source"] for _, _, b in per_block})),
        method="by block", method_text=text,
        sources=tuple(sorted(set().union(*(_raw_columns(p) for _, p, _ in per_block)))))


_RESULTS = ("ORRES", "ORRESU", "STRESC", "STRESN", "STRESU")


def _value_level(state, built, df, specs) -> tuple[ValueLevel, ...]:
    """Per block of a findings dataset: how each result variable is defined for the block's
    test codes (value-level metadata for define.xml)."""
    blocks = built.mapping.data.get("blocks")
    testcd = f"{built.name}TESTCD"
    if not blocks or testcd not in df.columns:
        return ()
    by_name = {v.name: v for v in specs}
    common = built.mapping.data.get("variables") or {}
    out = []
    for bi, block in enumerate(blocks):
        rows = df["__block__"].to_numpy() == bi
        codes = tuple(sorted(df.loc[rows, testcd].dropna().astype(str).unique()))
        if not codes:
            continue
        params_all = {**common, **(block.get("variables") or {})}
        for vname, params in params_all.items():
            if not vname.endswith(_RESULTS) or vname not in by_name:
                continue
            m = METHODS[params["method"]]
            base = by_name[vname]
            cl = params.get("codelist") if params["method"] != "decode" else None
            text = describe(m, params, state)
            stack = block.get("stack")
            if stack and "VALUE" in _raw_columns(params):
                cols = ", ".join(f"{c} ({a.get('TESTCD', c)})" for c, a in stack["columns"].items())
                text += (f" VALUE is the item's own column of form {block['source']}, one record "
                         f"per column: {cols}.")
            out.append(ValueLevel(vname, ((testcd, codes),), VariableSpec(
                name=vname, label=base.label, type=base.type, role=base.role, core=base.core,
                codelist=cl if cl in state.codelists else None,
                origin=_origin(m, params, built.mapping.data, block), source=block["source"],
                method=m.name, method_text=text,
                sources=tuple(sorted(_raw_columns(params))))))
    return tuple(out)


def _duplicate_problems(state, built, df, dup, key_cols) -> None:
    """One data problem per natural key that several records share, at the first of them,
    naming every record (raw file and row)."""
    from ..errors import Problem

    sub = df.loc[dup, key_cols + ["__block__", "__row__"]]
    groups = sub.groupby(key_cols, dropna=False, sort=False).indices
    for key, pos in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        shown = ", ".join(f"{k}={'' if v is None or v is pd.NA or v != v else v}"
                          for k, v in zip(key_cols, key))
        recs = sub.iloc[pos]
        where = [f"{built.files[int(b)]} row {int(r)}"
                 for b, r in zip(recs["__block__"], recs["__row__"])]
        first = recs.index[0]
        state.problems.append(Problem(
            study=state.study.id, dataset=built.name, variable=key_cols[-1],
            file=built.files[int(recs["__block__"].iloc[0])], record=int(recs["__row__"].iloc[0]),
            usubjid=str(df.at[first, "USUBJID"]) if "USUBJID" in df else None,
            value=shown, message=f"duplicate key: {len(where)} records have the natural key "
                                 f"({', '.join(key_cols)}): {'; '.join(where)}"))


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _record_problems(state, built, df, mask, variable, message, values) -> None:
    """Data problems on finalised records, each located at its raw file and row."""
    from ..errors import Problem

    mask = mask.fillna(False).astype(bool).to_numpy()
    for i in np.flatnonzero(mask):
        v = values.iloc[i]
        state.problems.append(Problem(
            study=state.study.id, dataset=built.name, variable=variable,
            file=built.files[int(df["__block__"].iloc[i])], record=int(df["__row__"].iloc[i]),
            usubjid=None if "USUBJID" not in df else str(df["USUBJID"].iloc[i]),
            value="" if v is None or v is pd.NA else str(v), message=message))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_terms(state, built, df, name, cid) -> None:
    cl = state.codelists[cid]
    allowed = set(cl.values())
    s = df[name]
    codes, uniques = pd.factorize(s, use_na_sentinel=True)    # each distinct value once
    # --STRESC's codelist lists the character results; a numeric result is not one of its terms
    numeric_ok = name.endswith("STRESC")
    bad_u = np.array([str(u) not in allowed and not (numeric_ok and _is_number(str(u)))
                      for u in uniques], dtype=bool)
    bad = pd.Series((codes >= 0) & bad_u[np.maximum(codes, 0)] if len(uniques) else
                    np.zeros(len(s), dtype=bool), index=s.index)
    if bad.any():
        _record_problems(state, built, df, bad, name, f"value is not a term of codelist {cid}", s)


def _raw_columns(params) -> set[str]:
    found: set[str] = set()

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("from", "date", "time"):
            found.add(node)

    walk(params or {})
    return found


def _sources_forms(data, params) -> str:
    if not params:
        return ""
    if params.get("source"):
        return params["source"]
    if data.get("source"):
        return data["source"]
    return ", ".join(b["source"] for b in data.get("blocks", []))


def build_supp(state: RunState, final: Final, mapping) -> Final | None:
    """SUPP-- for the non-standard variables of ``final`` (None when there are none)."""
    supp_spec = mapping.data.get("supp") or {}
    values: dict[str, pd.Series] = getattr(final, "supp_values", {})
    if not supp_spec:
        return None
    parent = final.spec.name
    name = f"SUPP{parent}"
    std = state.standard.dataset(name)
    if std is None:
        raise MappingError(f"{state.standard.name} has no SUPPQUAL definition")
    data = final.data
    seqvar = f"{parent}SEQ" if f"{parent}SEQ" in data.columns else None
    parts = []
    for qnam, params in supp_spec.items():
        s = values[qnam]
        m = METHODS[params["method"]]
        keep = s.notna().to_numpy()
        if not keep.any():
            continue
        sub = data.loc[keep]
        part = pd.DataFrame({
            "STUDYID": sub["STUDYID"].to_numpy(),
            "RDOMAIN": parent,
            "USUBJID": sub["USUBJID"].to_numpy(),
            "IDVAR": seqvar or "",
            "IDVARVAL": ([_num_text(x) for x in sub[seqvar]] if seqvar else ""),
            "QNAM": qnam,
            "QLABEL": params["label"],
            "QVAL": [_num_text(x) if isinstance(x, (int, float)) else str(x)
                     for x in s[keep]],
            "QORIG": params.get("origin", m.origin_for(params)),
            "QEVAL": params.get("evaluator", ""),
            "__seq__": sub[seqvar].to_numpy() if seqvar else 0,
        })
        part["__src__"] = np.flatnonzero(keep)
        parts.append(part)
    if not parts:
        return None
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "__seq__", "QNAM"],
                        kind="stable").reset_index(drop=True)
    lineage = final.lineage.iloc[df["__src__"].to_numpy()].reset_index(drop=True)
    for c in df.columns:
        if not c.startswith("__"):
            df[c] = df[c].replace("", pd.NA).astype("string")
    specs = []
    for v in std.variables:
        specs.append(VariableSpec(
            name=v.name, label=v.label, type=v.type, role=v.role, core=v.core,
            codelist=v.codelist if v.codelist in state.codelists else None,
            origin="Assigned" if v.name in ("QNAM", "QLABEL", "RDOMAIN", "IDVAR") else "Derived",
            method="supp", method_text=f"Non-standard variables of {parent}, one record per "
                                       "value, pointing to the parent record by IDVAR/IDVARVAL"))
    qval = next(v for v in specs if v.name == "QVAL")
    vlm = []
    for qnam, params in supp_spec.items():
        if qnam not in set(df["QNAM"].astype(str)):
            continue
        m = METHODS[params["method"]]
        cl = params.get("codelist")
        vlm.append(ValueLevel("QVAL", (("QNAM", (qnam,)),), VariableSpec(
            name="QVAL", label=params["label"], type="Char", role=qval.role, core=qval.core,
            codelist=cl if cl in state.codelists else None,
            origin=params.get("origin", m.origin_for(params)), source=_sources_forms(
                mapping.data, params), method=m.name, method_text=describe(m, params, state),
            sources=tuple(sorted(_raw_columns(params))))))
    spec = DatasetSpec(name=name, label=std.label, cls=std.cls, structure=std.structure,
                       keys=("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"),
                       variables=tuple(specs),
                       standard=f"{state.standard.name} {state.standard.version}",
                       value_level=tuple(vlm))
    out = Final(spec, df[[v.name for v in std.variables]], lineage, final.files, [], parent)
    out.where = {q: final.where.get(q, "") for q in supp_spec}
    out.qvals = {q: p for q, p in supp_spec.items()}              # type: ignore[attr-defined]
    return out
