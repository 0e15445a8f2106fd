"""Seeded fuzzing of the inputs a user writes: mapping files and raw CSV forms.

Each case damages one file of the minimal study (a line dropped, doubled or cut, a bracket, a
tag, an alias, a NUL, a non-UTF-8 byte, a ragged row, a blank key...) and converts it into a
folder that holds the previous package.  Whatever the damage: no traceback, exit 0, 1 or 2, and
after a failed run the previous package byte-identical with nothing left beside it.  The
generator is seeded, so a failing case is reproduced by its id; the run is bounded to a few
seconds (raise ``FUZZ_CASES`` to search longer).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import minimal
from cdisc_mapper.cli import main
from test_cli import snapshot

CASES = int(os.environ.get("FUZZ_CASES", "24"))
SEED = 20261202

YAML_FILES = ["study.yaml", "shared/dm.yaml", "shared/ae.yaml"]
CSV_FILES = ["raw/dm.csv", "raw/ae.csv", "raw/ex.csv", "ae_dictionary.csv"]
YAML_BITS = ["{", "}", "[", "]", ": ", "- ", "!!python/object/apply:os.system ['true']", "*a",
             "&a x", "<<: {}", "\t", "'", '"', "\x00", "method: nothing", "from: NOPE",
             "codelist: XX", "9" * 40, "x" * 300, "~", "null", "- [1, 2", "? a", "%YAML 1.1"]
CSV_BITS = [",", '"', "\n", "\x00", "\r", "\x1b", " ", "", "=1+1", "-", "01-999", "UN UNK 2021",
            "x" * 250, "S\u00e9oul", "\ufeff", ",,,,,", "NA", "Male,Male"]


def _mutate(data: bytes, rng: random.Random, bits: list[str]) -> bytes:
    lines = data.split(b"\n")
    op = rng.choice(["drop", "double", "cut", "insert", "replace", "swap", "bytes", "empty"])
    i = rng.randrange(len(lines))
    if op == "drop":
        del lines[i]
    elif op == "double":
        lines.insert(i, lines[i])
    elif op == "cut":
        return data[: rng.randrange(len(data) + 1)]
    elif op == "swap":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "bytes":
        pos = rng.randrange(len(data) + 1)
        return data[:pos] + rng.choice([b"\xff", b"\xe9", b"\x00", b"\xc3", b"\r\n\r"]) + data[pos:]
    elif op == "empty":
        return b""
    else:
        bit = rng.choice(bits).encode("utf-8")
        line = lines[i]
        pos = rng.randrange(len(line) + 1)
        end = pos if op == "insert" else min(len(line), pos + rng.randrange(1, 8))
        lines[i] = line[:pos] + bit + line[end:]
    return b"\n".join(lines)


def _cases():
    rng = random.Random(SEED)
    for k in range(CASES):
        if k % 2:
            yield k, rng.choice(CSV_FILES), rng.randrange(1 << 30), CSV_BITS
        else:
            yield k, rng.choice(YAML_FILES), rng.randrange(1 << 30), YAML_BITS


def test_damaged_inputs_never_break_the_promise(tmp_path, capsys):
    study = minimal.write(tmp_path / "project")
    folder = study.parent
    pristine = {f: (folder / f).read_bytes() for f in YAML_FILES + CSV_FILES}
    out = tmp_path / "out"
    assert main(["convert", str(study), "--out", str(out), "-q", "--no-validate"]) == 0
    before = snapshot(out)
    seen = {0: 0, 1: 0, 2: 0}
    for k, name, seed, bits in _cases():
        damaged = _mutate(pristine[name], random.Random(seed), bits)
        (folder / name).write_bytes(damaged)
        where = f"case {k}: {name} damaged with seed {seed}: {damaged[:300]!r}"
        try:
            code = main(["convert", str(study), "--out", str(out), "-q", "--no-validate"])
        except SystemExit as e:                 # argparse only; nothing else may escape
            code = e.code
        except BaseException as e:              # a traceback a user would see
            raise AssertionError(f"{where}: {type(e).__name__}: {e}") from e
        _, err = capsys.readouterr()
        assert code in (0, 1, 2), f"{where}: exit {code}: {err}"
        assert "Traceback" not in err, where
        hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
        assert hidden == [], f"{where}: left {hidden}"
        if code == 0:                           # a damage the product accepts: the new package
            before = snapshot(out)
        else:
            assert err.startswith("error:") or "\nerror:" in err, f"{where}: {err}"
            assert snapshot(out) == before, f"{where}: the previous package was changed"
        seen[code] += 1
        (folder / name).write_bytes(pristine[name])
    assert seen[2] and seen[1] + seen[2] >= CASES // 2, seen    # the fuzzing does reach errors
