"""Controlled terminology: the bundled SDTM CT subset, and reading full NCI EVS packages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cdisc_mapper.errors import UsageError
from cdisc_mapper.spec.model import Codelist
from cdisc_mapper.standards import (
    bundled_ct,
    bundled_ct_version,
    ct_version_from_path,
    is_partial,
    load_ct,
    load_standard,
    partial_codelists,
    total_terms,
)

FULL_CT = "SDTM_Terminology_2025-03-28.txt"
HEADER = ("Code\tCodelist Code\tCodelist Extensible (Yes/No)\tCodelist Name\tCDISC Submission Value\t"
          "CDISC Synonym(s)\tCDISC Definition\tNCI Preferred Term\n")

DLQI_CODES = [f"DLQI1{n:02d}" for n in range(1, 11)] + ["DLQI111"]


@pytest.fixture(scope="module")
def full_ct_path(reference) -> Path:
    return reference / "ct" / FULL_CT


@pytest.fixture(scope="module")
def full_ct(full_ct_path) -> dict[str, Codelist]:
    return load_ct(full_ct_path)


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------------------------------
# bundled subset (runs everywhere)


def test_bundled_ct_shape():
    ct = bundled_ct()
    assert bundled_ct_version() == "2025-03-28"
    for cid, cl in ct.items():
        assert cl.id == cid
        assert cl.code and cl.code.startswith("C")
        assert cl.terms, cid
        assert not cl.sponsor_defined
        values = [t.value for t in cl.terms]
        assert len(values) == len(set(values)), cid
        assert all(t.code and t.code.startswith("C") and t.decode for t in cl.terms), cid
    assert bundled_ct() is not bundled_ct()           # callers may not mutate the cache
    assert bundled_ct()["SEX"] is bundled_ct()["SEX"]


def test_bundled_core_codelists():
    ct = bundled_ct()
    assert ct["SEX"].code == "C66731" and not ct["SEX"].extensible
    assert ct["SEX"].values() == {"F", "M", "U", "INTERSEX"}
    assert ct["SEX"].term("F").decode == "Female"
    assert ct["NY"].values() == {"N", "Y", "U", "NA"}
    assert ct["AESEV"].values() == {"MILD", "MODERATE", "SEVERE"}
    assert ct["UNIT"].term("mg").code == "C28253"
    assert ct["SDTMIGRS"].term("3.4") is not None          # kept a string, not a float
    for name in ("TSPARMCD", "TSPARM", "TPHASE", "TTYPE", "TBLIND", "TCNTRL", "TINDTP", "INTMODEL",
                 "INTTYPE", "STYPE", "SEXPOP", "ACN", "OUT", "NY", "RACE", "ETHNIC", "AGEU", "ROUTE",
                 "FRM", "UNIT", "FREQ", "EPOCH", "NCOMPLT", "PROTMLST", "OTHEVENT", "DSCAT", "QSCAT",
                 "DLQI1TC", "DLQI1TN", "ARMNULRS", "IECAT", "DOMAIN", "DICTNAM"):
        assert name in ct, name
    assert ct["TSPARMCD"].term("TPHASE").code == ct["TSPARM"].term("Trial Phase Classification").code


def test_bundled_dlqi():
    ct = bundled_ct()
    assert "DLQI" in ct["QSCAT"].values()
    tc, tn = ct["DLQI1TC"], ct["DLQI1TN"]
    assert (tc.code, tn.code) == ("C119070", "C119069")
    assert set(DLQI_CODES) <= tc.values()
    by_code = {t.code: t.value for t in tn.terms}
    names = {t.value: by_code[t.code] for t in tc.terms}
    assert names["DLQI101"] == "DLQI1-How Itchy, Sore, Painful, Stinging"
    assert names["DLQI111"] == "DLQI1-Score"
    assert all(names[c].startswith("DLQI1-") for c in DLQI_CODES)


def test_bundled_ct_is_complete():
    """The whole SDTM CT package ships: no codelist is partial."""
    assert partial_codelists() == frozenset()
    ct = bundled_ct()
    assert len(ct) == 1158 and len(ct["UNIT"].terms) == 929
    for cid in ct:
        assert not is_partial(cid)
        assert total_terms(cid) == len(ct[cid].terms)
    assert total_terms("NOSUCH") is None
    assert "cells/kg" not in ct["UNIT"].values() and "mg/kg" in ct["UNIT"].values()


# --------------------------------------------------------------------------------------------------
# load_ct on small files (runs everywhere)


def test_load_ct_small_file(tmp_path):
    text = HEADER + (
        "C1\t\tNo\tYes No\tYN\tYN\tA definition with \"quotes\"\tCDISC Yes No\n"
        "C2\tC1\t\tYes No\tY\tYes\t\"Yes\" said\tYes\n"
        "C3\tC1\t\tYes No\tN\tNo\tno\tNo\n"
        "\n")
    ct = load_ct(_write(tmp_path, "CT_2024-01-01.txt", text))
    assert list(ct) == ["YN"]
    cl = ct["YN"]
    assert (cl.id, cl.code, cl.name, cl.extensible) == ("YN", "C1", "Yes No", False)
    assert [(t.value, t.code, t.decode) for t in cl.terms] == [("Y", "C2", "Yes"), ("N", "C3", "No")]


def test_load_ct_csv_layout(tmp_path):
    text = ('"Code","Codelist Code","Codelist Extensible (Yes/No)","Codelist Name","CDISC Submission Value",'
            '"CDISC Synonym(s)","CDISC Definition","NCI Preferred Term","Standard and Date"\n'
            '"C81224",,"Yes","Derivation Type","DTYPE","Derivation Type","d, with comma","DTYPE Term",'
            '"ADaM CT 2025-09-26"\n'
            '"C81209","C81224",,"Derivation Type","AVERAGE","Average","avg","Average","ADaM CT 2025-09-26"\n')
    ct = load_ct(_write(tmp_path, "x.csv", "\ufeff" + text))
    assert ct["DTYPE"].extensible and ct["DTYPE"].term("AVERAGE").code == "C81209"


@pytest.mark.parametrize("name, content, message", [
    ("empty.txt", "", "empty"),
    ("other.csv", "a,b,c\n1,2,3\n", "not a CDISC controlled terminology file"),
    ("part.txt", "Code\tCodelist Code\tCDISC Submission Value\nC1\t\tX\n", "missing column"),
    ("book.xlsx", b"PK\x03\x04rest-of-zip", "Excel workbook"),
    ("ct.odm.xml", "<?xml version='1.0'?><ODM/>", "XML"),
    ("orphan.txt", HEADER + "C2\tC9\t\tX\tY\tY\tY\tYes\n", "codelist C9, which has no codelist row"),
    ("ext.txt", HEADER + "C1\t\tMaybe\tX\tX\tX\tX\tX\n", "extensible must be Yes or No"),
    ("nocode.txt", HEADER + "foo\t\tNo\tX\tX\tX\tX\tX\n", "no NCI code"),
    ("short.txt", HEADER + "C1\t\tNo\n", "columns"),
    ("headonly.txt", HEADER, "no codelists"),
    ("dup.txt", HEADER + "C1\t\tNo\tX\tXX\t\t\tX\nC2\t\tNo\tY\tXX\t\t\tY\n", "used by both"),
])
def test_load_ct_rejects_non_ct_files(tmp_path, name, content, message):
    path = _write(tmp_path, name, content)
    with pytest.raises(UsageError, match=message) as err:
        load_ct(path)
    assert "\n" not in str(err.value)
    assert str(path) in str(err.value)


def test_load_ct_missing_file(tmp_path):
    with pytest.raises(UsageError, match="not found"):
        load_ct(tmp_path / "nope.txt")
    with pytest.raises(UsageError, match="folder"):
        load_ct(tmp_path)


def test_ct_version_from_path():
    assert ct_version_from_path("/x/SDTM_Terminology_2025-03-28.txt") == "2025-03-28"
    assert ct_version_from_path("ct.txt") == ""


# --------------------------------------------------------------------------------------------------
# against the full NCI EVS package


def test_load_full_ct_counts_and_speed(full_ct_path):
    start = time.perf_counter()
    ct = load_ct(full_ct_path)
    elapsed = time.perf_counter() - start
    assert len(ct) == 1158
    assert sum(len(c.terms) for c in ct.values()) == 43698
    assert elapsed < 2.0, f"load_ct took {elapsed:.2f} s"
    assert all(cid == c.id for cid, c in ct.items())


def test_bundled_ct_matches_full_package(full_ct):
    for cid, cl in bundled_ct().items():
        ref = full_ct[cid]
        assert (cl.code, cl.name, cl.extensible) == (ref.code, ref.name, ref.extensible), cid
        ref_terms = {t.value: t for t in ref.terms}
        for t in cl.terms:
            assert t.value in ref_terms, (cid, t.value)
            assert (t.code, t.decode) == (ref_terms[t.value].code, ref_terms[t.value].decode), (cid, t.value)
        assert total_terms(cid) == len(ref.terms), cid
        assert cl.terms == ref.terms, cid
    assert bundled_ct().keys() == full_ct.keys()


def test_every_term_of_the_package_is_bundled(full_ct_path):
    """Every term row of the NCI EVS file is a term of the bundled codelist of that code."""
    import csv
    bundled = {c.code: c for c in bundled_ct().values()}
    with open(full_ct_path, encoding="utf-8-sig", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        n = 0
        for r in rows:
            if r["Codelist Code"]:
                t = bundled[r["Codelist Code"]].term(r["CDISC Submission Value"])
                assert t is not None and t.code == r["Code"], r
                n += 1
            else:
                assert bundled[r["Code"]].id == r["CDISC Submission Value"], r
    assert n == 43698


def test_compact_form_round_trip(full_ct):
    from cdisc_mapper.standards.ct import read_compact, write_compact
    data = write_compact(full_ct)
    assert data == write_compact(full_ct)            # deterministic bytes
    assert read_compact(data) == full_ct


def test_full_ct_dlqi(full_ct):
    assert full_ct["QSCAT"].code == "C100129"
    assert full_ct["QSCAT"].term("DLQI").code == "C119102"
    tc, tn = full_ct["DLQI1TC"], full_ct["DLQI1TN"]
    assert (tc.code, tn.code) == ("C119070", "C119069")
    assert set(DLQI_CODES) <= tc.values()
    assert "DLQI1-How Itchy, Sore, Painful, Stinging" in tn.values()
    by_code = {t.code: t.value for t in tn.terms}
    assert by_code[tc.term("DLQI101").code] == "DLQI1-How Itchy, Sore, Painful, Stinging"
    assert by_code[tc.term("DLQI111").code] == "DLQI1-Score"
    for code in DLQI_CODES:
        assert tc.term(code).code in by_code, code


def test_full_ct_big_codelists(full_ct):
    assert len(full_ct["UNIT"].terms) == 929
    assert len(full_ct["LBTESTCD"].terms) == 2438
    assert full_ct["NY"].values() == bundled_ct()["NY"].values()


def test_load_standard_with_full_ct(full_ct_path):
    std = load_standard(ct=full_ct_path)
    assert std.ct_version == "2025-03-28"
    assert len(std.codelists) == 1158
    assert len(std.codelists["UNIT"].terms) == 929
    assert not is_partial("UNIT", std.codelists)
    assert not is_partial("UNIT", load_standard().codelists)
    assert not is_partial("SEX", load_standard().codelists)
    assert std.datasets == load_standard().datasets
    assert load_standard(ct=str(full_ct_path)) is std


def test_load_ct_other_packages(reference):
    adam = load_ct(reference / "ct" / "ADaM_CT_2025-09-26.csv")
    assert "DTYPE" in adam and adam["DTYPE"].code == "C81224"
    assert "PARAMTYP" in adam
    define = load_ct(reference / "ct" / "Define-XML_CT_2025-09-26.csv")
    assert define
    with pytest.raises(UsageError):
        load_ct(reference / "standards" / "sdtm_ig_v3.4_Variables.csv")


def test_bundled_adam_ct_matches_package(reference):
    """The ADaM CT ships complete: every codelist and term of the CDISC Library file."""
    from cdisc_mapper.standards.ct import bundled_file

    bundled, partial, _ = bundled_file("adam-ct-2025-09-26.tsv.gz")
    assert not partial
    ref = load_ct(reference / "ct" / "ADaM_CT_2025-09-26.csv")
    assert bundled.keys() == ref.keys()
    for cid, cl in bundled.items():
        assert cl == ref[cid], cid
