"""`trace`: an ADaM record back to its SDTM records and on to the raw rows, from any folder."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from test_adam_support import ROOT, converted
from cdisc_mapper.errors import UsageError
from cdisc_mapper.trace import show, trace


def test_trace_1_numbers_are_printed_as_written():
    assert show(10003107.0) == "10003107"          # not 1.00031e+07
    assert show(13.9) == "13.9" and show(0.1 + 0.2) == repr(0.1 + 0.2)
    assert show(float("nan")) == "" and show("Y") == "'Y'"


def test_trace_2_adam_record_leads_to_sdtm_records_and_raw_rows(tmp_path, monkeypatch):
    package = converted() / "ADT2002-P2"
    adam = package / "analysis" / "adam" / "datasets"
    lineage = json.loads((adam / "lineage.json").read_text(encoding="utf-8"))
    records = lineage["datasets"]["ADEFF"]["records"]
    index = next(i for i, r in enumerate(records) if len(r.split()) == 10)   # a DLQI total
    monkeypatch.chdir(tmp_path)                     # not the project folder
    out = trace(package, "ADEFF", record=index + 1)
    assert out.startswith(f"ADEFF record {index + 1} of {len(records)}")
    assert "from 10 SDTM records:" in out
    sdtm = json.loads((package / "tabulations/sdtm/lineage.json").read_text(encoding="utf-8"))
    qs = sdtm["datasets"]["QS"]
    first = int(records[index].split()[0].split(":")[1])
    raw_file = qs["raw_files"][qs["records"]["raw_file"][first - 1]]
    raw_row = qs["records"]["raw_row"][first - 1]
    raw = pd.read_csv(ROOT / raw_file, dtype=str, keep_default_na=False)
    assert f"from {raw_file}, data row {raw_row} (line {raw_row + 1})" in out
    assert f"SUBJECT={raw.SUBJECT.iloc[raw_row - 1]!r}" in out        # raw values shown
    assert "PARAMCD  = 'DLQI'" in out
    assert not re.search(r"\d\.\d+e\+\d", out)
    # an imputed record has no SDTM record
    imputed = next(i for i, r in enumerate(records) if r == "")
    assert "added by imputation" in trace(package, "ADEFF", record=imputed + 1)
    # ADAE by USUBJID and ASEQ/AESEQ, ADSL by USUBJID
    adsl = trace(package, "ADSL", usubjid="ADT2002-P2-01-001")
    assert "DM record 1" in adsl and "samples/ADT2002-P2/dm.csv, data row 1" in adsl


def test_trace_3_raw_files_under_a_named_project_folder(tmp_path):
    package = converted() / "ADT2002-P2"
    project = tmp_path / "elsewhere"
    (project / "samples").mkdir(parents=True)
    shutil.copytree(ROOT / "samples" / "ADT2002-P2", project / "samples" / "ADT2002-P2")
    sdtm = json.loads((package / "tabulations/sdtm/lineage.json").read_text(encoding="utf-8"))
    ae = sdtm["datasets"]["AE"]
    raw = project / ae["raw_files"][ae["records"]["raw_file"][0]]
    table = pd.read_csv(raw, dtype=str, keep_default_na=False)
    table.loc[ae["records"]["raw_row"][0] - 1, "AETERM"] = "TRACE-ME"
    table.to_csv(raw, index=False)
    out = trace(package, "AE", record=1, project=project)
    assert "AETERM='TRACE-ME'" in out           # read from the named folder, not the project
    with pytest.raises(UsageError, match="not in"):
        trace(package, "ADXX", record=1)
