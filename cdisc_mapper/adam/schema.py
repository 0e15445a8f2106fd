"""JSON Schema of an ADaM spec file, built from the derivation registry.

An ADaM spec (``mappings/common/adam/adsl.yaml`` …) says what one ADaM dataset is and how it is
derived, in the same language family as the SDTM dataset mappings::

    dataset: ADEFF                     # the dataset name (at most 8 characters)
    structure: BDS                     # ADSL, BDS or OCCDS: the ADaMIG class it follows
    label: Efficacy Analysis Dataset   # optional for ADSL (the guide's label)
    description: ...                   # goes to define.xml; say the analysis rules here
    source: {dataset: QS, where: {...}}  # the records to start from (SDTM, or ADSL)
    keys: [STUDYID, USUBJID, PARAMCD, AVISITN, ADT]   # unique; the sort order of the file
    variables:                         # every variable written, in this order
      USUBJID: {}                      # from the ADaMIG (or, for copies, the SDTMIG)
      EASIBL: {label: Baseline EASI Total Score, type: Num}   # a sponsor variable
    derivations:                       # named steps, run in this order
      baseline_flag: {method: derive_var_extreme_flag, ...}

Step names let a study's ``analysis_overrides`` replace, remove (``null``) or add steps.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .conditions import CONDITION
from .registry import NAME, ORDER, all_methods

LABEL = {"type": "string", "minLength": 1, "maxLength": 40}
STEP_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
           "description": "a step name: lower case letters, digits and _"}
STRUCTURES = ("ADSL", "BDS", "OCCDS")


def step_schema() -> dict[str, Any]:
    methods = all_methods()
    return {
        "type": "object",
        "required": ["method"],
        "properties": {"method": {"enum": sorted(methods)}},
        "allOf": [{"if": {"properties": {"method": {"const": name}}, "required": ["method"]},
                   "then": m.schema()} for name, m in sorted(methods.items())],
    }


def variable_schema() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False,
        "properties": {
            "label": {**LABEL, "description": "only for variables the standards do not define"},
            "type": {"enum": ["Char", "Num"]},
            "format": {"type": "string", "pattern": "^\\$?[A-Z_]*[0-9]*\\.[0-9]*$",
                       "description": "SAS display format (numeric dates get DATE9. anyway)"},
            "codelist": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
                         "description": "a CDISC codelist the values must come from (e.g. NY)"},
            "comment": {"type": "string"},
        },
    }


def adam_schema() -> dict[str, Any]:
    from ..results.plan import SPEC_DEFS, SPEC_KEYS     # the analyses: keys of their own
    analyses = {k: v for k, v in SPEC_DEFS.items() if k != "condition"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cdisc-mapper/adam-spec",
        "title": "cdisc_mapper ADaM dataset spec",
        "type": "object",
        "additionalProperties": False,
        "required": ["dataset", "structure", "source", "variables", "derivations"],
        "properties": {
            "dataset": NAME,
            "structure": {"enum": list(STRUCTURES)},
            "label": LABEL,
            "description": {"type": "string"},
            "source": {"type": "object", "additionalProperties": False, "required": ["dataset"],
                       "properties": {"dataset": NAME,
                                      "where": {"$ref": "#/$defs/condition"}}},
            "keys": {"type": "array", "items": NAME, "minItems": 1},
            "order": {**ORDER, "description": "sort order of the records, if not the keys"},
            "variables": {"type": "object", "minProperties": 1, "propertyNames": NAME,
                          "additionalProperties": {"$ref": "#/$defs/variable"}},
            "derivations": {"type": "object", "propertyNames": STEP_ID,
                            "additionalProperties": {"$ref": "#/$defs/step"}},
            **SPEC_KEYS,
        },
        "$defs": {"condition": CONDITION, "step": step_schema(), "variable": variable_schema(),
                  **analyses},
    }


@cache
def schema() -> dict[str, Any]:
    return adam_schema()
