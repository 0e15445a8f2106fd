"""The SDTM model behind an implementation guide: which variables each observation class has.

The shipped model (``cdisc_mapper/standards/model/sdtm-<version>.yaml``) lists the variables of
each observation class (General Observations, Interventions, Events, Findings, Findings About,
Associated Persons) and of each dataset the model defines itself (DM, CO, SE, SV, the trial
design and relationship datasets), in the model's order, each with its role, type (``Char`` or
``Num``) and label (:class:`ModelVariable`; ``--`` for the domain prefix, in the label too).  It
is the one source of the variables, order, role and type of a general observation class: the
CORE model operations (:mod:`cdisc_mapper.core.model`) and the sponsor-defined domains
(:mod:`cdisc_mapper.standards.classes`) both read it through :func:`observation_variables`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, NamedTuple

__all__ = ["GENERAL_CLASSES", "ModelVariable", "guide_model", "load_model", "not_allowed",
           "observation_variables"]

# The general observation classes, as the model names them (upper case).
GENERAL_CLASSES = ("INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT")


class ModelVariable(NamedTuple):
    """A variable of the model: name (``--`` for the domain prefix), role, type (``Char`` or
    ``Num``) and the model's label (``--`` standing for the domain code where it has one)."""

    name: str
    role: str
    type: str
    label: str


@cache
def load_model(version: str = "2.0") -> dict[str, Any]:
    """The shipped SDTM model: ``{"classes": {NAME: [ModelVariable]}, "datasets": {name:
    {"class": ..., "variables": [ModelVariable]}}, "guides": {(GUIDE, version): {"not_allowed":
    {CLASS: (var, ...)}}}}``, class and guide names in upper case (cached; treat as read-only).
    Raises ``LookupError`` for a model version the product does not ship, ``ValueError`` for a
    model file whose rows are not ``[name, role, type, label]``."""
    import yaml

    f = resources.files("cdisc_mapper.standards").joinpath("model", f"sdtm-{version}.yaml")
    if not f.is_file():
        raise LookupError(f"SDTM model {version} is not in this product")
    raw = yaml.safe_load(f.read_text(encoding="utf-8"))
    columns = tuple(raw.get("columns") or ())
    if columns != ModelVariable._fields:
        raise ValueError(f"{f.name}: columns {list(columns)}, expected "
                         f"{list(ModelVariable._fields)}")

    def rows(where: str, vs) -> list[ModelVariable]:
        out = []
        for v in vs:
            if not (isinstance(v, list) and len(v) == len(columns)
                    and all(isinstance(x, str) for x in v) and v[2] in ("Char", "Num")):
                raise ValueError(f"{f.name}, {where}: {v!r} is not [name, role, Char|Num, label]")
            out.append(ModelVariable(*v))
        return out

    classes = {k.upper(): rows(k, vs) for k, vs in raw["classes"].items()}
    datasets = {k: {"class": d["class"], "variables": rows(k, d["variables"])}
                for k, d in raw["datasets"].items()}
    guides = {(g.upper(), str(d["version"])): {"not_allowed": {
        k.upper(): tuple(vs) for k, vs in (d.get("not_allowed") or {}).items()}}
        for g, d in (raw.get("implementation_guides") or {}).items()}
    return {"version": str(raw["version"]), "classes": classes, "datasets": datasets,
            "guides": guides}


@cache
def guide_model(name: str, version: str) -> str | None:
    """The version of the shipped SDTM model that guide ``name`` ``version`` implements (as
    the model file names its guides; None: none does)."""
    folder = resources.files("cdisc_mapper.standards").joinpath("model")
    for f in sorted(folder.iterdir(), key=lambda f: f.name):
        if f.name.startswith("sdtm-") and f.name.endswith(".yaml"):
            model = load_model(f.name[len("sdtm-"):-len(".yaml")])
            if (name.upper(), str(version)) in model["guides"]:
                return model["version"]
    return None


def not_allowed(model: dict[str, Any], name: str, version: str, cls: str) -> set[str]:
    """The variables of general observation class ``cls`` that guide ``name`` ``version`` does
    not allow (SDTMIG 3.4 section 2.7), ``--`` for the domain prefix."""
    rules = model["guides"].get((name.upper(), str(version)), {}).get("not_allowed", {})
    cls = cls.upper().replace("-", " ")
    own = rules.get("FINDINGS" if cls == "FINDINGS ABOUT" else cls, ())
    return {*rules.get("GENERAL OBSERVATIONS", ()), *own, *rules.get(cls, ())}


def observation_variables(model: dict[str, Any], cls: str,
                          associated_persons: bool = False) -> list[ModelVariable]:
    """The variables (:class:`ModelVariable`) of a dataset of general observation class ``cls``
    (any case), in the model's order, ``--`` for the domain prefix: the General Observations
    identifiers, the Associated Persons identifiers when ``associated_persons`` (an ``AP--``
    dataset), the class's variables (Findings About: those of Findings with the Findings About variables
    after ``--TEST``), then the General Observations timing variables.  Raises ``ValueError``
    for a class that is not a general observation class."""
    cls = cls.upper().replace("-", " ")
    if cls not in GENERAL_CLASSES:
        raise ValueError(f"{cls!r} is not a general observation class")
    c = model["classes"]
    go = c["GENERAL OBSERVATIONS"]
    body = list(c["FINDINGS" if cls == "FINDINGS ABOUT" else cls])
    if cls == "FINDINGS ABOUT":
        at = next((i for i, v in enumerate(body) if v.name == "--TEST"), len(body) - 1)
        body = body[:at + 1] + list(c["FINDINGS ABOUT"]) + body[at + 1:]
    ap = list(c.get("ASSOCIATED PERSONS", [])) if associated_persons else []
    return [v for v in go if v.role == "Identifier"] + ap + body + \
        [v for v in go if v.role == "Timing"]
