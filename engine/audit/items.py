"""One audit record per disputed item: the prediction, the reviewer's decision and the trace.

Stage: audit (comparison). Input: a case dict made from a letter (with `reviewer`), its
decision record (`engine.evaluator.decide_case`), the extraction mode and the letter's display
path. Output: JSON-ready dicts, one per request, in the request order (fields in docs/audit.md,
"items.jsonl"). The outcome and the ids of the criteria are read off the record; each
determination is rendered once for what the item shows of it (rationale, trace, evidence).
Raises nothing for a valid case.
"""
from __future__ import annotations

from .reasons import match_reasons

CSV_FIELDS = [
    "letter", "source", "case_id", "request_id", "mode", "item", "kind", "drug_generic", "drug_class",
    "predicted", "imr_equivalent", "actual", "covered", "agreement", "unmet", "unknown", "against",
    "reviewer_guidelines", "reviewer_sections", "reviewer_pages", "reason_eligible", "reason_matched",
    "reason_matches", "engine_rationale", "reviewer_rationale", "evidence",
]


def _value(fact: dict) -> str:
    return fact.get("value", "")


def _compact_fact(fact: dict) -> dict:
    out = {"path": fact["path"], "value": _value(fact)}
    if fact.get("status"):
        out["status"] = fact["status"]
    if fact.get("scope"):
        out["scope"] = fact["scope"]
    evidence = fact.get("evidence") or {}
    if evidence.get("quote"):
        out["quote"] = evidence["quote"]
        out["section"] = evidence.get("section")
    return out


def _criterion(c: dict, cid: str | None = None) -> dict:
    return {"id": cid or c["id"], "result": c["result"], "requires": c.get("requires", ""),
            "facts": [_compact_fact(f) for f in c.get("facts") or []]}


def compact_trace(determination: dict) -> list[dict]:
    """The rules applied, each criterion's result and the facts (with quotes) it read."""
    out = []
    for rule in determination.get("rules") or []:
        entry = {"rule": rule["id"], "title": rule.get("title", ""), "effect": rule["effect"],
                 "status": rule["status"], "citation": _citation(rule.get("citation") or {}),
                 "when": [_compact_fact(f) for f in (rule.get("when") or {}).get("facts") or []],
                 "criteria": [_criterion(c) for c in rule.get("criteria") or []]}
        if "unless" in rule:
            entry["unless"] = _criterion(rule["unless"], "unless")
        out.append(entry)
    return out


def _citation(citation: dict) -> str:
    text = ", ".join(x for x in (citation.get("guideline"), citation.get("section")) if x)
    return f"{text}, p. {citation['pages']}" if citation.get("pages") else text


def evidence_quotes(determination: dict) -> list[dict]:
    """Every fact read (when, criteria, unless) that carries an evidence quote, once per (path, quote)."""
    seen = set()
    out = []
    for rule in determination.get("rules") or []:
        groups = [(rule.get("when") or {}).get("facts") or []]
        groups += [c.get("facts") or [] for c in rule.get("criteria") or []]
        if "unless" in rule:
            groups.append(rule["unless"].get("facts") or [])
        for facts in groups:
            for fact in facts:
                evidence = fact.get("evidence") or {}
                quote = evidence.get("quote")
                if not quote:
                    continue
                key = (fact["path"], quote)
                if key in seen:
                    continue
                seen.add(key)
                entry = {"path": fact["path"], "value": fact.get("status") or _value(fact),
                         "section": evidence.get("section"), "quote": quote}
                for k in ("start", "end"):
                    if k in evidence:
                        entry[k] = evidence[k]
                out.append(entry)
    return out


def item_records(case: dict, record, *, mode: str, letter: str) -> list[dict]:
    """The audit records of every request of one case (its `CaseRecord`), evaluated in `mode`."""
    from ..evaluator import render
    requests = {r.get("id") or f"r{i + 1}": r for i, r in enumerate(case.get("requests") or [])}
    reviewer = {x["request_id"]: x for x in (case.get("reviewer") or {}).get("items") or []}
    source = (case.get("source") or {}).get("kind") or "letter"   # "synthetic" for generated letters
    out = []
    for decided in record.requests:
        rid = decided.request_id
        request = requests.get(rid) or {}
        drug = request.get("drug") or {}
        review = reviewer.get(rid) or {}
        actual = review.get("outcome")
        predicted = decided.outcome
        covered = predicted != "no_rule"
        agreement = None
        if covered and actual:
            agreement = decided.imr_equivalent.lower() == actual
        unmet, unknown, against = decided.unmet(), decided.unknown(), decided.against()
        d = render(decided)
        rationale = review.get("rationale")
        reasons, matches = match_reasons(d, rationale, drug.get("generic"))
        eligible = actual == "upheld" and predicted == "non_certify" and bool((rationale or "").strip())
        out.append({
            "letter": letter,
            "source": source,
            "case_id": record.case.case_id,
            "request_id": rid,
            "mode": mode,
            "item": request.get("text") or d.get("request"),
            "kind": request.get("kind"),
            "drug_generic": drug.get("generic"),
            "drug_class": drug.get("drug_class"),
            "predicted": predicted,
            "imr_equivalent": decided.imr_equivalent,
            "actual": actual,
            "covered": covered,
            "agreement": agreement,
            "unmet": unmet,
            "unknown": unknown,
            "against": against,
            "missing_documentation": [m["document"] for m in d.get("missing_documentation") or []],
            "guideline_packs": [p["id"] for p in (d.get("guideline") or {}).get("packs") or []],
            "citations": d.get("citations") or [],
            "reviewer_guidelines": list(review.get("guidelines_cited") or []),
            "reviewer_sections": list(review.get("sections") or []),
            "reviewer_pages": review.get("pages"),
            "engine_rationale": d.get("rationale") or [],
            "reviewer_rationale": rationale,
            "evidence": evidence_quotes(d),
            "reasons": {"eligible": eligible, "named": [r.name for r in reasons],
                        "matched": (bool(matches) if eligible else None),
                        "matches": [m.as_dict() for m in matches]},
            "warnings": list(request.get("warnings") or []),
            "trace": compact_trace(d),
        })
    return out


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_cell(v) for v in value)
    text = str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheets: quote it (text, not numbers).
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _is_number(text)):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_row(item: dict) -> list[str]:
    """The item as a spreadsheet row (CSV_FIELDS order; lists joined with "; ")."""
    reasons = item.get("reasons") or {}
    flat = dict(item)
    flat["reason_eligible"] = reasons.get("eligible")
    flat["reason_matched"] = reasons.get("matched")
    flat["reason_matches"] = [f"{m['criterion']} <- {m['detail']}" for m in reasons.get("matches") or []]
    flat["engine_rationale"] = " ".join(item.get("engine_rationale") or [])
    flat["evidence"] = [f"{e['path']}: \"{' '.join(e['quote'].split())}\"" for e in item.get("evidence") or []]
    return [_cell(flat.get(name)) for name in CSV_FIELDS]
