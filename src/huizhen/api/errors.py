"""Errors to HTTP responses, in one place.

Every error body has the same shape, ``{"error": {"type", "message", "field",
"value"}}``, so an EHR integrator can show the message as is.  Library errors
carry their own status (``HuizhenError.http_status``); request validation is
422 naming the JSON path and the offending value; anything unexpected is a
500 with an incident id that is also in the server log — never a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huizhen.errors import HuizhenError, InputError

log = logging.getLogger("huizhen.api")


class PrefetchMissingError(InputError):
    """CDS Hooks: data the service needs was neither prefetched nor fetchable."""

    http_status = 412


class PayloadTooLargeError(InputError):
    http_status = 413


def _short(value: Any) -> Any:
    text = repr(value)
    return value if len(text) <= 200 else text[:197] + "..."


def error_body(kind: str, message: str, field: str | None = None, value: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "message": message}
    if field is not None:
        body["field"] = field
    if value is not None:
        body["value"] = _short(value)
    return {"error": body}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


async def _huizhen(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, HuizhenError)
    headers = {"WWW-Authenticate": "Bearer"} if err.http_status == 401 else None
    body = error_body(type(err).__name__, err.render(), err.field, err.value)
    if err.http_status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, err.render())
    return JSONResponse(body, status_code=err.http_status, headers=headers)


async def _validation(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    first = err.errors()[0]
    loc = tuple(first.get("loc", ()))
    field = _path(loc)
    value = None if first.get("type") == "missing" else first.get("input")
    message = f"{field}: {first.get('msg')}"
    if value is not None:
        message = f"{field}={_short(value)!r}: {first.get('msg')}"
    status = 400 if first.get("type") == "json_invalid" else 422
    body = error_body("InputError", message, field, value)
    body["error"]["problems"] = len(err.errors())
    return JSONResponse(body, status_code=status)


async def _http(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    return JSONResponse(error_body("HTTPError", str(err.detail)), status_code=err.status_code,
                        headers=getattr(err, "headers", None))


async def _unexpected(request: Request, err: Exception) -> JSONResponse:
    incident = uuid.uuid4().hex[:12]
    log.exception("incident %s: %s %s", incident, request.method, request.url.path)
    return JSONResponse(
        error_body("InternalError", f"internal error; incident {incident} is in the server log"),
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Register the one mapping from exceptions to responses."""
    app.add_exception_handler(HuizhenError, _huizhen)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
