"""FHIR R4 resources -> a case: the draft orders of a CDS Hooks call and the patient's record.

Stage: the EHR's way in (docs/clinician.md#cds-hooks). Input: FHIR R4 resources as JSON (the
`draftOrders` Bundle of an `order-sign` / `order-select` call and the prefetched Patient,
Conditions, MedicationRequests, MedicationStatements, pain Observations and the latest
progress-note DocumentReference). Output: a case dict valid under the case schema, with one
request per draft order (its `id` is the order's resource id).

Every resource is validated with the `fhir.resources` models (R4B, the technical correction of
R4, whose MedicationRequest, ServiceRequest, Condition, Observation, DocumentReference, Patient
and MedicationStatement are those of R4); `validate` raises `FhirInvalid` with the JSON path of
each problem. Mapping:
- an order becomes text the request parser reads: a MedicationRequest's medication (RxNorm or
  any coding's display, else the text), quantity and dosage; a ServiceRequest's code (CPT,
  SNOMED CT or any coding's display, else the text), body site and quantity. Codes are read
  through their display text: there is no code table in the engine;
- Conditions become diagnoses (tagged by the same reader as letters), active medications become
  current medications (named through the drug lexicon), the latest pain score (LOINC 72514-3,
  or any Observation whose code mentions pain with a 0-10 value) becomes `pain.current`;
- the progress note's text (an attachment with `data`, or text fetched by the caller) is read
  with `engine.extraction.read_text`, like a report given to `mtus precheck`; facts it states win
  over those taken from structured resources, except diagnoses, which are merged.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt

from ..extraction.pipeline import _prior_use, _prior_visits, _request_properties
from ..extraction.reading import read_text
from ..extraction.requests import parse_request
from ..lexicon import load_lexicon

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
PAIN_LOINC = {"72514-3", "38208-5", "38221-8"}   # pain severity 0-10 (reported; observed; at rest)
PREFERRED = {"MedicationRequest": (RXNORM,), "ServiceRequest": (CPT, SNOMED)}


class FhirInvalid(ValueError):
    """FHIR input that does not validate: `problems` is a list of {path, code, message}."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in problems))
        self.problems = problems


def json_path(prefix: str, loc) -> str:
    """`$.a.b[0]` from a pydantic error location under `prefix`."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).isidentifier():
            out += f".{part}"
        else:
            out += f"[{str(part)!r}]"
    return out


def validate(resource, path: str, expected: tuple[str, ...] | None = None):
    """The validated model of one resource (a dict with `resourceType`). Raises FhirInvalid."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    if not isinstance(resource, dict):
        raise FhirInvalid([{"path": path, "code": "fhir_invalid", "message": "a FHIR resource must be a JSON object"}])
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        raise FhirInvalid([{"path": f"{path}.resourceType", "code": "fhir_invalid",
                            "message": "a FHIR resource must have a resourceType"}])
    if expected and kind not in expected:
        raise FhirInvalid([{"path": f"{path}.resourceType", "code": "fhir_unexpected_type",
                            "message": f"expected {' or '.join(expected)}, got {kind!r}"}])
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        raise FhirInvalid([{"path": f"{path}.resourceType", "code": "fhir_invalid",
                            "message": f"{kind!r} is not a FHIR R4 resource type"}]) from None
    try:
        return model.model_validate(resource)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            problems.append({"path": json_path(path, e["loc"]), "code": "fhir_invalid", "message": e["msg"]})
        raise FhirInvalid(problems) from None


def resources(value, path: str) -> list[tuple[dict, str]]:
    """The resources of a prefetch value: a Bundle's entries, or the resource itself, with paths."""
    if value is None:
        return []
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return [(e["resource"], f"{path}.entry[{i}].resource") for i, e in enumerate(value.get("entry") or [])
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    return [(value, path)]


# ----------------------------------------------------------------------------- reading resources

def concept_text(concept: dict | None, preferred: tuple[str, ...] = ()) -> str | None:
    """A CodeableConcept as words: the display of a coding in a preferred system, the text, or
    any coding's display."""
    if not concept:
        return None
    codings = concept.get("coding") or []
    for system in preferred:
        for c in codings:
            if c.get("system") == system and c.get("display"):
                return c["display"]
    if concept.get("text"):
        return concept["text"]
    for c in codings:
        if c.get("display"):
            return c["display"]
    return None


def _number(value) -> str | None:
    if value is None:
        return None
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _medication_name(order: dict) -> str | None:
    name = concept_text(order.get("medicationCodeableConcept"), (RXNORM,))
    if name:
        return name
    ref = (order.get("medicationReference") or {}).get("reference", "")
    for contained in order.get("contained") or []:
        if contained.get("resourceType") == "Medication" and ref == f"#{contained.get('id')}":
            return concept_text(contained.get("code"), (RXNORM,))
    return (order.get("medicationReference") or {}).get("display")


def order_text(order: dict) -> str:
    """The words of a draft order, as an RFA would write the item."""
    kind = order.get("resourceType")
    if kind == "MedicationRequest":
        words = _medication_name(order) or "medication (not named)"
        dispense = order.get("dispenseRequest") or {}
        quantity = _number((dispense.get("quantity") or {}).get("value"))
        if quantity:
            words += f" #{quantity}"
        for dosage in (order.get("dosageInstruction") or [])[:1]:
            if dosage.get("text"):
                words += f", {dosage['text']}"
        refills = dispense.get("numberOfRepeatsAllowed")
        if refills is not None:
            words += f", {refills} refill{'' if refills == 1 else 's'}"
        return words
    parts = []
    parts.append(concept_text(order.get("code"), PREFERRED["ServiceRequest"]) or "service (not named)")
    sites = [concept_text(site) for site in order.get("bodySite") or []]
    words = " ".join(parts)
    for site in sites:
        if site and site.lower() not in words.lower():
            words += f" of the {site}"
    quantity = order.get("quantityQuantity") or {}
    if quantity.get("value") is not None:
        words += f", {_number(quantity['value'])} {quantity.get('unit') or 'visits'}"
    if order.get("patientInstruction"):
        words += f", {order['patientInstruction']}"
    return words


def _order_date(order: dict) -> str | None:
    for key in ("authoredOn", "occurrenceDateTime"):
        value = order.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return _dt.date.fromisoformat(value[:10]).isoformat()
            except ValueError:
                continue
    return None


def _age(birth: str | None, on: str | None) -> int | None:
    if not birth or not on or len(birth) < 10:
        return None
    b, d = _dt.date.fromisoformat(birth[:10]), _dt.date.fromisoformat(on)
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def note_text(document: dict) -> str | None:
    """The text of a DocumentReference whose attachment carries it inline (`data`, text/*)."""
    for content in document.get("content") or []:
        attachment = content.get("attachment") or {}
        kind = (attachment.get("contentType") or "text/plain").split(";")[0].strip()
        if attachment.get("data") and kind.startswith("text/"):
            try:
                return base64.b64decode(attachment["data"]).decode("utf-8", errors="replace")
            except (binascii.Error, ValueError):
                return None
    return None


def _pain_score(observation: dict) -> float | None:
    codes = {c.get("code") for c in (observation.get("code") or {}).get("coding") or [] if c.get("system") == LOINC}
    words = (concept_text(observation.get("code")) or "").lower()
    if not (codes & PAIN_LOINC or "pain" in words):
        return None
    if observation.get("status") in ("entered-in-error", "cancelled"):
        return None
    value = observation.get("valueQuantity", {}).get("value") if observation.get("valueQuantity") else \
        observation.get("valueInteger")
    if value is None or not 0 <= float(value) <= 10:
        return None
    return float(value)


def _active(resource: dict) -> bool:
    kind = resource.get("resourceType")
    if kind == "Condition":
        codes = {c.get("code") for c in (resource.get("clinicalStatus") or {}).get("coding") or []}
        return not codes or bool(codes & {"active", "recurrence", "relapse"})
    if kind == "MedicationRequest":
        return resource.get("status") in ("active", "on-hold", None) and resource.get("intent") != "proposal"
    if kind == "MedicationStatement":
        return resource.get("status") in ("active", "intended", None)
    return True


# ----------------------------------------------------------------------------- the case

def build_case(orders: list[dict], record: dict[str, list[dict]], *, note: str | None = None,
               case_id: str | None = None) -> dict:
    """The case for validated draft orders (MedicationRequest / ServiceRequest dicts) and the
    patient's record: {"Patient": [...], "Condition": [...], "MedicationRequest": [...],
    "MedicationStatement": [...], "Observation": [...]}; `note` is the progress note's text."""
    lexicon = load_lexicon()
    case: dict = {"schema_version": 1, "source": {"kind": "manual"}}
    if case_id:
        case["case_id"] = case_id
    facts = read_text(note, section="summary") if note and note.strip() else {}
    day = next((d for d in (_order_date(o) for o in orders) if d), None)

    patients = record.get("Patient") or []
    if patients:
        patient = {}
        age = _age(patients[0].get("birthDate"), day)
        if age is not None:
            patient["age"] = age
        if patients[0].get("gender") in ("male", "female"):
            patient["sex"] = patients[0]["gender"]
        if patient:
            case["patient"] = patient

    conditions = [concept_text(c.get("code"), (SNOMED,)) for c in record.get("Condition") or [] if _active(c)]
    conditions = [c.replace(";", ",").strip() for c in conditions if c]
    diagnoses = []
    if conditions:
        listed = read_text("Diagnoses: " + "; ".join(conditions) + ".").get("diagnoses") or []
        for d in listed:
            d.pop("evidence", None)
            diagnoses.append(d)
    for d in facts.get("diagnoses") or []:
        if not any(d["text"].lower() == known["text"].lower() for known in diagnoses):
            diagnoses.append(d)
    if diagnoses:
        case["diagnoses"] = diagnoses

    medications = []
    for resource in (record.get("MedicationRequest") or []) + (record.get("MedicationStatement") or []):
        if not _active(resource):
            continue
        name = _medication_name(resource)
        if not name:
            continue
        entry = {"name": name, "status": "current"}
        mentions = lexicon.find(name)
        if mentions:
            entry["generic"] = mentions[0].drug.generic
            entry["drug_class"] = mentions[0].drug.drug_class
        if not any(m["name"] == name for m in medications):
            medications.append(entry)
    for m in facts.get("medications") or []:
        if not any(m.get("generic") and m.get("generic") == known.get("generic") for known in medications):
            medications.append(m)
        else:   # the note may say how long it has been taken
            for known in medications:
                if known.get("generic") == m.get("generic") and m.get("duration_weeks") is not None:
                    known["duration_weeks"] = m["duration_weeks"]
    if medications:
        case["medications"] = medications

    for key in ("injury", "treatments", "findings"):
        if facts.get(key):
            case[key] = facts[key]
    pain = dict(facts.get("pain") or {})
    if "current" not in pain:
        dated = []
        for obs in record.get("Observation") or []:
            score = _pain_score(obs)
            if score is not None:
                dated.append((obs.get("effectiveDateTime") or obs.get("issued") or "", score))
        if dated:
            score = max(dated)[1]
            pain["current"] = int(score) if score.is_integer() else score
    if pain:
        case["pain"] = pain
    if facts.get("patient") and "patient" not in case:
        case["patient"] = facts["patient"]

    allowed = _request_properties()
    requests = []
    for index, order in enumerate(orders, 1):
        text = order_text(order)
        parsed = parse_request(text)
        request = {k: v for k, v in parsed.items() if v is not None and k in allowed}
        request["id"] = order.get("id") or f"r{index}"
        request["text"] = text
        when = _order_date(order) or day
        if when:
            request["date_of_service"] = when
        dispense = order.get("dispenseRequest") or {}
        if order.get("resourceType") == "MedicationRequest":
            quantity = (dispense.get("quantity") or {}).get("value")
            if quantity is not None and float(quantity).is_integer():
                request["quantity"] = int(quantity)
            if isinstance(dispense.get("numberOfRepeatsAllowed"), int):
                request["refills"] = dispense["numberOfRepeatsAllowed"]
        prior = _prior_use(request, case.get("medications"))
        if prior is not None:
            request["prior_use_weeks"] = prior
        visits = _prior_visits(request, case.get("treatments"), note or "")
        if visits is not None:
            request["prior_visits"] = visits
        requests.append(request)
    case["requests"] = requests
    return case
