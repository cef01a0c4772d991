"""`mtus serve`: the JSON API, CDS Hooks and the page, through an HTTP client against the app.

Needs the [serve] extra (part of the test extras). The FHIR server the CDS service fetches
missing prefetch from is a stub on 127.0.0.1 started here: no test reaches the network.
"""
import asyncio
import base64
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the [serve] extra is not installed: pip install -e '.[test]'")
pytest.importorskip("fhir.resources", reason="the [serve] extra is not installed: pip install -e '.[test]'")
import httpx  # noqa: E402

from engine import load_rules  # noqa: E402
from engine.service.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "examples" / "cases"
REPORTS = ROOT / "examples" / "reports"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def app():
    return create_app(load_rules(), max_body=64 * 1024)


def call(app, method, url, **kwargs):
    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mtus.test") as client:
            return await client.request(method, url, **kwargs)
    return asyncio.run(go())


# ------------------------------------------------------------------------------ JSON API

def test_health_and_rules(app):
    health = call(app, "GET", "/v1/health").json()
    assert health["status"] == "ok" and health["rules"] > 0
    listing = call(app, "GET", "/v1/rules").json()
    assert any(p["id"] == "mtus.cpmtg_2009" for p in listing["packs"])
    assert any(s["section"].startswith("Opioids") and s["rules"] for s in listing["sections"])


def test_check_decides_a_case_as_mtus_check_does(app):
    from engine import evaluate, load_case
    path = CASES / "clinician-norco-refill-documented.json"
    response = call(app, "POST", "/v1/check", content=path.read_bytes(),
                    headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json() == evaluate(load_rules(), load_case(str(path)))


def test_malformed_json_and_an_invalid_case_are_problem_documents_with_paths(app):
    response = call(app, "POST", "/v1/check", content=b'{"requests": [', headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Malformed JSON" and body["errors"][0]["path"] == "$"
    response = call(app, "POST", "/v1/check", json={"pain": {"current": 12}, "requests": [{"text": "Norco", "quantity": -1}]})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"$.pain.current", "$.requests[0].quantity"} <= paths


def test_precheck_endpoint_gives_offsets_into_the_report_text(app):
    report = (REPORTS / "lumbar-mri-radicular.txt").read_text(encoding="utf-8")
    response = call(app, "POST", "/v1/precheck", json={"report": report})
    assert response.status_code == 200
    body = response.json()
    (d,) = body["determinations"]
    assert d["outcome"] == "certify"
    located = [s for c in d["precheck"]["criteria"] for s in c["sentences"] if "start" in s]
    assert located
    for s in located:
        assert " ".join(body["report_text"][s["start"]:s["end"]].split()) == s["sentence"]
    response = call(app, "POST", "/v1/precheck", json={"report": "Seen today.", "requests": ["Soma 350 mg #60"],
                                                      "date_of_service": "2015-04-01"})
    (d,) = response.json()["determinations"]
    assert d["outcome"] == "non_certify" and d["guideline"]["date"] == "2015-04-01"


def test_precheck_endpoint_problems(app):
    response = call(app, "POST", "/v1/precheck", json={"report": 5, "requests": "Norco"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert {e["path"] for e in response.json()["errors"]} == {"$.report", "$.requests"}
    response = call(app, "POST", "/v1/precheck", json={"report": "The patient is seen for follow-up."})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "no_requests"


def test_an_oversized_body_gets_413_whether_announced_or_streamed(app):
    big = json.dumps({"report": "x" * (70 * 1024), "requests": ["Norco"]}).encode()
    response = call(app, "POST", "/v1/precheck", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["code"] == "body_too_large"

    async def chunks():
        for _ in range(20):
            yield b" " * 8192          # no content-length: counted as it comes
    response = call(app, "POST", "/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_no_request_text_is_written_to_logs(app, caplog):
    marker = "Zyxwvut-Marker-Patient"
    caplog.set_level(logging.DEBUG)
    report = f"{marker} is a 44 year old female.\nRequest: Norco 10/325 mg #90 {marker}\n"
    call(app, "POST", "/v1/precheck?name=" + marker, json={"report": report})
    call(app, "POST", "/v1/check", content=("{" + marker).encode())
    call(app, "POST", "/v1/check", json={"requests": [{"text": marker, "quantity": -1}]})
    assert caplog.records, "the service logs each request"
    assert any(r.name == "mtus.service" and "/v1/precheck" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue                    # the test's own HTTP client, not the service
        assert marker not in record.getMessage()


def test_openapi_docs_and_the_page(app):
    assert call(app, "GET", "/docs").status_code == 200
    spec = call(app, "GET", "/openapi.json").json()
    assert {"/v1/check", "/v1/precheck", "/v1/rules", "/v1/health", "/cds-services"} <= set(spec["paths"])
    page = call(app, "GET", "/")
    assert page.status_code == 200 and "MTUS pre-check" in page.text
    assert "http://" not in page.text and "https://" not in page.text      # no external assets
    assert "connect-src 'self'" in page.headers["content-security-policy"]


# ------------------------------------------------------------------------------ CDS Hooks

NOTE_DOCUMENTED = (
    "Date of service: 03/15/2016\nThe patient is a 44 year old female with chronic low back pain. She has taken "
    "Norco 10/325 mg four times a day for the past 7 months. She rates her pain 8/10 without medications and 3/10 "
    "with medications. She returned to modified duty 6 hours a day. She denies side effects. No aberrant "
    "drug-related behaviors. Urine drug screen on 03/02/2016 was consistent with prescribed hydrocodone.\n")
NOTE_BARE = "The patient returns for a medication refill. Low back pain continues.\n"

NORCO = {"resourceType": "MedicationRequest", "id": "mr-norco", "status": "draft", "intent": "order",
         "subject": {"reference": "Patient/p1"}, "authoredOn": "2016-03-15",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                   "code": "856999", "display": "Norco 10 MG / 325 MG Oral Tablet"}]},
         "dosageInstruction": [{"text": "1 tab every 6 hours as needed"}],
         "dispenseRequest": {"quantity": {"value": 120}, "numberOfRepeatsAllowed": 0}}
SOMA = {**NORCO, "id": "mr-soma", "medicationCodeableConcept": {"text": "Soma 350 mg tablet"},
        "dispenseRequest": {"quantity": {"value": 60}}}
MRI = {"resourceType": "ServiceRequest", "id": "sr-mri", "status": "draft", "intent": "order",
       "subject": {"reference": "Patient/p1"}, "authoredOn": "2016-03-15",
       "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "72148",
                            "display": "MRI lumbar spine without contrast"}]}}


def record(note: str) -> dict:
    return {
        "patient": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1971-06-01"},
        "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"text": "Lumbar disc herniation L4-5"}}}]},
        "medicationRequests": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "MedicationRequest", "id": "mr-old", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": {"text": "Norco 10/325 mg"}}}]},
        "painObservations": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
            "effectiveDateTime": "2016-03-15", "valueInteger": 6}}]},
        "progressNote": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "DocumentReference", "id": "n1", "status": "current", "subject": {"reference": "Patient/p1"},
            "content": [{"attachment": {"contentType": "text/plain",
                                        "data": base64.b64encode(note.encode()).decode()}}]}}]},
    }


def hook_call(orders, prefetch, hook="order-sign", **extra):
    context = {"userId": "Practitioner/d1", "patientId": "p1",
               "draftOrders": {"resourceType": "Bundle", "type": "collection",
                               "entry": [{"resource": o} for o in orders]}}
    if hook == "order-select":
        context["selections"] = [f"{o['resourceType']}/{o['id']}" for o in orders[:1]]
    body = {"hook": hook, "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "context": context, **extra}
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def sign(app, body, service="mtus-order-sign"):
    return call(app, "POST", f"/cds-services/{service}", json=body)


def test_discovery_lists_order_sign_and_order_select_with_the_prefetch(app):
    services = {s["hook"]: s for s in call(app, "GET", "/cds-services").json()["services"]}
    assert set(services) == {"order-sign", "order-select"}
    prefetch = services["order-sign"]["prefetch"]
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "clinical-status=active" in prefetch["conditions"]
    assert prefetch["medicationRequests"].startswith("MedicationRequest?")
    assert prefetch["medicationStatements"].startswith("MedicationStatement?")
    assert "72514-3" in prefetch["painObservations"]
    assert prefetch["progressNote"].startswith("DocumentReference?") and "_count=1" in prefetch["progressNote"]


def test_a_signed_medication_request_that_certifies_gets_an_info_card(app):
    response = sign(app, hook_call([NORCO], record(NOTE_DOCUMENTED)))
    assert response.status_code == 200
    (card,) = response.json()["cards"]
    assert card["indicator"] == "info" and len(card["summary"]) < 140
    assert "Norco" in card["summary"]
    assert "Opioids" in card["source"]["label"] and "Chronic Pain" in card["source"]["label"]
    assert "Criteria met" in card["detail"]


def test_a_signed_medication_request_without_documentation_gets_a_warning_with_the_checklist(app):
    (card,) = sign(app, hook_call([NORCO], record(NOTE_BARE))).json()["cards"]
    assert card["indicator"] == "warning" and len(card["summary"]) < 140
    assert "**Not documented:**" in card["detail"] and "**Add to the note:**" in card["detail"]
    assert "- [ ] Whether the opioid causes side effects, at each visit." in card["detail"]


def test_an_order_the_guideline_recommends_against_is_critical_and_a_service_request_is_read(app):
    cards = sign(app, hook_call([SOMA, MRI], record(NOTE_BARE))).json()["cards"]
    by_summary = {c["indicator"]: c for c in cards}
    assert by_summary["critical"]["summary"].startswith("not recommended by MTUS: Soma")
    assert "Carisoprodol" in by_summary["critical"]["source"]["label"]
    assert "MRI lumbar spine" in by_summary["warning"]["summary"]
    assert "Low Back" in by_summary["warning"]["source"]["label"]


def test_order_select_decides_only_the_selected_orders(app):
    cards = sign(app, hook_call([SOMA, MRI], record(NOTE_BARE), hook="order-select"), "mtus-order-select").json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]


def test_malformed_fhir_gets_400_with_a_problem_document_naming_the_path(app):
    bad = {**NORCO, "dispenseRequest": {"quantity": {"value": "lots"}}}
    response = sign(app, hook_call([bad], record(NOTE_BARE)))
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    (problem,) = response.json()["errors"]
    assert problem["path"] == "$.context.draftOrders.entry[0].resource.dispenseRequest.quantity.value"
    no_status = {k: v for k, v in NORCO.items() if k != "status"}
    response = sign(app, hook_call([no_status], None))
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "$.context.draftOrders.entry[0].resource.status"
    prefetch = record(NOTE_BARE)
    prefetch["patient"] = {"resourceType": "Patient", "id": "p1", "birthDate": "June 1971"}
    response = sign(app, hook_call([NORCO], prefetch))
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "$.prefetch.patient.birthDate"
    response = sign(app, {"hook": "order-sign", "context": {}})
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "$.hookInstance"


# ------------------------------------------------------------------------------ prefetch from a FHIR server

class StubFhir:
    """A FHIR server on 127.0.0.1 answering from a dict of path -> resource, recording requests."""

    def __init__(self, resources: dict[str, dict], token: str):
        self.resources, self.token, self.seen = resources, token, []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.seen.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                path = self.path.lstrip("/").split("/", 1)[1] if self.path.startswith("/fhir/") else self.path
                kind = path.split("?")[0].split("/")[0]
                body = stub.resources.get(kind)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _by_type(prefetch: dict) -> dict:
    types = {"patient": "Patient", "conditions": "Condition", "medicationRequests": "MedicationRequest",
             "painObservations": "Observation", "progressNote": "DocumentReference"}
    return {types[k]: v for k, v in prefetch.items()}


def test_missing_prefetch_is_fetched_from_the_fhir_server_with_the_token(app):
    with StubFhir(_by_type(record(NOTE_DOCUMENTED)), token="secret-token") as fhir:
        body = hook_call([NORCO], None, fhirServer=fhir.url,
                         fhirAuthorization={"access_token": "secret-token", "token_type": "Bearer",
                                            "expires_in": 300, "scope": "patient/*.read", "subject": "mtus"})
        (card,) = sign(app, body).json()["cards"]
    assert card["indicator"] == "info"
    paths = [p for p, _ in fhir.seen]
    assert "/fhir/Patient/p1" in paths and any(p.startswith("/fhir/DocumentReference?patient=p1") for p in paths)
    assert all(auth == "Bearer secret-token" for _, auth in fhir.seen)


def test_without_an_access_token_nothing_is_fetched(app):
    with StubFhir(_by_type(record(NOTE_DOCUMENTED)), token="secret-token") as fhir:
        (card,) = sign(app, hook_call([NORCO], None, fhirServer=fhir.url)).json()["cards"]
    assert fhir.seen == []
    assert card["indicator"] == "warning"            # nothing in the record: criteria not documented


def test_a_fhir_server_that_refuses_gives_a_502_problem(app):
    with StubFhir({}, token="right") as fhir:
        body = hook_call([NORCO], None, fhirServer=fhir.url, fhirAuthorization={"access_token": "wrong"})
        response = sign(app, body)
    assert response.status_code == 502 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["path"] == "$.fhirServer"


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    """GIVEN the [serve] extra missing WHEN `mtus serve` runs THEN it says how to install it (exit 2)."""
    import builtins

    from engine.cli import main
    real_import = builtins.__import__

    def no_uvicorn(name, *args, **kwargs):
        if name == "uvicorn" or name.startswith("uvicorn."):
            raise ImportError("No module named 'uvicorn'", name="uvicorn")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert main(["serve", "--port", "0"]) == 2
    assert "[serve]" in capsys.readouterr().err
