"""The SQLite queue on its own: claims, leases, fencing, requeue, limits (no server)."""

import multiprocessing
import time

import pytest

from longcut.agent.service.queue import IdempotencyConflict, JobStore, QueueLimit

from tests.api.api_helpers import run_stuck_job, wait_for


@pytest.fixture
def store(tmp_path):
    return JobStore(tmp_path / "jobs.sqlite")


def submit(store, owner="a" * 32, kind="make", session="s1", **kw):
    return store.submit(owner, kind, {"request": "x", **kw}, session, max_active=10)[0]


def test_claims_are_exclusive_and_in_order(store):
    first, second = submit(store, session="s1"), submit(store, session="s2")
    a, b = store.claim(1, lease=30, max_attempts=3), store.claim(2, lease=30, max_attempts=3)
    assert (a.id, b.id) == (first.id, second.id) and a.claim != b.claim
    assert first.id[0] == "j" and len(first.id) == 23  # never "-…", which a command line reads as an option
    assert store.claim(3, lease=30, max_attempts=3) is None


def test_turns_of_one_session_run_one_at_a_time(store):
    make = submit(store, session="s1")
    turn = submit(store, kind="refine", session="s1", feedback="green")
    assert store.claim(1, 30, 3).id == make.id
    assert store.claim(2, 30, 3) is None  # the refine waits for the make
    store.finish(make.id, store.get(make.id).claim, "succeeded", render="renders/turn-1.mp4", revision=1)
    assert store.claim(2, 30, 3).id == turn.id


def test_an_expired_lease_is_reclaimed_and_the_old_worker_is_fenced_off(store):
    job = submit(store)
    old = store.claim(1, lease=0.05, max_attempts=3)
    time.sleep(0.1)
    new = store.claim(2, lease=30, max_attempts=3)
    assert new.id == job.id and new.attempts == 2
    assert store.renew(job.id, old.claim, 30) == (False, False)
    assert not store.finish(job.id, old.claim, "failed", error="stale")
    assert store.finish(job.id, new.claim, "succeeded")
    assert store.get(job.id).status == "succeeded"


def test_a_dead_workers_job_is_requeued_or_cancelled(store):
    job, other = submit(store, session="s1"), submit(store, session="s2")
    store.claim(41, 30, 3)
    store.claim(42, 30, 3)
    store.cancel(other.id, other.owner)
    assert store.release_worker(41) == [job.id] and store.release_worker(42) == [other.id]
    assert store.get(job.id).status == "queued" and store.get(other.id).status == "cancelled"


def test_a_job_that_keeps_killing_workers_fails(store):
    job = submit(store)
    for pid in range(3):
        assert store.claim(pid, 30, max_attempts=3).id == job.id
        store.release_worker(pid)
    assert store.claim(9, 30, max_attempts=3) is None
    assert store.get(job.id).status == "failed" and "3 times" in store.get(job.id).error


def test_cancel_of_a_queued_job_is_immediate_and_only_by_its_owner(store):
    job = submit(store)
    assert store.cancel(job.id, "b" * 32) is None and store.get(job.id).status == "queued"
    assert store.cancel(job.id, job.owner).status == "cancelled"
    assert store.claim(1, 30, 3) is None


def test_idempotency_and_the_active_job_limit(store):
    owner = "c" * 32
    job, new = store.submit(owner, "make", {"r": 1}, "s1", 2, idem_key="k")
    again, new2 = store.submit(owner, "make", {"r": 1}, "s2", 2, idem_key="k")
    assert new and not new2 and again.id == job.id
    with pytest.raises(IdempotencyConflict):
        store.submit(owner, "make", {"r": 2}, "s3", 2, idem_key="k")
    store.submit(owner, "make", {"r": 3}, "s4", 2)
    with pytest.raises(QueueLimit) as err:
        store.submit(owner, "make", {"r": 4}, "s5", 2)
    assert err.value.limit == "max_active_jobs"
    store.submit("d" * 32, "make", {"r": 4}, "s6", 2)  # the limit is per token


def test_events_are_numbered_and_the_latest_progress_is_kept(store):
    job = submit(store)
    assert [store.append_event(job.id, {"stage": "plan", "percent": p}) for p in (0, 3)] == [1, 2]
    store.append_event(job.id, {"stage": "job"}, progress=False)
    assert [seq for seq, _ in store.events_after(job.id, 1)] == [2, 3]
    assert store.get(job.id).progress == {"stage": "plan", "percent": 3}


def test_a_job_that_ignores_its_cancel_is_stopped_by_its_worker(store, tmp_path):
    job = submit(store)
    child = multiprocessing.get_context("spawn").Process(target=run_stuck_job, args=(str(store.path), str(tmp_path)))
    child.start()
    try:
        wait_for(lambda: store.get(job.id).status == "running", 30, "the child to claim the job")
        store.cancel(job.id, job.owner)
        child.join(10)
        assert child.exitcode == 0  # it marked the job and left (the pool restarts a worker)
        assert store.get(job.id).status == "cancelled"
    finally:
        if child.is_alive():
            child.kill()
