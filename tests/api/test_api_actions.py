"""``/v1/sessions/{name}/edits``, ``/undo`` and ``/revisions/{n}/video``: owner only, bad actions refused before
anything is queued, a regenerate changes only its shot's take, choosing the old take and undo generate nothing."""

import httpx

from longcut.client import Client

from tests.api.api_helpers import FAST, OTHER_TOKEN, THREE_SHOTS, TOKEN, headers


def _edits(server, session, edits, token=TOKEN):
    return httpx.post(f"{server.url}/v1/sessions/{session}/edits", json={"edits": edits},
                      headers=headers(token) if token else {}, timeout=30)


def _wait(server, job_id):
    with Client(server.url, TOKEN) as api:
        done = api.wait(job_id, timeout=120)
    assert done["status"] == "succeeded", done
    return done


def _takes(server, session):
    return httpx.get(f"{server.url}/v1/sessions/{session}/takes", headers=headers(), timeout=30).json()["revisions"]


def _regenerated(server, session, n):
    revs = httpx.get(f"{server.url}/v1/sessions/{session}", headers=headers(), timeout=30).json()["revisions"]
    return next(r["regenerated"] for r in revs if r["n"] == n)


def test_shot_actions_regenerate_one_shot_choose_its_old_take_and_undo(jobs_server):
    with Client(jobs_server.url, TOKEN) as api:
        first = _wait(jobs_server, api.submit(THREE_SHOTS, seconds=6, model=FAST, seed=11)["id"])
    name = first["session"]
    regen = [{"action": "regenerate", "shot": "s2"}]
    assert _edits(jobs_server, name, regen, token=None).status_code == 401
    assert _edits(jobs_server, name, regen, token=OTHER_TOKEN).status_code == 404
    for bad in ([], [{"action": "move", "shot": "s2"}], [{"action": "fly", "shot": "s2"}],
                [{"action": "regenerate", "shot": "s9"}], [{"action": "move", "shot": "s2", "position": 9}],
                [{"action": "choose", "shot": "s2", "take_id": "0" * 20 + "-t1"}],
                [{"action": "prompt", "shot": "s2", "prompt": "   "}]):
        r = _edits(jobs_server, name, bad)
        assert r.status_code == 422, (bad, r.text)
    r = _edits(jobs_server, name, regen)
    assert r.status_code == 202, r.text
    done = _wait(jobs_server, r.json()["id"])
    revs = _takes(jobs_server, name)
    one, two = revs["1"], revs[str(done["revision"])]
    assert two["s2"] != one["s2"] and two["s1"] == one["s1"] and two["s3"] == one["s3"]
    assert _regenerated(jobs_server, name, done["revision"]) == ["s2"]
    back = _edits(jobs_server, name, [{"action": "choose", "shot": "s2", "take_id": one["s2"]}])
    assert back.status_code == 202, back.text
    chosen = _wait(jobs_server, back.json()["id"])
    assert _takes(jobs_server, name)[str(chosen["revision"])] == one
    assert _regenerated(jobs_server, name, chosen["revision"]) == []  # the old take came back from the cache

    undo = f"{jobs_server.url}/v1/sessions/{name}/undo"
    assert httpx.post(undo, timeout=30).status_code == 401
    assert httpx.post(undo, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
    r = httpx.post(undo, headers=headers(), timeout=30)
    assert r.status_code == 200 and r.json()["request"].startswith("undo: back to revision"), r.text
    assert _takes(jobs_server, name)[str(r.json()["n"])]["s2"] == two["s2"]  # back to the regenerated take
    assert r.json()["regenerated"] == []

    video = f"{jobs_server.url}/v1/sessions/{name}/revisions/{r.json()['n']}/video"
    assert httpx.get(video, timeout=30).status_code == 401
    assert httpx.get(video, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
    assert httpx.get(f"{jobs_server.url}/v1/sessions/{name}/revisions/999/video", headers=headers(), timeout=30).status_code == 404
    part = httpx.get(video, headers={**headers(), "Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206 and len(part.content) == 100 and part.content[4:8] == b"ftyp"


def test_a_locked_shot_is_refused_by_the_studio_and_by_feedback(jobs_server):
    with Client(jobs_server.url, TOKEN) as api:
        first = _wait(jobs_server, api.submit(THREE_SHOTS, seconds=6, model=FAST, seed=12)["id"])
        name = first["session"]
        r = _edits(jobs_server, name, [{"action": "lock", "shot": "s1"}])
        assert r.status_code == 202, r.text
        _wait(jobs_server, r.json()["id"])
        session = httpx.get(f"{jobs_server.url}/v1/sessions/{name}", headers=headers(), timeout=30).json()
        assert session["storyboard"]["shots"][0]["locked"] is True
        r = _edits(jobs_server, name, [{"action": "delete", "shot": "s1"}])
        assert r.status_code == 422 and "locked" in r.json()["detail"]
        turn = api.refine(name, "another take of shot 1")
        failed = api.wait(turn["id"], timeout=120)
    assert failed["status"] == "failed" and "locked" in failed["error"]
