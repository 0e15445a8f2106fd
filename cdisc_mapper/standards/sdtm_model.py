"""The SDTM model behind an implementation guide: which variables each observation class has.

The shipped model (``cdisc_mapper/standards/model/sdtm-<version>.yaml``) lists the variables of
each observation class (General Observations, Interventions, Events, Findings, Findings About,
Associated Persons) and of each dataset the model defines itself (DM, CO, SE, SV, the trial
design and relationship datasets), in the model's order, with their role.  It is the one source
of the variables, order and role of a general observation class: the CORE model operations
(:mod:`cdisc_mapper.core.model`) and the sponsor-defined domains
(:mod:`cdisc_mapper.standards.classes`) both read it through :func:`observation_variables`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

__all__ = ["GENERAL_CLASSES", "MODEL_OF_GUIDE", "guide_model", "load_model",
           "observation_variables"]

# The SDTM model version each shipped implementation guide implements.
MODEL_OF_GUIDE = {("SDTMIG", "3.4"): "2.0"}

# The general observation classes, as the model names them (upper case).
GENERAL_CLASSES = ("INTERVENTIONS", "EVENTS", "FINDINGS", "FINDINGS ABOUT")


@cache
def load_model(version: str = "2.0") -> dict[str, Any]:
    """The shipped SDTM model: ``{"classes": {NAME: [(var, role)]}, "datasets": {name:
    {"class": ..., "variables": [(var, role)]}}}``, class names in upper case (cached; treat
    as read-only).  Raises ``LookupError`` for a model version the product does not ship."""
    import yaml

    f = resources.files("cdisc_mapper.standards").joinpath("model", f"sdtm-{version}.yaml")
    if not f.is_file():
        raise LookupError(f"SDTM model {version} is not in this product")
    raw = yaml.safe_load(f.read_text(encoding="utf-8"))
    classes = {k.upper(): [tuple(v) for v in vs] for k, vs in raw["classes"].items()}
    datasets = {k: {"class": d["class"], "variables": [tuple(v) for v in d["variables"]]}
                for k, d in raw["datasets"].items()}
    return {"version": str(raw["version"]), "classes": classes, "datasets": datasets}


def guide_model(name: str, version: str) -> str | None:
    """The SDTM model version that guide ``name`` ``version`` implements (None: not shipped)."""
    return MODEL_OF_GUIDE.get((name.upper(), str(version)))


def observation_variables(model: dict[str, Any], cls: str,
                          associated_persons: bool = False) -> list[tuple[str, str]]:
    """(variable, role) of a dataset of general observation class ``cls`` (any case), in the
    model's order, ``--`` for the domain prefix: the General Observations identifiers, the
    Associated Persons identifiers when ``associated_persons`` (an ``AP--`` dataset), the
    class's variables (Findings About: those of Findings with the Findings About variables
    after ``--TEST``), then the General Observations timing variables.  Raises ``ValueError``
    for a class that is not a general observation class."""
    cls = cls.upper().replace("-", " ")
    if cls not in GENERAL_CLASSES:
        raise ValueError(f"{cls!r} is not a general observation class")
    c = model["classes"]
    go = c["GENERAL OBSERVATIONS"]
    body = list(c["FINDINGS" if cls == "FINDINGS ABOUT" else cls])
    if cls == "FINDINGS ABOUT":
        at = next((i for i, (n, _) in enumerate(body) if n == "--TEST"), len(body) - 1)
        body = body[:at + 1] + list(c["FINDINGS ABOUT"]) + body[at + 1:]
    ap = list(c.get("ASSOCIATED PERSONS", [])) if associated_persons else []
    return [v for v in go if v[1] == "Identifier"] + ap + body + \
        [v for v in go if v[1] == "Timing"]
