"""The reference of the ADaM spec language, generated from the registry and the methods' own
documentation (for ``docs/adam-language.md``), so it can never drift from the code."""

from __future__ import annotations

import textwrap
from typing import Any

from .registry import COMMON_PARAMS, all_methods

INTRO = """\
# The ADaM spec language — reference

*Generated from the derivation registry and the methods' own documentation; do not edit by
hand.*

`cdisc-map convert` goes on from the written SDTM package to ADaM: each study file names the
folders of its ADaM specs (`study.analysis: [../common/adam]`) and may change them with
`analysis_overrides`.  One YAML file per ADaM dataset:

```yaml
dataset: ADEFF                   # at most 8 characters
structure: BDS                   # ADSL, BDS or OCCDS (the ADaMIG class it follows)
label: Efficacy Analysis Dataset # optional for ADSL
description: >-                  # the analysis rules, in words; goes to define.xml
  ...
source: {dataset: QS, where: {of: QSTESTCD, in: [EASITOT, IGA]}}   # the records to start from
keys: [STUDYID, USUBJID, PARAMCD, AVISITN, ADT]   # unique; the file's sort order ...
order: [STUDYID, USUBJID, PARAMN, AVISITN, ADT]   # ... unless order is given
variables:                       # every variable written, in this order
  USUBJID: {}                    # label, type, core from the ADaMIG (or the SDTMIG for copies)
  EASIBL: {label: Baseline EASI Total Score, type: Num}   # a sponsor variable
  SAFFL: {codelist: NY}          # values checked against a CDISC codelist
derivations:                     # named steps, run in this order
  baseline_flag:
    method: derive_var_extreme_flag
    by_vars: [STUDYID, USUBJID, PARAMCD]
    order: [ADT]
    new_var: ABLFL
    mode: last
    filter: {all: [{of: AVAL, missing: false}, {of: ADT, le: {of: TRTSDT}}]}
```

Before anything is derived, every step is checked against the variables of the SDTM files (read
from the XPT headers), of the ADaM datasets built before, and of the earlier steps; every
parameter (PARAMCD) a step reads must have been created by an earlier step; every listed
variable must be produced.  Mistakes are reported as `file:line, key '…': what is wrong`.
Variables a step derives but the spec does not list are working variables and are not written.
Derivations never add metadata: labels, types and lengths come from the standards and the spec.

**Conditions** are data, in the same grammar as the SDTM mappings
([mapping-language.md](mapping-language.md)): `{of: VAR, equals: V}`, `not_equals`,
`in: [..]`, `not_in`, `missing: true|false`, `lt`/`le`/`gt`/`ge` a number or `{of: VAR}`,
`between: [low, high]`, and for dates (numeric SAS dates or ISO text) `before`, `after`,
`on_or_before`, `on_or_after` a date (`2021-03-01`) or `{of: VAR}`; combined with `all: [..]`,
`any: [..]`, `not: {..}`.  A test on a missing value is false; text compares exactly.

**Values** (`set_values_to`) are operands, the grammar SDTM mappings use too: constants,
`{of: VARIABLE}` or `{value: X}`.  **Order**
lists variables, `desc(VAR)` for descending; missing values sort last.  **by_vars** may join
differently named variables as `{THIS: OTHER}`.

**analysis_overrides** in the study file replace a step (`name: {...}`, same place), remove
one (`name: null`), add one (`name: {after: other_step, method: ...}`), and remove or add
variables the same way.
"""


def _type(schema: dict[str, Any]) -> str:
    if schema.get("title") == "operand":
        return "operand"
    if "enum" in schema:
        return " / ".join(str(x) for x in schema["enum"])
    if "$ref" in schema:
        return "condition"
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(t)
    if t == "array":
        return "list"
    return t or "see description"


def reference_markdown() -> str:
    methods = all_methods()
    parts = [INTRO, "## Methods", "",
             "Every step also takes: " + "; ".join(
                 f"`{k}` — {v['description']}" for k, v in COMMON_PARAMS.items()) + ".", ""]
    families: dict[str, list] = {}
    for m in methods.values():
        families.setdefault(m.family, []).append(m)
    for family in sorted(families):
        parts.append(f"## Family: {family}\n")
        for m in sorted(families[family], key=lambda x: x.name):
            parts += [f"### `{m.name}`", "", m.summary, "", textwrap.dedent(m.doc), ""]
            if m.params:
                parts += ["| parameter | required | type | meaning |", "|---|---|---|---|"]
                for name, schema in m.params.items():
                    req = "yes" if name in m.required else ""
                    desc = schema.get("description", "").replace("|", "\\|")
                    parts.append(f"| `{name}` | {req} | {_type(schema)} | {desc} |")
                parts.append("")
            parts += ["```yaml", m.example, "```", ""]
    return "\n".join(parts).rstrip() + "\n"
