"""CDS Hooks 2.0: discovery, the `order-sign` and `order-select` services, and their cards.

Stage: the EHR's way in (docs/clinician.md#cds-hooks). Input: a hook call (JSON) with
`context.draftOrders` (a FHIR R4 Bundle of MedicationRequest / ServiceRequest) and `prefetch`.
Output: `{"cards": [...]}`, one card per draft order that a rule covers:
- indicator `info` when the order meets the criteria, `warning` when documentation is missing
  (support criteria unmet or not documented), `critical` when the guideline recommends against
  it (an `against` rule holds);
- `summary` under 140 characters, `detail` in Markdown (unmet and undocumented criteria, the
  checklist), `source` naming the guideline and section.
An order no rule covers gets no card (an EHR shows every card; "outside coverage" is noise at
signing). Prefetch the EHR did not send is fetched from `fhirServer` only when the call carries
`fhirAuthorization.access_token` (`fetch`, given by the app; tests give a stub FHIR server).
"""
from __future__ import annotations

import uuid

from ..case import case_from_dict
from ..evaluator import evaluate_case
from .fhir import FhirInvalid, build_case, note_text, resources, validate

SERVICE_IDS = {"order-sign": "mtus-order-sign", "order-select": "mtus-order-select"}
ORDER_TYPES = ("MedicationRequest", "ServiceRequest")

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}&status=active",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&status=active",
    "painObservations": "Observation?patient={{context.patientId}}&code=http://loinc.org|72514-3&_sort=-date&_count=10",
    "progressNote": "DocumentReference?patient={{context.patientId}}&type=http://loinc.org|11506-3"
                    "&status=current&_sort=-date&_count=1",
}
# prefetch key -> the resource types it may hold
PREFETCH_TYPES = {"patient": ("Patient",), "conditions": ("Condition",), "medicationRequests": ("MedicationRequest",),
                  "medicationStatements": ("MedicationStatement",), "painObservations": ("Observation",),
                  "progressNote": ("DocumentReference",)}


def discovery() -> dict:
    """The CDS Hooks discovery document."""
    services = []
    for hook, service_id in SERVICE_IDS.items():
        services.append({
            "hook": hook,
            "id": service_id,
            "title": "MTUS pre-check of workers' compensation orders",
            "description": ("Checks each draft MedicationRequest and ServiceRequest against the California MTUS "
                            "treatment guidelines and says whether the record documents the criteria, and what "
                            "to add when it does not."),
            "prefetch": dict(PREFETCH),
            "usageRequirements": "Needs the patient's record in prefetch, or fhirServer with an access token.",
        })
    return {"services": services}


class HookError(ValueError):
    """A hook call that is not well formed: `problems` is a list of {path, code, message}."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


def _problem(path: str, message: str, code: str = "cds_request_invalid") -> HookError:
    return HookError([{"path": path, "code": code, "message": message}])


def check_call(body, hook: str) -> None:
    """The CDS Hooks request envelope: raises HookError naming the JSON path of each problem."""
    if not isinstance(body, dict):
        raise _problem("$", "a CDS Hooks request must be a JSON object")
    problems = []
    for key in ("hook", "hookInstance", "context"):
        if key not in body:
            problems.append({"path": f"$.{key}", "code": "cds_request_invalid", "message": f"'{key}' is required"})
    if problems:
        raise HookError(problems)
    if body["hook"] != hook:
        raise _problem("$.hook", f"this service answers the {hook!r} hook, not {body['hook']!r}")
    if not isinstance(body["context"], dict):
        raise _problem("$.context", "context must be an object")
    if "draftOrders" not in body["context"]:
        raise _problem("$.context.draftOrders", "'draftOrders' is required (a Bundle of draft orders)")
    if "prefetch" in body and body["prefetch"] is not None and not isinstance(body["prefetch"], dict):
        raise _problem("$.prefetch", "prefetch must be an object")
    auth = body.get("fhirAuthorization")
    if auth is not None and not (isinstance(auth, dict) and isinstance(auth.get("access_token"), str)):
        raise _problem("$.fhirAuthorization", "fhirAuthorization must be an object with an access_token")


def _fill(template: str, context: dict) -> str:
    return template.replace("{{context.patientId}}", str(context.get("patientId", "")))


async def gather(body: dict, fetch) -> tuple[dict, list[str]]:
    """The prefetch values: those sent, and those missing fetched with `fetch(server, path,
    token)` when the call carries fhirServer and an access token. Returns (values, notes)."""
    prefetch = dict(body.get("prefetch") or {})
    server = body.get("fhirServer")
    token = (body.get("fhirAuthorization") or {}).get("access_token")
    notes = []
    for key, template in PREFETCH.items():
        if prefetch.get(key) is not None:
            continue
        if server and token and fetch is not None:
            value = await fetch(server, _fill(template, body["context"]), token)
            if value is not None:
                prefetch[key] = value
        else:
            notes.append(key)
    return prefetch, notes


def read_call(body: dict, prefetch: dict, hook: str) -> tuple[list[dict], dict, str | None]:
    """(draft orders to decide, the record by resource type, the progress note's text), all
    validated with the FHIR models. Raises FhirInvalid / HookError."""
    context = body["context"]
    bundle = context["draftOrders"]
    validate(bundle, "$.context.draftOrders", ("Bundle",))
    orders = []
    problems = []
    for resource, path in resources(bundle, "$.context.draftOrders"):
        kind = resource.get("resourceType")
        if kind not in ORDER_TYPES:
            continue
        try:
            validate(resource, path, ORDER_TYPES)
        except FhirInvalid as err:
            problems.extend(err.problems)
            continue
        orders.append(resource)
    if hook == "order-select":
        selected = context.get("selections")
        if not isinstance(selected, list):
            raise _problem("$.context.selections", "'selections' is required for order-select (a list of ids)")
        wanted = {s.split("/")[-1] for s in selected if isinstance(s, str)}
        orders = [o for o in orders if o.get("id") in wanted]
    record: dict[str, list[dict]] = {}
    note = None
    for key, types in PREFETCH_TYPES.items():
        value = prefetch.get(key)
        if value is None:
            continue
        path = f"$.prefetch.{key}"
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            try:
                validate(value, path, ("Bundle",))
            except FhirInvalid as err:
                problems.extend(err.problems)
                continue
        for resource, where in resources(value, path):
            if resource.get("resourceType") == "OperationOutcome":
                continue
            try:
                validate(resource, where, types)
            except FhirInvalid as err:
                problems.extend(err.problems)
                continue
            if key == "progressNote":
                note = note or note_text(resource)
            else:
                record.setdefault(resource["resourceType"], []).append(resource)
    if problems:
        raise FhirInvalid(problems)
    return orders, record, note


# ----------------------------------------------------------------------------- cards

def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _md(text: str) -> str:
    """Text safe inside Markdown (no emphasis, links or HTML from case text)."""
    out = []
    for ch in text:
        out.append("\\" + ch if ch in "\\`*_[]<>|" else ch)
    return "".join(out)


def card(d: dict, hook_instance: str, service_id: str) -> dict | None:
    """The card for one determination, or None when no rule covers the order."""
    if d["outcome"] == "no_rule":
        return None
    against = [r for r in d["rules"] if r["effect"] == "against" and r["status"] == "holds"]
    deciding = against or [r for r in d["rules"] if r["effect"] == "support" and r["status"] == "holds"] or \
        [r for r in d["rules"] if r["effect"] == "support"]
    if d["outcome"] == "certify":
        indicator, verdict = "info", "meets MTUS criteria"
    elif against:
        indicator, verdict = "critical", "not recommended by MTUS"
    else:
        indicator, verdict = "warning", "MTUS criteria not documented"
    item = d["request"] or "order"
    summary = f"{verdict}: {item}"
    if len(summary) >= 140:
        summary = _short(f"{verdict}: {item}", 139)
    lines = [f"**Predicted outcome:** {'certify' if d['outcome'] == 'certify' else 'non-certify'} "
             f"(IMR: {d['imr_equivalent']})", ""]
    if against:
        lines.append("**Not recommended:**")
        for r in against:
            lines.append(f"- {_md(r['title'])}")
        lines.append("")
    unmet, undocumented = [], []
    for r in d["rules"]:
        if r["effect"] != "support":
            continue
        for c in r["criteria"]:
            if c["result"] == "unmet":
                unmet.append(c["requires"])
            elif c["result"] == "unknown":
                undocumented.append(c["requires"])
    for title, items in (("Unmet criteria", unmet), ("Not documented", undocumented)):
        if items and d["outcome"] != "certify":
            lines.append(f"**{title}:**")
            for text in dict.fromkeys(items):
                lines.append(f"- {_md(text)}")
            lines.append("")
    checklist = list(dict.fromkeys(m["document"] for m in d["missing_documentation"]))
    if checklist:
        lines.append("**Add to the note:**")
        for text in checklist:
            lines.append(f"- [ ] {_md(text)}")
        lines.append("")
    if d["outcome"] == "certify":
        met = [c["requires"] for r in deciding for c in r["criteria"]]
        if met:
            lines.append("**Criteria met:**")
            for text in dict.fromkeys(met):
                lines.append(f"- {_md(text)}")
            lines.append("")
    cited = deciding[0]["citation"] if deciding else None
    label = (f"{cited['guideline']}, {cited['section']}" + (f", p. {cited['pages']}" if cited.get("pages") else "")
             if cited else "MTUS")
    return {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mtus:{service_id}:{hook_instance}:{d['request_id']}")),
        "summary": summary,
        "indicator": indicator,
        "detail": "\n".join(lines).rstrip() + "\n",
        "source": {"label": _short(label, 200), "topic": {"code": deciding[0]["id"] if deciding else "mtus",
                                                           "display": deciding[0]["title"] if deciding else "MTUS"}},
    }


def decide(rules, orders: list[dict], record: dict, note: str | None, hook_instance: str, service_id: str) -> dict:
    """The cards for the orders."""
    if not orders:
        return {"cards": []}
    data = build_case(orders, record, note=note)
    case = case_from_dict(data)
    document = evaluate_case(rules, case)
    cards = [c for c in (card(d, hook_instance, service_id) for d in document["determinations"]) if c]
    return {"cards": cards}
