"""Read a package in CDISC CORE's CSV layout, so that rule authors can validate small tables.

The layout (as CDISC publishes its rule test cases)::

    _datasets.csv    Filename,Label             one row per dataset (the list of the package)
    _variables.csv   dataset,variable,label,type,length
    ae.csv           one file per dataset, a header row of variable names
    .env             optional: PRODUCT=SDTMIG, VERSION=3-4, CT=..., DEFINE_XML=define.xml

Values are read as text exactly as written (no trimming, ``NA`` stays ``NA``); a variable that
``_variables.csv`` types ``Num`` is converted to numbers, and a value that is not a number is an
error (with ``lenient``, as CORE does, that dataset alone is left out of the package and listed
as skipped with the reason).  Labels are kept as written, trailing blanks included.  A dataset listed in ``_datasets.csv`` without its file, or a variable described in
``_variables.csv`` that its file does not have, is an error naming the file, the line and the
variable.  Files that ``_datasets.csv`` does not list are not part of the package (they are listed
as skipped).  Columns of a file that ``_variables.csv`` does not describe are kept as text.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd

from .load import Dataset, LoadError, Package, Variable

__all__ = ["is_csv_package", "load_csv_package", "read_env"]

_STANDARD_KEYS = {("SDTMIG", "3.4"): "sdtmig-3.4", ("ADAMIG", "1.3"): "adamig-1.3"}


def is_csv_package(path: Path) -> bool:
    return path.is_dir() and (path / "_datasets.csv").is_file()


def read_env(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (blank lines and ``#`` comments ignored)."""
    out: dict[str, str] = {}
    if not path.is_file():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise LoadError(f"expected KEY=VALUE, found {line[:40]!r}", file=str(path), line=n)
        k, v = line.split("=", 1)
        out[k.strip().upper()] = v.strip().strip('"').strip("'")
    return out


def _rows(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    return list(csv.reader(io.StringIO(text)))


def _table(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    rows = _rows(path)
    if not rows:
        raise LoadError("empty file: expected a header row " + ",".join(columns), file=str(path))
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    missing = [c for c in columns if c.lower() not in lower]
    if missing:
        raise LoadError(f"header has no column {missing[0]!r} (expected {','.join(columns)})",
                        file=str(path), line=1)
    out = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) == len(header) + 1 and row[1].strip().isdigit():
            row = [row[0]] + row[2:]          # a variant with the variable's order second
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            raise LoadError(f"{len(row)} fields, the header has {len(header)}", file=str(path),
                            line=n)
        rec = {lower[i]: (row[i] if i < len(row) else "") for i in range(len(header))}
        rec["_line"] = str(n)
        out.append(rec)
    return out


def _standard_key(env: dict[str, str]) -> str | None:
    product = env.get("PRODUCT", "").upper()
    version = env.get("VERSION", "").replace("-", ".")
    return _STANDARD_KEYS.get((product, version))


def load_csv_package(path: str | Path, *, standard: str | None = None,
                     lenient: bool = False) -> Package:
    """Read the CSV package in folder ``path``.  Raises :class:`LoadError` for bad input."""
    root = Path(path)
    env = read_env(root / ".env")
    dsfile, varfile = root / "_datasets.csv", root / "_variables.csv"
    listed = _table(dsfile, ("Filename",))
    variables: dict[str, list[dict[str, str]]] = {}
    if varfile.is_file():
        for rec in _table(varfile, ("dataset", "variable")):
            variables.setdefault(rec["dataset"].strip().upper().removesuffix(".CSV"),
                                 []).append(rec)
    files = {p.stem.upper(): p for p in root.iterdir()
             if p.is_file() and p.suffix.lower() == ".csv" and not p.name.startswith("_")}
    datasets: dict[str, Dataset] = {}
    used: set[str] = set()
    unreadable: list[tuple[Path, str]] = []
    for rec in listed:
        name = Path(rec["filename"].strip()).stem.upper()
        if not name:
            continue
        p = files.get(name)
        if p is None:
            raise LoadError(f"_datasets.csv lists dataset {name} but there is no "
                            f"{name.lower()}.csv", file=str(dsfile), line=int(rec["_line"]))
        used.add(name)
        try:
            datasets[name] = _read_dataset(p, name, rec.get("label", ""),
                                           variables.get(name, []), varfile)
        except _BadValue as e:
            if not lenient:
                raise
            unreadable.append((p, str(e)))
    skipped = [(p, "not listed in _datasets.csv") for n, p in sorted(files.items())
               if n not in used] + unreadable
    key = standard or _standard_key(env) or "sdtmig-3.4"
    kind = "ADaM" if key == "adamig-1.3" else "SDTM"
    for ds in datasets.values():
        ds.kind = kind
    define = None
    if env.get("DEFINE_XML"):
        cand = root / env["DEFINE_XML"]
        define = cand if cand.is_file() else None
    elif (root / "define.xml").is_file():
        define = root / "define.xml"
    return Package(root=root, datasets=datasets, skipped=skipped, define_path=define,
                   standard=key, standard_detected=standard is None,
                   files=[files[n] for n in datasets], env=env)


class _BadValue(LoadError):
    """A value that disagrees with the type ``_variables.csv`` gives its variable."""


def _read_dataset(path: Path, name: str, label: str, declared: list[dict[str, str]],
                  varfile: Path) -> Dataset:
    rows = _rows(path)
    header = [h.strip() for h in rows[0]] if rows else []
    keep = [i for i, h in enumerate(header) if h]
    names = [header[i] for i in keep]
    body = rows[1:]
    width = len(header)
    cols = {h: [(r[i] if i < len(r) else "") for r in body] for i, h in zip(keep, names)}
    for n, r in enumerate(body, 2):
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise LoadError(f"{len(r)} fields, the header has {width}", file=str(path), line=n)
    info = {d["variable"].strip(): d for d in declared}
    for v, d in info.items():
        if v and v not in cols:
            raise LoadError(f"_variables.csv describes variable {v} of {name}, which "
                            f"{path.name} does not have", file=str(varfile),
                            line=int(d["_line"]), variable=v)
    data: dict[str, object] = {}
    out_vars = []
    for order, v in enumerate(names, 1):
        d = info.get(v, {})
        typ = d.get("type", "").strip().lower()
        typ = "Num" if typ in ("num", "numeric", "float", "integer") else "Char"
        values = cols[v]
        if typ == "Num":
            s = pd.Series(values, dtype=object).str.strip()
            num = pd.to_numeric(s.mask(s.isin(("", ".")), None), errors="coerce")
            bad = num.isna() & ~s.isin(("", "."))
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise _BadValue(f"_variables.csv types {v} as Num but the value {values[i]!r} "
                                "is not a number", file=str(path), line=i + 2, variable=v)
            data[v] = num.astype("float64").to_numpy()
        else:
            data[v] = pd.Categorical(values)
        length = d.get("length", "").strip()
        out_vars.append(Variable(name=v, label=d.get("label", ""), type=typ,
                                 length=int(float(length)) if _is_number(length) else None,
                                 order=order))
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(body)))
    with open(path, "rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    return Dataset(name=name, label=label.strip(), path=path, file_format="csv",
                   variables=tuple(out_vars), data=frame, sha256=sha)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
