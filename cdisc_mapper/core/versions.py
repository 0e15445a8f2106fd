"""Rules run under a version of a guide that the product does not ship.

The product ships SDTMIG 3.4.  A package (or a rule's test case) declared as another version of
the same guide, SDTMIG 3.2 or 3.3, is checked with the nearest shipped version standing in for
the facts that SDTMIG keeps the same from version to version:

* the label and the observation class of a dataset (where the stand-in has the dataset),
* the role of a variable (Identifier, Topic, Timing, qualifiers),
* the SDTM model's class and dataset variables (the stand-in's model: SDTM v2.0 for SDTMIG 3.4;
  a variable that only a later model defines is then allowed too).

Facts that change between versions are never taken from the stand-in: the Core designation of a
variable (required, expected and permissible variables), the guide's variable order and variable
metadata, and whether a dataset is one of the guide's (datasets were added by later versions).
An operation that needs one of them is *skipped* for the dataset, naming what is missing; every
result that ran on a stand-in says so (:func:`stand_in_note`).

Other guides (SENDIG, SENDIG-DART, TIG, ...) are separate standards with their own datasets,
variables and Core designations; no stand-in is used for them and rules that read their metadata
are skipped.
"""

from __future__ import annotations

from .frame import Unsupported

__all__ = ["nearest_shipped", "require_own_version", "stand_in_note", "STAND_IN_PRODUCTS"]

# Guides whose unshipped versions may borrow the version-independent facts of a shipped version.
STAND_IN_PRODUCTS = ("SDTMIG",)


def _key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in version.replace("-", ".").split("."))
    except ValueError:
        return ()


def nearest_shipped(product: str, version: str) -> str | None:
    """The shipped version of ``product`` nearest to ``version`` (the later one on a tie), or
    None where the product may not borrow another version's facts or has no shipped version."""
    from cdisc_mapper.standards import available_standards

    if product.upper() not in STAND_IN_PRODUCTS or not _key(version):
        return None
    have = [v for n, v in available_standards() if n.upper() == product.upper() and _key(v)]
    if not have:
        return None
    want = _key(version)
    width = max(len(want), *(len(_key(v)) for v in have))

    def pad(k):
        return k + (0,) * (width - len(k))

    def dist(v):
        a, b = pad(_key(v)), pad(want)
        return tuple(abs(x - y) for x, y in zip(a, b)), tuple(-x for x in a)
    return min(have, key=dist)


def require_own_version(study, what: str) -> None:
    """Raise :class:`Unsupported` where the study runs on a stand-in version: ``what`` (e.g.
    'required variables') differs between versions of the guide."""
    facts_from = getattr(study, "facts_from", None)
    if facts_from:
        raise Unsupported(f"{study.product} {study.version} metadata is not in this product "
                          f"({what} differ between {study.product} versions; {facts_from} "
                          "does not stand in for them)")


def stand_in_note(study) -> str:
    """The note a result that ran on a stand-in version carries ('' otherwise)."""
    facts_from = getattr(study, "facts_from", None)
    if not facts_from:
        return ""
    return (f"{study.product} {study.version} is not shipped: ran with {facts_from}'s dataset "
            "labels and classes, variable roles and SDTM model, which do not change between "
            "versions")
