"""``/v1/sessions/{name}/takes`` and each take's poster and preview: owner only, made once, served with Range."""

import io

import httpx
from PIL import Image

from longcut.client import Client

from tests.api.api_helpers import FAST, OTHER_TOKEN, THREE_SHOTS, TOKEN, headers


def _finished_job(server):
    with Client(server.url, TOKEN) as api:
        job = api.submit(THREE_SHOTS, seconds=6, model=FAST)
        done = api.wait(job["id"], timeout=120)
    assert done["status"] == "succeeded", done
    return done


def test_takes_are_listed_for_their_owner_with_their_verdicts(jobs_server):
    job = _finished_job(jobs_server)
    url = f"{jobs_server.url}/v1/sessions/{job['session']}/takes"
    assert httpx.get(url, timeout=30).status_code == 401
    assert httpx.get(url, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
    assert httpx.get(f"{jobs_server.url}/v1/sessions/nobody/takes", headers=headers(), timeout=30).status_code == 404
    assert httpx.get(f"{jobs_server.url}/v1/sessions/Bad!/takes", headers=headers(), timeout=30).status_code == 422
    out = httpx.get(url, headers=headers(), timeout=30).json()
    assert out["pending_turn"] is None
    rendered = out["revisions"]["1"]
    assert set(rendered) == {"s1", "s2", "s3"}
    by_id = {t["take_id"]: t for t in out["takes"]}
    assert set(rendered.values()) <= set(by_id)
    for shot, take_id in rendered.items():
        take = by_id[take_id]
        assert take["shot"] == shot and take["turn"] == 1
        assert take["passed"] == (take["failed"] == [])
        assert take["poster"] == f"/v1/sessions/{job['session']}/takes/{take_id}/poster.jpg"


def test_a_takes_poster_and_preview_are_made_once_and_only_for_its_owner(jobs_server):
    job = _finished_job(jobs_server)
    out = httpx.get(f"{jobs_server.url}/v1/sessions/{job['session']}/takes", headers=headers(), timeout=30).json()
    take = out["takes"][0]
    poster = f"{jobs_server.url}{take['poster']}"
    assert httpx.get(poster, timeout=30).status_code == 401
    assert httpx.get(poster, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
    r = httpx.get(poster, headers=headers(), timeout=60)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    strip = Image.open(io.BytesIO(r.content))
    assert strip.height == 96 and strip.width == 4 * strip.height  # 4 square frames side by side
    cached = jobs_server.home / "projects" / job["session"] / "previews" / f"{take['take_id']}.jpg"
    made = cached.stat().st_mtime_ns
    assert httpx.get(poster, headers=headers(), timeout=60).content == r.content
    assert cached.stat().st_mtime_ns == made  # served from the cache, not made again
    preview = f"{jobs_server.url}{take['preview']}"
    clip = httpx.get(preview, headers=headers(), timeout=60)
    assert clip.status_code == 200 and clip.headers["content-type"] == "video/mp4" and clip.content[4:8] == b"ftyp"
    part = httpx.get(preview, headers={**headers(), "Range": "bytes=0-99"}, timeout=60)
    assert part.status_code == 206 and part.content == clip.content[:100]
    base = f"{jobs_server.url}/v1/sessions/{job['session']}/takes"
    assert httpx.get(f"{base}/{'0' * 20}-t1/poster.jpg", headers=headers(), timeout=30).status_code == 404
    for bad in (f"{base}/../../etc/passwd", f"{base}/{take['take_id']}/other.png", f"{base}/x-t1/poster.jpg"):
        assert httpx.get(bad, headers=headers(), timeout=30).status_code in (404, 422), bad
