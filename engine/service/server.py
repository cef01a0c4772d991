"""`mtus serve`: run the service with uvicorn (stage: the service's process).

Binds 127.0.0.1 unless told otherwise. With several workers, uvicorn starts that many processes,
each loading and compiling the rules once (`create_app` as a factory). The access log is
uvicorn's off; the service logs one line per request itself (method, path, status, time: no
body, no query string).
"""
from __future__ import annotations

import os
import sys

LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "mtus.service": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "httpx": {"level": "WARNING"},      # its INFO lines hold FHIR URLs with patient ids
        "httpcore": {"level": "WARNING"},
    },
}


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, max_body: int | None = None,
          stderr=sys.stderr, quiet: bool = False) -> int:
    """Run until interrupted; returns the exit code."""
    import uvicorn

    from .app import create_app  # noqa: F401 - fail here, before forking, if the app cannot import
    if max_body is not None:
        os.environ["MTUS_MAX_BODY"] = str(max_body)
    config = dict(LOG_CONFIG)
    if quiet:
        config = {**LOG_CONFIG, "loggers": {**LOG_CONFIG["loggers"],
                                            "mtus.service": {"handlers": ["stderr"], "level": "WARNING",
                                                             "propagate": False}}}
    print(f"mtus serve: http://{host}:{port}/ (API /v1, CDS Hooks /cds-services, docs /docs); "
          f"{workers} worker{'s' if workers != 1 else ''}; Ctrl-C stops", file=stderr)
    uvicorn.run("engine.service.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_config=config, server_header=False)
    return 0
