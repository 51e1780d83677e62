"""A crash of the whole server: accepted jobs survive, a running one resumes from its checkpoint."""

import os

from longcut.client import Client

from tests.api.api_helpers import (
    FAST,
    SLOW,
    THREE_SHOTS,
    TOKEN,
    finished_shots,
    generations,
    wait_for,
)


def test_kill_9_of_the_server_loses_no_accepted_job(jobs_server):
    with Client(jobs_server.url, TOKEN) as api:
        running = api.submit(THREE_SHOTS, seconds=6, model=SLOW, seed=11)
        queued = [api.submit("a purple square grows on sand", seconds=1, model=FAST, seed=i) for i in range(3)]
        for event in api.events(running["id"]):
            if event["stage"] == "shots" and event["shot_index"] == 2:
                break
    workers = [pid for (pid,) in jobs_server.db("SELECT worker_pid FROM jobs WHERE status='running'")]
    jobs_server.kill9()
    finished = finished_shots(jobs_server.home, running["session"])
    for pid in workers:  # orphaned workers notice that the server is gone and stop
        wait_for(lambda p=pid: not os.path.exists(f"/proc/{p}"), 10, f"worker {pid} to exit")
    jobs_server.workers = 1  # one warm-up instead of two on a busy machine
    jobs_server.start()  # the same LONGCUT_HOME, a new process
    with Client(jobs_server.url, TOKEN) as api:
        done = api.wait(running["id"], timeout=90)
        assert done["status"] == "succeeded" and done["attempts"] == 2
        assert [api.wait(j["id"], timeout=60)["status"] for j in queued] == ["succeeded"] * 3
    made = generations(jobs_server.home, done["storyboard"]["shots"])
    assert "s1" in finished and all(made[s] == 1 for s in finished), (finished, made)
    assert len(made) <= sum(made.values()) <= len(made) + 1, made
