"""``/studio``: the creators' web page, one more client of the job API (static ES modules, no build step).

The page and its modules are files of the package (``studio_static/``),
served as they are: nothing is fetched from the internet, nothing is
compiled at install. The page holds no user data, so it needs no token; it
asks for one, keeps it in the tab's ``sessionStorage`` and sends it as the
``Authorization`` header of every API call, never in a URL and never as a
cookie (so a request from another site carries no credential: CSRF has
nothing to ride on).

A file is looked up by name in the list of files the package ships, made
once at import; a name the client sends never becomes a path. Every answer
carries a strict Content-Security-Policy (scripts and styles from this
origin only, no inline script), so even text that slipped into the page as
markup could not run.

``GET /v1/limits`` tells the page what this server offers (models,
planners, the longest video, references, whether a vision judge exists).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from longcut.agent.service.deps import Config, Owner
from longcut.agent.service.errors import not_found

STATIC = Path(__file__).with_name("studio_static")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; "
       "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}


def _shipped() -> dict[str, Path]:
    """Every file of ``studio_static/`` by its relative name (``js/api.js``), of the types above."""
    return {p.relative_to(STATIC).as_posix(): p for p in sorted(STATIC.rglob("*"))
            if p.is_file() and p.suffix in TYPES}


FILES = _shipped()

router = APIRouter()


def _file(name: str) -> Response:
    path = FILES.get(name)
    if path is None:
        raise not_found("studio file", name)
    return Response(path.read_bytes(), media_type=TYPES[path.suffix], headers=HEADERS)


@router.get("/studio", include_in_schema=False)
def page() -> Response:
    """The studio page (no token needed: it holds no user data; it asks for one)."""
    return _file("index.html")


@router.get("/studio/{name:path}", include_in_schema=False)
def asset(name: str) -> Response:
    """One of the page's own files, by its name in the package's list (404 for any other name)."""
    return _file(name)


@router.get("/v1/limits", tags=["studio"])
def limits(owner: Owner, cfg: Config) -> dict:
    """What this server offers a new video: models, planners, the longest video, references, uploads, judges."""
    return {"models": list(cfg.models), "planners": list(cfg.planners), "max_seconds": cfg.max_seconds,
            "max_references": cfg.max_references, "max_upload_bytes": cfg.max_upload_bytes,
            "vision_judge": cfg.offers_vision_judge()}
