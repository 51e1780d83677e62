"""The vision-language judge over the job API: clients choose whether, the operator says which endpoint."""

from __future__ import annotations

import os

import pytest

from longcut.client import ApiError, Client

from tests.api.api_helpers import FAST, TOKEN, Server
from tests.fake_openai import FakeOpenAI, structured

PASS = {"elements": [{"element": "subject", "status": "present", "reason": "a red ball"}],
        "overall": "pass", "summary": "a red ball on grass"}
KEYS = ("LONGCUT_JUDGE_BASE_URL", "LONGCUT_JUDGE_API_KEY", "LONGCUT_OPENAI_API_KEY", "OPENAI_API_KEY")


@pytest.mark.skipif(any(os.environ.get(k) for k in KEYS), reason="an endpoint is configured in this environment")
def test_a_vlm_judge_the_server_has_not_got_is_refused(gate_server):
    with Client(gate_server.url, TOKEN) as api:
        with pytest.raises(ApiError) as err:
            api.submit("a red ball bounces on grass", seconds=2, judge="vlm")
        assert err.value.status == 422 and "--judge-base-url" in str(err.value)
        with pytest.raises(ApiError) as err:
            api.submit("a red ball bounces on grass", seconds=2, judge="eyes")
        assert err.value.status == 422


def test_a_job_is_judged_by_the_operators_vision_model(tmp_path):
    with FakeOpenAI([structured(PASS)] * 4) as fake:
        with Server(tmp_path / "home", 1, FAST, "--judge-base-url", fake.base_url, "--judge-model", "fake-vision",
                    chunk_delay=0.0) as server, Client(server.url, TOKEN) as api:
            job = api.submit("a red ball bounces on grass", seconds=2, model=FAST, judge="vlm")
            events = list(api.events(job["id"]))
            assert events[-1]["data"]["status"] == "succeeded", server.log()[-2000:]
        assert len(fake.requests) == 1 and fake.requests[0]["model"] == "fake-vision"
