"""Controlled terminology: the bundled SDTM and ADaM CT packages and NCI EVS files.

The package ships the whole NCI EVS SDTM Controlled Terminology package and the ADaM CT package
(``ct/sdtm-ct-<date>.tsv.gz``, ``ct/adam-ct-<date>.tsv.gz``, in the compact form of
:func:`write_compact`, read in about 0.2 s on first use and cached).  No bundled codelist is partial;
:func:`is_partial` stays for callers.  A user may point the tool at another published package
(``--ct``); :func:`load_ct` reads one.

Every :class:`~cdisc_mapper.spec.model.Codelist` is keyed and identified by its short name, the
"CDISC Submission Value" of the codelist row (``SEX``, ``NY``, ``UNIT``); terms carry the NCI code and
the NCI preferred term as decode.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from functools import cache
from importlib import resources
from pathlib import Path
from collections.abc import Mapping

import yaml

from cdisc_mapper.errors import UsageError
from cdisc_mapper.spec.model import Codelist, Term

BUNDLED_CT_VERSION = "2025-03-28"
_BUNDLED_FILE = f"sdtm-ct-{BUNDLED_CT_VERSION}.tsv.gz"

# Columns of an NCI EVS terminology file (tab-separated .txt) and of the CDISC Library CSV layout.
COL_CODE = "Code"
COL_CODELIST = "Codelist Code"
COL_EXTENSIBLE = "Codelist Extensible (Yes/No)"
COL_NAME = "Codelist Name"
COL_VALUE = "CDISC Submission Value"
COL_PREFERRED = "NCI Preferred Term"
REQUIRED_COLUMNS = (COL_CODE, COL_CODELIST, COL_EXTENSIBLE, COL_NAME, COL_VALUE, COL_PREFERRED)

_C_CODE = re.compile(r"^C\d+$")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")

try:  # the C loader is ~10x faster where libyaml is available
    _YamlLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _YamlLoader = yaml.SafeLoader


def _yaml(text: str) -> dict:
    return yaml.load(text, Loader=_YamlLoader)


# --------------------------------------------------------------------------------------------------
# bundled subset


_COMPACT_MAGIC = "# cdisc_mapper controlled terminology 1"


def write_compact(codelists: Mapping[str, Codelist]) -> bytes:
    """The product's own form of a CT package: gzip'd UTF-8 text, a magic first line, then per
    codelist (sorted by short name) one line ``code<TAB>short name<TAB>name<TAB>Y|N`` (extensible)
    followed by its terms in package order, each ``<TAB>code<TAB>submission value<TAB>decode``.
    Tabs and newlines never occur in NCI EVS values.  Deterministic (gzip mtime 0)."""
    out = [_COMPACT_MAGIC]
    for cid in sorted(codelists):
        c = codelists[cid]
        out.append(f"{c.code or ''}\t{cid}\t{c.name}\t{'Y' if c.extensible else 'N'}")
        out.extend(f"\t{t.code or ''}\t{t.value}\t{t.decode or ''}" for t in c.terms)
    return gzip.compress(("\n".join(out) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def read_compact(data: bytes) -> dict[str, Codelist]:
    """Codelists of a file written by :func:`write_compact`."""
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    if lines[0] != _COMPACT_MAGIC:
        raise ValueError("not a cdisc_mapper CT file")
    out: dict[str, Codelist] = {}
    head: list[str] | None = None
    terms: list[Term] = []

    def close():
        if head is not None:
            out[head[1]] = Codelist(id=head[1], name=head[2], terms=tuple(terms), code=head[0] or None,
                                    extensible=head[3] == "Y")

    for line in lines[1:]:
        if not line:
            continue
        if line[0] == "\t":
            _, code, value, decode = line.split("\t")
            terms.append(Term(value, code or None, decode or None))
        else:
            close()
            head, terms = line.split("\t"), []
    close()
    return out


@cache
def bundled_file(fname: str) -> tuple[dict[str, Codelist], frozenset[str], dict[str, int]]:
    """Codelists of one bundled CT file (``ct/<fname>``), its partial codelists and term counts.

    The bundled packages are complete (no partial codelists); the second and third items remain for
    callers that ask."""
    data = resources.files("cdisc_mapper.standards").joinpath("ct", fname).read_bytes()
    codelists = read_compact(data)
    return codelists, frozenset(), {cid: len(c.terms) for cid, c in codelists.items()}


def _bundled() -> tuple[dict[str, Codelist], frozenset[str], dict[str, int]]:
    return bundled_file(_BUNDLED_FILE)


def bundled_ct() -> dict[str, Codelist]:
    """The bundled SDTM CT codelists, keyed by short name (a new dict each call; entries are frozen)."""
    return dict(_bundled()[0])


def bundled_ct_version() -> str:
    """Date of the NCI EVS SDTM CT package the bundled codelists come from, e.g. ``2025-03-28``."""
    return BUNDLED_CT_VERSION


def partial_codelists() -> frozenset[str]:
    """Short names of the bundled codelists that carry only a selection of their terms."""
    return _bundled()[1]


def is_partial(codelist_id: str, codelists: Mapping[str, Codelist] | None = None) -> bool:
    """True where the bundled codelist holds only some of its terms (check with a full ``--ct``).

    With ``codelists`` (e.g. ``Standard.codelists``): True only where that mapping still holds the
    bundled partial codelist, False once a full package has replaced it."""
    if codelist_id not in _bundled()[1]:
        return False
    if codelists is None:
        return True
    return codelists.get(codelist_id) is _bundled()[0][codelist_id]


def total_terms(codelist_id: str) -> int | None:
    """Number of terms the codelist has in the full package (None for a codelist not bundled)."""
    return _bundled()[2].get(codelist_id)


# --------------------------------------------------------------------------------------------------
# full packages


def ct_version_from_path(path: Path | str) -> str:
    """The package date in a terminology file's name (``SDTM_Terminology_2025-03-28.txt``), or ''."""
    m = _DATE.search(Path(path).name)
    return m.group(1) if m else ""


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError("controlled terminology file not found", file=str(path)) from None
    except IsADirectoryError:
        raise UsageError("controlled terminology path is a folder, not a file", file=str(path)) from None
    except OSError as e:
        raise UsageError(f"cannot read controlled terminology file: {e.strerror}", file=str(path)) from None
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UsageError("controlled terminology is an Excel workbook; use the NCI EVS tab-delimited "
                         ".txt file (or the CDISC Library .csv) of the same package", file=str(path))
    if raw.lstrip()[:1] == b"<":
        raise UsageError("controlled terminology is an XML/HTML file; use the NCI EVS tab-delimited "
                         ".txt file (or the CDISC Library .csv) of the same package", file=str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def load_ct(path: Path | str) -> dict[str, Codelist]:
    """Read a full controlled terminology package, keyed by codelist short name.

    Accepts the NCI EVS tab-separated file (``SDTM_Terminology_2025-03-28.txt``) and the CDISC Library
    CSV layout (``ADaM_CT_2025-09-26.csv``): one row per codelist (empty "Codelist Code") followed by
    one row per term.  Raises :class:`~cdisc_mapper.errors.UsageError` for anything else.
    """
    path = Path(path)
    text = _read_text(path)
    first = text.split("\n", 1)[0]
    if "\t" in first:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UsageError("controlled terminology file is empty", file=str(path)) from None
    except csv.Error as e:
        raise UsageError(f"not a controlled terminology file ({e})", file=str(path)) from None
    names = [h.strip().strip('"') for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        what = ("no header of NCI EVS columns" if len(missing) == len(REQUIRED_COLUMNS)
                else "missing column(s) " + ", ".join(f"'{c}'" for c in missing))
        raise UsageError(f"not a CDISC controlled terminology file ({what}; expected an NCI EVS "
                         "terminology .txt or a CDISC Library CT .csv)", file=str(path), line=1)
    i_code, i_cl, i_ext, i_name, i_val, i_pt = (names.index(c) for c in REQUIRED_COLUMNS)
    width = max(i_code, i_cl, i_ext, i_name, i_val, i_pt) + 1

    heads: dict[str, tuple[str, str, bool]] = {}   # codelist code -> (short name, name, extensible)
    terms: dict[str, list[Term]] = {}
    term_lines: dict[str, int] = {}
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            line = reader.line_num
            if len(row) < width:
                raise UsageError(f"controlled terminology row has {len(row)} columns, expected "
                                 f"{len(names)}", file=str(path), line=line)
            code = row[i_code].strip()
            if not _C_CODE.match(code):
                raise UsageError(f"controlled terminology row has no NCI code (got {code!r})",
                                 file=str(path), line=line)
            parent = row[i_cl].strip()
            if parent:
                terms.setdefault(parent, []).append(
                    Term(value=row[i_val].strip(), code=code, decode=row[i_pt].strip() or None))
                term_lines.setdefault(parent, line)
            else:
                ext = row[i_ext].strip().lower()
                if ext not in ("yes", "no"):
                    raise UsageError(f"codelist {code}: extensible must be Yes or No (got "
                                     f"{row[i_ext]!r})", file=str(path), line=line)
                heads[code] = (row[i_val].strip(), row[i_name].strip(), ext == "yes")
    except csv.Error as e:
        raise UsageError(f"not a controlled terminology file ({e})", file=str(path),
                         line=reader.line_num) from None

    orphans = [c for c in terms if c not in heads]
    if orphans:
        c = min(orphans, key=lambda k: term_lines[k])
        raise UsageError(f"term rows refer to codelist {c}, which has no codelist row",
                         file=str(path), line=term_lines[c])
    if not heads:
        raise UsageError("controlled terminology file holds no codelists", file=str(path))

    out: dict[str, Codelist] = {}
    for code, (short, name, ext) in heads.items():
        if short in out:
            if out[short].code == code:
                continue
            raise UsageError(f"codelist short name {short!r} is used by both {out[short].code} and "
                             f"{code}", file=str(path))
        out[short] = Codelist(id=short, name=name, terms=tuple(terms.get(code, ())), code=code,
                              extensible=ext)
    return out


def merge_ct(*packages: dict[str, Codelist]) -> dict[str, Codelist]:
    """Codelists of several packages in one dict; a later package wins for the same short name."""
    out: dict[str, Codelist] = {}
    for p in packages:
        out.update(p)
    return out
