"""The HTTP job API (FastAPI): submit jobs, watch them, cancel them, fetch results, delete them.

``create_app(cfg, tokens, workers)`` builds the app and its ``WorkerPool``:
middleware, error handlers (``errors``) and one router per resource
(``uploads``, ``jobs``, ``sessions``, ``studio``: the web page); ``longcut serve`` runs it under uvicorn. Everything under ``/v1`` needs
``Authorization: Bearer <token>``; only ``/healthz`` (and the static schema
and docs pages) do not. A client names jobs, sessions and uploads by ids the
server made, never by paths, and sees only what its own token created
(anything else is 404). Errors are JSON ``{"detail": …, "limit": …}``;
``limit`` names the server limit that was hit. Unexpected errors answer a
generic 500 and are logged with their traceback, never sent. With
``cfg.retention_days`` set, the server also deletes old finished jobs
(``service.retention``).
"""

from __future__ import annotations

import contextlib

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from longcut import __version__
from longcut.agent.service import actions, jobs, plans, sessions, studio, takes, uploads
from longcut.agent.service.auth import Tokens
from longcut.agent.service.config import ServerConfig
from longcut.agent.service.errors import add_error_handlers
from longcut.agent.service.models import ErrorOut
from longcut.agent.service.queue import JobStore
from longcut.agent.service.retention import Sweeper, empty_trash

MAX_JSON_BYTES = 256 * 1024


class _BodyLimit:
    """Refuses request bodies over the limit before reading them (ASGI middleware)."""

    def __init__(self, app, upload_bytes: int) -> None:
        self.app, self.upload_bytes = app, upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            is_upload = scope["path"].rstrip("/") == "/v1/uploads"
            limit, name = (self.upload_bytes + 64 * 1024, "max_upload_bytes") if is_upload else (MAX_JSON_BYTES,
                                                                                               "max_request_bytes")
            length = headers.get(b"content-length")
            error = None
            if length is None and headers.get(b"transfer-encoding"):
                error = (411, "send a Content-Length header (chunked bodies are not accepted)")
            elif length is not None and (not length.isdigit() or int(length) > limit):
                error = (413, f"the request body is over the limit {name}={limit - (64 * 1024 if is_upload else 0)}")
            if error:
                resp = JSONResponse({"detail": error[1], "limit": name if error[0] == 413 else None}, error[0])
                await resp(scope, receive, send)
                return
        await self.app(scope, receive, send)


DOCS_ASSETS = "/docs-assets"


def _self_hosted_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the files of the ``swagger-ui-bundle-v2`` package, so it works offline.

    FastAPI's default page loads Swagger UI from a CDN (FastAPI's "self-hosting
    JavaScript and CSS for docs" recipe). ReDoc is not offered: no package
    ships its bundle. Like ``/openapi.json``, the page needs no token.
    """
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - docs",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def health(request: Request) -> dict[str, str | int]:
    """Liveness and the number of live workers (no token needed)."""
    pool = getattr(request.app.state, "pool", None)
    return {"status": "ok", "workers": len(pool.pids()) if pool is not None else 0}


def create_app(cfg: ServerConfig, tokens: Tokens, workers: int = 0) -> FastAPI:
    """The job API over the queue at ``cfg.db_path``, running ``workers`` worker processes while it serves.

    The workers start with the app and stop with it (lifespan), so a graceful
    shutdown returns their running jobs to the queue before the process exits.
    The retention sweep, if any, runs in a thread of this process.
    """
    store = JobStore(cfg.db_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        from longcut.agent.service.worker import WorkerPool

        await to_thread.run_sync(empty_trash, cfg.home, store)  # files a crash left after a delete
        sweeper = Sweeper(cfg) if cfg.retention_days > 0 else None
        if sweeper is not None:
            sweeper.start()
        pool = WorkerPool(cfg, workers)
        await to_thread.run_sync(pool.start)
        app.state.pool = pool
        try:
            yield
        finally:
            await to_thread.run_sync(pool.stop)
            if sweeper is not None:
                await to_thread.run_sync(sweeper.stop)

    app = FastAPI(title="longcut job API", version=__version__, lifespan=lifespan,
                  description="Submit long-video jobs, follow their progress, cancel them and fetch results.",
                  responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
                  docs_url=None, redoc_url=None)  # /docs is served from local files below
    _self_hosted_docs(app)
    app.add_middleware(_BodyLimit, upload_bytes=cfg.max_upload_bytes)
    app.state.tokens, app.state.cfg, app.state.store = tokens, cfg, store
    add_error_handlers(app)
    app.get("/healthz", tags=["health"])(health)
    for router in (uploads.router, jobs.router, plans.router, sessions.router, actions.router, takes.router,
                   studio.router):
        app.include_router(router)
    return app

