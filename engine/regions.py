"""Body regions and sides: whether a statement about one region bears on a request for another.

Input: body part ids of rules/vocab/body_parts.yaml and sides (left, right, bilateral). The
limb groups are data in the same file (`limb_groups`), read once. Two regions match when they
are equal, when either is `whole_body`, or when one is a hub of a limb group and the other a
hub or member of the same group (`cervical_spine` and `upper_extremity` for the arm,
`lumbar_spine`, `lower_extremity` and `leg` for the leg). Sides match unless one is `left` and
the other `right`. A statement or request without body parts is never filtered.
"""
from __future__ import annotations

from functools import lru_cache

import yaml

from .paths import vocab_dir

WHOLE_BODY = "whole_body"


@lru_cache(maxsize=1)
def _groups() -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    with open(vocab_dir() / "body_parts.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return tuple((frozenset(g.get("hubs") or ()), frozenset(g.get("members") or ()))
                 for g in data.get("limb_groups") or ())


def regions_match(a: str, b: str) -> bool:
    """Whether a statement about region `a` bears on region `b` (symmetric)."""
    if a == b or a == WHOLE_BODY or b == WHOLE_BODY:
        return True
    for hubs, members in _groups():
        if (a in hubs and (b in hubs or b in members)) or (b in hubs and a in members):
            return True
    return False


def sides_match(a: str | None, b: str | None) -> bool:
    """Left and right exclude each other; bilateral or an unstated side matches both."""
    return not a or not b or a == b or "bilateral" in (a, b)


def request_regions(request: dict) -> list[str]:
    """The body parts a request is about: `body_parts`, else `[body_part]`, else none."""
    parts = request.get("body_parts")
    if parts:
        return list(parts)
    part = request.get("body_part")
    return [part] if part else []


def statement_visible(statement: dict, request: dict) -> bool:
    """Whether a finding, treatment or diagnosis (`body_parts`, `side`) bears on `request`."""
    wanted = request_regions(request)
    parts = statement.get("body_parts") or ()
    if wanted and parts and not any(regions_match(p, w) for p in parts for w in wanted):
        return False
    if wanted and parts and not sides_match(statement.get("side"), request.get("side")):
        return False
    return True


def _where(parts, side) -> str:
    names = [part.replace("_", " ") for part in parts]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if side in ("left", "right"):
        return f"{side} {text}"
    if side == "bilateral":
        return f"{text} (both sides)"
    return text


def set_aside_reason(statement: dict, request: dict) -> str | None:
    """Why `request` does not read `statement` ("the statement is about the right knee; the
    request is for the left shoulder"), or None when it does (`statement_visible`)."""
    if statement_visible(statement, request):
        return None
    return (f"the statement is about the {_where(statement['body_parts'], statement.get('side'))}; "
            f"the request is for the {_where(request_regions(request), request.get('side'))}")
