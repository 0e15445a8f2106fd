"""Build one dataset from its mapping: blocks of raw records → variables → combined records.

Steps, each visible in the lineage:

1. for each block (or the single ``source``): read the raw form, ``stack`` a wide form into one
   record per listed column, keep the records ``where`` says;
2. derive the record-stage variables in dependency order (a variable that uses another with
   ``of:`` comes after it), each by its method;
3. combine the blocks; the finalisation pass then sorts, numbers (--SEQ) and runs dataset-stage
   methods (baseline flags).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import MappingError
from ..mapping.study import DatasetMapping
from ..mapping.terminology import apply_synonyms
from ..methods.conditions import evaluate
from ..methods.registry import METHODS, all_methods, apply_when
from .context import BlockContext, RunState

#: parameter names whose string values name variables (dependencies)
_VAR_KEYS = {"of", "birth", "ref", "dtc", "visitnum", "result", "by", "unit", "test", "low",
             "high"}


def references(params: Any) -> set[str]:
    """Variables (of the same dataset) that a variable's parameters refer to."""
    found: set[str] = set()

    def walk(node: Any, key: str | None = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in _VAR_KEYS and "." not in node:
            found.add(node)

    walk({k: v for k, v in params.items() if k != "method"})
    return found


def dependency_order(variables: dict[str, dict], doc, base: tuple) -> list[str]:
    """Variables in an order where each comes after those it uses (written order otherwise)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise doc.error(base + (name,), "circular reference: " + " → ".join(chain + [name]))
        state[name] = 1
        for dep in sorted(references(variables[name])):
            if dep in variables:
                visit(dep, chain + [name])
        state[name] = 2
        order.append(name)

    for name in variables:
        visit(name, [])
    return order


@dataclass
class Built:
    """A dataset as built, before finalisation."""

    name: str
    mapping: DatasetMapping
    records: pd.DataFrame                    # variables + __block__, __row__, __column__
    supp: dict[str, pd.Series] = field(default_factory=dict)   # QNAM → value per record
    files: list[str] = field(default_factory=list)             # raw file per block
    var_paths: dict[str, tuple] = field(default_factory=dict)  # variable → path in mapping


def _stack(table: pd.DataFrame, spec: dict, form_display: str, doc, path: tuple) -> pd.DataFrame:
    columns = spec["columns"]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise doc.error(path + ("columns", missing[0]),
                        f"stacked column '{missing[0]}' is not in {form_display} "
                        f"(columns: {', '.join(c for c in table.columns if not c.startswith('__'))})")
    keep = [c for c in table.columns if c not in columns]
    for col, attrs in columns.items():
        for k, v in attrs.items():
            if isinstance(v, dict) and v["from"] not in table.columns:
                raise doc.error(path + ("columns", col, k),
                                f"raw column '{v['from']}' is not in {form_display}")
    rows = table["__row__"].to_numpy() if "__row__" in table.columns else None
    if rows is not None and (len(rows) < 2 or bool((np.diff(rows) > 0).all())):
        out = _interleave(table, keep, columns)
        if not spec.get("keep_missing", False):
            out = out[out["VALUE"].notna().to_numpy()].reset_index(drop=True)
        return out
    parts = []
    for pos, (col, attrs) in enumerate(columns.items()):
        part = table[keep].copy()
        part["__column__"] = col
        part["__order__"] = pos
        part["ITEM"] = col
        part["VALUE"] = table[col]
        for k, v in attrs.items():
            if isinstance(v, dict):              # {from: COLUMN}: read from the same row
                if v["from"] not in table.columns:
                    raise doc.error(path + ("columns", col, k),
                                    f"raw column '{v['from']}' is not in {form_display}")
                part[k] = table[v["from"]].to_numpy()
            else:
                part[k] = None if v is None else str(v)
        parts.append(part)
    # one record per raw row and stacked column, in raw order then column order
    out = (pd.concat(parts, ignore_index=True)
           .sort_values(["__row__", "__order__"], kind="stable")
           .drop(columns="__order__").reset_index(drop=True))
    if not spec.get("keep_missing", False):
        out = out[out["VALUE"].notna()].reset_index(drop=True)
    return out


def _interleave(table: pd.DataFrame, keep: list[str], columns: dict) -> pd.DataFrame:
    """The stack of a form whose rows are in raw order: record ``i`` is raw row ``i // k`` and
    stacked column ``i % k`` — what concatenating one copy per column and sorting by raw row and
    column gives, built with one copy of the kept columns (a fraction of the memory)."""
    n, k = len(table), len(columns)
    names = list(columns)
    take = np.repeat(np.arange(n), k)
    out = table[keep].take(take).reset_index(drop=True)
    out["__column__"] = np.tile(np.array(names, dtype=object), n)
    out["ITEM"] = out["__column__"].to_numpy()
    dtypes = {table[c].dtype for c in names}
    grid = np.empty((n, k), dtype=object)
    for j, c in enumerate(names):
        grid[:, j] = table[c].to_numpy(dtype=object)
    value = grid.ravel()
    out["VALUE"] = pd.array(value, dtype=dtypes.pop()) if len(dtypes) == 1 else value
    attr_names: list[str] = []
    for attrs in columns.values():
        attr_names += [a for a in attrs if a not in attr_names]
    for a in attr_names:
        grid = np.full((n, k), np.nan, dtype=object)
        for j, c in enumerate(names):
            if a not in columns[c]:
                continue
            v = columns[c][a]
            if isinstance(v, dict):
                grid[:, j] = table[v["from"]].to_numpy()
            else:
                grid[:, j] = None if v is None else str(v)
        out[a] = grid.ravel()
    return out


def _derive(ctx: BlockContext, variables: dict[str, dict], doc, base: tuple,
            target: dict[str, pd.Series]) -> None:
    for name in dependency_order(variables, doc, base):
        params = variables[name]
        m = METHODS[params["method"]]
        if m.stage != "record":
            continue
        ctx.var, ctx.doc, ctx.path = name, doc, base + (name,)
        value = apply_when(ctx, params, m.func(ctx, params))
        if len(value) != len(ctx.index):
            raise MappingError(f"method {m.name} returned {len(value)} values for "
                               f"{len(ctx.index)} records", variable=name)
        value.index = ctx.index
        cl = ctx.codelist_of(name, params)
        if cl is not None:
            value = apply_synonyms(value, ctx.study.terminology, ctx.state.codelists, cl)
        target[name] = value
        if target is not ctx.out:
            ctx.out[name] = value


def build(state: RunState, mapping: DatasetMapping) -> Built:
    all_methods()
    data = mapping.data
    doc = mapping.doc
    name = mapping.name
    domain = name[4:] if name.startswith("SUPP") else name
    if "blocks" in data:
        blocks = [(b, ("blocks", i)) for i, b in enumerate(data["blocks"])]
    else:
        blocks = [({"source": data["source"], "where": data.get("where"),
                    "stack": data.get("stack"), "variables": {}}, ())]
    frames, supp_frames, files = [], [], []
    var_paths: dict[str, tuple] = {}
    for bi, (block, bpath) in enumerate(blocks):
        form = state.form(block["source"])
        records = form.table
        if block.get("stack"):
            records = _stack(records, block["stack"], form.display, doc, bpath + ("stack",))
        ctx = BlockContext(state, name, domain, form, records.reset_index(drop=True))
        if block.get("where"):
            ctx.var, ctx.doc, ctx.path = "", doc, bpath + ("where",)
            keep = evaluate(ctx, block["where"])
            ctx = BlockContext(state, name, domain, form,
                               ctx.records[keep.to_numpy()].reset_index(drop=True))
        variables: dict[str, dict] = {}
        paths: dict[str, tuple] = {}
        for vname, spec in (data.get("values") or {}).items():     # named intermediate values
            variables[vname], paths[vname] = spec, ("values", vname)
        for vname, spec in (block.get("values") or {}).items():
            variables[vname], paths[vname] = spec, bpath + ("values", vname)
        for vname, spec in (data.get("variables") or {}).items():
            variables[vname], paths[vname] = spec, ("variables", vname)
        for vname, spec in (block.get("variables") or {}).items():
            variables[vname], paths[vname] = spec, bpath + ("variables", vname)
        var_paths.update({k: v for k, v in paths.items() if v[-2] != "values"})
        # derive with per-variable paths for error messages
        for vname in dependency_order(variables, doc, ("variables",)):
            _derive(ctx, {vname: variables[vname]}, doc, paths[vname][:-1], ctx.out)
        supp_out: dict[str, pd.Series] = {}
        supp = data.get("supp") or {}
        if supp:
            _derive(ctx, supp, doc, ("supp",), supp_out)
        hidden = set(data.get("values") or {}) | set(block.get("values") or {})
        frame = pd.DataFrame({k: v for k, v in ctx.out.items() if k not in hidden},
                             index=ctx.index)
        frame["__block__"] = bi
        frame["__row__"] = ctx.records["__row__"].to_numpy()
        frame["__column__"] = (ctx.records["__column__"].to_numpy()
                               if "__column__" in ctx.records else None)
        frames.append(frame)
        supp_frames.append(pd.DataFrame(supp_out, index=ctx.index))
        files.append(form.display)
    records = pd.concat(frames, ignore_index=True)
    supp_all = pd.concat(supp_frames, ignore_index=True) if supp_frames else pd.DataFrame()
    for vname in data.get("supp") or {}:
        var_paths[vname] = ("supp", vname)
    return Built(name, mapping, records, {c: supp_all[c] for c in supp_all.columns}, files,
                 var_paths)
