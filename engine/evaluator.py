"""Case + RuleSet -> a decision per request, kept as a compact record; JSON only when asked.

Stage: evaluation. Input: a prepared `Case` and a loaded `RuleSet`. Output: a `RequestRecord`
per request (`decide_request`, `decide_case`): the outcome, the guideline edition, and for every
applicable rule its status, each criterion's value and the facts each part read, all held by
reference to the compiled rules and the case: no dict or string is built while deciding.
`render(record)` turns a record into the determination dict that `docs/semantics.md` describes
(`evaluate_request` and `evaluate_case` decide and render at once); consumers that need only
outcomes and ids (the audit's figures, a batch summary) read the record (`unmet()`,
`unknown()`, `against()`).

Semantics (docs/semantics.md): an applicable `against` rule that holds gives non_certify;
otherwise an applicable `support` rule whose criteria are all met gives certify; otherwise,
if support rules apply, non_certify naming the unmet and the undocumented criteria (the
burden of documentation is on the requester); if no rule applies, no_rule. MTUS packs in
force on the request's date are tried first; ODG packs only where MTUS has no rule.
The evaluator never reads the case's `reviewer`.
"""
from __future__ import annotations

import datetime as _dt

from . import ast, dependencies
from .case import Case
from .compiler import READS
from .loader import RuleSet
from .precedence import set_aside
from .rules import Pack, Rule
from .values import UNKNOWN, show

IMR = {"certify": "Overturned", "non_certify": "Upheld", "no_rule": None}
RESULT = {True: "met", False: "unmet"}


def _result(value) -> str:
    return "unknown" if value is UNKNOWN else RESULT[bool(value)]


# -- records ----------------------------------------------------------------------------------
class RuleRecord:
    """One rule evaluated for one request: the compiled rule, the value of its `when` and the
    facts it read, each criterion's value and reads (in the rule's criterion order), the
    `unless` likewise (None when the rule has none), and the rule's status."""

    __slots__ = ("rule", "when", "when_reads", "values", "reads", "unless", "unless_reads", "status")

    def __init__(self, rule: Rule, when, when_reads, values=(), reads=(), unless=None, unless_reads=None):
        self.rule = rule
        self.when = when
        self.when_reads = when_reads
        self.values = values
        self.reads = reads
        self.unless = unless
        self.unless_reads = unless_reads
        self.status = _status(when, values, unless)

    def results(self) -> list[tuple[str, str]]:
        """(criterion id, met | unmet | unknown) for each criterion evaluated."""
        return [(c.id, _result(v)) for c, v in zip(self.rule.criteria, self.values)]

    def has_unknown_fact(self) -> bool:
        """Whether some fact the rule read was unknown (missing or stated as undocumented)."""
        parts = [self.when_reads, *self.reads] + ([self.unless_reads] if self.unless_reads is not None else [])
        return any(read[1] is UNKNOWN for reads in parts for read in reads)


def _status(when, values, unless) -> str:
    """not_applicable, fails, unknown or holds."""
    if when is not True:
        return "not_applicable"
    unknown = False
    for v in values:
        if v is False:
            return "fails"
        if v is UNKNOWN:
            unknown = True
    if unless is True:
        return "fails"
    return "unknown" if unknown else "holds"


class RequestRecord:
    """The decision on one request, complete but compact (see the module docstring).

    `rules` holds the applicable rules of the packs used (`packs`: the MTUS packs in force,
    or the ODG ones when ODG took over, `fallback`); `undetermined` the rules whose `when` was
    unknown, as (rule, what was unknown): a text when the rule could be judged without
    evaluating it, else the facts its `when` read; `superseded` the applicable rules set aside
    by a rule that takes precedence (engine/precedence.py), as {rule, by}; `depends_on` the
    entry for a request that names an index procedure (engine/dependencies.py), else None."""

    __slots__ = ("case", "index", "day", "basis", "packs", "note", "fallback", "rules", "undetermined", "outcome",
                 "superseded", "depends_on")

    def __init__(self, case, index, day, basis, packs, note, fallback, rules, undetermined, outcome,
                 superseded=(), depends_on=None):
        self.case = case
        self.index = index
        self.day = day
        self.basis = basis
        self.packs = packs
        self.note = note
        self.fallback = fallback
        self.rules = rules
        self.undetermined = undetermined
        self.outcome = outcome
        self.superseded = superseded
        self.depends_on = depends_on

    @property
    def request_id(self) -> str:
        return self.case.request_ids[self.index]

    @property
    def imr_equivalent(self) -> str | None:
        return IMR[self.outcome]

    def unmet(self) -> list[str]:
        """`rule/criterion` of every unmet criterion of an applicable support rule."""
        return [f"{r.rule.id}/{c.id}" for r in self.rules if r.rule.effect != "against"
                for c, v in zip(r.rule.criteria, r.values) if v is not UNKNOWN and not v]

    def unknown(self) -> list[str]:
        """`rule/criterion` of every unknown criterion of an applicable support rule."""
        return [f"{r.rule.id}/{c.id}" for r in self.rules if r.rule.effect != "against"
                for c, v in zip(r.rule.criteria, r.values) if v is UNKNOWN]

    def against(self) -> list[str]:
        """Ids of the against rules that hold."""
        return [r.rule.id for r in self.rules if r.rule.effect == "against" and r.status == "holds"]

    def render(self) -> dict:
        return render(self)


class CaseRecord:
    """The records of every request of a case, in the case's order."""

    __slots__ = ("case", "requests")

    def __init__(self, case, requests):
        self.case = case
        self.requests = requests

    def render(self) -> dict:
        return render_case(self)


# -- evaluating rules -------------------------------------------------------------------------
def evaluate_rule(rule: Rule, env: dict) -> RuleRecord:
    """One rule against an environment, traced (its criteria only when its `when` is true)."""
    env[READS] = reads = []
    when = _tests(rule)[0](env)
    if when is not True:
        env[READS] = None
        return RuleRecord(rule, when, reads)
    return _criteria(rule, env, when, reads)


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


def _tests(rule: Rule):
    """The traced closures of a rule's criteria and `unless`, gathered once per rule."""
    tests = rule.__dict__.get("_tests")
    if tests is None:
        unless = rule.unless.test.evaluate if rule.unless is not None else None
        tests = rule.__dict__["_tests"] = (rule.when.evaluate, tuple(c.test.evaluate for c in rule.criteria), unless)
    return tests


def _applicable(rule: Rule, env: dict) -> RuleRecord:
    """The traced evaluation of a rule whose `when` is known to be true."""
    env[READS] = when_reads = []
    when = _tests(rule)[0](env)
    return _criteria(rule, env, when, when_reads)


def _criteria(rule: Rule, env: dict, when, when_reads) -> RuleRecord:
    _, criteria, unless_test = _tests(rule)
    values = []
    reads = []
    for test in criteria:
        env[READS] = r = []
        values.append(test(env))
        reads.append(r)
    if unless_test is not None:
        env[READS] = unless_reads = []
        unless = unless_test(env)
    else:
        unless = unless_reads = None
    env[READS] = None
    return RuleRecord(rule, when, when_reads, values, reads, unless, unless_reads)


def _apply(index: _Index, env: dict) -> tuple[list[RuleRecord], list[tuple]]:
    """The applicable rules of a group of packs (evaluated, traced) and the rules whose
    applicability is unknown, as (rule, static text or the reads of its `when`), in pack and
    rule order."""
    if not index.current():
        index = _Index(index.packs)
    applied = []
    undetermined = []
    for rule, static in index.plan(env):
        if static is not None:
            undetermined.append((rule, static))
            continue
        when = rule.when.untraced(env)       # the same value as the traced `when`, without reads
        if when is True:
            applied.append(_applicable(rule, env))
        elif when is UNKNOWN:
            env[READS] = reads = []
            rule.when.evaluate(env)
            env[READS] = None
            undetermined.append((rule, reads))
    return applied, undetermined


def _outcome(applied: list[RuleRecord]) -> str:
    """The outcome of `decide`, without its texts."""
    support = holding_support = False
    for r in applied:
        effect = r.rule.effect
        if effect == "against":
            if r.status == "holds":
                return "non_certify"
        elif effect == "support" and r.status != "not_applicable":
            support = True
            if r.status == "holds":
                holding_support = True
    if holding_support:
        return "certify"
    return "non_certify" if support else "no_rule"


def decide_request(rules: RuleSet, case: Case, index: int, env: dict | None = None) -> RequestRecord:
    """Decide request `index` of `case`; the record holds the complete trace.

    `env`: the environment to read (default `case.environment(index)`); a caller deciding
    requests in dependency order can pass one with more roots (another request's outcome)."""
    if env is None:
        env = case.environment(index)
    day, basis = _request_date(case, index)
    mtus, odg, note, mtus_index, odg_index = _selection(rules, day)
    applied, undetermined = _apply(mtus_index, env)
    used = mtus
    fallback = False
    if not applied and odg:
        odg_applied, odg_undetermined = _apply(odg_index, env)
        if odg_applied:
            applied, undetermined, used = odg_applied, odg_undetermined, odg
            fallback = True
    applied, superseded = set_aside(applied)
    return RequestRecord(case, index, day, basis, used, note, fallback, applied, undetermined, _outcome(applied),
                         superseded)


def decide_case(rules: RuleSet, case: Case) -> CaseRecord:
    """Every request of the case decided, as records in the case's order: each index procedure
    before the requests that depend on it, which read it as the `index` root
    (engine/dependencies.py)."""
    plan = dependencies.plan(case)
    outcomes: dict[int, str] = {}
    records: list = [None] * len(case.requests)
    for i in plan.order:
        env = case.environment(i)
        env.update(dependencies.context(case, i, plan, outcomes, lambda i=i: _request_date(case, i)[0]))
        record = decide_request(rules, case, i, env)
        outcomes[i] = record.outcome
        record.depends_on = dependencies.entry(case, i, plan, outcomes)
        records[i] = record
    return CaseRecord(case, records)


def evaluate_request(rules: RuleSet, case: Case, index: int, context: dict | None = None) -> dict:
    """`decide_request` rendered: the determination dict of request `index`. `context` adds
    roots to what its rules read (`index`: the procedure it depends on)."""
    env = None
    if context:
        env = case.environment(index)
        env.update(context)
    return render(decide_request(rules, case, index, env))


def evaluate_case(rules: RuleSet, case: Case) -> dict:
    """Every request of the case decided and rendered. Same case and rules give the same dict,
    in the same order."""
    return render_case(decide_case(rules, case))


# -- rendering --------------------------------------------------------------------------------
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


def _aside(aside) -> list[dict]:
    """The statements of a finding set aside for the request, and why (engine/regions.py)."""
    out = []
    for statement, reason, scope in aside:
        entry = {"status": statement["status"], "scope": scope, "reason": reason}
        ev = _evidence(statement.get("evidence"))
        if ev:
            entry["evidence"] = ev
        out.append(entry)
    return out


def _fact(read) -> dict:
    """One read as the trace shows it."""
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


class _RuleText:
    """What traces and rationales say of a rule whatever the case: built once per rule."""

    __slots__ = ("id", "title", "effect", "pack", "citation", "when", "cited", "because", "titled")

    def __init__(self, rule: Rule):
        self.id, self.title, self.effect = rule.id, rule.title, rule.effect
        self.pack = rule.pack.id if rule.pack else None
        self.citation = rule.citation.as_dict()
        self.when = rule.when.text
        self.cited = str(rule.citation)
        self.because = f"{rule.rationale.rstrip('.')} ({self.cited})"
        self.titled = f"{rule.title} ({self.cited})"


def _text(rule: Rule) -> _RuleText:
    text = rule.__dict__.get("_text")
    if text is None:
        text = rule.__dict__["_text"] = _RuleText(rule)
    return text


def _rule_trace(r: RuleRecord) -> dict:
    text = _text(r.rule)
    out = {"id": text.id, "title": text.title, "effect": text.effect, "status": r.status, "pack": text.pack,
           "citation": dict(text.citation),
           "when": {"test": text.when, "facts": _facts(r.when_reads)},
           "criteria": [{"id": c.id, "requires": c.requires, "test": c.test.text,
                         "result": "unknown" if v is UNKNOWN else RESULT[bool(v)],
                         "facts": _facts(reads)} for c, v, reads in zip(r.rule.criteria, r.values, r.reads)]}
    unless = r.rule.unless
    if unless is not None and r.unless_reads is not None:
        out["unless"] = {"requires": unless.requires, "test": unless.test.text, "result": _result(r.unless),
                         "facts": _facts(r.unless_reads)}
    return out


def _criterion_sentence(criterion, value, reads) -> str:
    if value is False:
        return criterion.unmet or f"Not met: {criterion.requires}"
    stated = False
    for read in reads:
        if read[1] is UNKNOWN and read[2] == "not_documented":
            stated = True
            break
    return f"{'Documented as lacking' if stated else 'Not documented'}: {criterion.requires}"


def decide(results: list[RuleRecord]) -> tuple[str, list[str], list[dict]]:
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
        excusable = all(r.rule.unless is not None and r.unless is UNKNOWN for r in holding_against)
        if excusable:
            # documenting every exception would lift the restrictions; a support rule must then hold
            for r in holding_against:
                missing.append({"rule": r.rule.id, "criterion": "unless",
                                "document": r.rule.unless.document or r.rule.unless.requires})
            missing.extend(_support_gaps(support))
        return "non_certify", rationale, missing
    if holding_support:
        for r in holding_support:
            met = "; ".join(c.requires.rstrip(".") for c in r.rule.criteria)
            rationale.append(f"{_text(r.rule).because}. Met: {met}.")
        return "certify", rationale, missing
    if support:
        for r in support:
            sentences = " ".join(_sentence(_criterion_sentence(c, v, reads))
                                 for c, v, reads in zip(r.rule.criteria, r.values, r.reads) if v is not True)
            rationale.append(f"{_text(r.rule).titled} is not satisfied. {sentences}")
        missing.extend(_support_gaps(support))
        return "non_certify", rationale, missing
    if against:
        rationale.append("Rules that restrict this treatment apply but do not hold, and no rule states when it "
                         "is medically necessary: outside the engine's coverage.")
    else:
        rationale.append("No rule of the guideline packs in force applies to this request: outside the engine's coverage.")
    return "no_rule", rationale, missing


def _support_gaps(support: list[RuleRecord]) -> list[dict]:
    """Unknown criteria of support rules that nothing documented contradicts (no unmet criterion)."""
    gaps = []
    for r in support:
        if r.status != "unknown":
            continue
        for c, v in zip(r.rule.criteria, r.values):
            if v is UNKNOWN:
                gaps.append({"rule": r.rule.id, "criterion": c.id, "document": c.document or c.requires})
    return gaps


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _describe_pack(pack: Pack) -> dict:
    described = pack.__dict__.get("_described")
    if described is None:
        described = pack.__dict__["_described"] = pack.describe()
    return dict(described)


FALLBACK = "MTUS has no rule for this request; ODG applies per the medical evidence search sequence"


def _unknown_facts(applied: list[RuleRecord]) -> list[str]:
    return sorted({_describe_unknown(x) for r in applied for v, reads in zip(r.values, r.reads) if v is UNKNOWN
                   for x in reads if x.value is UNKNOWN})


def guideline(record: RequestRecord) -> dict:
    """The guideline selection of a determination: date, basis, packs, note, fallback."""
    day = record.day
    used = record.packs
    used_ids = {r.rule.pack.id for r in record.rules if r.rule.pack}
    selection = {"date": day.isoformat() if day else None, "basis": record.basis,
                 "packs": [_describe_pack(p) for p in used if p.id in used_ids] or [_describe_pack(p) for p in used]}
    if record.note:
        selection["note"] = record.note
    if record.fallback:
        selection["fallback"] = FALLBACK
    return selection


def render(record: RequestRecord) -> dict:
    """The determination dict of a request (docs/semantics.md, "The determination JSON")."""
    applied = record.rules
    outcome, rationale, missing = decide(applied)
    case, index = record.case, record.index
    out = {
        "request_id": case.request_ids[index],
        "request": case.requests[index].get("text"),
        "outcome": outcome,
        "imr_equivalent": IMR[outcome],
        "guideline": guideline(record),
        "rules": [_rule_trace(r) for r in applied],
        "citations": sorted({_text(r.rule).cited for r in applied}),
        "rationale": rationale,
        "missing_documentation": missing,
        "unknown_facts": _unknown_facts(applied),
    }
    if record.undetermined:
        out["applicability_unknown"] = [
            {"rule": rule.id,
             "unknown": [what] if isinstance(what, str) else [_describe_unknown(x) for x in what if x[1] is UNKNOWN]}
            for rule, what in record.undetermined]
    if record.superseded:
        out["superseded"] = list(record.superseded)
    if record.depends_on is not None:
        out["depends_on"] = dict(record.depends_on)
    return out


def render_case(record: CaseRecord) -> dict:
    """The determination document of a case: the engine, the case id and every determination."""
    from . import __version__
    return {
        "engine": {"name": "mtus-engine", "version": __version__},
        "case_id": record.case.case_id,
        "determinations": [render(r) for r in record.requests],
    }
