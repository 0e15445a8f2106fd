"""A defect found by one of the product's rules and by a CORE rule of the same authority id is
reported once, by the CORE rule, naming the product's rule in ``also_by``."""

from __future__ import annotations

from cdisc_mapper.validate import validate


def test_same_defect_reported_once(reference):
    rule = reference / "core-rules" / "rules" / "CORE-000024"
    data = rule / "negative" / "01" / "data"       # AEBODSYS filled, AEBDSYCD empty
    alone = validate(data)
    ours = alone.findings[alone.findings["rule"] == "CG0082"]
    assert len(ours) > 0
    both = validate(data, core_rules=[rule / "rule.yml"])
    f = both.findings
    status = {s.rule.id: s for s in both.statuses}
    assert status["CG0082"].found == 0 and "CORE-000024" in status["CG0082"].reason
    assert (f["rule"] == "CG0082").sum() == 0 and status["CG0082"].values == 0
    assert status["CORE-000024"].values == len(ours)     # one value per record here
    core = f[f["rule"] == "CORE-000024"]
    assert sorted(core["record"].astype(int)) == sorted(ours["record"].astype(int))
    assert set(core["also_by"]) == {"CG0082"}
    assert set(core["authority"].str.contains("CG0082")) == {True}
