"""Where the Define-XML 2.1 schemas and the CDISC stylesheet come from at run time.

The product does not ship its own copy: it takes both from the PyPI package ``defineutils`` (MIT),
which bundles the CDISC Define-XML 2.1 schemas (with the define-enumerations of code lists 2.1.9),
the Analysis Results Metadata 1.0 schemas and Lex Jansen's ``define2-1.xsl`` stylesheet.

What that package lacks, and what follows:

* its enumerations are those of Define-XML **2.1.9** (CT package 59); 2.1.10 only adds external
  dictionary names (ClinicalTrials.gov, EudraCT, MeSH, ...) to a list that also accepts any text,
  so a define.xml valid against 2.1.10 is valid against 2.1.9 and the other way round;
* its stylesheet is a variant of the CDISC 2019 stylesheet whose table-of-contents headings
  (Supplemental Documents, CodeLists, Methods ...) are plain text rather than links; the tables
  and their links are the same.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from ..errors import UsageError

STYLESHEET_NAME = "define2-1.xsl"


@cache
def _package_root() -> Path:
    try:
        root = resources.files("defineutils")
    except ModuleNotFoundError:
        raise UsageError("the Python package 'defineutils' is needed to write define.xml "
                         "(pip install defineutils)") from None
    return Path(str(root))


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"the installed 'defineutils' package has no {path.name} "
                         f"(expected at {path}); reinstall it (pip install -U defineutils)")
    return path


def schema_dir() -> Path:
    """The folder holding ``cdisc-define-2.1/``, ``cdisc-arm-1.0/``, ``cdisc-odm-1.3.2/``, ``core/``."""
    return _package_root() / "validate" / "schema"


def define_schema() -> Path:
    """Entry point of the Define-XML 2.1 schema (``define2-1-0.xsd``)."""
    return _existing(schema_dir() / "cdisc-define-2.1" / "define2-1-0.xsd")


def arm_schema() -> Path:
    """Entry point for a define.xml with Analysis Results Metadata (``arm1-0-0.xsd``)."""
    return _existing(schema_dir() / "cdisc-arm-1.0" / "arm1-0-0.xsd")


def stylesheet() -> Path:
    """The XSLT 1.0 stylesheet that renders define.xml as the HTML reviewers read."""
    return _existing(_package_root() / "definehtml" / STYLESHEET_NAME)
