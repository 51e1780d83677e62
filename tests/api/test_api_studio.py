"""The studio's routes: the page and its files (no token, strict headers, no client-named path), ``/v1/limits``
and ``PUT /v1/plans/{id}/storyboard`` (auth 401, another token's 404, bad input 422, a job generating the edit)."""

import fnmatch
import tomllib

import httpx

from longcut.agent.service import studio
from longcut.client import Client

from tests.api.api_helpers import FAST, OTHER_TOKEN, REPO, THREE_SHOTS, TOKEN, headers

ORACLE = "tests.fakes:WorldOracleModel"


def test_the_page_and_its_modules_are_served_with_a_strict_policy(gate_server):
    page = httpx.get(f"{gate_server.url}/studio", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="/studio/js/main.js">' in page.text
    js = httpx.get(f"{gate_server.url}/studio/js/api.js", timeout=30)
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "sessionStorage" in js.text
    for name in ("js/nope.js", "../app.py", "..%2fapp.py", "%2e%2e/%2e%2e/pyproject.toml", "studio.py", "js"):
        assert httpx.get(f"{gate_server.url}/studio/{name}", timeout=30).status_code == 404, name


def test_no_file_of_the_page_loads_anything_from_elsewhere():
    for path in studio.FILES.values():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text, path


def test_the_wheel_ships_every_file_of_the_page():
    """Each file under studio_static/ matches a package-data pattern of pyproject (else a wheel would lack it)."""
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = cfg["package-data"]["longcut.agent.service"]
    base = REPO / cfg["package-dir"]["longcut.agent.service"]
    files = {p.relative_to(base).as_posix() for p in (base / "studio_static").rglob("*") if p.is_file()}
    assert {"studio_static/index.html", "studio_static/js/main.js"} <= files
    missing = {f for f in files if not any(fnmatch.fnmatch(f, p) and f.count("/") == p.count("/") for p in patterns)}
    assert missing == set()
    assert set(studio.FILES) == {f.removeprefix("studio_static/") for f in files}


def test_limits_need_a_token(gate_server):
    assert httpx.get(f"{gate_server.url}/v1/limits", timeout=30).status_code == 401
    r = httpx.get(f"{gate_server.url}/v1/limits", headers=headers(), timeout=30)
    assert r.status_code == 200
    assert r.json()["models"] == [ORACLE] and r.json()["max_seconds"] == 30 and r.json()["max_references"] == 2


def _plan(server, body):
    r = httpx.post(f"{server.url}/v1/plans", json=body, headers=headers(), timeout=60)
    assert r.status_code == 201, r.text
    return r.json()


def _put(server, plan_id, board, token=TOKEN):
    return httpx.put(f"{server.url}/v1/plans/{plan_id}/storyboard", json={"storyboard": board},
                     headers=headers(token) if token else {}, timeout=60)


def test_editing_a_plan_needs_its_owner_and_a_valid_storyboard(gate_server):
    made = _plan(gate_server, {"request": THREE_SHOTS, "seconds": 6, "options": {"model": ORACLE}})
    board = made["storyboard"]
    assert _put(gate_server, made["id"], board, token=None).status_code == 401
    assert _put(gate_server, made["id"], board, token=OTHER_TOKEN).status_code == 404
    assert _put(gate_server, "p" + "0" * 20, board).status_code == 404
    bad_boards = [
        {**board, "shots": []},
        {**board, "shots": [board["shots"][0], board["shots"][0]]},  # repeated id
        {**board, "shots": [{**board["shots"][0], "seconds": -1}]},
        {**board, "shots": [{**board["shots"][0], "refs": ["nobody"]}]},  # not one of the plan's references
        {**board, "shots": [{**board["shots"][0], "continuous": True}]},  # the first shot continues nothing
        {**board, "title": "bad\x00title"},
        {**board, "extra": 1},
    ]
    for bad in bad_boards:
        r = _put(gate_server, made["id"], bad)
        assert r.status_code == 422, (bad, r.text)
    r = httpx.put(f"{gate_server.url}/v1/plans/{made['id']}/storyboard", headers={**headers(),
                  "Content-Type": "application/json"}, content='{"storyboard": {"shots": [], "fade_in": NaN}}', timeout=30)
    assert r.status_code == 422
    assert httpx.get(f"{gate_server.url}/v1/plans/{made['id']}", headers=headers(), timeout=30).json()["storyboard"] == board


def test_an_edited_plan_is_estimated_again_and_generated_as_edited(jobs_server):
    made = _plan(jobs_server, {"request": THREE_SHOTS, "seconds": 6, "options": {"model": FAST}})
    board = made["storyboard"]
    longer = {**board, "title": "<img src=x onerror=alert(1)> \"Home\"",
              "shots": [{**board["shots"][2], "seconds": 4.0}, board["shots"][0]]}  # reordered, one dropped, longer
    r = _put(jobs_server, made["id"], longer)
    assert r.status_code == 200, r.text
    edited = r.json()
    assert [s["id"] for s in edited["storyboard"]["shots"]] == ["s3", "s1"] == edited["generate"]
    assert edited["storyboard"]["title"] == longer["title"]
    assert [s["shot"] for s in edited["estimate"]["shots"]] == ["s3", "s1"]
    assert edited["estimate"]["shots"][0]["seconds"] == 4.0
    again = httpx.get(f"{jobs_server.url}/v1/plans/{made['id']}", headers=headers(), timeout=30).json()
    assert again["estimate"] == edited["estimate"] and again["storyboard"] == edited["storyboard"]
    job = httpx.post(f"{jobs_server.url}/v1/jobs", headers=headers(), timeout=30,
                     json={"request": THREE_SHOTS, "options": {"plan_id": made["id"]}})
    assert job.status_code == 202, job.text
    assert _put(jobs_server, made["id"], board).status_code == 404  # claimed by its job: no more edits
    with Client(jobs_server.url, TOKEN) as api:
        done = api.wait(job.json()["id"], timeout=120)
    assert done["status"] == "succeeded", done
    assert [s["id"] for s in done["storyboard"]["shots"]] == ["s3", "s1"]
    assert done["storyboard"]["title"] == longer["title"]

