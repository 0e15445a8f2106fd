"""The ``cdisc-map`` command line as a user sees it: help, exit codes, one-line errors, output.

Help, version, the sample conversion, ``check``, ``trace`` and ``synth`` run as real processes
(``python -m cdisc_mapper.cli``).  The bad-input matrix runs the same entry point in-process
(``cli.main``) on the minimal study, for speed; two of its cases also run as processes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

import minimal
from cdisc_mapper import __version__
from cdisc_mapper.cli import main

SDTM = Path("tabulations") / "sdtm"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdisc_mapper.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def snapshot(folder: Path) -> dict[str, str]:
    """Every path under ``folder`` (hidden ones included) with the digest of its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                         if p.is_file() else "dir")
            for p in sorted(folder.rglob("*"))}


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ------------------------------------------------------------------------------------ help

@pytest.mark.parametrize("command", [
    "",
    "convert",
    "check",
    "synth",
    "trace",
    "docs",
])
def test_help_shows_examples(command, root):
    args = [command, "--help"] if command else ["--help"]
    r = run(*args, cwd=root)
    assert r.returncode == 0 and r.stderr == ""
    assert "usage: cdisc-map" in r.stdout
    assert re.search(r"^examples?:\s*$", r.stdout, re.M), r.stdout
    example = f"cdisc-map {command}" if command else "cdisc-map convert"
    assert re.search(rf"^\s+{re.escape(example)}\b", r.stdout, re.M), r.stdout


def test_version(root):
    r = run("--version", cwd=root)
    assert r.returncode == 0
    assert r.stdout.strip() == f"cdisc-map {__version__}"


def test_no_command_prints_help(root):
    r = run(cwd=root)
    assert r.returncode == 0 and "examples:" in r.stdout


# ---------------------------------------------------------------------------- bad input

AE = minimal.AE


def _ae_row_replaced(old: str, new: str) -> dict:
    return {"forms": {"ae": minimal.FORMS["ae"].replace(old, new)}}


CASES = {
    # name: (changes to the minimal study, exit code, words the one error line must hold)
    "broken YAML": (
        {"mappings": {"ae": AE.replace("AETERM: {method: assign, from: AETERM}",
                                       "AETERM: {method: assign, from: AETERM")}},
        2, [r"mappings/MINI/shared/ae\.yaml:1[01]\b", "YAML"]),
    "unknown method": (
        {"mappings": {"ae": AE.replace("AETERM: {method: assign,", "AETERM: {method: asign,")}},
        2, [r"mappings/MINI/shared/ae\.yaml:10\b", "AETERM", "'asign'", "assign"]),
    "missing required parameter": (
        {"mappings": {"ae": AE.replace("codelist: AESEV}", "}").replace(", }", "}")}},
        2, [r"mappings/MINI/shared/ae\.yaml:12\b", "AESEV", "'codelist'"]),
    "variable not in SDTMIG": (
        {"mappings": {"ae": AE + "  AEFOO: {method: assign, from: AETERM}\n"}},
        2, [r"mappings/MINI/shared/ae\.yaml:16\b", "AEFOO", "SDTMIG"]),
    "unknown codelist": (
        {"mappings": {"ae": AE.replace("codelist: AESEV}", "codelist: SEVERITY}")}},
        2, [r"mappings/MINI/shared/ae\.yaml:12\b", "AESEV", "'SEVERITY'", "codelist"]),
    "python tag": (
        {"mappings": {"ae": AE.replace("AETERM: {method: assign, from: AETERM}",
                                       "AETERM: !!python/object/apply:os.system ['echo hi']")}},
        2, [r"mappings/MINI/shared/ae\.yaml:10\b", "tag", "python/object"]),
    "arm names an undefined element": (
        {"study": minimal.STUDY.replace("elements: [SCRN, TRT]", "elements: [SCRN, TREAT]")},
        2, [r"mappings/MINI/study\.yaml:13\b", "'TREAT'", "element"]),
    "missing raw column": (
        {"mappings": {"ae": AE.replace("AETERM: {method: assign, from: AETERM}",
                                       "AETERM: {method: assign, from: AE_TERM}")}},
        # found before any data is converted, at the mapping's line
        2, [r"mappings/MINI/shared/ae\.yaml:10\b", "AETERM", "'AE_TERM'", "not in form 'ae'"]),
    "unknown coded value": (
        _ae_row_replaced("Haedache,Moderate", "Haedache,Medium"),
        1, [r"mappings/MINI/raw/ae\.csv\b", r"AESEV\b", "'Medium'"]),
    "unparseable date": (
        _ae_row_replaced("Nausea,SEVERE,05 MAR 2021", "Nausea,SEVERE,31 FEB 2021"),
        1, [r"mappings/MINI/raw/ae\.csv\b", r"AESTDTC\b", "'31 FEB 2021'"]),
    "duplicate key": (
        {"forms": {"ae": minimal.FORMS["ae"] + "01-002,Nausea,mild,05 MAR 2021\n"}},
        1, [r"mappings/MINI/raw/ae\.csv\b", "duplicate", "MINI-01-002", "Nausea",
            "2021-03-05"]),
    "duplicate subject in a joined form": (
        {"mappings": {"dm": minimal.DM.replace("RFICDTC: {method: iso_date, date: ICDAT}",
                                               "RFICDTC: {method: iso_date, source: ic, "
                                               "date: ICDAT}")},
         "forms": {"ic": "SUBJECT,ICDAT\n01-001,01 MAR 2021\n01-002,03 MAR 2021\n"
                         "01-001,02 MAR 2021\n"}},
        1, [r"mappings/MINI/raw/ic\.csv\b", "01-001", "RFICDTC", "duplicate"]),
    "missing raw form": (
        {"mappings": {"ae": AE.replace("source: ae\n", "source: adverse\n")}},
        2, [r"mappings/MINI/shared/ae\.yaml:2\b", r"mappings/MINI/raw/adverse\.csv\b",
            "not found"]),
    "subject not in DM": (
        {"forms": {"ae": minimal.FORMS["ae"] + "09-999,Nausea,mild,05 MAR 2021\n"}},
        1, [r"mappings/MINI/raw/ae\.csv\b", "09-999"]),
    "value over 200 bytes": (
        {"forms": {"dm": minimal.FORMS["dm"].replace("01-002,01,", "01-002," + "S" * 201 + ",")}},
        1, [r"(raw/dm\.csv|/MINI/tabulations/sdtm/dm\.xpt)\b", "SITEID", "201 bytes"]),
    "non-ASCII value": (
        {"forms": {"dm": minimal.FORMS["dm"].replace("01-002,01,", "01-002,S\u00e9oul,")}},
        1, [r"(raw/dm\.csv|/MINI/tabulations/sdtm/dm\.xpt)\b", "SITEID", "'S\u00e9oul'",
            "ASCII"]),
}
KNOWN_BUGS: dict[str, str] = {}
CASE_PARAMS = [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c]))
               if c in KNOWN_BUGS else c for c in CASES]


def _convert(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as e:                       # argparse
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_bad_input_gives_one_clear_error_and_writes_nothing(case, tmp_path, capsys):
    changes, exit_code, words = CASES[case]
    good = minimal.write(tmp_path / "project")
    out = tmp_path / "out"
    # a previous good package in --out ...
    code, _, err = _convert(["convert", str(good), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    before = snapshot(out)
    assert "MINI/tabulations/sdtm/ae.xpt" in before
    # ... then the broken study, into that folder and into a fresh one
    study = minimal.write(tmp_path / "project", **changes)
    fresh = tmp_path / "fresh"
    for target in (out, fresh):
        code, stdout, stderr = _convert(["convert", str(study), "--out", str(target)], capsys)
        assert code == exit_code, stderr
        assert "Traceback" not in stderr
        errors = error_lines(stderr)
        assert errors, stderr
        hits = [e for e in errors if all(re.search(w, e) for w in words)]
        assert len(hits) == 1, f"expected one error line with {words}:\n{stderr}"
        # no other error line names the same thing (a closing summary line is allowed)
        assert len(errors) <= 2, stderr
        assert "/.MINI." not in stderr, "an error names a temporary staging path"
        assert "tabulations" not in stdout
    assert snapshot(out) == before, "the previous package was changed"
    assert snapshot(fresh) == {}, "files were written into a fresh --out folder"


@pytest.mark.parametrize("case", ["unknown method", "unknown coded value"])
def test_bad_input_as_a_process(case, tmp_path):
    changes, exit_code, words = CASES[case]
    study = minimal.write(tmp_path / "project", **changes)
    r = run("convert", str(study), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == exit_code
    assert "Traceback" not in r.stderr
    assert any(all(re.search(w, e) for w in words) for e in error_lines(r.stderr)), r.stderr
    assert not (tmp_path / "out" / "MINI").exists()


def test_every_data_problem_gets_its_own_line(tmp_path, capsys):
    forms = minimal.FORMS["ae"].replace("Moderate", "Medium").replace("mild", "meh")
    study = minimal.write(tmp_path, forms={"ae": forms.replace("05 MAR 2021", "31 FEB 2021")})
    code, _, err = _convert(["convert", str(study), "--out", str(tmp_path / "out")], capsys)
    assert code == 1 and "Traceback" not in err
    errors = error_lines(err)
    for value in ("'meh'", "'Medium'", "'31 FEB 2021'"):
        assert len([e for e in errors if value in e and "ae.csv" in e]) == 1, err
    assert len(errors) == 4 and "3 data problem" in errors[-1]
    assert not (tmp_path / "out").exists()


def test_data_problem_names_the_line_or_record_unambiguously(tmp_path, capsys):
    study = minimal.write(tmp_path, **CASES["unknown coded value"][0])
    code, _, err = _convert(["convert", str(study), "--out", str(tmp_path / "out")], capsys)
    assert code == 1
    line = next(e for e in error_lines(err) if "'Medium'" in e)
    # 'Medium' is on the second data row of ae.csv, which is line 3 of the file
    assert "ae.csv:3" in line or re.search(r"ae\.csv\b.*\brecord 2\b", line), line


def test_allow_problems_writes_the_value_empty_and_reports_it(tmp_path, capsys):
    study = minimal.write(tmp_path, **CASES["unknown coded value"][0])
    out = tmp_path / "out"
    code, stdout, err = _convert(["convert", str(study), "--out", str(out),
                                  "--allow-problems"], capsys)
    assert code == 0, err
    assert re.search(r"^MINI\s+\d+\s+\d+\s+1\s", stdout, re.M), stdout
    ae, _ = pyreadstat.read_xport(str(out / "MINI" / SDTM / "ae.xpt"))
    row = ae[ae.AETERM == "Haedache"]
    assert len(row) == 1 and row.AESEV.iloc[0] == ""
    assert sorted(ae.AESEV) == ["", "MILD", "SEVERE"]
    with open(out / "MINI" / "reports" / "data-problems.csv", encoding="utf-8",
              newline="") as fh:
        problems = list(csv.DictReader(fh))
    assert len(problems) == 1
    p = problems[0]
    assert (p["dataset"], p["variable"], p["value"], p["usubjid"]) == \
        ("AE", "AESEV", "Medium", "MINI-01-001")
    assert p["file"] == "mappings/MINI/raw/ae.csv" and p["record"] == "2"
    assert p["severity"] == "error" and p["message"]


@pytest.mark.parametrize("args, words", [
    (["convert", "{tmp}/nope.yaml"], ["study file not found", "nope.yaml"]),
    (["convert", "--timestamp", "yesterday"], ["--timestamp", "'yesterday'", "ISO 8601"]),
    (["convert", "--ct", "{tmp}/ct.txt"], ["--ct file not found", "ct.txt"]),
    (["trace", "{tmp}", "AE", "--record", "1"], ["no lineage.json"]),
    (["synth", "--study", "ADT2002-P9", "--out", "{tmp}/raw"], ["'ADT2002-P9'", "unknown study"]),
    (["synth", "--study", "ADT2002-P1", "--subjects", "0", "--out", "{tmp}/raw"], ["subjects"]),
])
def test_usage_errors_exit_2_with_one_line(args, words, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if argv[0] == "convert":
        argv += ["--out", str(tmp_path / "out")]
    code, stdout, err = _convert(argv, capsys)
    assert code == 2
    errors = error_lines(err)
    assert len(errors) == 1 and all(w in errors[0] for w in words), err
    assert not (tmp_path / "out").exists() and not (tmp_path / "raw").exists()


def test_check_reports_a_broken_mapping_and_runs_nothing(tmp_path, capsys):
    study = minimal.write(tmp_path, **CASES["unknown method"][0])
    code, stdout, err = _convert(["check", str(study)], capsys)
    assert code == 2 and "Traceback" not in err
    errors = error_lines(err)
    assert len(errors) == 1 and "ae.yaml:10" in errors[0] and "'asign'" in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mappings"]


# ------------------------------------------------------------------- the sample, end to end

@pytest.fixture(scope="module")
def phase2(root, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("cli-out")
    r = run("convert", "mappings/ADT2002-P2/study.yaml", "--out", str(out), cwd=root)
    assert r.returncode == 0, r.stderr
    return out, r


def test_check_on_the_sample(root):
    r = run("check", cwd=root)
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 3 and all(": ok (" in line for line in lines)
    assert "ADT2002-P1" in lines[0] and "ADT2002-P2" in lines[1] and "HTN201" in lines[2]


def test_summary_names_datasets_records_problems_and_folder(phase2):
    out, r = phase2
    folder = out / "ADT2002-P2" / SDTM
    adam = out / "ADT2002-P2" / "analysis" / "adam" / "datasets"
    xpts = sorted(folder.glob("*.xpt")) + sorted(adam.glob("*.xpt"))
    assert len(list(adam.glob("*.xpt"))) == 3
    records = sum(len(pyreadstat.read_xport(str(f))[0]) for f in xpts)
    header = re.search(r"^study\s+datasets\s+records\s+problems\s+findings\s+folder$",
                       r.stdout, re.M)
    assert header, r.stdout
    row = re.search(rf"^ADT2002-P2\s+{len(xpts)}\s+{records:,}\s+0\s+0E 0W 0N\s+(\S+)$",
                    r.stdout, re.M)
    assert row, r.stdout
    doc = json.loads((out / "ADT2002-P2" / "reports" / "validation.json").read_text())
    assert doc["findings"] == []
    assert Path(row.group(1)) == out / "ADT2002-P2"
    assert (out / "ADT2002-P2" / "reports" / "validation.html").is_file()
    assert "Traceback" not in r.stderr and not error_lines(r.stderr)


def test_quiet_convert_prints_nothing(root, tmp_path):
    r = run("convert", "mappings/ADT2002-P1", "--out", str(tmp_path), "-q", cwd=root)
    assert r.returncode == 0
    assert r.stdout == "" and r.stderr == ""
    assert (tmp_path / "ADT2002-P1" / SDTM / "dm.xpt").is_file()
    assert (tmp_path / "ADT2002-P1" / "reports" / "data-problems.csv").is_file()


def test_trace_prints_the_raw_file_and_row(phase2, root):
    out, _ = phase2
    package = out / "ADT2002-P2"
    ae, _ = pyreadstat.read_xport(str(package / SDTM / "ae.xpt"))
    subject = ae.USUBJID.iloc[0]
    index = int(ae.index[(ae.USUBJID == subject) & (ae.AESEQ == 1)][0])
    lineage = json.loads((package / SDTM / "lineage.json").read_text(encoding="utf-8"))
    entry = lineage["datasets"]["AE"]
    raw_file = entry["raw_files"][entry["records"]["raw_file"][index]]
    raw_row = entry["records"]["raw_row"][index]
    raw = pd.read_csv(root / raw_file, dtype=str, keep_default_na=False)
    r = run("trace", str(package), "AE", "--usubjid", subject, "--seq", "1", cwd=root)
    assert r.returncode == 0, r.stderr
    assert raw_file == "samples/ADT2002-P2/ae.csv"
    assert f"from {raw_file}, data row {raw_row} (line {raw_row + 1})" in r.stdout
    assert f"AETERM={raw.AETERM.iloc[raw_row - 1]!r}" in r.stdout
    assert re.search(rf"^\s+AETERM\s+= {re.escape(repr(ae.AETERM.iloc[index]))}", r.stdout,
                     re.M)
    # a record that does not exist is a usage error, one line, no traceback
    r = run("trace", str(package), "AE", "--usubjid", subject, "--seq", "999", cwd=root)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(error_lines(r.stderr)) == 1 and subject in r.stderr


def test_synth_writes_the_twelve_forms(tmp_path, root):
    r = run("synth", "--study", "ADT2002-P1", "--subjects", "30", "--out", str(tmp_path),
            cwd=root)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(f"{f}.csv" for f in ("dm", "ic", "rand", "ex", "ae", "easi", "iga",
                                                 "bsa", "dlqi", "nrs", "sv", "ds"))
    dm = pd.read_csv(tmp_path / "dm.csv", dtype=str)
    assert len(dm) == 30 and dm.SUBJECT.is_unique
    assert "12 raw forms" in r.stdout


def test_define_regenerates_the_same_define_files(phase2, root):
    """`cdisc-map define` rebuilds define.xml/define.html of both packages from the mappings and
    specs alone, byte for byte as `convert` wrote them."""
    out, _ = phase2
    study = out / "ADT2002-P2"
    files = [study / "tabulations" / "sdtm" / "define.xml",
             study / "analysis" / "adam" / "datasets" / "define.xml",
             study / "analysis" / "adam" / "datasets" / "define.html"]
    before = [f.read_bytes() for f in files]
    for f in files:
        f.unlink()
    r = run("define", "mappings/ADT2002-P2", "--out", str(out), cwd=root)
    assert r.returncode == 0, r.stderr
    assert [f.read_bytes() for f in files] == before


def test_results_command_rewrites_the_tables(phase2, root):
    out, _ = phase2
    results = out / "ADT2002-P2" / "analysis" / "adam" / "results"
    before = {p.name: p.read_bytes() for p in results.iterdir()}
    (results / "t14_2_1.csv").unlink()
    r = run("results", str(out / "ADT2002-P2"), cwd=root)
    assert r.returncode == 0, r.stderr
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before
    assert "results.html" in r.stdout
