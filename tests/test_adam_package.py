"""The written ADaM datasets of the two sample studies: read back from the files and checked
against the ADaMIG 1.3 metadata in the reference folder, the SDTM they come from, and the
analysis rules of the specs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from test_adam_support import CREATED, STUDIES, adam_dir, converted, read_adam
from cdisc_mapper.io.datasetjson import check_dataset_json
from cdisc_mapper.io.xpt_header import read_xpt_header

DATASETS = ("ADSL", "ADAE", "ADEFF")


def sdtm(study: str, name: str) -> pd.DataFrame:
    df, _ = pyreadstat.read_xport(str(converted() / study / "tabulations" / "sdtm" /
                                      f"{name.lower()}.xpt"))
    return df


@pytest.fixture(scope="module")
def adamig(reference: Path) -> dict[str, dict[str, dict[str, str]]]:
    """Reference ADaMIG 1.3 variables: structure -> name (placeholders as regex) -> row."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    path = reference / "standards" / "adam_ig_v1.3_Variables.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            structure = "ADSL" if row["Data Structure Name"].startswith("Subject") else "BDS"
            out.setdefault(structure, {})[row["Variable Name"]] = row
    return out


def _match(defs: dict[str, dict[str, str]], name: str) -> tuple[dict[str, str], dict] | None:
    if name in defs:
        return defs[name], {}
    for vname, row in defs.items():
        if "*" in vname or not any(c.islower() for c in vname):
            continue
        rx = vname.replace("xx", r"(?P<xx>\d\d)").replace("zz", r"(?P<zz>\d\d)")
        rx = rx.replace("y", r"(?P<y>\d+)", 1).replace("w", r"(?P<w>\d)", 1)
        m = re.fullmatch(rx, name)
        if m:
            return row, m.groupdict()
    return None


def _label(row: dict[str, str], groups: dict) -> str:
    label = row["Variable Label"]
    for token, value in groups.items():
        if value:
            label = re.sub(rf"\b{token}\b", value, label)
    return label


@pytest.mark.parametrize("study", STUDIES)
def test_package_1_files_and_dataset_json_are_written(study):
    folder = adam_dir(study) / "datasets"
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{d.lower()}.{e}" for d in DATASETS for e in ("xpt", "json")]
                           + ["lineage.json"])
    for d in DATASETS:
        assert check_dataset_json(folder / f"{d.lower()}.json") == []
        member = read_xpt_header(folder / f"{d.lower()}.xpt")
        assert member.name == d and member.created == CREATED


@pytest.mark.parametrize("study", STUDIES)
@pytest.mark.parametrize("dataset, structures", [("ADSL", ("ADSL",)), ("ADEFF", ("BDS", "ADSL")),
                                                 ("ADAE", ("ADSL", "BDS"))])
def test_package_2_labels_and_types_follow_the_adamig(study, dataset, structures, adamig):
    member = read_xpt_header(adam_dir(study) / "datasets" / f"{dataset.lower()}.xpt")
    checked = 0
    for v in member.variables:
        for s in structures:
            hit = _match(adamig[s], v.name)
            if hit:
                row, groups = hit
                assert v.label == _label(row, groups), (v.name, v.label)
                assert v.type == ("num" if row["Type"] == "Num" else "char"), v.name
                checked += 1
                break
    assert checked >= 15
    names = [v.name for v in member.variables]
    required = {"ADSL": ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE",
                         "ARM", "TRT01P"],
                "ADEFF": ["STUDYID", "USUBJID", "PARAM", "PARAMCD"],
                "ADAE": ["STUDYID", "USUBJID"]}[dataset]
    assert set(required) <= set(names)


@pytest.mark.parametrize("study", STUDIES)
def test_package_3_numeric_dates_carry_date9(study):
    for d in DATASETS:
        member = read_xpt_header(adam_dir(study) / "datasets" / f"{d.lower()}.xpt")
        for v in member.variables:
            if v.name.endswith("DT") and v.type == "num":
                assert v.format == "DATE9.", (d, v.name)
            if v.name.endswith("DTM"):
                assert v.format == "DATETIME20.", (d, v.name)
    adsl = read_adam(study, "ADSL")
    dm = sdtm(study, "DM").set_index("USUBJID")
    first = pd.to_datetime(dm["RFXSTDTC"].str.slice(0, 10)).rename("RFX")
    got = adsl.set_index("USUBJID")["TRTSDT"].rename("TRTSDT")
    both = pd.concat([first, pd.to_datetime(got)], axis=1)
    assert (both["RFX"] == both["TRTSDT"]).all()


@pytest.mark.parametrize("study", STUDIES)
def test_package_4_adsl_one_record_per_subject_with_populations(study):
    adsl = read_adam(study, "ADSL")
    dm = sdtm(study, "DM")
    ex = sdtm(study, "EX")
    qs = sdtm(study, "QS")
    ds = sdtm(study, "DS")
    assert sorted(adsl["USUBJID"]) == sorted(dm["USUBJID"]) and adsl["USUBJID"].is_unique
    for flag in ("SAFFL", "FASFL", "PPROTFL", "COMPLFL", "RANDFL"):
        assert set(adsl[flag]) <= {"Y", "N"}
    assert (adsl["SAFFL"] == "Y").sum() == ex["USUBJID"].nunique()
    w12 = set(qs.loc[(qs["QSTESTCD"] == "EASITOT") & (qs["VISIT"] == "WEEK 12"), "USUBJID"])
    three = set(ex.groupby("USUBJID").size().loc[lambda s: s >= 3].index)
    assert set(adsl.loc[adsl["PPROTFL"] == "Y", "USUBJID"]) == w12 & three
    done = ds[(ds["DSCAT"] == "DISPOSITION EVENT") & (ds["DSDECOD"] == "COMPLETED")]
    assert set(adsl.loc[adsl["COMPLFL"] == "Y", "USUBJID"]) == set(done["USUBJID"])
    stopped = adsl[adsl["EOSSTT"] == "DISCONTINUED"]
    assert len(stopped) == len(adsl) - len(done) and stopped["DCSREAS"].notna().all()
    base = qs[(qs["QSTESTCD"] == "EASITOT") & (qs["QSLOBXFL"] == "Y")].set_index("USUBJID")
    assert np.allclose(adsl.set_index("USUBJID")["EASIBL"].loc[base.index], base["QSSTRESN"])
    assert (adsl["FASFL"] == "Y").sum() == len(adsl)
    assert adsl["TRT01PN"].notna().all() and adsl["AGEGR1"].notna().all()


@pytest.mark.parametrize("study", STUDIES)
def test_package_5_adae_dates_flags_and_first_occurrences(study):
    ae = read_adam(study, "ADAE")
    src = sdtm(study, "AE")
    assert len(ae) == len(src)
    partial = ae["AESTDTC"].str.len() < 10
    assert partial.any()
    assert ae.loc[partial, "ASTDTF"].isin(["D", "M"]).all()
    assert ae.loc[~partial, "ASTDTF"].isna().all()
    both = ae["ASTDT"].notna() & ae["AENDT"].notna()
    assert (ae.loc[both, "ASTDT"] <= ae.loc[both, "AENDT"]).all()
    full = ae["AESTDTC"].str.len() == 10
    assert (pd.to_datetime(ae.loc[full, "AESTDTC"]) == pd.to_datetime(ae.loc[full, "ASTDT"])).all()
    te = ae[ae["TRTEMFL"] == "Y"]
    assert (te["AOCCFL"] == "Y").sum() == te["USUBJID"].nunique()
    assert (te["AOCCIFL"] == "Y").sum() == te["USUBJID"].nunique()
    assert (te["AOCCPFL"] == "Y").sum() == len(te.drop_duplicates(["USUBJID", "AEBODSYS",
                                                                   "AEDECOD"]))
    assert (ae.loc[ae["ADURN"].notna(), "ADURU"] == "DAYS").all()


@pytest.mark.parametrize("study", STUDIES)
def test_package_6_adeff_one_analysis_record_per_visit_and_dtype_only_on_imputed(study):
    eff = read_adam(study, "ADEFF")
    anl = eff[eff["ANL01FL"] == "Y"]
    assert not anl.duplicated(["USUBJID", "PARAMCD", "AVISITN"]).any()
    assert set(eff["PARAMCD"]) == {"EASI", "EASI50", "EASI75", "EASI90", "IGA", "IGARESP",
                                   "BSA", "DLQI", "PNRS"}
    assert (eff.groupby(["USUBJID", "PARAMCD"])["ABLFL"].apply(lambda s: (s == "Y").sum())
            .loc[lambda s: s.index.get_level_values(1).isin(["EASI", "IGA", "DLQI"])] == 1).all()
    assert set(eff.loc[eff["ABLFL"] == "Y", "AVISIT"]) == {"Baseline"}
    resp = eff[eff["PARAMCD"].isin(["EASI50", "EASI75", "EASI90", "IGARESP"])]
    assert set(resp["AVALC"]) == {"Y", "N"} and set(resp["AVAL"]) == {0, 1}
    easi = eff[(eff["PARAMCD"] == "EASI") & (eff["AVISITN"] > 0)]
    assert np.allclose(easi["PCHG"], (easi["AVAL"] - easi["BASE"]) / easi["BASE"] * 100)
    assert ((easi["CRIT1FL"] == "Y") == (easi["PCHG"] <= -50)).all()
    if study == "ADT2002-P1":
        assert "DTYPE" not in eff.columns
    else:
        imputed = eff[eff["DTYPE"].notna()]
        assert set(imputed["DTYPE"]) == {"WC"} and set(imputed["AVALC"]) == {"N"}
        assert set(imputed["AVISIT"]) == {"Week 12"} and imputed["ADT"].isna().all()
        assert len(imputed) == 4 * imputed["USUBJID"].nunique()
        assert imputed["SRCSEQ"].isna().all()


@pytest.mark.parametrize("study", STUDIES)
def test_package_7_lineage_leads_back_to_the_sdtm_records(study):
    lin = json.loads((adam_dir(study) / "datasets" / "lineage.json").read_text())
    assert lin["standard"] == "ADaMIG 1.3"
    sdtm_dir = (adam_dir(study) / "datasets" / lin["sdtm"]).resolve()
    assert sdtm_dir == (converted() / study / "tabulations" / "sdtm").resolve()
    qs = sdtm(study, "QS")
    dm = sdtm(study, "DM")
    eff = read_adam(study, "ADEFF")
    recs = lin["datasets"]["ADEFF"]["records"]
    assert len(recs) == len(eff)
    single = [i for i, r in enumerate(recs) if r and " " not in r]
    rows = [int(recs[i].split(":")[1]) - 1 for i in single]
    assert all(recs[i].startswith("QS:") for i in single)
    observed = eff.iloc[single]
    has_seq = observed["SRCSEQ"].notna().to_numpy()
    assert has_seq.sum() > 0
    qrows = qs.iloc[np.array(rows)[has_seq]]
    assert (qrows["QSSEQ"].to_numpy() == observed.loc[has_seq, "SRCSEQ"].to_numpy()).all()
    assert (qrows["USUBJID"].to_numpy() == observed.loc[has_seq, "USUBJID"].to_numpy()).all()
    dlqi = eff["PARAMCD"].to_numpy() == "DLQI"
    for i in np.flatnonzero(dlqi)[:5]:
        tokens = recs[i].split()
        assert len(tokens) == 10
        items = qs.iloc[[int(t.split(":")[1]) - 1 for t in tokens]]
        assert set(items["QSTESTCD"]) == {f"DLQI1{n:02d}" for n in range(1, 11)}
        assert items["QSSTRESN"].sum() == eff["AVAL"].iloc[i]
    adsl = read_adam(study, "ADSL")
    arecs = lin["datasets"]["ADSL"]["records"]
    idx = [int(r.split(":")[1]) - 1 for r in arecs]
    assert (dm["USUBJID"].iloc[idx].to_numpy() == adsl["USUBJID"].to_numpy()).all()
    var = lin["datasets"]["ADEFF"]["variables"]
    assert var["VISITNUM"]["origin"] == "Predecessor" and var["VISITNUM"]["predecessor"] == \
        "QS.VISITNUM"
    assert var["ABLFL"]["method"] == "derive_var_extreme_flag"
    assert re.match(r"mappings/common/adam/adeff\.yaml:\d+$", var["ABLFL"]["derivation"])


def test_package_8_value_level_metadata_per_parameter():
    from cdisc_mapper.adam.run import build_adam
    from cdisc_mapper.mapping.study import load_study
    from test_adam_support import ROOT

    study = load_study(ROOT / "mappings" / "ADT2002-P2" / "study.yaml")
    finals = build_adam(study, converted() / "ADT2002-P2" / "tabulations" / "sdtm")
    spec = finals["ADEFF"].spec
    vlm = {(v.variable, code): v.spec for v in spec.value_level for code in v.where[0][1]}
    assert vlm[("AVAL", "EASI")].origin == "Predecessor"
    assert "QSSTRESN" in vlm[("AVAL", "EASI")].method_text
    assert vlm[("AVAL", "DLQI")].method == "derive_param_computed"
    assert "PCHG <= -50" in vlm[("AVALC", "EASI50")].method_text
    assert "On records added for every subject of ADSL" in vlm[("AVALC", "EASI50")].method_text
    trtsdt = finals["ADSL"].spec.variable("TRTSDT")
    assert trtsdt.display_format == "DATE9." and trtsdt.origin == "Derived"
    assert finals["ADSL"].spec.variable("EASIBL").sponsor_defined
    assert not finals["ADSL"].spec.variable("AGE").sponsor_defined


def test_package_9_reruns_give_the_same_bytes(tmp_path):
    from cdisc_mapper.adam.run import convert_adam
    from cdisc_mapper.mapping.study import load_study
    from test_adam_support import ROOT

    study = load_study(ROOT / "mappings" / "ADT2002-P1" / "study.yaml")
    res = convert_adam(study, converted() / "ADT2002-P1" / "tabulations" / "sdtm", tmp_path,
                       created=CREATED)
    for f in res.files:
        before = adam_dir("ADT2002-P1") / "datasets" / f.name
        if f.name == "lineage.json":    # the relative path to the SDTM folder differs
            a, b = json.loads(f.read_text()), json.loads(before.read_text())
            a.pop("sdtm"), b.pop("sdtm")
            assert a == b
        else:
            assert f.read_bytes() == before.read_bytes(), f
