"""The mapping language: YAML read as data only, schema errors by file/line/key, docs in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdisc_mapper.errors import MappingError
from cdisc_mapper.mapping.docs import reference_markdown
from cdisc_mapper.mapping.validate import check
from cdisc_mapper.mapping.yamlfile import load_text
from cdisc_mapper.methods.registry import all_methods

ROOT = Path(__file__).resolve().parents[1]


def errors_of(text: str, kind: str = "dataset") -> list[str]:
    with pytest.raises(MappingError) as e:
        check(load_text(text, "x.yaml"), kind)
    return str(e.value).splitlines()


def test_yaml_1_2_scalars_keep_crf_answers_as_text():
    doc = load_text("a: Yes\nb: NO\nc: Y\nd: true\ne: 12\nf: 1.5\ng: ~\nh: '7'\n", "t.yaml")
    assert doc.data == {"a": "Yes", "b": "NO", "c": "Y", "d": True, "e": 12, "f": 1.5,
                        "g": None, "h": "7"}


def test_lines_are_remembered_for_every_key():
    doc = load_text("dataset: AE\nvariables:\n  AETERM:\n    method: assign\n", "t.yaml")
    assert doc.line(("variables", "AETERM", "method")) == 4
    assert doc.line(("variables", "AETERM", "missing", "deeper")) == 3


@pytest.mark.parametrize("text, expected", [
    ("a: !!python/object/apply:os.system ['echo hi']\n", "tag"),
    ("a: !custom 1\n", "tag"),
    ("a: &x 1\nb: *x\n", "aliases"),
    ("a: 1\na: 2\n", "written twice"),
    ("a: [1\n", "not valid YAML"),
    ("base: &b {x: 1}\nc:\n  <<: *b\n", "alias"),
])
def test_files_cannot_run_code_or_hide_values(text, expected):
    with pytest.raises(MappingError) as e:
        load_text(text, "evil.yaml")
    assert expected in str(e.value)
    assert str(e.value).startswith("evil.yaml:")


def test_unknown_method_is_named_with_a_suggestion_and_line():
    errs = errors_of("dataset: AE\nsource: ae\nvariables:\n  AETERM: {method: asign, from: X}\n")
    assert any("x.yaml:4" in e and "'asign'" in e and "did you mean 'assign'" in e for e in errs)


def test_missing_parameter_and_unknown_key_are_both_reported():
    errs = errors_of("dataset: AE\nsource: ae\nvariables:\n"
                     "  AESEV: {method: assign_ct, from: AESEV}\n"
                     "  AESER: {method: assign_ct, from: AESER, codelist: NY, mapp: {}}\n")
    assert any("x.yaml:4" in e and "variables.AESEV" in e and "'codelist'" in e for e in errs)
    assert any("x.yaml:5" in e and "mapp" in e and "did you mean 'map'" in e for e in errs)


def test_bad_variable_name_points_at_the_key():
    errs = errors_of("dataset: AE\nsource: ae\nvariables:\n  STUDYID: {method: study_id}\n"
                     "  aeterm: {method: assign, from: X}\n")
    assert errs == ["x.yaml:5, key 'variables.aeterm': key name 'aeterm' is not valid here: "
                    "expected an SDTM name: upper case, at most 8 characters"]


def test_condition_typo_is_found_deep_inside():
    errs = errors_of("dataset: AE\nsource: ae\nvariables:\n  AEENRTPT:\n    method: condition\n"
                     "    cases:\n      - when: {from: AEONGO, equls: 'Yes'}\n"
                     "        then: {value: ONGOING}\n")
    assert any("x.yaml:7" in e and "equls" in e for e in errs)


def test_source_and_blocks_are_exclusive():
    errs = errors_of("dataset: DS\nsource: ds\nblocks: [{source: ic}]\nvariables: {}\n")
    assert errs


def test_every_method_has_docs_example_and_valid_schema():
    import jsonschema
    for m in all_methods().values():
        assert m.doc and m.summary and m.example, m.name
        jsonschema.Draft202012Validator.check_schema(m.schema())
        # the example parses and validates as a variable entry of a dataset mapping
        first = m.example.split("\n")
        text = "dataset: AE\nsource: ae\nvariables:\n" + "\n".join(
            "  " + line for line in first if not line.startswith(first[0].split(":")[0] + ":")
            or line == first[0])
        doc = load_text(text, f"{m.name}-example.yaml")
        check(doc, "dataset")


def test_committed_reference_equals_a_fresh_generation():
    committed = (ROOT / "docs" / "mapping-language.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), "run `cdisc-map docs` to refresh the reference"


def test_sample_mappings_validate():
    from cdisc_mapper.mapping.study import load_study
    for f in sorted((ROOT / "mappings").glob("*/study.yaml")):
        study = load_study(f)
        assert {"DM", "AE", "EX", "DS", "SV"} <= set(study.datasets)
        assert {"QS"} <= set(study.datasets) or {"VS", "LB"} <= set(study.datasets)


def test_committed_adam_reference_equals_a_fresh_generation():
    from cdisc_mapper.adam.docs import reference_markdown as adam_reference
    committed = (ROOT / "docs" / "adam-language.md").read_text(encoding="utf-8")
    assert committed == adam_reference(), "run `cdisc-map docs` to refresh the reference"
