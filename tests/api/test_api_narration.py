"""Narration over the job API: options checked at the edge, sidecars behind the token, a narration-only refine."""

from __future__ import annotations

import httpx
import pytest

from longcut.client import ApiError, Client

from tests.api.api_helpers import OTHER_TOKEN, SLOW, TOKEN, Server, generate_calls, headers
from tests.tools.narration_helpers import needs_espeak

ORACLE = "tests.fakes:WorldOracleModel"
LINES = ("A red ball sets out.", "Night falls: 100% %{pts}, {yes}.")
TOLD = (f'a 6-second video, narrated: "{LINES[0]} {LINES[1]}" '
        "a red ball crosses a meadow, then night falls")


@needs_espeak
def test_narration_options_are_checked_at_the_edge(gate_server):
    url = f"{gate_server.url}/v1/jobs"
    body = {"request": "a red ball bounces on grass", "seconds": 4, "options": {"model": ORACLE}}
    for bad in ({"voice": "-x"}, {"voice": "en; rm -rf /"}, {"voice": "e" * 41}, {"voice": 3},
                {"narrate": "maybe"}, {"burn_subtitles": [1]}, {"narrator": True}):
        r = httpx.post(url, json=body | {"options": body["options"] | bad}, headers=headers(), timeout=30)
        assert r.status_code == 422, (bad, r.text)
        r = httpx.post(f"{gate_server.url}/v1/plans", json=body | {"options": body["options"] | bad},
                       headers=headers(), timeout=30)
        assert r.status_code == 422, (bad, r.text)
    ok = body | {"options": body["options"] | {"narrate": True, "voice": "en-us", "burn_subtitles": True}}
    assert httpx.post(url, json=ok, timeout=30).status_code == 401
    r = httpx.post(url, json=ok, headers=headers(), timeout=30)
    assert r.status_code == 202, r.text
    assert r.json()["request"]["narration"] == {"voice": "en-us", "burn_subtitles": True}
    httpx.post(f"{url}/{r.json()['id']}/cancel", headers=headers(), timeout=30)


@needs_espeak
def test_a_plan_speaks_and_fits_its_lines(gate_server):
    body = {"request": TOLD, "options": {"model": ORACLE}}
    r = httpx.post(f"{gate_server.url}/v1/plans", json=body, headers=headers(), timeout=60)
    assert r.status_code == 201, r.text
    shots = r.json()["storyboard"]["shots"]
    assert [s["narration"] for s in shots] == list(LINES)
    assert all(s["narration_seconds"] > 0.5 for s in shots)  # spoken in the plan, before anything is generated
    plain = httpx.post(f"{gate_server.url}/v1/plans", json={"request": "a red ball bounces on grass",
                                                             "options": {"model": ORACLE, "narrate": True}},
                       headers=headers(), timeout=60).json()
    assert plain["storyboard"]["shots"][0]["narration"] == "A red ball bounces on grass."


def test_without_a_speech_engine_narration_is_refused_and_the_rest_is_queued(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # the server finds no espeak-ng
    with Server(tmp_path / "home", 0, ORACLE) as server, Client(server.url, TOKEN) as api:
        with pytest.raises(ApiError) as err:
            api.submit("a red ball bounces on grass", seconds=2, model=ORACLE, narrate=True)
        assert err.value.status == 422 and "speech engine" in str(err.value)
        assert api.submit("a red ball bounces on grass", seconds=2, model=ORACLE)["status"] == "queued"


@needs_espeak
def test_a_narrated_job_its_subtitles_and_a_narration_only_refine(tmp_path):
    with Server(tmp_path / "home", 1, SLOW, chunk_delay=0.0) as server, Client(server.url, TOKEN) as api:
        job = api.wait(api.submit(TOLD, model=SLOW, narrate=True)["id"], timeout=300)
        assert job["status"] == "succeeded", (job["error"], server.log()[-2000:])
        assert set(job["result"]) == {"video", "project", "subtitles_srt", "subtitles_vtt"}
        srt = api.subtitles(job["id"], "srt")
        assert all(line in srt for line in LINES)
        assert "WEBVTT" in api.subtitles(job["id"], "vtt")
        sub_url = f"{server.url}{job['result']['subtitles_srt']}"
        assert httpx.get(sub_url, timeout=30).status_code == 401
        assert httpx.get(sub_url, headers=headers(OTHER_TOKEN), timeout=30).status_code == 404
        assert httpx.get(f"{server.url}/v1/jobs/{job['id']}/result/subtitles.ass", headers=headers(),
                         timeout=30).status_code == 422
        assert api.session(job["session"])["narration"]["subtitles"] is True
        made = len(generate_calls(server.home))
        new = "Home: at last, {yes}."
        again = api.wait(api.refine(job["session"], f"make the narrator say '{new}' in shot 2")["id"], timeout=300)
        assert again["status"] == "succeeded", (again["error"], server.log()[-2000:])
        assert len(generate_calls(server.home)) == made  # the model was not called: no shot generated again
        assert new in api.subtitles(again["id"], "srt") and LINES[1] not in api.subtitles(again["id"], "srt")
        plain = api.wait(api.submit("a red ball bounces on grass", seconds=2, model=SLOW)["id"], timeout=300)
        assert plain["status"] == "succeeded" and set(plain["result"]) == {"video", "project"}
        with pytest.raises(ApiError) as err:
            api.subtitles(plain["id"], "srt")
        assert err.value.status == 404 and api.session(plain["session"])["narration"] is None

