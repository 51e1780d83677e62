"""The evaluator: reads world clips right, and its figures behave (seams, drift, fidelity)."""

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

from longcut.models.seams import seam_ratio, seam_ratio_at
from longcut.models.world.evaluate import (
    adherence,
    drift,
    read_clip,
    reference_fidelity,
)
from longcut.models.world.evaluate_validate import validate
from longcut.models.world.scene import (
    ObjectSpec,
    SceneSpec,
    canonical_caption,
    render_frames,
    render_reference,
    sample_scene,
)

REQUIRED = ("background", "colour", "shape", "size", "pattern", "pattern_colour", "motion")


def _scene(**obj):
    base = dict(shape="star", colour="red", size="big", pattern="stripes", pattern_colour="white",
                motion="right", speed="slow", x=20.0, y=30.0, rate=1.0, pattern_angle=45.0)
    base.update(obj)
    return SceneSpec(objects=(ObjectSpec(**base),), background="grass")


def test_reads_a_known_clip():
    frames = render_frames(_scene(), 0, 16)
    r = read_clip(frames)
    assert r.background == "grass" and r.event is None and len(r.objects) == 1
    o = r.objects[0]
    assert (o.colour, o.shape, o.size, o.pattern, o.pattern_colour) == ("red", "star", "big", "stripes", "white")
    assert (o.motion, o.speed) == ("right", "slow")
    assert o.track.shape == (16, 3) and o.track[-1, 1] > o.track[0, 1] + 10


def test_evaluator_accuracy_on_a_sample():
    """A 60-clip sample of the 500-clip validation in bench/bench_evaluator.py."""
    result = validate(60, conditions=("clean", "blur_noise"))
    for cond, table in result["accuracy"].items():
        for key in REQUIRED:
            assert table[key] >= 0.95, (cond, key, table[key], result["misreads"][:10])


def test_reads_objects_the_frame_edge_cuts_off():
    """Windows where a translating object is never whole (a continuous shot can open half-way
    through a wrap): the outline is fitted to the free edges, the motion read from the parts
    both frames show. The area-matched fit read 0.64 of shapes and 0.79 of motions here."""
    result = validate(30, conditions=("blur",), cut_off=True)
    for key in ("colour", "shape", "size", "motion"):
        assert result["overall"][key] >= 0.9, (key, result["overall"][key], result["misreads"][:10])


def test_a_triangle_leaving_sideways_still_moves_sideways():
    """Its apex leaves the frame first, so its visible top edge drops: not a downward motion."""
    scene = sample_scene(10, 1, shape="triangle", motion="right", speed="slow", size="big", event=None)
    frames = render_frames(scene, 160, 32)  # leaving on the right, never whole
    o = read_clip(frames).objects[0]
    assert (o.shape, o.size, o.motion) == ("triangle", "big", "right")


def test_single_image_and_other_sizes():
    s = sample_scene(21, 1, shape="square", colour="blue", size="small", pattern="dots",
                     pattern_colour="yellow", background="sand")
    one = read_clip(render_frames(s, 0, 1))
    assert one.objects[0].motion is None and one.event is None
    assert (one.objects[0].colour, one.objects[0].shape, one.objects[0].pattern) == ("blue", "square", "dots")
    big = read_clip(render_frames(s, 0, 6, size=128))
    assert big.background == "sand"
    assert (big.objects[0].size, big.objects[0].pattern_colour) == ("small", "yellow")


def test_adherence_reports_per_attribute():
    s = _scene()
    frames = render_frames(s, 0, 16)
    ok = adherence(frames, s)
    assert all(ok.values()), ok
    assert set(ok) >= {"background", "colour", "shape", "size", "pattern", "pattern_colour", "motion", "speed", "event", "count"}
    assert adherence(frames, canonical_caption(s)) == ok
    wrong = dataclasses.replace(s.attributes, objects=(dataclasses.replace(s.attributes.objects[0], colour="blue"),))
    got = adherence(frames, wrong)
    assert got["colour"] is False and got["shape"] is True
    image = adherence(frames[:1], s)
    assert "motion" not in image and "event" not in image and image["colour"]


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="must be a numpy array"):
        read_clip(np.zeros((4, 64, 64)))
    with pytest.raises(ValueError, match="chunk_frames"):
        seam_ratio(np.zeros((10, 64, 64, 3), np.uint8), 1)
    with pytest.raises(ValueError, match="2 seconds"):
        drift(np.zeros((5, 64, 64, 3), np.uint8))


def test_seam_ratio_sees_splices():
    s = _scene(motion="right", rate=1.0)
    continuous = render_frames(s, 0, 32)
    assert 0.8 < seam_ratio(continuous, 8) < 1.25
    spliced = np.concatenate([render_frames(s, 20 * k, 8) for k in range(4)])  # each chunk jumps ahead
    assert seam_ratio(spliced, 8) > 3.0
    still = render_frames(_scene(motion="still"), 0, 16)
    assert seam_ratio(still, 8) == 1.0


def test_seam_ratio_at_finds_splices_where_chunks_differ_in_length():
    s = _scene(motion="right", rate=1.0)
    # a 9-frame opening chunk (frame 0 + two latents), then 8-frame chunks, each jumping ahead
    spliced = np.concatenate([render_frames(s, 0, 9), render_frames(s, 29, 8), render_frames(s, 57, 8)])
    assert seam_ratio_at(spliced, [9, 17]) > 3.0
    assert seam_ratio(spliced, 8) < 2.0  # a fixed stride looks one frame early and misses them
    with pytest.raises(ValueError, match="must lie in"):
        seam_ratio_at(spliced, [0])
    with pytest.raises(ValueError, match="must lie in"):
        seam_ratio_at(spliced, [])


def test_drift_is_zero_without_change_and_sees_darkening():
    s = _scene(motion="circles", speed="slow", rate=1.0, radius=8.0, heading=1.0, x=32.0, y=32.0)
    d = drift(render_frames(s, 0, 48))
    assert d["background"] < 1.0 and d["object"] < 3.0
    dark = dataclasses.replace(s, event="the sky darkens", event_start=8, event_frames=24)
    assert drift(render_frames(dark, 0, 48))["background"] > 15.0
    # an object whose colour drifts: tint the last second
    f = render_frames(s, 0, 48).astype(np.int16)
    f[-8:, ..., 2] += 40
    assert drift(np.clip(f, 0, 255).astype(np.uint8))["object"] > 8.0


def test_reference_fidelity_right_vs_wrong_pattern():
    s = _scene(motion="left", rate=1.2, x=44.0)
    frames = render_frames(s, 0, 16)
    right = render_reference(s.objects[0])
    wrong = render_reference(dataclasses.replace(s.objects[0], pattern="dots"))
    turned = render_reference(dataclasses.replace(s.objects[0], pattern_angle=135.0))
    f_right = reference_fidelity(right, frames)
    assert f_right > 0.8
    assert reference_fidelity(wrong, frames) < f_right - 0.4
    assert reference_fidelity(turned, frames) < f_right - 0.4
    blurred = ndimage.gaussian_filter(frames.astype(np.float32), sigma=(0, 0.8, 0.8, 0)).round().astype(np.uint8)
    assert reference_fidelity(right, blurred) > 0.6
    assert reference_fidelity(render_reference(s.objects[0], size=128), frames) > 0.7
