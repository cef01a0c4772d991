"""Rules that take precedence over others: `supersedes`.

A rule may list, under `supersedes`, patterns of rule ids (`*` stands for any run of
characters: `*.physical_medicine.visit_allowance`, `*.opioids.*`). When it applies to a request
(its `when` is true), the applicable rules whose ids match a pattern are set aside for that
request: they do not count in the decision, and the determination lists them under `superseded`.
A rule that itself supersedes others is never set aside (precedence is one level deep). Used for
a special section that governs a situation the general one also covers: the Postsurgical
Treatment Guidelines over the chronic pain physical medicine allowance, post-operative opioids
over the chronic opioid criteria, a service that follows its non-certified surgery over the
service's own criteria.
"""
from __future__ import annotations

import fnmatch
import re


def _matcher(rule):
    """A compiled regular expression for the rule's `supersedes` patterns (made once per rule)."""
    matcher = rule.__dict__.get("_supersedes_re")
    if matcher is None:
        matcher = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in rule.supersedes))
        rule.__dict__["_supersedes_re"] = matcher
    return matcher


def set_aside(applied: list) -> tuple[list, list[dict]]:
    """(the rule results that count, [{rule, by}] for those set aside), in rule order."""
    superseding = [r for r in applied if r.rule.supersedes]
    if not superseding:
        return applied, []
    kept, aside = [], []
    for result in applied:
        if result.rule.supersedes:
            kept.append(result)
            continue
        by = next((s for s in superseding if _matcher(s.rule).match(result.rule.id)), None)
        if by is None:
            kept.append(result)
        else:
            aside.append({"rule": result.rule.id, "by": by.rule.id})
    return kept, aside
