import io
import stat

import httpx
import numpy as np
import pytest
from PIL import Image

from longcut.agent.service.auth import load_tokens, owner_of
from longcut.errors import InputError

from tests.api.api_helpers import OTHER_TOKEN, TOKEN, headers


def png(size=(32, 32), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (*size, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buf, format=fmt)
    return buf.getvalue()


def post_job(server, body, token=TOKEN, **kw):
    return httpx.post(f"{server.url}/v1/jobs", json=body, headers=headers(token), **kw)


def upload(server, data: bytes, name="a.png", token=TOKEN):
    return httpx.post(f"{server.url}/v1/uploads", files={"file": (name, data, "image/png")}, headers=headers(token))


def test_every_v1_endpoint_needs_a_valid_token(gate_server):
    schema = httpx.get(f"{gate_server.url}/openapi.json").json()
    routes = [(m, p) for p, ops in schema["paths"].items() for m in ops]
    assert len(routes) >= 10
    for method, path in routes:
        url = gate_server.url + path.replace("{job_id}", "A" * 22).replace("{name}", "x").replace(
            "{upload_id}", "B" * 22)
        for auth in ({}, {"Authorization": "Bearer wrong-token-000000000000"}, {"Authorization": "Basic eDp5"}):
            r = httpx.request(method.upper(), url, headers=auth)
            if path == "/healthz":
                assert r.status_code == 200
            else:
                assert r.status_code == 401, (method, path, auth, r.status_code)
                assert r.headers["www-authenticate"] == "Bearer"


def test_jobs_are_invisible_to_other_tokens(gate_server):
    job = post_job(gate_server, {"request": "a red ball bounces on grass", "seconds": 2}).json()
    assert len(job["id"]) >= 22
    for path in (f"/v1/jobs/{job['id']}", f"/v1/jobs/{job['id']}/events", f"/v1/jobs/{job['id']}/result",
                 f"/v1/sessions/{job['session']}"):
        r = httpx.get(gate_server.url + path, headers=headers(OTHER_TOKEN))
        assert r.status_code == 404, path
    assert httpx.post(f"{gate_server.url}/v1/jobs/{job['id']}/cancel", headers=headers(OTHER_TOKEN)).status_code == 404
    mine = httpx.get(f"{gate_server.url}/v1/jobs", headers=headers(OTHER_TOKEN)).json()["jobs"]
    assert job["id"] not in {j["id"] for j in mine}
    # Queued jobs have no result yet; cancelling one ends it at once.
    r = httpx.get(f"{gate_server.url}/v1/jobs/{job['id']}/result", headers=headers())
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    cancelled = httpx.post(f"{gate_server.url}/v1/jobs/{job['id']}/cancel", headers=headers()).json()
    assert cancelled["status"] == "cancelled"


@pytest.mark.parametrize("path", [
    "/v1/jobs/..%2F..%2Fjobs.sqlite", "/v1/jobs/%2Fetc%2Fpasswd/result", "/v1/jobs/../../api-token",
    "/v1/sessions/..%2Fprojects", "/v1/sessions/%2Fetc", "/v1/jobs/....................../result/project",
])
def test_paths_named_by_the_client_are_never_read(gate_server, path):
    r = httpx.get(gate_server.url + path, headers=headers())
    assert r.status_code in (404, 422)
    assert b"root:" not in r.content and TOKEN.encode() not in r.content


def test_references_are_upload_ids_only(gate_server):
    for ref in ({"name": "hero", "upload_id": "../../api-token"}, {"name": "../x", "upload_id": "A" * 22},
                {"name": "hero", "path": "/etc/passwd"}):
        r = post_job(gate_server, {"request": "a red ball", "seconds": 2, "references": [ref]})
        assert r.status_code == 422
    theirs = upload(gate_server, png(), token=OTHER_TOKEN).json()["id"]
    r = post_job(gate_server, {"request": "a red ball", "seconds": 2, "references": [
        {"name": "hero", "upload_id": theirs}]})
    assert r.status_code == 422 and "no upload" in r.json()["detail"]


def test_uploads_are_checked_by_content(gate_server):
    ok = upload(gate_server, png())
    assert ok.status_code == 201 and ok.json()["format"] == "PNG"
    assert upload(gate_server, png(fmt="JPEG"), "b.jpg").json()["format"] == "JPEG"
    stored = gate_server.home / "uploads" / owner_of(TOKEN) / f"{ok.json()['id']}.png"
    assert stored.is_file()
    fakes = [b"#!/bin/sh\necho pwned\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, png((64, 64))[:6000], png(fmt="GIF"), b""]
    for data in fakes:
        r = upload(gate_server, data)
        assert r.status_code == 422 and "PNG or JPEG" in r.json()["detail"], (data[:8], r.text)
    big = png((320, 320))  # a real PNG, ~300 kB: over --max-upload-mb 0.25
    assert len(big) > 256 * 1024
    r = upload(gate_server, big)
    assert r.status_code == 413 and r.json()["limit"] == "max_upload_bytes"
    from tests.tools.test_images import png_claiming

    r = upload(gate_server, png_claiming(100_000, 100_000))  # a PNG bomb: its header says 10^10 pixels
    assert r.status_code == 422 and "is 100000x100000, too many pixels" in r.json()["detail"], r.text
    assert httpx.delete(f"{gate_server.url}/v1/uploads/{ok.json()['id']}", headers=headers()).status_code == 204
    assert not stored.exists()


def test_limits_are_4xx_that_name_the_limit(gate_server):
    r = post_job(gate_server, {"request": "a red ball", "seconds": 31})
    assert r.status_code == 422 and r.json()["limit"] == "max_seconds"
    r = post_job(gate_server, {"request": "a 40-second video of a red ball"})
    assert r.status_code == 422 and r.json()["limit"] == "max_seconds"
    ids = [upload(gate_server, png()).json()["id"] for _ in range(3)]
    refs = [{"name": f"r{i}", "upload_id": u} for i, u in enumerate(ids)]
    r = post_job(gate_server, {"request": "a red ball", "seconds": 2, "references": refs})
    assert r.status_code == 422 and r.json()["limit"] == "max_references"
    r = post_job(gate_server, {"request": "a red ball", "seconds": 2, "options": {"model": "os:system"}})
    assert r.status_code == 422 and r.json()["limit"] == "models" and "tests.fakes" in r.json()["detail"]
    r = httpx.post(f"{gate_server.url}/v1/jobs", content=b"{" + b" " * 300_000 + b"}",
                   headers={**headers(), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["limit"] == "max_request_bytes"
    codes = [post_job(gate_server, {"request": "a red ball", "seconds": 1}, OTHER_TOKEN).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]  # --max-active-jobs 3 per token (nothing runs: no workers)
    r = post_job(gate_server, {"request": "a red ball", "seconds": 1}, OTHER_TOKEN)
    assert r.json()["limit"] == "max_active_jobs"


def test_errors_carry_no_stack_traces(gate_server):
    for r in (httpx.post(f"{gate_server.url}/v1/jobs", content=b"{not json", headers={
                  **headers(), "Content-Type": "application/json"}),
              post_job(gate_server, {"request": "", "seconds": -1, "extra": 1}),
              httpx.get(f"{gate_server.url}/v1/jobs?limit=100000&cursor=x", headers=headers())):
        assert 400 <= r.status_code < 500
        assert "Traceback" not in r.text and "File \"" not in r.text


def test_token_file_is_created_private_and_refused_when_readable(tmp_path, monkeypatch):
    monkeypatch.delenv("LONGCUT_API_TOKEN", raising=False)
    first = load_tokens(tmp_path)
    assert first.created and len(first.created) >= 32
    path = tmp_path / "api-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_tokens(tmp_path)
    assert again.created is None and again.tokens == first.tokens
    assert again.owner(first.created) == owner_of(first.created) and again.owner("nope") is None
    path.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_tokens(tmp_path)
    monkeypatch.setenv("LONGCUT_API_TOKEN", "short")
    with pytest.raises(InputError, match="at least 16"):
        load_tokens(tmp_path)


def test_the_docs_page_loads_without_the_internet(gate_server):
    import re

    page = httpx.get(f"{gate_server.url}/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower()
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    urls = [a or b for a, b in urls]
    assert urls and not [u for u in urls if "://" in u or u.startswith("//")], urls  # nothing from a CDN
    for u in urls:
        r = httpx.get(gate_server.url + u)
        assert r.status_code == 200 and r.content, u
    assert "openapi" in httpx.get(gate_server.url + "/openapi.json").json()
    assert httpx.get(f"{gate_server.url}/redoc").status_code == 404  # its bundle exists only on a CDN
