"""REFERENCE ONLY: the evaluator as it was before the compact record (engine/evaluator.py of
2026-12, which built every determination dict while deciding; request dependencies and
`supersedes` included), kept so that tests/test_render_identity.py can show that
`render(record)` gives the same bytes. Adapted: the imports, the letter accessor, and the reads,
which gained the statements set aside for the request (rendered as the engine renders them;
engine/regions.py). Do not use it elsewhere; it is not maintained with the engine's semantics.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from engine import ast, dependencies
from engine.case import Case
from engine.compiler import READS
from engine.evaluator import _aside
from engine.loader import RuleSet
from engine.precedence import set_aside
from engine.rules import Pack, Rule
from engine.values import UNKNOWN, show

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
    _status: str | None = field(default=None, init=False, repr=False, compare=False)

    def has_unknown_fact(self) -> bool:
        """Whether some fact the rule read was unknown (missing or stated as undocumented)."""
        parts = [self.when_reads] + [c.reads for c in self.criteria] + ([self.unless.reads] if self.unless else [])
        return any(read.value is UNKNOWN for reads in parts for read in reads)

    @property
    def status(self) -> str:
        """not_applicable, fails, unknown or holds: computed once, when first asked (after evaluation)."""
        status = self._status
        if status is None:
            status = self._status = _status(self.when, self.criteria, self.unless)
        return status


def _status(when, criteria, unless) -> str:
    if when is not True:
        return "not_applicable"
    unknown = False
    for c in criteria:
        v = c.value
        if v is False:
            return "fails"
        if v is UNKNOWN:
            unknown = True
    if unless is not None and unless.value is True:
        return "fails"
    return "unknown" if unknown else "holds"


def _evidence(evidence) -> dict | None:
    if not evidence:
        return None
    out = {}
    if "section" in evidence:
        out["section"] = evidence["section"]
    if "start" in evidence:
        out["start"] = evidence["start"]
    if "end" in evidence:
        out["end"] = evidence["end"]
    if "quote" in evidence:
        out["quote"] = evidence["quote"]
    return out


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
    if read.aside:
        out["set_aside"] = _aside(read.aside)
    return out


MAX_FACTS = 20  # per criterion: quantifiers over long lists stay readable


def _facts(reads) -> list[dict]:
    """The distinct facts a criterion read, in reading order (what `_fact` gives for each read)."""
    out, seen = [], set()
    for path, value, status, evidence, scope, unit, aside in reads:
        kind = type(value)
        if kind is str:
            shown = value
        elif kind is int:
            shown = str(value)
        else:
            shown = show(value)
        if unit and value is not UNKNOWN:
            shown = f"{shown} {unit}"
        ev = _evidence(evidence) if evidence else None
        key = (path, shown, status)
        if key not in seen and len(out) < MAX_FACTS:
            seen.add(key)
            if status is None:
                fact = {"path": path, "value": shown}
            elif scope:
                fact = {"path": path, "value": shown, "status": status, "scope": scope}
            else:
                fact = {"path": path, "value": shown, "status": status}
            if ev:
                fact["evidence"] = ev
            if aside:
                fact["set_aside"] = _aside(aside)
            out.append(fact)
    return out


def _describe_unknown(read) -> str:
    if read.status == "not_documented":
        return f"{read.path}: stated as not documented"
    if read.status == "missing":
        if read.aside:
            reasons = "; ".join(dict.fromkeys(reason for _, reason, _ in read.aside))
            return f"{read.path}: not mentioned for this request (set aside: {reasons})"
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
    letter = case.root("letter") or {}
    for basis, value in (("date_of_service", request.get("date_of_service")),
                         ("ur_denial_date", letter.get("ur_denial_date")),
                         ("decision_date", letter.get("decision_date")),
                         ("latest_visit_date", letter.get("latest_visit_date"))):
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


def _selection(rules: RuleSet, day: _dt.date | None):
    """`select_packs` and the index of each group of packs, remembered per day for this rule set
    (its packs are fixed once loaded)."""
    cache = rules.__dict__.get("_selection_cache")
    packs = rules.packs
    if cache is None or cache[0] is not packs or cache[1] != len(packs):
        cache = rules.__dict__["_selection_cache"] = (packs, len(packs), {}, {})
    by_day, by_group = cache[2], cache[3]
    chosen = by_day.get(day)
    if chosen is None:
        mtus, odg, note = select_packs(rules, day)
        indexes = []
        for group in (mtus, odg):
            key = tuple(id(p) for p in group)
            index = by_group.get(key)
            if index is None:
                index = by_group[key] = _Index(group)
            indexes.append(index)
        chosen = (mtus, odg, note, indexes[0], indexes[1])
        if len(by_day) < 4096:
            by_day[day] = chosen
    return chosen


# -- which rules a request can make applicable ----------------------------------------------
_OTHER = object()   # a guard value that is neither missing nor a string: evaluate the rule as usual
_EVALUATE = None


def _guard(tree):
    """(path, literals, guard only?) when the rule's `when` is, or starts with the conjunct,
    `request.<path> == "literal"` or `request.<path> in ["literal", ...]`; else None.

    When the request states a string at that path that is not among the literals, the first
    conjunct is false, and so is the `when`, whatever follows: the rule cannot apply.
    """
    if tree is None:
        return None
    only = not (isinstance(tree, ast.BoolOp) and tree.op == "and")
    node = tree if only else tree.operands[0]
    if (isinstance(node, ast.Compare) and node.op == "==" and isinstance(node.left, ast.Path)
            and isinstance(node.right, ast.Literal) and node.right.kind == "string"):
        path, literals = node.left, [node.right.value]
    elif (isinstance(node, ast.In) and not node.negated and isinstance(node.item, ast.Path)
          and isinstance(node.container, ast.ListLit)
          and all(isinstance(i, ast.Literal) and i.kind == "string" for i in node.container.items)):
        path, literals = node.item, [i.value for i in node.container.items]
    else:
        return None
    if path.parts[0] != "request" or len(path.parts) < 2:
        return None
    return path, frozenset(literals), only


class _Index:
    """The rules of a group of packs (in pack and rule order) by the first conjunct of their `when`.

    For a request, the plan lists the rules to evaluate, and the rules whose `when` is only a
    guard on a field the request lacks (their `when` is unknown, read from that one missing
    fact: no need to evaluate it). Rules whose guard the request's value excludes are left
    out. Plans are remembered per tuple of guard values.
    """

    def __init__(self, packs: list[Pack]):
        self.packs = list(packs)
        self.rules = [rule for pack in packs for rule in pack.rules]
        paths: dict[tuple, int] = {}
        self.guards = []
        for rule in self.rules:
            guard = _guard(rule.when.tree)
            if guard is None:
                self.guards.append(None)
                continue
            path, literals, only = guard
            slot = paths.setdefault(path.parts, len(paths))
            static = f"{path.text}: not in the case" if only else None   # what _describe_unknown says of it
            self.guards.append((slot, literals, static))
        self.getters = tuple(_raw_getter(parts) for parts in paths)
        self.plans: dict[tuple, list] = {}

    def current(self) -> bool:
        return sum(len(p.rules) for p in self.packs) == len(self.rules)

    def plan(self, env) -> list:
        key = tuple([get(env) for get in self.getters])
        plan = self.plans.get(key)
        if plan is None:
            plan = []
            for rule, guard in zip(self.rules, self.guards):
                if guard is None:
                    plan.append((rule, _EVALUATE))
                    continue
                slot, literals, static = guard
                value = key[slot]
                if value is None:
                    plan.append((rule, static))
                elif value is _OTHER or value in literals:
                    plan.append((rule, _EVALUATE))
            if len(self.plans) < 1024:
                self.plans[key] = plan
        return plan


def _raw_getter(parts):
    """env -> the string at `parts`, None when missing (or null), _OTHER for any other value."""
    head, rest = parts[0], parts[1:]
    if len(rest) == 1:
        k1, = rest

        def get1(env):
            v = env.get(head)
            if type(v) is not dict:
                return None
            v = v.get(k1)
            return v if v is None or type(v) is str else _OTHER
        return get1

    def get(env):
        v = env.get(head)
        for key in rest:
            if type(v) is not dict:
                return None
            v = v.get(key)
        if v is None or type(v) is str:
            return v
        return _OTHER if v is not UNKNOWN else None
    return get


def _applicable(rule: Rule, env: dict) -> RuleResult:
    """`evaluate_rule` for a rule whose `when` is known to be true; its status computed once."""
    env[READS] = when_reads = []
    when = rule.when.evaluate(env)
    criteria = []
    for criterion in rule.criteria:
        env[READS] = reads = []
        test = criterion.test
        criteria.append(CriterionResult(criterion.id, criterion.requires, test.text, test.evaluate(env), reads))
    unless = rule.unless
    if unless is not None:
        env[READS] = reads = []
        unless = CriterionResult("unless", unless.requires, unless.test.text, unless.test.evaluate(env), reads)
    env[READS] = None
    result = RuleResult(rule, when, when_reads, criteria, unless)
    result._status = _status(when, criteria, unless)
    return result


def _apply(index: _Index, env: dict) -> tuple[list[RuleResult], list[dict]]:
    """The applicable rules of a group of packs (evaluated, with traces) and the rules whose
    applicability is unknown ({"rule", "unknown"}), in pack and rule order."""
    if not index.current():
        index = _Index(index.packs)
    applied = []
    undetermined = []
    for rule, static in index.plan(env):
        if static is not None:
            undetermined.append({"rule": rule.id, "unknown": [static]})
            continue
        when = rule.when.untraced(env)       # the same value as the traced `when`, without reads
        if when is True:
            applied.append(_applicable(rule, env))
        elif when is UNKNOWN:
            env[READS] = reads = []
            rule.when.evaluate(env)
            env[READS] = None
            undetermined.append({"rule": rule.id,
                                 "unknown": [_describe_unknown(x) for x in reads if x[1] is UNKNOWN]})
    return applied, undetermined


class _RuleText:
    """What traces and rationales say of a rule whatever the case: built once per rule."""

    __slots__ = ("id", "title", "effect", "pack", "citation", "when", "cited", "because", "titled", "criteria")

    def __init__(self, rule: Rule):
        self.id, self.title, self.effect = rule.id, rule.title, rule.effect
        self.pack = rule.pack.id if rule.pack else None
        self.citation = rule.citation.as_dict()
        self.when = rule.when.text
        self.cited = str(rule.citation)
        self.because = f"{rule.rationale.rstrip('.')} ({self.cited})"
        self.titled = f"{rule.title} ({self.cited})"
        self.criteria = {}
        for criterion in rule.criteria:
            self.criteria.setdefault(criterion.id, criterion)


def _text(rule: Rule) -> _RuleText:
    text = rule.__dict__.get("_text")
    if text is None:
        text = rule.__dict__["_text"] = _RuleText(rule)
    return text


def _rule_trace(r: RuleResult) -> dict:
    text = _text(r.rule)
    out = {"id": text.id, "title": text.title, "effect": text.effect, "status": r.status, "pack": text.pack,
           "citation": dict(text.citation),
           "when": {"test": text.when, "facts": _facts(r.when_reads)},
           "criteria": [{"id": c.id, "requires": c.requires, "test": c.test,
                         "result": "unknown" if c.value is UNKNOWN else RESULT[bool(c.value)],
                         "facts": _facts(c.reads)} for c in r.criteria]}
    if r.unless is not None:
        out["unless"] = {"requires": r.unless.requires, "test": r.unless.test, "result": r.unless.result,
                         "facts": _facts(r.unless.reads)}
    return out


def _criterion_sentence(rule: Rule, c: CriterionResult) -> str:
    criterion = _text(rule).criteria[c.id]
    if c.value is False:
        return criterion.unmet or f"Not met: {c.requires}"
    stated = False
    for read in c.reads:
        if read[1] is UNKNOWN and read[2] == "not_documented":
            stated = True
            break
    return f"{'Documented as lacking' if stated else 'Not documented'}: {c.requires}"


def decide(results: list[RuleResult]) -> tuple[str, list[str], list[dict]]:
    """The outcome, the rationale sentences and the missing documentation."""
    against, support, holding_against, holding_support = [], [], [], []
    for r in results:
        status = r.status
        if status == "not_applicable":
            continue
        if r.rule.effect == "against":
            against.append(r)
            if status == "holds":
                holding_against.append(r)
        elif r.rule.effect == "support":
            support.append(r)
            if status == "holds":
                holding_support.append(r)
    rationale: list[str] = []
    missing: list[dict] = []
    if holding_against:
        for r in holding_against:
            rationale.append(_text(r.rule).because + ".")
        excusable = all(r.unless is not None and r.unless.value is UNKNOWN for r in holding_against)
        if excusable:
            # documenting every exception would lift the restrictions; a support rule must then hold
            for r in holding_against:
                missing.append({"rule": r.rule.id, "criterion": "unless",
                                "document": r.rule.unless.document or r.rule.unless.requires})
            missing.extend(_support_gaps(support))
        return "non_certify", rationale, missing
    if holding_support:
        for r in holding_support:
            met = "; ".join(c.requires.rstrip(".") for c in r.criteria)
            rationale.append(f"{_text(r.rule).because}. Met: {met}.")
        return "certify", rationale, missing
    if support:
        for r in support:
            sentences = " ".join(_sentence(_criterion_sentence(r.rule, c)) for c in r.criteria if c.value is not True)
            rationale.append(f"{_text(r.rule).titled} is not satisfied. {sentences}")
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
                criterion = _text(r.rule).criteria[c.id]
                gaps.append({"rule": r.rule.id, "criterion": c.id, "document": criterion.document or c.requires})
    return gaps


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _describe_pack(pack: Pack) -> dict:
    described = pack.__dict__.get("_described")
    if described is None:
        described = pack.__dict__["_described"] = pack.describe()
    return dict(described)


def evaluate_request(rules: RuleSet, case: Case, index: int, context: dict | None = None) -> dict:
    """Decide request `index`. `context` adds roots to what its rules read (`index`: the procedure
    it depends on; see engine/dependencies.py)."""
    env = case.environment(index)
    if context:
        env.update(context)
    day, basis = _request_date(case, index)
    mtus, odg, note, mtus_index, odg_index = _selection(rules, day)
    applied, undetermined = _apply(mtus_index, env)
    used = mtus
    fallback = None
    if not applied and odg:
        odg_applied, odg_undetermined = _apply(odg_index, env)
        if odg_applied:
            applied, undetermined, used = odg_applied, odg_undetermined, odg
            fallback = "MTUS has no rule for this request; ODG applies per the medical evidence search sequence"
    applied, superseded = set_aside(applied)
    outcome, rationale, missing = decide(applied)
    unknown_facts = sorted({_describe_unknown(x) for r in applied for c in r.criteria if c.value is UNKNOWN
                            for x in c.reads if x.value is UNKNOWN})
    used_ids = {r.rule.pack.id for r in applied if r.rule.pack}
    selection = {"date": day.isoformat() if day else None, "basis": basis,
                 "packs": [_describe_pack(p) for p in used if p.id in used_ids] or [_describe_pack(p) for p in used]}
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
        "citations": sorted({_text(r.rule).cited for r in applied}),
        "rationale": rationale,
        "missing_documentation": missing,
        "unknown_facts": unknown_facts,
    }
    if undetermined:
        out["applicability_unknown"] = undetermined
    if superseded:
        out["superseded"] = superseded
    return out


def evaluate_case(rules: RuleSet, case: Case) -> dict:
    """Every request of the case decided, each index procedure before the requests that depend
    on it (engine/dependencies.py). Same case and rules give the same dict, in the case's order."""
    from engine import __version__
    plan = dependencies.plan(case)
    outcomes: dict[int, str] = {}
    determinations: list = [None] * len(case.requests)
    for i in plan.order:
        context = dependencies.context(case, i, plan, outcomes, lambda i=i: _request_date(case, i)[0])
        determination = evaluate_request(rules, case, i, context)
        outcomes[i] = determination["outcome"]
        entry = dependencies.entry(case, i, plan, outcomes)
        if entry is not None:
            determination["depends_on"] = entry
        determinations[i] = determination
    return {
        "engine": {"name": "mtus-engine", "version": __version__},
        "case_id": case.case_id,
        "determinations": determinations,
    }
