"""Clinician pre-check: a progress report and the requests it supports -> a determination per request.

Stage: the clinicians' way in (docs/clinician.md). Input: the text of a progress report (PR-2 or
narrative), already normalised (`engine.extraction.read_letter` / `normalise_text`), and the
requested items: given as text, or found in the report's own request lines ("Request:",
"RFA:", "Plan: ... request authorization for ..."). Output:
- `build_case(text, requests)`: a case dict valid under the case schema. The facts come from
  `engine.extraction.read_text` (the same reader as letters); the request lines themselves are
  blanked out before reading, so a requested drug is not taken for one the patient already
  takes; each request is parsed with `parse_request`.
- `precheck(rules, text, requests)`: the determination document (`evaluate_case`), each
  determination with a `precheck` entry: every criterion of every applicable rule as met, unmet
  or not documented with the sentences of the report it rests on, the checklist of what to add,
  and the guideline sections cited.
- `render_precheck(document)`: the same for a terminal.
Raises `PrecheckError` (code `no_requests`) when no request is given and the report names none.

A criterion is "met" only when the rules find it met from what the report states; a criterion
the report says nothing about is "not documented", never met (docs/semantics.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .case import case_from_dict
from .errors import EngineError
from .evaluator import evaluate_case
from .extraction.letter import parse_date
from .extraction.pipeline import _prior_use, _prior_visits, _request_properties
from .extraction.reading import read_text
from .extraction.requests import parse_request
from .loader import RuleSet

__all__ = ["FoundRequest", "PrecheckError", "build_case", "find_requests", "precheck", "render_precheck",
           "report_date"]

_FACT_KEYS = ("patient", "injury", "diagnoses", "medications", "treatments", "pain", "findings")
RESULT_WORDS = {"met": "met", "unmet": "unmet", "unknown": "not_documented"}


class PrecheckError(EngineError):
    """A pre-check that cannot be made: no request to decide."""


@dataclass(frozen=True)
class FoundRequest:
    """A requested item as written, and where it stands in the report (None when given apart)."""

    text: str
    start: int | None = None
    end: int | None = None


# ----------------------------------------------------------------------------- request lines

# "Request: ...", "Requests: ...", "RFA: ...", "Request for authorization: ...", at a line start
# (after an optional bullet or number). An empty label introduces a list on the following lines.
_LABEL = re.compile(r"(?im)^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])?[ \t]*"
                    r"(?:requests?|rfa|request(?:ed)? for authori[sz]ation|authori[sz]ation requests?)"
                    r"[ \t]*(?:\([^)\n]*\))?[ \t]*[:\-][ \t]*(?P<rest>[^\n]*)$")
# "... request(ing) authorization for X." inside a sentence (a plan line).
_ASK = re.compile(r"(?i)\b(?:request(?:s|ed|ing)?|seek(?:s|ing)?|ask(?:s|ed|ing)?)\s+(?:an?\s+)?"
                  r"(?:prior\s+)?authori[sz]ation\s+(?:for|of)\s+")
_LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]+(?P<item>\S[^\n]*)$")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")
_SPLIT = re.compile(r"\s*;\s*")


def _items(text: str, start: int, end: int) -> list[FoundRequest]:
    """The items of one request span, split at semicolons, trimmed of spaces and a final period."""
    out = []
    pos = start
    for piece in _SPLIT.split(text[start:end]):
        at = text.index(piece, pos) if piece else pos
        pos = at + len(piece)
        item = piece.strip().rstrip(".").rstrip()
        if len(item) >= 2 and any(c.isalpha() for c in item):
            lead = len(piece) - len(piece.lstrip())
            out.append(FoundRequest(item, at + lead, at + lead + len(item)))
    return out


def find_requests(text: str) -> list[FoundRequest]:
    """The requested items a report names, in order of appearance, with their offsets."""
    found: list[FoundRequest] = []
    taken: list[tuple[int, int]] = []
    for m in _LABEL.finditer(text):
        rest_start, rest_end = m.start("rest"), m.end("rest")
        if m.group("rest").strip():
            ask = _ASK.match(text, rest_start)          # "Request: authorization for X"
            found.extend(_items(text, ask.end() if ask else rest_start, rest_end))
            taken.append((m.start(), rest_end))
            continue
        pos = m.end() + 1                                 # a list on the next lines
        while pos < len(text):
            line_end = text.find("\n", pos)
            line_end = len(text) if line_end < 0 else line_end
            item = _LIST_ITEM.match(text, pos, line_end)
            if not item:
                break
            found.extend(_items(text, item.start("item"), line_end))
            taken.append((pos, line_end))
            pos = line_end + 1
    for m in _ASK.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        stop = _SENTENCE_END.search(text, m.end())
        end = stop.start() if stop else len(text)
        found.extend(_items(text, m.end(), end))
    found.sort(key=lambda r: r.start)
    return found


# A labelled date of the visit: "Date of service: 03/15/2016", "DOS: 3/15/16", "Date of exam: ...".
_DATE_LABEL = re.compile(r"(?im)^[ \t]*(?:date\s+of\s+(?:service|exam(?:ination)?|visit|evaluation|report)|dos|"
                         r"visit\s+date|exam\s+date)[ \t]*[:\-][ \t]*(?P<date>[^\n]+)$")


def report_date(text: str) -> str | None:
    """The report's labelled date of service or examination (yyyy-mm-dd), or None."""
    for m in _DATE_LABEL.finditer(text):
        value = parse_date(m.group("date"))
        if value:
            return value
    return None


# ----------------------------------------------------------------------------- the case

def _blank(text: str, spans) -> str:
    """`text` with each span replaced by spaces (offsets kept)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def build_case(text: str, requests: list[str] | None = None, *, date_of_service: str | None = None,
               case_id: str | None = None) -> dict:
    """The case for a report and its requests (see the module docstring). `requests` None or
    empty: the requests the report names. `date_of_service` (yyyy-mm-dd) defaults to the
    report's labelled date; without one the guideline editions in force now are assumed."""
    if requests:
        found = [FoundRequest(r.strip()) for r in requests if r and r.strip()]
    else:
        found = find_requests(text)
    if not found:
        raise PrecheckError("no request to check: give the requested items (--request), or add a line such as "
                            "'Request: Norco 10/325 mg #90' to the report", code="no_requests")
    in_report = [(r.start, r.end) for r in find_requests(text)]
    facts = read_text(_blank(text, in_report), section="summary") if text.strip() else {}
    case: dict = {"schema_version": 1}
    if case_id:
        case["case_id"] = case_id
    case["source"] = {"kind": "report"}
    warnings = []
    for key, value in facts.items():
        if key in _FACT_KEYS and value not in (None, {}, []):
            case[key] = value
        elif key == "warnings":
            warnings.extend(value or [])
    day = date_of_service or report_date(text)
    allowed = _request_properties()
    out_requests = []
    for index, item in enumerate(found, 1):
        parsed = parse_request(item.text)
        request = {k: v for k, v in parsed.items() if v is not None and k in allowed}
        request["id"] = f"r{index}"
        request["text"] = item.text
        if day:
            request["date_of_service"] = day
        if item.start is not None:
            request["evidence"] = {"section": "request", "start": item.start, "end": item.end, "quote": item.text}
        prior = _prior_use(request, case.get("medications"), facts.get("first_use"))
        if prior is not None:
            request["prior_use_weeks"] = prior
        visits = _prior_visits(request, case.get("treatments"), text)
        if visits is not None:
            request["prior_visits"] = visits
        out_requests.append(request)
    case["requests"] = out_requests
    if warnings:
        case["warnings"] = warnings
    return case


# ----------------------------------------------------------------------------- the pre-check

_HEADING = re.compile(r"^[^.!?]{0,60}:$|^[A-Z0-9 ,'()/&-]{1,80}$")


def sentence_at(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentence(s) of `text` holding [start, end): out to the sentence ends
    around it, within its lines; heading and label lines the span begins with are left out."""
    lines = []
    pos = start
    while pos < end:                                      # the lines the span touches
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        lines.append((line_start, line_end))
        pos = line_end + 1
    if not lines:
        return start, end
    while len(lines) > 1 and _HEADING.match(text[lines[0][0]:lines[0][1]].strip()) or \
            len(lines) > 1 and not text[lines[0][0]:lines[0][1]].rstrip().endswith((".", "!", "?")) \
            and len(text[lines[0][0]:lines[0][1]].strip()) < 60:
        lines.pop(0)
    first_line, last_line = lines[0], lines[-1]
    s = max(start, first_line[0])
    e = min(end, last_line[1])
    back = s
    while back > first_line[0]:
        c = text[back - 1]
        if c in ".!?" and back < len(text) and text[back].isspace():
            break
        back -= 1
    fwd = e
    while fwd < last_line[1] and not (fwd > s and text[fwd - 1] in ".!?"):
        if text[fwd] in ".!?" and (fwd + 1 >= len(text) or text[fwd + 1].isspace()):
            fwd += 1
            break
        fwd += 1
    while back < fwd and text[back].isspace():
        back += 1
    return back, fwd


def _sentences(text: str | None, facts: list[dict]) -> list[dict]:
    """The report sentences the facts of a criterion rest on, each once, in reading order."""
    out, seen = [], set()
    for fact in facts:
        ev = fact.get("evidence") or {}
        if text is not None and isinstance(ev.get("start"), int) and isinstance(ev.get("end"), int) \
                and ev["end"] <= len(text) and text[ev["start"]:ev["end"]] == ev.get("quote"):
            s, e = sentence_at(text, ev["start"], ev["end"])
            key = (s, e)
            item = {"start": s, "end": e, "sentence": " ".join(text[s:e].split()), "path": fact["path"]}
        elif ev.get("quote"):
            key = ev["quote"]
            item = {"sentence": " ".join(ev["quote"].split()), "path": fact["path"]}
        else:
            continue
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _tone(effect: str, criterion: str, result: str) -> str:
    """What a criterion's result means for the request: `favourable` (a requirement met, a
    restriction's condition unmet, an exception documented), `unfavourable`, or `not_documented`."""
    if result == "not_documented":
        return "not_documented"
    good = result == "met" if effect == "support" or criterion == "unless" else result == "unmet"
    return "favourable" if good else "unfavourable"


def _explain(d: dict, text: str | None) -> dict:
    criteria = []
    for rule in d["rules"]:
        items = [dict(c) for c in rule["criteria"]]
        # an exception matters where the restriction holds or may hold, or where it lifts it
        if "unless" in rule and (rule["status"] != "fails" or rule["unless"]["result"] == "met"):
            items.append(dict(rule["unless"], id="unless"))
        for c in items:
            result = RESULT_WORDS[c["result"]]
            criteria.append({"rule": rule["id"], "rule_title": rule["title"], "effect": rule["effect"],
                             "rule_status": rule["status"], "criterion": c["id"], "requires": c["requires"],
                             "result": result, "tone": _tone(rule["effect"], c["id"], result),
                             "sentences": _sentences(text, c["facts"])})
    titles = {rule["id"]: rule["title"] for rule in d["rules"]}
    checklist, seen = [], set()
    for m in d["missing_documentation"]:
        key = (m["rule"], m["document"])
        if key not in seen:
            seen.add(key)
            checklist.append({"rule": m["rule"], "rule_title": titles.get(m["rule"], m["rule"]),
                              "criterion": m["criterion"], "document": m["document"]})
    return {"criteria": criteria, "checklist": checklist, "sections": list(d["citations"])}


def precheck(rules: RuleSet, text: str, requests: list[str] | None = None, *, date_of_service: str | None = None,
             case_id: str | None = None) -> tuple[dict, dict]:
    """(the case, the determination document with a `precheck` entry per determination)."""
    data = build_case(text, requests, date_of_service=date_of_service, case_id=case_id)
    case = case_from_dict(data)
    document = evaluate_case(rules, case)
    for d in document["determinations"]:
        d["precheck"] = _explain(d, text)
    return data, document


# ----------------------------------------------------------------------------- text

OUTCOME = {"certify": "meets the criteria: CERTIFY (an IMR would overturn a denial)",
           "non_certify": "does not meet the criteria: NON-CERTIFY (an IMR would uphold a denial)",
           "no_rule": "NO RULE: outside the engine's coverage, no prediction"}
SUPPORT_WORDS = {"met": "met           ", "unmet": "UNMET         ", "not_documented": "NOT DOCUMENTED"}
AGAINST_WORDS = {"met": "APPLIES       ", "unmet": "does not apply", "not_documented": "not documented"}
UNLESS_WORDS = {"met": "documented    ", "unmet": "not so        ", "not_documented": "NOT DOCUMENTED"}
RULE_STATUS = {"support": {"holds": "all criteria met", "fails": "a criterion is unmet",
                           "unknown": "criteria not documented"},
               "against": {"holds": "THE RESTRICTION APPLIES", "fails": "does not apply",
                           "unknown": "may apply: not documented"}}


def _wrap(prefix: str, text: str, width: int = 100) -> list[str]:
    import textwrap
    return textwrap.wrap(text, width=width, initial_indent=prefix, subsequent_indent=" " * len(prefix)) or [prefix]


def render_precheck(document: dict, title: str | None = None) -> str:
    """The pre-check for a terminal: per request the outcome, the criteria with the report's
    sentences, what to add, and the guideline sections cited."""
    lines = [title] if title else []
    for d in document["determinations"]:
        p = d["precheck"]
        lines.append(f"  {d['request_id']}  {d['request']}")
        lines.append(f"      {OUTCOME[d['outcome']]}")
        g = d["guideline"]
        packs = ", ".join(pk["guideline"] if pk["edition"] in pk["guideline"] else f"{pk['guideline']} ({pk['edition']})"
                          for pk in g["packs"]) or "none"
        when = f"date of service {g['date']}" if g.get("date") else "no date of service: the editions in force now"
        lines.append(f"      guideline: {packs} ({when})")
        current = None
        for c in p["criteria"]:
            if c["rule"] != current:
                current = c["rule"]
                kind = "requirement" if c["effect"] == "support" else "restriction"
                status = RULE_STATUS[c["effect"]].get(c["rule_status"], c["rule_status"])
                lines.append(f"      {kind}: {c['rule_title']}: {status}")
            words = UNLESS_WORDS if c["criterion"] == "unless" else (
                SUPPORT_WORDS if c["effect"] == "support" else AGAINST_WORDS)
            label = "exception" if c["criterion"] == "unless" else c["criterion"]
            lines.extend(_wrap(f"        {words[c['result']]}  ", f"{label}: {c['requires']}"))
            report_sentences = [s for s in c["sentences"]]
            for s in report_sentences:
                lines.extend(_wrap("            > ", f"\"{s['sentence']}\""))
            if not report_sentences and c["result"] == "not_documented":
                lines.append("            > the report does not say")
        if p["checklist"]:
            groups: dict[str, list[dict]] = {}
            for item in p["checklist"]:
                groups.setdefault(item["rule"], []).append(item)
            several = len(groups) > 1
            lines.append("      add to the report:" + ("  (each group is one way to meet the guideline; "
                                                       "exceptions to a restriction are all needed)" if several else ""))
            for items in groups.values():
                if several:
                    lifts = items[0]["criterion"] == "unless"
                    lines.append(f"        {'to lift' if lifts else 'for'}: {items[0]['rule_title']}")
                for item in items:
                    lines.extend(_wrap("        [ ] " if not several else "          [ ] ", item["document"]))
        elif d["outcome"] == "non_certify":
            lines.append("      add to the report: nothing the report could add changes this outcome "
                         "(a criterion is unmet or a restriction applies)")
        if p["sections"]:
            lines.append("      guideline sections cited:")
            for section in p["sections"]:
                lines.extend(_wrap("        - ", section))
        lines.append("")
    return "\n".join(lines)
