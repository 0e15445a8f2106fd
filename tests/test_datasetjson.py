"""Dataset-JSON 1.1: writer, row checker, reader.

Oracles: the official JSON Schema, the SAS-written example files (JSON beside the XPT holding the
same data), and the standard library's ``json`` parser.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from cdisc_mapper.errors import DataError, OutputError
from cdisc_mapper.io import datasetjson as dsj_module
from cdisc_mapper.io.datasetjson import check_dataset_json, read_dataset_json, write_dataset_json
from cdisc_mapper.io.xpt_header import read_xpt_records
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec

CREATED = dt.datetime(2025, 3, 4, 5, 6, 7)
META = dict(created=CREATED, study_oid="STUDY01", metadata_version_oid="MDV.STUDY01.SDTMIG.3.4",
            source_system_version="0.1.0")
TOP_LEVEL_ORDER = ["datasetJSONCreationDateTime", "datasetJSONVersion", "fileOID",
                   "dbLastModifiedDateTime", "originator", "sourceSystem", "studyOID",
                   "metaDataVersionOID", "metaDataRef", "itemGroupOID", "records", "name", "label",
                   "columns", "rows"]
EXAMPLES = ["sdtm/ae.json", "sdtm/dm.json", "sdtm/lb.json", "sdtm/suppdm.json", "sdtm/ts.json",
            "sdtm/dm.ndjson", "sdtm/dm.dsjc", "adam/adsl.json", "adam/adsl.ndjson",
            "adam/adtte.json", "i18n/ae.json"]


def V(name, label, type_="Char", **kw) -> VariableSpec:
    return VariableSpec(name=name, label=label, type=type_, **kw)


def dm_spec() -> DatasetSpec:
    return DatasetSpec(
        name="DM", label="Demographics", cls="Special-Purpose", structure="One record per subject",
        keys=("STUDYID", "USUBJID"), variables=(
            V("STUDYID", "Study Identifier"),
            V("USUBJID", "Unique Subject Identifier"),
            V("AGE", "Age", "Num"),
            V("HEIGHT", "Height", "Num", display_format="8.1"),
            V("RFSTDT", "Reference Start Date", "Num", display_format="DATE9."),
            V("RFSTDTM", "Reference Start Datetime", "Num", display_format="DATETIME20."),
            V("COMMENT", "Comment")))


def dm_df() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": ["STUDY01"] * 4,
        "USUBJID": ["STUDY01-001", "STUDY01-002", "STUDY01-003", "STUDY01-004"],
        "AGE": [84, 61, np.nan, -3],
        "HEIGHT": [170.5, 165.0, np.nan, 1e-7],
        "RFSTDT": [dt.date(2024, 1, 31), None, dt.date(1959, 12, 31), dt.date(1960, 1, 1)],
        "RFSTDTM": [dt.datetime(2024, 1, 31, 8, 30), None, None, dt.datetime(1960, 1, 1)],
        "COMMENT": ['says "hi"\\there', "", None, "caf\u00e9 \u2013 \u65e5\u672c \x00\x01"],
    })


@pytest.fixture(scope="module")
def schema(request):
    reference = request.getfixturevalue("reference")
    return json.loads((reference / "dataset-json-1.1/schema/dataset.schema.json").read_text())


def validate(doc: dict, schema: dict) -> None:
    jsonschema.Draft201909Validator(schema).validate(doc)


def write(tmp_path: Path, df=None, spec=None, name="dm.json", **kw) -> Path:
    path = tmp_path / name
    write_dataset_json(dm_df() if df is None else df, path, dm_spec() if spec is None else spec,
                       **{**META, **kw})
    return path


# ---------------------------------------------------------------- writer output

def test_output_is_valid_against_the_official_schema(tmp_path, schema):
    path = write(tmp_path, metadata_ref="define.xml")
    doc = json.loads(path.read_text(encoding="utf-8"))
    validate(doc, schema)
    assert list(doc) == TOP_LEVEL_ORDER
    assert check_dataset_json(path) == []


def test_top_level_and_column_metadata(tmp_path):
    doc = json.loads(write(tmp_path).read_text(encoding="utf-8"))
    assert doc["datasetJSONCreationDateTime"] == "2025-03-04T05:06:07"
    assert doc["dbLastModifiedDateTime"] == "2025-03-04T05:06:07"
    assert doc["datasetJSONVersion"] == "1.1.0"
    assert doc["fileOID"] == "STUDY01/MDV.STUDY01.SDTMIG.3.4/DM"
    assert doc["originator"] == "cdisc_mapper"
    assert doc["sourceSystem"] == {"name": "cdisc_mapper", "version": "0.1.0"}
    assert doc["studyOID"] == "STUDY01"
    assert doc["metaDataVersionOID"] == "MDV.STUDY01.SDTMIG.3.4"
    assert "metaDataRef" not in doc
    assert (doc["itemGroupOID"], doc["records"], doc["name"], doc["label"]) == \
        ("IG.DM", 4, "DM", "Demographics")
    assert doc["columns"] == [
        {"itemOID": "IT.DM.STUDYID", "name": "STUDYID", "label": "Study Identifier",
         "dataType": "string", "length": 7, "keySequence": 1},
        {"itemOID": "IT.DM.USUBJID", "name": "USUBJID", "label": "Unique Subject Identifier",
         "dataType": "string", "length": 11, "keySequence": 2},
        {"itemOID": "IT.DM.AGE", "name": "AGE", "label": "Age", "dataType": "integer"},
        {"itemOID": "IT.DM.HEIGHT", "name": "HEIGHT", "label": "Height", "dataType": "double",
         "displayFormat": "8.1"},
        {"itemOID": "IT.DM.RFSTDT", "name": "RFSTDT", "label": "Reference Start Date",
         "dataType": "date", "targetDataType": "integer", "displayFormat": "DATE9."},
        {"itemOID": "IT.DM.RFSTDTM", "name": "RFSTDTM", "label": "Reference Start Datetime",
         "dataType": "datetime", "targetDataType": "integer", "displayFormat": "DATETIME20."},
        {"itemOID": "IT.DM.COMMENT", "name": "COMMENT", "label": "Comment", "dataType": "string",
         "length": 15},
    ]
    assert doc["rows"][0] == ["STUDY01", "STUDY01-001", 84, 170.5, "2024-01-31",
                              "2024-01-31T08:30:00", 'says "hi"\\there']
    assert doc["rows"][2][2:6] == [None, None, "1959-12-31", None]
    assert doc["rows"][3][2:6] == [-3, 1e-7, "1960-01-01", "1960-01-01T00:00:00"]
    assert doc["rows"][1][6] == "" and doc["rows"][2][6] is None     # empty and missing differ


def test_returned_spec_carries_lengths(tmp_path):
    spec = write_dataset_json(dm_df(), tmp_path / "dm.json", dm_spec(), **META)
    assert [v.length for v in spec.variables] == [7, 11, 8, 8, 8, 8, 15]
    padded = write_dataset_json(dm_df(), tmp_path / "dm.json",
                                dm_spec().with_lengths({"STUDYID": 12}), **META)
    assert padded.variable("STUDYID").length == 12
    assert json.loads((tmp_path / "dm.json").read_text())["columns"][0]["length"] == 12


def test_numbers_that_are_not_all_whole_make_a_double_column(tmp_path):
    df = dm_df().assign(AGE=[84, 61.5, np.nan, 2.0 ** 60])
    doc = json.loads(write(tmp_path, df=df).read_text())
    assert doc["columns"][2]["dataType"] == "double"
    assert [r[2] for r in doc["rows"]] == [84.0, 61.5, None, 2.0 ** 60]
    big = dm_df().assign(AGE=[1.0, 2.0 ** 54, np.nan, 3.0])        # beyond 2**53: not "integer"
    assert json.loads(write(tmp_path, df=big).read_text())["columns"][2]["dataType"] == "double"


def test_integer_rendering_both_paths(tmp_path):
    """Few distinct values are rendered once each; many are rendered digit by digit."""
    n = 2000
    values = np.arange(n, dtype=float) * 7919 - 5_000_000
    values[::97] = np.nan
    values[5] = 2.0 ** 53
    values[6] = -(2.0 ** 53)
    values[7] = 0
    spec = DatasetSpec("LB", "Laboratory Test Results", "", "", (), (
        V("LBSEQ", "Sequence Number", "Num"), V("VISITNUM", "Visit Number", "Num")))
    df = pd.DataFrame({"LBSEQ": values, "VISITNUM": np.resize([1.0, 2.0, np.nan, -10.0], n)})
    path = tmp_path / "lb.json"
    write_dataset_json(df, path, spec, **META)
    doc = json.loads(path.read_text())
    assert [c["dataType"] for c in doc["columns"]] == ["integer", "integer"]
    got = [r[0] for r in doc["rows"]]
    assert got == [None if np.isnan(v) else int(v) for v in values]
    assert all(type(v) in (int, type(None)) for v in got)
    assert [r[1] for r in doc["rows"]] == [None if np.isnan(v) else int(v)
                                          for v in df["VISITNUM"]]


def test_dates_that_are_not_whole_days_stay_numbers(tmp_path):
    df = dm_df().assign(RFSTDT=[23406.5, np.nan, 1.0, 2.0])
    doc = json.loads(write(tmp_path, df=df).read_text())
    assert doc["columns"][4]["dataType"] == "double"
    assert doc["columns"][4]["displayFormat"] == "DATE9."
    assert [r[4] for r in doc["rows"]] == [23406.5, None, 1.0, 2.0]


def test_round_trip_equals_the_data(tmp_path):
    path = write(tmp_path)
    data, meta = read_dataset_json(path)
    expected = dm_df()
    assert list(data.columns) == list(expected.columns)
    for name in ("STUDYID", "USUBJID", "COMMENT"):
        assert data[name].fillna("<NA>").tolist() == expected[name].fillna("<NA>").tolist()
    assert data["COMMENT"].isna().tolist() == [False, False, True, False]
    np.testing.assert_array_equal(data["AGE"], expected["AGE"].to_numpy(dtype=float))
    np.testing.assert_array_equal(data["HEIGHT"], expected["HEIGHT"].to_numpy(dtype=float))
    np.testing.assert_array_equal(data["RFSTDT"], [23406.0, np.nan, -1.0, 0.0])
    np.testing.assert_array_equal(data["RFSTDTM"], [23406 * 86400 + 8.5 * 3600, np.nan, np.nan, 0])
    assert meta["records"] == 4 and meta["columns"][0]["itemOID"] == "IT.DM.STUDYID"
    assert "rows" not in meta


def test_empty_dataset(tmp_path, schema):
    path = write(tmp_path, df=dm_df().iloc[0:0])
    doc = json.loads(path.read_text())
    validate(doc, schema)
    assert doc["records"] == 0 and doc["rows"] == []
    assert check_dataset_json(path) == []
    data, _ = read_dataset_json(path)
    assert data.shape == (0, 7)


def test_two_writes_are_byte_identical(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write(tmp_path / "a").read_bytes()
    b = write(tmp_path / "b").read_bytes()
    assert a == b
    assert a.count(b"\n[") == 4            # one row per line


def test_writer_checks(tmp_path):
    with pytest.raises(OutputError, match=r"record 2, variable AGE, value '61': dataset DM: "
                                          r"expected a number in this Num variable, found text"):
        write(tmp_path, df=dm_df().assign(AGE=[84, "61", None, 1]))
    with pytest.raises(OutputError, match=r"column 1 is USUBJID, expected STUDYID"):
        write(tmp_path, df=dm_df()[["USUBJID", "STUDYID", "AGE", "HEIGHT", "RFSTDT", "RFSTDTM",
                                    "COMMENT"]])
    with pytest.raises(OutputError, match=r"record 1, variable COMMENT, value 5: dataset DM: "
                                          r"expected text in this Char variable, found int"):
        write(tmp_path, df=dm_df().assign(COMMENT=[5, "a", None, "b"]))
    with pytest.raises(OutputError, match=r"longest value is 11 characters, more than the "
                                          r"specified length 8"):
        write(tmp_path, spec=dm_spec().with_lengths({"USUBJID": 8}))
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    def broken(fh, tasks):
        fh.write(b"[partial")
        raise OSError("disk full")

    monkeypatch.setattr(dsj_module, "write_chunks", broken)
    with pytest.raises(OSError, match="disk full"):
        write(tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the row checker

def test_row_checks_find_planted_defects(tmp_path, schema):
    doc = json.loads(write(tmp_path).read_text())
    doc["rows"][1] = doc["rows"][1][:-1]           # a missing cell
    doc["rows"][2][2] = "84"                       # text in an integer column
    doc["rows"][3][3] = True                       # boolean in a double column
    doc["rows"][0][4] = 23406                      # number in a date column
    doc["records"] = 5                             # wrong record count
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    validate(doc, schema)                          # the official schema sees none of these
    problems = check_dataset_json(bad)
    assert "records is 5 but the file has 4 rows" in problems
    assert "row 2: 6 cells, expected 7 (one per column)" in problems
    assert 'row 3, column AGE: dataType integer needs an integer or null, found string "84"' \
        in problems
    assert "row 4, column HEIGHT: dataType double needs a number or null, found boolean true" \
        in problems
    assert "row 1, column RFSTDT: dataType date needs a string or null, found integer 23406" \
        in problems
    assert len(problems) == 5


def test_row_checks_on_broken_files(tmp_path):
    (tmp_path / "x.json").write_text("{not json")
    assert check_dataset_json(tmp_path / "x.json")[0].startswith(str(tmp_path / "x.json"))
    (tmp_path / "y.json").write_text(json.dumps({"columns": [{"name": "A", "dataType": "text"}],
                                                 "rows": [[1], "row"], "records": 2}))
    problems = check_dataset_json(tmp_path / "y.json")
    assert "missing required attribute 'datasetJSONCreationDateTime'" in problems
    assert "column 1: missing required attribute 'itemOID'" in problems
    assert "column 1 (A): unknown dataType 'text'" in problems
    assert "row 2: expected an array of cells, found string" in problems
    with pytest.raises(DataError, match="not a Dataset-JSON file"):
        read_dataset_json(tmp_path / "x.json")


def test_row_checks_cap_the_report(tmp_path):
    doc = json.loads(write(tmp_path).read_text())
    doc["rows"] = [["STUDY01", "X", "bad", None, None, None, None]] * 150
    doc["records"] = 150
    (tmp_path / "many.json").write_text(json.dumps(doc))
    problems = check_dataset_json(tmp_path / "many.json")
    assert len(problems) == 101 and problems[-1] == "... and 50 more problems"


# ---------------------------------------------------------------- the SAS-written examples

@pytest.mark.parametrize("rel", EXAMPLES)
def test_sas_examples_pass_the_row_checks(reference, rel):
    assert check_dataset_json(reference / "dataset-json-1.1/examples" / rel) == []


def test_the_extension_example_fails_the_row_checks(reference):
    """The extension example stores "na" in integer columns and claims 72 records for 2 rows."""
    problems = check_dataset_json(reference / "dataset-json-1.1/examples/extensions/"
                                  "extended_dataset.json")
    assert "records is 72 but the file has 2 rows" in problems
    assert any('column AEENDY: dataType integer needs an integer or null, found string "na"' in p
               for p in problems)


@pytest.mark.parametrize("name", ["sdtm/ae", "sdtm/dm", "sdtm/lb", "sdtm/suppdm", "sdtm/ts",
                                  "adam/adsl", "adam/adtte"])
def test_reader_agrees_with_the_sas_xpt_beside_the_json(reference, name):
    folder = reference / "dataset-json-1.1/examples"
    data, meta = read_dataset_json(folder / f"{name}.json")
    xpt = read_xpt_records(folder / f"{name}.xpt", encoding="cp1252")
    assert list(data.columns) == list(xpt.columns)
    assert len(data) == len(xpt) == meta["records"]
    for column in meta["columns"]:
        n = column["name"]
        if xpt[n].dtype == np.float64:
            np.testing.assert_allclose(data[n].to_numpy(dtype=float), xpt[n], rtol=1e-12,
                                       err_msg=n)
        else:
            assert data[n].fillna("").str.rstrip().tolist() == xpt[n].tolist(), n


def test_our_json_from_sas_data_is_schema_valid(reference, tmp_path, schema):
    """ADSL from SAS, written by us: valid, and dates come out as the SAS example has them."""
    import pyreadstat

    from cdisc_mapper.io.xpt_header import read_xpt_header
    folder = reference / "dataset-json-1.1/examples/adam"
    h = read_xpt_header(folder / "adsl.xpt")
    data, _ = pyreadstat.read_xport(str(folder / "adsl.xpt"))
    spec = DatasetSpec(h.name, h.label, "", "", ("USUBJID",), tuple(
        VariableSpec(v.name, v.label, "Char" if v.type == "char" else "Num",
                     display_format=v.format or None) for v in h.variables))
    path = tmp_path / "adsl.json"
    write_dataset_json(data, path, spec, **META)
    ours = json.loads(path.read_text())
    validate(ours, schema)
    assert check_dataset_json(path) == []
    sas = json.loads((folder / "adsl.json").read_text())
    for a, b in zip(ours["columns"], sas["columns"]):
        if b["dataType"] in ("date", "string", "integer"):
            assert a["dataType"] == b["dataType"], a["name"]
        if b["dataType"] == "date":
            assert a["targetDataType"] == "integer" and a["displayFormat"] == "DATE9."
    for j, c in enumerate(sas["columns"]):
        if c["dataType"] in ("date", "integer", "string"):
            assert [r[j] for r in ours["rows"]] == [r[j] for r in sas["rows"]], c["name"]
