"""Raw forms in every input format read into the same raw form.

The bundled sample study's CSV forms are rewritten into XLSX, SAS7BDAT, XPT, Parquet, ODM-XML and
a semicolon-separated Latin-1 CSV (columns whose text is a clean number are written as numbers,
so the number rule is exercised); each is converted (SDTM only) and every SDTM XPT must equal the
CSV run byte for byte.  Bad files in each format give one error line naming the file, exit 2.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from lxml import etree

from cdisc_mapper.cli import main
from cdisc_mapper.errors import DataError
from cdisc_mapper.io.rawformats import read_table

SDTM = Path("tabulations") / "sdtm"
ODM = "http://www.cdisc.org/ns/odm/v1.3"


def _forms(root: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
            for p in sorted((root / "samples" / "ADT2002-P1").glob("*.csv"))}


def _numeric(col: pd.Series) -> bool:
    """Text that the number rule writes back unchanged (``3``, ``0.5``): stored as a number."""
    v = col.dropna()
    if v.empty or not v.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return False
    f = v.astype(float)
    back = f.map(lambda x: str(int(x)) if float(x).is_integer() else repr(float(x)))
    return bool((back == v).all()) and not v.str.match(r"^-?0\d").any()


def _typed(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: (t[c].astype(float) if _numeric(t[c]) else t[c]) for c in t})


def _write_xlsx(t: pd.DataFrame, path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(list(t.columns))
    typed = _typed(t)
    for row in typed.itertuples(index=False):
        ws.append([None if pd.isna(v) else (int(v) if isinstance(v, float) and v.is_integer()
                                              else v) for v in row])
    wb.save(path)


def _write_sas(t: pd.DataFrame, path: Path, xpt: bool) -> None:
    typed = _typed(t)
    typed = pd.DataFrame({c: (typed[c] if typed[c].dtype == float else typed[c].fillna(""))
                          for c in typed})
    if xpt:
        pyreadstat.write_xport(typed, str(path), file_format_version=5)
    else:
        pyreadstat.write_sas7bdat(typed, str(path))


def _write_parquet(t: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(_typed(t), preserve_index=False), path)


def _write_odm(forms: dict[str, pd.DataFrame], path: Path) -> None:
    E = lambda tag, **a: etree.Element(f"{{{ODM}}}{tag}", {k: str(v) for k, v in a.items()})
    odm = E("ODM", FileOID="F.1", FileType="Snapshot", ODMVersion="1.3.2",
            CreationDateTime="2026-01-01T00:00:00")
    study = etree.SubElement(odm, f"{{{ODM}}}Study", OID="S.1")
    mdv = etree.SubElement(study, f"{{{ODM}}}MetaDataVersion", OID="MDV.1", Name="v1")
    for form, t in forms.items():
        for c in t.columns:
            if c != "SUBJECT":
                etree.SubElement(mdv, f"{{{ODM}}}ItemDef", OID=f"IT.{form}.{c}", Name=c,
                                 DataType="text")
    clin = etree.SubElement(odm, f"{{{ODM}}}ClinicalData", StudyOID="S.1",
                            MetaDataVersionOID="MDV.1")
    subjects: dict[str, etree._Element] = {}
    for form, t in forms.items():
        for rec in t.to_dict("records"):
            key = rec["SUBJECT"]
            if key not in subjects:
                subjects[key] = etree.SubElement(clin, f"{{{ODM}}}SubjectData", SubjectKey=key)
            ev = etree.SubElement(subjects[key], f"{{{ODM}}}StudyEventData",
                                  StudyEventOID="SE.1")
            fd = etree.SubElement(ev, f"{{{ODM}}}FormData", FormOID=f"F.{form}")
            ig = etree.SubElement(fd, f"{{{ODM}}}ItemGroupData", ItemGroupOID=f"IG.{form}")
            for c, v in rec.items():
                if c != "SUBJECT" and not pd.isna(v):
                    etree.SubElement(ig, f"{{{ODM}}}ItemData", ItemOID=f"IT.{form}.{c}",
                                     Value=v)
    path.write_bytes(etree.tostring(odm, xml_declaration=True, encoding="UTF-8"))


def _project(root: Path, tmp: Path, fmt: str) -> Path:
    """A copy of the sample's mappings whose raw folder holds the forms in ``fmt``."""
    proj = tmp / fmt
    shutil.copytree(root / "mappings", proj / "mappings")
    raw = proj / "raw"
    raw.mkdir()
    forms = _forms(root)
    declared = {}
    for name, t in forms.items():
        if fmt == "csv":
            shutil.copy(root / "samples" / "ADT2002-P1" / f"{name}.csv", raw)
        elif fmt == "csv-latin1":
            t.to_csv(raw / f"{name}.txt", sep=";", encoding="latin-1", index=False)
            declared[name] = (f"{{file: {name}.txt, format: csv, delimiter: ';', "
                              f"encoding: latin-1}}")
        elif fmt == "xlsx":
            _write_xlsx(t, raw / f"{name}.xlsx")
        elif fmt in ("sas7bdat", "xpt"):
            _write_sas(t, raw / f"{name}.{fmt}", fmt == "xpt")
        elif fmt == "parquet":
            _write_parquet(t, raw / f"{name}.parquet")
        elif fmt == "odm":
            declared[name] = (f"{{file: export.xml, format: odm, item_group: IG.{name}, "
                              f"columns: name}}")
    if fmt == "odm":
        _write_odm(forms, raw / "export.xml")
    study = proj / "mappings" / "ADT2002-P1" / "study.yaml"
    text = study.read_text().replace("raw: ../../samples/ADT2002-P1", "raw: ../../raw")
    if declared:
        text += "\nforms:\n" + "".join(f"  {k}: {v}\n" for k, v in declared.items())
    study.write_text(text)
    return study


def _convert(study: Path, out: Path) -> int:
    return main(["convert", "-q", "--sdtm-only", "--no-validate", "--out", str(out), str(study)])


@pytest.fixture(scope="module")
def csv_run(root, tmp_path_factory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("csv")
    assert _convert(_project(root, tmp, "csv"), tmp / "out") == 0
    files = sorted((tmp / "out" / "ADT2002-P1" / SDTM).glob("*.xpt"))
    assert len(files) > 10
    return {p.name: p.read_bytes() for p in files}


@pytest.mark.parametrize("fmt", ["xlsx", "sas7bdat", "xpt", "parquet", "odm", "csv-latin1"])
def test_every_format_gives_the_csv_sdtm(fmt, root, tmp_path, csv_run):
    assert _convert(_project(root, tmp_path, fmt), tmp_path / "out") == 0
    got = {p.name: p.read_bytes()
           for p in sorted((tmp_path / "out" / "ADT2002-P1" / SDTM).glob("*.xpt"))}
    assert sorted(got) == sorted(csv_run)
    differ = [n for n in got if got[n] != csv_run[n]]
    assert differ == []


# ------------------------------------------------------------------------ typed values


def test_typed_values_become_the_declared_text(tmp_path):
    df = pd.DataFrame({"N": [3.0, 0.1, float("nan")], "D": [dt.date(2020, 6, 15), None,
                                                            dt.date(1999, 12, 31)],
                       "C": ["a", "", "c"]})
    want_n, want_d = ["3", "0.1", None], ["2020-06-15", None, "1999-12-31"]
    pyreadstat.write_sas7bdat(df, str(tmp_path / "f.sas7bdat"))
    pyreadstat.write_xport(df, str(tmp_path / "f.xpt"))
    pq.write_table(pa.table({"N": pa.array([3.0, 0.1, None]),
                             "D": pa.array([dt.date(2020, 6, 15), None, dt.date(1999, 12, 31)]),
                             "T": pa.array([dt.datetime(2020, 6, 15, 8, 30), None, None])}),
                   tmp_path / "f.parquet")
    for ext in ("sas7bdat", "xpt", "parquet"):
        t = read_table(tmp_path / f"f.{ext}", f"f.{ext}")
        assert [None if pd.isna(v) else v for v in t["N"]] == want_n, ext
        assert [None if pd.isna(v) else v for v in t["D"]] == want_d, ext
    assert t["T"].tolist()[0] == "2020-06-15T08:30:00"
    wb = openpyxl.Workbook()
    wb.active.append(["D", "T", "N"])
    wb.active.append([dt.datetime(2020, 6, 15), dt.datetime(2020, 6, 15, 8, 30, 5), 2.5])
    wb.save(tmp_path / "f.xlsx")
    t = read_table(tmp_path / "f.xlsx", "f.xlsx")
    assert t.iloc[0].tolist() == ["2020-06-15", "2020-06-15T08:30:05", "2.5"]


# ------------------------------------------------------------------------ bad files


def _bad(root: Path, tmp: Path, form_file: str, content: bytes, forms: str = "") -> Path:
    proj = tmp / "bad"
    shutil.copytree(root / "mappings", proj / "mappings")
    shutil.copytree(root / "samples" / "ADT2002-P1", proj / "raw")
    (proj / "raw" / "ae.csv").unlink()
    (proj / "raw" / form_file).write_bytes(content)
    study = proj / "mappings" / "ADT2002-P1" / "study.yaml"
    text = study.read_text().replace("raw: ../../samples/ADT2002-P1", "raw: ../../raw")
    study.write_text(text + (f"\nforms:\n  ae: {forms}\n" if forms else ""))
    return study


def _xlsx_bytes(tmp: Path) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["SUBJECT"])
    wb.save(tmp / "x.xlsx")
    return (tmp / "x.xlsx").read_bytes()


def _sas_bytes(tmp: Path, ext: str) -> bytes:
    df = pd.DataFrame({"SUBJECT": ["01-005"] * 50, "AETERM": ["headache"] * 50})
    (pyreadstat.write_xport if ext == "xpt" else pyreadstat.write_sas7bdat)(df, str(tmp / f"x.{ext}"))
    return (tmp / f"x.{ext}").read_bytes()


GARBAGE = b"\x00\x01 this is not the format it claims \xff\xfe" * 40


@pytest.mark.parametrize("case", [
    "xlsx-garbage", "xlsx-truncated", "xlsx-missing-sheet", "sas7bdat-garbage",
    "sas7bdat-truncated", "xpt-garbage", "parquet-garbage", "parquet-truncated",
    "odm-garbage", "odm-truncated", "odm-missing-item-group", "csv-wrong-encoding",
])
def test_bad_files_give_one_line(case, root, tmp_path, capsys):
    fmt, _, kind = case.partition("-")
    forms, name = "", f"ae.{fmt}"
    if fmt == "xlsx":
        good = _xlsx_bytes(tmp_path)
        forms = "{sheet: AE}" if kind == "missing-sheet" else ""
    elif fmt in ("sas7bdat", "xpt"):
        good = _sas_bytes(tmp_path, fmt)
    elif fmt == "parquet":
        pq.write_table(pa.table({"SUBJECT": ["01-005"]}), tmp_path / "x.parquet")
        good = (tmp_path / "x.parquet").read_bytes()
    elif fmt == "odm":
        name, good = "export.xml", (
            f'<?xml version="1.0"?><ODM xmlns="{ODM}"><ClinicalData><SubjectData '
            f'SubjectKey="01-005"><StudyEventData><FormData><ItemGroupData ItemGroupOID="IG.X">'
            f'<ItemData ItemOID="AETERM" Value="x"/></ItemGroupData></FormData></StudyEventData>'
            f'</SubjectData></ClinicalData></ODM>').encode()
        forms = "{file: export.xml, format: odm, item_group: IG.AE}"
    else:
        name, good = "ae.csv", "SUBJECT,AETERM\n01-005,Kopfschmerz ä\n".encode("latin-1")
    content = {"garbage": GARBAGE, "truncated": good[: len(good) // 2]}.get(kind, good)
    study = _bad(root, tmp_path, name, content, forms)
    code = _convert(study, tmp_path / "out")
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"raw/{name}" in lines[0], lines[0]
    assert not (tmp_path / "out" / "ADT2002-P1" / SDTM).exists()
    expected = {"missing-sheet": "no sheet 'AE'", "missing-item-group": "IG.AE",
                "wrong-encoding": "not UTF-8 text: line "}.get(kind, "not ")
    assert expected in lines[0], lines[0]
    assert str(tmp_path) not in lines[0], lines[0]


def test_the_readers_name_a_missing_item_group(tmp_path):
    (tmp_path / "e.xml").write_text(f'<ODM xmlns="{ODM}"><ClinicalData/></ODM>')
    with pytest.raises(DataError, match=r"e\.xml.*no ItemGroupData with ItemGroupOID 'IG\.AE'"):
        read_table(tmp_path / "e.xml", "e.xml", {"format": "odm", "item_group": "IG.AE"})


# ------------------------------------------------------------------------ check reads headers

@pytest.mark.parametrize("fmt", ["xlsx", "sas7bdat", "parquet", "odm", "csv-latin1"])
def test_check_reads_the_columns_of_every_format(fmt, root, tmp_path, capsys):
    """`check` knows a form's columns in every format (as declared), so a misspelt raw column
    is found before any data is converted."""
    from cdisc_mapper.mapping.checks import raw_header
    from cdisc_mapper.mapping.study import load_study, raw_form_path
    study_file = _project(root, tmp_path, fmt)
    study = load_study(study_file)
    for name in _forms(root):
        path = raw_form_path(study, name)
        table = read_table(path, name, study.forms.get(name), study.subject_id)
        header = raw_header(study, name)
        # ODM: the item group's declared items, of which a record may leave some out
        assert header is not None and set(table.columns) <= set(header), name
    dm = study_file.parent.parent / "common" / "dm.yaml"
    dm.write_text(dm.read_text().replace("from: SEX", "from: SEXX", 1))
    assert main(["check", str(study_file)]) == 2
    err = capsys.readouterr().err
    assert "raw column 'SEXX' is not in form 'dm'" in err and "did you mean 'SEX'" in err
