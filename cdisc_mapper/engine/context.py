"""What a mapping method can see: the records being built and the study around them.

:class:`RunState` holds one study's conversion: raw forms (read once), codelists, datasets built so
far (DM first, so that other datasets can use its reference dates), and the data problems found.
:class:`BlockContext` is the view a method gets: the block's raw records, the variables derived
so far, and helpers that do the common work (joins by subject, value maps, controlled terms,
schedule look-ups) in one place, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, MappingError, Problem
from ..mapping.study import Study, raw_form_path
from ..mapping.terminology import synonym_table
from ..mapping.yamlfile import Located
from ..spec.model import Codelist, Standard
from .raw import RawForm, read_form


def _key(v: Any) -> str:
    return str(v).strip().upper()


def per_unique(s: pd.Series, fn) -> pd.Series:
    """Apply ``fn`` (a function of a Series) to the distinct non-missing values of ``s`` only,
    then spread the results back: raw columns repeat few values over many records."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    res = fn(pd.Series(uniques, dtype=object))
    arr = res.to_numpy(dtype=object, na_value=None) if len(res) else np.array([], dtype=object)
    out = np.empty(len(codes), dtype=object)
    ok = codes >= 0
    out[ok] = arr[codes[ok]]
    out[~ok] = None
    return pd.Series(out, index=s.index)


def keys_of(s: pd.Series) -> pd.Series:
    """Trimmed upper-case text of each value (missing stays missing), computed per distinct value."""
    return per_unique(s, lambda u: u.map(_key))


@dataclass
class RunState:
    study: Study
    standard: Standard
    codelists: dict[str, Codelist]
    forms: dict[str, RawForm] = field(default_factory=dict)
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    ct_version: str = ""                    # of the CDISC CT package in use
    notes: list[str] = field(default_factory=list)   # what the run left out, and why
    _dictionaries: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)

    def form(self, name: str) -> RawForm:
        if name not in self.forms:
            path = raw_form_path(self.study, name)
            self.forms[name] = read_form(name, path, self.study.display(path),
                                         self.study.subject_id, self.study.forms.get(name))
        return self.forms[name]

    def codelist(self, cid: str, doc: Located | None = None, path: tuple = ()) -> Codelist:
        if cid not in self.codelists:
            msg = f"unknown codelist '{cid}' (not in the bundled CT nor the study's codelists)"
            if doc is not None:
                raise doc.error(path, msg)
            raise MappingError(msg)
        return self.codelists[cid]

    def usubjid(self, subject: pd.Series) -> pd.Series:
        return (self.study.id + self.study.separator + subject.astype("string")).astype("string")

    def usubjid_of(self, records: pd.DataFrame, column) -> pd.Series:
        """USUBJID of raw records by the study file's rule (``column(name)`` reads a raw
        column of the records' form)."""
        rule = self.study.usubjid_rule or {"parts": ["STUDYID", self.study.subject_id],
                                           "separator": self.study.separator}
        if "from" in rule:
            return column(rule["from"]).astype("string")
        parts = [pd.Series(self.study.id, index=records.index, dtype="string")
                 if p == "STUDYID" else column(p).astype("string") for p in rule["parts"]]
        out = parts[0]
        for part in parts[1:]:
            out = out + rule.get("separator", "-") + part
        return out.astype("string")


class BlockContext:
    """The records of one block of a dataset mapping (or of a whole dataset, for dataset-stage
    methods), the variables derived so far, and the current variable's mapping."""

    def __init__(self, state: RunState, dataset: str, domain: str, form: RawForm,
                 records: pd.DataFrame, out: dict[str, pd.Series] | None = None):
        self.state = state
        self.study = state.study
        self.dataset = dataset
        self.domain = domain
        self.raw_form = form
        self.records = records
        self.index = records.index
        self.out: dict[str, pd.Series] = out if out is not None else {}
        self.var = ""
        self.doc: Located | None = None
        self.path: tuple = ()

    def codelist_of(self, name: str, params: dict) -> Codelist | None:
        """The codelist a variable's values belong to: the mapping's ``codelist``, else the
        implementation guide's for the variable (None when it has none)."""
        cid = params.get("codelist")
        if cid is None:
            igds = self.state.standard.dataset(self.dataset) or \
                self.state.standard.dataset(self.domain)
            v = igds.variable(name) if igds is not None else None
            cid = v.codelist if v is not None else None
        return self.state.codelists.get(cid) if isinstance(cid, str) else None

    # ------------------------------------------------------------------ errors and problems
    def fail(self, message: str, *, sub: tuple = ()) -> MappingError:
        if self.doc is not None:
            return self.doc.error(self.path + sub, message, variable=self.var or None)
        return MappingError(message, variable=self.var or None)

    def problem(self, mask: pd.Series, message: str, values: pd.Series | None = None) -> None:
        """Record a data problem on every record where ``mask`` holds."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        m = mask.to_numpy()
        recs = self.records.loc[m]
        vals = values[mask] if values is not None else None
        try:
            subj = self.usubjid()[m].tolist()
        except (DataError, MappingError):
            subj = [None] * len(recs)
        rows = recs["__row__"].tolist() if "__row__" in recs else [None] * len(recs)
        for i in range(len(recs)):
            v = vals.iloc[i] if vals is not None else ""
            self.state.problems.append(Problem(
                study=self.study.id, dataset=self.dataset, variable=self.var,
                file=self.raw_form.display, record=None if rows[i] is None else int(rows[i]),
                usubjid=None if subj[i] is None or subj[i] is pd.NA else str(subj[i]),
                value="" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                else str(v), message=message))

    # ------------------------------------------------------------------ reading values
    def column(self, name: str, source: str | None = None) -> pd.Series:
        """A raw column of the block's form, or of form ``source`` joined by subject."""
        if source is None or source == self.raw_form.name:
            if name not in self.records.columns or name.startswith("__"):
                try:
                    self.raw_form.column(name)
                except DataError as e:
                    raise DataError(e.message, file=self.raw_form.display,
                                    variable=self.var or None) from None
            return self.records[name]
        other = self.state.form(source)
        values = other.column(name)
        subj = other.subject
        dup = subj.duplicated(keep=False)
        if dup.any():
            first = subj[dup].iloc[0]
            rows = other.rows[subj == first].tolist()
            raise DataError(f"duplicate key: subject {first} appears on rows {rows} of form "
                            f"'{source}', which must have one row per subject to be joined",
                            file=other.display, variable=self.var or None)
        lookup = pd.Series(values.to_numpy(), index=subj.to_numpy())
        return self._align(lookup)

    def _align(self, per_subject: pd.Series) -> pd.Series:
        subj = self.records[self.raw_form.subject_col]
        out = per_subject.reindex(subj.to_numpy())
        out.index = self.index
        return out

    def by_subject(self, per_subject: pd.Series) -> pd.Series:
        """Values keyed by raw subject number → aligned with the block's records."""
        return self._align(per_subject)

    def variable(self, ref: str) -> pd.Series:
        """A variable derived earlier in this dataset, or ``DS.VAR`` of a dataset built before,
        joined by USUBJID."""
        if "." in ref:
            ds, var = ref.split(".", 1)
            if ds == self.dataset:
                return self.variable(var)
            if ds not in self.state.datasets:
                raise self.fail(f"{ref}: dataset {ds} is not built before {self.dataset} "
                                "(only DM can be referred to)")
            table = self.state.datasets[ds]
            if var not in table.columns:
                raise self.fail(f"{ref}: {ds} has no variable {var}")
            lookup = pd.Series(table[var].to_numpy(), index=table["USUBJID"].to_numpy())
            subj = self.variable("USUBJID") if "USUBJID" in self.out else self.usubjid()
            # look up each distinct subject once, then spread by integer codes: no Python
            # string per record
            codes, uniques = pd.factorize(subj, use_na_sentinel=True)
            keys = np.asarray(uniques, dtype=object)
            if (codes < 0).any():                   # a missing USUBJID looks up a missing key
                keys = np.append(keys, np.nan)
            per = lookup.reindex(keys)
            return pd.Series(per.to_numpy()[codes], index=self.index, dtype=per.dtype)
        if ref not in self.out:
            raise self.fail(f"variable {ref} is used before it is derived")
        return self.out[ref]

    def operand(self, op: Any, source: str | None = None) -> pd.Series:
        """An operand (:mod:`cdisc_mapper.lang.values`) on the block's records: a constant,
        ``{from: COLUMN}`` (of ``source``) or ``{of: VARIABLE}``."""
        from ..lang import values

        if not values.is_reference(op):
            return self.constant(values.constant(op))
        if "from" in op:
            return self.column(op["from"], source)
        return self.variable(op["of"])

    def constant(self, value: Any) -> pd.Series:
        if value is None:
            return pd.Series(pd.NA, index=self.index, dtype="object")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return pd.Series(float(value), index=self.index, dtype="Float64")
        return pd.Series(str(value), index=self.index, dtype="string")

    def usubjid(self) -> pd.Series:
        """USUBJID of the block's records, by the study file's rule (computed once)."""
        if getattr(self, "_usubjid", None) is None:
            self._usubjid = self.state.usubjid_of(self.records, lambda name: self.column(name))
        return self._usubjid

    # ------------------------------------------------------------------ value maps and terms
    def map_values(self, s: pd.Series, mapping: dict, *, keep_unmapped: bool,
                   what: str = "value of the map") -> pd.Series:
        table = {_key(k): v for k, v in mapping.items()}
        keys = keys_of(s)
        out = keys.map(table)
        unmapped = s.notna() & ~keys.isin(list(table))
        if keep_unmapped:
            out = out.where(~unmapped, s)
        elif unmapped.any():
            self.problem(unmapped, f"unknown coded value: not a {what}", s)
        if all(isinstance(v, (int, float)) or v is None for v in table.values()):
            return pd.to_numeric(out, errors="coerce").astype("Float64")
        return out.astype("string")

    def to_terms(self, raw: pd.Series, cid: str, mapping: dict | None) -> pd.Series:
        cl = self.state.codelist(cid, self.doc, self.path + ("codelist",))
        table: dict[str, str] = {}
        for t in cl.terms:
            if t.decode:
                table[_key(t.decode)] = t.value
        for t in cl.terms:
            table[_key(t.value)] = t.value
        table.update(synonym_table(self.state.study.terminology, self.state.codelists, cid))
        for k, v in (mapping or {}).items():
            if v is not None and str(v) not in cl.values():
                raise self.fail(f"map value {v!r} is not a term of codelist {cid}",
                                sub=("map", k))
            table[_key(k)] = v
        keys = keys_of(raw)
        out = keys.map(table).astype("string")
        bad = raw.notna() & out.isna() & ~keys.isin([k for k, v in table.items() if v is None])
        if bad.any():
            shown = ", ".join(sorted(cl.values())[:12])
            self.problem(bad, f"unknown coded value: not a term of codelist {cid} ({shown}) "
                              "and not in the mapping's map", raw)
        return out

    def require_term(self, cid: str, value: Any) -> None:
        cl = self.state.codelist(cid, self.doc, self.path + ("codelist",))
        if value is not None and str(value) not in cl.values():
            raise self.fail(f"{value!r} is not a term of codelist {cid}", sub=("value",))

    def decode(self, s: pd.Series, cid: str, paired: str | None) -> pd.Series:
        cl = self.state.codelist(cid, self.doc, self.path + ("codelist",))
        if paired:
            pcl = self.state.codelist(paired, self.doc, self.path + ("paired",))
            by_code = {t.code: t.value for t in pcl.terms if t.code}
            table = {t.value: by_code.get(t.code) for t in cl.terms}
        else:
            table = {t.value: t.decode for t in cl.terms}
        out = s.astype("string").map(table).astype("string")
        bad = s.notna() & out.isna()
        if bad.any():
            self.problem(bad, f"no decode in codelist {paired or cid}", s)
        return out

    def to_number(self, s: pd.Series) -> pd.Series:
        if pd.api.types.is_numeric_dtype(s):
            return s.astype("Float64")
        num = per_unique(s, lambda u: pd.to_numeric(u.astype("string").str.strip(),
                                                    errors="coerce").astype(object))
        num = pd.to_numeric(num, errors="coerce")
        bad = s.notna() & num.isna()
        if bad.any():
            self.problem(bad, "not a number", s)
        return num.astype("Float64")

    def dictionary(self, name: str, match: str, take: str) -> dict[str, str]:
        key = (name, match, take)
        if key not in self.state._dictionaries:
            d = self.study.dictionaries.get(name)
            if d is None:
                raise self.fail(f"dictionary '{name}' is not named in the study file's "
                                f"'dictionaries' ({', '.join(self.study.dictionaries) or 'none'})",
                                sub=("dictionary",))
            disp = self.study.display(d.file)
            table = read_dictionary(d.file, disp)
            for col in (match, take):
                if col not in table.columns:
                    raise DataError(f"dictionary has no column '{col}' (columns: "
                                    f"{', '.join(table.columns)})", file=disp)
            keys = table[match].str.strip().str.upper()
            dup = keys[keys.duplicated()]
            if len(dup):
                raise DataError(f"duplicate key: '{dup.iloc[0]}' appears twice in column "
                                f"{match}", file=disp)
            self.state._dictionaries[key] = dict(zip(keys, table[take].str.strip()))
        return self.state._dictionaries[key]

    # ------------------------------------------------------------------ study design
    def visit_attr(self, raw: pd.Series, attr: str) -> pd.Series:
        table = {}
        for v in self.study.visits:
            for name in v.raw:
                table[_key(name)] = getattr(v, attr)
        keys = keys_of(raw)
        out = keys.map(table)
        bad = raw.notna() & out.isna()
        if bad.any():
            names = ", ".join(n for v in self.study.visits for n in v.raw)
            self.problem(bad, f"unknown visit name (the study file's visits: {names})", raw)
        if attr == "visitnum":
            return pd.to_numeric(out, errors="coerce").astype("Float64")
        return out.astype("string")

    def epoch_of_visit(self, visitnum: pd.Series) -> pd.Series:
        table = {v.visitnum: v.epoch for v in self.study.visits}
        return visitnum.astype("Float64").map(table).astype("string")

    def epoch_of_date(self, dtc: pd.Series) -> pd.Series:
        """The epoch whose start (the subject's DM date named in the study file's ``epochs``) is
        the latest one on or before ``dtc``.  On the day an epoch starts, the clock decides when
        both the record and the start have a time (SDTMIG: EPOCH is the element the observation's
        date/time falls in, so a Day 1 pre-dose record belongs to screening); without a time on
        either side the record is in the epoch that starts that day."""
        from ..methods.dates import _days, _instants

        day, instant = _days(dtc), _instants(dtc)
        out = pd.Series(pd.NA, index=self.index, dtype="string")
        for ep in self.study.epochs:           # later epochs overwrite earlier ones
            ref = self.variable(f"DM.{ep.start}")
            shift = pd.Timedelta(days=ep.days_after)
            start, start_at = _days(ref) + shift, _instants(ref) + shift
            hit = (day >= start).fillna(False).to_numpy(dtype=bool).copy()
            timed = (instant.notna() & start_at.notna() & (day == start)).to_numpy(dtype=bool)
            hit[timed] = (instant >= start_at).to_numpy(dtype=bool)[timed]
            out = out.where(~hit, ep.epoch)
        return out

    def arm_attr(self, raw: pd.Series, take: str) -> pd.Series:
        table = {_key(a.code): getattr(a, take) for a in self.study.arms}
        keys = keys_of(raw)
        out = keys.map(table).astype("string")
        none = keys.isin([_key(c) for c in self.study.not_assigned]).to_numpy(dtype=bool)
        bad = raw.notna() & out.isna() & ~none
        if bad.any():
            codes = ", ".join([a.code for a in self.study.arms] + list(self.study.not_assigned))
            self.problem(bad, f"unknown treatment group code (the study's arms and "
                              f"not_assigned: {codes})", raw)
        return out

    # ------------------------------------------------------------------ other forms
    def form(self, name: str) -> RawForm:
        return self.state.form(name)

    def for_form(self, form: RawForm) -> "BlockContext":
        ctx = BlockContext(self.state, self.dataset, self.domain, form, form.table)
        ctx.var, ctx.doc, ctx.path = self.var, self.doc, self.path
        return ctx


def read_dictionary(path, display: str) -> pd.DataFrame:
    """A dictionary CSV as text columns; a file that is not UTF-8 or not a regular CSV table
    (a row with more fields than the header) is one clear error."""
    from ..errors import InputError

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"dictionary is not UTF-8 text ({e.reason} at byte {e.start})",
                         file=display) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise InputError(f"dictionary is not a readable CSV table: {str(e).splitlines()[0]}",
                         file=display) from None
