"""What the mapping says about one variable: its method parameters, block by block.

The :class:`~cdisc_mapper.spec.model.VariableSpec` of a dataset built from several blocks (QS:
one block per instrument) carries one block's method; define.xml must describe every block.  This
module reads the dataset mapping the spec was built from (``Study.datasets``) and gives, per
variable, one :class:`Variant` per block that maps it: the method parameters (codelist, decode
pairing, dictionary, reviewer comment), the raw form and, for stacked forms, which raw column
became which test code.  Datasets that no mapping builds (trial design, ADaM) have no variants;
their spec alone describes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..engine.describe import describe
from ..mapping.study import Study
from ..methods.registry import all_methods


@dataclass(frozen=True)
class Variant:
    block: str                          # block name, or the dataset name for an unblocked mapping
    form: str                           # the raw form read
    params: dict[str, Any]
    stack: dict[str, dict[str, Any]] = field(default_factory=dict)   # raw column -> {TESTCD: ..}

    @property
    def method(self) -> str:
        return str(self.params.get("method", ""))

    @property
    def codelist(self) -> str | None:
        return self.params.get("codelist")

    @property
    def comment(self) -> str:
        return str(self.params.get("comment") or "")

    def stack_codes(self, key: str = "TESTCD") -> tuple[str, ...]:
        """The test codes the stacked columns become, in the form's column order."""
        return tuple(str(a[key]) for a in self.stack.values() if key in a)

    def column_of(self, code: str, key: str = "TESTCD") -> str | None:
        """The raw column that became test code ``code``."""
        for col, attrs in self.stack.items():
            if str(attrs.get(key)) == code:
                return col
        return None


def variable_variants(study: Study | None, dataset: str, variable: str) -> tuple[Variant, ...]:
    """One variant per block of ``dataset``'s mapping that maps ``variable`` (none if no mapping)."""
    if study is None or dataset not in study.datasets:
        return ()
    data = study.datasets[dataset].data
    common = data.get("variables") or {}
    if variable in common:
        form = data.get("source") or ", ".join(b["source"] for b in data.get("blocks") or ())
        params = common[variable]
        return (Variant(dataset, params.get("source") or form, params,
                        (data.get("stack") or {}).get("columns") or {}),)
    out = []
    for i, block in enumerate(data.get("blocks") or ()):
        params = (block.get("variables") or {}).get(variable)
        if params is not None:
            out.append(Variant(block.get("name") or f"block {i + 1}",
                               params.get("source") or block["source"], params,
                               (block.get("stack") or {}).get("columns") or {}))
    return tuple(out)


def supp_variant(study: Study | None, parent: str, qnam: str) -> Variant | None:
    """The mapping of supplemental qualifier ``qnam`` of dataset ``parent``."""
    if study is None or parent not in study.datasets:
        return None
    data = study.datasets[parent].data
    params = (data.get("supp") or {}).get(qnam)
    if params is None:
        return None
    form = params.get("source") or data.get("source") or ""
    return Variant(parent, form, params)


def variant_text(study: Study | None, v: Variant) -> str:
    """The plain-English text of one variant's method (as the engine writes it)."""
    m = all_methods()[v.method]
    return describe(m, v.params, SimpleNamespace(study=study) if study else None)


def variant_origin(v: Variant) -> str:
    """The define.xml origin of a variant.  A value read ``from`` an attribute the mapping gives
    each stacked column (``TESTCD``) is assigned by the mapping, not collected."""
    if v.stack and v.params.get("from") in {k for attrs in v.stack.values() for k in attrs}:
        return "Assigned"
    return all_methods()[v.method].origin_for(v.params)


def stack_attributes(variants: tuple[Variant, ...]) -> set[str]:
    """Names that stacked blocks read as if they were raw columns (TESTCD, VALUE)."""
    out = {"VALUE"} if any(v.stack for v in variants) else set()
    for v in variants:
        out.update(k for attrs in v.stack.values() for k in attrs)
    return out


def dictionary_key(study: Study | None, dataset: str, variable: str) -> str | None:
    """The study dictionary (``dictionaries:`` of the study file) a variable is coded with."""
    for v in variable_variants(study, dataset, variable):
        if v.method == "lookup" and v.params.get("dictionary"):
            return str(v.params["dictionary"])
    return None
