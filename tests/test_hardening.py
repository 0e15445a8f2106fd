"""Bad input an attacker or a careless user gives, and what a first-time user trips over.

Each test reproduces one defect found by trying bad inputs on every command (it failed before the
fix): every bad input ends with one line naming the file and what is wrong, exit 2, no traceback,
and the previous output untouched.  Operating-system failures that a test cannot cause as root
(permission denied, a full or read-only disk) are injected as the ``OSError`` the system raises.
The output swap is killed at each of its steps in a child process.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import minimal
from cdisc_mapper import cli
from cdisc_mapper.cli import main
from cdisc_mapper.io import atomic
from test_cli import error_lines, snapshot

ROOT = Path(__file__).resolve().parents[1]
SDTM = Path("tabulations") / "sdtm"


def _cli(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:                       # argparse
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_error(code: int, err: str, *words: str) -> str:
    """Exit 2, no traceback, exactly one error line, naming every word."""
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = error_lines(err)
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    return lines[0]


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) \
        if folder.is_dir() else []


@pytest.fixture
def project(tmp_path):
    """The minimal study and a previous good package of it in ``out``."""
    study = minimal.write(tmp_path / "project")
    out = tmp_path / "out"
    assert main(["convert", str(study), "--out", str(out), "-q", "--no-validate"]) == 0
    return SimpleNamespace(study=study, folder=study.parent, out=out, tmp=tmp_path,
                           before=snapshot(out))


def _convert(p, capsys, *extra, out=None):
    return _cli(["convert", p.study, "--out", out or p.out, "--no-validate", *extra], capsys)


# ------------------------------------------------------------------------- 1. the output swap

def _kill_at(target: Path, step: str, exchange: bool, version: str) -> int:
    """Run a swap in a forked child that is SIGKILLed at ``step``; the child's exit status."""
    pid = os.fork()
    if pid == 0:                                   # the child: no cleanup of any kind runs
        try:
            if not exchange:
                atomic._exchange = lambda a, b: False

            def at(name):
                if name == step:
                    os.kill(os.getpid(), signal.SIGKILL)
            atomic._step = at
            with atomic.replaced_folder(target) as staging:
                (staging / "v.txt").write_text(version)
                (staging / "big.bin").write_bytes(os.urandom(1 << 16))
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
@pytest.mark.parametrize("step", ["staging", "staged", "exchanged", "parked", "moved", "cleaned"])
def test_swap_killed_at_any_step_keeps_a_whole_folder_and_is_recovered(tmp_path, step, exchange):
    target = tmp_path / "out" / "STUDY"
    with atomic.replaced_folder(target) as s:
        (s / "v.txt").write_text("old")
    code = _kill_at(target, step, exchange, "new")
    killed = code == -signal.SIGKILL
    if step in ("exchanged", "parked") and killed != (exchange == (step == "exchanged")):
        pytest.fail(f"step {step} {'not ' if not killed else ''}reached (exit {code})")
    if not killed:                                # a step this path does not take: ran to the end
        assert code == 0
        assert (target / "v.txt").read_text() == "new" and _hidden(target.parent) == []
        return
    if step == "parked":                          # the one instant of the two-rename fallback
        assert not target.exists()
    else:                                         # never a moment without the folder
        assert (target / "v.txt").read_text() in ("old", "new")
        assert (target / "v.txt").read_text() == ("new" if step in ("exchanged", "moved",
                                                                    "cleaned") else "old")
    if step != "cleaned":
        assert _hidden(target.parent), "the killed run left no staging folder to recover"
    # the next run recovers (puts the old folder back or drops the dead staging folder) first
    atomic.recover(target)
    assert (target / "v.txt").read_text() in ("old", "new")
    assert _hidden(target.parent) == []
    with atomic.replaced_folder(target) as s:
        (s / "v.txt").write_text("third")
    assert (target / "v.txt").read_text() == "third" and _hidden(target.parent) == []


def test_leftovers_of_older_versions_are_recovered(tmp_path):
    target = tmp_path / "STUDY"
    (tmp_path / ".STUDY.old").mkdir()               # killed between the two renames
    (tmp_path / ".STUDY.old" / "v.txt").write_text("old")
    (tmp_path / ".STUDY.k3j_9xq1").mkdir()          # an abandoned staging folder
    (tmp_path / ".STUDY.k3j_9xq1" / "big.bin").write_bytes(b"x" * 1000)
    with atomic.replaced_folder(target) as s:
        assert (target / "v.txt").read_text() == "old"   # put back before the new run writes
        (s / "v.txt").write_text("new")
    assert (target / "v.txt").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["STUDY"]


def test_a_live_run_keeps_its_staging_folder(tmp_path):
    target = tmp_path / "STUDY"
    with atomic.replaced_folder(target) as outer:
        (outer / "a").write_text("1")
        atomic.recover(target)                      # a second run starting meanwhile
        assert (outer / "a").is_file()


_SIGTERM_AT_SWAP = textwrap.dedent("""
    import os, signal, sys
    from cdisc_mapper import cli
    from cdisc_mapper.io import atomic
    def at(name):
        if name == "staged":
            os.kill(os.getpid(), signal.SIGTERM)
    atomic._step = at
    sys.exit(cli.main(sys.argv[1:]))
    """)


def test_sigterm_cleans_up_like_ctrl_c(project):
    r = subprocess.run([sys.executable, "-c", _SIGTERM_AT_SWAP, "convert", str(project.study),
                        "--out", str(project.out), "--no-validate"], capture_output=True,
                       text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 143, r.stderr
    assert "Traceback" not in r.stderr and "terminated" in r.stderr
    assert snapshot(project.out) == project.before


def test_a_kill_during_the_final_validation_leaves_the_previous_package(project, capsys,
                                                                        monkeypatch):
    assert _cli(["convert", project.study, "--out", project.out, "-q"], capsys)[0] == 0
    before = snapshot(project.out)
    assert "MINI/reports/validation.html" in before
    import cdisc_mapper.validate as validate_pkg

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(validate_pkg, "validate", interrupted)
    code, _, err = _cli(["convert", project.study, "--out", project.out,
                         "--timestamp", "2030-01-01T00:00:00"], capsys)
    assert code == 130, err
    assert snapshot(project.out) == before, "the package lost its reports or was replaced"


def test_output_folders_honour_the_umask(tmp_path, capsys):
    study = minimal.write(tmp_path / "project")
    old = os.umask(0o022)
    try:
        assert _cli(["convert", study, "--out", tmp_path / "out", "-q", "--no-validate"],
                    capsys)[0] == 0
    finally:
        os.umask(old)
    for folder in (tmp_path / "out" / "MINI", tmp_path / "out" / "MINI" / "tabulations"):
        assert folder.stat().st_mode & 0o777 == 0o755, oct(folder.stat().st_mode)


# ------------------------------------------------------------------ 2. formula injection

def test_data_problems_csv_neutralises_formula_leads(tmp_path, capsys):
    value = '=HYPERLINK("http://example.invalid","x")'
    forms = minimal.FORMS["ae"].replace("Moderate", value.replace('"', '""').join('""'))
    study = minimal.write(tmp_path / "project", forms={"ae": forms})
    code, _, err = _cli(["convert", study, "--out", tmp_path / "out", "--allow-problems", "-q",
                         "--no-validate"], capsys)
    assert code == 0, err
    rows = pd.read_csv(tmp_path / "out" / "MINI" / "reports" / "data-problems.csv", dtype=str)
    assert rows["value"].tolist() == ["'" + value], rows.to_dict("records")


# --------------------------------------------------------- 3. define describes the folder

def test_define_after_a_mapping_was_deleted_stops(project, capsys):
    xml = project.out / "MINI" / SDTM / "define.xml"
    before = xml.read_bytes()
    (project.folder / "shared" / "ae.yaml").unlink()
    code, _, err = _cli(["define", project.study, "--out", project.out], capsys)
    _one_error(code, err, "ae.xpt", "AE", "convert")
    assert xml.read_bytes() == before


# ------------------------------------------------------------------------ 4. tracebacks

@pytest.mark.parametrize("text", [
    "dataset: AE\nx: " + "[" * 50_000 + "\n",
    "dataset: AE\nx: " + "{k: " * 3000 + "1" + "}" * 3000 + "\n",
    "dataset: AE\nx:\n" + "".join(" " * i + "- \n" for i in range(1, 900)) + "v: 1\n",
], ids=["50000-brackets", "3000-deep", "900-deep-block"])
def test_deeply_nested_yaml_is_one_error(project, capsys, text):
    (project.folder / "shared" / "ae.yaml").write_text(text, encoding="utf-8")
    code, _, err = _convert(project, capsys)
    _one_error(code, err, "ae.yaml", "nested")
    assert snapshot(project.out) == project.before


@pytest.mark.parametrize("content, words", [
    (b"LLT,PT\nHeadache,Headache\nHaedache,Head\xe4che\nNausea,Nausea\n", ["UTF-8"]),
    (b"LLT,PT\nHeadache,Headache\nHaedache,Headache,extra\nNausea,Nausea\n", ["CSV"]),
], ids=["latin1-byte", "ragged-row"])
def test_broken_dictionary_is_one_error(project, capsys, content, words):
    (project.folder / "ae_dictionary.csv").write_bytes(content)
    code, _, err = _convert(project, capsys)
    _one_error(code, err, "ae_dictionary.csv", *words)
    assert snapshot(project.out) == project.before


def _deny(monkeypatch, module, name: str, suffix: str):
    """Make ``module.name(path, ...)`` raise PermissionError for paths ending in ``suffix``."""
    real = getattr(module, name)

    def denied(path, *a, **k):
        if str(path).endswith(suffix):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *a, **k)
    monkeypatch.setattr(module, name, denied)


def test_permission_denied_on_a_raw_csv(project, capsys, monkeypatch):
    import cdisc_mapper.io.rawformats as rawformats
    monkeypatch.setattr(rawformats, "pd", SimpleNamespace(**{**vars(pd), "read_csv": pd.read_csv}))
    _deny(monkeypatch, rawformats.pd, "read_csv", "ae.csv")
    code, _, err = _convert(project, capsys)
    _one_error(code, err, "ae.csv", "permission denied")
    assert snapshot(project.out) == project.before


def test_permission_denied_on_a_mapping_file(project, capsys, monkeypatch):
    real = Path.read_text

    def denied(self, *a, **k):
        if self.name == "ae.yaml":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *a, **k)
    monkeypatch.setattr(Path, "read_text", denied)
    code, _, err = _convert(project, capsys)
    _one_error(code, err, "ae.yaml", "permission denied")
    assert snapshot(project.out) == project.before


@pytest.mark.parametrize("err_no, words", [
    (errno.EACCES, ["permission denied"]),
    (errno.ENOSPC, ["no space left", "previous output"]),
    (errno.EROFS, ["read-only", "previous output"]),
], ids=["permission-denied", "disk-full", "read-only"])
def test_output_folder_refused_by_the_system(project, capsys, monkeypatch, err_no, words):
    import cdisc_mapper.engine.output as output
    real = output.write_bytes_atomic

    def refused(path, data, **k):
        if Path(path).name == "lineage.json":       # the disk fills up half-way
            raise OSError(err_no, os.strerror(err_no), str(path))
        return real(path, data, **k)
    monkeypatch.setattr(output, "write_bytes_atomic", refused)
    code, _, err = _convert(project, capsys)
    line = _one_error(code, err, "lineage.json", *words)
    assert ".MINI." not in line or "staging" in line
    assert snapshot(project.out) == project.before
    assert _hidden(project.out) == []


def test_out_that_cannot_be_a_folder(tmp_path, capsys):
    study = minimal.write(tmp_path / "project")
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    cases = {a_file: "a-file", a_file / "sub": "a-file", Path("/dev/null"): "/dev/null",
             tmp_path / ("x" * 300): "x" * 300}
    for out, word in cases.items():
        code, _, err = _cli(["convert", study, "--out", out, "--no-validate"], capsys)
        _one_error(code, err, word)
    assert a_file.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "project"]


def test_synth_out_a_file(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me")
    code, _, err = _cli(["synth", "--study", "ADT2002-P1", "--subjects", "3", "--out", a_file],
                        capsys)
    _one_error(code, err, "a-file")
    assert a_file.read_text() == "keep me"


def test_trace_on_a_truncated_lineage(project, capsys):
    lin = project.out / "MINI" / SDTM / "lineage.json"
    lin.write_bytes(lin.read_bytes()[: lin.stat().st_size // 2])
    code, _, err = _cli(["trace", project.out / "MINI", "AE", "--record", "1"], capsys)
    _one_error(code, err, "lineage.json", "truncated")


# --------------------------------------------------------------------- 5. huge mapping file

def test_huge_mapping_file_is_refused_at_once(project, capsys):
    ae = project.folder / "shared" / "ae.yaml"
    ae.write_text(minimal.AE + ("# " + "x" * 98 + "\n") * 60_000, encoding="utf-8")   # 6 MB
    t0 = time.perf_counter()
    code, _, err = _convert(project, capsys)
    assert time.perf_counter() - t0 < 5
    _one_error(code, err, "ae.yaml", "MB")


# ------------------------------------------------------------------ 6. silent drops in validate

@pytest.fixture
def package(project):
    return project.out / "MINI" / SDTM


@pytest.mark.parametrize("name, make", [
    ("dm.json", lambda p: p.write_text("[1,2,3]")),
    ("dm.json", lambda p: p.write_text("null")),
    ("dm.json", lambda p: p.write_text("[" * 200_000 + "]" * 200_000)),
    ("dm.xpt", lambda p: p.mkdir()),
    ("dm.xpt", lambda p: p.symlink_to("/dev/zero")),
], ids=["list", "null", "200000-deep", "xpt-folder", "xpt-dev-zero"])
def test_validate_names_a_dataset_file_it_cannot_read(package, capsys, name, make):
    (package / "dm.xpt").unlink()
    (package / "dm.json").unlink()
    make(package / name)
    code, _, err = _cli(["validate", package], capsys)
    _one_error(code, err, name)


def test_validate_names_every_unreadable_file(package, capsys):
    (package / "ae.xpt").write_bytes(b"not an xpt file at all" * 10)
    (package / "dm.xpt").write_bytes(b"HEADER RECORD" + b"\0" * 100)
    code, _, err = _cli(["validate", package], capsys)
    assert code == 2 and "Traceback" not in err
    assert "ae.xpt" in err and "dm.xpt" in err, err


def test_validate_says_which_of_two_formats_was_read(package, capsys):
    doc = json.loads((package / "ae.json").read_text())
    doc["rows"] = doc["rows"][:1]
    doc["records"] = 1
    (package / "ae.json").write_text(json.dumps(doc))      # a stale copy beside the XPT
    code, out, err = _cli(["validate", package], capsys)
    assert code in (0, 1), err
    line = next(ln for ln in out.splitlines() if "ae.json" in ln)
    assert "ae.xpt" in line and "differ" in line and "1 records" in line, line


# ------------------------------------------------------------- 7. messages to the wrong place

def test_validate_refuses_define_with_no_define(package, capsys):
    code, _, err = _cli(["validate", package, "--define", package / "define.xml",
                         "--no-define"], capsys)
    _one_error(code, err, "--no-define", "--define")


def test_empty_out_is_refused(tmp_path, capsys, monkeypatch):
    study = minimal.write(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    for argv in (["convert", study, "--out", ""], ["synth", "--out", ""],
                 ["validate", study.parent, "--out", ""]):
        code, _, err = _cli(argv, capsys)
        assert code == 2 and "Traceback" not in err and "folder" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_unreadable_raw_file_exits_2(project, capsys):
    (project.folder / "raw" / "ae.csv").write_bytes(
        minimal.FORMS["ae"].replace("Nausea", "Naus\xe9a").encode("latin-1"))
    code, _, err = _convert(project, capsys)
    _one_error(code, err, "ae.csv", "UTF-8")


# --------------------------------------------------------------------------- first use

def test_progress_modes():
    from cdisc_mapper.progress import Progress, steps

    class Tty(io.StringIO):
        def isatty(self):
            return True
    plain, quiet, tty = io.StringIO(), io.StringIO(), Tty()
    for stream, mode in ((plain, "auto"), (quiet, "quiet"), (tty, "auto")):
        p = Progress(mode, stream)
        for name in steps(p, ["DM", "AE", "LB"], "MINI SDTM"):
            p(f"{name} done")
    assert plain.getvalue() == "DM done\nAE done\nLB done\n"
    assert quiet.getvalue() == ""
    assert "DM done" in tty.getvalue() and "3/3" in tty.getvalue() or "ETA" in tty.getvalue()
    assert list(steps(print, ["a"], "x")) == ["a"]          # a plain callback: no bar


def test_convert_summary_names_the_files_to_open(tmp_path, capsys):
    study = minimal.write(tmp_path / "project")
    code, out, err = _cli(["convert", study, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    for name in ("tabulations/sdtm/define.html", "reports/validation.html"):
        assert str(tmp_path / "out" / "MINI" / name) in out, out
    code, out, err = _cli(["convert", study, "--out", tmp_path / "out", "-q"], capsys)
    assert code == 0 and out == "" and err == ""


def test_synth_without_out_never_rewrites_the_samples(tmp_path, capsys, monkeypatch):
    proj = tmp_path / "proj"
    (proj / "samples" / "ADT2002-P1").mkdir(parents=True)
    (proj / "samples" / "ADT2002-P1" / "dm.csv").write_text("bundled")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(cli, "_project_root", lambda: proj)
    code, _, err = _cli(["synth", "--study", "ADT2002-P1", "--subjects", "3", "-q"], capsys)
    assert code == 0, err
    assert (proj / "samples" / "ADT2002-P1" / "dm.csv").read_text() == "bundled"
    assert sorted(p.name for p in (proj / "samples").rglob("*")) == ["ADT2002-P1", "dm.csv"]
    assert any((work / "synth-out").rglob("dm.csv"))


def test_help_speaks_of_every_output_and_every_argument():
    parser = cli.build_parser()
    top = parser.format_help()
    for word in ("SDTM", "ADaM", "define", "results", "validation"):
        assert word in top
    subs = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    conv = subs.choices["convert"].format_help()
    for word in ("ADaM", "define.xml", "results", "validation.html"):
        assert word in conv
    for name, sp in subs.choices.items():
        for action in sp._actions:
            assert action.help, f"cdisc-map {name} {action.option_strings or action.dest}: no help"


def test_counts_are_said_in_the_right_number():
    from cdisc_mapper.progress import plural
    from cdisc_mapper.validate import ValidationResult

    assert [plural(n, "warning") for n in (0, 1, 2, 1234)] == [
        "0 warnings", "1 warning", "2 warnings", "1,234 warnings"]
    fake = SimpleNamespace(counts=lambda: {"error": 1, "warning": 1, "notice": 2},
                           issue_counts=lambda: {"error": 1, "warning": 1, "notice": 2},
                           standard="SDTMIG 3.4", ct_version="x", failed=lambda: True,
                           fail_on="error")
    assert ValidationResult.summary(fake).startswith("1 error, 1 warning, 2 notices")


# ------------------------------------------------------------ raw values the engine must refuse

def _raw_project(tmp_path, ae_rows: str):
    from cdisc_mapper.engine.raw import read_form
    path = tmp_path / "ae.csv"
    path.write_bytes(("SUBJECT,AETERM\n" + ae_rows).encode("utf-8"))
    return lambda: read_form("ae", path, "raw/ae.csv", "SUBJECT")


def test_a_blank_subject_in_a_raw_row_is_an_error(tmp_path):
    from cdisc_mapper.errors import DataError
    read = _raw_project(tmp_path, "001,Headache\n,Nausea\n002,Rash\n")
    with pytest.raises(DataError) as e:
        read()
    msg = str(e.value)
    assert "raw/ae.csv" in msg and "record 2" in msg and "SUBJECT" in msg and "empty" in msg


def test_a_nul_byte_in_a_raw_value_is_an_error(tmp_path):
    from cdisc_mapper.errors import DataError
    read = _raw_project(tmp_path, "001,Headache\n002,head\x00ache\n")
    with pytest.raises(DataError) as e:
        read()
    msg = str(e.value)
    assert "raw/ae.csv" in msg and "record 2" in msg and "AETERM" in msg and "control" in msg
    ok = _raw_project(tmp_path, "001,Headache\n002,Rash\n")()
    assert list(ok.table["AETERM"]) == ["Headache", "Rash"]
