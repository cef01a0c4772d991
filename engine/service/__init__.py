"""The HTTP service of `mtus serve` (the optional extra `[serve]`: FastAPI, uvicorn, fhir.resources).

    create_app(rules=None, *, max_body=None, fetch=None) -> FastAPI   (engine.service.app)
    serve(host, port, workers, max_body) -> exit code                  (engine.service.server)

Modules: `app` (the JSON API, the page and the CDS Hooks routes), `cds` (CDS Hooks discovery,
calls and cards), `fhir` (FHIR R4 resources -> a case), `server` (uvicorn), `page.html`.
Nothing here is imported by the rest of the engine: without the extra, only `mtus serve` is missing.
"""
