"""The FastAPI application factory.

``create_app(config)`` builds one stateless ASGI app: everything durable (the
audit log, the JWT nonces) lives in the audit store, so several processes can
serve one configuration side by side.
"""

from __future__ import annotations

from fastapi import FastAPI

from huizhen import __version__
from huizhen.api import errors
from huizhen.api.limits import BodyLimit
from huizhen.api.state import Service
from huizhen.audit import AuditStore, open_audit_store
from huizhen.auth import ApiKeyVerifier, JWTVerifier
from huizhen.tenants import ServiceConfig, load_config

DESCRIPTION = """\
会诊 huizhen clinical decision support as a service: CDS Hooks 2.0 services for
EHRs (JWT-authenticated) and a REST API for hospital systems (API keys).
Every suggestion supports, and does not replace, the doctor's judgement; every
call is recorded in the tenant's audit log.
"""


def create_app(config: ServiceConfig | None = None, *, audit: AuditStore | None = None) -> FastAPI:
    """Build the app for a configuration (default: ``$HUIZHEN_SERVICE_CONFIG``)."""
    from huizhen.api.routes import cdshooks, consult, knowledge, medication, meta, rest

    config = config or load_config()
    store = audit or open_audit_store(config.audit_location())
    app = FastAPI(title="huizhen", version=__version__, description=DESCRIPTION)
    from huizhen.audit.sqlite import SQLiteAuditStore

    app.state.huizhen = Service(
        config=config, audit=store, jwt=JWTVerifier(config, replay=store),
        api_keys=ApiKeyVerifier(config), inline=isinstance(store, SQLiteAuditStore),
    )
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=config.limits.max_body_bytes)
    app.include_router(meta.router)
    app.include_router(cdshooks.router)
    app.include_router(rest.router)
    app.include_router(knowledge.router)
    app.include_router(medication.router)
    app.include_router(consult.router)
    from huizhen.web.routes import router as web_router
    app.include_router(web_router)
    return app
