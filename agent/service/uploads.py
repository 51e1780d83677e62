"""``/v1/uploads``: store a reference image, delete it (the files themselves: ``upload_store``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile

from longcut.agent.service.deps import Config, Owner
from longcut.agent.service.errors import ApiError, not_found
from longcut.agent.service.models import ID_PATTERN, UploadOut
from longcut.agent.service.upload_store import delete_upload, store_upload

router = APIRouter()


@router.post("/v1/uploads", status_code=201, tags=["uploads"])
def upload(owner: Owner, cfg: Config, file: Annotated[UploadFile, File(description="A PNG or JPEG image.")]) -> UploadOut:
    """Store a reference image; jobs name it by the returned id."""
    data = file.file.read(cfg.max_upload_bytes + 1)
    if len(data) > cfg.max_upload_bytes:
        raise ApiError(413, f"the upload is over the limit max_upload_bytes={cfg.max_upload_bytes}",
                       "max_upload_bytes")
    up = store_upload(cfg.home, owner, data, cfg.max_upload_bytes, cfg.max_image_pixels, cfg.max_uploads)
    return UploadOut(id=up.id, bytes=up.bytes, width=up.width, height=up.height, format=up.format)

@router.delete("/v1/uploads/{upload_id}", status_code=204, tags=["uploads"])
def remove_upload(owner: Owner, cfg: Config, upload_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> None:
    """Delete an upload (jobs already submitted keep their copy once they started)."""
    if not delete_upload(cfg.home, owner, upload_id):
        raise not_found("upload", upload_id)
