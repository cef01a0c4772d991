"""Requests that depend on one another: the order they are decided in, and what a dependent
request's rules read of the procedure it depends on.

Input: a `Case`. A request may name its index procedure with `depends_on` (the id of another
request of the case): a pre-operative test, an associated surgical service or post-operative care
depends on the surgery it serves. Output:

- `plan(case)`: the order to decide the requests in (every index before the requests that depend
  on it, the case's order otherwise), the index of each dependent request, and the problems found
  (an index that names no request of the case; a cycle);
- `index_view(...)`: the `index` root that rules read (`index.outcome`, `index.modality`, ...):
  the index request and the engine's decision on it, or, for a request that depends on nothing,
  the latest surgery of the treatment history on or before the request's date (post-operative
  context);
- `entry(...)`: the `depends_on` entry of a dependent request's determination.

Nothing here raises on a case: a missing index or a cycle is reported in the determination and
the request is decided on its own rules. The semantics are in docs/semantics.md.
"""
from __future__ import annotations

import datetime as _dt
import heapq
from dataclasses import dataclass, field

DECIDED = ("certify", "non_certify")        # outcomes rules can read; no_rule leaves index.outcome unknown
_COPIED = ("kind", "modality", "body_part", "side", "text")


@dataclass
class Plan:
    """The order in which to decide a case's requests, and the dependencies behind it."""

    order: list[int]
    index_of: dict[int, int] = field(default_factory=dict)     # dependent position -> index position
    problems: dict[int, str] = field(default_factory=dict)     # position -> what is wrong with its dependency

    def ancestors(self, position: int) -> list[int]:
        """The indexes a request depends on, directly or through others, nearest first."""
        out = []
        current = self.index_of.get(position)
        while current is not None and current not in out:
            out.append(current)
            current = self.index_of.get(current)
        return out


def plan(case) -> Plan:
    """Kahn's topological order over the `depends_on` links, ready requests taken in case order.

    A request on a cycle is decided without its index (the cycle is reported on each of its
    requests); a request that depends on one of them still waits for it.
    """
    ids = case.request_ids
    if not any("depends_on" in request for request in case.requests):
        return Plan(list(range(len(ids))))          # nothing depends on anything: the case's order
    position = {rid: i for i, rid in enumerate(ids)}
    index_of: dict[int, int] = {}
    problems: dict[int, str] = {}
    for i, request in enumerate(case.requests):
        target = request.get("depends_on")
        if target is None:
            continue
        j = position.get(target)
        if j is None:
            problems[i] = f"depends on {target!r}, which names no request of this case"
        else:
            index_of[i] = j
    for i in range(len(ids)):
        if i in problems:
            continue
        cycle = _cycle_through(i, index_of)
        if cycle:      # found from its first request in case order, and named from there
            path = " -> ".join(ids[k] for k in cycle + cycle[:1])
            for k in cycle:
                problems[k] = f"dependency cycle {path}"
    for k, problem in problems.items():
        if problem.startswith("dependency cycle"):
            index_of.pop(k, None)
    waiting = {i: 0 for i in range(len(ids))}
    dependents: dict[int, list[int]] = {}
    for i, j in index_of.items():
        waiting[i] += 1
        dependents.setdefault(j, []).append(i)
    ready = [i for i, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for k in dependents.get(i, ()):
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    return Plan(order, index_of, problems)


def _cycle_through(start: int, index_of: dict[int, int]) -> list[int]:
    """The cycle `start` lies on (its members, from `start`), or [] when it lies on none."""
    seen = [start]
    current = index_of.get(start)
    while current is not None and current not in seen:
        seen.append(current)
        current = index_of.get(current)
    return seen if current == start else []


def index_view(case, position: int, the_plan: Plan, outcomes: dict[int, str],
               day, assumed: str | None = None) -> dict | None:
    """What rules read as `index` when deciding request `position`, or None.

    `outcomes` holds the decisions already made (by position); `day` is the request's date (a
    date, None, or a function giving it, called only when a surgery of the record is looked at);
    `assumed`, when given, stands for the index's decision (rule tests). A request whose
    `depends_on` names nothing usable gets None.
    """
    request = case.requests[position]
    j = the_plan.index_of.get(position)
    if j is not None:
        index = case.requests[j]
        view = {"id": case.request_ids[j], "status": "requested"}
        outcome = assumed if assumed is not None else outcomes.get(j)
        if outcome in DECIDED:
            view["outcome"] = outcome
        for key in _COPIED:
            if index.get(key) is not None:
                view[key] = index[key]
        if index.get("date_of_service"):
            view["date"] = index["date_of_service"]
        if index.get("evidence"):
            view["evidence"] = index["evidence"]
        return view
    if request.get("depends_on") is not None:
        return None
    return _latest_surgery(case, day)


def _latest_surgery(case, day) -> dict | None:
    """The latest surgery of the treatment history done on or before `day` (post-operative
    context): the latest dated one, else the last one listed without a date."""
    surgeries = [t for t in case._roots.get("treatments") or () if t.get("kind") == "surgery"]
    if not surgeries:
        return None
    if callable(day):
        day = day()
    best = best_date = undated = None
    for treatment in surgeries:
        dates = treatment.get("dates") or []
        if not dates:
            undated = treatment
            continue
        for text in dates:
            try:
                when = _dt.date.fromisoformat(text)
            except (TypeError, ValueError):
                continue
            if (day is None or when <= day) and (best_date is None or when > best_date):
                best, best_date = treatment, when
    chosen = best if best is not None else undated
    if chosen is None:
        return None
    view = {"status": "done"}
    for key in _COPIED:
        if chosen.get(key) is not None:
            view[key] = chosen[key]
    if best_date is not None and chosen is best:
        view["date"] = best_date.isoformat()
        if day is not None:
            view["elapsed"] = (day - best_date).days
    if chosen.get("evidence"):
        view["evidence"] = chosen["evidence"]
    return view


def context(case, position: int, the_plan: Plan, outcomes: dict[int, str], day,
            assumed: str | None = None) -> dict:
    """The environment entries a request's rules read beyond the case: {"index": view} or {}."""
    view = index_view(case, position, the_plan, outcomes, day, assumed)
    return {"index": view} if view is not None else {}


def entry(case, position: int, the_plan: Plan, outcomes: dict[int, str]) -> dict | None:
    """The `depends_on` entry of a request that names an index: the index's id and the engine's
    decision on it, or the problem that kept it from being read; None for other requests."""
    target = case.requests[position].get("depends_on")
    if target is None:
        return None
    entry: dict = {"request_id": target}
    j = the_plan.index_of.get(position)
    if j is None:
        entry["problem"] = f"{the_plan.problems.get(position, 'the index could not be read')}; decided on its own rules"
    else:
        outcome = outcomes.get(j)
        entry["outcome"] = outcome
        if outcome not in DECIDED:
            entry["note"] = f"no rule decides {target}; this item was decided on its own rules"
    return entry
