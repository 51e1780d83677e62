"""The API's errors: ``ApiError`` (a status and a message for the client), the 422 body, and the handlers.

Every error answers JSON ``{"detail": …, "limit": …}``; ``limit`` names the
server limit that was hit. Unexpected errors answer a generic 500 and are
logged with their traceback, never sent.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from longcut.agent.service.queue import IdempotencyConflict, QueueLimit
from longcut.errors import InputError, LongcutError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An HTTP error with a message for the client (and the limit it hit, if any)."""

    def __init__(self, status: int, detail: str, limit: str | None = None, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.limit, self.headers = status, detail, limit, headers


def not_found(what: str, value: str) -> ApiError:
    """A 404 that quotes (the start of) the id the client sent."""
    return ApiError(404, f"no {what} {value[:64]!r}")


def _json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings ('nan', 'inf'): JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def validation_errors(err: RequestValidationError) -> list[dict[str, Any]]:
    """A 422's ``detail``: each error's place, a message that names the field, and the input given."""
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header"))
        out.append({"loc": list(e.get("loc", ())), "msg": f"{field}: {e.get('msg', '')}" if field else e.get("msg", ""),
                    "type": e.get("type"), "input": e.get("input"), "ctx": e.get("ctx")})
    return _json_safe(jsonable_encoder(out))


def add_error_handlers(app: FastAPI) -> None:
    """Answer every error as ``{"detail", "limit"}`` JSON with its status."""

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, err: ApiError) -> JSONResponse:
        return JSONResponse({"detail": err.detail, "limit": err.limit}, err.status, headers=err.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(err), "limit": None}, 422)

    @app.exception_handler(QueueLimit)
    async def _limit(_req: Request, err: QueueLimit) -> JSONResponse:
        return JSONResponse({"detail": str(err), "limit": err.limit}, 429)

    @app.exception_handler(LongcutError)
    async def _user_error(_req: Request, err: LongcutError) -> JSONResponse:
        status = 422 if isinstance(err, InputError | IdempotencyConflict) else 400
        return JSONResponse({"detail": str(err), "limit": getattr(err, "limit", None)}, status)

    @app.exception_handler(Exception)
    async def _bug(req: Request, err: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s", req.method, req.url.path, exc_info=err)
        return JSONResponse({"detail": "internal error; the server log has the details", "limit": None}, 500)
