"""Deleting jobs (DELETE /v1/jobs/{id}, ``Client.delete``, ``longcut delete``) and the retention sweep."""

import os
import sqlite3
import time

import httpx
import pytest

from longcut.agent.cli.app import main
from longcut.agent.service.auth import owner_of
from longcut.agent.service.config import ServerConfig
from longcut.agent.service.queue import JobActive, JobStore, NoSession
from longcut.agent.service.retention import DAY, sweep
from longcut.client import ApiError

from tests.api.api_helpers import (
    FAST,
    OTHER_TOKEN,
    SLOW,
    THREE_SHOTS,
    TOKEN,
    Server,
    headers,
    wait_for,
)
from tests.api.test_api_security import png, post_job


def test_the_queue_deletes_only_finished_jobs_and_notes_their_files(tmp_path):
    store, owner = JobStore(tmp_path / "jobs.sqlite"), "a" * 32
    make, _ = store.submit(owner, "make", {"request": "x"}, "s1", 10)
    turn, _ = store.submit(owner, "refine", {"feedback": "y"}, "s1", 10)
    with pytest.raises(JobActive):  # queued
        store.delete(make.id, owner)
    claimed = store.claim(1, 30, 3)
    with pytest.raises(JobActive):  # running: the state is checked in the deleting transaction
        store.delete(make.id, owner)
    store.finish(make.id, claimed.claim, "succeeded", render="renders/turn-1.mp4", revision=1)
    assert store.delete(make.id, "b" * 32) is None and store.get(make.id) is not None  # not its owner
    assert store.delete(make.id, owner).id == make.id and store.get(make.id) is None
    assert [(t.session, t.render) for t in store.trash()] == [("s1", "renders/turn-1.mp4")]  # s1 lives on
    store.untrash(store.trash()[0].n)
    store.cancel(turn.id, owner)
    store.delete(turn.id, owner)  # the session's last job: the whole session goes
    assert [(t.session, t.render) for t in store.trash()] == [("s1", None)] and store.session("s1", owner) is None
    with pytest.raises(NoSession):
        store.submit(owner, "refine", {"feedback": "z"}, "s1", 10)


def gone(server, job_id: str) -> bool:
    return all(httpx.get(f"{server.url}/v1/jobs/{job_id}{p}", headers=headers()).status_code == 404
               for p in ("", "/result", "/result/project"))


def threads(home, session: str) -> list[str]:
    with sqlite3.connect(home / "checkpoints.sqlite") as db:
        return [r[0] for r in db.execute("SELECT DISTINCT thread_id FROM checkpoints WHERE thread_id LIKE ?",
                                         (f"{session}:%",))]


def test_deleting_a_finished_job_removes_its_files(client, jobs_server):
    job = client.submit("a red ball bounces on grass", seconds=1, model=FAST)
    assert client.wait(job["id"], timeout=60)["status"] == "succeeded"
    folder = jobs_server.home / "projects" / job["session"]
    assert (folder / "renders" / "turn-1.mp4").is_file() and threads(jobs_server.home, job["session"])
    client.delete(job["id"])
    assert not folder.exists() and threads(jobs_server.home, job["session"]) == []
    assert gone(jobs_server, job["id"]) and job["id"] not in {j["id"] for j in client.jobs(limit=100)["jobs"]}
    with pytest.raises(ApiError) as err:
        client.session(job["session"])
    assert err.value.status == 404
    with pytest.raises(ApiError) as err:
        client.delete(job["id"])
    assert err.value.status == 404 and jobs_server.db("SELECT COUNT(*) FROM trash") == [(0,)]


def test_a_session_keeps_its_files_until_its_last_job_is_deleted(client, jobs_server):
    make = client.submit("a blue square moves left on sand", seconds=1, model=FAST)
    assert client.wait(make["id"], timeout=60)["status"] == "succeeded"
    turn = client.refine(make["session"], "add a title 'Sand'")
    assert client.wait(turn["id"], timeout=60)["status"] == "succeeded"
    folder = jobs_server.home / "projects" / make["session"]
    client.delete(make["id"])  # the session's next turns need its shots: only its video goes
    assert not (folder / "renders" / "turn-1.mp4").exists() and (folder / "renders" / "turn-2.mp4").is_file()
    assert [j["id"] for j in client.session(make["session"])["jobs"]] == [turn["id"]]
    assert client.project(turn["id"])["revisions"][-1]["render"] == "renders/turn-2.mp4"
    client.delete(turn["id"])
    assert not folder.exists() and gone(jobs_server, turn["id"])
    with pytest.raises(ApiError) as err:
        client.refine(make["session"], "make it green")
    assert err.value.status == 404


def test_a_running_job_is_deleted_only_once_cancelled(client, jobs_server):
    job = client.submit(THREE_SHOTS, seconds=6, model=SLOW)
    for event in client.events(job["id"]):
        if event["stage"] == "shots":
            break
    r = httpx.delete(f"{jobs_server.url}/v1/jobs/{job['id']}", headers=headers())
    assert r.status_code == 409 and "running" in r.json()["detail"] and "cancel" in r.json()["detail"]
    client.cancel(job["id"])
    assert client.wait(job["id"], timeout=30)["status"] == "cancelled"
    client.delete(job["id"])
    assert not (jobs_server.home / "projects" / job["session"]).exists() and gone(jobs_server, job["id"])


def test_a_queued_job_needs_a_cancel_and_other_tokens_see_nothing(gate_server):
    job = post_job(gate_server, {"request": "a red ball bounces on grass", "seconds": 2}).json()
    url = f"{gate_server.url}/v1/jobs/{job['id']}"
    assert httpx.delete(url, headers=headers(OTHER_TOKEN)).status_code == 404  # as for an unknown id
    assert httpx.delete(f"{gate_server.url}/v1/jobs/{'A' * 22}", headers=headers()).status_code == 404
    r = httpx.delete(url, headers=headers())
    assert r.status_code == 409 and "queued" in r.json()["detail"]
    assert httpx.post(f"{url}/cancel", headers=headers()).json()["status"] == "cancelled"
    assert httpx.delete(url, headers=headers(OTHER_TOKEN)).status_code == 404
    assert httpx.delete(url, headers=headers()).status_code == 204
    assert httpx.get(url, headers=headers()).status_code == 404


def test_delete_from_the_command_line(gate_server, capsys, monkeypatch):
    monkeypatch.setenv("LONGCUT_API_TOKEN", TOKEN)
    job_id = post_job(gate_server, {"request": "a red ball bounces on grass", "seconds": 2}).json()["id"]

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main(["delete", *args, "--server", gate_server.url])
        return exc.value.code

    assert run(job_id) == 2 and "cancel it first" in capsys.readouterr().err
    httpx.post(f"{gate_server.url}/v1/jobs/{job_id}/cancel", headers=headers())
    assert run(job_id) in (0, None) and f"deleted job {job_id}" in capsys.readouterr().out
    assert run(job_id) == 2 and "no job" in capsys.readouterr().err


def test_the_sweep_deletes_old_finished_jobs_and_stale_uploads(client, jobs_server, tmp_path):
    (tmp_path / "a.png").write_bytes(png())
    old_upload, fresh_upload, used_upload = (client.upload(tmp_path / "a.png") for _ in range(3))
    old = client.submit("a green star moves up on stone", seconds=1, model=FAST)
    recent = client.submit("a green star moves down on stone", seconds=1, model=FAST)
    assert [client.wait(j["id"], timeout=60)["status"] for j in (old, recent)] == ["succeeded"] * 2
    running = client.submit(THREE_SHOTS, seconds=6, model=SLOW, references={"hero": used_upload})
    wait_for(lambda: client.status(running["id"])["status"] == "running", 30, "the slow job to start")
    month_ago = time.time() - 30 * DAY
    jobs_server.db("UPDATE jobs SET finished=?, created=? WHERE id=?", month_ago, month_ago, old["id"])
    jobs_server.db("UPDATE jobs SET created=? WHERE id=?", month_ago, running["id"])
    uploads = jobs_server.home / "uploads" / owner_of(TOKEN)
    for u in (old_upload, used_upload):
        os.utime(uploads / f"{u}.png", (month_ago, month_ago))

    cfg = ServerConfig(home=jobs_server.home)
    swept = sweep(cfg, JobStore(cfg.db_path), max_age=7 * DAY)
    assert swept.jobs == [old["id"]] and swept.uploads == [old_upload]
    assert gone(jobs_server, old["id"]) and not (jobs_server.home / "projects" / old["session"]).exists()
    assert client.status(recent["id"])["status"] == "succeeded" and client.status(running["id"])
    assert (uploads / f"{fresh_upload}.png").is_file() and (uploads / f"{used_upload}.png").is_file()
    # The clock is injectable: a year from now the recent job is old too; the running one never is.
    later = sweep(cfg, JobStore(cfg.db_path), max_age=7 * DAY, now=time.time() + 365 * DAY)
    assert recent["id"] in later.jobs and running["id"] not in later.jobs
    client.cancel(running["id"])
    client.wait(running["id"], timeout=30)


def test_the_server_sweeps_at_start_with_retention_days(tmp_path):
    home = tmp_path / "home"
    store = JobStore(home / "jobs.sqlite")
    owner = owner_of(TOKEN)
    job, _ = store.submit(owner, "make", {"request": "x", "references": []}, "sold", 5, model="tiny")
    claimed = store.claim(1, 30, 3)
    store.finish(job.id, claimed.claim, "succeeded", render="renders/turn-1.mp4", revision=1)
    long_ago = time.time() - 10 * DAY
    with sqlite3.connect(home / "jobs.sqlite") as db:
        db.execute("UPDATE jobs SET finished=? WHERE id=?", (long_ago, job.id))
    (home / "projects" / "sold" / "renders").mkdir(parents=True)
    (home / "projects" / "sold" / "renders" / "turn-1.mp4").write_bytes(b"video")
    (home / "projects" / "local-session").mkdir()  # a `longcut make` project the queue knows nothing of
    (home / "projects" / "sleft" / "shots").mkdir(parents=True)  # a delete whose removal a crash cut short
    with sqlite3.connect(home / "jobs.sqlite") as db:
        db.execute("INSERT INTO trash (session, render) VALUES ('sleft', NULL)")
    with Server(home, 0, FAST, "--retention-days", "2") as server:
        wait_for(lambda: store.get(job.id) is None, 30, "the sweep at start")
        assert not (home / "projects" / "sold").exists() and (home / "projects" / "local-session").is_dir()
        assert not (home / "projects" / "sleft").exists() and store.trash() == []
        assert f"retention: deleted job {job.id}" in wait_for(lambda: "retention:" in server.log() and server.log(),
                                                              10, "the sweep's log line")
