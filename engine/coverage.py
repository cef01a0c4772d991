"""What the rule packs cover: guideline sections and the rules citing them, and, over a set
of letters, the share of disputed items some rule applies to.

Input: a RuleSet (and optionally letter paths). Output: plain dicts for the CLI to print.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .loader import RuleSet


def sections(rules: RuleSet) -> list[dict]:
    """Every (pack, guideline section) with the rules citing it, in pack order."""
    table: dict[tuple, list[str]] = defaultdict(list)
    order = []
    for pack in rules.packs:
        for rule in pack.rules:
            key = (pack.id, rule.citation.section, rule.citation.pages)
            if key not in table:
                order.append(key)
            table[key].append(rule.id)
    return [{"pack": pack, "section": section, "pages": pages, "rules": table[(pack, section, pages)]}
            for pack, section, pages in order]


def letter_files(paths) -> list[Path]:
    """Letters (.txt/.pdf) named directly or found in folders, sorted."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in (".txt", ".pdf") and p.is_file())
        else:
            found.append(path)
    return found


def item_coverage(rules: RuleSet, paths, mode: str = "summary") -> dict:
    """Over the letters: items, items some rule applies to, by drug class (or kind for other items)."""
    from .case import case_from_dict
    from .evaluator import decide_request
    from .extraction import extract_case
    by_group: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    errors = []
    for path in letter_files(paths):
        try:
            case = case_from_dict(extract_case(path, mode=mode), file=str(path))
        except Exception as err:  # a bad letter is reported, the count goes on
            message = getattr(err, "message", None) or str(err)
            errors.append({"letter": str(path), "error": message})
            continue
        for index, request in enumerate(case.requests):
            group = (request.get("drug") or {}).get("drug_class") or request.get("kind") or "other"
            outcome = decide_request(rules, case, index).outcome
            counts = by_group[group]
            counts[0] += 1
            counts[1] += outcome != "no_rule"
    total = sum(c[0] for c in by_group.values())
    covered = sum(c[1] for c in by_group.values())
    return {
        "items": total, "covered": covered, "share": covered / total if total else None,
        "by_group": {g: {"items": c[0], "covered": c[1], "share": c[1] / c[0]} for g, c in sorted(by_group.items())},
        "errors": errors,
    }
