import numpy as np
import pytest
import torch

from longcut.errors import InputError
from longcut.models.backends.base import ClipRequest, History, ModelInfo


def make_history(keep=4) -> History:
    return History(anchor=torch.randn(1, 8, 1, 8, 8), recent=torch.randn(1, 8, 2, 8, 8), frames_done=9, keep=keep)


def test_history_stays_bounded_and_keeps_anchor():
    h = make_history(keep=4)
    for _ in range(50):
        h = h.appended(torch.randn(1, 8, 2, 8, 8), frames=8)
    assert h.recent.shape == (1, 8, 4, 8, 8)
    assert h.frames_done == 9 + 50 * 8
    h2 = make_history()
    assert torch.equal(h2.appended(torch.zeros(1, 8, 1, 8, 8), 4).anchor, h2.anchor)


def test_history_round_trips_through_bytes_and_file(tmp_path):
    h = make_history()
    h.extra["cache"] = torch.arange(6.0).reshape(2, 3)
    back = History.from_bytes(h.to_bytes())
    assert torch.equal(back.anchor, h.anchor) and torch.equal(back.recent, h.recent)
    assert (back.frames_done, back.keep) == (9, 4)
    assert torch.equal(back.extra["cache"], h.extra["cache"])
    h.save(tmp_path / "h.safetensors")
    assert torch.equal(History.load(tmp_path / "h.safetensors").recent, h.recent)


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"seconds": 0}, "seconds must be in"),
        ({"seconds": float("nan")}, "finite"),
        ({"seconds": 1e9}, "seconds must be in"),
        ({"seed": -1}, "seed"),
        ({"prompt": "x" * 5000}, "2000 characters"),
        ({"references": (np.zeros((4, 4), np.uint8),)}, "reference 0"),
    ],
)
def test_clip_request_rejects_bad_values(kwargs, msg):
    args = {"prompt": "a red circle", "seconds": 2.0} | kwargs
    with pytest.raises(InputError, match=msg):
        ClipRequest(**args)


def test_reference_limit_names_the_model():
    info = ModelInfo("tiny", 8, 64, 64, max_refs=7, chunk_frames=16, weights_id="x")
    req = ClipRequest("a", 1.0, references=tuple(np.zeros((8, 8, 3), np.uint8) for _ in range(8)))
    with pytest.raises(InputError, match="8 reference images given; tiny takes at most 7"):
        req.check_refs(info)
