"""XPT v5: the writer, its checks, and the independent TS-140 reader.

Oracles: the SAS-written files in the reference folder (ground truth of what SAS writes),
``pyreadstat.read_xport``, and the header parser in ``cdisc_mapper.io.xpt_header``, which shares no
code with the writer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_mapper.errors import DataError, OutputError
from cdisc_mapper.io import atomic
from cdisc_mapper.io import xpt as xpt_module
from cdisc_mapper.io.xpt import check_xpt, float_to_ibm, parse_sas_format, write_xpt
from cdisc_mapper.io.xpt_header import (ibm_to_float, read_xpt_header, read_xpt_library,
                                        read_xpt_records)
from cdisc_mapper.spec.model import DatasetSpec, VariableSpec

CREATED = dt.datetime(2025, 3, 4, 5, 6, 7)

# The SAS-written reference files; the pilot TS holds cp1252 text.
SAS_FILES = [
    ("sas-xpt/cdiscpilot01_adsl.xpt", None),
    ("sas-xpt/cdiscpilot01_dm.xpt", None),
    ("sas-xpt/cdiscpilot01_suppds.xpt", None),
    ("sas-xpt/cdiscpilot01_ta.xpt", None),
    ("sas-xpt/cdiscpilot01_te.xpt", None),
    ("sas-xpt/cdiscpilot01_ts.xpt", "cp1252"),
    ("dataset-json-1.1/examples/sdtm/ae.xpt", None),
    ("dataset-json-1.1/examples/sdtm/dm.xpt", None),
    ("dataset-json-1.1/examples/sdtm/lb.xpt", None),
    ("dataset-json-1.1/examples/sdtm/suppdm.xpt", None),
    ("dataset-json-1.1/examples/sdtm/ts.xpt", "cp1252"),
    ("dataset-json-1.1/examples/adam/adsl.xpt", None),
    ("dataset-json-1.1/examples/adam/adtte.xpt", None),
]
SAS_IDS = [Path(p).name if p.startswith("sas") else p.split("/")[-2] + "/" + Path(p).name
           for p, _ in SAS_FILES]


def V(name, label, type_="Char", **kw) -> VariableSpec:
    return VariableSpec(name=name, label=label, type=type_, **kw)


def small_spec(**kw) -> DatasetSpec:
    base = dict(name="QS", label="Questionnaires", cls="Findings", structure="One record per ...",
                keys=("USUBJID", "QSSEQ"), variables=(
                    V("USUBJID", "Unique Subject Identifier"),
                    V("QSSEQ", "Sequence Number", "Num"),
                    V("QSORRES", "Finding in Original Units"),
                    V("QSSTRESN", "Numeric Finding in Standard Units", "Num"),
                    V("QSDT", "Date of Assessment", "Num", display_format="DATE9.")))
    base.update(kw)
    return DatasetSpec(**base)


def small_df() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S-001", "S-001", "S-002", None],
        "QSSEQ": [1, 2, 1, 3],
        "QSORRES": ["3", "NOT DONE", "", "12.5"],
        "QSSTRESN": [3.0, np.nan, -0.25, 12.5],
        "QSDT": [dt.date(2024, 1, 31), None, dt.date(1959, 12, 31), dt.date(1960, 1, 1)],
    })


def spec_from_sas(header, label: str | None = None) -> DatasetSpec:
    """A DatasetSpec from a SAS file's metadata (as read by the header parser)."""
    return DatasetSpec(
        name=header.name, label=label or header.label or f"{header.name} dataset",
        cls="", structure="", keys=(),
        variables=tuple(VariableSpec(
            name=v.name, label=v.label or v.name, type="Char" if v.type == "char" else "Num",
            display_format=v.format or None) for v in header.variables))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- the reader against SAS files

@pytest.mark.parametrize(("rel", "encoding"), SAS_FILES, ids=SAS_IDS)
def test_header_parser_agrees_with_pyreadstat(reference, rel, encoding):
    path = reference / rel
    _, meta = pyreadstat.read_xport(str(path), encoding=encoding)   # metadataonly: no row count
    h = read_xpt_header(path, encoding=encoding or "utf-8")
    assert h.name == meta.table_name
    assert h.label == (meta.file_label or "")
    assert h.observations == meta.number_rows
    assert list(h.names) == list(meta.column_names)
    position = 0
    for v in h.variables:
        assert v.label == (meta.column_names_to_labels[v.name] or "")
        assert v.type == ("char" if meta.readstat_variable_types[v.name] == "string" else "num")
        assert v.length == meta.variable_storage_width[v.name]
        assert v.position == position
        position += v.length
        sas_format = meta.original_variable_types[v.name]
        assert v.format.rstrip(".") == (sas_format or "").rstrip(".")
    assert h.sas_version.startswith("9.")          # written by SAS 9.x
    assert h.created is not None and h.created.year >= 2012


@pytest.mark.parametrize(("rel", "encoding"), SAS_FILES, ids=SAS_IDS)
def test_records_decoder_agrees_with_pyreadstat(reference, rel, encoding):
    path = reference / rel
    expected, meta = pyreadstat.read_xport(str(path), encoding=encoding,
                                           disable_datetime_conversion=True)
    got = read_xpt_records(path, encoding=encoding or "utf-8")
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for name in got.columns:
        if meta.readstat_variable_types[name] == "string":
            assert got[name].tolist() == expected[name].fillna("").tolist(), name
        else:
            np.testing.assert_array_equal(got[name].to_numpy(),
                                          expected[name].to_numpy(dtype=float), err_msg=name)


def test_sas_files_use_format_and_length_features(reference):
    """The reference set covers date formats, char formats, w.d formats and lengths > data."""
    adtte = read_xpt_header(reference / "dataset-json-1.1/examples/adam/adtte.xpt")
    formats = {v.name: v.format for v in adtte.variables}
    assert formats["TRTSDT"] == "DATE9."
    assert formats["STUDYID"] == "$12."
    assert "3." in formats.values()


# ---------------------------------------------------------------- round trip of SAS files

@pytest.mark.parametrize(("rel", "encoding"), SAS_FILES, ids=SAS_IDS)
def test_sas_file_round_trip(reference, tmp_path, rel, encoding):
    """Read a SAS file, write it back with write_xpt, compare metadata and values."""
    path = reference / rel
    sas = read_xpt_header(path, encoding=encoding or "utf-8")
    sas_rows = read_xpt_records(path, encoding=encoding or "utf-8")
    data, _ = pyreadstat.read_xport(str(path), encoding=encoding)   # dates as date objects
    spec = spec_from_sas(sas)
    if rel.endswith("cdiscpilot01_ts.xpt"):
        # The pilot TS holds a typographic apostrophe (cp1252): XPT v5 submissions must be ASCII.
        with pytest.raises(OutputError) as err:
            check_xpt(data, spec)
        msg = str(err.value)
        for part in ("ts.xpt, record 9", "variable TSVAL", "ASCII", "dataset TS"):
            assert part in msg
        data["TSVAL"] = data["TSVAL"].str.replace("\u2019", "'")
        sas_rows["TSVAL"] = sas_rows["TSVAL"].str.replace("\u2019", "'")
    out = tmp_path / f"{sas.name.lower()}.xpt"
    written = write_xpt(data, out, spec, created=CREATED)
    ours = read_xpt_header(out)
    assert ours.name == sas.name
    assert ours.label == spec.label
    assert ours.observations == sas.observations
    assert ours.created == ours.modified == CREATED
    longer_in_sas = {}
    for a, b, w in zip(sas.variables, ours.variables, written.variables):
        assert (b.name, b.label, b.type, b.format) == (a.name, a.label or a.name, a.type, a.format)
        assert b.length == w.length                       # the returned spec says what was written
        if a.type == "num":
            assert b.length == a.length == 8
        else:
            longest = max((len(s.encode("ascii")) for s in sas_rows[a.name]), default=0)
            assert b.length == max(longest, 1)            # the rule: longest value, at least 1
            assert b.length <= a.length
            if a.length > b.length:
                longer_in_sas[a.name] = (a.length, b.length)
    got = read_xpt_records(out)
    for name in sas_rows.columns:
        if sas_rows[name].dtype == np.float64:
            np.testing.assert_array_equal(got[name].to_numpy(), sas_rows[name].to_numpy(),
                                          err_msg=name)
        else:
            assert got[name].tolist() == sas_rows[name].tolist(), name
    # SAS itself often allots more than the longest value (e.g. 200 for TSVAL / IDVAR / QEVAL);
    # those are exactly the lengths the FDA rule trims.
    if rel.endswith("examples/sdtm/ts.xpt"):
        assert longer_in_sas["TSVALCD"][0] == 200 and longer_in_sas["TSVALCD"][1] < 200


def test_round_trip_engines_byte_identical_on_sas_data(reference, tmp_path):
    path = reference / "dataset-json-1.1/examples/adam/adsl.xpt"
    data, _ = pyreadstat.read_xport(str(path))
    spec = spec_from_sas(read_xpt_header(path))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_xpt(data, tmp_path / "a" / "adsl.xpt", spec, created=CREATED)
    write_xpt(data, tmp_path / "b" / "adsl.xpt", spec, created=CREATED, engine="pyreadstat")
    assert (tmp_path / "a" / "adsl.xpt").read_bytes() == (tmp_path / "b" / "adsl.xpt").read_bytes()


# ---------------------------------------------------------------- writer behaviour

def test_write_small_dataset(tmp_path):
    spec = small_spec()
    out = write_xpt(small_df(), tmp_path / "qs.xpt", spec, created=CREATED)
    assert [v.length for v in out.variables] == [5, 8, 8, 8, 8]
    assert out.variables[0].label == spec.variables[0].label     # everything else unchanged
    h = read_xpt_header(tmp_path / "qs.xpt")
    assert (h.name, h.label, h.observations) == ("QS", "Questionnaires", 4)
    assert [(v.name, v.type, v.length, v.format) for v in h.variables] == [
        ("USUBJID", "char", 5, ""), ("QSSEQ", "num", 8, ""), ("QSORRES", "char", 8, ""),
        ("QSSTRESN", "num", 8, ""), ("QSDT", "num", 8, "DATE9.")]
    data, meta = pyreadstat.read_xport(str(tmp_path / "qs.xpt"))
    assert meta.file_label == "Questionnaires"
    assert data["USUBJID"].tolist() == ["S-001", "S-001", "S-002", ""]   # missing -> blank
    assert data["QSORRES"].tolist() == ["3", "NOT DONE", "", "12.5"]
    assert data["QSSEQ"].tolist() == [1.0, 2.0, 1.0, 3.0]
    np.testing.assert_array_equal(data["QSSTRESN"], [3.0, np.nan, -0.25, 12.5])
    assert data["QSDT"].tolist()[0] == dt.date(2024, 1, 31)
    raw = read_xpt_records(tmp_path / "qs.xpt")
    np.testing.assert_array_equal(raw["QSDT"], [23406.0, np.nan, -1.0, 0.0])  # SAS day numbers


def test_all_missing_char_column_has_length_1(tmp_path):
    """An all-missing (or all-empty) Char column still needs length 1; pyreadstat agrees."""
    spec = small_spec()
    df = small_df()
    df["QSORRES"] = [None, "", None, ""]
    for engine, folder in (("native", tmp_path / "n"), ("pyreadstat", tmp_path / "p")):
        folder.mkdir()
        out = write_xpt(df, folder / "qs.xpt", spec, created=CREATED, engine=engine)
        assert out.variable("QSORRES").length == 1
        assert read_xpt_header(folder / "qs.xpt").variable("QSORRES").length == 1
    assert (tmp_path / "n" / "qs.xpt").read_bytes() == (tmp_path / "p" / "qs.xpt").read_bytes()


def test_engines_byte_identical_and_timestamps_patched(tmp_path):
    """pyreadstat stamps the wall clock; write_xpt replaces all four stamps with `created`."""
    df = small_df()
    df["QSSTRESN"] = [1e-80, -4.5e74, 0.1, -0.0]     # underflow to 0, extremes, inexact fractions
    (tmp_path / "n").mkdir()
    (tmp_path / "p").mkdir()
    write_xpt(df, tmp_path / "n" / "qs.xpt", small_spec(), created=CREATED)
    write_xpt(df, tmp_path / "p" / "qs.xpt", small_spec(), created=CREATED, engine="pyreadstat")
    native, viapyreadstat = (tmp_path / "n" / "qs.xpt").read_bytes(), \
        (tmp_path / "p" / "qs.xpt").read_bytes()
    assert native == viapyreadstat
    lib = read_xpt_library(tmp_path / "p" / "qs.xpt")
    assert lib.created_text == lib.modified_text == "04MAR25:05:06:07"
    assert lib.members[0].created_text == lib.members[0].modified_text == "04MAR25:05:06:07"
    assert native.count(b"04MAR25:05:06:07") == 4


def test_two_writes_are_byte_identical(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_xpt(small_df(), tmp_path / "a" / "qs.xpt", small_spec(), created=CREATED)
    write_xpt(small_df(), tmp_path / "b" / "qs.xpt", small_spec(), created=CREATED)
    assert (tmp_path / "a" / "qs.xpt").read_bytes() == (tmp_path / "b" / "qs.xpt").read_bytes()
    other = dt.datetime(2030, 12, 31, 23, 59, 58)
    write_xpt(small_df(), tmp_path / "b" / "qs.xpt", small_spec(), created=other)
    a, b = (tmp_path / "a" / "qs.xpt").read_bytes(), (tmp_path / "b" / "qs.xpt").read_bytes()
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    # only the four 16-byte timestamps differ
    assert {i - i % 16 for i in diff} <= set(xpt_module.TIMESTAMP_OFFSETS)
    assert read_xpt_header(tmp_path / "b" / "qs.xpt").created == other


def test_specified_length_is_honoured_and_checked(tmp_path):
    spec = small_spec()
    longer = spec.with_lengths({"USUBJID": 12})
    out = write_xpt(small_df(), tmp_path / "qs.xpt", longer, created=CREATED)
    assert out.variable("USUBJID").length == 12
    assert read_xpt_header(tmp_path / "qs.xpt").variable("USUBJID").length == 12
    assert read_xpt_records(tmp_path / "qs.xpt")["USUBJID"].tolist()[0] == "S-001"
    shorter = spec.with_lengths({"QSORRES": 4})
    with pytest.raises(OutputError, match=r"record 2, variable QSORRES, value 'NOT DONE'.*"
                                          r"8 bytes, longer than the specified length 4"):
        check_xpt(small_df(), shorter)


def test_trailing_blanks_do_not_count(tmp_path):
    df = small_df()
    df["QSORRES"] = ["3   ", "NOT DONE  ", "", "12.5"]
    out = write_xpt(df, tmp_path / "qs.xpt", small_spec(), created=CREATED)
    assert out.variable("QSORRES").length == 8


def test_numeric_inputs(tmp_path):
    spec = small_spec(variables=(
        V("USUBJID", "Unique Subject Identifier"),
        V("QSSEQ", "Sequence Number", "Num"),
        V("ADT", "Analysis Date", "Num", display_format="DATE9."),
        V("ADTM", "Analysis Datetime", "Num", display_format="DATETIME20."),
        V("ATM", "Analysis Time", "Num", display_format="TIME8."),
        V("AVAL", "Analysis Value", "Num", display_format="8.2")))
    df = pd.DataFrame({
        "USUBJID": ["A", "B"],
        "QSSEQ": pd.array([1, None], dtype="Int64"),
        "ADT": pd.to_datetime(["2024-01-31", None]),
        "ADTM": [dt.datetime(1960, 1, 2, 0, 0, 1), None],
        "ATM": [dt.time(1, 2, 3), None],
        "AVAL": np.array([1.5, np.nan], dtype=np.float32),
    })
    write_xpt(df, tmp_path / "qs.xpt", spec, created=CREATED)
    raw = read_xpt_records(tmp_path / "qs.xpt")
    np.testing.assert_array_equal(raw["QSSEQ"], [1.0, np.nan])
    np.testing.assert_array_equal(raw["ADT"], [23406.0, np.nan])
    np.testing.assert_array_equal(raw["ADTM"], [86401.0, np.nan])
    np.testing.assert_array_equal(raw["ATM"], [3723.0, np.nan])
    np.testing.assert_array_equal(raw["AVAL"], [1.5, np.nan])
    h = read_xpt_header(tmp_path / "qs.xpt")
    assert [v.format for v in h.variables][2:] == ["DATE9.", "DATETIME20.", "TIME8.", "8.2"]
    data, _ = pyreadstat.read_xport(str(tmp_path / "qs.xpt"))
    assert data["ADTM"][0] == dt.datetime(1960, 1, 2, 0, 0, 1)


def test_ibm_conversion_is_exact():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(20000) * 10.0 ** rng.integers(-78, 76, 20000)
    x = np.concatenate([x, [0.0, 1.0, -1.0, 0.1, 16.0 ** -65, 2.0 ** 52 + 1, 7.2e75, -7.2e75]])
    x = x[np.abs(x) < 16.0 ** 63]
    expected = np.where(np.abs(x) < 16.0 ** -65, 0.0, x)     # below the IBM range: 0, as SAS does
    np.testing.assert_array_equal(ibm_to_float(float_to_ibm(x)), expected)
    words = float_to_ibm(np.array([np.nan, 1.0, -118.625, 1e-80, -0.0]))
    assert [int(w) for w in words] == [0x2E << 56, 0x4110000000000000, 0xC276A00000000000, 0, 0]


def test_parse_sas_format():
    assert parse_sas_format("DATE9.") == ("DATE", 9, 0)
    assert parse_sas_format("8.2") == ("", 8, 2)
    assert parse_sas_format("E8601DA.") == ("E8601DA", 0, 0)
    assert parse_sas_format("E8601DT19.3") == ("E8601DT", 19, 3)
    assert parse_sas_format("$CHAR20.") == ("$CHAR", 20, 0)
    assert parse_sas_format("$12.") == ("$", 12, 0)
    assert parse_sas_format("3.") == ("", 3, 0)
    for bad in ("DATE9", ".", "DA TE9.", "9.X"):
        with pytest.raises(ValueError):
            parse_sas_format(bad)


def test_pyreadstat_engine_refuses_numbers_it_would_saturate(tmp_path):
    """ReadStat writes every magnitude from 16**62 (about 4.5E74) up as 7.2E75."""
    df = small_df().assign(QSSTRESN=[1.0, 1e75, 2.0, 3.0])
    with pytest.raises(OutputError,
                       match=r"record 2, variable QSSTRESN, value 1e\+75: .*pyreadstat"):
        write_xpt(df, tmp_path / "qs.xpt", small_spec(), created=CREATED, engine="pyreadstat")
    assert listing(tmp_path) == []
    write_xpt(df, tmp_path / "qs.xpt", small_spec(), created=CREATED)
    assert read_xpt_records(tmp_path / "qs.xpt")["QSSTRESN"][1] == 1e75


# ---------------------------------------------------------------- the checks

def _variables_with(index: int, **changes) -> tuple[VariableSpec, ...]:
    from dataclasses import replace
    variables = list(small_spec().variables)
    variables[index] = replace(variables[index], **changes)
    return tuple(variables)


CHECKS = [
    ("dataset name > 8", lambda: (small_spec(name="QSLONGNM9"), small_df()),
     r"dataset QSLONGNM9: dataset name 'QSLONGNM9' is not valid for XPT v5"),
    ("lower-case dataset name", lambda: (small_spec(name="qs"), small_df()),
     r"dataset qs: dataset name 'qs' is not valid"),
    ("variable name > 8", lambda: (small_spec(variables=_variables_with(2, name="QSORRESXX")),
                                   small_df().rename(columns={"QSORRES": "QSORRESXX"})),
     r"variable QSORRESXX: dataset QS: variable name 'QSORRESXX' is not valid for XPT v5"),
    ("variable name with a hyphen",
     lambda: (small_spec(variables=_variables_with(2, name="QS-RES")),
              small_df().rename(columns={"QSORRES": "QS-RES"})),
     r"variable QS-RES: dataset QS: variable name 'QS-RES' is not valid"),
    ("dataset label > 40", lambda: (small_spec(label="Q" * 41), small_df()),
     r"dataset QS: dataset label 'Q{41}' is 41 characters; XPT v5 allows at most 40"),
    ("dataset label missing", lambda: (small_spec(label=""), small_df()),
     r"dataset QS: dataset label is missing"),
    ("variable label > 40", lambda: (small_spec(variables=_variables_with(1, label="L" * 41)),
                                     small_df()),
     r"variable QSSEQ: dataset QS: variable label 'L{41}' is 41 characters"),
    ("non-ASCII label", lambda: (small_spec(variables=_variables_with(1, label="Séquence")),
                                 small_df()),
     r"variable QSSEQ: dataset QS: variable label 'Séquence' has the non-ASCII character 'é'"),
    ("non-ASCII value", lambda: (small_spec(), small_df().assign(QSORRES=["3", "x", "naïve", ""])),
     r"record 3, variable QSORRES, value 'naïve': dataset QS: expected ASCII text \(XPT v5\), "
     r"found 'ï' \(U\+00EF\) at character 3"),
    ("201-byte value", lambda: (small_spec(), small_df().assign(QSORRES=["3", "", "", "A" * 201])),
     r"record 4, variable QSORRES, value 'A{57}\.\.\.': dataset QS: value is 201 bytes; XPT v5 "
     r"submission values are at most 200 bytes"),
    ("wrong column order", lambda: (small_spec(), small_df()[["QSSEQ", "USUBJID", "QSORRES",
                                                               "QSSTRESN", "QSDT"]]),
     r"variable QSSEQ: dataset QS: column 1 is QSSEQ, expected USUBJID: the columns must be in "
     r"specification order \(USUBJID, QSSEQ, QSORRES, QSSTRESN, QSDT\)"),
    ("missing and extra column",
     lambda: (small_spec(), small_df().rename(columns={"QSDT": "QSDTC"})),
     r"dataset QS: the data columns differ from the specification; missing from the data: QSDT; "
     r"not in the specification: QSDTC"),
    ("text in a Num column", lambda: (small_spec(), small_df().assign(QSSEQ=[1, 2, "84", 4])),
     r"record 3, variable QSSEQ, value '84': dataset QS: expected a number in this Num variable, "
     r"found text"),
    ("numbers in a Char column", lambda: (small_spec(), small_df().assign(QSORRES=[1.0, 2, 3, 4])),
     r"record 1, variable QSORRES, value 1.0: dataset QS: expected text in this Char variable"),
    ("infinite number", lambda: (small_spec(), small_df().assign(QSSTRESN=[1, 2, np.inf, 3])),
     r"record 3, variable QSSTRESN, value inf: dataset QS: number out of the range"),
    ("time-zone-aware datetime",
     lambda: (small_spec(), small_df().assign(QSDT=pd.to_datetime(["2024-01-01"] * 4, utc=True))),
     r"variable QSDT: dataset QS: time-zone-aware datetimes cannot be written"),
    ("date without a date format",
     lambda: (small_spec(variables=_variables_with(4, display_format=None)), small_df()),
     r"record 1, variable QSDT, value datetime.date\(2024, 1, 31\): dataset QS: expected a number "
     r"in this Num variable, found a date, which needs a date display format"),
    ("malformed format",
     lambda: (small_spec(variables=_variables_with(4, display_format="DATE9")), small_df()),
     r"variable QSDT: dataset QS: not a SAS format: 'DATE9'"),
]


@pytest.mark.parametrize(("case", "make", "message"), CHECKS, ids=[c[0] for c in CHECKS])
def test_check_fires_with_clear_message_and_leaves_no_file(tmp_path, case, make, message):
    spec, df = make()
    with pytest.raises(OutputError, match=message) as err:
        check_xpt(df, spec)
    assert "\n" not in str(err.value)
    name = f"{spec.name.lower()}.xpt"
    for engine in ("native", "pyreadstat"):
        with pytest.raises(OutputError, match=message):
            write_xpt(df, tmp_path / name, spec, created=CREATED, engine=engine)
        assert listing(tmp_path) == []


def test_file_name_must_match_dataset(tmp_path):
    with pytest.raises(OutputError, match=r"dataset QS: the XPT file must be named qs.xpt"):
        write_xpt(small_df(), tmp_path / "QS.xpt", small_spec(), created=CREATED)
    with pytest.raises(OutputError, match=r"must be named qs.xpt"):
        write_xpt(small_df(), tmp_path / "qs_v2.xpt", small_spec(), created=CREATED)
    assert listing(tmp_path) == []


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "qs.xpt"
    write_xpt(small_df(), target, small_spec(), created=CREATED)
    before = target.read_bytes()

    def broken(fh, tasks):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(xpt_module, "write_chunks", broken)
    with pytest.raises(OSError, match="disk full"):
        write_xpt(small_df(), target, small_spec(), created=CREATED)
    assert target.read_bytes() == before                 # the previous file is untouched
    assert listing(tmp_path) == ["qs.xpt"]                # no temporary file left
    target.unlink()
    with pytest.raises(OSError, match="disk full"):
        write_xpt(small_df(), target, small_spec(), created=CREATED)
    assert listing(tmp_path) == []                       # no 0-byte or partial file


def test_pyreadstat_zero_byte_trap_is_contained(tmp_path, monkeypatch):
    """pyreadstat leaves a 0-byte file when a name is too long; the temp file is removed."""
    monkeypatch.setattr(xpt_module, "_check_spec", lambda spec: None)   # let the bad name through
    spec = small_spec(variables=_variables_with(2, name="QSORRESXX"))
    df = small_df().rename(columns={"QSORRES": "QSORRESXX"})
    with pytest.raises(Exception) as err:
        write_xpt(df, tmp_path / "qs.xpt", spec, created=CREATED, engine="pyreadstat")
    assert not isinstance(err.value, AssertionError)
    assert listing(tmp_path) == []


def test_atomic_open_removes_temp_on_interrupt(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_open(target) as fh:
            fh.write(b"half")
            raise KeyboardInterrupt
    assert listing(tmp_path) == []
    atomic.write_text_atomic(target, "done")
    assert target.read_text() == "done" and listing(tmp_path) == ["x.bin"]
    with atomic.atomic_path(tmp_path / "y.bin") as tmp:
        tmp.write_bytes(b"ok")
    assert (tmp_path / "y.bin").read_bytes() == b"ok"
    assert listing(tmp_path) == ["x.bin", "y.bin"]


# ---------------------------------------------------------------- the reader on odd input

def test_reader_rejects_files_that_are_not_xpt(tmp_path):
    cases = {
        "empty.xpt": b"",
        "text.xpt": b"STUDYID,USUBJID\nS1,S1-001\n" * 20,
        "v8.xpt": b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!" + b"0" * 30 + b"  "
                  + b" " * 160,
        "short.xpt": b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!",
    }
    expected = {"empty.xpt": "the file is empty", "text.xpt": "not a SAS transport",
                "v8.xpt": "version 8", "short.xpt": "shorter than the library header"}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match=expected[name]):
            read_xpt_header(tmp_path / name)


def test_reader_rejects_truncated_file(tmp_path):
    write_xpt(small_df(), tmp_path / "qs.xpt", small_spec(), created=CREATED)
    data = (tmp_path / "qs.xpt").read_bytes()
    (tmp_path / "cut.xpt").write_bytes(data[:600])
    with pytest.raises(DataError, match="NAMESTR|OBS"):
        read_xpt_header(tmp_path / "cut.xpt")


def test_reader_handles_multi_member_files(tmp_path):
    (tmp_path / "a").mkdir()
    write_xpt(small_df(), tmp_path / "a" / "qs.xpt", small_spec(), created=CREATED)
    other = pd.DataFrame({"STUDYID": ["S1", "S1", "S1"], "TSSEQ": [1.0, 2.0, np.nan]})
    spec2 = DatasetSpec("TS", "Trial Summary", "", "", (), (
        V("STUDYID", "Study Identifier"), V("TSSEQ", "Sequence Number", "Num")))
    write_xpt(other, tmp_path / "ts.xpt", spec2, created=CREATED)
    first = (tmp_path / "a" / "qs.xpt").read_bytes()
    second = (tmp_path / "ts.xpt").read_bytes()
    # the second file's member (its library header dropped) appended to the first file
    (tmp_path / "both.xpt").write_bytes(first + second[3 * 80:])
    lib = read_xpt_library(tmp_path / "both.xpt")
    assert [m.name for m in lib.members] == ["QS", "TS"]
    assert [m.observations for m in lib.members] == [4, 3]
    assert read_xpt_header(tmp_path / "both.xpt").name == "QS"
    rows = read_xpt_records(tmp_path / "both.xpt", member="TS")
    assert rows["STUDYID"].tolist() == ["S1", "S1", "S1"]
    np.testing.assert_array_equal(rows["TSSEQ"], [1.0, 2.0, np.nan])
    pd.testing.assert_frame_equal(read_xpt_records(tmp_path / "both.xpt"),
                                  read_xpt_records(tmp_path / "a" / "qs.xpt"))
    with pytest.raises(DataError, match="no member named 'XX'"):
        read_xpt_records(tmp_path / "both.xpt", member="XX")


def test_short_records_do_not_lose_the_last_row(tmp_path):
    """Records shorter than 80 bytes: blank padding is not counted as rows, real rows are kept."""
    spec = DatasetSpec("TE", "Trial Elements", "", "", (), (
        V("ETCD", "Element Code"), V("TEDUR", "Planned Duration of Element", "Num")))
    for n in range(1, 12):
        df = pd.DataFrame({"ETCD": [f"E{i}" for i in range(n)], "TEDUR": np.arange(n, dtype=float)})
        write_xpt(df, tmp_path / "te.xpt", spec, created=CREATED)
        assert read_xpt_header(tmp_path / "te.xpt").observations == n
        data, _ = pyreadstat.read_xport(str(tmp_path / "te.xpt"))
        assert len(data) == n
