"""Plain-English text of a variable's mapping, for define.xml MethodDefs and the lineage file.

A reviewer must understand where a value comes from without reading code, so each method has a
sentence template filled from its parameters.  ``describe:`` in a mapping file replaces the text.
"""

from __future__ import annotations

from typing import Any

from ..lang import values
from ..methods.conditions import describe as describe_condition
from ..methods.registry import Method


def _raw(p: dict[str, Any], key: str = "from") -> str:
    col = p.get(key)
    src = p.get("source")
    return f"raw {col}" + (f" of form {src}" if src else "")


def _operand(op: Any) -> str:
    return values.text(op, lambda r: f"raw {r['from']}" if "from" in r else r["of"])


def _map(p: dict[str, Any]) -> str:
    m = p.get("map")
    if not m:
        return ""
    pairs = "; ".join(f"{k!s} → {v!s}" for k, v in m.items())
    return f", mapped {pairs}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(m: Method, p: dict[str, Any], state: Any = None) -> str:
    if p.get("describe"):
        return str(p["describe"])
    text = _describe(m, p, state)
    if p.get("when"):
        other = _operand(p.get("otherwise"))
        text = f"Where {describe_condition(p['when'])}: {text[:1].lower()}{text[1:]} " \
               f"Elsewhere {other}."
    return text


def _describe(m: Method, p: dict[str, Any], state: Any = None) -> str:
    if m.text is not None:
        return m.text(p, state)
    n = m.name
    if n == "assign":
        text = f"Copied from {_raw(p)}" + _map(p)
        if p.get("case") in ("upper", "lower", "title"):
            text += f", in {p['case']} case"
        return text + "."
    if n == "assign_ct":
        return _cap(f"{_raw(p)} as a term of codelist {p['codelist']} (matched ignoring case "
                    f"on submission value or decode{_map(p)}).")
    if n in ("hardcode", "hardcode_ct"):
        return f"Set to {p['value']!r} on every record."
    if n == "study_id":
        return "The study identifier of the protocol."
    if n == "domain":
        return "The domain abbreviation."
    if n == "usubjid":
        sep = state.study.separator if state else "-"
        return f"STUDYID and the raw subject number joined by '{sep}'."
    if n == "concat":
        return (f"Concatenation of {', '.join(_operand(x) for x in p['parts'])}"
                f"{' with separator ' + repr(p['sep']) if p.get('sep') else ''}.")
    if n == "number":
        return f"Numeric value of {_raw(p) if 'from' in p else p['of']}."
    if n == "decode":
        if p.get("paired"):
            return (f"The term of codelist {p['paired']} with the same NCI code as {p['of']} "
                    f"in codelist {p['codelist']}.")
        return f"The decode of {p['of']} in codelist {p['codelist']}."
    if n == "lookup":
        d = getattr(getattr(state, "study", None), "dictionaries", {}).get(p["dictionary"])
        name = (f"the {d.label}" + (f" (version {d.version})" if d.version else "")
                if d is not None else f"dictionary '{p['dictionary']}'")
        return _cap(f"{_raw(p)} looked up in {name} by {p['match']}; "
                    f"the {p['take']} of the matching entry.")
    if n == "condition":
        cases = "; ".join(f"if {describe_condition(c['when'])} then {_operand(c['then'])}"
                          for c in p["cases"])
        return f"{cases}; otherwise {_operand(p.get('else'))}."
    if n == "iso_date":
        t = f" and time {p['time']}" if p.get("time") else ""
        return (f"ISO 8601 from raw date {p['date']}{t}"
                f"{' of form ' + p['source'] if p.get('source') else ''}; partial dates keep "
                "only their known parts (no imputation).")
    if n in ("first_date", "last_date"):
        which = "Earliest" if n == "first_date" else "Latest"
        srcs = ", ".join(f"{s['date']}{'/' + s['time'] if s.get('time') else ''} of form "
                         f"{s['source']}" for s in p["sources"])
        return f"{which} complete date (time) per subject among {srcs}."
    if n == "study_day":
        ref = p.get("ref", "DM.RFSTDTC")
        return (f"{p['of']} − {ref} + 1 when on or after {ref}, else {p['of']} − {ref} "
                "(no day 0); missing for partial dates.")
    if n == "age":
        return f"Completed years from {p['birth']} to {p['ref']}."
    if n in ("visitnum", "visit"):
        what = "VISITNUM" if n == "visitnum" else "VISIT"
        return f"{what} of the planned visit named by {_raw(p)}, from the trial visits (TV)."
    if n == "epoch":
        if "visitnum" in p:
            return f"Epoch of the planned visit {p['visitnum']} in the trial design."
        return (f"Epoch of the subject's element containing the date {p['dtc']} (epoch starts "
                "from the subject's reference dates in the study design).")
    if n == "study_arm":
        return f"The {p['take']} of the study arm whose treatment group code is {_raw(p)}."
    if n == "seq":
        return "Record number within subject, in the dataset's sort order."
    if n == "baseline_flag":
        ref = p.get("ref", "DM.RFXSTDTC")
        return (f"'Y' on the last record per subject and {', '.join(p['by'])} with a "
                f"non-missing {p['result']} and a complete {p['dtc']} on or before {ref}.")
    return m.summary
