"""Decisions -> text for a terminal, or JSON. Rendering only: no evaluation here.

`render_text(record, reviewer)` prints, from a case's decision record
(`engine.evaluator.decide_case`), each request's outcome, the guideline edition used, the rules
applied with each criterion's result and the facts read, the rationale and the documentation
that would change the outcome; the facts are rendered only for the criteria shown. With a
reviewer (a case from a decided letter) the reviewer's outcome is shown beside the prediction.
`to_json` writes a determination document (`engine.evaluator.render_case`).
"""
from __future__ import annotations

import json

MARK = {"met": "met    ", "unmet": "UNMET  ", "unknown": "unknown"}
OUTCOME = {"certify": "CERTIFY", "non_certify": "NON-CERTIFY", "no_rule": "NO RULE"}


def to_json(document: dict) -> str:
    """Deterministic JSON: same determination, same bytes."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def compare(determination: dict, reviewer_item: dict | None) -> dict | None:
    """The reviewer's outcome beside the engine's, and whether they agree."""
    if not reviewer_item:
        return None
    actual = reviewer_item["outcome"]
    predicted = determination["imr_equivalent"]
    agree = None if predicted is None else predicted.lower() == actual
    return {"reviewer_outcome": actual.capitalize(), "agrees": agree}


def _fact_text(fact: dict) -> str:
    text = f"{fact['path']} = {fact['value']}"
    if fact.get("status"):
        status = {"missing": "not mentioned", "not_documented": "stated as not documented"}.get(fact["status"], fact["status"])
        text = f"{fact['path']}: {status}"
        if fact.get("scope") == "request":
            text += " (this item)"
    quote = (fact.get("evidence") or {}).get("quote")
    if quote:
        text += f'  "{_short(quote)}"'
    for aside in fact.get("set_aside") or ():
        text += f"; set aside: {aside['status']}{' (this item)' if aside['scope'] == 'request' else ''}, {aside['reason']}"
    return text


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def render_text(record, reviewer: dict | None = None, *, explain: str = "fails", title: str | None = None) -> str:
    """A person-readable account of every decision of a case (`CaseRecord`).

    explain: "fails" shows the criteria that were not met; "full" shows every criterion and fact.
    """
    from .evaluator import _facts, _result, decide, guideline
    lines = []
    if title:
        lines.append(title)
    for decided in record.requests:
        request_id = decided.request_id
        lines.append(f"  {request_id}  {decided.case.requests[decided.index].get('text')}")
        imr_equivalent = decided.imr_equivalent
        imr = f" ({imr_equivalent})" if imr_equivalent else ""
        head = f"      predicted: {OUTCOME[decided.outcome]}{imr}"
        comparison = compare({"imr_equivalent": imr_equivalent}, (reviewer or {}).get(request_id))
        if comparison:
            verdict = {True: "agree", False: "DISAGREE", None: "not comparable"}[comparison["agrees"]]
            head += f"   reviewer: {comparison['reviewer_outcome']}   {verdict}"
        lines.append(head)
        g = guideline(decided)
        packs = ", ".join(f"{p['guideline']} {p['edition']} ({p['id']} v{p['version']})" for p in g["packs"]) or "none"
        basis = {"date_of_service": "date of service", "ur_denial_date": "UR date", "decision_date": "letter date",
                 "latest_visit_date": "latest visit in the summary",
                 "assumed_newest": "no date (newest edition assumed)"}[g["basis"]]
        when = f" {g['date']}" if g.get("date") else ""
        lines.append(f"      guideline: {packs}; chosen by {basis}{when}")
        for note in (g.get("note"), g.get("fallback")):
            if note:
                lines.append(f"      note: {note}")
        dependency = decided.depends_on
        if dependency:
            found = OUTCOME.get(dependency.get("outcome"), "")
            detail = dependency.get("problem") or dependency.get("note")
            lines.append(f"      depends on: {dependency['request_id']}"
                         + (f" ({found})" if found else "") + (f"; {detail}" if detail else ""))
        if decided.rules:
            lines.append("      rules:")
        for rule in decided.rules:
            lines.append(f"        [{rule.rule.effect}] {rule.status}: {rule.rule.title} ({rule.rule.id})")
            items = [(c.id, c.requires, v, reads) for c, v, reads in zip(rule.rule.criteria, rule.values, rule.reads)]
            if rule.rule.unless is not None and rule.unless_reads is not None:
                items.append(("unless", rule.rule.unless.requires, rule.unless, rule.unless_reads))
            for cid, requires, value, reads in items:
                result = _result(value)
                if explain != "full" and result == "met" and cid != "unless":
                    continue
                lines.append(f"          {MARK[result]} {cid}: {requires}")
                for fact in _facts(reads):
                    if explain == "full" or fact["value"] == "unknown" or result == "unmet":
                        lines.append(f"                    {_fact_text(fact)}")
        for aside in decided.superseded:
            lines.append(f"        set aside: {aside['rule']} (superseded by {aside['by']})")
        _, rationale, missing = decide(decided.rules)
        lines.append("      rationale:")
        for sentence in rationale:
            lines.append(f"        - {sentence}")
        if missing:
            lines.append("      to document:")
            for m in missing:
                lines.append(f"        - {m['document']}")
        lines.append("")
    return "\n".join(lines)
