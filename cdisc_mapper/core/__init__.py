"""CDISC CORE rules (the rule language of cdisc-org/cdisc-open-rules) run by this product's engine.

* :func:`load_rules` reads ``rule.yml``/``.yaml``/``.json`` files or folder trees;
* :func:`run_rule` runs one rule on a :class:`Study` (a package with its standard's metadata);
* :mod:`.testcases` runs rules on CDISC's positive/negative test cases (``cdisc-map rules test``).
"""

from .engine import Finding, RuleRun, Study, run_rule, unsupported_parts
from .rules import CoreRule, load_rule_file, load_rules

__all__ = ["CoreRule", "Finding", "RuleRun", "Study", "load_rule_file", "load_rules",
           "run_rule", "unsupported_parts"]
