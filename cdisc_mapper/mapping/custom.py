"""Sponsor-defined (custom) domains of a study: a dataset mapping that declares its class.

A dataset the implementation guide does not define is mapped like any other once its mapping
says which general observation class it belongs to and what it is called::

    dataset: XA
    class: Findings                # Interventions, Events, Findings or Findings About
    label: Skin Prick Test         # the dataset label
    labels: {XATESTCD: Skin Test Short Name}   # optional: variable labels of the study's own
    source: skintest
    variables: ...

Its variables are those of the class (:mod:`cdisc_mapper.standards.classes`), so a mapping
names ``XATESTCD``, ``XAORRES``, ``XADTC`` ... and everything else (required variables,
order, lengths, SUPPXA, define.xml, validation) follows as for a domain of the guide.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..errors import MappingError
from ..spec.model import Standard
from ..standards.classes import CUSTOM_CLASSES, custom_domain, with_class_variables

__all__ = ["study_standard"]


def _problems(standard: Standard, m) -> list[MappingError]:
    doc, data, name = m.doc, m.data, m.name
    out = []
    if standard.dataset(name) is not None:
        for key in ("class", "label", "labels"):
            if key in data:
                out.append(doc.error((key,), f"{name} is a dataset of {standard.name} "
                                     f"{standard.version}: '{key}' is only for a sponsor-defined "
                                     "domain"))
        return out
    if not re.fullmatch(r"[A-Z]{2}", name):
        out.append(doc.error(("dataset",), f"a sponsor-defined domain has a two-letter code "
                             f"(SDTMIG 3.4 section 2.6: X, Y or Z first, e.g. XA), not {name!r}"))
    if "label" not in data:
        out.append(doc.error(("class",), f"the sponsor-defined domain {name} needs its dataset "
                             "'label'"))
    return out


def _mapped(data: dict) -> list[str]:
    names = list(data.get("variables") or {})
    for b in data.get("blocks") or []:
        names += [n for n in (b.get("variables") or {}) if n not in names]
    return names


def study_standard(standard: Standard, study) -> Standard:
    """The standard with the study's sponsor-defined domains added, and the domains of the guide
    with the variables of their class that the mappings use but the guide's domain does not
    list (SDTMIG 3.4 section 2.5: AELNKID, MHSEV ...; ``standard`` itself when there are none).
    Raises the located mistakes of the sponsor-domain declarations, all at once."""
    extra = {}
    errors: list[MappingError] = []
    for name, m in sorted(study.datasets.items()):
        data = m.data
        if "class" not in data and not ({"label", "labels"} & set(data)):
            d = standard.dataset(name)
            if d is not None and name in standard.datasets:
                grown = with_class_variables(standard, d, _mapped(data))
                if grown is not d:
                    extra[name] = grown
            continue
        found = _problems(standard, m)
        if "class" not in data and not found:
            found.append(m.doc.error(("dataset",), f"{name}: 'label' and 'labels' belong to a "
                                     "sponsor-defined domain, which declares its 'class' ("
                                     f"{', '.join(CUSTOM_CLASSES)})"))
        if found:
            errors.extend(found)
            continue
        d = custom_domain(standard, name, data["class"], data["label"], data.get("labels"))
        names = set(d.names)
        for var in data.get("labels") or {}:
            if var not in names:
                errors.append(m.doc.error(("labels", var), f"{var} is not a variable of class "
                                          f"{data['class']} for domain {name}"))
        extra[name] = d
    if errors:
        from .validate import MappingErrors
        raise MappingErrors(errors)
    if not extra:
        return standard
    return replace(standard, datasets={**standard.datasets, **extra})
