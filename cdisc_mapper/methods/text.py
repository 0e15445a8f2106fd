"""Text methods: declared operations on a value (trim, case, substring, split, extract, pad)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lang.text import STEP, pipeline
from .registry import RAW_COLUMN, VARIABLE, method


def run_steps(ctx, s: pd.Series, steps: list[dict], path: tuple = ()) -> pd.Series:
    """Apply ``steps`` to the distinct values of ``s``; a value a step cannot handle is a data
    problem (its record, variable, value and what was expected) and is left missing."""
    fn = pipeline(steps)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    results = np.empty(len(uniques), dtype=object)
    bad: dict[int, str] = {}
    for i, u in enumerate(uniques):
        v, err = fn(str(u))
        results[i] = v
        if err:
            bad[i] = err
    out = np.full(len(codes), None, dtype=object)
    ok = codes >= 0
    out[ok] = results[codes[ok]]
    series = pd.Series(out, index=s.index, dtype="string")
    for i, err in bad.items():
        ctx.problem(pd.Series(codes == i, index=s.index), f"text {err}", s)
    return series


def _text(p, state=None) -> str:
    what = f"raw {p['from']}" if "from" in p else p["of"]
    words = []
    for step in p["steps"]:
        (op, opt), = step.items()
        if op == "trim":
            words.append("blanks trimmed" if opt != "all" else "blanks trimmed and collapsed")
        elif op == "case":
            words.append(f"in {opt} case")
        elif op == "substring":
            words.append(f"characters from {opt['start']}"
                         + (f", {opt['length']} long" if "length" in opt else ""))
        elif op == "split":
            words.append(f"part {opt['part']} of the text split at {opt['sep']!r}")
        elif op == "extract":
            words.append(f"the part matching {opt['pattern']!r}"
                         + (f" (group {opt['group']})" if "group" in opt else ""))
        elif op == "replace":
            old = opt.get("pattern", opt.get("text"))
            words.append(f"{old!r} replaced by {opt['with']!r}")
        elif op == "pad":
            words.append(f"padded on the {opt.get('side', 'left')} to {opt['width']} characters "
                         f"with {opt.get('char', '0')!r}")
    return f"From {what}: " + ", then ".join(words) + "."


@method("text", family="text", origin="Derived",
        summary="Text operations on a raw column or a variable: trim, case, substring, split, "
                "extract (regular expression), replace, pad.",
        params={"from": RAW_COLUMN, "of": VARIABLE,
                "steps": {"type": "array", "minItems": 1, "items": STEP,
                          "description": "the operations, in order: {trim: both|left|right|all}, "
                                         "{case: upper|lower|title}, {substring: {start, "
                                         "length}}, {split: {sep, part}}, {extract: {pattern, "
                                         "group, unmatched}}, {replace: {pattern or text, "
                                         "with}}, {pad: {width, char, side}}"}},
        required=("steps",), text=_text,
        example="SITEID:\n  method: text\n  from: SUBJECT           # 01-701-1015\n"
                "  steps: [{split: {sep: '-', part: 2}}]          # 701\n"
                "SUBJID:\n  method: text\n  from: SUBJECT\n"
                "  steps: [{extract: {pattern: '^\\d+-\\d+-(\\d+)$'}}]   # 1015\n"
                "AETERM: {method: text, from: IT.AETERM, steps: [{trim: all}, {case: upper}]}\n"
                "SPDEVID: {method: text, from: PATNO, steps: [{pad: {width: 4, char: '0'}}]}\n"
                "AGEU: {method: text, from: AGEUNIT, steps: [{substring: {start: 1, length: 5}}]}")
def text(ctx, p):
    """Take the raw column ``from`` (or the variable ``of``) and apply ``steps`` in order.
    ``substring`` and ``split`` count from 1 (negative: from the end); ``extract`` keeps a group
    of the first match of a regular expression (group 1 when the pattern has groups); ``pad``
    pads to a width (default with ``0`` on the left).  An empty result is missing.  A value
    that does not match an ``extract`` pattern, or has fewer parts than ``split`` asks for, is a
    data problem (unless ``unmatched: missing|keep``).  Patterns are checked before the run:
    no back-references and no repetition inside a repetition (such as ``(a+)+``), whose matching
    time can explode; values longer than 1,000 characters are not matched.  Give exactly one of
    ``from`` and ``of``."""
    src = ctx.operand({k: p[k] for k in ("from", "of") if k in p}, source=p.get("source"))
    return run_steps(ctx, src, p["steps"])
