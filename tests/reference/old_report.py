"""REFERENCE ONLY: the text report as it was before it read decision records (engine/report.py of
2026-12, rendering the determination dicts), kept so that tests/test_render_identity.py can show
the text from records is the same. Adapted: facts show the statements set aside for the request.
Not maintained with the engine.
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


def render_text(document: dict, reviewer: dict | None = None, *, explain: str = "fails", title: str | None = None) -> str:
    """A person-readable account of every determination.

    explain: "fails" shows the criteria that were not met; "full" shows every criterion and fact.
    """
    lines = []
    if title:
        lines.append(title)
    for d in document["determinations"]:
        lines.append(f"  {d['request_id']}  {d['request']}")
        outcome = OUTCOME[d["outcome"]]
        imr = f" ({d['imr_equivalent']})" if d["imr_equivalent"] else ""
        head = f"      predicted: {outcome}{imr}"
        comparison = compare(d, (reviewer or {}).get(d["request_id"]))
        if comparison:
            verdict = {True: "agree", False: "DISAGREE", None: "not comparable"}[comparison["agrees"]]
            head += f"   reviewer: {comparison['reviewer_outcome']}   {verdict}"
        lines.append(head)
        g = d["guideline"]
        packs = ", ".join(f"{p['guideline']} {p['edition']} ({p['id']} v{p['version']})" for p in g["packs"]) or "none"
        basis = {"date_of_service": "date of service", "ur_denial_date": "UR date", "decision_date": "letter date",
                 "latest_visit_date": "latest visit in the summary",
                 "assumed_newest": "no date (newest edition assumed)"}[g["basis"]]
        when = f" {g['date']}" if g.get("date") else ""
        lines.append(f"      guideline: {packs}; chosen by {basis}{when}")
        for note in (g.get("note"), g.get("fallback")):
            if note:
                lines.append(f"      note: {note}")
        dependency = d.get("depends_on")
        if dependency:
            found = OUTCOME.get(dependency.get("outcome"), "")
            detail = dependency.get("problem") or dependency.get("note")
            lines.append(f"      depends on: {dependency['request_id']}"
                         + (f" ({found})" if found else "") + (f"; {detail}" if detail else ""))
        if d["rules"]:
            lines.append("      rules:")
        for rule in d["rules"]:
            lines.append(f"        [{rule['effect']}] {rule['status']}: {rule['title']} ({rule['id']})")
            items = list(rule["criteria"])
            if "unless" in rule:
                items.append(dict(rule["unless"], id="unless"))
            for c in items:
                if explain != "full" and c["result"] == "met" and c["id"] != "unless":
                    continue
                lines.append(f"          {MARK[c['result']]} {c['id']}: {c['requires']}")
                for fact in c["facts"]:
                    if explain == "full" or fact["value"] == "unknown" or c["result"] == "unmet":
                        lines.append(f"                    {_fact_text(fact)}")
        for aside in d.get("superseded", ()):
            lines.append(f"        set aside: {aside['rule']} (superseded by {aside['by']})")
        lines.append("      rationale:")
        for sentence in d["rationale"]:
            lines.append(f"        - {sentence}")
        if d["missing_documentation"]:
            lines.append("      to document:")
            for m in d["missing_documentation"]:
                lines.append(f"        - {m['document']}")
        lines.append("")
    return "\n".join(lines)
