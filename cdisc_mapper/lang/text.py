"""Text operations on values, declared as data: trim, case, substring, split, extract, replace, pad.

A mapping lists the steps in order (``steps: [{split: {sep: "-", part: 3}}, {pad: {width: 4}}]``);
each step is one key naming the operation with its options.  Regular expressions (``extract``,
``replace``) are written by users, so they are checked before use: at most 200 characters, no
back-references, no quantifier applied to something that already repeats (``(a+)+``,
``(\\w*)*`` — the patterns whose matching time explodes), and values longer than
:data:`MAX_INPUT` characters are refused instead of matched.  Every operation works on the distinct
values of a column once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

try:                                    # Python 3.11+
    import re._parser as _sre_parse     # type: ignore[import-not-found]
    import re._constants as _sre_c      # type: ignore[import-not-found]
except ImportError:                     # pragma: no cover
    import sre_parse as _sre_parse      # type: ignore[no-redef]
    import sre_constants as _sre_c      # type: ignore[no-redef]

MAX_PATTERN = 200
MAX_INPUT = 1000

PATTERN = {"type": "string", "minLength": 1, "maxLength": MAX_PATTERN,
           "description": "a regular expression (Python syntax; no back-references or nested "
                          "repetition)"}
STEP = {
    "type": "object", "minProperties": 1, "maxProperties": 1,
    "description": "one text operation",
    "properties": {
        "trim": {"enum": ["both", "left", "right", "all"],
                 "description": "remove blanks at both ends, one end, or also collapse inner "
                                "runs of blanks to one (all)"},
        "case": {"enum": ["upper", "lower", "title"]},
        "substring": {"type": "object", "additionalProperties": False, "required": ["start"],
                      "properties": {"start": {"type": "integer", "description": "1-based; "
                                               "negative counts from the end"},
                                     "length": {"type": "integer", "minimum": 0}}},
        "split": {"type": "object", "additionalProperties": False, "required": ["sep", "part"],
                  "properties": {"sep": {"type": "string", "minLength": 1},
                                 "part": {"type": "integer", "not": {"const": 0},
                                          "description": "1-based; negative counts from the "
                                                         "end"}}},
        "extract": {"type": "object", "additionalProperties": False, "required": ["pattern"],
                    "properties": {"pattern": PATTERN,
                                   "group": {"anyOf": [{"type": "integer", "minimum": 0},
                                                       {"type": "string"}],
                                             "description": "the group to keep (default 1, or "
                                                            "0 when the pattern has none)"},
                                   "unmatched": {"enum": ["error", "missing", "keep"],
                                                 "description": "a value the pattern does not "
                                                                "match: a data problem "
                                                                "(default), missing, or kept"}}},
        "replace": {"type": "object", "additionalProperties": False,
                    "required": ["with"],
                    "properties": {"pattern": PATTERN,
                                   "text": {"type": "string", "minLength": 1},
                                   "with": {"type": "string"}},
                    "oneOf": [{"required": ["pattern"]}, {"required": ["text"]}]},
        "pad": {"type": "object", "additionalProperties": False, "required": ["width"],
                "properties": {"width": {"type": "integer", "minimum": 1, "maximum": 200},
                               "char": {"type": "string", "minLength": 1, "maxLength": 1},
                               "side": {"enum": ["left", "right"]}}},
    },
    "additionalProperties": False,
}


class PatternError(ValueError):
    """A user regular expression that is refused."""


def _walk(items, depth_repeat: bool) -> None:
    for op, av in items:
        if op in (_sre_c.GROUPREF, _sre_c.GROUPREF_EXISTS):
            raise PatternError("back-references are not allowed")
        if op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            repeats = hi is _sre_c.MAXREPEAT or hi > 1
            if repeats and depth_repeat:
                raise PatternError("a repetition inside a repetition (such as (a+)+) is not "
                                   "allowed: its matching time can explode")
            _walk(sub, depth_repeat or repeats)
        elif op == _sre_c.SUBPATTERN:
            _walk(av[-1], depth_repeat)
        elif op == _sre_c.BRANCH:
            for alt in av[1]:
                _walk(alt, depth_repeat)
        elif op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            _walk(av[1], depth_repeat)
        elif op == getattr(_sre_c, "ATOMIC_GROUP", None):
            _walk(av, depth_repeat)


@lru_cache(maxsize=256)
def safe_pattern(pattern: str) -> re.Pattern:
    """Compile a user's regular expression after the checks above; :class:`PatternError`."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN} characters")
    try:
        parsed = _sre_parse.parse(pattern)
        compiled = re.compile(pattern)
    except re.error as e:
        raise PatternError(f"not a valid regular expression: {e}") from None
    _walk(list(parsed), False)
    return compiled


def step_problem(step: dict[str, Any]) -> str | None:
    """What is wrong with a step (its pattern or group), or None; for checks before a run."""
    (op, opt), = step.items()
    if op in ("extract", "replace") and "pattern" in opt:
        try:
            rx = safe_pattern(opt["pattern"])
        except PatternError as e:
            return str(e)
        if op == "extract":
            g = opt.get("group", 1 if rx.groups else 0)
            if isinstance(g, int) and g > rx.groups:
                return f"the pattern has {rx.groups} group(s); group {g} does not exist"
            if isinstance(g, str) and g not in rx.groupindex:
                return f"the pattern has no group named {g!r}"
    return None


def _one(op: str, opt: Any) -> Callable[[str], tuple[str | None, str | None]]:
    """The function of one step on one value → (new value or None, problem or None)."""
    if op == "trim":
        if opt == "left":
            return lambda v: (v.lstrip(), None)
        if opt == "right":
            return lambda v: (v.rstrip(), None)
        if opt == "all":
            return lambda v: (" ".join(v.split()), None)
        return lambda v: (v.strip(), None)
    if op == "case":
        f = {"upper": str.upper, "lower": str.lower, "title": str.title}[opt]
        return lambda v: (f(v), None)
    if op == "substring":
        start, length = opt["start"], opt.get("length")

        def sub(v: str):
            i = start - 1 if start > 0 else len(v) + start
            i = max(i, 0)
            return (v[i:] if length is None else v[i:i + length]), None
        return sub
    if op == "split":
        sep, part = opt["sep"], opt["part"]

        def split(v: str):
            pieces = v.split(sep)
            k = part - 1 if part > 0 else len(pieces) + part
            if not 0 <= k < len(pieces):
                return None, (f"has {len(pieces)} part(s) separated by {sep!r}; part {part} "
                              "does not exist")
            return pieces[k], None
        return split
    if op == "extract":
        rx = safe_pattern(opt["pattern"])
        group = opt.get("group", 1 if rx.groups else 0)
        unmatched = opt.get("unmatched", "error")

        def extract(v: str):
            if len(v) > MAX_INPUT:
                return None, f"longer than {MAX_INPUT} characters: not matched"
            m = rx.search(v)
            if m is None or m.group(group) is None:
                if unmatched == "keep":
                    return v, None
                if unmatched == "missing":
                    return None, None
                return None, f"does not match the pattern '{opt['pattern']}'"
            return m.group(group), None
        return extract
    if op == "replace":
        new = opt["with"]
        if "text" in opt:
            old = opt["text"]
            return lambda v: (v.replace(old, new), None)
        rx = safe_pattern(opt["pattern"])

        def replace(v: str):
            if len(v) > MAX_INPUT:
                return None, f"longer than {MAX_INPUT} characters: not matched"
            return rx.sub(lambda _m: new, v), None
        return replace
    if op == "pad":
        width, ch, side = opt["width"], opt.get("char", "0"), opt.get("side", "left")
        if side == "left":
            return lambda v: (v.rjust(width, ch), None)
        return lambda v: (v.ljust(width, ch), None)
    raise ValueError(f"unknown text operation {op}")


def pipeline(steps: list[dict[str, Any]]) -> Callable[[str], tuple[str | None, str | None]]:
    """All steps, in order, as one function of one value; the first problem stops it."""
    fns = [(op, _one(op, opt)) for step in steps for op, opt in step.items()]

    def run(v: str):
        for op, fn in fns:
            v, err = fn(v)
            if err:
                return None, f"{op}: {err}"
            if v is None:
                return None, None
        return (v if v != "" else None), None
    return run
