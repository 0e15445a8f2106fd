"""JSON Schema of the study-level define files (``define/<STUDYID>.yaml``, ``define/common.yaml``).

These files hold what the mappings cannot carry: the standards and controlled-terminology versions
a package claims, the documents that travel with it (annotated CRF, reviewer's guides, SAP), free
comments on datasets, variables, codelists and dictionaries, which raw forms the subject fills in
(``def:Origin Source="Subject"``), and the descriptions of the analysis results (ARM).  It is
registered as the ``define`` kind of :func:`cdisc_mapper.mapping.schema.schemas`, so these files
are checked and reported by file, line and key exactly like the mappings.
"""

from __future__ import annotations

from typing import Any

NAME = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}$",
        "description": "a dataset or variable name: upper case, at most 8 characters"}
TEXT = {"type": "string", "minLength": 1}
FORM = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
        "description": "a raw form: the CSV file name without .csv"}
PACKAGES = ["tabulation", "analysis"]


def _ct() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["publishing_set", "version"],
            "properties": {"publishing_set": {"enum": ["SDTM", "ADaM", "SEND", "CDASH",
                                                       "DEFINE-XML"]},
                           "version": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                       "description": "the package date, YYYY-MM-DD"},
                           "comment": TEXT}}


def _standard() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {"name": {"enum": ["SDTMIG", "ADaMIG", "SENDIG"]},
                           "version": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)*$"},
                           "comment": TEXT,
                           "ct": {"type": "array", "minItems": 1, "items": _ct()}}}


def _pages() -> dict[str, Any]:
    return {"type": ["integer", "string"],
            "description": "a page number (physical page) or a named destination in the PDF"}


def _document_ref() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["document"],
            "properties": {"document": {"type": "string", "description": "a key of 'documents'"},
                           "pages": _pages(), "title": TEXT}}


def _where() -> dict[str, Any]:
    value = {"type": ["string", "number"]}
    return {"type": "object", "minProperties": 1, "propertyNames": NAME,
            "additionalProperties": {"anyOf": [value, {"type": "array", "minItems": 1,
                                                       "items": value}]},
            "description": "VARIABLE: value (EQ) or VARIABLE: [values] (IN); all must hold"}


def _result() -> dict[str, Any]:
    dataset = {"type": "object", "additionalProperties": False, "required": ["dataset"],
               "properties": {"dataset": NAME, "where": _where(),
                              "variables": {"type": "array", "items": NAME}}}
    return {"type": "object", "additionalProperties": False,
            "required": ["description", "reason", "purpose", "datasets"],
            "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                "description": TEXT,
                "reason": {"type": "string", "minLength": 1,
                           "examples": ["SPECIFIED IN PROTOCOL", "SPECIFIED IN SAP",
                                        "DATA DRIVEN", "REQUESTED BY REGULATORY AGENCY"]},
                "purpose": {"type": "string", "minLength": 1,
                            "examples": ["PRIMARY OUTCOME MEASURE", "SECONDARY OUTCOME MEASURE",
                                         "EXPLORATORY OUTCOME MEASURE"]},
                "parameter": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,7}\\.[A-Z][A-Z0-9_]{0,7}$",
                              "description": "DATASET.VARIABLE holding the parameter, e.g. "
                                             "ADEASI.PARAMCD"},
                "datasets": {"type": "array", "minItems": 1, "items": dataset},
                "join": {**TEXT, "description": "how the analysis datasets are joined"},
                "documentation": {"type": "object", "additionalProperties": False,
                                  "required": ["text"],
                                  "properties": {"text": TEXT,
                                                 "refs": {"type": "array",
                                                          "items": _document_ref()}}},
                "code": {"type": "object", "additionalProperties": False,
                         "properties": {"context": TEXT, "text": TEXT,
                                        "refs": {"type": "array", "items": _document_ref()}},
                         "anyOf": [{"required": ["text"]}, {"required": ["refs"]}]}}}


def define_schema() -> dict[str, Any]:
    comments = {"type": "object", "additionalProperties": TEXT}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "cdisc-mapper/define",
        "title": "cdisc_mapper study-level define.xml content",
        "type": "object", "additionalProperties": False, "required": ["define"],
        "properties": {
            "define": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "study": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$",
                              "description": "the study id (required in a study's own file)"},
                    "include": {"type": "array", "items": {"type": "string"},
                                "description": "define files (relative to this one) whose "
                                               "content this file extends"},
                    "originator": TEXT,
                    "context": {"enum": ["Submission", "Other"]},
                    "description": TEXT}},
            "standards": {"type": "object", "additionalProperties": False,
                          "properties": {p: _standard() for p in PACKAGES}},
            "collected_by_subject": {
                "type": "array", "items": FORM,
                "description": "raw forms the subject completes (origin source Subject); "
                               "every other collected form is completed by the investigator"},
            "documents": {
                "type": "object", "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
                "additionalProperties": {
                    "type": "object", "additionalProperties": False,
                    "required": ["file", "title", "kind", "packages"],
                    "properties": {
                        "file": {"type": "string", "pattern": "^[^/\\\\]+$",
                                 "description": "file name in the package folder"},
                        "title": TEXT,
                        "kind": {"enum": ["annotated_crf", "supplemental", "other"]},
                        "packages": {"type": "array", "minItems": 1,
                                     "items": {"enum": PACKAGES}},
                        "pages": {"type": "object", "propertyNames": FORM,
                                  "additionalProperties": _pages(),
                                  "description": "annotated CRF: page of each raw form"}}}},
            "comments": {"type": "object", "additionalProperties": False, "properties": {
                "study": TEXT,
                "datasets": {"type": "object", "propertyNames": NAME,
                             "additionalProperties": TEXT},
                "variables": {"type": "object",
                              "propertyNames": {"pattern": "^[A-Z][A-Z0-9_]{0,7}\\.[A-Z][A-Z0-9_]{0,7}$"},
                              "additionalProperties": TEXT,
                              "description": "DATASET.VARIABLE: comment"},
                "codelists": comments,
                "dictionaries": comments}},
            "analysis_results": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": False,
                          "required": ["display", "title", "results"],
                          "properties": {
                              "display": {"type": "string", "minLength": 1,
                                          "description": "display name, e.g. Table 14.2.1.1"},
                              "title": TEXT,
                              "refs": {"type": "array", "items": _document_ref()},
                              "results": {"type": "array", "minItems": 1,
                                          "items": _result()}}}},
        },
    }
