"""Reason agreement: does a criterion the engine names as failing match a reason the reviewer gave?

Stage: audit (comparison; reads the reviewer's rationale, which evaluation never does).
Input: one determination (the evaluator's dict for a request), the reviewer's rationale text and
the requested drug's generic name. Output: the engine's reasons and the matches, each saying
which criterion matched, through which fact, how, and the words of the rationale that matched.
Raises nothing: a rationale the fact extractor cannot read gives no match.

The matching is deliberately simple and inspectable (docs/audit.md, "Reason agreement"):

1. The engine's reasons. Only for a `non_certify`: each criterion of a support rule that is
   unmet or unknown; each criterion of an against rule that holds (for an against rule with
   no criteria, such as carisoprodol, the rule itself is the reason).
2. What the reviewer states, read with the *same* finding vocabulary and negation handling as
   extraction (`engine.extraction.facts.extract_item_facts` over the rationale): finding
   concepts with a status, and medication mentions with a duration.
3. A reason matches when one of the facts its criterion read is
   - `findings.<concept>` and the reviewer states that concept the way that fails it: the
     engine read it as unknown or false and the reviewer says `absent` or `not_documented`
     ("no documentation of functional improvement"), or the engine read it as true (a fact
     that counts against the request, e.g. aberrant behaviour) and the reviewer says
     `present`;
   - a duration of use (`request.prior_use_weeks`, a medication's duration) and the reviewer
     states how long the requested drug has been taken ("on Norco for over 6 months");
   - a fact with key terms in `TOPIC_TERMS` (pain scores, durations, quantity and refills,
     dose, visit counts) or a diagnosis tag the criterion tests (`"myofascial" in d.tags`,
     matched with that tag's phrases from rules/vocab/diagnosis_tags.yaml), and those terms
     appear in a sentence of the rationale about *this* case (`CASE_SENTENCE`: "In this case",
     "the claimant", "there is no documentation" ...), not in the guideline text the reviewer
     recites;
   - or, for an against rule without criteria, the rationale says the treatment is not
     recommended / not indicated / not supported.

Bag-of-words matching on a criterion's `requires` text was tried and left out: its words
("documented", "pain", "patient", "use") are in nearly every rationale, so it matched nearly
everything. A criterion whose facts have no concept and no key terms cannot match; docs/audit.md
says so and the per-item record shows which criteria were checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Reason", "Match", "engine_reasons", "reviewer_statements", "match_reasons", "TOPIC_TERMS",
           "CASE_SENTENCE"]

# path prefix -> (what it is about, key terms). Regexes over lower-cased text.
TOPIC_TERMS: list[tuple[tuple[str, ...], str, str]] = [
    (("pain.",), "pain scores",
     r"\bpain (?:scores?|levels?|ratings?|intensity)\b|\b\d+(?:\.\d+)?\s*/\s*10\b|\b\d+ out of 10\b|\bvas\b"
     r"|\bvisual analog"),
    (("request.prior_use_weeks",), "duration of use",
     r"\blong[- ]?term\b|\bchronic(?:ally)? us(?:e|ing)\b|\bprolonged\b|\bextended (?:period|use)\b"
     r"|\b(?:for|over|more than|beyond|exceed\w*|since|at least) (?:\w+ ){0,2}(?:weeks?|months?|years?)\b"
     r"|\b\d+ (?:weeks?|months?|years?)\b|\bshort[- ]term\b|\bshort course\b"),
    (("request.refills", "request.days_supply", "request.quantity"), "quantity, refills or length of course",
     r"\brefills?\b|\bquantity\b|\bsupply\b|#\s?\d+|\bnumber of (?:tablets|pills|capsules)\b"
     r"|\bshort course\b|\b(?:\d+|two|three|four)[- ](?:to[- ](?:\d+|three|four)[- ])?weeks?\b"),
    (("medications",), "other medications taken",
     r"\bother (?:agents?|medications?|drugs?|muscle relaxants?|analgesics?|pain medications?)\b|\bin combination\b"
     r"|\bconcurrent\w*\b|\bcombined with\b|\baddition of\b|\badded to\b|\bcurrently (?:taking|on)\b"
     r"|\balready (?:taking|on)\b"),
    (("request.visits", "request.prior_visits", "request.frequency_per_week", "treatments"), "visits or prior treatment",
     r"\bvisits?\b|\bsessions?\b|\btreatments\b|\bprior (?:therapy|treatment|sessions)\b|\bcompleted\b"
     r"|\b(?:\d+|one|two|three) (?:times|x) (?:a|per) week\b"),
    (("daily_med", "request.strength", "request.frequency", "request.drug.strength"), "dose",
     r"\bmorphine equivalent|\bmed\b|\bmme\b|\bdos(?:e|es|age|ing)\b|\b\d+ ?mg\b"),
]
_TOPICS = [(prefixes, label, re.compile(pattern)) for prefixes, label, pattern in TOPIC_TERMS]

# A sentence about the case in hand rather than the guideline's general text.
CASE_SENTENCE = re.compile(
    r"\b(?:in this (?:case|instance)|this (?:claimant|patient|injured worker|worker|employee|applicant)"
    r"|the (?:claimant|patient|injured worker|worker|employee|applicant|records?|medical records?|documentation"
    r"|notes?|provider|physician|requesting|treating)|he|she|his|her|there (?:is|was|were|are) (?:no|not)"
    r"|(?:has|had) been|no (?:documentation|evidence|indication|mention)|not documented|without documentation)\b")
_NOT_RECOMMENDED = re.compile(r"\bnot (?:be )?(?:recommended|indicated|supported|advised)\b|\bnot a recommended\b")
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_TAG_TEST = re.compile(r'"([a-z_]+)"\s+in\s+\w+\.tags')
FAILING = {"true": ("present",), "unknown": ("absent", "not_documented"), "false": ("absent", "not_documented")}


@dataclass(frozen=True)
class Reason:
    """A criterion the engine names against the request."""

    rule: str
    criterion: str          # criterion id, or "when" for an against rule without criteria
    requires: str
    result: str             # unmet | unknown | met (an against rule's criterion that holds)
    facts: tuple            # ({path, value, status?}, ...)
    test: str = ""
    against: bool = False   # the criterion of an against rule that holds

    @property
    def name(self) -> str:
        return f"{self.rule}/{self.criterion}"


@dataclass(frozen=True)
class Match:
    criterion: str          # rule/criterion
    fact: str               # the fact path through which it matched
    how: str                # stated | duration | terms | tag | not_recommended
    detail: str             # e.g. "functional_improvement: not_documented"
    quote: str              # words of the reviewer's rationale

    def as_dict(self) -> dict:
        return {"criterion": self.criterion, "fact": self.fact, "how": self.how, "detail": self.detail,
                "quote": self.quote}


@dataclass
class Statements:
    """What the reviewer's rationale states, for matching."""

    text: str
    findings: dict = field(default_factory=dict)      # concept -> {status, evidence}
    durations: dict = field(default_factory=dict)     # generic -> quote of the duration
    _sentences: list | None = None
    _found: dict = field(default_factory=dict)        # (pattern, against) -> _in_case_sentences

    @property
    def sentences(self) -> list:
        """(lower-case sentence, original, about the case?) for each sentence (split on first use)."""
        if self._sentences is None:
            self._sentences = []
            for m in _SENTENCE.finditer(self.text):
                sentence = m.group(0).strip()
                if sentence:
                    low = sentence.lower()
                    self._sentences.append((low, sentence, bool(CASE_SENTENCE.search(low))))
        return self._sentences


def engine_reasons(determination: dict) -> list[Reason]:
    """The criteria the engine names against the request (empty unless non_certify)."""
    if determination.get("outcome") != "non_certify":
        return []
    rules = determination.get("rules") or []
    against = [r for r in rules if r.get("effect") == "against" and r.get("status") == "holds"]
    out: list[Reason] = []
    if against:
        for rule in against:
            if rule.get("criteria"):
                for c in rule["criteria"]:
                    out.append(Reason(rule["id"], c["id"], c.get("requires", ""), c.get("result", "met"),
                                      tuple(c.get("facts") or ()), c.get("test", ""), True))
            else:
                when = rule.get("when") or {}
                out.append(Reason(rule["id"], "when", rule.get("title", ""), "met", tuple(when.get("facts") or ()),
                                  when.get("test", ""), True))
        return out
    for rule in rules:
        if rule.get("effect") != "support" or rule.get("status") not in ("fails", "unknown"):
            continue
        for c in rule.get("criteria") or []:
            if c.get("result") in ("unmet", "unknown"):
                out.append(Reason(rule["id"], c["id"], c.get("requires", ""), c["result"],
                                  tuple(c.get("facts") or ()), c.get("test", "")))
    return out


def _item_facts(text: str, concepts, durations: bool) -> dict:
    try:
        from ..extraction.facts import extract_item_facts
    except ImportError:  # pragma: no cover - the extractor is part of the package
        return {}
    try:
        return extract_item_facts(text, [("rationale", 0, len(text))], concepts=concepts, medications=durations) or {}
    except Exception:  # a rationale the extractor chokes on gives no statement, not a failed audit
        return {}


def reviewer_statements(rationale: str | None, *, concepts=None, durations: bool = True) -> Statements:
    """Findings, durations and sentences of a reviewer's rationale. `concepts` (None: all) and
    `durations` say what the matching will look up: the rationale is read for those only
    (what is read is the same as in a full reading)."""
    text = " ".join((rationale or "").split())
    statements = Statements(text)
    if not text:
        return statements
    facts = _item_facts(text, concepts, durations)
    statements.findings = dict(facts.get("findings") or {})
    for med in facts.get("medications") or []:
        duration = med.get("duration_weeks")
        if duration is None or not med.get("generic"):
            continue
        quote = (duration.get("evidence") or {}).get("quote") if isinstance(duration, dict) else None
        statements.durations.setdefault(med["generic"], quote or (med.get("evidence") or {}).get("quote") or "")
    return statements


@lru_cache(maxsize=1)
def _tag_patterns() -> dict[str, re.Pattern]:
    """Each diagnosis tag's phrases as one regex (read once per process)."""
    try:
        import yaml
        from ..extraction.phrases import compile_phrase
        from ..paths import vocab_dir
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load((vocab_dir() / "diagnosis_tags.yaml").read_text(encoding="utf-8"), Loader=loader) or {}
        out = {}
        for term in data.get("terms") or []:
            if term.get("id") and term.get("phrases"):
                out[term["id"]] = re.compile("|".join(f"(?:{compile_phrase(p).regex})" for p in term["phrases"]))
        return out
    except Exception:  # a vocabulary problem is reported by `mtus rules lint`, not here
        return {}


def _tag_pattern(tag: str) -> re.Pattern | None:
    return _tag_patterns().get(tag)


def _in_case_sentences(statements: Statements, pattern: re.Pattern, against: bool = False) -> str | None:
    """The first sentence with `pattern` that is about this case, or, for the reason of an
    against rule, one that says the treatment is not recommended (the guideline applied).
    Kept on `statements`: several reasons of an item ask for the same terms."""
    key = (pattern, against)
    if key not in statements._found:
        # the sentence's kind first: most sentences of a rationale recite the guideline
        statements._found[key] = next(
            (original for low, original, about_case in statements.sentences
             if (about_case or (against and _NOT_RECOMMENDED.search(low))) and pattern.search(low)), None)
    return statements._found[key]


def _match_fact(reason: Reason, fact: dict, statements: Statements, generic: str | None) -> Match | None:
    path = fact.get("path", "")
    if path.startswith("findings."):
        concept = path.split(".", 1)[1]
        stated = statements.findings.get(concept)
        if stated and stated.get("status") in FAILING.get(fact.get("value"), FAILING["unknown"]):
            quote = (stated.get("evidence") or {}).get("quote") or ""
            return Match(reason.name, path, "stated", f"{concept}: {stated['status']}", " ".join(quote.split()))
        return None
    if path in ("request.prior_use_weeks",) or path.startswith("medications"):
        if generic and generic in statements.durations:
            return Match(reason.name, path, "duration", f"duration of {generic} stated",
                         " ".join(statements.durations[generic].split()))
    for prefixes, label, pattern in _TOPICS:
        if path.startswith(prefixes):
            sentence = _in_case_sentences(statements, pattern, reason.against)
            if sentence:
                return Match(reason.name, path, "terms", label, sentence)
    return None


def _needed(reasons: list[Reason], generic: str | None) -> tuple[frozenset[str], bool]:
    """What matching `reasons` looks up in the rationale: the finding concepts their facts
    name, and whether the requested drug's duration of use (see `_match_fact`)."""
    concepts = set()
    durations = False
    for reason in reasons:
        for fact in reason.facts:
            path = fact.get("path", "")
            if path.startswith("findings."):
                concepts.add(path.split(".", 1)[1])
            elif path == "request.prior_use_weeks" or path.startswith("medications"):
                durations = durations or bool(generic)
    return frozenset(concepts), durations


def match_reasons(determination: dict, rationale: str | None, generic: str | None = None,
                  statements: Statements | None = None) -> tuple[list[Reason], list[Match]]:
    """The engine's reasons and those that match the reviewer's rationale (at most one match
    per reason: the first fact that matches, in the order the criterion read them)."""
    reasons = engine_reasons(determination)
    if not reasons or not (rationale or "").strip():
        return reasons, []
    if statements is None:
        concepts, durations = _needed(reasons, generic)
        statements = reviewer_statements(rationale, concepts=concepts, durations=durations)
    matches: list[Match] = []
    for reason in reasons:
        found = None
        for fact in reason.facts:
            found = _match_fact(reason, fact, statements, generic)
            if found:
                break
        if found is None:
            for tag in _TAG_TEST.findall(reason.test):
                pattern = _tag_pattern(tag)
                sentence = _in_case_sentences(statements, pattern, reason.against) if pattern else None
                if sentence:
                    found = Match(reason.name, f"diagnoses[].tags:{tag}", "tag", f"diagnosis tag {tag}", sentence)
                    break
        if found is None and reason.criterion == "when":
            for low, original, _ in statements.sentences:
                if _NOT_RECOMMENDED.search(low):
                    found = Match(reason.name, "request", "not_recommended", "the treatment is not recommended",
                                  original)
                    break
        if found:
            matches.append(found)
    return reasons, matches
