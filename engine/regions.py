"""Body regions: which statements about the body a request can see.

Stage: case preparation (and extraction, which may import `regions_match`). Input: body-part
ids of rules/vocab/body_parts.yaml and its `limb_groups`. Output: whether two regions match,
and for a statement (a finding or one of its `mentions`) and a request, the reason the
statement is set aside for that request, or None when the request sees it. Raises nothing.

Two regions match when they are equal, when either is `whole_body`, or when one is a hub of a
limb group and the other a hub or a member of the same group (`cervical_spine` and
`upper_extremity` are the hubs of the arm; `lumbar_spine`, `lower_extremity` and `leg` those of
the leg): numbness of the thumb counts for a cervical epidural, a sign in the leg for a lumbar
one, but a knee finding does not count for a hip request, nor a lumbar one for a cervical
request.

A request with body parts (`body_parts`, else `body_part`) does not see a statement whose
`body_parts` match none of its own, nor a statement of one side (`left`, `right`) when the
request is for the other side (`bilateral` matches both). A statement without `body_parts`,
and every statement for a request without body parts (a drug), is seen.
"""
from __future__ import annotations

from functools import lru_cache

WHOLE_BODY = "whole_body"
SIDES = ("left", "right")


@lru_cache(maxsize=8)
def _matching(groups: tuple) -> dict:
    """region -> the regions it matches besides itself and whole_body."""
    out: dict[str, set] = {}
    for _, hubs, members in groups:
        for hub in hubs:
            out.setdefault(hub, set()).update(hubs | members)
        for member in members:
            out.setdefault(member, set()).update(hubs)
    return {region: frozenset(regions) for region, regions in out.items()}


def _groups(groups):
    if groups is None:
        from .vocab import default_vocabularies
        groups = default_vocabularies().limb_groups
    return groups


def regions_match(one: str, other: str, groups: tuple | None = None) -> bool:
    """Whether a statement about region `one` counts for region `other` (and the reverse)."""
    if one == other or WHOLE_BODY in (one, other):
        return True
    return other in _matching(_groups(groups)).get(one, ())


def request_regions(request: dict) -> tuple[tuple, str | None]:
    """(body parts, side) of a request: its `body_parts`, else its `body_part`."""
    parts = request.get("body_parts") or ([request["body_part"]] if request.get("body_part") else [])
    return tuple(parts), request.get("side")


def _where(parts, side) -> str:
    names = [part.replace("_", " ") for part in parts]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if side in SIDES:
        return f"{side} {text}"
    if side == "bilateral":
        return f"{text} (both sides)"
    return text


def set_aside(statement: dict, parts: tuple, side: str | None, groups: tuple | None = None) -> str | None:
    """Why a request with body `parts` and `side` does not see `statement`; None when it does."""
    about = statement.get("body_parts")
    if not about or not parts:
        return None
    groups = _groups(groups)
    if not any(regions_match(a, b, groups) for a in about for b in parts):
        return f"the statement is about the {_where(about, statement.get('side'))}; " \
               f"the request is for the {_where(parts, side)}"
    said = statement.get("side")
    if said in SIDES and side in SIDES and said != side:
        return f"the statement is about the {_where(about, said)}; the request is for the {_where(parts, side)}"
    return None
