"""CDISC standards shipped as package data: implementation-guide metadata and controlled terminology.

* :func:`load_standard` — SDTMIG 3.4 (and ADaMIG 1.3) as a :class:`~cdisc_mapper.spec.model.Standard`.
* :func:`bundled_ct` — the bundled subset of the NCI EVS SDTM CT, keyed by codelist short name.
* :func:`load_ct` — a full NCI EVS / CDISC Library terminology file given by the user (``--ct``).
"""

from cdisc_mapper.standards.ct import (
    bundled_ct,
    bundled_ct_version,
    ct_version_from_path,
    is_partial,
    load_ct,
    merge_ct,
    partial_codelists,
    total_terms,
)
from cdisc_mapper.standards.loader import (
    available_standards,
    load_standard,
    ts_value_codelist,
    ts_value_dictionary,
    value_domain,
    variable_codelists,
    variable_set,
)

__all__ = [
    "available_standards",
    "bundled_ct",
    "bundled_ct_version",
    "ct_version_from_path",
    "is_partial",
    "load_ct",
    "load_standard",
    "merge_ct",
    "partial_codelists",
    "total_terms",
    "ts_value_codelist",
    "ts_value_dictionary",
    "value_domain",
    "variable_codelists",
    "variable_set",
]
