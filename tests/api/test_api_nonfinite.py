"""NaN and ±Infinity in any field of any request body: a 422 that names the field, never a 500."""

import json

import httpx
import pytest
from pydantic import BaseModel

from longcut.agent.service.models import JobRequest, TurnRequest

from tests.api.api_helpers import headers

JOB = {"request": "a red ball", "seconds": 4,
       "options": {"model": "tests.fakes:WorldOracleModel", "planner": "offline", "seed": 1, "keep_continuity": False,
                   "plan_id": "p0123456789abcdef0123", "max_minutes": 5, "max_usd": 1, "max_tries": 10, "judge": "none",
                   "narrate": True, "voice": "en", "burn_subtitles": False},
       "references": [{"name": "hero", "upload_id": "A" * 22}]}
TURN = {"feedback": "make it green", "planner": "offline"}
NON_FINITE = ("NaN", "Infinity", "-Infinity")
MARK = "__NON_FINITE__"


def model_paths(model: type[BaseModel], prefix: tuple = ()) -> set[tuple]:
    """Every leaf field of a request model (lists of models contribute their first item)."""
    out = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        inner = getattr(ann, "__args__", (ann,))
        sub = next((t for t in inner if isinstance(t, type) and issubclass(t, BaseModel)), None)
        is_list = getattr(ann, "__origin__", None) is list
        if sub is not None:
            out |= model_paths(sub, (*prefix, name, 0) if is_list else (*prefix, name))
        else:
            out.add((*prefix, name))
    return out


def leaf_paths(body, prefix: tuple = ()) -> set[tuple]:
    if isinstance(body, dict):
        return {p for k, v in body.items() for p in leaf_paths(v, (*prefix, k))}
    if isinstance(body, list):
        return {p for i, v in enumerate(body) for p in leaf_paths(v, (*prefix, i))}
    return {prefix}


def with_value(body, path: tuple, token: str) -> str:
    body = json.loads(json.dumps(body))
    node = body
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = MARK
    return json.dumps(body).replace(json.dumps(MARK), token)


@pytest.mark.parametrize("model, body", [(JobRequest, JOB), (TurnRequest, TURN)])
def test_the_examples_cover_every_field(model, body):
    assert leaf_paths(body) == model_paths(model)


def test_non_finite_numbers_in_any_field_are_refused_by_name(gate_server):
    cases = [("/v1/jobs", JOB), ("/v1/plans", JOB), ("/v1/sessions/some-session/turns", TURN)]
    for url, body in cases:
        for path in sorted(leaf_paths(body), key=str):
            for token in NON_FINITE:
                raw = with_value(body, path, token)
                r = httpx.post(gate_server.url + url, content=raw,
                               headers={**headers(), "Content-Type": "application/json"})
                assert r.status_code == 422, (url, path, token, r.status_code, r.text)
                detail = r.json()["detail"]
                field = ".".join(map(str, path))
                assert any(d["msg"].startswith(f"{field}:") for d in detail), (path, token, detail)
    # The message says what is wrong with a number.
    r = httpx.post(gate_server.url + "/v1/jobs", content='{"request": "a red ball", "seconds": NaN}',
                   headers={**headers(), "Content-Type": "application/json"})
    assert r.status_code == 422 and "seconds: Input should be a finite number" in r.text


@pytest.mark.parametrize("body, msg", [
    ({"request": "a red ball", "seconds": 1e-300}, "seconds: Input should be greater than or equal to 1"),
    ({"request": "a red ball", "seconds": 0}, "seconds: Input should be greater than or equal to 1"),
    ({"request": "a 0.5-second video of a red ball"}, "the length the request asks for must be between 1 and"),
])
def test_near_zero_lengths_are_refused(gate_server, body, msg):
    r = httpx.post(f"{gate_server.url}/v1/jobs", json=body, headers=headers())
    assert r.status_code == 422 and msg in r.text, r.text


@pytest.mark.parametrize("blank", [" ", "\n\t  "])
def test_a_blank_request_or_feedback_is_refused_at_the_edge(blank):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="request"):
        JobRequest(request=blank)
    with pytest.raises(ValidationError, match="feedback"):
        TurnRequest(feedback=blank)
    assert JobRequest(request=" a red ball ").request == " a red ball "
