"""Timeline render: one file, duration to ±1 frame of Timeline.duration, overlays on time."""

import numpy as np
import pytest
from media_helpers import FPS, frame_at, near, rms

from longcut.errors import InputError
from longcut.tools import runner
from longcut.tools.media import count_frames, probe
from longcut.tools.timeline import Timeline, render
from longcut.tools.timeline_fields import XFADE_KINDS


def tl(**kw) -> Timeline:
    return Timeline.model_validate({"width": 64, "height": 64, "fps": FPS, **kw})


def rendered(project, timeline, name="out.mp4", **kw):
    out = project.root / name
    render(timeline, out, project, **kw)
    return out


def assert_duration(out, timeline, project):
    expected = timeline.resolved(project).duration
    assert abs(probe(out).duration - expected) <= 1 / FPS + 1e-6
    assert abs(count_frames(out) - expected * FPS) <= 1


def test_duration_sums_clips_minus_transitions(project):
    t = tl(clips=[
        {"source": "red.mp4", "in_point": 0.25, "out_point": 1.5},
        {"source": "blue.mp4", "transition": {"kind": "fade", "duration": 0.5}},
        {"source": "pattern.mp4"},
        {"source": "pattern.mp4"},  # the same clip twice is fine
        {"source": "wide.mp4", "transition": {"kind": "wipeleft", "duration": 0.25}},
    ])
    assert t.resolved(project).duration == pytest.approx(1.25 + 2 + 2 + 2 + 1 - 0.5 - 0.25)
    out = rendered(project, t)
    assert_duration(out, t, project)
    info = probe(out)
    assert info.size == (64, 64) and info.has_audio  # blue and pattern have sound


def test_crossfade_middle_frame_is_a_mix(project):
    t = tl(clips=[{"source": "red.mp4"},
                  {"source": "blue.mp4", "transition": {"kind": "fade", "duration": 1.0}}])
    out = rendered(project, t)
    assert_duration(out, t, project)
    mid = frame_at(out, 1.5)[32, 32]
    assert 80 < mid[0] < 180 and 80 < mid[2] < 180, mid


def test_in_point_cuts_the_range_frame_exactly(project):
    t = tl(clips=[{"source": "pattern.mp4", "in_point": 0.5, "out_point": 1.25}])
    out = rendered(project, t)
    assert_duration(out, t, project)
    assert probe(out).has_audio  # the sound is cut with it
    # testsrc draws a frame counter: the clip's first frame is the source's at 0.5 s.
    src, got = frame_at(project.root / "pattern.mp4", 0.5), frame_at(out, 0)
    assert np.abs(src - got).mean() < 6
    assert np.abs(frame_at(project.root / "pattern.mp4", 0) - got).mean() > np.abs(src - got).mean()


def test_clips_of_other_sizes_are_letterboxed_and_silent_ones_get_silence(project):
    t = tl(clips=[{"source": "red.mp4"}, {"source": "wide.mp4"}, {"source": "blue.mp4"}])
    out = rendered(project, t)
    assert_duration(out, t, project)
    assert probe(out).size == (64, 64) and probe(out).has_audio  # blue has sound: the others get silence
    assert near(frame_at(out, 0.5)[32, 32], (255, 0, 0))
    assert near(frame_at(out, 2.5)[2, 32], (0, 0, 0))  # the 16:9 clip is padded
    assert near(frame_at(out, 4.0)[32, 32], (0, 0, 255))
    assert rms(out) > 0.05


@pytest.mark.parametrize("kind", ["wipeleft", "slideright", "circleopen", "dissolve"])
def test_other_transitions_render_exact_durations(project, kind):
    assert kind in XFADE_KINDS
    t = tl(clips=[{"source": "red.mp4"}, {"source": "pattern.mp4", "transition": {"kind": kind, "duration": 0.5}}])
    assert_duration(rendered(project, t), t, project)


def test_odd_sized_other_codec_source_is_evened_and_reencoded(project):
    t = Timeline.model_validate({"width": 64, "height": 48, "fps": 25,
                                 "clips": [{"source": "odd.avi", "out_point": 0.5}, {"source": "odd.avi"}]})
    out = rendered(project, t)
    info = probe(out)
    assert info.size == (64, 48) and info.video_codec == "h264"
    assert abs(info.duration - 1.5) <= 1 / 25 + 1e-6


def test_overlays_show_only_in_their_time_range(project):
    t = tl(clips=[{"source": "red.mp4"}, {"source": "red.mp4"}], overlays=[
        {"type": "text", "text": "MM", "start": 2.5, "end": 3.0, "font_size": 40,
         "box": True, "box_color": "white", "color": "white"},
        {"type": "image", "image": "logo.png", "start": 0.5, "end": 1.0, "x": 0, "y": 0},
    ])
    out = rendered(project, t)
    assert_duration(out, t, project)
    assert near(frame_at(out, 2.75)[32, 32], (255, 255, 255))
    assert near(frame_at(out, 0.75)[4, 4], (0, 255, 0))
    for time in (0.25, 1.25, 2.25, 3.25):
        assert near(frame_at(out, time)[32, 32], (255, 0, 0)), time
        assert near(frame_at(out, time)[4, 4], (255, 0, 0)), time


def test_audio_present_or_absent_as_asked(project):
    silent = tl(clips=[{"source": "red.mp4"}])
    assert not probe(rendered(project, silent, "a.mp4")).has_audio
    no_clip_sound = tl(clips=[{"source": "blue.mp4"}], clip_audio=False)
    assert not probe(rendered(project, no_clip_sound, "b.mp4")).has_audio
    music = tl(clips=[{"source": "red.mp4"}, {"source": "red.mp4"}],
               audio=[{"source": "tone.m4a", "start": 1.0, "fade_in": 0.5, "volume": 0.5}])
    out = rendered(project, music, "c.mp4")
    assert_duration(out, music, project)  # the 3 s tone from 1 s is cut at 4 s
    assert probe(out).has_audio and rms(out) > 0.02


def test_a_track_is_mixed_with_the_clips_sound(project):
    track = [{"source": "tone.m4a"}]
    mixed = rendered(project, tl(clips=[{"source": "blue.mp4"}], audio=track), "mixed.mp4")
    alone = rendered(project, tl(clips=[{"source": "blue.mp4"}], audio=track, clip_audio=False), "alone.mp4")
    assert abs(probe(mixed).duration - 2.0) <= 1 / FPS + 1e-6  # the clip's length is kept though the tone is 3 s
    assert rms(mixed) > rms(alone) * 1.2


def test_progress_reaches_one(project):
    seen = []
    rendered(project, tl(clips=[{"source": "pattern.mp4"}]), on_progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_interrupted_render_leaves_nothing(project):
    def ctrl_c(fraction):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rendered(project, tl(clips=[{"source": "pattern.mp4"}]), name="final.mp4", on_progress=ctrl_c)
    assert not [p for p in project.root.iterdir() if "final" in p.name]  # nor a temp file


def test_failed_render_leaves_nothing(project, monkeypatch):
    monkeypatch.setattr(runner, "ffmpeg_exe", lambda: "/bin/false")
    with pytest.raises(Exception, match="render timeline: ffmpeg failed"):
        rendered(project, tl(clips=[{"source": "pattern.mp4"}]), name="final.mp4",
                 on_progress=lambda f: None)
    assert not [p for p in project.root.iterdir() if "final" in p.name]


@pytest.mark.parametrize("kw,msg", [
    ({"clips": []}, "List should have at least 1 item"),
    ({"clips": [{"source": "red.mp4", "in_point": 1, "out_point": 0.5}]}, "out_point .0.5s. must be greater"),
    ({"clips": [{"source": "red.mp4", "transition": {"duration": 0.5}}]}, "clips.0. cannot have a transition"),
    ({"clips": [{"source": "red.mp4"}, {"source": "red.mp4", "transition": {"kind": "zoom"}}]}, "kind"),
    ({"clips": [{"source": "red.mp4"}], "width": 99999}, "width"),
    ({"clips": [{"source": "red.mp4"}], "width": 63}, "even"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x", "start": 2, "end": 1}]}, "must be greater"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x\x00y", "start": 0, "end": 1}]},
     "control character U\\+0000"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x\u2028y", "start": 0, "end": 1}]},
     "control character U\\+2028"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "a\rb", "start": 0, "end": 1}]},
     "control character U\\+000D"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "a\tb", "start": 0, "end": 1}]},
     "control character U\\+0009"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "", "start": 0, "end": 1}]}, "text"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x" * 10_001, "start": 0, "end": 1}]},
     "text"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x", "start": 0, "end": 1,
                                                      "color": "red:x=1"}]}, "colour 'red:x=1' is not allowed"),
    ({"clips": [{"source": "red.mp4", "in_point": -1}]}, "in_point"),
    ({"clips": [{"source": "red.mp4", "out_point": float("nan")}]}, "out_point"),
    ({"clips": [{"source": "red.mp4", "bogus": 1}]}, "Extra inputs are not permitted"),
    ({"clips": [{"source": "red.mp4"}], "width": 0}, "width"),
])
def test_invalid_timelines_are_refused_by_the_model(kw, msg):
    with pytest.raises(ValueError, match=msg):
        tl(**kw)


@pytest.mark.parametrize("kw,msg", [
    ({"clips": [{"source": "missing.mp4"}]}, "'missing.mp4' does not exist"),
    ({"clips": [{"source": "corrupt.mp4"}]}, "'corrupt.mp4' is not readable"),
    ({"clips": [{"source": "empty.mp4"}]}, "'empty.mp4' is empty"),
    ({"clips": [{"source": "tone.m4a"}]}, "'tone.m4a' has no video stream"),
    ({"clips": [{"source": "logo.png"}]}, "'logo.png' has zero length"),
    ({"clips": [{"source": "red.mp4", "out_point": 9}]}, "past the end of 'red.mp4'"),
    ({"clips": [{"source": "red.mp4", "in_point": 3}]}, "past the end of 'red.mp4'"),
    ({"clips": [{"source": "/etc/passwd"}]}, "outside the project"),
    ({"clips": [{"source": "https://x.org/a.mp4"}]}, "URL"),
    ({"clips": [{"source": "red.mp4"}, {"source": "blue.mp4", "transition": {"duration": 2.5}}]}, "too short for its transitions|longer than"),
    ({"clips": [{"source": "red.mp4"}], "overlays": [{"type": "text", "text": "x", "start": 1, "end": 3}]}, "past the end of the timeline"),
    ({"clips": [{"source": "red.mp4"}], "audio": [{"source": "tone.m4a", "start": 5}]}, "after the end of the timeline"),
    ({"clips": [{"source": "red.mp4"}], "audio": [{"source": "red.mp4"}]}, "has no audio stream"),
    # near-zero lengths are refused, not rounded up to a frame
    ({"clips": [{"source": "red.mp4", "in_point": 0, "out_point": 1e-9}]}, r"clips\[0\] lasts 1e-09s, shorter than one frame"),
    ({"clips": [{"source": "red.mp4", "in_point": 1, "out_point": 1 + 0.5 / FPS}]}, "shorter than one frame"),
    ({"clips": [{"source": "red.mp4"}, {"source": "blue.mp4", "transition": {"duration": 1e-9}}]},
     r"clips\[1\].transition lasts 1e-09s, shorter than one frame"),
])
def test_bad_sources_and_times_are_refused_before_rendering(project, kw, msg):
    with pytest.raises(InputError, match=msg):
        rendered(project, tl(**kw))
    assert not (project.root / "out.mp4").exists()


def test_overlay_text_newlines_are_normalised():
    t = tl(clips=[{"source": "red.mp4"}], overlays=[{"type": "text", "text": "one\r\ntwo\nthree", "start": 0, "end": 1}])
    assert t.overlays[0].text == "one\ntwo\nthree"


def test_readme_timeline_example_is_valid():
    import json
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = re.search(r"## Editing.*?```json\n(.*?)```", readme, re.S)
    assert block, "README has an Editing section with a JSON timeline"
    t = Timeline.model_validate(json.loads(block.group(1)))
    assert len(t.clips) == 3 and t.clips[1].transition.kind == "fade"
