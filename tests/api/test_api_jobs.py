import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image

from longcut.client import ApiError, Client
from longcut.tools.media import probe

from tests.api.api_helpers import (
    BAD_EXTENSION,
    FAST,
    SLOW,
    THREE_SHOTS,
    TOKEN,
    finished_shots,
    generations,
    headers,
)


def test_submit_events_result(client, jobs_server, tmp_path):
    job = client.submit("a red ball bounces on grass", seconds=2, model=FAST)
    assert job["status"] == "queued" and len(job["id"]) >= 22
    events = list(client.events(job["id"]))
    stages = [e["stage"] for e in events]
    assert stages[0] == "job" and stages[-1] == "job" and events[-1]["data"]["status"] == "succeeded"
    assert {"plan", "shots", "render", "done"} <= set(stages)
    shot = next(e for e in events if e["stage"] == "shots")
    assert shot["shot_index"] == 1 and shot["shots"] == 1
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    # Resumable: Last-Event-ID replays only what came after.
    assert [e["id"] for e in client.events(job["id"], last_event_id=3)] == [e["id"] for e in events[3:]]
    status = client.status(job["id"])
    assert status["status"] == "succeeded" and status["progress"]["percent"] == 100
    assert status["storyboard"]["shots"][0]["id"] == "s1" and status["revision"] == 1
    out = client.download(job["id"], tmp_path / "out.mp4")
    assert probe(out).duration == pytest.approx(2.0, abs=0.2)
    part = httpx.get(f"{jobs_server.url}/v1/jobs/{job['id']}/result", headers={**headers(), "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == out.read_bytes()[10:20]
    project = client.project(job["id"])
    assert project["revisions"][0]["render"] == "renders/turn-1.mp4"


def test_idempotency_key_gives_one_job(jobs_server):
    url, body = f"{jobs_server.url}/v1/jobs", {"request": "a blue square moves left on sand", "seconds": 1,
                                               "options": {"model": FAST}}
    key = {"Idempotency-Key": "order-42", **headers()}
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: httpx.post(url, json=body, headers=key, timeout=30), range(4)))
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 202]
    assert len({r.json()["id"] for r in replies}) == 1
    clash = httpx.post(url, json={**body, "seconds": 2}, headers=key)
    assert clash.status_code == 422 and "Idempotency-Key" in clash.json()["detail"]
    other = httpx.post(url, json=body, headers={**key, "Authorization": "Bearer test-token-bob-0123456789ab"})
    assert other.status_code == 202 and other.json()["id"] != replies[0].json()["id"]  # keys are per token
    with Client(jobs_server.url, TOKEN) as api:
        assert api.wait(replies[0].json()["id"], timeout=60)["status"] == "succeeded"


def test_cancel_stops_a_running_job_and_serves_no_result(client, jobs_server):
    job = client.submit(THREE_SHOTS, seconds=6, model=SLOW)
    for event in client.events(job["id"]):
        if event["stage"] == "shots":
            break
    started = time.monotonic()
    client.cancel(job["id"])
    final = client.wait(job["id"], timeout=30)
    assert final["status"] == "cancelled" and time.monotonic() - started < 10
    with pytest.raises(ApiError) as err:
        client.download(job["id"], jobs_server.home / "never.mp4")
    assert err.value.status == 409 and not (jobs_server.home / "never.mp4").exists()
    renders = list((jobs_server.home / "projects" / job["session"] / "renders").glob("*.mp4"))
    assert renders == []


def test_a_session_turn_regenerates_only_what_changed(client):
    first = client.wait(client.submit("a red ball bounces on grass, then it moves left", seconds=4,
                                      model=FAST)["id"], timeout=60)
    assert first["status"] == "succeeded"
    turn = client.refine(first["session"], "add a title 'Home'")
    assert turn["kind"] == "refine" and turn["session"] == first["session"]
    done = client.wait(turn["id"], timeout=60)
    assert done["status"] == "succeeded" and done["revision"] == 2
    revisions = client.session(first["session"])["revisions"]
    assert [r["n"] for r in revisions] == [1, 2] and revisions[1]["regenerated"] == []


def test_twenty_concurrent_jobs_all_complete(jobs_server):
    def one(i: int) -> str:
        with Client(jobs_server.url, TOKEN) as api:
            job = api.submit("a green star moves up on stone", seconds=1, seed=i, model=FAST)
            return api.wait(job["id"], timeout=120)["status"]

    with ThreadPoolExecutor(20) as pool:
        assert list(pool.map(one, range(20))) == ["succeeded"] * 20
    with Client(jobs_server.url, TOKEN) as api:  # the list pages through all of them, newest first
        seen, cursor = [], None
        while True:
            page = api.jobs(limit=7, cursor=cursor, status="succeeded")
            seen += [j["id"] for j in page["jobs"]]
            if not (cursor := page["next_cursor"]):
                break
    assert len(seen) == len(set(seen)) >= 20


def test_a_worker_killed_mid_job_resumes_without_regenerating_finished_shots(client, jobs_server):
    job = client.submit(THREE_SHOTS, seconds=6, model=SLOW, seed=7)
    for event in client.events(job["id"]):
        if event["stage"] == "shots" and event["shot_index"] == 2:
            break
    (pid,) = jobs_server.db("SELECT worker_pid FROM jobs WHERE id=?", job["id"])[0]
    os.kill(pid, signal.SIGKILL)
    finished = finished_shots(jobs_server.home, job["session"])
    final = client.wait(job["id"], timeout=90)
    assert final["status"] == "succeeded" and final["attempts"] == 2
    made = generations(jobs_server.home, final["storyboard"]["shots"])
    assert "s1" in finished and all(made[s] == 1 for s in finished), (finished, made)  # reused from disk
    assert len(made) <= sum(made.values()) <= len(made) + 1, made  # only the shot cut short was made again


def test_a_reference_image_is_uploaded_and_copied_into_the_jobs_folder(client, jobs_server, tmp_path):
    image = tmp_path / "hero.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(image)
    job = client.submit("the hero, a red ball, bounces on grass", seconds=1, model=FAST,
                        references={"hero": image})
    assert job["request"]["references"][0]["name"] == "hero"
    assert client.wait(job["id"], timeout=60)["status"] == "succeeded"
    refs = {r["id"]: r for r in client.project(job["id"])["references"]}
    assert refs["hero"]["source"] == "supplied" and refs["hero"]["image"] == "refs/hero.png"
    assert (jobs_server.home / "projects" / job["session"] / "refs" / "hero.png").is_file()
    assert client.status(job["id"])["storyboard"]["shots"][0]["refs"] == ["hero"]


def test_keep_continuity_reaches_the_shots(client):
    """A continuous shot whose extensions all fail gets a fresh try (a cut) unless the job keeps continuity."""
    request = "a 12-second video: a red ball crosses a meadow, night falls, then it bounces back home"
    cuts = {}
    for keep in (False, True):
        job = client.submit(request, model=BAD_EXTENSION, keep_continuity=keep)
        assert list(client.events(job["id"]))[-1]["data"]["status"] == "succeeded"
        takes = [v for v in client.project(job["id"])["versions"] if v["shot_id"] == "s2"]
        cuts[keep] = [v["cut"] for v in sorted(takes, key=lambda v: v["attempt"])]
    assert cuts == {False: [False, False, False, True], True: [False, False, False]}
