"""The HTTP service: JSON API under /v1, CDS Hooks, and the pre-check page at /.

Stage: the service's way in (docs/clinician.md). `create_app()` loads and compiles the rules
once per process and returns a FastAPI app:
- `POST /v1/check` (a case JSON) -> the determination document;
- `POST /v1/precheck` ({report, requests, date_of_service}) -> the determination document with
  a `precheck` entry per determination and `report_text` (the text the offsets refer to);
- `GET /v1/rules` (packs and guideline sections), `GET /v1/health`;
- `GET /cds-services`, `POST /cds-services/mtus-order-sign`, `POST /cds-services/mtus-order-select`;
- `GET /` the page; `GET /docs` the OpenAPI documentation.
Errors are `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail` and
`errors`, a list of {path, code, message} with the JSON path of each problem. Bodies larger than
`max_body` bytes get 413 before they are read. The log has one line per request (method, path
without the query, status, time): never a body, a query string or an exception's message.
"""
from __future__ import annotations

import json
import logging
import os
import time
from importlib import resources as _resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from .. import __version__
from ..case import CaseInvalid, case_from_dict
from ..coverage import sections
from ..errors import EngineError
from ..evaluator import evaluate_case
from ..extraction.reader import normalise_text
from ..loader import RuleSet, load_rules
from ..precheck import precheck
from . import cds
from .fhir import FhirInvalid

DEFAULT_MAX_BODY = 1_048_576
PROBLEM = "application/problem+json"
log = logging.getLogger("mtus.service")


# ----------------------------------------------------------------------------- problems

def problem(status: int, title: str, detail: str, errors: list[dict] | None = None, kind: str = "about:blank") -> Response:
    body = {"type": kind, "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type=PROBLEM)


def _bad_json(err: json.JSONDecodeError) -> Response:
    return problem(400, "Malformed JSON", f"the body is not JSON: {err.msg} at line {err.lineno} column {err.colno}",
                   [{"path": "$", "code": "json_syntax_error", "message": f"{err.msg} (line {err.lineno}, column {err.colno})"}],
                   kind="/problems/json-syntax-error")


async def _json_body(request: Request):
    raw = await request.body()
    try:
        return json.loads(raw), None
    except json.JSONDecodeError as err:
        return None, _bad_json(err)
    except UnicodeDecodeError:
        return None, problem(400, "Malformed JSON", "the body is not UTF-8 text",
                             [{"path": "$", "code": "json_syntax_error", "message": "not UTF-8"}],
                             kind="/problems/json-syntax-error")


def _fast_json(document) -> Response:
    return Response(json.dumps(document, ensure_ascii=False, separators=(",", ":")), media_type="application/json")


# ----------------------------------------------------------------------------- middleware

class _TooLarge(Exception):
    pass


class Guard:
    """Pure ASGI middleware: body size limit, one log line per request without its content, and
    a last-resort 500 problem that names only the error's type."""

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        limit = self.max_body

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
            await send(message)

        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._reply(send_wrapper, _too_large(limit))
                    self._log(scope, status["code"], started)
                    return
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except _TooLarge:
            if not status["sent"]:
                await self._reply(send_wrapper, _too_large(limit))
        except Exception as err:   # noqa: BLE001 - last resort; the message may hold request text
            log.error("internal error in %s %s: %s", scope.get("method"), scope.get("path"), type(err).__name__)
            if not status["sent"]:
                await self._reply(send_wrapper, problem(500, "Internal error",
                                                        "the engine failed on this request; please report it"))
        self._log(scope, status["code"], started)

    @staticmethod
    async def _reply(send, response: Response):
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(b"content-type", PROBLEM.encode()),
                                (b"content-length", str(len(response.body)).encode())]})
        await send({"type": "http.response.body", "body": response.body})

    @staticmethod
    def _log(scope, code: int, started: float):
        if log.isEnabledFor(logging.INFO):
            log.info("%s %s %d %.1fms", scope.get("method"), scope.get("path"), code,
                     (time.perf_counter() - started) * 1000)


def _too_large(limit: int) -> Response:
    return problem(413, "Request body too large", f"the body is larger than the limit of {limit} bytes",
                   [{"path": "$", "code": "body_too_large", "message": f"more than {limit} bytes"}],
                   kind="/problems/body-too-large")


# ----------------------------------------------------------------------------- models (docs)

class PrecheckBody(BaseModel):
    """A progress report and the requested items."""

    report: str = Field(..., description="the progress report's text (PR-2 or narrative)",
                        examples=["Date of service: 03/15/2016\nShe rates her pain 8/10 without medications and "
                                  "3/10 with medications.\nRequest: Norco 10/325 mg #120"])
    requests: list[str] = Field(default_factory=list,
                                description="requested items as written; empty: the report's own request lines")
    date_of_service: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                        description="YYYY-MM-DD; default: the report's labelled date")


CASE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["requests"],
               "description": "A case: see docs/case-format.md and engine/schemas/case.schema.json"},
    "example": {"pain": {"without_meds": 8, "with_meds": 3},
                "requests": [{"text": "Norco 10/325mg #120",
                              "drug": {"generic": "hydrocodone/acetaminophen", "drug_class": "opioid"}}]}}}}}
HOOK_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["hook", "hookInstance", "context"],
               "description": "A CDS Hooks 2.0 request: context.draftOrders is a FHIR R4 Bundle"}}}}}
PROBLEM_RESPONSES = {400: {"description": "malformed input (problem+json)", "content": {PROBLEM: {}}},
                     413: {"description": "body too large (problem+json)", "content": {PROBLEM: {}}},
                     422: {"description": "invalid input (problem+json)", "content": {PROBLEM: {}}}}


# ----------------------------------------------------------------------------- the app

def _page() -> str:
    return _resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")


def create_app(rules: RuleSet | None = None, *, max_body: int | None = None, fetch=None) -> FastAPI:
    """The service. `rules` default: the shipped packs, loaded once here. `max_body` default:
    $MTUS_MAX_BODY or 1 MiB. `fetch(server, path, token)` is how missing CDS Hooks prefetch is
    fetched (default: an HTTP GET with the bearer token)."""
    rules = rules or load_rules()
    if max_body is None:
        max_body = int(os.environ.get("MTUS_MAX_BODY", DEFAULT_MAX_BODY))
    fetch = fetch or fetch_fhir
    app = FastAPI(title="mtus-engine", version=__version__,
                  description="Check California workers' compensation treatment requests against the MTUS "
                              "guidelines: cases, progress reports, and CDS Hooks orders.")
    page = _page()
    rule_sections = sections(rules)
    packs = [p.describe() for p in rules.packs]

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        from .fhir import json_path
        errors = []
        for e in exc.errors():
            loc = list(e.get("loc", ()))
            if loc and loc[0] == "body":
                loc = loc[1:]
            errors.append({"path": json_path("$", loc), "code": e.get("type", "invalid"), "message": e.get("msg", "")})
        malformed = any(e["code"] == "json_invalid" for e in errors)
        status = 400 if malformed else 422
        return problem(status, "Malformed JSON" if malformed else "Invalid request",
                       "the body does not have the expected form", errors)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index():
        return HTMLResponse(page, headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                       "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})

    @app.get("/v1/health", tags=["api"])
    async def health():
        """Whether the service is up, and the rules it decides with."""
        return {"status": "ok", "engine": {"name": "mtus-engine", "version": __version__},
                "rules": len(rules.rules), "packs": len(rules.packs)}

    @app.get("/v1/rules", tags=["api"])
    async def rule_list():
        """The rule packs (guideline, edition, dates in force) and the guideline sections their rules cite."""
        return {"packs": packs, "sections": rule_sections}

    @app.post("/v1/check", tags=["api"], openapi_extra=CASE_BODY, responses=PROBLEM_RESPONSES)
    async def check(request: Request):
        """Decide every request of a case (the case JSON of docs/case-format.md)."""
        data, error = await _json_body(request)
        if error:
            return error
        try:
            case = case_from_dict(data)
        except CaseInvalid as err:
            return problem(422, "Invalid case", f"the case has {len(err.errors)} problem(s)",
                           [{"path": e.path, "code": e.code, "message": e.message} for e in err.errors],
                           kind="/problems/invalid-case")
        return _fast_json(evaluate_case(rules, case))

    @app.post("/v1/precheck", tags=["api"], responses=PROBLEM_RESPONSES)
    async def precheck_report(body: PrecheckBody):
        """Pre-check a progress report: per request the outcome, the criteria met, unmet and not
        documented with the report's sentences (offsets into `report_text`), the checklist and the
        guideline sections."""
        text = normalise_text(body.report)
        try:
            _, document = precheck(rules, text, body.requests or None, date_of_service=body.date_of_service)
        except EngineError as err:
            path = "$.requests" if err.code == "no_requests" else "$"
            return problem(422, "Nothing to check", err.message, [{"path": path, "code": err.code, "message": err.message}],
                           kind="/problems/no-requests")
        return _fast_json({"report_text": text, **document})

    @app.get("/cds-services", tags=["cds-hooks"])
    async def cds_discovery():
        """CDS Hooks discovery: the order-sign and order-select services and their prefetch."""
        return cds.discovery()

    async def hook(request: Request, hook_name: str, service_id: str):
        body, error = await _json_body(request)
        if error:
            return error
        try:
            cds.check_call(body, hook_name)
            prefetch, _missing = await cds.gather(body, fetch)
            orders, record, note = cds.read_call(body, prefetch, hook_name)
        except (cds.HookError, FhirInvalid) as err:
            title = "Invalid FHIR" if isinstance(err, FhirInvalid) else "Invalid CDS Hooks request"
            return problem(400, title, f"{len(err.problems)} problem(s) in the request", err.problems,
                           kind="/problems/fhir-invalid" if isinstance(err, FhirInvalid) else "/problems/cds-request-invalid")
        except FetchError as err:
            return problem(502, "FHIR server error", str(err),
                           [{"path": "$.fhirServer", "code": "fhir_fetch_failed", "message": str(err)}])
        try:
            return _fast_json(cds.decide(rules, orders, record, note, str(body.get("hookInstance")), service_id))
        except CaseInvalid as err:
            return problem(422, "Orders could not be read as a case", "the orders gave an invalid case",
                           [{"path": e.path, "code": e.code, "message": e.message} for e in err.errors])

    @app.post("/cds-services/mtus-order-sign", tags=["cds-hooks"], openapi_extra=HOOK_BODY, responses=PROBLEM_RESPONSES)
    async def order_sign(request: Request):
        """CDS Hooks `order-sign`: a card per draft order a rule covers."""
        return await hook(request, "order-sign", "mtus-order-sign")

    @app.post("/cds-services/mtus-order-select", tags=["cds-hooks"], openapi_extra=HOOK_BODY,
              responses=PROBLEM_RESPONSES)
    async def order_select(request: Request):
        """CDS Hooks `order-select`: a card per selected draft order a rule covers."""
        return await hook(request, "order-select", "mtus-order-select")

    app.add_middleware(Guard, max_body=max_body)
    return app


# ----------------------------------------------------------------------------- FHIR fetching

class FetchError(Exception):
    """The FHIR server could not give a prefetch resource."""


async def fetch_fhir(server: str, path: str, token: str):
    """GET `server`/`path` with the bearer token; the JSON resource, or None when not found."""
    import httpx
    url = server.rstrip("/") + "/" + path
    try:
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
            response = await client.get(url, headers={"Authorization": f"Bearer {token}",
                                                      "Accept": "application/fhir+json"})
    except httpx.HTTPError as err:
        raise FetchError(f"the FHIR server could not be reached ({type(err).__name__})") from None
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        raise FetchError(f"the FHIR server answered {response.status_code} for {path.split('?')[0]}")
    try:
        return response.json()
    except ValueError:
        raise FetchError(f"the FHIR server sent no JSON for {path.split('?')[0]}") from None
