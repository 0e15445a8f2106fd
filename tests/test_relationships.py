"""SUPP-- for any parent domain, CO for comments, RELREC between any two domains."""

from __future__ import annotations

import pytest

import minimal
from cdisc_mapper.engine.run import build_study, convert_study
from cdisc_mapper.errors import MappingError
from cdisc_mapper.validate import validate

AE = (minimal.AE.replace("  AETERM:", "  AELNKID: {method: assign, from: LINE}\n  AETERM:")
      + "supp:\n  AEXOUT: {label: Outcome text, method: assign, from: AEOUT}\n")
AE_FORM = ("SUBJECT,LINE,AETERM,AESEV,AESTDAT,AEOUT\n"
           "01-001,1,Headache,mild,12 MAR 2021,Recovered\n"
           "01-001,2,Haedache,Moderate,UN MAR 2021,\n"
           "01-002,1,Nausea,SEVERE,05 MAR 2021,Ongoing\n")
DM = minimal.DM + "supp:\n  RACEOTH: {label: Race Other, method: assign, from: RACEO}\n"
DM_FORM = ("SUBJECT,SITE,SEX,ICDAT,GRP,RACEO\n01-001,01,Male,01 MAR 2021,A,Maori\n"
           "01-002,01,female,03 MAR 2021,A,\n")
CM = """\
dataset: CM
source: cm
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  CMSEQ: {method: seq}
  CMLNKID: {method: assign, from: AELINE}
  CMTRT: {method: assign, from: TRT}
  CMSTDTC: {method: iso_date, date: DAT}
"""
CM_FORM = ("SUBJECT,AELINE,TRT,DAT\n01-001,1,Paracetamol,12 MAR 2021\n"
           "01-001,1,Ibuprofen,13 MAR 2021\n01-002,,Vitamin D,01 MAR 2021\n"
           "01-002,1,Ondansetron,05 MAR 2021\n")
VS = ("\n".join(line for line in minimal.VS.splitlines()
                if not line.startswith(("  VSORRESU:", "  VSSTRESN:", "  VSSTRESU:")))
      + "\nsupp:\n  VSCOND: {label: Measurement Condition, method: assign, from: COND}\n")
VS_FORM = ("SUBJECT,TEST,RES,DAT,COND\n01-001,PULSE,60,01 MAR 2021,resting\n"
           "01-001,SYSBP,120,01 MAR 2021,\n01-002,PULSE,70,01 MAR 2021,after walk\n")
CO = """\
dataset: CO
source: comments
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  RDOMAIN: {method: hardcode, value: AE}
  USUBJID: {method: usubjid}
  COSEQ: {method: seq}
  IDVAR: {method: hardcode, value: AELNKID}
  IDVARVAL: {method: assign, from: AELINE}
  COVAL: {method: assign, from: COMMENT}
  CODTC: {method: iso_date, date: DAT}
"""
CO_FORM = "SUBJECT,AELINE,COMMENT,DAT\n01-001,2,Resolved after rest,13 MAR 2021\n"
RELREC = """\
relrec:
  - {relid: AECM, link: {AE: AELNKID, CM: CMLNKID}}
  - {relid: AECMDS, link: {AE: AELNKID, CM: CMLNKID}, level: dataset}
"""
MAPS = {"ae": AE, "dm": DM, "cm": CM, "vs": VS, "co": CO}
FORMS = {"ae": AE_FORM, "dm": DM_FORM, "cm": CM_FORM, "vs": VS_FORM, "comments": CO_FORM}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("rel")
    f = minimal.write(root, study=minimal.STUDY + RELREC, mappings=MAPS, forms=FORMS)
    return convert_study(f, root / "out", allow_problems=True)


def _rows(final, cols):
    return [tuple(None if str(x) == "<NA>" else x for x in r)
            for r in final.data[list(cols)].itertuples(index=False)]


def test_supp_for_any_parent(package):
    d = package.datasets
    ae = d["AE"].data
    seq_of_line = dict(zip(zip(ae["USUBJID"], ae["AELNKID"]), ae["AESEQ"]))
    assert _rows(d["SUPPAE"], ["USUBJID", "IDVAR", "IDVARVAL", "QVAL"]) == [
        ("MINI-01-001", "AESEQ", str(int(seq_of_line[("MINI-01-001", "1")])), "Recovered"),
        ("MINI-01-002", "AESEQ", str(int(seq_of_line[("MINI-01-002", "1")])), "Ongoing")]
    # DM: one record per subject, IDVAR null
    assert _rows(d["SUPPDM"], ["USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QVAL"]) == [
        ("MINI-01-001", None, None, "RACEOTH", "Maori")]
    vs = d["VS"].data
    pulse1 = vs[(vs["USUBJID"] == "MINI-01-001") & (vs["VSTESTCD"] == "PULSE")]["VSSEQ"].iloc[0]
    assert ("MINI-01-001", "VSSEQ", str(int(pulse1)), "resting") in _rows(
        d["SUPPVS"], ["USUBJID", "IDVAR", "IDVARVAL", "QVAL"])


def test_class_identifier_added_to_a_guide_domain(package):
    names = package.datasets["AE"].spec.variable
    assert names("AELNKID") is not None and names("AELNKID").label == "Link ID"
    order = [v.name for v in package.datasets["AE"].spec.variables]
    assert order.index("AESEQ") < order.index("AELNKID") < order.index("AETERM")


def test_co_points_at_its_parent(package):
    assert _rows(package.datasets["CO"], ["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "COVAL"]) == [
        ("AE", "MINI-01-001", "AELNKID", "2", "Resolved after rest")]


def test_relrec_record_and_dataset_level(package):
    d = package.datasets
    ae, cm = d["AE"].data, d["CM"].data

    def seq(df, var, u, cond):
        return str(int(df[(df["USUBJID"] == u) & cond]["AESEQ" if "AESEQ" in df else "CMSEQ"]
                       .iloc[0]))
    rel = _rows(d["RELREC"], ["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "RELTYPE", "RELID"])
    u1, u2 = "MINI-01-001", "MINI-01-002"
    expect = {
        ("AE", u1, "AESEQ", seq(ae, "AESEQ", u1, ae["AELNKID"] == "1"), None, "AECM1"),
        ("CM", u1, "CMSEQ", seq(cm, "CMSEQ", u1, cm["CMTRT"] == "Paracetamol"), None, "AECM1"),
        ("CM", u1, "CMSEQ", seq(cm, "CMSEQ", u1, cm["CMTRT"] == "Ibuprofen"), None, "AECM1"),
        ("AE", u2, "AESEQ", seq(ae, "AESEQ", u2, ae["AELNKID"] == "1"), None, "AECM1"),
        ("CM", u2, "CMSEQ", seq(cm, "CMSEQ", u2, cm["CMTRT"] == "Ondansetron"), None, "AECM1"),
        ("AE", None, "AELNKID", None, "ONE", "AECMDS"),
        ("CM", None, "CMLNKID", None, "MANY", "AECMDS"),
    }
    assert set(rel) == expect and len(rel) == len(expect)


def test_written_relationships_validate(package, tmp_path):
    from validate_defects import copy_package, plant, set_cell
    sdtm = package.out_dir / "tabulations" / "sdtm"
    r = validate(sdtm, only=["suppqual", "metadata"])
    mine = r.findings[r.findings["dataset"].isin(["CO", "RELREC", "SUPPAE", "SUPPDM", "SUPPVS"])]
    assert mine.empty, mine.to_dict("records")
    st = {s.rule.id: s.status for s in r.statuses}
    assert st["CM0074"] == st["CM0075"] == st["CG0371"] == "passed"
    pkg = copy_package(sdtm, tmp_path / "pkg")
    plant(pkg, "co", lambda df: set_cell(df, 1, "IDVARVAL", "9"))
    plant(pkg, "relrec", lambda df: set_cell(df, 1, "IDVAR", "AEXSEQ"))
    f = validate(pkg, use_found_define=False, only=["CM0074", "CM0075"]).findings
    got = set(zip(f["rule"], f["dataset"], f["record"].astype(str)))
    assert ("CM0075", "CO", "1") in got
    assert ("CM0074", "RELREC", "1") in got


def test_relrec_mistakes_are_located(tmp_path):
    bad = "relrec:\n  - {relid: X, link: {AE: AELNKID, QS: QSLNKID}}\n  - {relid: Y, link: {AE: AEFOO, CM: CMLNKID}}\n"
    with pytest.raises(MappingError) as e:
        build_study(minimal.write(tmp_path, study=minimal.STUDY + bad, mappings=MAPS, forms=FORMS))
    msg = "\n".join(x.render() for x in getattr(e.value, "errors", None) or [e.value])
    assert "key 'relrec.0.link.QS': QS is not a dataset the study maps" in msg
    assert "key 'relrec.1.link.AE': AEFOO is not a variable of AE" in msg
