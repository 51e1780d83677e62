"""Each edit tool on real ffmpeg: duration to ±1 frame, sound as asked, pixels that prove the op."""

import numpy as np
import pytest
from media_helpers import FPS, ONE_FRAME, frame_at, near, rms

from longcut.tools import edit_join
from longcut.tools.edit import EDIT_TOOLS, run_edit
from longcut.tools.edit_base import XFADE_KINDS
from longcut.tools.media import count_frames, probe


def check(path, seconds, audio=None, fps=FPS):
    """Duration within one frame, by container and by frame count; sound present/absent."""
    info = probe(path)
    assert abs(info.duration - seconds) <= 1 / fps + 1e-6, info
    assert abs(count_frames(path) - seconds * fps) <= 1
    if audio is not None:
        assert info.has_audio is audio
    return info


def test_trim_cuts_the_range(project):
    out = run_edit("trim", {"input": "pattern.mp4", "start": 0.5, "end": 1.25}, project)
    check(out, 0.75, audio=True)
    assert out.parent == project.root / "edits" and out.suffix == ".mp4"
    # testsrc draws a frame counter: the trimmed clip's first frame is the source's at 0.5 s.
    src, got = frame_at(project.root / "pattern.mp4", 0.5), frame_at(out, 0)
    assert np.abs(src - got).mean() < 6
    assert np.abs(frame_at(project.root / "pattern.mp4", 0) - got).mean() > np.abs(src - got).mean()


def test_named_output_and_inputs_untouched(project):
    before = (project.root / "red.mp4").read_bytes()
    out = run_edit("trim", {"input": "red.mp4", "end": 1, "output": "cuts/short.mp4"}, project)
    assert out == project.root / "cuts" / "short.mp4"
    assert (project.root / "red.mp4").read_bytes() == before


def test_concat_stream_copies_matching_clips(project, monkeypatch):
    called = []
    monkeypatch.setattr(edit_join, "concat_reencode", lambda *a: called.append(a))
    out = run_edit("concat", {"inputs": ["pattern.mp4", "pattern.mp4", "pattern.mp4"]}, project)
    assert not called
    check(out, 6.0, audio=True)


def test_concat_reencodes_mismatched_clips(project):
    out = run_edit("concat", {"inputs": ["red.mp4", "wide.mp4", "blue.mp4"]}, project)
    info = check(out, 5.0, audio=True)  # blue has sound: the others get silence
    assert info.size == (64, 64)  # the first clip's size; wide.mp4 is letterboxed
    assert near(frame_at(out, 0.5)[32, 32], (255, 0, 0))
    assert near(frame_at(out, 4.0)[32, 32], (0, 0, 255))
    assert rms(out) > 0.05


def test_crossfade_middle_frame_mixes_both_clips(project):
    out = run_edit("transition", {"first": "red.mp4", "second": "blue.mp4", "kind": "fade",
                                  "duration": 1.0}, project)
    check(out, 3.0, audio=True)
    mid = frame_at(out, 1.5)[32, 32]
    assert 80 < mid[0] < 180 and 80 < mid[2] < 180, mid
    assert near(frame_at(out, 0.5)[32, 32], (255, 0, 0))
    assert near(frame_at(out, 2.7)[32, 32], (0, 0, 255))


@pytest.mark.parametrize("kind", ["wipeleft", "slideright", "circleopen", "dissolve"])
def test_other_transitions_render_exact_durations(project, kind):
    assert kind in XFADE_KINDS
    out = run_edit("transition", {"first": "red.mp4", "second": "pattern.mp4", "kind": kind,
                                  "duration": 0.5}, project)
    check(out, 3.5, audio=True)


def test_text_overlay_only_inside_its_time_range(project):
    out = run_edit("text_overlay", {"input": "red.mp4", "text": "MM", "start": 0.5, "end": 1.0,
                                    "font_size": 40, "color": "white", "box": True,
                                    "box_color": "white"}, project)
    check(out, 2.0, audio=False)
    assert near(frame_at(out, 0.75)[32, 32], (255, 255, 255))
    for t in (0.2, 0.45, 1.05, 1.5):
        assert near(frame_at(out, t)[32, 32], (255, 0, 0)), t


def test_image_overlay_only_inside_its_time_range(project):
    out = run_edit("image_overlay", {"input": "red.mp4", "image": "logo.png", "start": 1.0,
                                     "end": 1.5, "x": 8, "y": 8, "width": 32}, project)
    check(out, 2.0)
    assert near(frame_at(out, 1.25)[24, 24], (0, 255, 0))
    assert near(frame_at(out, 1.25)[56, 56], (255, 0, 0))  # outside the image
    for t in (0.5, 1.6):
        assert near(frame_at(out, t)[24, 24], (255, 0, 0)), t


def test_add_audio_to_a_silent_clip_and_mix(project):
    out = run_edit("add_audio", {"input": "red.mp4", "audio": "tone.m4a", "start": 0.5,
                                 "fade_in": 0.2}, project)
    check(out, 2.0, audio=True)  # the clip's length is kept though the tone is 3 s
    assert rms(out) > 0.05
    mixed = run_edit("add_audio", {"input": "blue.mp4", "audio": "tone.m4a", "mode": "mix"}, project)
    replaced = run_edit("add_audio", {"input": "blue.mp4", "audio": "tone.m4a", "mode": "replace"}, project)
    check(mixed, 2.0, audio=True)
    assert rms(mixed) > rms(replaced) * 1.2


def test_volume_and_mute(project):
    quiet = run_edit("set_volume", {"input": "blue.mp4", "volume": 0.25}, project)
    check(quiet, 2.0, audio=True)
    assert 0.15 < rms(quiet) / rms(project.root / "blue.mp4") < 0.35
    muted = run_edit("mute", {"input": "blue.mp4"}, project)
    check(muted, 2.0, audio=False)


def test_fade_from_and_to_black(project):
    out = run_edit("fade", {"input": "blue.mp4", "fade_in": 0.5, "fade_out": 0.5}, project)
    check(out, 2.0, audio=True)
    assert frame_at(out, 0).max() < 30 and frame_at(out, 2 - ONE_FRAME).max() < 30
    assert near(frame_at(out, 1.0)[32, 32], (0, 0, 255))


@pytest.mark.parametrize("factor,seconds", [(2.0, 1.0), (0.5, 4.0), (0.25, 8.0)])
def test_speed(project, factor, seconds):
    out = run_edit("speed", {"input": "pattern.mp4", "factor": factor}, project)
    check(out, seconds, audio=True)


def test_resize_pad_and_upscale(project):
    out = run_edit("resize", {"input": "wide.mp4", "width": 64, "height": 64, "color": "white"}, project)
    info = check(out, 1.0, fps=30)
    assert info.size == (64, 64) and near(frame_at(out, 0.5)[2, 32], (255, 255, 255))
    big = run_edit("resize", {"input": "pattern.mp4", "width": 256, "height": 256}, project)
    assert probe(big).size == (256, 256)
    padded = run_edit("pad_aspect", {"input": "pattern.mp4", "aspect": "16:9"}, project)
    assert probe(padded).size == (114, 64)


def test_color_adjust(project):
    grey = run_edit("color", {"input": "red.mp4", "saturation": 0.0}, project)
    check(grey, 2.0)
    r, g, b = frame_at(grey, 1.0)[32, 32]
    assert abs(r - g) < 12 and abs(g - b) < 12
    bright = run_edit("color", {"input": "blue.mp4", "brightness": 0.3}, project)
    assert frame_at(bright, 1.0).mean() > frame_at(project.root / "blue.mp4", 1.0).mean() + 20


def test_extract_frame(project):
    out = run_edit("extract_frame", {"input": "red.mp4", "time": 1.0, "output": "f.png"}, project)
    info = probe(out)
    assert out.suffix == ".png" and info.size == (64, 64)


def test_reverse_and_loop(project):
    rev = run_edit("reverse", {"input": "pattern.mp4"}, project)
    check(rev, 2.0, audio=True)
    last = frame_at(project.root / "pattern.mp4", 2 - ONE_FRAME)
    assert np.abs(frame_at(rev, 0) - last).mean() < 6
    looped = run_edit("loop", {"input": "pattern.mp4", "times": 3}, project)
    check(looped, 6.0, audio=True)
    assert np.abs(frame_at(looped, 4.0) - frame_at(project.root / "pattern.mp4", 0)).mean() < 6


def test_every_tool_has_a_docstring_and_strict_model():
    for name, (model, fn) in EDIT_TOOLS.items():
        assert fn.__doc__ and len(fn.__doc__) > 20, name
        assert model.model_config.get("extra") == "forbid", name
        for field, info in model.model_fields.items():
            assert info.description, f"{name}.{field} has no description"


def test_odd_sized_other_codec_input_is_evened_and_reencoded(project):
    out = run_edit("trim", {"input": "odd.avi", "end": 0.5}, project)
    info = check(out, 0.5, fps=25)
    assert info.size == (64, 48) and info.video_codec == "h264"
    joined = run_edit("concat", {"inputs": ["odd.avi", "odd.avi"]}, project)  # mpeg4: re-encoded
    assert probe(joined).video_codec == "h264"
    check(joined, 2.0, fps=25)
