"""The study file's terminology declaration: CT version and sponsor synonyms."""

from __future__ import annotations

import pytest

from cdisc_mapper.engine.run import build_study
from cdisc_mapper.errors import MappingError
from cdisc_mapper.standards import bundled_ct_version

import minimal

VS = minimal.VS
VS_FORM = ("SUBJECT,TEST,RES,UNIT,DAT\n01-001,WEIGHT,150,lbs,01 MAR 2021\n"
           "01-002,WEIGHT,70,kg,01 MAR 2021\n")
UNITS = "units:\n  WEIGHT: {standard: kg, from: {LB: 0.45359237}}\n"
AE_FORM = ("SUBJECT,AETERM,AESEV,AESTDAT\n01-001,Headache,Grade 1,12 MAR 2021\n"
           "01-002,Nausea,SEVERE,05 MAR 2021\n")
SYNONYMS = """\
terminology:
  version: {version}
  synonyms:
    UNIT: {{lbs: LB}}
    AESEV: {{"grade 1": MILD}}
"""


def _build(tmp_path, study_extra: str):
    return build_study(minimal.write(tmp_path, study=minimal.STUDY + UNITS + study_extra,
                                     mappings={"vs": VS}, forms={"vs": VS_FORM, "ae": AE_FORM}))


def test_without_synonyms_the_legacy_spellings_are_refused(tmp_path):
    state, finals, _ = _build(tmp_path, "")
    bad = {(p.variable, p.value) for p in state.problems}
    assert ("AESEV", "Grade 1") in bad
    assert ("VSORRESU", "lbs") in bad


def test_synonyms_accept_the_raw_value_and_write_the_ct_term(tmp_path):
    state, finals, _ = _build(tmp_path, SYNONYMS.format(version=bundled_ct_version()))
    assert not [p for p in state.problems if p.variable in ("AESEV", "VSORRESU", "VSSTRESN")]
    assert finals["AE"].data["AESEV"].tolist() == ["MILD", "SEVERE"]
    vs = finals["VS"].data
    assert vs["VSORRESU"].tolist() == ["LB", "kg"]
    # the unit conversion sees the CDISC term, so the study's table (from LB) applies
    assert vs["VSSTRESN"].tolist() == [68.04, 70.0]
    assert vs["VSSTRESU"].tolist() == ["kg", "kg"]
    assert state.ct_version == bundled_ct_version()


def _error(tmp_path, extra: str) -> str:
    with pytest.raises(MappingError) as e:
        _build(tmp_path, extra)
    errors = getattr(e.value, "errors", None) or [e.value]
    return "\n".join(x.render() for x in errors)


def test_a_version_other_than_the_package_in_use_is_an_error(tmp_path):
    msg = _error(tmp_path, "terminology: {version: 2024-09-27}\n")
    assert "study.yaml:" in msg and "terminology.version" in msg
    assert f"the study declares CT 2024-09-27 but the package in use is " \
           f"{bundled_ct_version()} (bundled)" in msg
    assert "--ct" in msg


def test_a_version_that_is_not_a_date_is_an_error(tmp_path):
    msg = _error(tmp_path, "terminology: {version: latest}\n")
    assert "study.yaml:" in msg and "terminology.version" in msg


def test_bad_synonyms_are_located_errors(tmp_path):
    extra = ("terminology:\n  synonyms:\n    UNIT: {lbs: POUNDS, kg: g}\n"
             "    NOSUCHLIST: {a: b}\n    AESEV: {sev: severe}\n")
    msg = _error(tmp_path, extra)
    lines = msg.splitlines()
    assert any("terminology.synonyms.UNIT.lbs" in ln and "'POUNDS' is not a term of codelist "
               "UNIT" in ln for ln in lines), msg
    assert any("terminology.synonyms.UNIT.kg" in ln and "'kg' is already the term 'kg'" in ln
               for ln in lines), msg
    assert any("terminology.synonyms.NOSUCHLIST" in ln and "unknown codelist 'NOSUCHLIST'" in ln
               for ln in lines), msg
    assert any("'severe' is not a term of codelist AESEV (did you mean 'SEVERE'?)" in ln
               for ln in lines), msg
    assert all(ln.split(":")[0].endswith("study.yaml") for ln in lines if "terminology" in ln)


def test_terminology_file_is_loaded_and_its_version_checked(tmp_path):
    extra = "terminology: {version: 2025-03-28, file: ct/SDTM_Terminology_2025-03-28.txt}\n"
    msg = _error(tmp_path, extra)
    assert "terminology.file" in msg and "controlled terminology file not found" in msg


# ------------------------------------------------------------------ validate: the CT version used

def _package(tmp_path, mutate=None):
    from all_datasets import write_package
    from validate_defects import make_define
    pkg = tmp_path / "pkg"
    write_package(pkg, datasets=("DM", "AE"))
    make_define(pkg, mutate=mutate)
    return pkg


def _validate(pkg, **kw):
    from cdisc_mapper.validate import validate
    return validate(pkg, only=["CM0020"], **kw)


def test_validate_honours_the_ct_version_the_define_declares(tmp_path):
    r = _validate(_package(tmp_path))
    ct = r.header()["controlled_terminology"]
    assert ct["version"] == bundled_ct_version()
    assert ct["source"] == "bundled, the version the define.xml declares"
    assert ct["declared_by_define"] == [{"publishing_set": "SDTM", "version": "2025-03-28",
                                         "oid": "STD.2"}]
    assert ct["notes"] == []
    assert f"CT {bundled_ct_version()}" in r.summary()


def test_validate_says_when_it_does_not_have_the_declared_version(tmp_path, capsys):
    pkg = _package(tmp_path, mutate=lambda x: x.replace('Version="2025-03-28"',
                                                        'Version="2024-09-27"'))
    r = _validate(pkg, out=tmp_path / "rep", formats=("json", "html", "junit"))
    ct = r.header()["controlled_terminology"]
    assert ct["source"] == "bundled"
    note = (f"the define.xml declares SDTM CT 2024-09-27; this product bundles SDTM CT "
            f"{bundled_ct_version()} only: terms were checked against {bundled_ct_version()} "
            "(pass the 2024-09-27 package with --ct to check against it)")
    assert ct["notes"] == [note]
    import json
    rep = json.loads((tmp_path / "rep" / "validation.json").read_text(encoding="utf-8"))
    assert rep["controlled_terminology"]["notes"] == [note]
    assert "2024-09-27 package with --ct" in (tmp_path / "rep" / "validation.html").read_text(
        encoding="utf-8")
    # the console summary of `cdisc-map validate` says it too
    from cdisc_mapper.cli import main
    main(["validate", str(pkg), "--disable", "metadata,terminology,identity,dates"])
    out = capsys.readouterr().out
    assert f"CT {bundled_ct_version()} (bundled)" in out
    assert f"  note: {note}" in out


def test_validate_notes_a_define_without_ct(tmp_path):
    import re
    pkg = _package(tmp_path, mutate=lambda x: re.sub(
        r'<def:Standard OID="STD.2"[^>]*/>', "", x).replace(' def:StandardOID="STD.2"', ""))
    r = _validate(pkg)
    assert r.header()["controlled_terminology"]["notes"] == [
        "the define.xml declares no CT package (def:Standard Type=\"CT\"): terms were checked "
        "against the CT in use"]
