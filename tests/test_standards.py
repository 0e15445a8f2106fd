"""The bundled SDTMIG 3.4 metadata: internal consistency, and agreement with the published metadata."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from cdisc_mapper.errors import UsageError
from cdisc_mapper.spec.model import Standard
from cdisc_mapper.standards import (
    available_standards,
    bundled_ct,
    load_standard,
    ts_value_codelist,
    ts_value_dictionary,
    value_domain,
    variable_codelists,
    variable_set,
)

EXPECTED_DATASETS = {"DM", "SUPPQUAL", "EX", "AE", "QS", "DS", "SV", "SE", "TS", "TA", "TE", "TV", "TI",
                     "CM", "MH", "VS", "LB", "IE"}


@pytest.fixture(scope="module")
def sdtmig() -> Standard:
    return load_standard("SDTMIG", "3.4")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------------------------------
# runs everywhere


def test_load_standard_shape(sdtmig):
    assert sdtmig.name == "SDTMIG" and sdtmig.version == "3.4"
    assert sdtmig.ct_version == "2025-03-28"
    assert EXPECTED_DATASETS <= set(sdtmig.datasets)
    assert ("SDTMIG", "3.4") in available_standards()


def test_load_standard_is_cached(sdtmig):
    assert load_standard() is sdtmig
    assert load_standard("sdtmig", "3.4") is sdtmig


def test_unknown_standard_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown standard 'SDTMIG 9.9'"):
        load_standard("SDTMIG", "9.9")


def test_variables_well_formed(sdtmig):
    for ds in sdtmig.datasets.values():
        names = ds.names
        assert len(names) == len(set(names)), ds.name
        assert [v.order for v in ds.variables] == list(range(1, len(names) + 1)), ds.name
        assert names[0] == "STUDYID", ds.name
        for v in ds.variables:
            assert v.type in ("Char", "Num"), (ds.name, v.name)
            assert v.core in ("Req", "Exp", "Perm"), (ds.name, v.name)
            assert v.role, (ds.name, v.name)
            assert v.label and len(v.label) <= 40, (ds.name, v.name)
            assert re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", v.name), (ds.name, v.name)
        assert ds.keys and set(ds.keys) <= set(names), ds.name
        assert ds.keys[0] == ("NHOID" if ds.name == "OI" else "STUDYID"), ds.name
        assert ds.label and ds.cls and ds.structure


def test_keys(sdtmig):
    assert sdtmig.datasets["DM"].keys == ("STUDYID", "USUBJID")
    assert sdtmig.datasets["AE"].keys == ("STUDYID", "USUBJID", "AEDECOD", "AESTDTC")
    assert sdtmig.datasets["QS"].keys == ("STUDYID", "USUBJID", "QSCAT", "QSTESTCD", "VISITNUM", "QSDTC")
    assert sdtmig.datasets["TS"].keys == ("STUDYID", "TSPARMCD", "TSSEQ")
    for name in ("AE", "QS", "EX", "DS", "SV", "SE", "CM", "MH", "VS", "LB", "IE"):
        assert sdtmig.datasets[name].keys[:2] == ("STUDYID", "USUBJID"), name


def test_every_codelist_is_bundled(sdtmig):
    ct = bundled_ct()
    assert sdtmig.codelists.keys() == ct.keys()
    for ds in sdtmig.datasets.values():
        for v in ds.variables:
            lists = variable_codelists(ds.name, v.name)
            if v.codelist is None:
                assert lists == ()
            else:
                assert lists[0] == v.codelist
            for cl in lists:
                assert cl in ct, (ds.name, v.name, cl)
                assert ct[cl].id == cl


def test_known_codelists(sdtmig):
    def cl(ds, var):
        return sdtmig.datasets[ds].variable(var).codelist

    assert cl("DM", "SEX") == "SEX"
    assert cl("DM", "AGEU") == "AGEU"
    assert cl("DM", "ARMNRS") == "ARMNULRS"
    assert cl("DM", "COUNTRY") is None          # ISO 3166-1 alpha-3, not NCI CT
    assert cl("AE", "AESEV") == "AESEV"
    assert cl("AE", "AESER") == "NY"
    assert cl("AE", "AEACN") == "ACN"
    assert cl("AE", "AEOUT") == "OUT"
    assert cl("AE", "AEREL") is None            # sponsor-defined in SDTMIG 3.4
    assert cl("EX", "EXDOSU") == "UNIT"
    assert cl("EX", "EXROUTE") == "ROUTE"
    assert cl("EX", "EXDOSFRM") == "FRM"
    assert cl("EX", "EXDOSFRQ") == "FREQ"
    assert cl("QS", "QSCAT") == "QSCAT"
    assert cl("QS", "QSTESTCD") is None         # depends on QSCAT (DLQI1TC for DLQI)
    assert cl("TS", "TSPARMCD") == "TSPARMCD"
    assert cl("TS", "TSPARM") == "TSPARM"
    assert cl("SUPPQUAL", "QEVAL") == "EVAL"
    assert variable_codelists("DS", "DSDECOD") == ("NCOMPLT", "PROTMLST", "OTHEVENT")
    assert variable_codelists("SUPPAE", "RDOMAIN") == ("DOMAIN",)


def test_qs_baseline_flags(sdtmig):
    qs = sdtmig.datasets["QS"]
    assert qs.variable("QSLOBXFL").core == "Exp"
    assert qs.variable("QSBLFL").core == "Perm"
    assert qs.names.index("QSLOBXFL") < qs.names.index("QSBLFL")


def test_supp_dataset(sdtmig):
    d = sdtmig.dataset("SUPPAE")
    assert d.name == "SUPPAE" and d.label == "Supplemental Qualifiers for AE"
    assert d.names == ("STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL",
                       "QORIG", "QEVAL")


def test_value_domains():
    assert value_domain("AE", "AESTDTC") == "ISO 8601 datetime or interval"
    assert value_domain("AE", "AEDECOD") == "MedDRA"
    assert value_domain("TS", "TSVALNF") == "ISO 21090 NullFlavor"
    assert value_domain("AE", "AESEV") is None
    assert value_domain("XX", "XXSEQ") is None


def test_ts_value_codelists(sdtmig):
    ct = sdtmig.codelists
    parms = ct["TSPARMCD"].values()
    assert ts_value_codelist("TPHASE") == "TPHASE"
    assert ts_value_codelist("RANDOM") == "NY"
    assert ts_value_codelist("ADAPT") == "NY"
    assert ts_value_codelist("DOSU") == "UNIT"
    assert ts_value_codelist("TITLE") is None
    assert ts_value_dictionary("FCNTRY") == "ISO 3166"
    assert ts_value_dictionary("TRT") == "UNII"
    from cdisc_mapper.standards.loader import _raw

    raw = _raw("SDTMIG", "3.4")
    for parm, cl in raw["ts_value_codelists"].items():
        assert parm in parms, parm
        assert cl in ct, cl
    for parm, d in raw["ts_value_dictionaries"].items():
        assert parm in parms, parm
        assert d in ct["DICTNAM"].values(), d


def test_package_never_reads_shared_folder(root):
    """The product ships its own metadata: nothing in the package may point at the oracle folder."""
    pattern = re.compile(r"shared[/\\]reference|\.\./shared|[/\\]shared[/\\]|/work/"
                         r"|CDISC_MAPPER_REFERENCE|sdtm_ig_v3\.4_")
    offenders = []
    for f in (root / "cdisc_mapper").rglob("*"):
        if f.is_file() and f.suffix in (".py", ".yaml", ".yml", ".json", ".csv", ".txt", ".toml"):
            text = f.read_text(encoding="utf-8", errors="replace")
            for n, line in enumerate(text.splitlines(), start=1):
                if pattern.search(line):
                    offenders.append(f"{f.relative_to(root)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_bundled_metadata_is_compact(root):
    std = root / "cdisc_mapper" / "standards"
    for f in [*std.glob("*.yaml"), *(std / "ct").glob("*.yaml")]:
        assert f.stat().st_size < 400_000, f.name


# --------------------------------------------------------------------------------------------------
# against the published SDTMIG 3.4 metadata


@pytest.fixture(scope="module")
def ig_variables(reference) -> dict[str, list[dict[str, str]]]:
    out = defaultdict(list)
    for r in _read_csv(reference / "standards" / "sdtm_ig_v3.4_Variables.csv"):
        out[r["Dataset Name"]].append(r)
    return out


@pytest.fixture(scope="module")
def ig_datasets(reference) -> dict[str, dict[str, str]]:
    return {r["Dataset Name"]: r for r in _read_csv(reference / "standards" / "sdtm_ig_v3.4_Datasets.csv")}


def test_datasets_match_reference(sdtmig, ig_datasets):
    for name, ds in sdtmig.datasets.items():
        ref = ig_datasets[name]
        assert ds.label == ref["Dataset Label"], name
        assert ds.cls == ref["Class"], name
        assert ds.structure == ref["Structure"], name


def test_variables_match_reference(sdtmig, ig_variables):
    ct = sdtmig.codelists
    assert set(sdtmig.datasets) == set(ig_variables) and len(sdtmig.datasets) == 63
    for name, ds in sdtmig.datasets.items():
        ref = sorted(ig_variables[name], key=lambda r: int(r["Variable Order"]))
        assert ds.names == tuple(r["Variable Name"] for r in ref), name
        for v, r in zip(ds.variables, ref):
            where = f"{name}.{v.name}"
            assert v.order == int(r["Variable Order"]), where
            # the export has one label with a stray literal "\n" (GFSEQID); the guide has none
            assert v.label == " ".join(r["Variable Label"].replace("\\n", " ").split()), where
            assert v.type == r["Type"], where
            assert v.core == r["Core"], where
            assert v.role == r["Role"], where
            codes = [c.strip() for c in r["CDISC CT Codelist Code(s)"].split(";") if c.strip()
                     and c.strip() != "C85495"]   # MSRESCAT's codelist, retired from the package
            assert [ct[c].code for c in variable_codelists(name, v.name)] == codes, where
            assert value_domain(name, v.name) == (r["Described Value Domain(s)"] or None), where


def test_codelist_short_names_match_reference(sdtmig, reference):
    """Codelist C-code <-> short name, as the NCI package has it."""
    path = reference / "ct" / "SDTM_Terminology_2025-03-28.txt"
    heads = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) > 4 and not row[1] and row[0] != "Code":
                heads[row[0]] = row[4]
    for ds in sdtmig.datasets.values():
        for v in ds.variables:
            for cl in variable_codelists(ds.name, v.name):
                assert heads[sdtmig.codelists[cl].code] == cl, (ds.name, v.name)


# --------------------------------------------------------------------------------------------------
# ADaMIG 1.3


@pytest.fixture(scope="module")
def adamig() -> Standard:
    return load_standard("ADaMIG", "1.3")


def test_adamig_shape(adamig):
    assert (adamig.name, adamig.version) == ("ADaMIG", "1.3")
    assert set(adamig.datasets) == {"ADSL", "BDS"}
    assert load_standard("adamig", "1.3") is adamig
    for ds in adamig.datasets.values():
        assert ds.names[:2] == ("STUDYID", "USUBJID")
        assert set(ds.keys) <= set(ds.names)
        for v in ds.variables:
            assert v.core in ("Req", "Cond", "Perm"), (ds.name, v.name)
            assert v.role == ""                      # ADaM variables have no SDTM role
            assert v.codelist is None or v.codelist in adamig.codelists, (ds.name, v.name)
    assert adamig.datasets["ADSL"].variable("SEX").codelist == "SEX"
    assert adamig.datasets["BDS"].variable("DTYPE").codelist == "DTYPE"
    assert adamig.datasets["BDS"].variable("ADTF").codelist == "DATEFL"
    assert variable_set("BDS", "AVAL") == "Analysis Parameter"
    assert variable_set("BDS", "STUDYID") == "Identifier"


def test_adamig_matches_reference(adamig, reference):
    structs = {r["Data Structure Name"]: r
               for r in _read_csv(reference / "standards" / "adam_ig_v1.3_DataStructures.csv")}
    rows = defaultdict(list)
    for r in _read_csv(reference / "standards" / "adam_ig_v1.3_Variables.csv"):
        rows[r["Data Structure Name"]].append(r)
    for name, long_name in (("ADSL", "Subject-Level Analysis Dataset"), ("BDS", "Basic Data Structure")):
        ds = adamig.datasets[name]
        assert ds.cls == structs[name]["Class"]
        assert ds.structure == structs[name]["CDISC Notes"]
        ref = rows[long_name]
        # the guide's identifier variables first, then the rest in the guide's order
        ref = [r for r in ref if r["Variable Set"] == "Identifier"] + \
              [r for r in ref if r["Variable Set"] != "Identifier"]
        assert ds.names == tuple(r["Variable Name"] for r in ref), name
        for v, r in zip(ds.variables, ref):
            where = f"{name}.{v.name}"
            assert (v.label, v.type, v.core) == (r["Variable Label"], r["Type"], r["Core"]), where
            assert variable_set(name, v.name) == r["Variable Set"], where
            assert (v.codelist or "") == r["CDISC CT Codelist Submission Value(s)"], where
            if v.codelist:
                assert adamig.codelists[v.codelist].code == r["CDISC CT Codelist Code(s)"], where
