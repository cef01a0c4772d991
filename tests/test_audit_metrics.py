"""Audit metrics against examples worked by hand (engine/audit/metrics.py).

Positive class: overturned. Matrix rows are the engine (predicted overturned, predicted
upheld), columns the reviewer (overturned, upheld): [[tp, fp], [fn, tn]].
"""
import math

import pytest

from engine.audit.metrics import Confusion, cohen_kappa, figures, majority_baseline, rate, wilson_interval


def close(a, b, tol=1e-9):
    return a is not None and math.isclose(a, b, abs_tol=tol)


def test_worked_example_two_by_two():
    """GIVEN tp=2 fp=1 fn=3 tn=14 (20 items)
    po = 16/20 = 0.8; predicted O/U = 3/17, actual O/U = 5/15;
    pe = (3*5 + 17*15) / 20^2 = 270/400 = 0.675; kappa = (0.8 - 0.675) / 0.325 = 5/13."""
    c = Confusion(tp=2, fp=1, fn=3, tn=14)
    assert c.n == 20
    assert close(c.agreement(), 0.8)
    assert close(c.kappa(), 5 / 13)
    assert close(c.precision(), 2 / 3)
    assert close(c.recall(), 2 / 5)
    assert c.baseline() == {"class": "upheld", "agreement": 0.75}


def test_perfect_agreement_is_kappa_one():
    c = Confusion(tp=3, tn=7)
    assert close(c.kappa(), 1.0)
    assert c.precision() == 1.0 and c.recall() == 1.0


def test_total_disagreement_balanced_is_kappa_minus_one():
    # po = 0; pe = (5*5 + 5*5) / 100 = 0.5; kappa = -0.5 / 0.5 = -1
    assert close(Confusion(fp=5, fn=5).kappa(), -1.0)


def test_no_overturned_items():
    """Every item upheld, the engine overturns 2 of 10: recall undefined, precision 0,
    po = 0.8, pe = (2*0 + 8*10)/100 = 0.8, so kappa = 0 (defined, and never above 0)."""
    c = Confusion(fp=2, tn=8)
    assert c.recall() is None
    assert c.precision() == 0.0
    assert close(c.kappa(), 0.0)
    assert c.baseline() == {"class": "upheld", "agreement": 1.0}


def test_engine_never_overturns():
    """2 of 10 overturned, the engine upholds all: precision undefined, recall 0,
    po = 0.8, pe = (0*2 + 10*8)/100 = 0.8, kappa 0: no better than always saying Upheld."""
    c = Confusion(fn=2, tn=8)
    assert c.precision() is None
    assert c.recall() == 0.0
    assert close(c.kappa(), 0.0)
    assert close(c.agreement(), c.baseline()["agreement"])


def test_all_one_class_on_both_sides_kappa_undefined():
    """Both sides say Upheld for every item: po = pe = 1, kappa = 0/0 -> None (documented)."""
    c = Confusion(tn=10)
    assert c.agreement() == 1.0
    assert c.kappa() is None
    assert c.precision() is None and c.recall() is None
    assert Confusion(tp=4).kappa() is None


def test_no_items_everything_undefined():
    c = Confusion()
    assert c.agreement() is None and c.kappa() is None and c.baseline() is None
    assert c.precision() is None and c.recall() is None


def test_kappa_three_classes():
    """[[2,1,0],[0,3,1],[1,0,2]]: po = 7/10; rows and columns 3,4,3; pe = (9+16+9)/100 = 0.34;
    kappa = 0.36/0.66 = 6/11."""
    assert close(cohen_kappa([[2, 1, 0], [0, 3, 1], [1, 0, 2]]), 6 / 11)


def test_kappa_is_symmetric_in_the_raters():
    m = [[2, 1], [3, 14]]
    t = [[2, 3], [1, 14]]
    assert close(cohen_kappa(m), cohen_kappa(t))


def test_bad_matrices():
    with pytest.raises(ValueError):
        cohen_kappa([[1, 2]])
    with pytest.raises(ValueError):
        cohen_kappa([[1, -1], [0, 1]])
    with pytest.raises(ValueError):
        Confusion(tp=-1)
    with pytest.raises(ValueError):
        rate(3, 2)


def test_rate():
    assert rate(0, 0) is None
    assert rate(1, 4) == 0.25


def test_majority_baseline_tie_goes_to_upheld():
    assert majority_baseline(5, 5) == {"class": "upheld", "agreement": 0.5}
    assert majority_baseline(1, 3) == {"class": "overturned", "agreement": 0.75}
    assert majority_baseline(0, 0) is None


def test_wilson_interval_known_values():
    z2 = 1.959963984540054 ** 2
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and close(hi, z2 / (10 + z2))           # 0.2775
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and close(lo, 10 / (10 + z2))           # 0.7225
    lo, hi = wilson_interval(5, 10)
    assert close(lo, 0.2366, 1e-4) and close(hi, 0.7634, 1e-4)
    assert wilson_interval(0, 0) is None


def test_figures_worked_example():
    """20 covered items as above, plus 5 with no rule (2 overturned, 2 upheld, 1 not decided);
    3 upheld items the engine denies have a reviewer rationale, of which 2 match."""
    f = figures(items=25, no_rule=5, confusion=Confusion(2, 1, 3, 14), no_rule_overturned=2, no_rule_upheld=2,
                reason_eligible=3, reason_matched=2)
    assert f["items"] == 25 and f["covered"] == 20
    assert f["coverage"] == 0.8
    assert f["compared"] == 24 and f["compared_covered"] == 20
    assert f["agreement"] == 0.8
    assert f["agreement_all_compared"] == round(16 / 24, 6)     # no-rule items counted as misses
    assert f["kappa"] == round(5 / 13, 6)
    assert f["baseline"] == {"class": "upheld", "agreement": 0.75}
    assert f["overturned"] == {"actual": 5, "predicted": 3, "found": 2, "precision": round(2 / 3, 6),
                               "recall": 0.4, "recall_ci95": f["overturned"]["recall_ci95"]}
    assert f["confusion"]["no_rule"] == {"overturned": 2, "upheld": 2}
    assert f["reasons"]["agreement"] == round(2 / 3, 6)


def test_figures_reject_inconsistent_counts():
    with pytest.raises(ValueError):
        figures(items=3, no_rule=1, confusion=Confusion(tn=3))
    with pytest.raises(ValueError):
        figures(items=5, no_rule=0, confusion=Confusion(tn=2), reason_eligible=3)
