"""Case + RuleSet -> a determination per request, with the trace of every rule applied.

Semantics (docs/semantics.md): an applicable `against` rule that holds gives non_certify;
otherwise an applicable `support` rule whose criteria are all met gives certify; otherwise,
if support rules apply, non_certify naming the unmet and the undocumented criteria (the
burden of documentation is on the requester); if no rule applies, no_rule. MTUS packs in
force on the request's date are tried first; ODG packs only where MTUS has no rule.
The evaluator never reads the case's `reviewer`.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .case import Case
from .compiler import READS
from .loader import RuleSet
from .rules import Pack, Rule
from .values import UNKNOWN, show

IMR = {"certify": "Overturned", "non_certify": "Upheld", "no_rule": None}
RESULT = {True: "met", False: "unmet"}


def _result(value) -> str:
    return "unknown" if value is UNKNOWN else RESULT[bool(value)]


@dataclass
class CriterionResult:
    id: str
    requires: str
    test: str
    value: object
    reads: list

    @property
    def result(self) -> str:
        return _result(self.value)


@dataclass
class RuleResult:
    rule: Rule
    when: object
    when_reads: list
    criteria: list[CriterionResult] = field(default_factory=list)
    unless: CriterionResult | None = None

    def has_unknown_fact(self) -> bool:
        """Whether some fact the rule read was unknown (missing or stated as undocumented)."""
        parts = [self.when_reads] + [c.reads for c in self.criteria] + ([self.unless.reads] if self.unless else [])
        return any(read.value is UNKNOWN for reads in parts for read in reads)

    @property
    def status(self) -> str:
        if self.when is not True:
            return "not_applicable"
        values = [c.value for c in self.criteria]
        if any(v is False for v in values):
            return "fails"
        if self.unless is not None and self.unless.value is True:
            return "fails"
        if any(v is UNKNOWN for v in values):
            return "unknown"
        return "holds"


def _evidence(evidence) -> dict | None:
    if not evidence:
        return None
    return {k: evidence[k] for k in ("section", "start", "end", "quote") if k in evidence}


def _fact(read) -> dict:
    value = show(read.value)
    if read.unit and read.value is not UNKNOWN:
        value = f"{value} {read.unit}"
    out = {"path": read.path, "value": value}
    if read.status is not None:
        out["status"] = read.status
        if read.scope:
            out["scope"] = read.scope
    ev = _evidence(read.evidence)
    if ev:
        out["evidence"] = ev
    return out


MAX_FACTS = 20  # per criterion: quantifiers over long lists stay readable


def _facts(reads) -> list[dict]:
    """The distinct facts a criterion read, in reading order."""
    out, seen = [], set()
    for read in reads:
        fact = _fact(read)
        key = (fact["path"], fact["value"], fact.get("status"))
        if key not in seen and len(out) < MAX_FACTS:
            seen.add(key)
            out.append(fact)
    return out


def _describe_unknown(read) -> str:
    if read.status == "not_documented":
        return f"{read.path}: stated as not documented"
    if read.status == "missing":
        return f"{read.path}: not mentioned"
    if read.path.endswith(")"):
        return f"{read.path}: cannot be computed from the case"
    return f"{read.path}: not in the case"


def evaluate_rule(rule: Rule, env: dict) -> RuleResult:
    env[READS] = reads = []
    when = rule.when.evaluate(env)
    result = RuleResult(rule, when, reads)
    if when is not True:
        env[READS] = None
        return result
    for criterion in rule.criteria:
        env[READS] = reads = []
        value = criterion.test.evaluate(env)
        result.criteria.append(CriterionResult(criterion.id, criterion.requires, criterion.test.text, value, reads))
    if rule.unless is not None:
        env[READS] = reads = []
        value = rule.unless.test.evaluate(env)
        result.unless = CriterionResult("unless", rule.unless.requires, rule.unless.test.text, value, reads)
    env[READS] = None
    return result


def _request_date(case: Case, index: int):
    """The date that picks the guideline edition, and where it came from."""
    request = case.requests[index]
    letter = case._roots.get("letter") or {}
    for basis, value in (("date_of_service", request.get("date_of_service")),
                         ("ur_denial_date", letter.get("ur_denial_date")),
                         ("decision_date", letter.get("decision_date"))):
        if value:
            try:
                return _dt.date.fromisoformat(value), basis
            except ValueError:
                continue
    return None, "assumed_newest"


def select_packs(rules: RuleSet, day: _dt.date | None) -> tuple[list[Pack], list[Pack], str | None]:
    """MTUS and ODG packs in force on `day` (newest packs when there is no date)."""
    if day is None and rules.packs:
        # no date: the packs in force in the newest period
        latest = max(p.effective_from for p in rules.packs)
        chosen = [p for p in rules.packs if p.in_force(latest)]
        note = "the request has no date; the guideline editions in force now were assumed"
    else:
        chosen = [p for p in rules.packs if day is not None and p.in_force(day)]
        note = None if chosen else f"no rule pack is in force on {day.isoformat() if day else 'any date'}"
    return [p for p in chosen if p.source == "mtus"], [p for p in chosen if p.source == "odg"], note


def _rule_trace(r: RuleResult) -> dict:
    rule = r.rule
    out = {"id": rule.id, "title": rule.title, "effect": rule.effect, "status": r.status,
           "pack": rule.pack.id if rule.pack else None,
           "citation": rule.citation.as_dict(),
           "when": {"test": rule.when.text, "facts": _facts(r.when_reads)},
           "criteria": [{"id": c.id, "requires": c.requires, "test": c.test, "result": c.result,
                         "facts": _facts(c.reads)} for c in r.criteria]}
    if r.unless is not None:
        out["unless"] = {"requires": r.unless.requires, "test": r.unless.test, "result": r.unless.result,
                         "facts": _facts(r.unless.reads)}
    return out


def _criterion_sentence(rule: Rule, c: CriterionResult) -> str:
    criterion = next(x for x in rule.criteria if x.id == c.id)
    if c.value is False:
        return criterion.unmet or f"Not met: {c.requires}"
    unknowns = [r for r in c.reads if r.value is UNKNOWN]
    stated = any(r.status == "not_documented" for r in unknowns)
    return f"{'Documented as lacking' if stated else 'Not documented'}: {c.requires}"


def decide(results: list[RuleResult]) -> tuple[str, list[str], list[dict]]:
    """The outcome, the rationale sentences and the missing documentation."""
    applicable = [r for r in results if r.status != "not_applicable"]
    against = [r for r in applicable if r.rule.effect == "against"]
    support = [r for r in applicable if r.rule.effect == "support"]
    holding_against = [r for r in against if r.status == "holds"]
    rationale: list[str] = []
    missing: list[dict] = []
    if holding_against:
        for r in holding_against:
            rationale.append(f"{r.rule.rationale.rstrip('.')} ({r.rule.citation}).")
        excusable = all(r.unless is not None and r.unless.value is UNKNOWN for r in holding_against)
        if excusable:
            # documenting every exception would lift the restrictions; a support rule must then hold
            for r in holding_against:
                missing.append({"rule": r.rule.id, "criterion": "unless",
                                "document": r.rule.unless.document or r.rule.unless.requires})
            missing.extend(_support_gaps(support))
        return "non_certify", rationale, missing
    holding_support = [r for r in support if r.status == "holds"]
    if holding_support:
        for r in holding_support:
            met = "; ".join(c.requires.rstrip(".") for c in r.criteria)
            rationale.append(f"{r.rule.rationale.rstrip('.')} ({r.rule.citation}). Met: {met}.")
        return "certify", rationale, missing
    if support:
        for r in support:
            failing = [c for c in r.criteria if c.value is not True]
            sentences = " ".join(_sentence(s) for s in (_criterion_sentence(r.rule, c) for c in failing))
            rationale.append(f"{r.rule.title} ({r.rule.citation}) is not satisfied. {sentences}")
        missing.extend(_support_gaps(support))
        return "non_certify", rationale, missing
    if against:
        rationale.append("Rules that restrict this treatment apply but do not hold, and no rule states when it "
                         "is medically necessary: outside the engine's coverage.")
    else:
        rationale.append("No rule of the guideline packs in force applies to this request: outside the engine's coverage.")
    return "no_rule", rationale, missing


def _support_gaps(support: list[RuleResult]) -> list[dict]:
    """Unknown criteria of support rules that nothing documented contradicts (no unmet criterion)."""
    gaps = []
    for r in support:
        if r.status != "unknown":
            continue
        for c in r.criteria:
            if c.value is UNKNOWN:
                criterion = next(x for x in r.rule.criteria if x.id == c.id)
                gaps.append({"rule": r.rule.id, "criterion": c.id, "document": criterion.document or c.requires})
    return gaps


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def evaluate_request(rules: RuleSet, case: Case, index: int) -> dict:
    env = case.environment(index)
    day, basis = _request_date(case, index)
    mtus, odg, note = select_packs(rules, day)
    results = [evaluate_rule(rule, env) for pack in mtus for rule in pack.rules]
    used = mtus
    fallback = None
    if not any(r.status != "not_applicable" for r in results) and odg:
        odg_results = [evaluate_rule(rule, env) for pack in odg for rule in pack.rules]
        if any(r.status != "not_applicable" for r in odg_results):
            results, used = odg_results, odg
            fallback = "MTUS has no rule for this request; ODG applies per the medical evidence search sequence"
    outcome, rationale, missing = decide(results)
    applied = [r for r in results if r.status != "not_applicable"]
    undetermined = [{"rule": r.rule.id, "unknown": [_describe_unknown(x) for x in r.when_reads if x.value is UNKNOWN]}
                    for r in results if r.when is UNKNOWN]
    unknown_facts = sorted({_describe_unknown(x) for r in applied for c in r.criteria if c.value is UNKNOWN
                            for x in c.reads if x.value is UNKNOWN})
    used_ids = {r.rule.pack.id for r in applied if r.rule.pack}
    selection = {"date": day.isoformat() if day else None, "basis": basis,
                 "packs": [p.describe() for p in used if p.id in used_ids] or [p.describe() for p in used]}
    if note:
        selection["note"] = note
    if fallback:
        selection["fallback"] = fallback
    request = case.requests[index]
    out = {
        "request_id": case.request_ids[index],
        "request": request.get("text"),
        "outcome": outcome,
        "imr_equivalent": IMR[outcome],
        "guideline": selection,
        "rules": [_rule_trace(r) for r in applied],
        "citations": sorted({str(r.rule.citation) for r in applied}),
        "rationale": rationale,
        "missing_documentation": missing,
        "unknown_facts": unknown_facts,
    }
    if undetermined:
        out["applicability_unknown"] = undetermined
    return out


def evaluate_case(rules: RuleSet, case: Case) -> dict:
    """Every request of the case decided. Same case and rules give the same dict, in the same order."""
    from . import __version__
    return {
        "engine": {"name": "mtus-engine", "version": __version__},
        "case_id": case.case_id,
        "determinations": [evaluate_request(rules, case, i) for i in range(len(case.requests))],
    }
