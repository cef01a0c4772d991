"""Agreement metrics for the audit: pure functions of counts, no I/O.

Stage: audit (comparison). Input: counts of items by predicted and actual outcome. Output:
numbers or `None` when a figure is undefined (never NaN, never a silent 0). Raises nothing
for well-formed counts; a negative count is a `ValueError`.

The positive class is **overturned** (the reviewer found the treatment medically necessary,
the engine's `certify`): precision and recall are about finding overturns, the rare class
(about 1 item in 10 in real letters).

Conventions for the degenerate cases (docs/audit.md, "Reading the figures"):

- a rate with a zero denominator is undefined: `None`;
- precision for overturned items is undefined when the engine predicts no overturn; recall is
  undefined when no item was overturned;
- Cohen's kappa is undefined (`None`) when there are no items, and when chance agreement is
  1, i.e. the engine and the reviewer both gave every item the same single outcome: agreement
  is then perfect but says nothing beyond chance, and (po - pe) / (1 - pe) is 0 / 0. When only
  one side uses a single outcome (say every item was upheld and the engine overturns a few),
  kappa is defined and is at most 0: no agreement beyond chance can be shown;
- the majority-class baseline ties go to "upheld" (the usual IMR outcome), so it is stable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Confusion", "rate", "wilson_interval", "cohen_kappa", "majority_baseline", "figures"]

POSITIVE = "overturned"
NEGATIVE = "upheld"


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    if part < 0 or whole < 0:
        raise ValueError("counts cannot be negative")
    if part > whole:
        raise ValueError(f"part {part} is larger than the whole {whole}")
    return None if whole == 0 else part / whole


def wilson_interval(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion (95% by default); None for no trials.

    Chosen over the normal approximation because it stays inside [0, 1] and behaves at
    0 and n successes, which small audit groups hit often.
    """
    if trials == 0:
        return None
    rate(successes, trials)
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def cohen_kappa(matrix: list[list[int]]) -> float | None:
    """Cohen's kappa for a square matrix, rows = one rater's classes, columns = the other's.

    kappa = (po - pe) / (1 - pe), with po the observed agreement (the diagonal share) and
    pe the agreement expected by chance from the two raters' marginal shares. None when
    undefined (no items, or pe == 1: see the module docstring).
    """
    size = len(matrix)
    if any(len(row) != size for row in matrix):
        raise ValueError("the matrix must be square")
    if any(cell < 0 for row in matrix for cell in row):
        raise ValueError("counts cannot be negative")
    n = sum(sum(row) for row in matrix)
    if n == 0:
        return None
    observed = sum(matrix[i][i] for i in range(size)) / n
    rows = [sum(row) for row in matrix]
    cols = [sum(matrix[i][j] for i in range(size)) for j in range(size)]
    # integer arithmetic for pe == 1, so the degenerate case is found exactly
    chance_num = sum(rows[i] * cols[i] for i in range(size))
    if chance_num == n * n:
        return None
    chance = chance_num / (n * n)
    return (observed - chance) / (1 - chance)


def majority_baseline(upheld: int, overturned: int) -> dict | None:
    """Agreement of a predictor that always answers the more frequent actual outcome."""
    n = upheld + overturned
    if n == 0:
        return None
    cls = NEGATIVE if upheld >= overturned else POSITIVE
    return {"class": cls, "agreement": max(upheld, overturned) / n}


@dataclass(frozen=True)
class Confusion:
    """Covered items with a known actual outcome, by predicted x actual.

    tp: predicted overturned (certify), actually overturned; fp: predicted overturned,
    upheld; fn: predicted upheld (non_certify), overturned; tn: predicted upheld, upheld.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __post_init__(self):
        if min(self.tp, self.fp, self.fn, self.tn) < 0:
            raise ValueError("counts cannot be negative")

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def agreeing(self) -> int:
        return self.tp + self.tn

    def agreement(self) -> float | None:
        return rate(self.agreeing, self.n)

    def precision(self) -> float | None:
        """Of the items the engine would overturn, the share the reviewer overturned."""
        return rate(self.tp, self.tp + self.fp)

    def recall(self) -> float | None:
        """Of the items the reviewer overturned, the share the engine would overturn."""
        return rate(self.tp, self.tp + self.fn)

    def kappa(self) -> float | None:
        # rows: predicted overturned / upheld; columns: actual overturned / upheld
        return cohen_kappa([[self.tp, self.fp], [self.fn, self.tn]])

    def baseline(self) -> dict | None:
        return majority_baseline(self.fp + self.tn, self.tp + self.fn)


def _round(value: float | None, places: int = 6) -> float | None:
    return None if value is None else round(value, places)


def _interval(successes: int, trials: int) -> list[float] | None:
    interval = wilson_interval(successes, trials)
    return None if interval is None else [_round(interval[0]), _round(interval[1])]


def figures(*, items: int, no_rule: int, confusion: Confusion, no_rule_overturned: int = 0,
            no_rule_upheld: int = 0, reason_eligible: int = 0, reason_matched: int = 0) -> dict:
    """Every figure of one group of items, as JSON-ready numbers (rounded to 6 places).

    items: all items of the group; no_rule: those no rule applies to; confusion: items with a
    rule and a known reviewer outcome; no_rule_overturned / no_rule_upheld: items with no rule
    and a known reviewer outcome; reason_*: upheld items the engine also denies (eligible) and
    those where one of its failing criteria matches a reason the reviewer gave.
    """
    compared_no_rule = no_rule_overturned + no_rule_upheld
    compared = compared_no_rule + confusion.n
    if min(items, no_rule, no_rule_overturned, no_rule_upheld, reason_eligible, reason_matched) < 0:
        raise ValueError("counts cannot be negative")
    if no_rule > items or compared > items or compared_no_rule > no_rule or confusion.n > items - no_rule:
        raise ValueError("inconsistent item counts")
    if reason_matched > reason_eligible or reason_eligible > confusion.tn:
        raise ValueError("inconsistent reason counts")
    baseline = confusion.baseline()
    return {
        "items": items,
        "covered": items - no_rule,
        "no_rule": no_rule,
        "coverage": _round(rate(items - no_rule, items)),
        "compared": compared,
        "compared_covered": confusion.n,
        "agreeing": confusion.agreeing,
        "agreement": _round(confusion.agreement()),
        "agreement_ci95": _interval(confusion.agreeing, confusion.n),
        "baseline": None if baseline is None else {"class": baseline["class"],
                                                   "agreement": _round(baseline["agreement"])},
        "agreement_all_compared": _round(rate(confusion.agreeing, compared)),
        "kappa": _round(confusion.kappa()),
        "confusion": {"predicted_overturned": {"overturned": confusion.tp, "upheld": confusion.fp},
                      "predicted_upheld": {"overturned": confusion.fn, "upheld": confusion.tn},
                      "no_rule": {"overturned": no_rule_overturned, "upheld": no_rule_upheld}},
        "overturned": {
            "actual": confusion.tp + confusion.fn,
            "predicted": confusion.tp + confusion.fp,
            "found": confusion.tp,
            "precision": _round(confusion.precision()),
            "recall": _round(confusion.recall()),
            "recall_ci95": _interval(confusion.tp, confusion.tp + confusion.fn),
        },
        "reasons": {"eligible": reason_eligible, "matched": reason_matched,
                    "agreement": _round(rate(reason_matched, reason_eligible)),
                    "agreement_ci95": _interval(reason_matched, reason_eligible)},
    }
