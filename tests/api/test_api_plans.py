"""``POST /v1/plans``: auth, validation, per-token isolation; a job started from a plan generates it unchanged."""

import httpx
import pytest

from longcut.client import Client

from tests.api.api_helpers import FAST, OTHER_TOKEN, THREE_SHOTS, TOKEN, headers

ORACLE = "tests.fakes:WorldOracleModel"


def plan(server, body, token=TOKEN):
    return httpx.post(f"{server.url}/v1/plans", json=body, headers=headers(token), timeout=60)


def test_plans_need_a_token_and_a_valid_body(gate_server):
    body = {"request": THREE_SHOTS, "seconds": 6, "options": {"model": ORACLE}}
    assert httpx.post(f"{gate_server.url}/v1/plans", json=body, timeout=30).status_code == 401
    for bad in ({"request": "  "}, {"request": "a ball", "seconds": -1}, {"request": "a ball", "extra": 1},
                {"request": "a ball", "options": {"model": "nope"}}, {"request": "a ball", "seconds": 31}):
        r = plan(gate_server, bad)
        assert r.status_code == 422, (bad, r.text)
    r = plan(gate_server, {"request": "a ball", "options": {"model": "nope"}})
    assert r.json()["limit"] == "models"


def test_a_plan_is_its_owners_only(gate_server):
    r = plan(gate_server, {"request": THREE_SHOTS, "seconds": 6, "options": {"model": ORACLE}})
    assert r.status_code == 201, r.text
    made = r.json()
    assert [s["id"] for s in made["storyboard"]["shots"]] == ["s1", "s2", "s3"] == made["generate"]
    assert made["estimate"]["backend"] == "oracle" and len(made["estimate"]["shots"]) == 3
    url = f"{gate_server.url}/v1/plans/{made['id']}"
    assert httpx.get(url, headers=headers(), timeout=30).json()["storyboard"] == made["storyboard"]
    assert httpx.get(url, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
    other = httpx.post(f"{gate_server.url}/v1/jobs", headers=headers(OTHER_TOKEN), timeout=30,
                       json={"request": THREE_SHOTS, "options": {"plan_id": made["id"]}})
    assert other.status_code == 404
    wrong = httpx.post(f"{gate_server.url}/v1/jobs", headers=headers(), timeout=30,
                       json={"request": "another video", "options": {"plan_id": made["id"]}})
    assert wrong.status_code == 422 and "another request" in wrong.json()["detail"]


def test_a_job_from_a_plan_generates_exactly_the_planned_shots(jobs_server):
    r = plan(jobs_server, {"request": THREE_SHOTS, "seconds": 6, "options": {"model": FAST, "seed": 3}})
    assert r.status_code == 201, r.text
    made = r.json()
    body = {"request": THREE_SHOTS, "options": {"plan_id": made["id"]}}
    job = httpx.post(f"{jobs_server.url}/v1/jobs", json=body, headers=headers(), timeout=30)
    assert job.status_code == 202, job.text
    assert job.json()["session"] == made["id"]
    with Client(jobs_server.url, TOKEN) as api:
        done = api.wait(job.json()["id"], timeout=120)
        assert done["status"] == "succeeded", done
        final = api.status(job.json()["id"])
    assert final["storyboard"] == made["storyboard"]
    assert [s["shot"] for s in final["cost"]["shots"]] == ["s1", "s2", "s3"]
    assert all(s["tries"] >= 1 and s["wall_seconds"] > 0 and s["chunks"] >= 1 for s in final["cost"]["shots"])
    assert final["cost"]["wall_seconds"] > 0
    again = httpx.post(f"{jobs_server.url}/v1/jobs", json=body, headers=headers(), timeout=30)
    assert again.status_code == 404  # a plan starts one job


@pytest.mark.parametrize("options", [{"max_tries": 1}])
def test_a_job_over_its_budget_fails_before_generation(jobs_server, options):
    with Client(jobs_server.url, TOKEN) as api:
        job = httpx.post(f"{jobs_server.url}/v1/jobs", headers=headers(), timeout=30,
                         json={"request": THREE_SHOTS, "seconds": 6, "options": {"model": FAST, **options}}).json()
        done = api.wait(job["id"], timeout=120)
    assert done["status"] == "failed" and "max-tries is 1: nothing was generated" in done["error"]
