"""JSON Schemas of the mapping language, built from the method registry.

There are three kinds of file:

* a **study file** (``study.yaml``): the study's identity, design (arms, elements, epochs, visits),
  trial summary, inclusion criteria, dictionaries, where its raw data and shared mappings are;
* a **dataset mapping** (``dm.yaml``, ``qs.yaml`` …): how one SDTM dataset is built;
* a **codelist file**: the study's sponsor-defined codelists and extensions of CDISC codelists.

The schemas are generated so that the per-method parameter schemas live next to the methods
(one source of truth), and are written out by ``cdisc-map schema`` for editors.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..methods.conditions import CONDITION
from ..methods.dates import DATE_FORMAT, PIVOT
from ..methods.registry import RAW_COLUMN
from ..methods.registry import all_methods
from ..standards.classes import CUSTOM_CLASSES
from .terminology import TERMINOLOGY_SCHEMA

NAME = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$",
        "description": "an SDTM name: upper case, at most 8 characters"}
LABEL = {"type": "string", "minLength": 1, "maxLength": 40}
FORM = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
        "description": "a raw form: its file name without the extension (or a form "
                       "declared under forms:)"}


def variable_schema() -> dict[str, Any]:
    methods = all_methods()
    return {
        "type": "object",
        "required": ["method"],
        "properties": {"method": {"enum": sorted(methods)}},
        "allOf": [{"if": {"properties": {"method": {"const": name}}, "required": ["method"]},
                   "then": m.schema()} for name, m in sorted(methods.items())],
    }


def _supp_variable() -> dict[str, Any]:
    var = variable_schema()
    extra = {"label": {**LABEL, "description": "QLABEL of the supplemental qualifier"},
             "origin": {"enum": ["Collected", "Derived", "Assigned", "Protocol"]},
             "evaluator": {"type": "string", "description": "QEVAL"}}
    then = []
    for clause in var["allOf"]:
        t = dict(clause["then"])
        t["properties"] = {**t["properties"], **extra}
        t["required"] = [*t["required"], "label"]
        then.append({"if": clause["if"], "then": t})
    return {**var, "allOf": then}


def dataset_schema() -> dict[str, Any]:
    variables = {"type": "object", "propertyNames": NAME,
                 "additionalProperties": {"$ref": "#/$defs/variable"}}
    values = {"type": "object", "propertyNames": NAME,
              "additionalProperties": {"$ref": "#/$defs/variable"},
              "description": "named intermediate values: derived like variables (`of:` uses "
                             "them), never written"}
    block = {"type": "object", "additionalProperties": False, "required": ["source"],
             "properties": {
                 "name": {"type": "string"},
                 "source": FORM,
                 "where": {"$ref": "#/$defs/condition"},
                 "stack": {"$ref": "#/$defs/stack"},
                 "values": values,
                 "variables": variables}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cdisc-mapper/dataset-mapping",
        "title": "cdisc_mapper dataset mapping",
        "type": "object",
        "additionalProperties": False,
        "required": ["dataset", "variables"],
        "properties": {
            "dataset": NAME,
            "class": {"enum": list(CUSTOM_CLASSES),
                      "description": "for a sponsor-defined domain (XA, XE ...): its general "
                                     "observation class, which gives its variables"},
            "label": {**LABEL, "description": "the dataset label of a sponsor-defined domain"},
            "labels": {"type": "object", "propertyNames": NAME, "additionalProperties": LABEL,
                       "description": "variable labels of a sponsor-defined domain where the "
                                      "class label does not fit: {XATESTCD: Skin Test Code}"},
            "description": {"type": "string"},
            "source": FORM,
            "where": {"$ref": "#/$defs/condition"},
            "stack": {"$ref": "#/$defs/stack"},
            "keys": {"type": "array", "items": NAME, "minItems": 1},
            "order": {"type": "array", "items": NAME, "minItems": 1,
                      "description": "sort order of the records (and of --SEQ); default keys"},
            "values": values,
            "variables": variables,
            "blocks": {"type": "array", "items": block, "minItems": 1},
            "supp": {"type": "object", "propertyNames": NAME,
                     "additionalProperties": {"$ref": "#/$defs/supp"}},
        },
        "oneOf": [{"required": ["source"], "not": {"required": ["blocks"]}},
                  {"required": ["blocks"], "not": {"required": ["source"]}}],
        "$defs": {
            "variable": variable_schema(),
            "supp": _supp_variable(),
            "stack": {
                "type": "object", "additionalProperties": False, "required": ["columns"],
                "description": "turn the listed columns of a wide form into one record each",
                "properties": {
                    "columns": {"type": "object", "minProperties": 1,
                                "additionalProperties": {
                                    "type": "object",
                                    "additionalProperties": {"anyOf": [
                                        {"type": ["string", "number", "null"]},
                                        {"type": "object", "required": ["from"],
                                         "additionalProperties": False,
                                         "properties": {"from": RAW_COLUMN}}]}}},
                    "keep_missing": {"type": "boolean"}}},
            "condition": CONDITION,
        },
    }


def codelists_schema() -> dict[str, Any]:
    term = {"type": "object", "additionalProperties": False, "required": ["value"],
            "properties": {"value": {"type": ["string", "number"]},
                           "decode": {"type": "string"},
                           "code": {"type": "string", "pattern": "^C[0-9]+$"}}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cdisc-mapper/codelists",
        "title": "cdisc_mapper sponsor codelists",
        "type": "object", "additionalProperties": False, "required": ["codelists"],
        "properties": {"codelists": {
            "type": "object", "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["terms"],
                "properties": {
                    "name": {"type": "string"},
                    "extends": {"type": "string", "description": "a CDISC codelist this list "
                                "adds sponsor terms to (it must be extensible)"},
                    "data_type": {"enum": ["text", "integer", "float"]},
                    "terms": {"type": "array", "minItems": 1, "items": term}}}}},
    }


def study_schema() -> dict[str, Any]:
    rule = {"type": "string", "minLength": 1}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cdisc-mapper/study",
        "title": "cdisc_mapper study file",
        "type": "object", "additionalProperties": False,
        "required": ["study", "subject"],
        "properties": {
            "study": {"type": "object", "additionalProperties": False,
                      "required": ["id", "title", "raw"],
                      "properties": {
                          "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$"},
                          "title": {"type": "string"},
                          "protocol": {"type": "string"},
                          "raw": {"type": "string", "description": "folder of the raw forms "
                                  "(CSV, XLSX, SAS7BDAT, XPT, Parquet, ODM-XML), relative to "
                                  "this file"},
                          "include": {"type": "array", "items": {"type": "string"},
                                      "description": "folders or files of shared mappings"},
                          "analysis": {"type": "array", "items": {"type": "string"},
                                       "description": "folders or files of ADaM specs"}}},
            "forms": {"type": "object", "description": "raw forms read from a declared file or "
                      "format (default: <form>.csv, .xlsx, .sas7bdat, .xpt or .parquet in raw)",
                      "additionalProperties": {
                          "type": "object", "additionalProperties": False,
                          "properties": {
                              "file": {"type": "string", "minLength": 1,
                                       "description": "relative to the raw folder"},
                              "format": {"enum": ["csv", "xlsx", "sas7bdat", "xpt", "parquet",
                                                  "odm"]},
                              "delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
                              "encoding": {"type": "string", "minLength": 1},
                              "sheet": {"type": "string", "minLength": 1},
                              "item_group": {"type": "string", "minLength": 1},
                              "columns": {"enum": ["oid", "name"]},
                              "subject_key": {"type": "string", "minLength": 1}}}},
            "subject": {"type": "object", "additionalProperties": False,
                        "required": ["id"],
                        "properties": {
                            "id": {"type": "string", "description": "the raw column of the "
                                   "subject number, in every form"},
                            "site": {"type": "string"},
                            "separator": {"type": "string"},
                            "usubjid": {
                                "description": "the USUBJID rule, written once: {parts: "
                                "[STUDYID, SITE, SUBJECT], separator: '-'} (STUDYID is the study "
                                "identifier, other parts raw columns) or {from: COLUMN} (a raw "
                                "column as it is); default the study identifier and `id`",
                                "oneOf": [
                                    {"type": "object", "additionalProperties": False,
                                     "required": ["parts"],
                                     "properties": {"parts": {"type": "array", "minItems": 1,
                                                              "items": {"type": "string"}},
                                                    "separator": {"type": "string"}}},
                                    {"type": "object", "additionalProperties": False,
                                     "required": ["from"],
                                     "properties": {"from": {"type": "string"}}}]}}},
            "terminology": TERMINOLOGY_SCHEMA,
            "relrec": {"type": "array", "minItems": 1,
                       "description": "related records (RELREC) between any datasets: "
                                      "[{relid: AECM, link: {AE: AELNKID, CM: CMLNKID}}] relates "
                                      "a subject's records whose link variables are equal (IDVAR "
                                      "--SEQ); level: dataset gives one record per dataset with "
                                      "RELTYPE ONE/MANY",
                       "items": {"type": "object", "additionalProperties": False,
                                 "required": ["relid", "link"],
                                 "properties": {
                                     "relid": {"type": "string", "minLength": 1,
                                               "maxLength": 190},
                                     "link": {"type": "object", "minProperties": 2,
                                              "propertyNames": NAME,
                                              "additionalProperties": NAME},
                                     "level": {"enum": ["record", "dataset"]}}}},
            "dates": {"type": "object", "additionalProperties": False,
                      "description": "how the EDC writes dates, for every date method that does "
                                     "not say otherwise: {format: MM/DD/YYYY, pivot: 1940}",
                      "properties": {"format": DATE_FORMAT, "pivot": PIVOT}},
            "units": {"type": "object", "propertyNames": {"type": "string", "minLength": 1},
                      "description": "per test code: the standard unit and how each collected "
                                     "unit converts to it, for convert_unit: {WEIGHT: {standard: "
                                     "kg, from: {LB: 0.45359237}}, TEMP: {standard: C, from: {F: "
                                     "{subtract: 32, divisor: 1.8}}}} — standard = (original − "
                                     "subtract) × factor ÷ divisor; a number is the factor",
                      "additionalProperties": {
                          "type": "object", "additionalProperties": False,
                          "required": ["standard"],
                          "properties": {"standard": {"type": "string", "minLength": 1},
                                         "from": {"type": "object",
                                                  "additionalProperties": {"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                              {"type": "object", "additionalProperties": False,
                               "minProperties": 1,
                               "properties": {"factor": {"type": "number"},
                                              "divisor": {"type": "number",
                                                          "exclusiveMinimum": 0},
                                              "subtract": {"type": "number"}}}]}}}}},
            "not_assigned": {"type": "object", "minProperties": 1,
                             "propertyNames": {"type": "string", "minLength": 1},
                             "additionalProperties": {"type": "string"},
                             "description": "raw treatment group codes that are no arm, with "
                                            "the reason (ARMNRS, codelist ARMNULRS): "
                                            "{SCRNFAIL: SCREEN FAILURE}; ARMCD and ARM stay "
                                            "null for them"},
            "dictionaries": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["file"],
                "properties": {"file": {"type": "string"}, "name": {"type": "string"},
                               "version": {"type": "string"}}}},
            "elements": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["etcd", "element", "start", "epoch"],
                "properties": {"etcd": {"type": "string", "maxLength": 8},
                               "element": {"type": "string", "maxLength": 200},
                               "start": rule, "end": rule,
                               "duration": {"type": "string", "pattern": "^P"},
                               "epoch": {"type": "string"}}}},
            "arms": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["armcd", "arm", "code", "elements"],
                "properties": {"armcd": {"type": "string", "maxLength": 20},
                               "arm": {"type": "string", "maxLength": 200},
                               "code": {"type": ["string", "number"],
                                        "description": "the raw treatment group code"},
                               "treatment": {"type": "string"},
                               "branch": {"type": "string"},
                               "elements": {"type": "array", "items": {"type": "string"},
                                            "minItems": 1}}}},
            "epochs": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["epoch", "start"],
                "properties": {"epoch": {"type": "string"}, "start": NAME,
                               "days_after": {"type": "integer", "minimum": 0}}}},
            "visits": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "required": ["visitnum", "visit", "raw", "epoch"],
                "properties": {"visitnum": {"type": "number"}, "visit": {"type": "string"},
                               "raw": {"type": "array", "items": {"type": "string"},
                                       "minItems": 1},
                               "day": {"type": "integer"}, "epoch": {"type": "string"},
                               "start": rule, "end": rule,
                               "arms": {"type": "array", "items": {"type": "string"}}}}},
            "trial_summary": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "required": ["parmcd"],
                "properties": {
                    "parmcd": {"type": "string", "maxLength": 8},
                    "value": {"type": ["string", "number"]},
                    "codelist": {"type": "string"},
                    "reference": {"type": "string", "description": "TSVCDREF when not CDISC CT"},
                    "code": {"type": "string", "description": "TSVALCD in that reference "
                             "(e.g. the registry identifier or the ISO 3166 code)"},
                    "version": {"type": "string", "description": "TSVCDVER of that reference"},
                    "null_flavor": {"enum": ["NA", "NI", "UNK", "PINF", "NINF", "OTH", "MSK"]},
                    "derive": {"type": "object", "additionalProperties": False,
                               "required": ["dataset", "stat"],
                               "properties": {"dataset": NAME, "variable": NAME,
                                              "stat": {"enum": ["min", "max", "count"]}}}},
                "oneOf": [{"required": ["value"]}, {"required": ["derive"]},
                          {"required": ["null_flavor"]}]}},
            "inclusion": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["testcd", "test", "category"],
                "properties": {"testcd": {"type": "string", "maxLength": 8},
                               "test": {"type": "string", "maxLength": 200},
                               "category": {"enum": ["INCLUSION", "EXCLUSION"]},
                               "version": {"type": "string"}}}},
            "analysis_overrides": {"type": "object", "propertyNames": NAME,
                                   "additionalProperties": {"type": "object"},
                                   "description": "per ADaM dataset: derivations that replace "
                                                  "the shared spec's"},
            "overrides": {"type": "object", "propertyNames": NAME,
                          "additionalProperties": {"type": "object"},
                          "description": "per dataset: variables (and supp) that replace the "
                                         "shared mapping's"},
        },
    }


@cache
def schemas() -> dict[str, dict[str, Any]]:
    from ..define.schema import define_schema   # the study-level define files (define/*.yaml)

    return {"study": study_schema(), "dataset": dataset_schema(),
            "codelists": codelists_schema(), "define": define_schema()}
