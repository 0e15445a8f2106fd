"""ADaM specs as a language: checked before anything runs, errors by file/line/key, overrides,
and nothing half-written."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from test_adam_support import ROOT, converted
from cdisc_mapper.adam.loader import load_specs
from cdisc_mapper.adam.run import convert_adam
from cdisc_mapper.errors import CdiscMapperError, DataError, MappingError
from cdisc_mapper.mapping.study import load_study

STUDY = "ADT2002-P1"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the mappings (so that a test can break one file)."""
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _convert(project: Path, out: Path | None = None):
    study = load_study(project / "mappings" / STUDY / "study.yaml")
    return convert_adam(study, converted() / STUDY / "tabulations" / "sdtm",
                        out or project / "out", created=datetime(2023, 1, 1))


def _error(project: Path) -> CdiscMapperError:
    with pytest.raises(CdiscMapperError) as e:
        _convert(project)
    assert not (project / "out" / "analysis" / "adam" / "datasets").exists()
    return e.value


def _line_of(path: Path, text: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(text)


def test_language_1_specs_load_with_the_studys_overrides():
    study = load_study(ROOT / "mappings" / STUDY / "study.yaml")
    specs = load_specs(study)
    assert sorted(specs) == ["ADAE", "ADEFF", "ADSL"]
    steps = list(specs["ADSL"].data["derivations"])
    assert steps.index("treatment_numbers") == steps.index("treatment_arms") + 1
    assert "week12_nonresponse" not in specs["ADEFF"].data["derivations"]
    assert "DTYPE" not in specs["ADEFF"].data["variables"]
    p2 = load_specs(load_study(ROOT / "mappings" / "ADT2002-P2" / "study.yaml"))
    assert "week12_nonresponse" in p2["ADEFF"].data["derivations"]


def test_language_2_a_missing_sdtm_variable_is_named_by_file_line_and_key(project):
    spec = project / "mappings" / "common" / "adam" / "adsl.yaml"
    _edit(spec, "new_vars: {TRTSDTC: EXSTDTC}", "new_vars: {TRTSDTC: EXSTDTX}")
    err = _error(project)
    assert isinstance(err, MappingError)
    line = _line_of(spec, "EXSTDTX")
    assert str(err).startswith(f"mappings/common/adam/adsl.yaml:{line}, key "
                               "'derivations.first_infusion.new_vars.TRTSDTC'")
    assert "SDTM dataset EX has no variable EXSTDTX" in str(err)


def test_language_3_a_variable_of_the_dataset_being_built_is_checked_too(project):
    spec = project / "mappings" / "common" / "adam" / "adeff.yaml"
    _edit(spec, "    filter: {of: ABLFL, equals: \"Y\"}", "    filter: {of: ABLXFL, equals: \"Y\"}")
    err = _error(project)
    assert "adeff.yaml:" in str(err) and "derivations.baseline_visit.filter.of" in str(err)
    assert "ABLXFL is not a variable of ADEFF at this step" in str(err)


def test_language_4_a_parameter_with_no_source_is_an_error(project):
    spec = project / "mappings" / "common" / "adam" / "adeff.yaml"
    _edit(spec, "    source_param: IGA\n", "    source_param: IGAS\n")
    err = _error(project)
    line = _line_of(spec, "source_param: IGAS")
    assert f"adeff.yaml:{line}" in str(err)
    assert "parameter 'IGAS' has no source" in str(err)


def test_language_5_a_parameter_named_only_in_the_parameter_table_is_an_error(project):
    spec = project / "mappings" / "common" / "adam" / "adeff.yaml"
    _edit(spec, "      - {PARAMCD: BSA, PARAMN: 7,",
          "      - {PARAMCD: SCORAD, PARAMN: 10, PARAM: SCORAD}\n      - {PARAMCD: BSA, PARAMN: 7,")
    err = _error(project)
    assert "parameter 'SCORAD' has no source" in str(err)
    assert "key 'derivations.parameters.lookup." in str(err)


def test_language_6_an_unknown_method_gets_a_suggestion(project):
    spec = project / "mappings" / "common" / "adam" / "adae.yaml"
    _edit(spec, "method: derive_var_trtemfl", "method: derive_var_trtemflag")
    err = _error(project)
    line = _line_of(spec, "derive_var_trtemflag")
    assert f"mappings/common/adam/adae.yaml:{line}" in str(err)
    assert "did you mean 'derive_var_trtemfl'" in str(err)


def test_language_7_a_sponsor_variable_needs_its_label_and_a_standard_one_keeps_its_own(project):
    spec = project / "mappings" / "common" / "adam" / "adsl.yaml"
    _edit(spec, "EASIBL: {label: Baseline EASI Total Score, type: Num}", "EASIBL: {type: Num}")
    err = _error(project)
    assert "EASIBL is not an ADaMIG 1.3 ADSL variable" in str(err) and "give its label" in str(err)
    _edit(spec, "EASIBL: {type: Num}", "EASIBL: {label: Baseline EASI Total Score, type: Num}")
    _edit(spec, "  AGE: {}", "  AGE: {label: Age in Years}")
    err = _error(project)
    assert "AGE is defined by ADaMIG 1.3 ADSL" in str(err)


def test_language_8_required_variables_and_listed_but_never_produced(project):
    spec = project / "mappings" / "common" / "adam" / "adsl.yaml"
    _edit(spec, "  SITEID: {}\n", "")
    err = _error(project)
    assert "SITEID (Study Site Identifier) is required" in str(err)
    _edit(spec, "  AGE: {}\n", "  SITEID: {}\n  AGE: {}\n  AGEX: {label: Age X, type: Num}\n")
    err = _error(project)
    assert "AGEX is listed but nothing produces it" in str(err)


def test_language_9_override_errors_name_the_study_file(project):
    study = project / "mappings" / STUDY / "study.yaml"
    _edit(study, "      week12_nonresponse: null", "      week12_nonresponce: null")
    err = _error(project)
    line = _line_of(study, "week12_nonresponce")
    assert str(err).startswith(f"mappings/{STUDY}/study.yaml:{line}")
    assert "cannot remove derivation 'week12_nonresponce'" in str(err)


def test_language_10_a_step_added_by_an_override_is_checked_with_the_study_files_line(project):
    study = project / "mappings" / STUDY / "study.yaml"
    _edit(study, "          - {when: {of: ARMCD, equals: HIGH}, set_values_to: {TRT01PN: 1}}",
          "          - {when: {of: ARMCDX, equals: HIGH}, set_values_to: {TRT01PN: 1}}")
    err = _error(project)
    line = _line_of(study, "ARMCDX")
    assert str(err).startswith(f"mappings/{STUDY}/study.yaml:{line}")


def test_language_11_data_errors_name_the_step_and_nothing_is_written(project):
    spec = project / "mappings" / "common" / "adam" / "adsl.yaml"
    _edit(spec, "    order: [EXSTDTC, EXSEQ]\n    mode: first\n", "")
    err = _error(project)
    assert isinstance(err, DataError)
    assert "adsl.yaml:" in str(err) and "derivations.first_infusion" in str(err)
    assert "records for" in str(err)


def test_language_12_a_failed_run_keeps_the_previous_datasets(project):
    first = _convert(project)
    before = {f.name: f.read_bytes() for f in first.datasets_dir.iterdir()}
    spec = project / "mappings" / "common" / "adam" / "adeff.yaml"
    _edit(spec, "set_values_to: {AVISIT: Baseline, AVISITN: 0}",
          "set_values_to: {AVISIT: Baseline, AVISITN: 0, ABLFL: 'YES'}")
    with pytest.raises(DataError, match="not a term of codelist NY"):
        _convert(project)
    after = {f.name: f.read_bytes() for f in first.datasets_dir.iterdir()}
    assert before == after
    leftovers = [p.name for p in first.datasets_dir.parent.iterdir() if p.name != "datasets"]
    assert leftovers == []


def test_language_13_yaml_that_could_run_code_is_refused(project):
    spec = project / "mappings" / "common" / "adam" / "adae.yaml"
    _edit(spec, "label: Adverse Events Analysis Dataset",
          "label: !!python/object/apply:os.system ['echo hi']")
    err = _error(project)
    assert "tag" in str(err) and "adae.yaml:" in str(err)


def test_language_14_a_study_without_adam_specs_writes_nothing(project):
    study = project / "mappings" / STUDY / "study.yaml"
    _edit(study, "  analysis: [../common/adam]\n", "")
    text = study.read_text(encoding="utf-8")
    study.write_text(text[:text.index("analysis_overrides:")], encoding="utf-8")
    res = _convert(project)
    assert res.files == [] and not (project / "out").exists()
    from cdisc_mapper.errors import UsageError
    with pytest.raises(UsageError, match="SDTM folder not found"):
        convert_adam(load_study(study), project / "nowhere", project / "out",
                     created=datetime(2023, 1, 1))
