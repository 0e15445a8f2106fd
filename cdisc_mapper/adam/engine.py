"""Build ADaM datasets from their specs: check everything first, then derive, then finalise.

1. **Plan** (no data read): every step's parameters are checked against what exists at that
   point — the variables of the SDTM files (read from the XPT headers) and of ADaM datasets
   built before, plus what the earlier steps derive; every PARAMCD a step reads must have been
   created by an earlier step; every variable the spec lists must be produced.  A mistake is a
   :class:`~cdisc_mapper.errors.MappingError` naming the file, line and key.
2. **Derive**: the source records, then each step in order (the functions of the registry).
   A hidden column carries each record's SDTM records (``QS:12``) through every step.
3. **Finalise** (the same pass for every dataset, as for SDTM): keep the spec's variables in
   its order, set types (numbers as float64; dates as SAS dates with ``DATE9.``), sort by the
   keys, refuse duplicate keys and values outside their codelists, and build the
   :class:`~cdisc_mapper.spec.model.DatasetSpec` (labels from the standards, origin and
   derivation text per variable, value-level metadata per PARAMCD for AVAL/AVALC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import DataError, MappingError
from ..io.xpt_header import read_xpt_header
from ..lang import values
from ..spec.model import DatasetSpec, ValueLevel, VariableSpec
from . import conditions as cn
from .loader import AdamSpec
from .metadata import (STRUCTURE_INFO, VarMeta, adamig, default_label, required_variables,
                       satisfies, standard_variable)
from .reader import read_columns
from .registry import (IO, LINEAGE, all_methods, new_var_pairs, order_names, parse_order,
                       set_column, sort_positions)

ROW = "__row__"
VLM_VARIABLES = ("AVAL", "AVALC")
_DATE_SUFFIXES = (("DTM", "DATETIME20."), ("DT", "DATE9."), ("TM", "TIME8."))


@dataclass
class AdamFinal:
    """A finalised ADaM dataset: data in spec order, its spec, each record's SDTM records."""

    spec: DatasetSpec
    data: pd.DataFrame
    lineage: list[str]                       # per record: "QS:12 QS:13" (row numbers, 1-based)
    where: dict[str, str] = field(default_factory=dict)    # variable -> spec file:line
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)   # PARAMCD -> PARAM (BDS)


class Sources:
    """The SDTM datasets of the written package (read from their XPT files once, on demand)
    and the ADaM datasets built so far."""

    def __init__(self, sdtm_dir: Path):
        self.sdtm_dir = Path(sdtm_dir)
        self._frames: dict[str, pd.DataFrame] = {}
        self._columns: dict[str, tuple[str, ...] | None] = {}
        self._wanted: dict[str, set[str]] = {}
        self.adam: dict[str, AdamFinal] = {}

    def path(self, name: str) -> Path:
        return self.sdtm_dir / f"{name.lower()}.xpt"

    def sdtm_names(self) -> list[str]:
        return sorted(p.stem.upper() for p in self.sdtm_dir.glob("*.xpt"))

    def sdtm_columns(self, name: str) -> tuple[str, ...] | None:
        if name not in self._columns:
            p = self.path(name)
            self._columns[name] = read_xpt_header(p).names if p.is_file() else None
        return self._columns[name]

    def want(self, name: str, columns: set[str]) -> None:
        """Ask for columns of an SDTM dataset before it is first read (only those are read)."""
        self._wanted.setdefault(name, set()).update(columns)

    def frame(self, name: str) -> pd.DataFrame:
        """An SDTM dataset as written (the columns asked for): text as sorted Categoricals with
        blanks missing, numbers as float64, and the hidden record number (1-based) of every
        row."""
        if name not in self._frames:
            wanted = self._wanted.get(name)
            df = read_columns(self.path(name), wanted)
            df[ROW] = np.arange(1, len(df) + 1)
            self._frames[name] = df
        return self._frames[name]

    def data(self, name: str) -> pd.DataFrame:
        if name in self.adam:
            return self.adam[name].data
        return self.frame(name)


@dataclass
class Step:
    id: str
    params: dict[str, Any]
    io: IO
    path: tuple


@dataclass
class Plan:
    spec: AdamSpec
    structure: str
    source: str
    steps: list[Step]
    meta: dict[str, VarMeta]
    from_source: set[str]            # listed variables copied unchanged from the source
    domains: list[str]               # SDTM datasets read
    depends: set[str]                # ADaM datasets read
    needed: dict[str, set[str]] = field(default_factory=dict)   # SDTM dataset -> columns read


def _vars_of(name: str, sources: Sources, specs: dict[str, AdamSpec]) -> tuple[str, ...] | None:
    if name in specs:
        return tuple(specs[name].data["variables"])
    return sources.sdtm_columns(name)


def _unknown_dataset(doc, path, name, sources, specs) -> MappingError:
    have = sources.sdtm_names()
    return doc.error(path, f"no SDTM dataset {name} in the package ({', '.join(have)}) and no "
                           f"ADaM spec {name} ({', '.join(sorted(specs)) or 'none'})")


def _missing_variable(doc, path, var, ds_name, cols, specs) -> MappingError:
    kind = "ADaM dataset" if ds_name in specs else "SDTM dataset"
    return doc.error(path, f"{kind} {ds_name} has no variable {var} (it has: "
                           f"{', '.join(c for c in cols if not c.startswith('__'))})",
                     variable=var)


def plan(spec: AdamSpec, sources: Sources, specs: dict[str, AdamSpec]) -> Plan:
    """Check a spec against the data it reads and the steps before each step; no data read."""
    doc = spec.doc
    d = spec.data
    methods = all_methods()
    structure = d["structure"]
    src = d["source"]["dataset"]
    depends: set[str] = set()
    domains: list[str] = []
    src_cols = _vars_of(src, sources, specs)
    if src_cols is None:
        raise _unknown_dataset(doc, ("source", "dataset"), src, sources, specs)
    if src in specs:
        depends.add(src)
    else:
        domains.append(src)
    from_src = f"source {src}"
    avail: dict[str, str] = {c: from_src for c in src_cols}
    needed: dict[str, set[str]] = {src: set()}
    for path, var in cn.variables(d["source"].get("where"), ("source", "where")):
        if var not in avail:
            raise _missing_variable(doc, path, var, src, src_cols, specs)
        needed[src].add(var)
    known_params: set[str] = set()
    steps: list[Step] = []
    for sid, p in (d.get("derivations") or {}).items():
        m = methods[p["method"]]
        base = ("derivations", sid)
        io = m.io(p)
        for path, var in io.reads:
            if var not in avail:
                raise doc.error(base + path, f"{var} is not a variable of {spec.name} at this "
                                f"step: {src} has no {var} and no earlier step derives it",
                                variable=var)
            if avail[var] == from_src:
                needed[src].add(var)
        for dp in m.datasets:
            name = p[dp]
            cols = _vars_of(name, sources, specs)
            if cols is None:
                raise _unknown_dataset(doc, base + (dp,), name, sources, specs)
            if name in specs:
                if name == spec.name:
                    raise doc.error(base + (dp,), f"{spec.name} cannot read itself")
                depends.add(name)
            elif name not in domains:
                domains.append(name)
            for path, var in io.add_reads.get(dp, ()):
                if var not in cols:
                    raise _missing_variable(doc, base + path, var, name, cols, specs)
                needed.setdefault(name, set()).add(var)
        for path, var in io.fresh:
            if var in avail:
                raise doc.error(base + path, f"{var} already exists at this step ({avail[var]}); "
                                "a merge never overwrites", variable=var)
        for path, code in io.params_used:
            if code not in known_params:
                raise doc.error(base + path, f"parameter '{code}' has no source: no earlier "
                                f"step creates records with PARAMCD {code} (created so far: "
                                f"{', '.join(sorted(known_params)) or 'none'})")
        known_params.update(io.params_made)
        for var in io.writes:
            avail[var] = f"step {sid}"
        steps.append(Step(sid, p, io, base))
    listed = list(d["variables"])
    for name in listed:
        if name not in avail:
            raise doc.error(("variables", name), f"{name} is listed but nothing produces it: "
                            f"{src} has no {name} and no step derives it", variable=name)
    for key in ("keys", "order"):
        for i, name in enumerate(order_names(d.get(key)) if key == "order" else d.get(key) or ()):
            if name not in listed:
                raise doc.error((key, i), f"{name} is not one of the listed variables")
    # a source variable that record-adding steps only fill on their new records stays a copy
    written = {v for s in steps for v in s.io.writes
               if not (methods[s.params["method"]].adds_records and v in src_cols)}
    from_source = {n for n in listed if n in src_cols and n not in written}
    needed[src].update(from_source)
    meta = _metadata(spec, structure, domains)
    needed = {k: v for k, v in needed.items() if k not in specs}
    return Plan(spec, structure, src, steps, meta, from_source, domains, depends, needed)


def _metadata(spec: AdamSpec, structure: str, domains: list[str]) -> dict[str, VarMeta]:
    doc = spec.doc
    d = spec.data
    lookup_domains = list(domains) + [x for x in ("DM",) if x not in domains]
    codelists = adamig().codelists
    out: dict[str, VarMeta] = {}
    for name, entry in d["variables"].items():
        entry = entry or {}
        std = standard_variable(structure, name, lookup_domains)
        path = ("variables", name)
        if std is not None:
            for key in ("label", "type"):
                if key in entry and entry[key] != getattr(std, key):
                    raise doc.error(path + (key,), f"{name} is defined by {std.defined_by} "
                                    f"({std.type}, {std.label!r}); its {key} is not "
                                    "restated in a spec", variable=name)
            meta = std
        else:
            missing = [k for k in ("label", "type") if k not in entry]
            if missing:
                raise doc.error(path, f"{name} is not an ADaMIG 1.3 {structure} variable nor a "
                                f"variable of {', '.join(lookup_domains)}: give its "
                                f"{' and '.join(missing)} (a sponsor-defined variable)",
                                variable=name)
            meta = VarMeta(name, entry["label"], entry["type"], "Perm", None, "spec")
        cl = entry.get("codelist", meta.codelist)
        if cl is not None and cl not in codelists:
            raise doc.error(path + ("codelist",), f"unknown codelist '{cl}' (not in the bundled "
                            "SDTM or ADaM terminology)", variable=name)
        if cl != meta.codelist:
            meta = VarMeta(meta.name, meta.label, meta.type, meta.core, cl, meta.defined_by,
                           meta.role)
        out[name] = meta
    names = list(d["variables"])
    for req, label in required_variables(structure):
        if not satisfies(req, names):
            raise doc.error(("variables",), f"{req} ({label}) is required in an ADaMIG 1.3 "
                            f"{structure} dataset and is not listed", variable=req)
    return out


# ------------------------------------------------------------------------------------ running

def _source_frame(pl: Plan, sources: Sources) -> pd.DataFrame:
    d = pl.spec.data
    name = pl.source
    if name in sources.adam:
        fin = sources.adam[name]
        df = fin.data.copy(deep=False)
        set_column(df, LINEAGE, np.array(fin.lineage, dtype=object))
    else:
        df = sources.frame(name)
        where = d["source"].get("where")
        if where:
            df = df[cn.evaluate(df, where)]
        df = df.reset_index(drop=True)
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                set_column(df, c, df[c].astype(object).to_numpy())
        rows = df[ROW].to_numpy(dtype=np.int64)
        set_column(df, LINEAGE, np.array([f"{name}:{r}" for r in rows], dtype=object))
        df = df.drop(columns=ROW)
    if pl.source in sources.adam and d["source"].get("where"):
        df = df[cn.evaluate(df, d["source"]["where"])].reset_index(drop=True)
    return df


@dataclass
class _Track:
    writers: dict[str, list[str]] = field(default_factory=dict)            # var -> step ids
    vlm: dict[str, dict[str, list[str]]] = field(default_factory=dict)     # var -> code -> steps


def _located(exc: Exception, doc, path, method: str) -> Exception:
    if isinstance(exc, DataError) and exc.file is None:
        err = doc.error(path, f"{method}: {exc.message}")
        return DataError(err.message, file=err.file, line=err.line, key=err.key,
                         record=exc.record, variable=exc.variable, value=exc.value)
    return exc


def derive(pl: Plan, sources: Sources, progress: Callable[[str], None] | None = None
           ) -> tuple[pd.DataFrame, _Track]:
    """Run the steps of a planned spec; returns the working records and what wrote what."""
    methods = all_methods()
    doc = pl.spec.doc
    df = _source_frame(pl, sources)
    track = _Track()
    for step in pl.steps:
        m = methods[step.params["method"]]
        kwargs = m.kwargs(step.params)
        for dp in m.datasets:
            kwargs[dp] = sources.data(step.params[dp])
        rows = None
        if not m.adds_records and "PARAMCD" in df.columns and set(VLM_VARIABLES) & set(
                step.io.writes):
            rows = cn.evaluate(df, step.params.get("filter"))
        try:
            df = m.func(df, **kwargs)
        except (DataError, ValueError, KeyError) as exc:
            if isinstance(exc, DataError):
                raise _located(exc, doc, step.path, m.name) from None
            raise doc.error(step.path, f"{m.name}: {type(exc).__name__}: {exc}") from None
        for var in step.io.writes:
            track.writers.setdefault(var, []).append(step.id)
        for var in VLM_VARIABLES:
            if var not in step.io.writes or "PARAMCD" not in df.columns:
                continue
            if m.adds_records:
                codes = step.io.params_made or sorted({c for _, c in step.io.params_used})
            elif rows is not None:
                mask = rows & df[var].notna().to_numpy()
                codes = sorted(str(c) for c in pd.unique(df.loc[mask, "PARAMCD"].dropna()))
            else:
                codes = []
            for code in codes:
                track.vlm.setdefault(var, {}).setdefault(code, []).append(step.id)
    return df, track


# --------------------------------------------------------------------------------- finalising

def display_format(name: str, vtype: str, given: str | None) -> str | None:
    if given:
        return given
    if vtype != "Num":
        return None
    for suffix, fmt in _DATE_SUFFIXES:
        if name.endswith(suffix) and not name.endswith("DY"):
            return fmt
    return None


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _typed(df: pd.DataFrame, name: str, vtype: str, lineage: pd.Series) -> np.ndarray:
    s = df[name]
    if vtype == "Num":
        if s.dtype.kind in "fiu":
            return s.to_numpy(dtype=np.float64)
        vals = pd.to_numeric(s, errors="coerce")
        bad = vals.isna() & s.notna() & (s.astype(str).str.strip() != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{name} is numeric but the value is not a number "
                            f"(record from {lineage.iloc[i] or 'an imputation'})",
                            variable=name, value=s.iloc[i])
        return vals.to_numpy(dtype=np.float64)
    arr = s.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=True) in ("string", "empty"):
        return arr
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    conv = np.array([_num_text(u) if isinstance(u, (int, float, np.integer, np.floating))
                     and not isinstance(u, bool) else str(u) for u in uniques] + [None],
                    dtype=object)
    out = conv[np.where(codes < 0, len(uniques), codes)]
    return out


def _origin(pl: Plan, name: str, track: _Track) -> tuple[str, str]:
    """(origin, predecessor 'DS.VAR' or '') of a variable."""
    if name in pl.from_source:
        return "Predecessor", f"{pl.source}.{name}"
    steps = {s.id: s for s in pl.steps}
    methods = all_methods()
    wrote = track.writers[name]
    if any(methods[steps[sid].params["method"]].adds_records for sid in wrote[1:]):
        return "Derived", ""        # per parameter: see the value-level metadata
    return _step_origin(pl, steps[wrote[0]], name, track)


def _step_origin(pl: Plan, step: Step, name: str, track: _Track) -> tuple[str, str]:
    """(origin, predecessor) of what one step writes to a variable."""
    m = all_methods()[step.params["method"]]
    p = step.params
    if m.name == "derive_vars_assign":
        op = p["set_values_to"].get(name)
        if values.is_reference(op):
            if op["of"] in pl.from_source or op["of"] not in track.writers:
                return "Predecessor", f"{pl.source}.{op['of']}"
            return "Derived", ""
        return "Assigned", ""
    if m.name == "derive_vars_merged_lookup":
        return "Assigned", ""
    if m.name == "derive_vars_merged" and name != p.get("exist_flag"):
        old = dict(new_var_pairs(p["new_vars"])).get(name, name)
        return "Predecessor", f"{p['dataset_add']}.{old}"
    return (m.origin if m.origin != "Predecessor" else "Derived"), ""


def _text(pl: Plan, name: str, track: _Track, only: set[str] | None = None) -> str:
    steps = {s.id: s for s in pl.steps}
    if name in pl.from_source:      # record-adding steps only carry it to their new records
        return f"{pl.source}.{name}."
    methods = all_methods()
    parts = []
    for sid in track.writers.get(name, []):
        if only is not None and sid not in only:
            continue
        s = steps[sid]
        if s.params.get("describe"):
            parts.append(s.params["describe"])
            continue
        text = methods[s.params["method"]].describe(s.params).get(name)
        if text:
            parts.append(text)
    return " Then: ".join(parts)


def _sources_read(pl: Plan, name: str, track: _Track) -> tuple[str, ...]:
    if name in pl.from_source:
        return (f"{pl.source}.{name}",)
    steps = {s.id: s for s in pl.steps}
    out: list[str] = []
    for sid in track.writers.get(name, []):
        s = steps[sid]
        out += [v for _, v in s.io.reads if v != name]
        for dp, reads in s.io.add_reads.items():
            out += [f"{s.params[dp]}.{v}" for _, v in reads]
    return tuple(dict.fromkeys(out))


def finalize(pl: Plan, df: pd.DataFrame, track: _Track) -> AdamFinal:
    d = pl.spec.data
    doc = pl.spec.doc
    names = list(d["variables"])
    keys = list(d.get("keys") or [])
    order = list(d.get("order") or keys)
    lineage = df[LINEAGE] if LINEAGE in df.columns else pd.Series([""] * len(df))
    cols: dict[str, np.ndarray] = {}
    for name in names:
        meta = pl.meta[name]
        try:
            cols[name] = _typed(df, name, meta.type, lineage)
        except DataError as exc:
            raise DataError(exc.message, file=doc.file, line=doc.line(("variables", name)),
                            key=f"variables.{name}", variable=exc.variable,
                            value=exc.value) from None
    lin = lineage.to_numpy(dtype=object)
    if order:
        perm = sort_positions(pd.DataFrame({n: cols[n] for n in order_names(order)}), [],
                              parse_order(order), na_first=True)
        cols = {n: v[perm] for n, v in cols.items()}
        lin = lin[perm]
    out = pd.DataFrame(index=pd.RangeIndex(len(lin)))
    for n, v in cols.items():           # one block per column: no copying into 2-D blocks
        set_column(out, n, v)
    if keys:
        codes = pd.DataFrame({k: pd.factorize(out[k], use_na_sentinel=True)[0] for k in keys})
        dup = codes.duplicated(keep=False).to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            same = np.flatnonzero(dup & (codes.to_numpy() == codes.to_numpy()[i]).all(axis=1))
            shown = ", ".join(f"{k}={out[k].iloc[i]}" for k in keys)
            sources = "; ".join(lin[j] or "an imputation" for j in same[:3])
            raise DataError(f"{pl.spec.name}: duplicate key ({shown}) on {len(same)} records "
                            f"(from {sources})", file=doc.file, line=doc.line(("keys",)),
                            key="keys")
    out[LINEAGE] = pd.Series(lin, dtype=object, copy=False)
    codelists = adamig().codelists
    for name in names:
        cl = pl.meta[name].codelist
        if not cl:
            continue
        allowed = codelists[cl].values()
        s = out[name]
        text = s if pl.meta[name].type == "Char" else pd.Series(_typed(out, name, "Char", lineage))
        bad = s.notna() & ~text.isin(allowed)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(f"{pl.spec.name}.{name}: value is not a term of codelist {cl} "
                            f"({', '.join(sorted(allowed)[:12])})", file=doc.file,
                            line=doc.line(("variables", name)), key=f"variables.{name}",
                            record=i + 1, value=s.iloc[i])
    specs = []
    where = {}
    for name in names:
        meta = pl.meta[name]
        entry = d["variables"][name] or {}
        origin, pred = _origin(pl, name, track)
        wrote = [] if name in pl.from_source else track.writers.get(name, [])
        method = ", ".join(dict.fromkeys(pl.spec.data["derivations"][s]["method"]
                                         for s in wrote)) if wrote else ""
        text = _text(pl, name, track)
        if entry.get("comment"):
            text = f"{text} {entry['comment']}".strip()
        specs.append(VariableSpec(
            name=name, label=meta.label, type=meta.type, role=meta.role, core=meta.core,
            codelist=meta.codelist, origin=origin, source=pred, method=method,
            method_text=text, sources=_sources_read(pl, name, track),
            display_format=display_format(name, meta.type, entry.get("format")),
            sponsor_defined=not meta.standard))
        where[name] = pl.spec.where(("derivations", wrote[0]) if wrote else ("variables", name))
    structure = pl.structure
    cls, structure_text = STRUCTURE_INFO[structure]
    label = d.get("label") or default_label(structure)
    if not label:
        raise doc.error(("label",), f"a {structure} dataset needs a label (e.g. 'Efficacy "
                        "Analysis Dataset')")
    spec = DatasetSpec(name=pl.spec.name, label=label, cls=cls, structure=structure_text,
                       keys=tuple(keys), variables=tuple(specs), standard="ADaMIG 1.3",
                       value_level=_value_level(pl, out, specs, track),
                       description=d.get("description", ""))
    params = {}
    if "PARAMCD" in out.columns and "PARAM" in out.columns:
        pairs = out[["PARAMCD", "PARAM"]].drop_duplicates().dropna()
        params = dict(zip(pairs["PARAMCD"], pairs["PARAM"]))
    lin = out[LINEAGE].fillna("").tolist()
    data = out.drop(columns=LINEAGE)
    return AdamFinal(spec, data, lin, where, [], params)


def _value_level(pl: Plan, out: pd.DataFrame, specs: list[VariableSpec], track: _Track
                 ) -> tuple[ValueLevel, ...]:
    if "PARAMCD" not in out.columns:
        return ()
    by_name = {v.name: v for v in specs}
    present = {str(c) for c in pd.unique(out["PARAMCD"].dropna())}
    result = []
    for var in VLM_VARIABLES:
        if var not in by_name:
            continue
        groups: dict[tuple[str, ...], list[str]] = {}
        with_values = {str(c) for c in pd.unique(out.loc[out[var].notna(), "PARAMCD"].dropna())}
        for code, steps in sorted((track.vlm.get(var) or {}).items()):
            if code in present and code in with_values:
                groups.setdefault(tuple(dict.fromkeys(steps)), []).append(code)
        base = by_name[var]
        for steps, codes in groups.items():
            text = _text(pl, var, track, only=set(steps))
            first = next(s for s in pl.steps if s.id == steps[0])
            origin, pred = _step_origin(pl, first, var, track)
            if len(steps) > 1:
                origin, pred = "Derived", ""
            result.append(ValueLevel(var, (("PARAMCD", tuple(codes)),), VariableSpec(
                name=var, label=base.label, type=base.type, role=base.role, core=base.core,
                codelist=base.codelist, origin=origin, source=pred,
                method=", ".join(dict.fromkeys(pl.spec.data["derivations"][s]["method"]
                                               for s in steps)),
                method_text=text, sources=base.sources)))
    return tuple(result)


def build(pl: Plan, sources: Sources, progress: Callable[[str], None] | None = None) -> AdamFinal:
    df, track = derive(pl, sources, progress)
    return finalize(pl, df, track)


def build_order(plans: dict[str, Plan]) -> list[str]:
    """ADaM datasets in an order where each comes after those it reads (ADSL first)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(chain + [name])
            raise plans[name].spec.doc.error(("source",), f"ADaM datasets read each other in a "
                                             f"circle: {cycle}")
        state[name] = 1
        for dep in sorted(plans[name].depends):
            visit(dep, chain + [name])
        state[name] = 2
        order.append(name)

    for name in sorted(plans, key=lambda n: (n != "ADSL", n)):
        visit(name, [])
    return order
