"""The variables of the SDTM general observation classes, and sponsor-defined (custom) domains.

A custom domain (SDTMIG 3.4 section 2.6; SDTM v2.0 model) such as ``XA`` (Findings) or ``XE``
(Events) takes its variables from the general class it belongs to.  Which variables a class has,
in what order, with what role and type, is the SDTM model's
(:mod:`cdisc_mapper.standards.sdtm_model`, :func:`~cdisc_mapper.standards.sdtm_model.observation_variables`: the General Observations
identifiers, the class's variables, the General Observations timing variables; Findings About is
Findings with ``--OBJ``).  Codelist and core, which the model does not carry, and the label where
the guide words it for its domains, are derived from the implementation guide's own domains of
that class (a variable's ``--`` prefix standing for the domain code):

* codelist: the one most of the class's domains give the variable (only where at least half of
  the domains that have the variable name it, so UNIT but not VSRESU);
* core: ``Req`` where every domain that has it requires it and most domains have it
  (``--TESTCD``, ``--TERM``, ``--SEQ``), else ``Exp`` where most of the class's domains expect
  it, else ``Perm`` (a variable of one domain, such as AESER, is Permissible elsewhere);
* label: the label most domains give it (at least two agreeing: ``--ORRES`` "Result or Finding
  in Original Units"); where every domain words it its own way (``--TESTCD`` "Lab Test or
  Examination Short Name" ...) or one domain alone has it, the model's generic label
  ("Short Name of Measurement, Test, or Exam"; ``--`` is replaced by the custom domain's code).

The model variables that the guide does not allow (SDTMIG 3.4 section 2.7: ``--NOMDY``,
``--USCHFL`` ..., listed with the model's guides in the model file) are left out.  A model
variable that none of the class's domains has is Permissible; its label and codelist are those
of the guide's domains of the other general classes that have it (AELNKID, AETPT, AESEV for a
Findings domain), else of any other dataset of the guide (``--CNTMOD`` of SV, POOLID of
RELSUB), else the model's label and no codelist (SDTM v2.0 variables that no dataset of SDTMIG
3.4 shows, such as ``--XDY`` "Day of Obs Relative to Exposure", Num).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import cache

from cdisc_mapper.spec.model import DatasetDef, Standard, VariableDef
from cdisc_mapper.standards.sdtm_model import (
    ModelVariable,
    guide_model,
    load_model,
    not_allowed,
    observation_variables,
)

__all__ = ["CUSTOM_CLASSES", "class_variables", "custom_domain", "with_class_variables"]

CUSTOM_CLASSES = ("Interventions", "Events", "Findings", "Findings About")

_STRUCTURE = {
    "Interventions": "One record per {x} per subject",
    "Events": "One record per {x} per subject",
    "Findings": "One record per {x} per subject",
    "Findings About": "One record per {x} per subject",
}


def _members(std: Standard, cls: str) -> list[DatasetDef]:
    want = {"Findings About": ("Findings", "Findings About")}.get(cls, (cls,))
    return [d for d in std.datasets.values() if d.cls in want and len(d.name) == 2]


def _generic(ds: DatasetDef, name: str) -> str:
    return "--" + name[len(ds.name):] if name.startswith(ds.name) else name


def _most(counter: Counter) -> tuple:
    """The most frequent item; ties broken by the item itself (deterministic)."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]


def _fill(text: str, domain: str) -> str:
    """``text`` (a class variable's name or label) with ``domain`` for a leading ``--``."""
    return domain + text[2:] if text.startswith("--") else text


def _model_rows(std: Standard, cls: str) -> dict[str, ModelVariable]:
    """{variable: model variable} of class ``cls`` in the SDTM model that ``std`` implements,
    in order, less the variables the guide does not allow."""
    version = guide_model(std.name, std.version)
    if version is None:
        raise ValueError(f"no SDTM model for {std.name} {std.version} in this product")
    model = load_model(version)
    barred = not_allowed(model, std.name, std.version, cls)
    rows: dict[str, ModelVariable] = {}
    for v in observation_variables(model, cls):
        if v.name not in barred:
            rows.setdefault(v.name, v)
    return rows


@cache
def _class_variables(name: str, version: str, cls: str) -> tuple[VariableDef, ...]:
    from cdisc_mapper.standards.loader import load_standard
    std = load_standard(name, version)
    model = _model_rows(std, cls)
    members = _members(std, cls)
    if not members:
        raise ValueError(f"no domain of class {cls!r} in {std.name} {std.version}")
    general = [d for d in std.datasets.values() if d.cls in CUSTOM_CLASSES and len(d.name) == 2
               and d not in members]
    rest = [d for d in std.datasets.values() if d not in members and d not in general]

    def occurrences(domains, want, core=None):
        found: dict[str, list[tuple[DatasetDef, VariableDef]]] = defaultdict(list)
        for d in domains:
            for v in d.variables:
                g = _generic(d, v.name)
                if g in want:
                    found[g].append((d, VariableDef(
                        name=v.name, label=" ".join(v.label.split()), type=v.type,
                        order=v.order, role=v.role, core=core or v.core, codelist=v.codelist)))
        return found

    seen = occurrences(members, model)
    own = set(seen)
    # a model variable that no domain of the class has: as the other domains of the guide
    # give it (those of the other general classes first), Permissible
    for tier in (general, rest):
        seen.update(occurrences(tier, set(model) - set(seen), core="Perm"))
    labels = {g: Counter(v.label for _, v in occ) for g, occ in seen.items()}
    majority = {g: c for g, c in ((g, _most(c)) for g, c in labels.items()) if c[1] > 1}
    out = []
    for i, (g, mv) in enumerate(model.items(), start=1):
        # type: the model's; label: the one most of the guide's domains give the variable,
        # else the model's own (generic) label
        occ = seen.get(g)
        label = majority[g][0] if g in majority else mv.label
        if not occ:
            out.append(VariableDef(name=g, label=label, type=mv.type, order=i, role=mv.role,
                                   core="Perm", codelist=None))
            continue
        k = len(occ)
        cores = Counter(v.core for _, v in occ)
        common = k * 2 > len(members) and g in own
        core = ("Req" if cores["Req"] == k and common else
                "Exp" if cores["Exp"] + cores["Req"] > len(members) / 2 else "Perm")
        cl, n_cl = _most(Counter(v.codelist for _, v in occ))
        codelist = cl if cl is not None and n_cl * 2 >= k else None
        out.append(VariableDef(name=g, label=label, type=mv.type, order=i, role=mv.role,
                               core=core, codelist=codelist))
    return tuple(out)


def class_variables(std: Standard, cls: str) -> tuple[VariableDef, ...]:
    """The variables of a general observation class: the SDTM model's, in its order and with
    its roles, ``--`` for the domain prefix (see the module text for the other attributes)."""
    if cls not in CUSTOM_CLASSES:
        raise ValueError(f"{cls!r} is not a general observation class "
                         f"({', '.join(CUSTOM_CLASSES)})")
    return _class_variables(std.name, std.version, cls)


def custom_domain(std: Standard, domain: str, cls: str, label: str,
                  labels: dict[str, str] | None = None) -> DatasetDef:
    """The definition of sponsor domain ``domain`` (two letters, e.g. ``XA``) of class ``cls``:
    the class's variables with the prefix filled in, ``labels`` replacing the class labels of
    the variables it names (e.g. ``{XATESTCD: Sponsor Test Short Name}``)."""
    labels = labels or {}
    variables = []
    for v in class_variables(std, cls):
        name = _fill(v.name, domain)
        lab = labels.get(name) or _fill(v.label, domain)
        variables.append(VariableDef(name=name, label=lab, type=v.type, order=v.order,
                                     role=v.role, core=v.core, codelist=v.codelist))
    names = {v.name for v in variables}
    topic = next(v.name for v in variables if v.role == "Topic")
    if cls.startswith("Findings"):
        extra = (f"{domain}OBJ", "VISITNUM", f"{domain}TPTNUM", f"{domain}DTC")
    else:
        extra = (f"{domain}STDTC",)
    keys = ("STUDYID", "USUBJID", topic, *(k for k in extra if k in names))
    what = {"Interventions": "recorded intervention occurrence", "Events": "event",
            "Findings": "finding", "Findings About": "finding"}[cls]
    return DatasetDef(name=domain, label=label, cls=cls,
                      structure=_STRUCTURE[cls].format(x=what),
                      keys=keys, variables=tuple(variables))


def with_class_variables(std: Standard, ds: DatasetDef, names) -> DatasetDef:
    """``ds`` (a domain of the guide) with those of ``names`` that it does not define but its
    general observation class has (SDTMIG 3.4 section 2.5: e.g. AELNKID, MHSEV), each placed
    after the class variable it follows that the domain has; ``ds`` itself when none."""
    if ds.cls not in CUSTOM_CLASSES or len(ds.name) != 2:
        return ds
    have = set(ds.names)
    cvars = class_variables(std, ds.cls)
    generic = {_fill(v.name, ds.name): v for v in cvars}
    extra = [n for n in names if n not in have and n in generic]
    if not extra:
        return ds
    order = list(generic)
    out = list(ds.variables)
    for n in sorted(extra, key=order.index):
        before = [o for o in order[:order.index(n)] if o in {v.name for v in out}]
        at = max((i for i, v in enumerate(out) if before and v.name == before[-1]), default=-1)
        cv = generic[n]
        out.insert(at + 1, VariableDef(name=n, label=_fill(cv.label, ds.name),
                                       type=cv.type, order=0, role=cv.role, core="Perm",
                                       codelist=cv.codelist))
    return DatasetDef(name=ds.name, label=ds.label, cls=ds.cls, structure=ds.structure,
                      keys=ds.keys, variables=tuple(
                          VariableDef(name=v.name, label=v.label, type=v.type, order=i,
                                      role=v.role, core=v.core, codelist=v.codelist)
                          for i, v in enumerate(out, start=1)))
