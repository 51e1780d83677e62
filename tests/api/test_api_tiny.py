"""The job API on the real embedded model (the other API tests use fast test doubles)."""

import pytest

from longcut.client import Client
from longcut.tools.media import probe

from tests.api.api_helpers import TOKEN, Server


def test_a_job_on_the_tiny_model_delivers_its_video(tmp_path):
    with Server(tmp_path / "home", 1, "tiny") as server, Client(server.url, TOKEN) as api:
        job = api.submit("a big red circle moves left on a sky background", seconds=2, model="tiny")
        status = api.wait(job["id"], timeout=240)
        assert status["status"] == "succeeded", status
        shots = [e for e in api.events(job["id"]) if e["stage"] == "shots"]
        assert shots and shots[0]["shots"] == 1
        out = api.download(job["id"], tmp_path / "tiny.mp4")
        assert probe(out).duration == pytest.approx(2.0, abs=0.2)
        assert api.project(job["id"])["model"] == "tiny"
