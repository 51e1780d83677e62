"""``/v1/sessions/{name}/takes``: a session's takes, and each take's poster and preview clip.

A take is named by its take id (``<key>-t<attempt>``, ``ShotVersion.take_id``);
the server finds it among the project's versions and the take records its
chains write as each take finishes (``shots/<shot>/<take id>.json``), so a
running turn's takes show before the turn merges them. The poster (a
filmstrip of frames, JPEG) and the preview (a small low-bitrate MP4) are made
once per take by the media tools (``tools.thumbs``) into the project's
``previews/`` folder and served from there; they go with the session. Only
the session's owner sees any of it (another token: 404). Paths come from the
project, never from the client.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from longcut.agent.service.deps import Config, Owner, Store
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.models import SLUG_PATTERN, ErrorOut
from longcut.errors import InputError, LongcutError

router = APIRouter()

SessionName = Annotated[str, PathParam(pattern=SLUG_PATTERN)]
TakeId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{20}-t[0-9]{1,4}$", description="A take id from .../takes.")]
KINDS = {"poster.jpg": ("jpg", "image/jpeg"), "preview.mp4": ("mp4", "video/mp4")}


class TakeOut(BaseModel):
    """One generated take of a shot."""

    take_id: str
    shot: str
    attempt: int
    turn: int | None
    seed: int
    prompt: str
    passed: bool
    failed: list[str] = Field(description="The checks it failed, each with what it said.")
    cut: bool
    created: str
    poster: str
    preview: str


class TakesOut(BaseModel):
    """A session's takes, oldest first; which take each revision used; the turn running now (if any)."""

    session: str
    pending_turn: int | None
    revisions: dict[str, dict[str, str]] = Field(description="Revision number → shot id → the take it rendered.")
    takes: list[TakeOut]


def _project(cfg, store, name: str, owner: str):
    from longcut.agent.service.deps import project_of

    if store.session(name, owner) is None:
        raise not_found("session", name)
    project = project_of(cfg, name)
    if project is None:
        raise not_found("session", name)
    return project


def _takes(cfg, project) -> list:
    """The project's versions and the take records on disk that it has not merged yet."""
    from longcut.agent.state import ShotVersion
    from longcut.agent.store import ProjectStore

    seen = {v.take_id: v for v in project.versions}
    shots = ProjectStore(cfg.home / "projects").folder(project.name) / "shots"
    for record in sorted(shots.glob("*/*-t*.json")) if shots.is_dir() else []:
        if record.stem in seen:
            continue
        try:
            v = ShotVersion.model_validate_json(record.read_text(encoding="utf-8"))
        except ValueError:
            continue  # being written (records are renamed into place whole; a stray file is not ours)
        if v.take_id == record.stem:
            seen[v.take_id] = v
    return sorted(seen.values(), key=lambda v: (v.created, v.attempt))


def _out(name: str, v) -> TakeOut:
    base = f"/v1/sessions/{name}/takes/{v.take_id}"
    failed = [f"{c.name}: {c.detail}" if c.detail else c.name for c in v.checks if not c.passed]
    return TakeOut(take_id=v.take_id, shot=v.shot_id, attempt=v.attempt, turn=v.turn, seed=v.seed, prompt=v.prompt,
                   passed=v.passed, failed=failed, cut=v.cut, created=v.created, poster=f"{base}/poster.jpg",
                   preview=f"{base}/preview.mp4")


@router.get("/v1/sessions/{name}/takes", tags=["sessions"], responses={404: {"model": ErrorOut}})
def list_takes(owner: Owner, cfg: Config, store: Store, name: SessionName) -> TakesOut:
    """Every take of the session's shots (running turn included), with its checks and its poster and preview URLs."""
    project = _project(cfg, store, name, owner)
    return TakesOut(session=name, pending_turn=project.pending.n if project.pending is not None else None,
                    revisions={str(r.n): r.shot_keys for r in project.revisions},
                    takes=[_out(name, v) for v in _takes(cfg, project)])


@router.get("/v1/sessions/{name}/takes/{take_id}/{kind}", tags=["sessions"], response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}, "video/mp4": {}}}, 404: {"model": ErrorOut}})
async def take_media(owner: Owner, cfg: Config, store: Store, name: SessionName, take_id: TakeId,
                     kind: Annotated[str, PathParam(pattern=r"^(poster\.jpg|preview\.mp4)$")]) -> FileResponse:
    """A take's poster (a filmstrip, JPEG) or preview clip (small MP4), made on first ask and kept."""
    path = await to_thread.run_sync(_media, cfg, store, owner, name, take_id, kind)
    return FileResponse(path, media_type=KINDS[kind][1], headers={"Cache-Control": "private, max-age=3600"})


def _media(cfg, store, owner: str, name: str, take_id: str, kind: str) -> Path:
    from longcut.agent.store import ProjectStore
    from longcut.tools.paths import ProjectFolder
    from longcut.tools.thumbs import filmstrip, preview_clip

    project = _project(cfg, store, name, owner)
    take = next((v for v in _takes(cfg, project) if v.take_id == take_id), None)
    if take is None:
        raise not_found("take", take_id)
    folder = ProjectFolder(ProjectStore(cfg.home / "projects").folder(name))
    try:
        src = folder.resolve(take.file)
    except InputError as err:
        raise ApiError(410, f"the file of take {take_id!r} is no longer on the server") from err
    out = folder.resolve(f"previews/{take_id}.{KINDS[kind][0]}", must_exist=False)
    if not out.is_file():
        try:
            (filmstrip if kind == "poster.jpg" else preview_clip)(src, out)
        except LongcutError as err:
            raise ApiError(422, f"take {take_id!r} cannot be previewed: {err}") from err
    return out

