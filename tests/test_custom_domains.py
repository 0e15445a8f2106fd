"""Sponsor-defined domains (SDTM v2.0 model, SDTMIG 3.4 section 2.6): variables by class.

The class-level variable lists are derived from the guide's own domains of each class; a
mapping that declares ``class:`` maps a domain such as XA (Findings) or XE (Events), and
``validate`` checks it against its class.
"""

from __future__ import annotations

from collections import Counter

import pytest

import minimal
from cdisc_mapper.engine.run import build_study, convert_study
from cdisc_mapper.errors import MappingError
from cdisc_mapper.standards import load_standard
from cdisc_mapper.standards.classes import CUSTOM_CLASSES, class_variables, custom_domain
from cdisc_mapper.standards.sdtm_model import load_model
from cdisc_mapper.validate import validate

XA = """\
dataset: XA
class: Findings
label: Skin Prick Test
labels: {XATESTCD: Skin Test Short Name, XATEST: Skin Test Name}
source: skin
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  XASEQ: {method: seq}
  XATESTCD: {method: hardcode, value: WHEAL}
  XATEST: {method: hardcode, value: Wheal Diameter}
  XAORRES: {method: assign, from: RES}
  XAORRESU: {method: assign, from: UNIT}
  XASTRESC: {method: assign, from: RES}
  XADTC: {method: iso_date, date: DAT}
  XADY: {method: study_day, of: XADTC}
supp:
  XAALLERG: {label: Allergen, method: assign, from: ALLERGEN}
"""
SKIN = ("SUBJECT,RES,UNIT,DAT,ALLERGEN\n01-001,5,mm,12 MAR 2021,Birch\n"
        "01-002,3,mm,13 MAR 2021,Cat\n")
XE = """\
dataset: XE
class: Events
label: Sponsor Events
source: ev
variables:
  STUDYID: {method: study_id}
  DOMAIN: {method: domain}
  USUBJID: {method: usubjid}
  XESEQ: {method: seq}
  XETERM: {method: assign, from: TERM}
  XESEV: {method: assign_ct, from: SEV, codelist: AESEV}
  XESTDTC: {method: iso_date, date: DAT}
"""
EV = "SUBJECT,TERM,SEV,DAT\n01-001,Rash,mild,12 MAR 2021\n01-002,Itch,Severe,14 MAR 2021\n"


def _std():
    return load_standard("SDTMIG", "3.4")


# ------------------------------------------------------------------ the class variable lists

@pytest.mark.parametrize("cls", CUSTOM_CLASSES)
def test_class_holds_every_variable_of_its_domains(cls):
    std = _std()
    got = {v.name: v for v in class_variables(std, cls)}
    want = ("Findings", "Findings About") if cls == "Findings About" else (cls,)
    members = [d for d in std.datasets.values() if d.cls in want and len(d.name) == 2]
    assert members
    for d in members:
        for v in d.variables:
            g = "--" + v.name[2:] if v.name.startswith(d.name) else v.name
            assert g in got, (cls, d.name, v.name)
    # type: the one most domains give the variable; a model variable that none of the
    # class's domains has is Permissible
    for g, cv in got.items():
        occ = [v for d in members for v in d.variables
               if ("--" + v.name[2:] if v.name.startswith(d.name) else v.name) == g]
        assert "\\n" not in cv.label and len(cv.label) <= 40
        if not occ:
            assert cv.core == "Perm", g
            continue
        types = Counter(v.type for v in occ)
        assert types[cv.type] == max(types.values()), g
    assert "--LNKID" in got and "--TPT" in got


def test_class_facts_of_the_model():
    std = _std()
    f = {v.name: v for v in class_variables(std, "Findings")}
    assert [n for n, v in f.items() if v.core == "Req"] == [
        "STUDYID", "DOMAIN", "USUBJID", "--SEQ", "--TESTCD", "--TEST"]
    assert f["--TESTCD"].role == "Topic" and f["--STRESN"].type == "Num"
    assert f["--ORRESU"].codelist == "UNIT" and f["--STAT"].codelist == "ND"
    assert f["--SEQ"].label == "Sequence Number"
    assert f["--ORRES"].label == "Result or Finding in Original Units"
    e = {v.name: v for v in class_variables(std, "Events")}
    assert e["--TERM"].core == "Req" and e["--TERM"].role == "Topic"
    assert e["--SER"].core == "Perm"      # Expected in AE only, not a class requirement
    i = {v.name: v for v in class_variables(std, "Interventions")}
    assert i["--TRT"].core == "Req" and i["--DOSE"].type == "Num"
    assert "--OBJ" in {v.name for v in class_variables(std, "Findings About")}
    assert "--OBJ" not in f
    # the model's order of roles: identifiers, topic, qualifiers, timing
    for cls in CUSTOM_CLASSES:
        rank = {"Identifier": 0, "Topic": 1, "Timing": 3}
        roles = [rank.get(v.role, 2) for v in class_variables(std, cls)]
        assert roles == sorted(roles), cls


def test_class_variables_are_the_models():
    """Which variables a class has, their order and role: the SDTM v2.0 model's."""
    std, model = _std(), load_model("2.0")
    for cls in CUSTOM_CLASSES:
        got = class_variables(std, cls)
        role = {v.name: v.role for v in got}
        body = model["classes"]["FINDINGS" if cls.startswith("Findings") else cls.upper()]
        go = model["classes"]["GENERAL OBSERVATIONS"]
        barred = {"--USCHFL", "--METHOD", "--RSTIND", "--RSTMOD", "--IMPLBL", "--RESLOC",
                  "--DTHREL", "--EXCLFL", "--REASEX", "FETUSID", "--NOMDY", "--DETECT"}
        want = [(v.name, v.role) for v in body if v.name not in barred or v.name in role]
        assert [v.name for v in got if v.name in {b.name for b in body}] == \
            [n for n, _ in want], cls
        assert all(role[n] == r for n, r in want + [(v.name, v.role) for v in go]
                   if n in role), cls
        assert [v.order for v in got] == list(range(1, len(got) + 1))
    fa = [v.name for v in class_variables(std, "Findings About")]
    assert fa[fa.index("--TEST") + 1] == "--OBJ"
    f = {v.name: v for v in class_variables(std, "Findings")}
    # the guide's domains of another class give a variable none of the class's domains has
    assert f["--SEV"].label == "Severity/Intensity" and f["--SEV"].core == "Perm"
    # a model variable that no dataset of SDTMIG 3.4 has: the model's type and label
    xdy = f["--XDY"]
    assert (xdy.type, xdy.label, xdy.core, xdy.codelist) == (
        "Num", "Day of Obs Relative to Exposure", "Perm", None)
    d = custom_domain(std, "XA", "Findings", "Skin Prick Test")
    assert (d.variable("XAXDY").type, d.variable("XAXDY").label) == (
        "Num", "Day of Obs Relative to Exposure")
    # SDTMIG 3.4 section 2.7: model variables the guide does not allow
    i = {v.name for v in class_variables(std, "Interventions")}
    assert "--METHOD" not in i and "--METHOD" in f and "--DTHREL" not in f
    assert not {"--NOMDY", "RPHASE", "FETUSID", "--USCHFL"} & set(f)


def test_class_types_and_labels_are_the_models():
    """Type: the SDTM v2.0 model's; label: the wording most of the guide's domains share, else
    the model's generic label (never the variable's name)."""
    std, model = _std(), load_model("2.0")
    generic = {}
    for vs in model["classes"].values():
        for v in vs:
            generic.setdefault(v.name, {})[v.label] = v.type
    for cls in CUSTOM_CLASSES:
        for v in class_variables(std, cls):
            assert v.type in generic[v.name].values() and v.label != v.name, (cls, v.name)
    i = {v.name: v for v in class_variables(std, "Interventions")}
    assert (i["--VAMT"].type, i["--VAMT"].label) == ("Num", "Treatment Vehicle Amount")
    assert (i["--FTDOSD"].type, i["--TDOSD"].type) == ("Num", "Char")
    assert i["--TDOSD"].label == "Toxic/Physiologic Dose Descr"
    e = {v.name: v for v in class_variables(std, "Events")}
    assert all(e[n].type == "Num" for n in ("--XSTDY", "--XENDY", "--CHDY", "--CHSTDY",
                                             "--CHENDY"))
    assert e["--CHSTDY"].label == "Start Day of Obs Rel to Challenge Agent"
    f = {v.name: v for v in class_variables(std, "Findings")}
    # every Findings domain words --TESTCD its own way: the model's label
    assert f["--TESTCD"].label == "Short Name of Measurement, Test, or Exam"
    # the wording the guide's domains share is kept where it differs from the model's
    assert f["--STRESC"].label == "Character Result/Finding in Std Format"
    xe = custom_domain(std, "XE", "Events", "Sponsor Events")
    assert (xe.variable("XECHDY").type, xe.variable("XECHDY").label) == (
        "Num", "Day of Obs Rel to Challenge Agent")


def test_model_types_agree_with_sdtmig_34(reference):
    """Every model variable that an SDTMIG 3.4 dataset also has (``--`` replaced by the
    dataset's prefix) has the guide's type there."""
    import csv

    from cdisc_mapper.standards.sdtm_model import observation_variables
    model = load_model("2.0")
    compared, differ = 0, []
    path = reference / "standards" / "sdtm_ig_v3.4_Variables.csv"
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        ds, cls = r["Dataset Name"], r["Class"]
        if cls.upper() in ("INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT"):
            ap = ds.startswith("AP") and len(ds) == 4
            prefix = ds[2:] if ap else ds
            mvs = [(v.name.replace("--", prefix, 1), v.type)
                   for v in observation_variables(model, cls, associated_persons=ap)]
        else:
            own = model["datasets"].get("SUPPQUAL" if ds.startswith("SUPP") else ds)
            mvs = [(v.name, v.type) for v in (own["variables"] if own else [])]
        for name, typ in mvs:
            if name == r["Variable Name"]:
                compared += 1
                if typ != r["Type"]:
                    differ.append((ds, name, typ, r["Type"]))
    assert compared > 1500, compared
    assert not differ, differ


def test_custom_domain_fills_in_the_prefix():
    d = custom_domain(_std(), "XA", "Findings", "Skin Prick Test",
                      {"XATESTCD": "Skin Test Short Name"})
    assert d.name == "XA" and d.cls == "Findings" and d.label == "Skin Prick Test"
    assert d.names[:3] == ("STUDYID", "DOMAIN", "USUBJID")
    n = d.names
    assert n.index("XASEQ") < n.index("XATESTCD") < n.index("XATEST") < n.index("XAORRES") \
        < n.index("XAORRESU") < n.index("XASTRESC") < n.index("VISITNUM") < n.index("XADTC")
    assert d.variable("XATESTCD").label == "Skin Test Short Name"
    assert d.keys[:3] == ("STUDYID", "USUBJID", "XATESTCD")
    assert not any(n.startswith("--") for n in d.names)


# ------------------------------------------------------------------ mapping a custom domain

@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("custom")
    f = minimal.write(root, mappings={"xa": XA, "xe": XE}, forms={"skin": SKIN, "ev": EV})
    result = convert_study(f, root / "out", allow_problems=True)
    return result


def test_custom_domains_are_mapped(package):
    xa, xe = package.datasets["XA"], package.datasets["XE"]
    assert xa.spec.cls == "Findings" and xa.spec.label == "Skin Prick Test"
    assert xa.spec.variable("XATESTCD").label == "Skin Test Short Name"
    assert xa.spec.variable("XADY").type == "Num"
    assert xe.spec.cls == "Events"
    assert xe.data["XESEV"].tolist() == ["MILD", "SEVERE"]
    assert "SUPPXA" in package.datasets
    assert package.datasets["SUPPXA"].data["QNAM"].tolist() == ["XAALLERG"] * 2
    define = (package.out_dir / "tabulations" / "sdtm" / "define.xml").read_text(encoding="utf-8")
    assert 'Name="XA"' in define and 'Name="XE"' in define


def test_custom_domains_validate_clean_and_planted(package, tmp_path):
    from validate_defects import copy_package, plant
    sdtm = package.out_dir / "tabulations" / "sdtm"
    clean = validate(sdtm)
    mine = clean.findings[clean.findings["dataset"].isin(["XA", "XE", "SUPPXA"])]
    assert mine.empty, mine.to_dict("records")
    pkg = copy_package(sdtm, tmp_path / "pkg")

    def change(df):
        df["XADY"] = df["XADY"].map(lambda x: str(int(x)))        # Num -> Char
        df["XAFOO"] = "x"                                         # not a Findings variable
        return df.drop(columns=["XATEST"])                        # a Required variable
    plant(pkg, "xa", change)
    r = validate(pkg, use_found_define=False, only=["CM0010", "CG0013", "CM0006"])
    f = r.findings
    got = set(zip(f["rule"], f["dataset"], f["variable"]))
    assert ("CM0010", "XA", "XADY") in got        # type against the class
    assert ("CG0013", "XA", "XAFOO") in got       # only the class's variables
    assert ("CM0006", "XA", "XATEST") in got      # Required by the class


def _errors(tmp_path, mappings) -> str:
    with pytest.raises(MappingError) as e:
        build_study(minimal.write(tmp_path, mappings=mappings, forms={"skin": SKIN}))
    return "\n".join(x.render() for x in getattr(e.value, "errors", None) or [e.value])


def test_a_domain_without_class_is_refused_with_the_way_out(tmp_path):
    msg = _errors(tmp_path, {"xa": XA.replace("class: Findings\n", "").replace(
        "label: Skin Prick Test\n", "").replace(
        "labels: {XATESTCD: Skin Test Short Name, XATEST: Skin Test Name}\n", "")})
    assert "xa.yaml:1" in msg and "XA is not a dataset of SDTMIG 3.4" in msg
    assert "declares its 'class'" in msg


def test_bad_custom_declarations_are_located(tmp_path):
    msg = _errors(tmp_path, {"xa": XA.replace("XATEST: Skin Test Name", "XAFOO: Foo")})
    assert "key 'labels.XAFOO'" in msg and "XAFOO is not a variable of class Findings" in msg
    msg = _errors(tmp_path, {"xa": XA.replace("label: Skin Prick Test\n", "")})
    assert "needs its dataset 'label'" in msg
    ae = minimal.AE.replace("source: ae\n", "source: ae\nclass: Events\n")
    msg = _errors(tmp_path, {"ae": ae})
    assert "key 'class'" in msg and "AE is a dataset of SDTMIG 3.4" in msg
    msg = _errors(tmp_path, {"xa": XA.replace("class: Findings", "class: Relationship")})
    assert "key 'class'" in msg
