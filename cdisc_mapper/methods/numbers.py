"""Number methods: arithmetic, rounding and unit conversion from the study's declared table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lang import values
from .registry import OPERAND, VARIABLE, method

DIGITS = {"type": "integer", "minimum": 0, "maximum": 12,
          "description": "round to this many decimals (half away from zero, as SAS ROUND)"}
_OPS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide}
_SIGN = {"add": "+", "subtract": "−", "multiply": "×", "divide": "÷"}


def round_half_away(x: pd.Series, digits: int) -> pd.Series:
    """Round as SAS ROUND does: halves away from zero (with a relative fuzz of 1e-12, so that
    2.675 rounds to 2.68 although its binary value is a hair below)."""
    a = x.to_numpy(dtype="float64", na_value=np.nan)
    scale = 10.0 ** digits
    scaled = np.abs(a) * scale
    r = np.floor(scaled + 0.5 + scaled * 1e-12) / scale * np.sign(a)
    r = np.where(r == 0, 0.0, r)                    # no negative zero
    return pd.Series(r, index=x.index, dtype="Float64").where(x.notna())


def numeric_operand(ctx, op: dict | None, path: tuple) -> pd.Series:
    """An operand as numbers; text that is not a number is a data problem."""
    s = ctx.operand(op)
    return ctx.to_number(s)


def _op_text(op) -> str:
    return values.text(op, lambda r: f"raw {r['from']}" if "from" in r else r["of"])


def _arith_text(p, state=None) -> str:
    text = f"{_op_text(p['left'])} {_SIGN[p['op']]} {_op_text(p['right'])}"
    if "round" in p:
        text += f", rounded to {p['round']} decimals"
    return text[:1].upper() + text[1:] + "."


@method("arithmetic", family="numbers", origin="Derived",
        summary="Add, subtract, multiply or divide two numbers (constants, raw columns or "
                "variables), optionally rounded.",
        params={"left": OPERAND, "op": {"enum": list(_OPS)}, "right": OPERAND,
                "round": DIGITS},
        required=("left", "op", "right"), text=_arith_text,
        example="EXDOSE:\n  method: arithmetic\n  left: {from: DOSEMGKG}\n  op: multiply\n"
                "  right: {from: WEIGHT}\n  round: 1\n"
                "HEIGHTCM: {method: arithmetic, left: {of: HEIGHTIN}, op: multiply, "
                "right: {value: 2.54}}")
def arithmetic(ctx, p):
    """``left op right`` on every record; missing when either side is missing.  Text that is
    not a number, and a division by zero, are data problems (the value is left missing)."""
    left = numeric_operand(ctx, p["left"], ("left",))
    right = numeric_operand(ctx, p["right"], ("right",))
    if p["op"] == "divide":
        zero = (right == 0).fillna(False).astype(bool)
        if zero.any():
            ctx.problem(zero, "division by zero", ctx.operand(p["right"]))
        right = right.where(~zero)
    a = left.to_numpy(dtype="float64", na_value=np.nan)
    b = right.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(all="ignore"):
        out = pd.Series(_OPS[p["op"]](a, b), index=ctx.index, dtype="Float64")
    out = out.where(~np.isnan(a) & ~np.isnan(b))
    return round_half_away(out, p["round"]) if "round" in p else out


@method("round", family="numbers", origin="Derived",
        summary="A number rounded to a number of decimals (half away from zero).",
        params={"of": VARIABLE, "from": {"type": "string", "description": "a raw column"},
                "digits": DIGITS},
        required=("digits",),
        text=lambda p, state=None: f"{_op_text({k: p[k] for k in ('of', 'from') if k in p})} "
                                   f"rounded to {p['digits']} decimals (half away from zero).",
        example="VSSTRESN: {method: round, of: WEIGHTKG, digits: 1}")
def round_method(ctx, p):
    """Round ``of`` (a variable) or ``from`` (a raw column) to ``digits`` decimals, halves away
    from zero as SAS ``ROUND`` does (``2.5`` → ``3``, ``-2.5`` → ``-3``).  Give exactly one of
    ``of`` and ``from``; text that is not a number is a data problem."""
    src = ctx.operand({k: p[k] for k in ("from", "of") if k in p}, source=p.get("source"))
    return round_half_away(ctx.to_number(src), p["digits"])


def _key(v) -> str:
    return str(v).strip().upper()


def _unit_text(p, state=None) -> str:
    table = getattr(getattr(state, "study", None), "units", {}) or {}
    rows = []
    for t in table.values():
        for unit, c in t.conversions.items():
            if unit == t.standard:
                continue
            how = []
            if c.subtract:
                how.append(f"− {c.subtract:g}")
            if c.factor != 1:
                how.append(f"× {c.factor:g}")
            if c.divisor != 1:
                how.append(f"÷ {c.divisor:g}")
            rows.append(f"{t.test}: {unit} → {t.standard} ({' '.join(how)})")
    what = "The standard unit" if p.get("take") == "unit" else f"{p.get('of')} in the standard unit"
    text = (f"{what} of test {p['test']}, converted from unit {p['unit']} by the study's unit "
            "table")
    if rows:
        text += ": " + "; ".join(rows)
    if p.get("take") != "unit" and "round" in p:
        text += f"; rounded to {p['round']} decimals"
    return text + ". Tests not in the table keep their original value and unit."


@method("convert_unit", family="numbers", origin="Derived",
        summary="A result in the standard unit of its test (--STRESN) or that unit (--STRESU), "
                "from the study file's `units` table.",
        params={"of": {**VARIABLE, "description": "the original result (e.g. VSORRES)"},
                "unit": {**VARIABLE, "description": "the original unit (e.g. VSORRESU)"},
                "test": {**VARIABLE, "description": "the test code (e.g. VSTESTCD)"},
                "take": {"enum": ["value", "unit"], "description": "the converted number "
                         "(default) or the standard unit"},
                "round": DIGITS},
        required=("unit", "test"), text=_unit_text,
        example="VSSTRESN: {method: convert_unit, of: VSORRES, unit: VSORRESU, test: VSTESTCD, "
                "round: 2}\n"
                "VSSTRESU: {method: convert_unit, unit: VSORRESU, test: VSTESTCD, take: unit}")
def convert_unit(ctx, p):
    """Look up each record's test (``test``) in the study file's ``units`` and convert the number
    ``of`` from the record's ``unit``: ``(x − subtract) × factor ÷ divisor``.  With ``take:
    unit`` the standard unit is returned instead (where the original unit, and ``of`` when
    given, are present).  The original values stay in --ORRES/--ORRESU.  A test that the table
    does not list keeps its value and unit; a unit the table does not list for its test, or a
    result without a unit, is a data problem naming test and unit.  Units match ignoring case
    and surrounding blanks.  The table, in the study file::

        units:
          WEIGHT: {standard: kg, from: {LB: 0.45359237}}
          HEIGHT: {standard: cm, from: {in: 2.54}}
          TEMP:   {standard: C, from: {F: {subtract: 32, divisor: 1.8}}}
          GLUC:   {standard: mmol/L, from: {mg/dL: 0.0555}}
    """
    table = {_key(t): entry for t, entry in (ctx.study.units or {}).items()}
    tests = ctx.variable(p["test"])
    units = ctx.variable(p["unit"])
    value = ctx.to_number(ctx.variable(p["of"])) if "of" in p else None
    frame = pd.DataFrame({"t": tests.astype("string").to_numpy(),
                          "u": units.astype("string").to_numpy()})
    codes, uniq = pd.factorize(pd.MultiIndex.from_frame(frame.fillna("\0")), sort=False)
    factor = np.full(len(uniq), np.nan)
    subtract = np.zeros(len(uniq))
    divisor = np.ones(len(uniq))
    standard = np.empty(len(uniq), dtype=object)
    problem = np.empty(len(uniq), dtype=object)
    for i, (t, u) in enumerate(uniq):
        t = None if t == "\0" else t
        u = None if u == "\0" else u
        entry = table.get(_key(t)) if t is not None else None
        if entry is None:
            factor[i], standard[i] = 1.0, u          # not converted: value and unit as they are
            continue
        conv = {_key(k): c for k, c in entry.conversions.items()}
        if u is None:
            problem[i] = f"test {t} has no unit to convert from (the standard unit is " \
                         f"{entry.standard})"
            continue
        c = conv.get(_key(u))
        if c is None:
            problem[i] = (f"unit {u!r} of test {t} is not in the study file's units (known for "
                          f"{t}: {', '.join(entry.conversions)})")
            continue
        factor[i], divisor[i], subtract[i] = c.factor, c.divisor, c.subtract
        standard[i] = entry.standard
    has_value = (value.notna().to_numpy(dtype=bool) if value is not None
                 else units.notna().to_numpy(dtype=bool))
    for i, msg in enumerate(problem):
        if msg:
            mask = (codes == i) & has_value
            if mask.any():
                ctx.problem(pd.Series(mask, index=ctx.index), msg,
                            units if value is None else ctx.variable(p["of"]))
    if p.get("take") == "unit":
        out = pd.Series(standard[codes], index=ctx.index, dtype="string")
        return out.where(has_value)
    x = value.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        res = (x - subtract[codes]) * factor[codes] / divisor[codes]
    out = pd.Series(res, index=ctx.index, dtype="Float64").where(~np.isnan(res))
    return round_half_away(out, p["round"]) if "round" in p else out
