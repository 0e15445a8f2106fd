"""The statistics of the declared methods (:data:`plan.METHODS`), each one library call.

Proportions and their intervals are statsmodels'; the tests SciPy's.  Every function takes plain
counts or arrays and returns plain floats (NaN where the statistic does not exist)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

NAN = float("nan")
_GROUP_CI = {"clopper-pearson": "beta", "wilson": "wilson"}
_DIFF_CI = {"newcombe": "newcomb", "wald": "wald", "agresti-caffo": "agresti-caffo"}


def group_interval(method: str, x: int, n: int, level: float) -> tuple[float, float]:
    """Confidence interval of one proportion x/n, in percent."""
    if n == 0:
        return NAN, NAN
    lo, hi = proportion_confint(x, n, alpha=1 - level, method=_GROUP_CI[method])
    return 100 * float(lo), 100 * float(hi)


def difference_interval(method: str, x1: int, n1: int, x2: int, n2: int, level: float
                        ) -> tuple[float, float]:
    """Confidence interval of p1 - p2, in percentage points."""
    if n1 == 0 or n2 == 0:
        return NAN, NAN
    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method=_DIFF_CI[method], compare="diff",
                                        alpha=1 - level)
    return 100 * float(lo), 100 * float(hi)


def proportion_test(method: str, table: np.ndarray) -> tuple[float, float]:
    """(statistic, P) of a k x 2 table of counts (rows: arms; columns: responders, others)."""
    table = np.asarray(table, dtype=float)
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any() or (table.sum(axis=1) == 0).any():
        return NAN, NAN
    if method == "fisher-exact":
        if table.shape != (2, 2):
            return NAN, NAN
        res = stats.fisher_exact(table.astype(int))
        return float(res[0]), float(res[1])
    correction = method == "chi-square-corrected"
    chi2, p, _, _ = stats.chi2_contingency(table, correction=correction)
    return float(chi2), float(p)


def describe(values: np.ndarray) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = len(v)
    return {"n": float(n), "mean": float(np.mean(v)) if n else NAN,
            "sd": float(np.std(v, ddof=1)) if n > 1 else NAN,
            "median": float(np.median(v)) if n else NAN,
            "min": float(np.min(v)) if n else NAN, "max": float(np.max(v)) if n else NAN}


def mean_difference(method: str, a: np.ndarray, b: np.ndarray, level: float
                    ) -> tuple[float, float, float]:
    """(mean a - mean b, lower, upper) with the Welch or the pooled-variance interval."""
    if len(a) < 2 or len(b) < 2:
        return NAN, NAN, NAN
    cm = CompareMeans(DescrStatsW(np.asarray(a, float)), DescrStatsW(np.asarray(b, float)))
    lo, hi = cm.tconfint_diff(alpha=1 - level, usevar="unequal" if method == "welch" else "pooled")
    return float(np.mean(a) - np.mean(b)), float(lo), float(hi)


def mean_test(method: str, a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    if len(a) < 2 or len(b) < 2:
        return NAN, NAN
    if method == "wilcoxon-rank-sum":
        r = stats.mannwhitneyu(a, b, alternative="two-sided")
    else:
        r = stats.ttest_ind(a, b, equal_var=method == "student-t")
    return float(r.statistic), float(r.pvalue)


def finite(x: float) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def ancova(change_a: np.ndarray, base_a: np.ndarray, change_b: np.ndarray, base_b: np.ndarray,
           level: float) -> dict[str, float]:
    """ANCOVA of the change from baseline, ``change = b0 + b1 * (arm a) + b2 * baseline``, by
    ordinary least squares (statsmodels).  Returns the least-squares means of each arm at the
    mean baseline of both (``lsmean_a``, ``lsmean_b`` with standard errors ``se_a``, ``se_b``),
    their difference a - b (``diff``, the arm coefficient) with its confidence interval
    (``lcl``, ``ucl``), ``statistic`` (its t) and ``p`` (two-sided).  Subjects without a
    baseline or a change are left out; NaN where the model cannot be fitted."""
    from statsmodels.regression.linear_model import OLS

    keys = ("lsmean_a", "se_a", "lsmean_b", "se_b", "diff", "lcl", "ucl", "statistic", "p")
    ya, xa = np.asarray(change_a, float), np.asarray(base_a, float)
    yb, xb = np.asarray(change_b, float), np.asarray(base_b, float)
    ka, kb = ~np.isnan(ya) & ~np.isnan(xa), ~np.isnan(yb) & ~np.isnan(xb)
    ya, xa, yb, xb = ya[ka], xa[ka], yb[kb], xb[kb]
    if len(ya) < 2 or len(yb) < 2 or len(ya) + len(yb) < 4:
        return dict.fromkeys(keys, NAN)
    y = np.concatenate([ya, yb])
    base = np.concatenate([xa, xb])
    design = np.column_stack([np.ones(len(y)), np.r_[np.ones(len(ya)), np.zeros(len(yb))], base])
    if np.linalg.matrix_rank(design) < 3:
        return dict.fromkeys(keys, NAN)
    fit = OLS(y, design).fit()
    lo, hi = fit.conf_int(alpha=1 - level)[1]
    mean_base = float(base.mean())
    ta, tb = fit.t_test(np.array([[1.0, 1.0, mean_base]])), \
        fit.t_test(np.array([[1.0, 0.0, mean_base]]))
    return {"lsmean_a": float(np.squeeze(ta.effect)), "se_a": float(np.squeeze(ta.sd)),
            "lsmean_b": float(np.squeeze(tb.effect)), "se_b": float(np.squeeze(tb.sd)),
            "diff": float(fit.params[1]), "lcl": float(lo), "ucl": float(hi),
            "statistic": float(fit.tvalues[1]), "p": float(fit.pvalues[1])}
