"""Linking the requests of one letter that depend on another: each request tied to a surgery
(`perioperative` set by the request parser: a pre-operative test, an associated surgical service,
post-operative care) gets `depends_on`, the id of the surgery it serves among the letter's items.

Input: the requests of a case, in letter order (dicts with `id`, `kind`, `body_part`,
`perioperative`). Output: the same dicts, `depends_on` added where an index is found. With one
surgery in the letter, every tied request depends on it; with several, the one of the same body
part, else the nearest one before it, else the first. A letter without a surgery item links
nothing: the surgery is then not in dispute and each item is decided on its own rules.
"""
from __future__ import annotations


def link_dependencies(requests: list[dict]) -> list[dict]:
    surgeries = [(position, r) for position, r in enumerate(requests) if r.get("kind") == "surgery" and r.get("id")]
    if not surgeries:
        return requests
    for position, request in enumerate(requests):
        if request.get("kind") == "surgery" or not request.get("perioperative") or request.get("depends_on"):
            continue
        index = _index_for(position, request, surgeries)
        if index is not None and index.get("id") != request.get("id"):
            request["depends_on"] = index["id"]
    return requests


def _index_for(position: int, request: dict, surgeries: list[tuple[int, dict]]) -> dict | None:
    if len(surgeries) == 1:
        return surgeries[0][1]
    part = request.get("body_part")
    same = [(p, s) for p, s in surgeries if part is not None and s.get("body_part") == part]
    pool = same or surgeries
    before = [(p, s) for p, s in pool if p < position]
    return (before[-1] if before else pool[0])[1]
